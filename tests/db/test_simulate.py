"""The simulator against a real console: it opens cases through the API, its automatic
operator dispatches them, its units drive there, resolve and the cases are closed; its
positions land in the tracker history; it prints SLA compliance and revokes its token."""

from __future__ import annotations

import datetime as dt

import numpy as np
import psycopg

from data import simulate
from tests.db.conftest import count


def test_a_unit_moves_along_its_path() -> None:
    m = simulate.Mover(1, "X", "car", 27.80, 113.10)
    m.path_lat = np.array([27.80, 27.80, 27.81])
    m.path_lng = np.array([113.10, 113.11, 113.11])
    m.path_t = np.array([0.0, 100.0, 200.0])
    m.started = 1000.0
    lat, lng, speed = m.at(1050.0)
    assert (lat, round(lng, 6)) == (27.80, 113.105) and 9 < speed < 11  # ~985 m / 100 s
    assert m.at(1300.0)[:2] == (27.81, 113.11) and m.arrived(1300.0) and not m.arrived(1150.0)


def test_sla_report_counts_only_clocks_that_ran_out() -> None:
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    t = lambda minutes: (now + dt.timedelta(minutes=minutes)).isoformat()  # noqa: E731 - a one-line helper
    rows = [
        {"respond_due": t(-5), "claimed_at": t(-6)},  # met
        {"respond_due": t(-5), "claimed_at": t(-4)},  # late
        {"respond_due": t(-5), "claimed_at": None},  # ran out
        {"respond_due": t(5), "claimed_at": None},  # still running: not judged
        {"respond_due": None},  # no such clock
    ]
    text = simulate.sla_report(rows, simulate.Tally(), now)
    assert "respond (claimed)           1 / 3    on time  33%" in text


def test_the_demo_runs_by_itself(console_url: str, db_conninfo: str) -> None:
    before = count(db_conninfo, "SELECT count(*) FROM unit_positions")
    args = [
        "--url", console_url, "--db", db_conninfo, "--units", "30", "--rate", "1800",
        "--dispatch", "--warp", "40", "--scene", "0", "5", "--every", "0.5", "--minutes", "0.4",
    ]  # fmt: skip
    assert simulate.main(args) == 0
    with psycopg.connect(db_conninfo) as c:
        token = c.execute(
            "SELECT name, revoked_at IS NOT NULL FROM api_tokens "
            "WHERE name LIKE 'simulator-%' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert token is not None and token[1]  # revoked when it stopped
        actor = f"api:{token[0]}"
        created = c.execute(
            "SELECT count(*) FROM incident_events WHERE actor = %s AND action = 'create'",
            (actor,),
        ).fetchone()[0]  # type: ignore[index]
        closed = c.execute(
            "SELECT count(*) FROM incidents i WHERE status = 'closed' AND EXISTS (SELECT 1 "
            "FROM incident_events e WHERE e.incident_id = i.id AND e.actor = %s "
            "AND e.action = 'create')",
            (actor,),
        ).fetchone()[0]  # type: ignore[index]
    assert created >= 3, created
    assert closed >= 1, (created, closed)
    assert count(db_conninfo, "SELECT count(*) FROM unit_positions") > before + 100
