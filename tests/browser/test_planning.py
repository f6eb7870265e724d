"""The planning page in real Chromium: drag a vertex of a grid, see the impact preview, save,
see the version in the history, restore the earlier one; and the coverage tab's what-if."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest
import shapely

from tests.browser.conftest import free_port, start_console
from tests.browser.test_dispatch import click_at
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
README_SHOT = ROOT / "console" / "assets" / "readme" / "planning.png"


@pytest.fixture(scope="module")
def planning_db(cluster, tiny_city, db_conninfo: str) -> str:  # type: ignore[no-untyped-def]
    """A database of its own: these tests save boundary changes and move platforms for good
    (the history tables are append-only), which the db tests must not see. With an external
    test database (GD_TEST_DATABASE_URL) there is only the one."""
    if cluster is None:
        return db_conninfo
    from data.demo.load import load
    from geo.db import connect

    conninfo = fresh_database(cluster, "griddispatch_test_planning")
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    return conninfo


@pytest.fixture(scope="module")
def planning_url(planning_db: str):  # type: ignore[no-untyped-def]
    port = free_port()
    proc = start_console(planning_db, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def shared_vertex(conninfo: str) -> tuple[str, str, float, float, float, float, bytes]:
    """Grid A, its neighbour B, a vertex they share away from the community's edge, a point
    inside B to drag it towards, and A's geometry now."""
    with psycopg.connect(conninfo) as c:
        row = c.execute(
            """SELECT a.code, b.code, ST_Y(v.geom), ST_X(v.geom),
                      ST_Y(ST_PointOnSurface(b.geom)), ST_X(ST_PointOnSurface(b.geom)),
                      ST_AsBinary(a.geom)
               FROM grids a JOIN grids b ON b.community_code = a.community_code
                    AND b.code > a.code AND b.valid_to IS NULL
                    AND ST_Length(ST_Intersection(ST_Boundary(a.geom),
                                                  ST_Boundary(b.geom))::geography) > 150
               JOIN admin_units m ON m.code = a.community_code
               CROSS JOIN LATERAL ST_DumpPoints(a.geom) v
               WHERE a.valid_to IS NULL AND ST_DWithin(v.geom, ST_Boundary(b.geom), 1e-9)
                 AND ST_Distance(v.geom::geography, ST_Boundary(m.geom)::geography) > 40
                 AND NOT EXISTS (SELECT 1 FROM grids o WHERE o.valid_to IS NULL
                     AND o.code NOT IN (a.code, b.code) AND ST_DWithin(o.geom, v.geom, 0.0003))
               ORDER BY a.code LIMIT 1"""
        ).fetchone()
    assert row is not None, "no interior vertex shared by exactly two grids"
    return row  # type: ignore[return-value]


