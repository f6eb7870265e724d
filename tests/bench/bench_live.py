"""Live operations at city scale, through a real console (uvicorn subprocess) and Chromium.

- ``avl_ingest_per_s``: tracker fixes per second through POST /api/v1/units/positions
  (batches of 2,000, two client threads, JSON over loopback, checked and stored); baseline
  ``raw_copy_per_s``: the same rows COPYed straight into unit_positions with psycopg.
- ``live_tick_kb``: the largest tick message (JSON) a page receives for one update in which
  10,000 units moved (extra units are added to reach 10,000 and removed after).
- ``intake_to_screen_p95_ms``: from sending POST /api/v1/incidents to the case being drawn
  on each of 10 open dispatch desks (headless Chromium, each signed in as an operator of its
  own); baseline ``api_post_p95_ms``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any
from unittest import mock

import httpx2
import numpy as np

from geo import places
from geo.db import connect
from tests._auth import session_for
from tests.bench._city import token
from tests.bench._harness import Context, Result

NAMES = ("avl_ingest_per_s", "intake_to_screen_p95_ms", "live_tick_kb")
QUICK = False

BATCH = 2_000
INGEST_BATCHES = 40  # 80,000 fixes
MOVING = 10_000
PAGES = 10
CASES = 20


def _console(ctx: Context) -> tuple[Any, str]:
    from tests.browser.conftest import free_port, start_console

    port = free_port()
    with mock.patch.dict("os.environ", {"GD_ESCALATION_EVERY_S": "0"}):
        proc = start_console(ctx.conninfo, port, lang="en")
    return proc, f"http://127.0.0.1:{port}"


def _desk(browser: Any, ctx: Context, url: str, user: str, **kwargs: Any) -> Any:
    """A new page in a context signed in as operator ``user``."""
    from console.server.auth import COOKIE

    bc = browser.new_context(**kwargs)
    bc.add_cookies([{"name": COOKIE, "value": session_for(ctx.conninfo, user, "operator"),
                     "url": url}])  # fmt: skip
    return bc.new_page()


def _units(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with connect(ctx.conninfo) as c:
        rows = c.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM units WHERE geom IS NOT NULL ORDER BY id"
        ).fetchall()
    a = np.array(rows, dtype=float)
    return a[:, 0].astype(int), a[:, 1], a[:, 2]


def _moved(ctx: Context, x: np.ndarray, y: np.ndarray, rng: Any) -> tuple[np.ndarray, np.ndarray]:
    """Positions a few tens of metres from (x, y), kept inside the city's extent."""
    with connect(ctx.conninfo) as c:
        bbox = places.city_bbox(conn=c)
    assert bbox is not None
    return (
        np.clip(x + rng.normal(0, 2e-4, x.size), bbox[0] + 1e-4, bbox[2] - 1e-4),
        np.clip(y + rng.normal(0, 2e-4, y.size), bbox[1] + 1e-4, bbox[3] - 1e-4),
    )


def _fixes(
    ctx: Context, ids: np.ndarray, x: np.ndarray, y: np.ndarray, n: int, rng: Any
) -> list[dict]:  # type: ignore[type-arg]
    pick = rng.integers(0, ids.size, n)
    t = dt.datetime.now(dt.UTC).isoformat()
    mx, my = _moved(ctx, x[pick], y[pick], rng)
    return [
        {
            "unit": int(ids[i]),
            "lon": float(mx[k]),
            "lat": float(my[k]),
            "time": t,
            "speed": 8.0,
            "heading": 90.0,
        }
        for k, i in enumerate(pick)
    ]


