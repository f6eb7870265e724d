"""The escalation runner: one round, the one-worker lock, the thread, and the app lifespan."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from console import settings as settings_mod
from console.app import create_app
from console.server import jobs, state
from geo import incidents, intake
from geo.db import connect, transaction


def cfg(**changes: Any) -> settings_mod.Settings:
    return settings_mod.replace(settings_mod.load({}), **changes)


def new_case(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
        "WHERE valid_to IS NULL ORDER BY code LIMIT 1) x"
    ).fetchone()
    assert row is not None
    with transaction(conn, "operator:test") as c:
        report = intake.Report(lon=row[0], lat=row[1], category="noise", priority="blue",
                               source="operator")  # fmt: skip
        inc, _ = intake.open_case(conn=c, report=report, boundary_m=30)
    return int(inc["id"])


def waited(conn: psycopg.Connection, incident_id: int, minutes: float) -> None:
    """Back-date the report (now() is the start of the test's transaction)."""
    conn.execute(
        "UPDATE incidents SET reported_at = now() - make_interval(secs => %(s)s) WHERE id = %(i)s",
        {"s": minutes * 60, "i": incident_id},
    )


def level(conn: psycopg.Connection, incident_id: int) -> str:
    return str(incidents.get(conn=conn, incident_id=incident_id)["escalation_level"])


def wait_for(cond: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_rounds_follow_the_steps(conn: psycopg.Connection) -> None:
    runner = jobs.EscalationRunner(cfg(escalation_min="5,15,30"))
    inc = new_case(conn)
    assert inc not in runner.run_once(conn) and level(conn, inc) == "grid"
    waited(conn, inc, 6)
    assert inc in runner.run_once(conn) and level(conn, inc) == "community"
    assert inc not in runner.run_once(conn) and level(conn, inc) == "community"
    waited(conn, inc, 16)
    assert inc in runner.run_once(conn) and level(conn, inc) == "street"
    ev = conn.execute(
        "SELECT actor, after->>'level' FROM incident_events "
        "WHERE incident_id = %(i)s AND action = 'escalate' ORDER BY id",
        {"i": inc},
    ).fetchall()
    assert ev == [(jobs.ACTOR, "community"), (jobs.ACTOR, "street")]


def test_other_steps_and_accepted_cases(conn: psycopg.Connection) -> None:
    runner = jobs.EscalationRunner(cfg(escalation_min="2"))
    inc = new_case(conn)
    waited(conn, inc, 600)
    runner.run_once(conn)
    assert level(conn, inc) == "community"  # one step only: community is the top here
    other = new_case(conn)
    conn.execute("UPDATE incidents SET accepted_at = now() WHERE id = %(i)s", {"i": other})
    waited(conn, other, 600)
    assert other not in runner.run_once(conn) and level(conn, other) == "grid"


def test_only_one_worker_escalates_at_a_time(conn: psycopg.Connection, db_conninfo: str) -> None:
    runner = jobs.EscalationRunner(cfg())
    inc = new_case(conn)
    waited(conn, inc, 20)
    with connect(db_conninfo) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%(k)s)", {"k": jobs.LOCK_KEY})
        assert runner.run_once(conn) == []
        assert level(conn, inc) == "grid"
        holder.rollback()  # the other worker's round ends
        assert inc in runner.run_once(conn)
    assert level(conn, inc) == "street"


def test_a_round_with_a_pool_commits(db_conninfo: str) -> None:
    """run_once on a pool opens, and commits, its own transaction (nothing due: no change)."""
    from geo.db import open_pool

    pool = open_pool(db_conninfo, max_size=1)
    try:
        with connect(db_conninfo) as holder:  # the lock held elsewhere: nothing is touched
            holder.execute("SELECT pg_advisory_lock(%(k)s)", {"k": jobs.LOCK_KEY})
            assert jobs.EscalationRunner(cfg()).run_once(pool) == []
            holder.execute("SELECT pg_advisory_unlock(%(k)s)", {"k": jobs.LOCK_KEY})
        with pool.connection() as c:
            assert c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        pool.close()


def test_the_thread_survives_errors_and_stops_promptly(
    conn: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    inc = new_case(conn)
    waited(conn, inc, 6)
    calls = {"n": 0}

    def source() -> psycopg.Connection:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return conn

    runner = jobs.EscalationRunner(cfg(), source=source, interval_s=0.05)
    caplog.set_level(logging.ERROR, logger="console.server.jobs")
    assert runner.start() and runner.start()  # idempotent
    try:
        assert wait_for(lambda: runner.runs >= 3)
    finally:
        runner.stop()
    assert not runner.running
    assert runner.failures == 1 and "griddispatch-escalation: round failed" in caplog.text
    assert level(conn, inc) == "community"
    names = [t.name for t in threading.enumerate()]
    assert jobs.THREAD_NAME not in names

    slow = jobs.EscalationRunner(cfg(), source=lambda: conn)  # every 30 s
    assert slow.start()
    t0 = time.monotonic()
    slow.stop()
    assert time.monotonic() - t0 < 1.0 and not slow.running and slow.runs == 0


def test_zero_disables_the_runner() -> None:
    runner = jobs.EscalationRunner(cfg(escalation_every_s=0))
    assert not runner.start() and not runner.running
    runner.stop()  # harmless


# ---------------------------------------------------------------- wired into the ASGI app
@pytest.fixture()
def lock_held(db_conninfo: str) -> Iterator[None]:
    """Another 'worker' holds the escalation lock, so the app's rounds change nothing in the
    shared test database."""
    with connect(db_conninfo, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%(k)s)", {"k": jobs.LOCK_KEY})
        yield
        holder.execute("SELECT pg_advisory_unlock(%(k)s)", {"k": jobs.LOCK_KEY})


def test_runner_starts_and_stops_with_the_server(db_conninfo: str, lock_held: None) -> None:
    state.close()
    try:
        app = create_app(cfg(database_url=db_conninfo, escalation_every_s=1))
        runner = app.server.state.escalation_runner
        assert not runner.running
        with TestClient(app.server) as client:
            assert runner.running
            assert client.get("/healthz").status_code == 200
            assert wait_for(lambda: runner.runs >= 1, timeout=5)
        assert not runner.running and runner.failures == 0
        assert jobs.THREAD_NAME not in [t.name for t in threading.enumerate()]

        off = create_app(cfg(database_url=db_conninfo, escalation_every_s=0))
        with TestClient(off.server):
            assert not off.server.state.escalation_runner.running
    finally:
        state.close()


def test_a_worker_is_warm_and_sized_before_it_serves(db_conninfo: str, lock_held: None) -> None:
    """The travel graph and the unit snapshot are built at start, before /healthz says ready:
    no user pays for a cold cache; the request threads follow GD_CALLBACK_THREADS."""
    import asyncio

    state.close()
    state._graphs = None  # noqa: SLF001 - a cold process
    state._units.clear()  # noqa: SLF001
    state._warm.clear()  # noqa: SLF001
    try:
        app = create_app(cfg(database_url=db_conninfo, callback_threads=3))
        assert not state.ready()
        with TestClient(app.server) as client:
            assert state.ready()
            graphs = state._graphs  # noqa: SLF001
            assert graphs is not None and graphs._graph is not None  # noqa: SLF001
            assert "all" in state._units  # noqa: SLF001
            assert client.get("/healthz").json() == {"status": "ok"}

            async def executor_size() -> int:
                return asyncio.get_running_loop()._default_executor._max_workers  # type: ignore[union-attr]  # noqa: SLF001

            assert client.portal.call(executor_size) == 3  # type: ignore[union-attr]
    finally:
        state.close()
