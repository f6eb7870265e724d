"""The REST routes, through the real FastAPI app against the test database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import state
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
