"""The console in real Chromium: grids drawn, grid card, language switch, no outside requests."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".var" / "screenshots"


def wait_for_layer(page, layer: str, expected: int) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "([id, n]) => window.griddispatch && (window.griddispatch.drawn[id] || 0) >= n",
        arg=[f"layer-{layer}", expected],
        timeout=30_000,
    )


def wait_for_grids(page, expected: int) -> None:  # type: ignore[no-untyped-def]
    wait_for_layer(page, "grids", expected)


def test_map_draws_every_grid_and_stays_offline(page, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else outside.append(r.url)
        ),
    )
    with psycopg.connect(db_conninfo) as c:
        n_grids = c.execute("SELECT count(*) FROM grids WHERE valid_to IS NULL").fetchone()[0]  # type: ignore[index]
        n_open = c.execute("SELECT count(*) FROM incidents WHERE status <> 'closed'").fetchone()[0]  # type: ignore[index]
    page.goto(console_url + "/")
    wait_for_grids(page, n_grids)
    wait_for_layer(page, "incidents", n_open)
    wait_for_layer(page, "platforms", 3)
    drawn = page.evaluate("() => window.griddispatch.drawn")
    assert drawn["layer-grids"] == n_grids
    assert drawn.get("layer-incidents", 0) == n_open
    assert drawn.get("layer-platforms", 0) >= 3
    # The layer control lists the overlays; the legend is there.
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 6
    assert page.locator("#legend").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "console.png"))
    assert outside == []


def test_the_map_asks_for_what_is_in_view(browser, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    """With more grids in view than a map may draw, none come and the map asks to zoom in;
    zoomed in, the grids in view come (and only they), and the note goes."""
    from tests.browser.conftest import free_port, signed_in_context, start_console

    with psycopg.connect(db_conninfo) as c:
        total, lon, lat = c.execute(
            "SELECT count(*), ST_X(ST_Centroid(ST_Collect(geom))), "
            "ST_Y(ST_Centroid(ST_Collect(geom))) FROM grids WHERE valid_to IS NULL"
        ).fetchone()  # type: ignore[misc]
    port = free_port()
    proc = start_console(db_conninfo, port, GD_MAP_MAX_FEATURES=str(total // 3))
    url = f"http://127.0.0.1:{port}"
    ctx = signed_in_context(browser, url, db_conninfo, viewport={"width": 1366, "height": 768},
                            locale="zh-CN")  # fmt: skip
    try:
        page = ctx.new_page()
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url) if "grids.geojson" in r.url else None)
        page.goto(url + "/")
        page.wait_for_function("() => window.griddispatch && window.griddispatch.viewDrawn")
        hint = page.locator("#map .gd-map-hint")
        hint.wait_for(state="visible")
        assert hint.inner_text() == "放大地图以显示网格"
        assert page.evaluate("() => window.griddispatch.drawn['layer-grids'] || 0") == 0
        grids = page.locator(".leaflet-control-layers-overlays label", has_text="网格").first
        grids.locator("input").uncheck()  # the grid layer off: nothing to zoom in for
        hint.wait_for(state="hidden")
        grids.locator("input").check()
        hint.wait_for(state="visible")
        page.evaluate(
            "([lat, lon]) => window.dash_clientside.set_props('map', "
            "{viewport: {center: [lat, lon], zoom: 17, transition: 'setView'}})",
            [lat, lon],
        )
        page.wait_for_function("() => window.griddispatch.viewDrawn.z === 17")
        hint.wait_for(state="hidden")
        drawn = page.evaluate("() => window.griddispatch.drawn['layer-grids'] || 0")
        assert 0 < drawn <= total // 3
        assert asked and all("bbox=" in u and "&z=" in u for u in asked)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "map-view-zoomed.png"))
    finally:
        ctx.close()
        proc.terminate()
        proc.wait(timeout=15)


def test_click_a_grid_shows_its_card(page, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(db_conninfo) as c:
        code, name, hh, lon, lat = c.execute(
            "SELECT code, name, households, ST_X(p), ST_Y(p) FROM ("
            " SELECT code, name, households, ST_PointOnSurface(geom) AS p FROM grids"
            " WHERE valid_to IS NULL ORDER BY ST_Area(geom) DESC LIMIT 1) x"
        ).fetchone()  # type: ignore[misc]
    page.goto(console_url + "/")
    wait_for_grids(page, 1)
    # Where is that point on screen? Ask Leaflet through the drawn grid layer.
    xy = page.evaluate(
        """([code, lat, lon]) => {
            const layer = window.griddispatch.gridLayers[code];
            const p = layer._map.latLngToContainerPoint([lat, lon]);
            const box = layer._map.getContainer().getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [code, lat, lon],
    )
    page.mouse.click(xy[0], xy[1])
    title = page.locator("#card-title")
    title.wait_for(timeout=15_000)
    assert title.inner_text() == name
    assert page.locator("#card-0").inner_text() == code
    assert page.locator("#card-6").inner_text() == f"{hh:,}"


@pytest.mark.parametrize(
    "start,switch_to,nav_text", [("zh-CN", "en", "Dispatch"), ("en", "zh-CN", "调度")]
)
def test_language_switch(page, console_url: str, start: str, switch_to: str, nav_text: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{console_url}/?lang={start}")
    page.locator("#lang-switch").click()
    page.wait_for_url(f"**/?lang={switch_to}")
    page.locator("#nav-dispatch").wait_for()
    assert page.locator("#nav-dispatch").inner_text() == nav_text
    assert page.evaluate("() => document.documentElement.lang") == switch_to


def test_every_page_route_exists(page, console_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{console_url}/supervision?lang=en")
    page.locator("#nav-supervision.active").wait_for(timeout=15_000)
    page.locator("#sup-kpis").wait_for()  # the supervision page is built (test_supervision.py)
    page.goto(f"{console_url}/planning?lang=en")
    page.locator("#nav-planning.active").wait_for(timeout=15_000)
    page.locator("#plan-tool-edit").wait_for()  # the planning page is built (test_planning.py)
    page.goto(f"{console_url}/dispatch?lang=en")
    page.locator("#nav-dispatch.active").wait_for(timeout=15_000)
    page.locator("#queue-panel").wait_for()  # the dispatch desk is built (test_dispatch.py)
