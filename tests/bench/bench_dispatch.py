"""Dispatch desk: recommendations served fast, and no unit ever dispatched twice.

recommend_p50_ms: wall time of the desk's ``show_case`` callback (a case selected: its file,
the 5 best units and their routes) POSTed to ``/_dash-update-component`` of a real console
(uvicorn subprocess) on the city database, over loopback with one keep-alive client; so it
includes HTTP and JSON (gzip) on loopback but not the browser's rendering. 200 open cases,
after 5 warm-up requests (the first builds the travel graph). Baselines, in-process on the
same cases: ``nearest_units`` with the console's unit-snapshot cache (only units that moved
are joined to the graph again), and without it (every unit read and joined on each call).

recommend_moving_p50_ms: the same requests on the same console while trackers post 5,000
fixes a second through /api/v1/units/positions (as ``make load`` does), so units move between
any two selections; the fix rate reached and the payload are reported with it.

recommend_payload_kb: median size of those callback responses (JSON, uncompressed; gzip as
received is a baseline).

The operator is signed in (its own session cookie), as on the desk.

double_dispatches: the dispatch race of tests/db/test_dispatch_race.py (1,000 attempts from
8 threads on 12 units) on a scratch database with the tiny city; overlapping dispatches of
one unit must be 0.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import httpx2
import numpy as np

from console import settings as settings_mod
from console.server.auth import COOKIE
from console.settings import routing_config
from geo.db import connect, migrate
from geo.routing import Router, UnitCache, load_graph, nearest_units
from tests._auth import session_for
from tests._dashcall import callback_body
from tests._race import busy_without_dispatch, double_assignments, race_city, run_races
from tests.bench._harness import Context, Result, Timing
from tests.bench.load import POSITIONS_PER_S, Trackers, token, tracked_units

NAMES = ("recommend_p50_ms", "recommend_moving_p50_ms", "recommend_payload_kb",
         "double_dispatches")  # fmt: skip
QUICK = True
N_CASES, WARMUP = 200, 5
RACE_DB = "gd_bench_race"
OPEN = ("reported", "dispatched", "accepted", "on_scene")


def _cases(conninfo: str) -> list[int]:
    """N_CASES open incidents, evenly spread over their ids (cycled when there are fewer)."""
    with connect(conninfo) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM incidents WHERE status = ANY(%(s)s) ORDER BY id", {"s": list(OPEN)}
            )
        ]
    if not ids:
        raise RuntimeError("the bench database holds no open incidents")
    if len(ids) >= N_CASES:
        return [ids[i] for i in np.linspace(0, len(ids) - 1, N_CASES).astype(int)]
    return [ids[i % len(ids)] for i in range(N_CASES)]


def _show_case_request(ctx: Context) -> dict[str, Any]:
    """The ``show_case`` request body (the incident id is its first input, set per request),
    from the app's own declaration of the callback."""
    from console.app import create_app

    s = settings_mod.replace(ctx.settings, database_url=ctx.conninfo, escalation_every_s=0)
    app = create_app(s)
    deps = [{**v, "output": k} for k, v in app.callback_map.items()]
    values = {"desk-rev": 0, "case-types": [], "case-drafts": {}, "lang": "zh-CN"}
    body = callback_body(deps, "desk-sel", values, output="case-body.children")
    if body["inputs"][0]["id"] != "desk-sel":
        raise RuntimeError("show_case no longer takes the case first; update this benchmark")
    return body


def _routes(payload: dict[str, Any]) -> int:
    """Number of route lines in a ``show_case`` response."""
    data = payload.get("response", {}).get("layer-routes", {}).get("data") or {}
    return sum(f["geometry"]["type"] == "LineString" for f in data.get("features", []))


@dataclass
class Served:
    """Per request: wall ms, uncompressed bytes, bytes received; requests with routes."""

    ms: list[float] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    wire: list[int] = field(default_factory=list)
    with_routes: int = 0
    fixes_per_s: float = 0.0

    def p(self, q: float) -> float:
        return float(np.percentile(self.ms, q))


def _served(ctx: Context, cases: list[int]) -> tuple[Served, Served]:
    """``show_case`` over HTTP: with no unit moving, then while trackers post fixes."""
    from tests.browser.conftest import free_port, start_console

    body = _show_case_request(ctx)
    cookie = session_for(ctx.conninfo, "bench.operator", "operator")

    def request(client: httpx2.Client, incident_id: int) -> httpx2.Response:
        body["inputs"][0]["value"] = incident_id
        r = client.post("/_dash-update-component", json=body)
        if r.status_code != 200:
            raise RuntimeError(f"show_case on {incident_id}: HTTP {r.status_code}: {r.text[:300]}")
        if "gd-msg-err" in r.text:
            raise RuntimeError(f"show_case on {incident_id} answered an error: {r.text[:300]}")
        return r

    def measure(client: httpx2.Client) -> Served:
        out = Served()
        for i in cases:
            t0 = time.perf_counter()
            r = request(client, i)
            out.ms.append((time.perf_counter() - t0) * 1000)
            out.size.append(len(r.content))
            out.wire.append(r.num_bytes_downloaded)
            out.with_routes += _routes(r.json()) > 0
        return out

    port = free_port()
    with mock.patch.dict("os.environ", {"GD_ESCALATION_EVERY_S": "0"}):
        proc = start_console(ctx.conninfo, port)
    try:
        with httpx2.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Accept-Encoding": "gzip"},
            cookies={COOKIE: cookie},
            timeout=120,
        ) as client:
            first = request(client, cases[0])
            if _routes(first.json()) == 0:
                raise RuntimeError(f"show_case returned no routes: {first.text[:500]}")
            for i in cases[1:WARMUP]:
                request(client, i)
            quiet = measure(client)
            stop = threading.Event()
            trackers = Trackers(port, token(ctx.conninfo, "units:write"),
                                tracked_units(ctx.conninfo), stop)  # fmt: skip
            trackers.start()
            time.sleep(3)  # the trackers up to speed
            try:
                moving = measure(client)
            finally:
                stop.set()
                trackers.join(timeout=60)
            if trackers.errors:
                raise RuntimeError(f"trackers: {trackers.errors[:3]}")
            moving.fixes_per_s = trackers.sent / trackers.elapsed if trackers.elapsed else 0.0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except Exception:  # noqa: BLE001 - never leave the server behind
            proc.kill()
            proc.wait()
    return quiet, moving


