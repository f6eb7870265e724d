"""Getis-Ord Gi*: a planted cluster is found, noise mostly is not, and the maths is right."""

from __future__ import annotations

import h3
import numpy as np
import pytest

from geo import analytics


def disk(radius: int, res: int = 9) -> np.ndarray:
    centre = h3.latlng_to_cell(27.83, 113.13, res)
    return np.array([h3.str_to_int(c) for c in h3.grid_disk(centre, radius)], dtype=np.int64)


def bins(cells: np.ndarray, counts: np.ndarray) -> analytics.Hexbins:
    order = np.argsort(cells)
    return analytics.Hexbins(9, cells[order], counts[order].astype(np.int64))


def test_a_planted_cluster_is_a_99_percent_hotspot() -> None:
    rng = np.random.default_rng(3)
    universe = disk(12)  # 469 cells
    counts = rng.poisson(2.0, len(universe))
    centre = h3.grid_ring(h3.latlng_to_cell(27.83, 113.13, 9), 5)[0]  # well inside the area
    planted = np.array([h3.str_to_int(c) for c in h3.grid_disk(centre, 1)], dtype=np.int64)
    inside = np.isin(universe, planted)
    assert inside.sum() == 7
    counts[inside] = 25
    hot = analytics.getis_ord(universe, bins(universe, counts))
    at = np.searchsorted(hot.cells, h3.str_to_int(centre))
    assert hot.level[at] == 99 and hot.z[at] > 5
    far = ~np.isin(hot.cells, np.array([h3.str_to_int(c) for c in h3.grid_disk(centre, 3)]))
    assert (hot.level[far] > 0).mean() < 0.08  # noise: about the false-positive rate


def test_gi_star_matches_the_formula_by_hand() -> None:
    universe = disk(2)  # 19 cells
    rng = np.random.default_rng(1)
    x = rng.integers(0, 10, len(universe)).astype(float)
    got = analytics.getis_ord(universe, bins(universe, x))
    cells = np.sort(universe)
    xs = x[np.argsort(universe)]
    n, mean = len(cells), xs.mean()
    s = np.sqrt((xs**2).mean() - mean**2)
    i = 0
    ring = {h3.str_to_int(c) for c in h3.grid_disk(h3.int_to_str(int(cells[i])), 1)}
    nb = np.isin(cells, list(ring))
    w = nb.sum()
    want = (xs[nb].sum() - mean * w) / (s * np.sqrt((n * w - w * w) / (n - 1)))
    assert got.z[i] == pytest.approx(want)


def test_flat_counts_have_no_hotspot() -> None:
    universe = disk(3)
    hot = analytics.getis_ord(universe, bins(universe, np.full(len(universe), 4)))
    assert not hot.level.any()
