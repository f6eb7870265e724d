"""Dispatch desk: recommendations served fast, and no unit ever dispatched twice.

recommend_p50_ms: wall time of the desk's ``show_case`` callback (a case selected: its file,
the 5 best units and their routes) POSTed to ``/_dash-update-component`` of a real console
(uvicorn subprocess) on the city database, over loopback with one keep-alive client; so it
includes HTTP and JSON (gzip) on loopback but not the browser's rendering. 200 open cases,
after 5 warm-up requests (the first builds the travel graph). Baselines, in-process on the
same cases: ``nearest_units`` with the console's unit-snapshot cache (only units that moved
are joined to the graph again), and without it (every unit read and joined on each call).

recommend_payload_kb: median size of those callback responses (JSON, uncompressed; gzip as
received is a baseline).

double_dispatches: the dispatch race of tests/db/test_dispatch_race.py (1,000 attempts from
8 threads on 12 units) on a scratch database with the tiny city; overlapping dispatches of
one unit must be 0.
"""

from __future__ import annotations

import time
from typing import Any
from unittest import mock

import httpx2
import numpy as np

from console import settings as settings_mod
from console.settings import routing_config
from geo.db import connect, migrate
from geo.routing import Router, UnitCache, load_graph, nearest_units
from tests._race import busy_without_dispatch, double_assignments, race_city, run_races
from tests.bench._harness import Context, Result

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


def _show_case_request(ctx: Context) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The ``show_case`` request body (with the incident id left out), from the app's own
    callback map, and the (id, property) of its inputs."""
    from console.app import create_app

    s = settings_mod.replace(ctx.settings, database_url=ctx.conninfo, escalation_every_s=0)
    app = create_app(s)
    key = next(k for k in app.callback_map if "case-body.children" in k)
    cb = app.callback_map[key]
    outputs = [
        dict(zip(("id", "property"), o.rsplit(".", 1), strict=True))
        for o in key.strip(".").split("...")
    ]
    values = {
        ("desk-rev", "data"): 0,
        ("case-types", "value"): [],
        ("live-cases", "data"): None,
        ("lang", "data"): "zh-CN",
    }
    inputs = [(i["id"], i["property"]) for i in cb["inputs"]]
    if inputs[0] != ("desk-sel", "data") or set(inputs[1:]) - set(values):
        raise RuntimeError(f"show_case has unexpected inputs {inputs}; update this benchmark")
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": [{"id": i, "property": p, "value": values.get((i, p))} for i, p in inputs],
        "changedPropIds": ["desk-sel.data"],
        "state": [
            {"id": st["id"], "property": st["property"], "value": values[st["id"], st["property"]]}
            for st in cb["state"]
        ],
    }
    return body, inputs


def _routes(payload: dict[str, Any]) -> int:
    """Number of route lines in a ``show_case`` response."""
    data = payload.get("response", {}).get("layer-routes", {}).get("data") or {}
    return sum(f["geometry"]["type"] == "LineString" for f in data.get("features", []))


def _served(ctx: Context, cases: list[int]) -> tuple[list[float], list[int], list[int], int]:
    """Per request: wall ms, uncompressed bytes, bytes received; and requests with routes."""
    from tests.browser.conftest import free_port, start_console

    body, inputs = _show_case_request(ctx)

    def request(client: httpx2.Client, incident_id: int) -> httpx2.Response:
        body["inputs"][0]["value"] = incident_id
        r = client.post("/_dash-update-component", json=body)
        if r.status_code != 200:
            raise RuntimeError(f"show_case on {incident_id}: HTTP {r.status_code}: {r.text[:300]}")
        return r

    port = free_port()
    with mock.patch.dict("os.environ", {"GD_ESCALATION_EVERY_S": "0"}):
        proc = start_console(ctx.conninfo, port)
    ms: list[float] = []
    size: list[int] = []
    wire: list[int] = []
    with_routes = 0
    try:
        with httpx2.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Accept-Encoding": "gzip"},
            timeout=120,
        ) as client:
            first = request(client, cases[0])
            if _routes(first.json()) == 0:
                raise RuntimeError(f"show_case returned no routes: {first.text[:500]}")
            for i in cases[1:WARMUP]:
                request(client, i)
            for i in cases:
                t0 = time.perf_counter()
                r = request(client, i)
                ms.append((time.perf_counter() - t0) * 1000)
                size.append(len(r.content))
                wire.append(r.num_bytes_downloaded)
                with_routes += _routes(r.json()) > 0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except Exception:  # noqa: BLE001 - never leave the server behind
            proc.kill()
            proc.wait()
    return ms, size, wire, with_routes


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
    ms, size, wire, with_routes = _served(ctx, cases)
    cached, uncached = _in_process(ctx, cases)
    p50, p90, p99 = (float(np.percentile(ms, q)) for q in (50, 90, 99))
    kb = float(np.median(size)) / 1024
    return [
        Result(
            "recommend_p50_ms",
            p50,
            "ms",
            "<= 50",
            p50 <= 50,
            {
                "p90_ms": p90,
                "p99_ms": p99,
                "cached_units_nearest_ms": float(np.percentile(cached, 50)),
                "uncached_units_nearest_ms": float(np.percentile(uncached, 50)),
            },
            f"show_case over HTTP (uvicorn, loopback, JSON + gzip included), {N_CASES} requests "
            f"on {len(set(cases))} open cases, {with_routes} with routes; baselines: "
            "nearest_units in-process with / without the unit-snapshot cache",
        ),
        Result(
            "recommend_payload_kb",
            kb,
            "KB",
            None,
            None,
            {"gzip_kb": float(np.median(wire)) / 1024, "max_kb": max(size) / 1024},
            "show_case response body (case file, recommendations, routes GeoJSON, ETAs)",
        ),
        _races(ctx),
    ]


__all__ = ["run"]
