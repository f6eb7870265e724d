"""`make run`'s set-up: migrate and load the demo once; running it again duplicates nothing."""

from __future__ import annotations

from psycopg import sql

from console import settings as settings_mod
from console.__main__ import init_db
from geo.db import connect
from tests.conftest import fresh_database

TABLES = ("admin_units", "grids", "platforms", "units", "incidents", "incident_events",
          "dispatches", "roads")  # fmt: skip


def _counts(conninfo: str) -> dict[str, int]:
    with connect(conninfo) as conn:
        count = sql.SQL("SELECT count(*) FROM {}")
        return {t: conn.execute(count.format(sql.Identifier(t))).fetchone()[0] for t in TABLES}  # type: ignore[index]


def test_init_db_loads_once(cluster) -> None:  # type: ignore[no-untyped-def]
    conninfo = fresh_database(cluster, "gd_setup_test")
    cfg = settings_mod.replace(settings_mod.load(), database_url=conninfo, demo_size="tiny")
    init_db(cfg)
    first = _counts(conninfo)
    assert all(first[t] > 0 for t in TABLES), first
    init_db(cfg)
    assert _counts(conninfo) == first
    with connect(conninfo) as conn:
        info = conn.execute("SELECT value FROM dataset_info WHERE key = 'demo'").fetchone()
        assert info is not None and info[0]["size"] == "tiny" and info[0]["synthetic"] is True
        audit = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'demo.load'").fetchone()
        assert audit == (1,)


def test_demo_replace_wipes_everything_that_points_at_the_city(cluster) -> None:  # type: ignore[no-untyped-def]
    """`make demo` over a city that has been worked on (dispatches, a mass task, a grid
    change): one TRUNCATE must name every table that references the city."""
    from data.demo import generate
    from data.demo.load import load

    conninfo = fresh_database(cluster, "gd_setup_test")
    city = generate("tiny", 7)
    with connect(conninfo) as conn:
        load(conn, city)
        conn.execute("INSERT INTO mass_tasks (title, deadline) VALUES ('t', now()) ")
        conn.commit()
        load(conn, city, replace=True)
        conn.commit()
    assert _counts(conninfo)["dispatches"] == len(city.dispatches) > 0
