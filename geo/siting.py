"""Where to put k platforms: the maximal covering location problem.

Choose ``k`` of the candidate sites so that the most people are reached within their cell's
target. :func:`cover_matrix` runs one bounded search per candidate; :func:`greedy` adds the
site with the largest gain k times, then :func:`swap` exchanges a chosen site for another
while that gains people (Teitz-Bart style); :func:`exact` solves the integer programme with
HiGHS (scipy.optimize.milp) to check the heuristic on small instances.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix, csr_matrix, hstack, identity, vstack

from geo.coverage import Coverage
from geo.errors import InvalidInput
from geo.h3index import parent_cells


@dataclass(frozen=True)
class Problem:
    """Demand rows (people > 0, reachable by some candidate) x candidates: True = covered."""

    cover: csc_matrix
    people: npt.NDArray[np.float64]
    total: float  # everyone, including rows no candidate reaches


def cover_matrix(model: Coverage, sites: Sequence[tuple[float, float]]) -> Problem:
    """Which cells each candidate site reaches within the cell's target.

    Parameters
    ----------
    model : Coverage
        Graph, demand and travel mode.
    sites : sequence of (float, float)
        Candidate sites as ``(lon, lat)`` pairs in degrees; each site's field comes from
        ``model``'s cache.

    Returns
    -------
    Problem
        Cover matrix (populated cells reached by some candidate x candidates), their people
        and the total population.

    Raises
    ------
    InvalidInput
        A candidate cannot join the travel network.
    """
    d = model.demand
    g = model.graph
    placed = g.place([y for _, y in sites], [x for x, _ in sites], model.mode)
    if (placed.edge < 0).any():
        raise InvalidInput(
            "A candidate site is not on the travel network.", code="siting.off_network"
        )
    rows: list[npt.NDArray[np.int64]] = []
    cols: list[npt.NDArray[np.int64]] = []
    want = np.flatnonzero(d.pop > 0)
    for s, (x, y) in enumerate(sites):
        (r,) = np.nonzero(model.site_field(x, y)[want] <= d.target_s[want])
        rows.append(r)
        cols.append(np.full(len(r), s))
    r, c = np.concatenate(rows), np.concatenate(cols)
    a = csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(len(want), len(sites)))
    reached = np.flatnonzero(np.diff(a.indptr) > 0)
    return Problem(csc_matrix(a[reached]), d.pop[want][reached], float(d.pop.sum()))


def covered(p: Problem, chosen: Sequence[int]) -> float:
    """People reached by at least one chosen site.

    Parameters
    ----------
    p : Problem
        The covering problem.
    chosen : sequence of int
        Chosen candidates (columns of ``p.cover``).

    Returns
    -------
    float
        Number of people covered.
    """
    if not len(chosen):
        return 0.0
    hit = np.asarray(p.cover[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(p.people[hit].sum())


def greedy(p: Problem, k: int, fixed: Sequence[int] = ()) -> list[int]:
    """Add the site of largest gain until there are ``k`` (``fixed`` ones first).

    Parameters
    ----------
    p : Problem
        The covering problem.
    k : int
        Number of sites wanted.
    fixed : sequence of int
        Candidates that are chosen from the start.

    Returns
    -------
    list of int
        Chosen candidates, ``fixed`` first; fewer than ``k`` when no site gains anyone.
    """
    chosen = list(fixed)
    count = (
        np.asarray(p.cover[:, chosen].sum(axis=1)).ravel() if chosen else np.zeros(len(p.people))
    )
    at = p.cover.T.tocsr()
    while len(chosen) < k:
        gain = at @ np.where(count == 0, p.people, 0.0)
        gain[chosen] = -1
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        count += np.asarray(p.cover[:, best].todense()).ravel()
    return chosen


def swap(p: Problem, chosen: Sequence[int], fixed: Sequence[int] = ()) -> list[int]:
    """Exchange a chosen site for an unchosen one while that reaches more people.

    Parameters
    ----------
    p : Problem
        The covering problem.
    chosen : sequence of int
        The starting choice (e.g. from :func:`greedy`).
    fixed : sequence of int
        Chosen candidates that are never swapped out.

    Returns
    -------
    list of int
        The improved choice, same length: a swapped-in site takes the place it replaced.
    """
    chosen = list(chosen)
    at = p.cover.T.tocsr()
    while True:
        count = np.asarray(p.cover[:, chosen].sum(axis=1)).ravel()
        best_gain, best = 1e-9, None
        for i, s in enumerate(chosen):
            if s in fixed:
                continue
            col = np.asarray(p.cover[:, s].todense()).ravel() > 0
            lose = float(p.people[col & (count == 1)].sum())
            # without s: who is uncovered then, and what each other site would win back
            bare = (count == 0) | (col & (count == 1))
            gain = at @ np.where(bare, p.people, 0.0)
            gain[chosen] = -np.inf
            j = int(np.argmax(gain))
            if gain[j] - lose > best_gain:
                best_gain, best = gain[j] - lose, (i, j)
        if best is None:
            return chosen
        chosen[best[0]] = best[1]


def exact(p: Problem, k: int, time_limit_s: float = 120.0) -> tuple[list[int], float]:
    """The optimum by integer programming: max people·y, y <= A x, sum x = k.

    Parameters
    ----------
    p : Problem
        The covering problem.
    k : int
        Number of sites to choose.
    time_limit_s : float
        HiGHS time limit in seconds (the answer may then be the best found, not optimal).

    Returns
    -------
    chosen : list of int
        Chosen candidates in ascending order.
    covered : float
        People they cover.

    Raises
    ------
    InvalidInput
        The solver returned no solution.
    """
    m, n = p.cover.shape
    c = np.concatenate([np.zeros(n), -p.people])
    link = hstack([-p.cover, identity(m, format="csc")])  # y_i - sum_j a_ij x_j <= 0
    count = hstack([csr_matrix(np.ones((1, n))), csr_matrix((1, m))])
    res = milp(
        c,
        constraints=[
            LinearConstraint(
                vstack([link, count]).tocsr(),
                np.concatenate([np.full(m, -np.inf), [k]]),
                np.concatenate([np.zeros(m), [k]]),
            ),
        ],  # fmt: skip
        integrality=np.concatenate([np.ones(n), np.zeros(m)]),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise InvalidInput(
            f"The exact solver found no solution: {res.message}",
            code="siting.no_solution",
            message=str(res.message)[:200],
        )
    chosen = [int(j) for j in np.flatnonzero(res.x[:n] > 0.5)]
    return chosen, covered(p, chosen)


@dataclass(frozen=True)
class Siting:
    chosen: list[int]
    covered: float
    total: float
    seconds: float

    @property
    def pct(self) -> float:
        """Share of the population covered.

        Returns
        -------
        float
            Percent, 0 to 100 (0 when there is nobody).
        """
        return 100.0 * self.covered / self.total if self.total else 0.0


def site(
    model: Coverage, candidates: Sequence[tuple[float, float]], k: int, fixed: Sequence[int] = ()
) -> Siting:
    """Best ``k`` of ``candidates`` ((lon, lat) pairs) by greedy + swap; ``fixed`` stay.

    Parameters
    ----------
    model : Coverage
        Graph, demand and travel mode.
    candidates : sequence of (float, float)
        Candidate sites as ``(lon, lat)`` pairs in degrees.
    k : int
        Number of sites, 1 to ``len(candidates)``.
    fixed : sequence of int
        Indices into ``candidates`` that must be chosen, at most ``k``.

    Returns
    -------
    Siting
        Chosen indices (sorted), people covered, total population and seconds taken.

    Raises
    ------
    InvalidInput
        ``k`` out of range, more fixed sites than ``k``, or a candidate off the network.
    """
    if not 1 <= k <= len(candidates):
        raise InvalidInput(
            f"Choose between 1 and {len(candidates)} sites.", code="siting.k", max=len(candidates)
        )
    if len(fixed) > k:
        raise InvalidInput("More sites are fixed than are to be chosen.", code="siting.fixed")
    t0 = time.perf_counter()
    p = cover_matrix(model, candidates)
    chosen = swap(p, greedy(p, k, fixed), fixed)
    return Siting(sorted(chosen), covered(p, chosen), p.total, time.perf_counter() - t0)


def candidates(
    model: Coverage, fixed: Sequence[tuple[float, float]], n: int
) -> list[tuple[float, float]]:
    """Where a platform could go, ``n`` in all: the ``fixed`` sites (today's platforms),
    then the most populated cell of each res-8 hexagon (about 0.7 km²), then other
    populated cells spread evenly.

    Parameters
    ----------
    model : Coverage
        Graph and demand.
    fixed : sequence of (float, float)
        Today's platforms as ``(lon, lat)`` pairs in degrees; always included first.
    n : int
        Number of candidates wanted in all.

    Returns
    -------
    list of (float, float)
        ``(lon, lat)`` pairs in degrees: the ``fixed`` sites, then cell centres (at most
        ``n`` in all unless ``fixed`` alone is longer).
    """
    d, g = model.demand, model.graph
    cells = np.flatnonzero(d.pop > 0)
    parent = parent_cells(g.cells[cells], 8)
    order = np.lexsort((-d.pop[cells], parent))
    first = np.ones(len(order), dtype=bool)
    first[1:] = parent[order][1:] != parent[order][:-1]
    picked = list(cells[order][first])
    rest = np.setdiff1d(cells, picked)
    need = n - len(fixed) - len(picked)
    if need > 0 and len(rest):
        picked += list(rest[np.linspace(0, len(rest) - 1, min(need, len(rest))).astype(int)])
    picked = picked[: max(n - len(fixed), 0)]
    return list(fixed) + [(float(g.lng[c]), float(g.lat[c])) for c in picked]
