"""The REST routes, through the real FastAPI app against the test database."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import state
from geo import maplayers
from tests._auth import signed_in


@pytest.fixture(scope="module")
def client(db_conninfo: str):  # type: ignore[no-untyped-def]
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo)
    app = create_app(cfg)
    with TestClient(app.server) as c:
        yield signed_in(c, db_conninfo)
    state.close()


def test_layers_are_geojson(client: TestClient) -> None:
    r = client.get("/api/layers/grids.geojson")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["features"] and fc["features"][0]["properties"]["code"]


@pytest.mark.parametrize(
    "path,status",
    [
        ("/api/layers/nope.geojson", 404),
        ("/api/layers/..%2Fetc.geojson", 404),
        ("/api/layers/GRIDS;drop.geojson", 422),
        ("/api/grids/abc", 422),
        ("/api/grids/0", 422),
        ("/api/grids/99999999999", 422),
        ("/api/grids/999999", 404),
    ],
)
def test_bad_requests_get_4xx_with_a_message(client: TestClient, path: str, status: int) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert r.json()["error"]


def test_view_layers_send_what_is_in_view(client: TestClient, db_conninfo: str) -> None:
    """A map asks for what meets its view, simplified for its zoom; more than a map can draw
    comes as none, with the count; a bad view is a 400 in the user's language."""
    import psycopg

    with psycopg.connect(db_conninfo) as c:
        w, s, e, n, total = c.execute(
            "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b), k FROM (SELECT "
            "ST_Extent(geom)::geometry b, count(*) k FROM grids WHERE valid_to IS NULL) x"
        ).fetchone()  # type: ignore[misc]
        cx, cy = (w + e) / 2, (s + n) / 2
        quarter = (w, s, cx, cy)
        want = {r[0] for r in c.execute(
            "SELECT code FROM grids WHERE valid_to IS NULL AND geom && "
            "ST_MakeEnvelope(%s, %s, %s, %s, 4326)", quarter)}  # fmt: skip
    whole = client.get("/api/layers/grids.geojson").json()
    part = client.get("/api/layers/grids.geojson",
                      params={"bbox": ",".join(map(str, quarter)), "z": 16}).json()  # fmt: skip
    assert 0 < len(want) < total == len(whole["features"])
    assert {f["properties"]["code"] for f in part["features"]} == want
    assert part["in_view"] == len(want) and part["capped"] is False
    # zoomed out, the outlines are simplified and rounded: smaller, and the same grids
    box = ",".join(map(str, (w, s, e, n)))
    fine = client.get("/api/layers/grids.geojson", params={"bbox": box, "z": 16})
    coarse = client.get("/api/layers/grids.geojson", params={"bbox": box, "z": 10})

    def points(r: Any) -> int:
        def n(c: Any) -> int:
            return 1 if isinstance(c[0], float) else sum(n(x) for x in c)

        return sum(n(f["geometry"]["coordinates"]) for f in r.json()["features"])

    assert points(coarse) < points(fine) / 2 and len(coarse.content) < len(fine.content)
    assert len(coarse.json()["features"]) == total
    with psycopg.connect(db_conninfo) as c:
        capped = maplayers.view_rows(conn=c, name="grids", cap=len(want) - 1,
                                     view=maplayers.View(*quarter, zoom=13))  # fmt: skip
    assert capped.rows == [] and capped.capped and capped.in_view == len(want)
    for bad in ("1,2,3", "a,b,c,d", "10,10,5,20", "0,-95,10,10", "nan,1,2,3"):
        r = client.get("/api/layers/grids.geojson", params={"bbox": bad, "z": 12},
                       headers={"Accept-Language": "zh-CN"})  # fmt: skip
        assert r.status_code == 400, bad
        assert "地图范围无效" in r.json()["error"], r.text


def test_grid_card_route(client: TestClient) -> None:
    gid = client.get("/api/layers/grids.geojson").json()["features"][0]["properties"]["id"]
    card = client.get(f"/api/grids/{gid}").json()
    assert card["id"] == gid and card["community"]


def test_page_is_served_without_external_urls(client: TestClient) -> None:
    html = client.get("/").text
    assert "_dash-config" in html
    for bad in ("unpkg.com", "cdn.jsdelivr", "cdnjs", "googleapis"):
        assert bad not in html


def test_first_visit_to_a_page_gets_the_assets(db_conninfo: str) -> None:
    """Dash walks its assets on its first own request; the page must not depend on that."""
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo)
    with TestClient(create_app(cfg).server) as fresh:
        signed_in(fresh, db_conninfo)
        first = fresh.get("/dispatch").text
        fresh.get("/_dash-layout")
        later = fresh.get("/dispatch").text
    state.close()
    assert "/assets/griddispatch.js" in first and "/assets/style.css" in first
    assert first.count('ns["') == later.count('ns["') >= 4  # every clientside function