def pixel(page, code: str, lat: float, lon: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return tuple(
        page.evaluate(
            """([code, lat, lon]) => {
                const map = window.griddispatch.gridLayers[code]._map;
                const p = map.latLngToContainerPoint([lat, lon]);
                const box = map.getContainer().getBoundingClientRect();
                return [box.left + p.x, box.top + p.y];
            }""",
            [code, lat, lon],
        )
    )


@pytest.fixture()
def console_target(planning_url: str, planning_db: str) -> tuple[str, str]:
    """Pages sign in to the planning console (its own database)."""
    return planning_url, planning_db


def test_drag_a_vertex_preview_save_and_restore(page, planning_url: str, planning_db: str) -> None:  # type: ignore[no-untyped-def]
    a, b, vlat, vlon, blat, blon, a_wkb = shared_vertex(planning_db)
    page.goto(f"{planning_url}/planning?lang=en")
    inner = shapely.from_wkb(a_wkb).representative_point()
    click_at(page, a, inner.y, inner.x)
    page.wait_for_selector(f"#grid-card:has-text('{a}')", timeout=15_000)
    page.get_by_role("button", name="Edit shape").click()
    page.wait_for_selector(".leaflet-editing-icon", timeout=15_000)
    page.evaluate(
        "([code, lat, lon]) => { window.griddispatch.gridLayers[code]._map.setView([lat, lon], 18,"
        " {animate: false}); }",
        [a, vlat, vlon],
    )
    page.wait_for_timeout(400)
    x0, y0 = pixel(page, a, vlat, vlon)
    x1, y1 = pixel(page, a, blat, blon)
    d = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    tx, ty = x0 + (x1 - x0) * 25 / d, y0 + (y1 - y0) * 25 / d  # 25 px (~15 m) into B
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Preview").click()
    table = page.locator("#plan-impact-table")
    table.wait_for(timeout=20_000)
    assert table.locator(f"td[title^='{a}']").count() == 1
    assert table.locator(f"td[title^='{b}']").count() == 1
    page.wait_for_selector("text=Every check passed", timeout=5_000)
    page.fill("#plan-reason", "school gate moved to the east side")
    page.screenshot(path=str(README_SHOT))
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("#plan-msg:has-text('Saved change')", timeout=20_000)
    history = page.locator("#plan-history")
    history.locator("text=school gate moved").first.wait_for(timeout=10_000)
    with psycopg.connect(planning_db) as c:
        now = c.execute(
            "SELECT version FROM grids WHERE code = %s AND valid_to IS NULL",
            (a,),
        ).fetchone()
        first = c.execute("SELECT min(version) FROM grids WHERE code = %s", (a,)).fetchone()
    assert now is not None and first is not None and now[0] > first[0]
    # Restore the version before the change: preview, then save with a reason.
    page.locator(f"#plan-history li:has(b:text-is('v{now[0] - 1}')) button").click()
    table.wait_for(timeout=20_000)
    page.wait_for_selector("text=Every check passed", timeout=10_000)
    page.fill("#plan-reason", "undo: the gate stays")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("#plan-msg:has-text('Saved change')", timeout=20_000)
    history.locator("text=undo: the gate stays").first.wait_for(timeout=10_000)
    community = page.locator("#plan-community-history").inner_text()
    assert "restore" in community and "edit" in community and "school gate" in community
    with psycopg.connect(planning_db) as c:
        back = c.execute(
            "SELECT ST_AsBinary(geom) FROM grids WHERE code = %s AND valid_to IS NULL", (a,)
        ).fetchone()
        kinds = [r[0] for r in c.execute(
            "SELECT kind FROM grid_changes WHERE %s = ANY(codes) ORDER BY id DESC LIMIT 2", (a,)
        )]  # fmt: skip
    assert back is not None
    assert shapely.from_wkb(back[0]).symmetric_difference(shapely.from_wkb(a_wkb)).area < 1e-12
    assert kinds == ["restore", "edit"]
    assert re.search(r"v\d+", history.inner_text())


def test_coverage_what_if_and_siting(page, planning_url: str, planning_db: str) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(planning_db) as c:
        before = c.execute(
            "SELECT code, ST_X(geom), ST_Y(geom) FROM platforms ORDER BY id"
        ).fetchall()
    page.goto(f"{planning_url}/planning?lang=en")
    with page.expect_response(lambda r: "/api/planning/coverage.geojson" in r.url,
                              timeout=60_000) as asked:  # fmt: skip
        page.locator(".tab:has-text('Coverage')").first.click()
    hexes = asked.value.json()  # the hexagons in the map's view, not all of them
    assert asked.value.status == 200 and hexes["features"] and hexes["in_view"] > 0
    box = [float(v) for v in re.search(r"bbox=([^&]+)", asked.value.url)[1].split(",")]  # type: ignore[index]
    xs = [p[0] for f in hexes["features"] for p in f["geometry"]["coordinates"][0]]
    assert box[0] - 0.02 < min(xs) and max(xs) < box[2] + 0.02
    kpis = page.locator("#cov-kpis")
    kpis.locator(".gd-kpi").first.wait_for(timeout=60_000)
    first = kpis.inner_text()
    assert re.search(r"People covered\s+\d+\.\d%", first)
    assert page.locator(".gd-site").count() == len(before)
    page.wait_for_timeout(500)
    marker = page.locator(".gd-site").first
    box = marker.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 10, steps=4)
    page.mouse.move(x + 90, y + 45, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "t => document.querySelector('#cov-kpis').innerText !== t", arg=first, timeout=15_000
    )
    assert "*" in page.inner_text("#cov-list")  # the moved platform is marked unsaved
    with psycopg.connect(planning_db) as c:  # nothing saved yet
        assert (
            c.execute("SELECT code, ST_X(geom), ST_Y(geom) FROM platforms ORDER BY id").fetchall()
            == before
        )
    moved_text = kpis.inner_text()
    page.locator("#cov-units input").check()  # from the patrol cars on the street instead
    page.wait_for_function(
        "t => document.querySelector('#cov-kpis').innerText !== t", arg=moved_text, timeout=30_000
    )
    page.locator("#cov-units input").uncheck()
    page.fill("#cov-k", "2")
    page.get_by_role("button", name="Propose k platforms").click()
    page.wait_for_selector("#cov-site-result:has-text('candidates')", timeout=60_000)
    assert page.get_by_role("button", name="Use the proposal").is_enabled()
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector("#cov-msg:has-text('1 moved')", timeout=15_000)
    with psycopg.connect(planning_db) as c:
        after = c.execute(
            "SELECT code, ST_X(geom), ST_Y(geom) FROM platforms ORDER BY id"
        ).fetchall()
        audit = c.execute(
            "SELECT count(*) FROM audit_log WHERE entity = 'platform' AND action = 'moved' "
            "AND entity_id = %s", (before[0][0],)
        ).fetchone()  # fmt: skip
        # put it back for the other tests
        c.execute(
            "UPDATE platforms SET geom = ST_SetSRID(ST_MakePoint(%s, %s), 4326) WHERE code = %s",
            (before[0][1], before[0][2], before[0][0]),
        )
    assert after[0][0] == before[0][0] and after[0][1:] != before[0][1:]
    assert after[1:] == before[1:] and audit is not None and audit[0] >= 1


