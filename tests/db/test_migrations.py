"""Migrations from empty, idempotent re-runs and the constraints that protect the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from geo.db import connect, migrate, pending_migrations
from geo.db.migrate import SQL_DIR, all_migrations
from tests.conftest import fresh_database


def test_from_empty_and_idempotent(cluster) -> None:  # type: ignore[no-untyped-def]
    conninfo = fresh_database(cluster, "gd_migrate_test")
    with connect(conninfo) as conn:
        versions = [m.version for m in all_migrations()]
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert [r[0] for r in rows] == versions
        assert pending_migrations(conn) == []
        assert migrate(conn) == []  # second run applies nothing
        conn.commit()
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        assert {
            "admin_units",
            "grids",
            "platforms",
            "units",
            "incidents",
            "incident_events",
            "unit_positions",
            "roads",
            "water",
            "audit_log",
        } <= tables
        n = conn.execute("SELECT count(*) FROM categories").fetchone()
        assert n is not None and n[0] >= 15


def test_changed_migration_is_refused(cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    conninfo = fresh_database(cluster, "gd_migrate_test")
    sql_dir = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql_dir)
    first = sorted(sql_dir.glob("001_*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited\n")
    with (
        connect(conninfo) as conn,
        pytest.raises(RuntimeError, match="changed after it was applied"),
    ):
        migrate(conn, sql_dir)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE grids SET type = 'castle' WHERE id = (SELECT min(id) FROM grids)",
        "UPDATE grids SET households = -1 WHERE id = (SELECT min(id) FROM grids)",
        "UPDATE incidents SET priority = 'green' WHERE id = 1",
        "UPDATE incidents SET status = 'lost' WHERE id = 1",
        "UPDATE units SET status = 'napping' WHERE id = 1",
        "UPDATE grids SET geom = ST_Multi(ST_GeomFromText("
        "'POLYGON((113 27, 113.01 27.01, 113 27.01, 113.01 27, 113 27))', 4326)) "
        "WHERE id = (SELECT min(id) FROM grids)",
        "INSERT INTO admin_units (code, name, level, parent_code, path, geom) SELECT "
        "'12', 'x', 'street', '430200', '430200.12', geom FROM admin_units WHERE level = 'city'",
        "UPDATE incident_events SET action = 'tampered' WHERE id = 1",
        "DELETE FROM incident_events WHERE id = 1",
        "DELETE FROM audit_log",
    ],
)
def test_constraints_refuse_bad_rows(conn: psycopg.Connection, sql: str) -> None:
    with pytest.raises(psycopg.Error), conn.transaction():
        conn.execute(sql)
    # The transaction is still usable: nothing was half-written.
    assert conn.execute("SELECT count(*) FROM grids").fetchone()[0] > 0  # type: ignore[index]


def test_current_grid_codes_are_unique(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        conn.execute(
            "INSERT INTO grids (code, name, type, community_code, path, geom) "
            "SELECT code, name, type, community_code, path, geom FROM grids LIMIT 1"
        )
    # A closed historical version with the same code is allowed.
    conn.execute(
        "INSERT INTO grids (code, name, type, community_code, path, geom, valid_from, valid_to) "
        "SELECT code, name, type, community_code, path, geom, now() - interval '2 days', "
        "now() - interval '1 day' FROM grids LIMIT 1"
    )


def test_transaction_records_the_actor(conn: psycopg.Connection) -> None:
    from geo.db import transaction

    with transaction(conn, "operator:alice") as c:
        c.execute("INSERT INTO audit_log (entity, action) VALUES ('test', 'ping')")
    row = conn.execute("SELECT actor FROM audit_log WHERE entity = 'test'").fetchone()
    assert row == ("operator:alice",)
    with pytest.raises(ValueError):
        with transaction(conn, ""):
            pass
