"""Shared fixtures: a real PostGIS test database holding the tiny demo city.

The database is the embedded cluster's ``griddispatch_test`` (created afresh once per test
session), or ``GD_TEST_DATABASE_URL`` when set (it is emptied: never point it at real data).
Tests in tests/db and tests/browser are marked automatically.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from console import settings as settings_mod
from geo.db import EmbeddedCluster, connect, migrate

TEST_DB = os.environ.get("GD_TEST_DB_NAME", "griddispatch_test")  # another for a parallel run
TEST_NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
TEST_SEED = 7


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "db" in parts:
            item.add_marker(pytest.mark.db)
        if "browser" in parts:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.db)
        if "bench" in parts:
            item.add_marker(pytest.mark.bench)


@pytest.fixture(scope="session")
def settings() -> settings_mod.Settings:
    return settings_mod.load()


@pytest.fixture(scope="session")
def cluster(settings: settings_mod.Settings) -> Iterator[EmbeddedCluster | None]:
    """The embedded cluster, started for the session (and stopped after if we started it)."""
    if os.environ.get("GD_TEST_DATABASE_URL"):
        yield None
        return
    c = EmbeddedCluster(settings.var_dir / "pg", settings.pg_bindir, settings.pg_port)
    was_running = c.running()
    c.start()
    yield c
    if not was_running:
        c.stop()


def fresh_database(cluster: EmbeddedCluster | None, name: str) -> str:
    """Conninfo of an empty, migrated database ``name``."""
    url = os.environ.get("GD_TEST_DATABASE_URL")
    if url:
        with psycopg.connect(url, autocommit=True) as c:
            c.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
        conninfo = url
    else:
        assert cluster is not None
        cluster.drop_database(name)
        cluster.ensure_database(name)
        conninfo = cluster.conninfo(name)
    with connect(conninfo) as conn:
        migrate(conn)
        conn.commit()
    return conninfo


@pytest.fixture(scope="session")
def tiny_city():  # type: ignore[no-untyped-def]
    from data.demo import generate

    return generate("tiny", TEST_SEED, TEST_NOW)


@pytest.fixture(scope="session")
def db_conninfo(cluster: EmbeddedCluster | None, tiny_city) -> str:  # type: ignore[no-untyped-def]
    """A migrated test database holding the tiny demo city."""
    from data.demo.load import load

    conninfo = fresh_database(cluster, TEST_DB)
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    return conninfo


@pytest.fixture()
def conn(db_conninfo: str) -> Iterator[psycopg.Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    c = connect(db_conninfo)
    c.execute("SELECT 1")  # open the outer transaction: code under test gets savepoints
    try:
        yield c
    finally:
        c.rollback()
        c.close()
