"""Replay tracks read from the database: a unit's fixes thinned per step, its status at the
start and its changes, and the cases open during the window with their step times."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest

from geo import replay
from geo.errors import InvalidInput


def test_window_checks() -> None:
    t = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    assert replay.window(t, t + dt.timedelta(hours=1)).step_s == 10
    assert replay.window(t, t + dt.timedelta(minutes=5)).step_s == 5
    for a, b in [(t, t), (t, t + dt.timedelta(hours=25)), (t.replace(tzinfo=None), t)]:
        with pytest.raises(InvalidInput):
            replay.window(a, b)


def test_tracks_statuses_and_cases(conn: psycopg.Connection) -> None:
    t0 = dt.datetime(2030, 1, 1, 8, tzinfo=dt.UTC)  # a window nobody else writes into
    uid, x, y = conn.execute(
        "SELECT id, ST_X(geom), ST_Y(geom) FROM units WHERE geom IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    conn.execute("SELECT unit_positions_days('2030-01-01', '2030-01-01')")  # (rolled back)
    for k in range(12):  # one fix every 5 s for a minute
        conn.execute(
            "INSERT INTO unit_positions (unit_id, time, geom, h3) VALUES (%s, %s, "
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0)",
            (uid, t0 + dt.timedelta(seconds=5 * k), x + 0.0001 * k, y),
        )
    conn.execute(
        "INSERT INTO audit_log (at, entity, entity_id, action, before, after) VALUES "
        "(%s, 'unit', %s, 'status', '{\"status\": \"available\"}', '{\"status\": \"en_route\"}')",
        (t0 + dt.timedelta(seconds=30), str(uid)),
    )
    case = conn.execute(
        "UPDATE incidents SET reported_at = %s, dispatched_at = %s, closed_at = NULL, "
        "status = 'dispatched' WHERE id = (SELECT min(id) FROM incidents) RETURNING id",
        (t0 + dt.timedelta(seconds=10), t0 + dt.timedelta(seconds=20)),
    ).fetchone()[0]  # type: ignore[index]
    data = replay.load(conn=conn, w=replay.window(t0, t0 + dt.timedelta(minutes=30)))
    u = next(u for u in data["units"] if u["id"] == uid)
    assert data["step"] == 5 and u["t"] == [5.0 * k for k in range(12)]
    assert u["x"][-1] == pytest.approx(x + 0.0011, abs=1e-6)
    assert u["st"] == [[0.0, "available"], [30.0, "en_route"]]
    c = next(c for c in data["incidents"] if c["id"] == case)
    assert c["t"][:2] == [10.0, 20.0] and c["t"][5] is None
    # A longer window thins the fixes: one per step.
    wide = replay.load(conn=conn, w=replay.window(t0, t0 + dt.timedelta(hours=6)))
    assert next(u for u in wide["units"] if u["id"] == uid)["t"] == [0.0]
