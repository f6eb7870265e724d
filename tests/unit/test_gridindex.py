"""The point-to-grid index agrees with an exact point-in-polygon test."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.gridindex import EDGE, GridIndex


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


@pytest.mark.parametrize("cell_m", [4.0, 8.0, 30.0])
def test_assign_matches_exact_point_in_polygon(grids: np.ndarray, cell_m: float) -> None:
    idx = GridIndex.build(grids, cell_m=cell_m)
    assert 0 < idx.edge_share < 0.9
    minx, miny, maxx, maxy = shapely.total_bounds(grids)
    rng = np.random.default_rng(3)
    lon = rng.uniform(minx - 0.01, maxx + 0.01, 50_000)
    lat = rng.uniform(miny - 0.01, maxy + 0.01, 50_000)
    got = idx.assign(lon, lat)
    assert (got == -1).any() and (got >= 0).mean() > 0.2
    np.testing.assert_array_equal(got, brute_force(grids, lon, lat))


def test_vertex_on_shared_edge_is_deterministic(grids: np.ndarray) -> None:
    idx = GridIndex.build(grids)
    x, y = shapely.get_coordinates(grids[0])[0]
    first = idx.assign(np.array([x]), np.array([y]))
    assert first[0] >= 0
    assert idx.assign(np.array([x]), np.array([y]))[0] == first[0]


def test_points_near_every_boundary(grids: np.ndarray) -> None:
    """Points a hair's breadth either side of every vertex: the hardest cases."""
    idx = GridIndex.build(grids, cell_m=8.0)
    xy = shapely.get_coordinates(grids)
    rng = np.random.default_rng(5)
    lon = xy[:, 0] + rng.normal(0, 2e-6, len(xy))
    lat = xy[:, 1] + rng.normal(0, 2e-6, len(xy))
    np.testing.assert_array_equal(idx.assign(lon, lat), brute_force(grids, lon, lat))


def test_bad_points_and_caps(grids: np.ndarray) -> None:
    idx = GridIndex.build(grids, cell_m=1.0, max_cells=100_000)
    assert idx.nx * idx.ny <= 110_000  # the cell grew to respect the cap
    got = idx.assign(np.array([np.nan, 0.0, 200.0]), np.array([27.8, np.nan, 27.8]))
    assert (got == -1).all()
    assert (idx.labels >= EDGE).all()
    with pytest.raises(ValueError):
        GridIndex.build([])
