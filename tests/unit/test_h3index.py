from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo import h3index
from geo.errors import InvalidInput


@pytest.fixture(scope="module")
def grids(tiny_city):  # type: ignore[no-untyped-def]
    return tiny_city.grids["geom"].to_numpy()


def brute_force(geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.full(len(lon), -1)
    tree = shapely.STRtree(geoms)
    p, g = tree.query(shapely.points(lon, lat), predicate="intersects")
    for pi, gi in zip(p, g, strict=True):
        if out[pi] < 0 or gi < out[pi]:
            out[pi] = gi
    return out


@pytest.mark.parametrize("res", [10, 12])
def test_assign_matches_exact_point_in_polygon(grids: np.ndarray, res: int) -> None:
    idx = h3index.GridIndex.build(grids, res)
    assert len(idx.interior_cells) > 0
    minx, miny, maxx, maxy = shapely.total_bounds(grids)
    rng = np.random.default_rng(3)
    lon = rng.uniform(minx - 0.01, maxx + 0.01, 50_000)
    lat = rng.uniform(miny - 0.01, maxy + 0.01, 50_000)
    got = idx.assign(lon, lat)
    assert (got == -1).any() and (got >= 0).mean() > 0.2
    np.testing.assert_array_equal(got, brute_force(grids, lon, lat))


def test_vertex_on_shared_edge_is_deterministic(grids: np.ndarray) -> None:
    idx = h3index.GridIndex.build(grids)
    x, y = shapely.get_coordinates(grids[0])[0]
    first = idx.assign(np.array([x]), np.array([y]))
    assert first[0] >= 0
    assert idx.assign(np.array([x]), np.array([y]))[0] == first[0]


def test_cells_refuse_nan() -> None:
    with pytest.raises(InvalidInput):
        h3index.cells([np.nan], [113.1], 9)
    with pytest.raises(InvalidInput):
        h3index.cells([27.8, 27.9], [113.1], 9)


def test_cell_of_matches_h3() -> None:
    import h3

    c = h3index.cell_of(27.83, 113.13, 12)
    assert h3.int_to_str(c) == h3.latlng_to_cell(27.83, 113.13, 12)
    assert c > 0  # fits a signed bigint