def _ingest(ctx: Context, url: str, secret: str) -> Result:
    rng = np.random.default_rng(5)
    ids, x, y = _units(ctx)
    batches = [_fixes(ctx, ids, x, y, BATCH, rng) for _ in range(INGEST_BATCHES)]
    headers = {"Authorization": f"Bearer {secret}"}
    todo = list(batches)
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        with httpx2.Client(base_url=url, headers=headers, timeout=120) as client:
            while True:
                with lock:
                    if not todo or errors:
                        return
                    b = todo.pop()
                r = client.post("/api/v1/units/positions", json=b)
                if r.status_code != 200:
                    errors.append(f"ingest: HTTP {r.status_code}: {r.text[:300]}")

    with httpx2.Client(base_url=url, headers=headers, timeout=120) as client:
        client.post("/api/v1/units/positions", json=batches[0][:100])  # warm up
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    http_s = time.perf_counter() - t0
    if errors:
        raise RuntimeError(errors[0])
    n = BATCH * INGEST_BATCHES
    # Baseline: the same rows COPYed straight into the table.
    rows = [
        (f["unit"], f["time"], f"SRID=4326;POINT({f['lon']!r} {f['lat']!r})", 0, 8.0, 90.0)
        for b in batches
        for f in b
    ]
    with connect(ctx.conninfo) as c:
        t0 = time.perf_counter()
        with c.cursor().copy(
            "COPY unit_positions (unit_id, time, geom, h3, speed, heading) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        c.commit()
        copy_s = time.perf_counter() - t0
        c.execute("DELETE FROM unit_positions WHERE h3 = 0")  # the baseline's rows
        c.commit()
    return Result(
        "avl_ingest_per_s",
        n / http_s,
        "fixes/s",
        ">= 10000",
        n / http_s >= 10_000,
        {"raw_copy_per_s": n / copy_s},
        notes=f"{n:,} fixes in batches of {BATCH:,} over HTTP (2 clients), validated and stored",
    )


def _add_units(ctx: Context, need: int) -> None:
    """Extra units so that ``need`` exist (the next module starts from a fresh copy)."""
    with connect(ctx.conninfo) as c:
        have = c.execute("SELECT count(*) FROM units WHERE geom IS NOT NULL").fetchone()[0]  # type: ignore[index]
        extra = max(0, need - have)
        c.execute(
            "INSERT INTO units (call_sign, type, agency, status, geom, h3, position_time, path) "
            "SELECT 'BENCH-' || g, 'foot_patrol', 'police', 'available', u.geom, u.h3, now(), "
            "u.path FROM generate_series(1, %(n)s) g "
            "CROSS JOIN LATERAL (SELECT geom, h3, path FROM units WHERE geom IS NOT NULL "
            "ORDER BY id OFFSET (g %% 1000) LIMIT 1) u",
            {"n": extra},
        )
        c.commit()


def _tick(ctx: Context, browser: Any, secret: str) -> Result:
    _add_units(ctx, MOVING)
    proc, url = _console(ctx)  # a fresh console: its hub starts with every unit
    try:
        page = _desk(browser, ctx, url, "bench.tick")
        page.goto(f"{url}/?lang=en")
        page.wait_for_function("() => window.griddispatch.liveSeq >= 0", timeout=60_000)
        page.wait_for_timeout(2_000)
        ids, x, y = _units(ctx)
        assert ids.size >= MOVING
        mx, my = _moved(ctx, x, y, np.random.default_rng(9))
        t = dt.datetime.now(dt.UTC).isoformat()
        fixes = [
            {"unit": int(u), "lon": float(mx[i]), "lat": float(my[i]), "time": t}
            for i, u in enumerate(ids[:MOVING])
        ]
        page.evaluate("() => { window.griddispatch.tickBytes.length = 0; }")
        with httpx2.Client(
            base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=120
        ) as client:
            r = client.post("/api/v1/units/positions", json=fixes)
            assert r.status_code == 200, r.text[:300]
        seq0 = page.evaluate("() => window.griddispatch.liveSeq")
        page.wait_for_function(f"() => window.griddispatch.liveSeq > {seq0}", timeout=30_000)
        page.wait_for_timeout(1_000)
        sizes = page.evaluate("() => window.griddispatch.tickBytes")
        page.context.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    kb = max(sizes) / 1024
    return Result(
        "live_tick_kb",
        kb,
        "KB",
        "<= 200",
        kb <= 200,
        {"whole_units_layer_kb": _layer_kb(len(fixes))},
        notes=f"largest tick message (JSON) a page received after {MOVING:,} units moved at once",
    )


def _layer_kb(n: int) -> float:
    """What one whole-layer reload of ``n`` units would weigh (the thing ticks avoid)."""
    import json

    feat = {
        "type": "Feature",
        "id": 12345,
        "geometry": {"type": "Point", "coordinates": [113.123456, 27.834567]},
        "properties": {
            "id": 12345,
            "call_sign": "KJ001-C01",
            "type": "patrol_car",
            "agency": "police",
            "status": "available",
            "fix": 1795400000,
        },
    }
    return n * len(json.dumps(feat, separators=(",", ":"))) / 1024


def _intake(ctx: Context, browser: Any, url: str, secret: str) -> Result:
    with connect(ctx.conninfo) as c:
        spots = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
            "WHERE valid_to IS NULL ORDER BY random() LIMIT %s) g",
            (CASES,),
        ).fetchall()
    pages = []
    for n in range(PAGES):  # one after the other: ten first loads at once starve 2 cores
        pg = _desk(browser, ctx, url, f"bench.desk{n:02d}", viewport={"width": 1400, "height": 900})
        pg.goto(f"{url}/dispatch?lang=en", timeout=180_000)
        pg.wait_for_function("() => window.griddispatch.liveSeq >= 0", timeout=180_000)
        pages.append(pg)
    time.sleep(5)  # let the desks finish their first renders
    lat_ms: list[float] = []
    post_ms: list[float] = []
    numbers: list[int] = []
    with httpx2.Client(
        base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=60
    ) as client:
        for lon, lat in spots:
            sent = time.time() * 1000
            r = client.post(
                "/api/v1/incidents",
                json={
                    "lon": lon,
                    "lat": lat,
                    "category": "noise",
                    "priority": "red",
                    "source": "sensor",
                },
            )
            post_ms.append(time.time() * 1000 - sent)
            assert r.status_code == 201, r.text[:300]
            number, numbers = r.json()["number"], [*numbers, r.json()["id"]]
            for pg in pages:
                pg.wait_for_function(
                    "n => window.griddispatch.shown[n] !== undefined", arg=number, timeout=30_000
                )
                lat_ms.append(pg.evaluate("n => window.griddispatch.shown[n]", number) - sent)
            time.sleep(0.3)
    for pg in pages:
        pg.context.close()
    p95 = float(np.percentile(lat_ms, 95))
    return Result(
        "intake_to_screen_p95_ms",
        p95,
        "ms",
        "<= 1000",
        p95 <= 1000,
        {
            "intake_to_screen_p50_ms": float(np.percentile(lat_ms, 50)),
            "api_post_p95_ms": float(np.percentile(post_ms, 95)),
        },
        notes=f"{CASES} cases x {PAGES} open dispatch desks ({len(lat_ms)} samples)",
    )


def run(ctx: Context) -> list[Result]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    secret = token(ctx.conninfo, "incidents:write", "units:write")
    out: list[Result] = []
    proc, url = _console(ctx)
    try:
        out.append(_ingest(ctx, url, secret))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                out.append(_intake(ctx, browser, url, secret))
                out.append(_tick(ctx, browser, secret))
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return out
