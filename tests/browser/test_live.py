"""Live push in real Chromium: what the API commits appears on open pages without a reload,
and a page whose connection dropped catches up by itself."""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
import uuid

import psycopg
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from geo import intake
from geo.access import tokens
from geo.db import connect, transaction
from tests.browser.conftest import free_port, signed_in_context, start_console


def api(url: str, path: str, body: object, token: str) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


def token(db_conninfo: str) -> str:
    with connect(db_conninfo) as c:
        secret = tokens.create(
            conn=c,
            name=f"live-{uuid.uuid4().hex[:8]}",
            scopes=["incidents:write", "units:write"],
        )
        c.commit()
    return secret


def spot(db_conninfo: str, nth: int) -> tuple[float, float]:
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p, id FROM grids "
            "WHERE valid_to IS NULL ORDER BY id DESC OFFSET %s LIMIT 1) g",
            (nth,),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def connected(page) -> None:  # type: ignore[no-untyped-def]
    logs: list[str] = []
    page.on("console", lambda m: logs.append(f"{m.type}: {m.text[:200]}"))
    try:
        page.wait_for_function(
            "() => window.griddispatch && window.griddispatch.liveSeq >= 0", timeout=30_000
        )
    except PlaywrightTimeout:
        raise AssertionError(f"the page never got the live state; its console: {logs}") from None


def new_case(url: str, secret: str, lon: float, lat: float) -> dict:  # type: ignore[type-arg]
    body = {"lon": lon, "lat": lat, "category": "noise", "priority": "red", "source": "sensor"}
    return api(url, "/api/v1/incidents", body, secret)


def test_api_changes_reach_open_pages(browser, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    secret = token(db_conninfo)
    ctx = signed_in_context(
        browser, console_url, db_conninfo, viewport={"width": 1400, "height": 900}
    )
    overview, desk = ctx.new_page(), ctx.new_page()
    overview.goto(f"{console_url}/?lang=en")
    desk.goto(f"{console_url}/dispatch?lang=en")
    connected(overview)
    connected(desk)

    lon, lat = spot(db_conninfo, 3)
    inc = new_case(console_url, secret, lon, lat)
    t0 = time.monotonic()
    # On the map of both pages, and in the desk's queue, without a reload.
    for page in (overview, desk):
        try:
            page.wait_for_function(
                "n => window.griddispatch.shown[n] !== undefined", arg=inc["number"], timeout=5_000
            )
        except PlaywrightTimeout:
            state = page.evaluate(
                "id => [window.griddispatch.liveSeq, (window.griddispatch.liveIncidents || [])"
                ".some(f => f.id === id)]",
                inc["id"],
            )
            raise AssertionError(f"case not drawn; page (live seq, has case) = {state}") from None
    desk.locator("#queue-list", has_text=inc["number"]).wait_for(timeout=10_000)
    print(f"new case on two pages after {1000 * (time.monotonic() - t0):.0f} ms")

    # A tracker moves a unit: its marker data follows.
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM units "
            "WHERE geom IS NOT NULL ORDER BY id LIMIT 1"
        ).fetchone()
    assert row is not None
    uid, x, y = row
    fix = dt.datetime.now(dt.UTC).isoformat()
    api(
        console_url,
        "/api/v1/units/positions",
        [{"unit": uid, "lon": x + 0.0005, "lat": y, "time": fix}],
        secret,
    )
    overview.wait_for_function(
        """([id, x]) => (window.griddispatch.liveUnits || []).some(
            f => f.id === id && Math.abs(f.geometry.coordinates[0] - x) < 2e-5)""",
        arg=[uid, x + 0.0005],
        timeout=5_000,
    )

    # The case is closed elsewhere: it leaves the map.
    with connect(db_conninfo) as c:
        c.execute("UPDATE incidents SET status = 'closed' WHERE id = %s", (inc["id"],))
        c.execute("SELECT pg_notify('incidents', %s)", (json.dumps({"id": inc["id"]}),))
        c.commit()
    overview.wait_for_function(
        "id => !window.griddispatch.liveIncidents.some(f => f.id === id)",
        arg=inc["id"],
        timeout=5_000,
    )
    assert inc["id"] not in desk.evaluate("() => window.griddispatch.liveIncidents.map(f => f.id)")
    ctx.close()


def test_a_dropped_connection_catches_up(browser, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_console(db_conninfo, port, lang="en")
    ctx = signed_in_context(browser, url, db_conninfo, viewport={"width": 1200, "height": 800})
    page = ctx.new_page()
    try:
        page.goto(f"{url}/?lang=en")
        connected(page)
        proc.terminate()
        proc.wait(timeout=15)
        page.wait_for_timeout(500)
        # While the page is cut off, a case is opened (straight into the database).
        lon, lat = spot(db_conninfo, 4)
        with connect(db_conninfo) as c, transaction(c, actor="test:live") as tx:
            report = intake.Report(lon=lon, lat=lat, category="noise", priority="blue",
                                   source="sensor")  # fmt: skip
            number = intake.open_case(conn=tx, report=report, boundary_m=30)[0]["number"]
        assert page.evaluate("n => window.griddispatch.shown[n] === undefined", number)
        proc = start_console(db_conninfo, port, lang="en")
        page.wait_for_function(
            "n => window.griddispatch.shown[n] !== undefined", arg=number, timeout=30_000
        )
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=15)
