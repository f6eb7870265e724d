"""Maximal covering: the heuristic against brute force and the exact integer programme."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.sparse import csc_matrix

from geo import siting


def problem(seed: int, rows: int = 300, sites: int = 12, density: float = 0.12) -> siting.Problem:
    rng = np.random.default_rng(seed)
    a = rng.random((rows, sites)) < density
    a[a.sum(axis=1) == 0, 0] = True  # every row reachable by someone
    people = rng.integers(1, 500, rows).astype(float)
    return siting.Problem(csc_matrix(a.astype(float)), people, float(people.sum()))


def brute(p: siting.Problem, k: int) -> float:
    n = p.cover.shape[1]
    return max(siting.covered(p, c) for c in itertools.combinations(range(n), k))


@pytest.mark.parametrize("seed", range(6))
def test_exact_finds_the_brute_force_optimum(seed: int) -> None:
    p = problem(seed)
    chosen, value = siting.exact(p, 3)
    assert len(chosen) == 3 and value == pytest.approx(brute(p, 3))


@pytest.mark.parametrize("seed", range(6))
def test_greedy_with_swaps_is_close_to_the_optimum(seed: int) -> None:
    p = problem(seed)
    heur = siting.swap(p, siting.greedy(p, 3))
    assert len(set(heur)) == 3
    best = brute(p, 3)
    assert siting.covered(p, heur) <= best + 1e-9
    assert siting.covered(p, heur) >= 0.97 * best


def test_swaps_never_lose_and_fixed_sites_stay() -> None:
    p = problem(42, sites=20)
    g = siting.greedy(p, 4, fixed=[7])
    assert g[0] == 7
    s = siting.swap(p, g, fixed=[7])
    assert 7 in s and siting.covered(p, s) >= siting.covered(p, g)


def test_greedy_stops_when_everyone_is_covered() -> None:
    a = np.eye(3)
    p = siting.Problem(csc_matrix(a), np.ones(3), 3.0)
    assert sorted(siting.greedy(p, 5)) == [0, 1, 2]
