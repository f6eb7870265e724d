"""Security headers on every response; CORS closed unless GD_CORS_ORIGINS opens it."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import security, state


def test_pages_and_api_carry_the_headers(client: TestClient) -> None:
    for path in ("/dispatch", "/api/v1/openapi.json", "/healthz", "/api/v1/incidents/1"):
        r = client.get(path)
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert not re.search(r"https?://", csp), csp  # no CDN, no outside origin
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_cors_is_closed_by_default(client: TestClient) -> None:
    pre = client.options(
        "/api/v1/incidents",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in pre.headers
    r = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_opens_only_to_the_configured_origins(db_conninfo: str) -> None:
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo,
                               cors_origins="https://app.example.org")  # fmt: skip
    with TestClient(create_app(cfg).server) as c:
        ok = c.options(
            "/api/v1/incidents",
            headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"},
        )
        bad = c.options(
            "/api/v1/incidents",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    state.close()
    assert ok.headers.get("access-control-allow-origin") == "https://app.example.org"
    assert "access-control-allow-origin" not in bad.headers


def test_tile_servers_are_the_only_outside_image_origin() -> None:
    base = settings_mod.load()
    assert "img-src 'self' data: blob:;" in security.policy(base)
    tiles = settings_mod.replace(
        base, tile_url="https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png"
    )
    assert "img-src 'self' data: blob: https://*.tiles.example.org:8443;" in security.policy(tiles)
    assert security._origin("javascript:alert(1)") == ""  # noqa: SLF001 - a unit test of the helper