def _in_process(ctx: Context, cases: list[int]) -> tuple[list[float], list[float]]:
    """ms of ``nearest_units`` per case with the unit-snapshot cache, and without it."""
    with connect(ctx.conninfo) as conn:
        router = Router(load_graph(conn=conn, config=routing_config(ctx.settings)))
        cache = UnitCache()
        timed: dict[str, list[float]] = {"cached": [], "uncached": []}
        for mode, out in timed.items():
            for n, i in enumerate(cases[:WARMUP] + cases):
                t0 = time.perf_counter()
                snap = cache.get(conn, router.graph) if mode == "cached" else None
                nearest_units(
                    conn=conn,
                    router=router,
                    incident_id=i,
                    k=5,
                    prefer_grid_worker_within_s=60.0,
                    units=snap,
                )
                if n >= WARMUP:
                    out.append((time.perf_counter() - t0) * 1000)
                conn.rollback()
    return timed["cached"], timed["uncached"]


def _races(ctx: Context) -> Result:
    assert ctx.cluster is not None
    ctx.cluster.drop_database(RACE_DB)
    ctx.cluster.ensure_database(RACE_DB)
    try:
        conninfo = ctx.cluster.conninfo(RACE_DB)
        with connect(conninfo) as conn:
            migrate(conn)
            conn.commit()
        pool, cases = race_city(conninfo)
        outcome = run_races(conninfo, pool, cases, attempts=1000, threads=8)
        with connect(conninfo) as conn:
            doubles = double_assignments(conn)
            busy = busy_without_dispatch(conn, pool)
    finally:
        ctx.cluster.drop_database(RACE_DB)
    if outcome.crashes:
        raise RuntimeError(f"dispatch races crashed: {outcome.crashes[:3]}")
    return Result(
        "double_dispatches",
        doubles,
        "count",
        "== 0",
        doubles == 0 and busy == 0,
        {"dispatched": outcome.ok, "refused": outcome.refused},
        f"1,000 attempts (1-3 units each) from 8 threads on {len(pool)} units and "
        f"{len(cases)} cases, tiny city; {outcome.released} units freed during the races; "
        f"units busy without an open dispatch: {busy}",
    )


def run(ctx: Context) -> list[Result]:
    cases = _cases(ctx.conninfo)
    quiet, moving = _served(ctx, cases)
    cached, uncached = _in_process(ctx, cases)
    kb = float(np.median(quiet.size)) / 1024
    how = (f"show_case over HTTP (uvicorn, one worker, loopback, JSON + gzip included), "
           f"{N_CASES} requests on {len(set(cases))} open cases")  # fmt: skip
    return [
        Result(
            "recommend_p50_ms",
            quiet.p(50),
            "ms",
            "<= 50",
            quiet.p(50) <= 50,
            {
                "p90_ms": quiet.p(90),
                "p99_ms": quiet.p(99),
                "cached_units_nearest_ms": float(np.percentile(cached, 50)),
                "uncached_units_nearest_ms": float(np.percentile(uncached, 50)),
            },
            f"{how}, {quiet.with_routes} with routes, no unit moving; baselines: "
            "nearest_units in-process with / without the unit-snapshot cache",
            Timing.of(quiet.ms).spread(),
        ),
        Result(
            "recommend_moving_p50_ms",
            moving.p(50),
            "ms",
            "<= 50",
            moving.p(50) <= 50,
            {
                "p90_ms": moving.p(90),
                "p99_ms": moving.p(99),
                "fixes_per_s": moving.fixes_per_s,
                "payload_kb": float(np.median(moving.size)) / 1024,
            },
            f"{how}, {moving.with_routes} with routes, while trackers posted "
            f"{moving.fixes_per_s:,.0f} fixes/s (asked: {POSITIONS_PER_S:,}) to the same console",
            Timing.of(moving.ms).spread(),
        ),
        Result(
            "recommend_payload_kb",
            kb,
            "KB",
            None,
            None,
            {"gzip_kb": float(np.median(quiet.wire)) / 1024, "max_kb": max(quiet.size) / 1024},
            "show_case response body (case file, recommendations, routes GeoJSON, ETAs)",
        ),
        _races(ctx),
    ]


__all__ = ["run"]
