"""Shared by the API tests: the real FastAPI app on the test database, tokens, a spot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import state
from geo.access import tokens
from geo.db import connect
from tests._auth import signed_in
from tests.browser.conftest import console_url  # noqa: F401 - a real console, shared


@pytest.fixture(scope="module")
def client(db_conninfo: str) -> Iterator[TestClient]:
    state.close()
    cfg = settings_mod.replace(settings_mod.load(), database_url=db_conninfo, escalation_every_s=0)
    with TestClient(create_app(cfg).server) as c:
        yield signed_in(c, db_conninfo)
    state.close()


@pytest.fixture(scope="session")
def spot(db_conninfo: str) -> tuple[float, float, str]:
    """(lon, lat, grid code): inside the last grid, away from the browser tests' spot."""
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT ST_X(p), ST_Y(p), code FROM (SELECT code, ST_PointOnSurface(geom) p, id "
            "FROM grids WHERE valid_to IS NULL ORDER BY id DESC LIMIT 1) g"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def make_token(db_conninfo: str, *scopes: str, name: str | None = None) -> dict[str, str]:
    with connect(db_conninfo) as c:
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        secret = tokens.create(conn=c, name=name, scopes=list(scopes))
        c.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture(scope="module")
def writer(db_conninfo: str) -> dict[str, str]:
    return make_token(db_conninfo, "incidents:read", "incidents:write", "units:write")


def count(db_conninfo: str, sql: str) -> int:
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
