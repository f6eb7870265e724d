"""Planning at city scale: coverage what-if, boundary checks, platform siting.

coverage_update_ms: one platform moved to a new place (never seen, so its field is searched
afresh), then the city's field (minimum over the platforms) and its population-weighted
coverage by zone and hexagon; median of 20 moves. Baseline ``coverage_full_ms``: the same
answer with no cache (every platform's field searched again).

boundary_validate_ms: ``geo.planning.preview`` of one edited grid (its edge shared with a
neighbour pushed 20 m into it): neighbours read from PostGIS, the edit applied, topology
checked and the impact counted; median over 20 grids. Baseline ``check_only_ms``: the
topology check alone.

siting_s: 10 of 500 candidate sites (``geo.siting.candidates``: the 10 platforms, the most
populated cell of each res-8 hexagon, other populated cells spread evenly) by greedy + swap,
including the 500 bounded searches; median of 3. ``siting_gap_pct``: that heuristic against
the exact optimum (HiGHS) of the same instance (the same 500 candidates, k = 10), as the
README states it.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import shapely

from geo import boundaries, coverage, planning, siting
from geo.db import connect
from geo.routing import RoutingConfig, load_graph
from tests.bench._harness import Context, Result, Timing, timed

NAMES = ("coverage_update_ms", "boundary_validate_ms", "siting_s", "siting_gap_pct")
QUICK = True
K, CANDIDATES = 10, 500


def _model(ctx: Context) -> tuple[coverage.Coverage, list[tuple[float, float]]]:
    with connect(ctx.conninfo) as conn:
        graph = load_graph(conn=conn, config=RoutingConfig())
        demand = coverage.load_demand(conn=conn, graph=graph)
        sites = [(r[0], r[1]) for r in conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM platforms")]
    return coverage.Coverage(graph, demand), sites


def _coverage(model: coverage.Coverage, sites: list[tuple[float, float]]) -> list[Result]:
    rng = np.random.default_rng(5)
    d, g = model.demand, model.graph
    model.summary(model.field(sites))  # every platform's field cached
    places = rng.choice(np.flatnonzero(d.pop > 0), 20, replace=False)
    times, full = [], []
    for i in places:
        moved = [(float(g.lng[i]), float(g.lat[i])), *sites[1:]]
        t0 = time.perf_counter()
        s = model.summary(model.field(moved))
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        cold = coverage.Coverage(g, d, horizon_s=model.horizon_s)
        ref = cold.summary(cold.field(moved))
        full.append(time.perf_counter() - t0)
        assert ref.covered == s.covered  # the cache changes the time, not the answer
    t = Timing.of(times, scale=1000)
    return [
        Result(
            "coverage_update_ms",
            t.median,
            "ms",
            "<= 100",
            t.median <= 100,
            {"coverage_full_ms": 1000 * statistics.median(full)},
            f"{len(sites)} platforms, {g.n_cells:,} cells, {len(d.hexes):,} hexagons; "
            f"covered {s.pct:.1f}% of {s.population:,.0f} people",
            t.spread(),
        )
    ]


def _validate(ctx: Context) -> list[Result]:
    with connect(ctx.conninfo) as conn:
        pairs = conn.execute(
            "SELECT a.code, ST_AsBinary(a.geom), ST_AsBinary(b.geom) FROM grids a "
            "JOIN LATERAL (SELECT geom FROM grids b WHERE b.valid_to IS NULL "
            "AND b.community_code = a.community_code AND b.code <> a.code "
            "AND ST_Length(ST_Intersection(ST_Boundary(a.geom), ST_Boundary(b.geom))::geography)"
            " > 100 LIMIT 1) b ON true WHERE a.valid_to IS NULL ORDER BY md5(a.code) LIMIT 20"
        ).fetchall()
        times, checks, ok = [], [], 0
        for code, wa, wb in pairs:
            ga, gb = shapely.from_wkb(wa), shapely.from_wkb(wb)
            shape = shapely.union_all([ga, gb.intersection(ga.buffer(20 / 100_000))])
            edit = planning.Edit("edit", code=code, geom=shape)
            t0 = time.perf_counter()
            p = planning.preview(conn=conn, edit=edit)
            times.append(time.perf_counter() - t0)
            ok += p.ok
            t0 = time.perf_counter()
            boundaries.check(p.proposal, p.before, p.neighbours, {})
            checks.append(time.perf_counter() - t0)
    t = Timing.of(times, scale=1000)
    return [
        Result(
            "boundary_validate_ms",
            t.median,
            "ms",
            "<= 200",
            t.median <= 200,
            {"check_only_ms": 1000 * statistics.median(checks)},
            f"{len(pairs)} edited grids, {ok} passed every check",
            t.spread(),
        )
    ]


def _siting(model: coverage.Coverage, sites: list[tuple[float, float]]) -> list[Result]:
    cands = siting.candidates(model, sites, CANDIDATES)
    now = model.summary(model.field(sites)).pct
    runs = [siting.site(model, cands, K) for _ in range(3)]
    res = runs[-1]
    took = Timing.of([r.seconds for r in runs])
    p = siting.cover_matrix(model, cands)
    heur = siting.covered(p, siting.swap(p, siting.greedy(p, K)))
    exact_t, (_, best) = timed(lambda: siting.exact(p, K, time_limit_s=600), repeats=1, warmup=0)
    gap = 100 * (best - heur) / best if best else 0.0
    return [
        Result(
            "siting_s",
            took.median,
            "s",
            "<= 10",
            took.median <= 10,
            {"current_coverage_pct": now, "sited_coverage_pct": res.pct},
            f"{K} of {len(cands)} candidates: {res.pct:.1f}% of people within target "
            f"(the current {len(sites)} platforms: {now:.1f}%)",
            took.spread(),
        ),
        Result(
            "siting_gap_pct",
            gap,
            "%",
            "<= 2",
            gap <= 2,
            {"exact_s": exact_t.median},
            f"{K} of {len(cands)} candidates, {p.cover.shape[0]:,} demand cells; heuristic "
            f"{heur:,.0f} vs optimum {best:,.0f} people (HiGHS)",
        ),
    ]


def run(ctx: Context) -> list[Result]:
    model, sites = _model(ctx)
    return [*_coverage(model, sites), *_validate(ctx), *_siting(model, sites)]
