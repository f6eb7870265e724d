"""Position history by day (issue 19): unit_positions is partitioned by UTC day; a fix for a
day not made yet is stored (the application role makes its partition); days past retention
are dropped whole, audited, without stalling trackers' inserts; replay reads only its days.
On a database of its own (days are made and dropped here)."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from console import settings as settings_mod
from console.server import state
from geo import avl, retention
from geo.db import connect, transaction
from geo.errors import InvalidInput
from tests.conftest import fresh_database

DB = "griddispatch_test_retention"
NOW = dt.datetime.now(dt.UTC)
TODAY = NOW.date()


@pytest.fixture(scope="module")
def owner(cluster, tiny_city) -> Iterator[str]:  # type: ignore[no-untyped-def]
    from data.demo.load import load

    conninfo = fresh_database(cluster, DB)
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    yield conninfo
    if cluster is not None and not os.environ.get("GD_KEEP_TEST_DB"):
        cluster.drop_database(DB)


@pytest.fixture(scope="module")
def app(owner: str) -> str:
    """The same database as the application role (owns nothing, as the console connects)."""
    return state.app_conninfo(settings_mod.replace(settings_mod.load(), database_url=owner))


def unit(conninfo: str, nth: int = 0) -> tuple[int, float, float]:
    with psycopg.connect(conninfo) as c:
        row = c.execute(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM units ORDER BY id OFFSET %s LIMIT 1", (nth,)
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def store(conninfo: str, times: list[dt.datetime], *, keep_days: int = 90) -> int:
    uid, x, y = unit(conninfo.replace("user=griddispatch_app", "user=postgres"))
    with psycopg.connect(conninfo) as c, transaction(c, "test:tracker", scope="all", role="system"):
        return avl.ingest(
            conn=c, units=[uid] * len(times), lon=[x] * len(times), lat=[y] * len(times),
            times=times, speed=[None] * len(times), heading=[None] * len(times),
            region_bbox=None, keep_days=keep_days,
        )  # fmt: skip


def day_names(conninfo: str) -> list[str]:
    with psycopg.connect(conninfo) as c:
        return [d.name for d in retention.days(c)]


def name_of(day: dt.date) -> str:
    return f"unit_positions_{day:%Y%m%d}"


def test_the_history_is_partitioned_by_day_with_a_brin_index(owner: str) -> None:
    with psycopg.connect(owner) as c:
        kind = c.execute("SELECT relkind FROM pg_class WHERE relname = 'unit_positions'").fetchone()
        methods = {r[0] for r in c.execute(
            "SELECT am.amname FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = x.relam WHERE i.indrelid = 'unit_positions'::regclass"
        )}  # fmt: skip
    assert kind == ("p",) and methods == {"btree", "brin"}
    names = day_names(owner)
    for ahead in range(retention.AHEAD_DAYS + 1):  # today and the coming days, made ahead
        assert name_of(TODAY + dt.timedelta(days=ahead)) in names


def test_a_fix_for_a_day_not_made_yet_is_stored_by_the_app_role(app: str, owner: str) -> None:
    day = TODAY - dt.timedelta(days=40)
    assert name_of(day) not in day_names(owner)
    at = dt.datetime.combine(day, dt.time(23, 59, 59), dt.UTC)
    assert store(app, [at, at + dt.timedelta(seconds=2)]) == 2  # spans two days
    names = day_names(owner)
    assert name_of(day) in names and name_of(day + dt.timedelta(days=1)) in names
    with psycopg.connect(owner) as c:
        got = c.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name_of(day)))
        ).fetchone()
    assert got == (1,)


def test_a_fix_older_than_the_kept_history_is_refused(app: str) -> None:
    with pytest.raises(InvalidInput) as err:
        store(app, [NOW - dt.timedelta(days=8)], keep_days=7)
    assert err.value.code == "avl.old"


def test_retention_drops_old_days_whole_and_audits_each(owner: str, app: str) -> None:
    old = [TODAY - dt.timedelta(days=d) for d in (12, 11, 10)]
    store(app, [dt.datetime.combine(d, dt.time(12), dt.UTC) for d in old for _ in range(5)])
    with psycopg.connect(owner) as c:
        c.execute("ANALYZE unit_positions")
    kept_before = [n for n in day_names(owner) if n >= name_of(TODAY - dt.timedelta(days=9))]
    done = retention.housekeep(owner, keep_days=10, now=NOW)
    assert done is not None and done["dropped"] >= 3
    names = day_names(owner)
    assert not any(n < name_of(TODAY - dt.timedelta(days=9)) for n in names)
    assert [n for n in names if n in kept_before] == kept_before  # nothing kept was touched
    with psycopg.connect(owner) as c:
        audits = c.execute(
            "SELECT entity_id, actor, before FROM audit_log WHERE entity = 'unit_positions' "
            "AND action = 'retention_drop' ORDER BY id"
        ).fetchall()
        left = c.execute(
            "SELECT count(*) FROM unit_positions WHERE time < %(t)s",
            {"t": dt.datetime.combine(TODAY - dt.timedelta(days=9), dt.time(), dt.UTC)},
        ).fetchone()
    assert left == (0,)
    by_day = {a[0]: a for a in audits}
    for d in old:
        day, actor, before = by_day[d.isoformat()]
        assert actor == retention.ACTOR
        assert before["table"] == name_of(d) and before["rows_estimate"] == 5
        assert before["keep_days"] == 10 and before["bytes"] > 0
    assert retention.housekeep(owner, keep_days=10, now=NOW) == {
        "made": 0, "dropped": 0, "keys_forgotten": 0}  # fmt: skip


def test_dropping_a_day_does_not_stall_trackers(owner: str, app: str) -> None:
    """A tracker's transaction is open on the history while a day is dropped: the drop waits
    for it, and meanwhile other trackers' inserts go through (a plain DROP would queue them
    all behind its lock)."""
    old = TODAY - dt.timedelta(days=30)
    store(app, [dt.datetime.combine(old, dt.time(8), dt.UTC)])
    uid, x, y = unit(owner)
    holder = psycopg.connect(app)
    with transaction(holder, "test:tracker", scope="all", role="system"):
        avl.ingest(conn=holder, units=[uid], lon=[x], lat=[y], times=[NOW], speed=[None],
                   heading=[None], region_bbox=None)  # fmt: skip
        result: dict[str, object] = {}
        dropper = threading.Thread(
            target=lambda: result.update(done=retention.housekeep(owner, keep_days=20, now=NOW))
        )
        dropper.start()
        with psycopg.connect(owner, autocommit=True) as watch:  # the drop waits for the tracker
            for _ in range(200):
                waiting = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%DETACH PARTITION%' "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()
                if waiting and waiting[0]:
                    break
                dropper.join(0.05)
            assert waiting and waiting[0], "the detach never waited for the open tracker"
        uid, x, y = unit(owner, 1)  # another tracker (the first one's unit row is locked)
        with psycopg.connect(app) as other:
            other.execute("SET lock_timeout = '2s'")
            with transaction(other, "test:tracker2", scope="all", role="system"):
                n = avl.ingest(conn=other, units=[uid], lon=[x], lat=[y], times=[NOW],
                               speed=[None], heading=[None], region_bbox=None)  # fmt: skip
        assert n == 1  # went through while the drop waited
        assert dropper.is_alive()
    holder.close()
    dropper.join(30)
    assert not dropper.is_alive() and result["done"]
    assert name_of(old) not in day_names(owner)


def test_replay_reads_only_the_days_it_needs(owner: str) -> None:
    t0 = dt.datetime.combine(TODAY, dt.time(8), dt.UTC)
    with psycopg.connect(owner) as c:
        c.execute("SET plan_cache_mode = force_generic_plan")  # as a prepared query would run
        plan = c.execute(
            "EXPLAIN (FORMAT JSON, ANALYZE, COSTS OFF) SELECT unit_id, time FROM unit_positions "
            "WHERE time >= %(t0)s AND time < %(t1)s",
            {"t0": t0, "t1": t0 + dt.timedelta(hours=1)},
        ).fetchone()
    assert plan is not None
    scanned = set(_relations(plan[0]))
    assert scanned == {name_of(TODAY)}, scanned
    assert len(day_names(owner)) > 3


def _relations(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if "Relation Name" in node and not node.get("Subplans Removed"):
            yield node["Relation Name"]
        for v in node.values():
            yield from _relations(v)
    elif isinstance(node, list):
        for v in node:
            yield from _relations(v)
    elif isinstance(node, str) and node.startswith("["):
        yield from _relations(json.loads(node))