def test_import_a_boundary_set_shows_the_diff_and_applies(  # type: ignore[no-untyped-def]
    page, planning_url: str, planning_db: str, tmp_path: Path
) -> None:
    a, b, *_ = shared_vertex(planning_db)
    with psycopg.connect(planning_db) as c:
        rows = c.execute(
            "SELECT code, name, type, community_code, households, population, zone_class, "
            "ST_AsGeoJSON(geom) FROM grids WHERE valid_to IS NULL AND community_code = "
            "(SELECT community_code FROM grids WHERE code = %s AND valid_to IS NULL)",
            (a,),
        ).fetchall()
        merged = c.execute(
            "SELECT ST_AsGeoJSON(ST_Multi(ST_Union(geom))) FROM grids "
            "WHERE valid_to IS NULL AND code IN (%s, %s)",
            (a, b),
        ).fetchone()
    assert merged is not None
    feats = []
    for code, name, typ, comm, hh, pop, zone, gj in rows:
        if code == b:
            continue  # merged into a
        feats.append({
            "type": "Feature",
            "geometry": json.loads(merged[0] if code == a else gj),
            "properties": {"code": code, "name": name, "type": typ, "community_code": comm,
                           "households": hh, "population": pop, "zone_class": zone},
        })  # fmt: skip
    path = tmp_path / "boundaries.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    page.add_init_script("""
        window.importShown = 0;  // the import runs as a background job: its bar shows
        new MutationObserver(() => {
            const j = document.getElementById('plan-import-job');
            if (j && j.style.display === 'flex') { window.importShown += 1; }
        }).observe(document, {subtree: true, attributes: true, attributeFilter: ['style']});
    """)
    page.goto(f"{planning_url}/planning?lang=en")
    page.locator("#plan-upload input[type=file]").set_input_files(str(path))
    summary = page.locator("#plan-diff-summary")
    summary.wait_for(timeout=30_000)
    assert page.evaluate("() => window.importShown") > 0
    text = summary.inner_text()
    assert "0 added, 1 removed, 1 changed" in text, text
    page.wait_for_selector("text=Every check passed", timeout=5_000)
    page.fill("#plan-reason", "2027 community boundary set")
    page.get_by_role("button", name="Save as a new version").click()
    page.wait_for_selector("#plan-msg:has-text('Saved change')", timeout=20_000)
    with psycopg.connect(planning_db) as c:
        kind = c.execute(
            "SELECT kind FROM grid_changes WHERE %s = ANY(codes) ORDER BY id DESC LIMIT 1", (b,)
        ).fetchone()
        gone = c.execute(
            "SELECT count(*) FROM grids WHERE code = %s AND valid_to IS NULL", (b,)
        ).fetchone()
    assert kind == ("import",) and gone == (0,)
