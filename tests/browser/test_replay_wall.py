"""The big screen and the after-action replay in real Chromium.

The wall shows today's counters and the ticker and follows new cases by itself; the replay
loads a window in which a case was opened, a unit dispatched and moved, and plays it back:
at the window's end the case is on the map and the unit stands where it moved to."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import psycopg

from tests.browser.conftest import signed_in_context
from tests.browser.test_live import api, connected, new_case, spot, token

LOCAL = ZoneInfo("Asia/Shanghai")
SHOTS = "console/assets/readme"


def test_the_big_screen_follows_the_city(browser, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    ctx = signed_in_context(
        browser, console_url, db_conninfo, viewport={"width": 1600, "height": 900}
    )
    wall = ctx.new_page()
    wall.goto(f"{console_url}/wall?lang=en")
    connected(wall)
    wall.locator("#wall-reported").wait_for(timeout=15_000)
    assert wall.locator(".gd-topbar").is_hidden()  # no controls on the wall
    before = int(wall.locator("#wall-reported .gd-wall-num").inner_text().replace(",", ""))
    lon, lat = spot(db_conninfo, 5)
    case = new_case(console_url, token(db_conninfo), lon, lat)
    wall.wait_for_function(
        "n => window.griddispatch.shown[n] !== undefined", arg=case["number"], timeout=10_000
    )
    wall.locator("#wall-ticker", has_text=case["number"]).wait_for(timeout=10_000)
    wall.wait_for_function(
        "n => document.querySelector('#wall-reported .gd-wall-num').textContent"
        ".replace(/,/g, '') === String(n)",
        arg=before + 1,
        timeout=10_000,
    )
    wall.screenshot(path=f"{SHOTS}/wall.png")
    ctx.close()


def test_replay_plays_a_window_back(page, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    secret = token(db_conninfo)
    start = dt.datetime.now(LOCAL).replace(second=0, microsecond=0) - dt.timedelta(minutes=2)
    lon, lat = spot(db_conninfo, 7)
    case = new_case(console_url, secret, lon, lat)
    with psycopg.connect(db_conninfo) as c:
        uid, x, y = c.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM units WHERE status = 'available' "
            "AND geom IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    now = dt.datetime.now(dt.UTC)
    fixes = [
        {
            "unit": uid,
            "lon": x + 0.0004 * k,
            "lat": y,
            "time": (now - dt.timedelta(seconds=30 - 10 * k)).isoformat(),
        }  # fmt: skip
        for k in range(4)
    ]
    api(console_url, "/api/v1/units/positions", fixes, secret)

    page.goto(f"{console_url}/replay?lang=en")
    page.wait_for_selector("#replay-load")
    end = dt.datetime.now(LOCAL) + dt.timedelta(minutes=1)
    page.fill("#replay-from", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#replay-to", end.strftime("%Y-%m-%dT%H:%M"))
    page.click("#replay-load")
    page.locator("#replay-msg", has_text="cases").wait_for(timeout=20_000)
    # To the end of the window: the case is there, the unit stands at its last fix.
    page.locator("#replay-slider [role=slider]").press("End")
    page.wait_for_function(
        "n => window.griddispatch.shown[n] !== undefined", arg=case["number"], timeout=10_000
    )
    page.locator("#replay-events", has_text=case["number"]).wait_for(timeout=5_000)
    assert page.inner_text("#replay-time").startswith(end.strftime("%Y/%m/%d %H:%M"))
    # To the start: the case is not reported yet, so it is not in the events.
    page.locator("#replay-slider [role=slider]").press("Home")
    page.wait_for_function(
        "n => !document.querySelector('#replay-events').textContent.includes(n)",
        arg=case["number"],
        timeout=5_000,
    )
    # Play: the clock runs by itself.
    page.click("#replay-play")
    page.wait_for_function(
        "s => document.querySelector('#replay-time').textContent !== s",
        arg=page.inner_text("#replay-time"),
        timeout=5_000,
    )
    assert page.inner_text("#replay-play").endswith("Pause")
    data = page.evaluate(
        "id => { var d = document.querySelector('#replay-msg'); return d.textContent; }", uid
    )
    assert "with tracks" in data
