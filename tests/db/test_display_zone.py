"""GD_TZ in the database: times shown are formatted in the zone asked for (bound as a
parameter, never written into the SQL), Asia/Shanghai by default."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import psycopg

from geo import gridcard, live, maplayers, reports
from geo.access import audit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _hours_apart(a: str, b: str, fmt: str) -> float:
    return (dt.datetime.strptime(a, fmt) - dt.datetime.strptime(b, fmt)).total_seconds() / 3600


def test_map_popups_grid_card_ticker_and_audit_follow_the_zone(conn: psycopg.Connection) -> None:
    at = dict(conn.execute("SELECT id, reported_at FROM incidents WHERE status <> 'closed'"))
    shown = {r["id"]: r["reported"] for r in maplayers.layer_rows(conn=conn, name="incidents")}
    utc = {r["id"]: r["reported"]
           for r in maplayers.layer_rows(conn=conn, name="incidents", tz="UTC")}  # fmt: skip
    assert at and set(shown) == set(at)
    for i, t in at.items():
        assert shown[i] == t.astimezone(SHANGHAI).strftime("%m-%d %H:%M")
        assert utc[i] == t.astimezone(dt.UTC).strftime("%m-%d %H:%M")
    pushed = live.incidents_changed(conn=conn, since=None, tz="UTC")
    assert {r["id"]: r["reported"] for r in pushed} == utc
    grid = conn.execute("SELECT grid_id FROM incidents WHERE status <> 'closed' LIMIT 1").fetchone()
    assert grid is not None
    a = gridcard.grid_card(conn=conn, grid_id=grid[0]).recent_open[0].reported
    b = gridcard.grid_card(conn=conn, grid_id=grid[0], tz="UTC").recent_open[0].reported
    assert _hours_apart(a, b, "%m-%d %H:%M") == 8
    a, b = (live.latest_events(conn=conn, limit=1, tz=z)[0].time for z in ("Asia/Shanghai", "UTC"))
    assert _hours_apart(a, b, "%H:%M:%S") % 24 == 8
    a, b = (audit.recent(conn=conn, kind="incident", limit=1, tz=z)[0].at
            for z in ("Asia/Shanghai", "UTC"))  # fmt: skip
    assert _hours_apart(a, b, "%Y-%m-%d %H:%M:%S") == 8
    # "today" starts at the zone's midnight
    assert live.today(conn=conn, tz="Pacific/Kiritimati").open == live.today(conn=conn).open


def test_report_periods_run_in_the_zone() -> None:
    at = dt.datetime(2026, 11, 22, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai, 01:00 in UTC
    start, end = reports.period_window("day", at)
    assert (start, end) == (dt.datetime(2026, 11, 21, tzinfo=SHANGHAI),
                            dt.datetime(2026, 11, 22, tzinfo=SHANGHAI))  # fmt: skip
    start, end = reports.period_window("day", at, "UTC")
    assert (start, end) == (dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                            dt.datetime(2026, 11, 22, tzinfo=dt.UTC))  # fmt: skip
