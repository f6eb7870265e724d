"""A database that turns read-only, through the real app: a write gets a clean 503 in the
user's language (with Retry-After) and writes nothing, reads keep working, and writes work
again as soon as the database is writable, with no restart."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg import sql

from console.server import state
from tests.db.conftest import count, make_token


@pytest.fixture()
def token(db_conninfo: str) -> dict[str, str]:
    return make_token(db_conninfo, "incidents:read", "incidents:write")


@pytest.fixture()
def read_only(db_conninfo: str, token: dict[str, str]) -> Iterator[None]:
    """New connections to the test database are read-only (as after a failover to a standby,
    or an operator guarding a full disk) until the fixture ends."""
    turn(db_conninfo, read_only=True)
    try:
        yield
    finally:
        turn(db_conninfo, read_only=False)


def turn(conninfo: str, *, read_only: bool) -> None:
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute("SET default_transaction_read_only = off")  # this session may change it
        change = "SET default_transaction_read_only = on" if read_only else "RESET ALL"
        c.execute(sql.SQL("ALTER DATABASE {} " + change).format(sql.Identifier(c.info.dbname)))


def test_read_only_database_gives_503_and_recovers_without_restart(  # type: ignore[no-untyped-def]
    client: TestClient, db_conninfo: str, spot, token: dict[str, str], read_only, monkeypatch
) -> None:
    monkeypatch.setattr(state, "READ_ONLY_PROBE_S", 0.0)  # look again on every request
    case = {"lon": spot[0], "lat": spot[1], "category": "noise", "priority": "yellow",
            "source": "hotline_12345", "description": "read-only drill"}  # fmt: skip
    pool = state.pool(client.app.state.settings)
    pool.drain()  # the console's connections are now made while the database is read-only
    before = count(db_conninfo, "SELECT count(*) FROM incidents")
    zh = client.post("/api/v1/incidents", json=case, headers={**token, "Accept-Language": "zh-CN"})
    en = client.post("/api/v1/incidents", json=case, headers={**token, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 503, (zh.text, en.text)
    assert "只读" in zh.json()["error"] and "read-only" in en.json()["error"]
    assert "Traceback" not in zh.text and en.headers["Retry-After"]
    assert client.get("/api/v1/incidents?limit=1", headers=token).status_code == 200  # reads go on
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before
    turn(db_conninfo, read_only=False)  # writable again: the next write works
    r = client.post("/api/v1/incidents", json=case, headers=token)
    assert r.status_code == 201, r.text
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before + 1
