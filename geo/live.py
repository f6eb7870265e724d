"""Reads behind the live push: units and incidents changed since a watermark.

Writers stamp ``changed_at`` with the wall-clock time of each change (a trigger) and NOTIFY
on 'units' or 'incidents'. A reader keeps the database clock time it read before its last
query as its watermark and asks again from a little before it (``overlap``), so a change whose
transaction committed after the read is still seen; callers drop what they already have.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.incidents import OVERDUE_SQL
from geo.maplayers import INCIDENT_FEATURES

OVERLAP = dt.timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    call_sign: str
    type: str
    agency: str
    status: str
    lon: float
    lat: float
    fix: int  # position time, epoch seconds


def clock(*, conn: psycopg.Connection) -> dt.datetime:
    """The database's wall clock: take it before a read and use it as the next watermark.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    datetime.datetime
        ``clock_timestamp()`` (time zone aware).
    """
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    return row[0]


def units_changed(*, conn: psycopg.Connection, since: dt.datetime | None) -> list[UnitRow]:
    """Units with a position changed at or after ``since - OVERLAP`` (all when None).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    since : datetime.datetime or None
        The reader's watermark (from :func:`clock`); None reads every positioned unit.

    Returns
    -------
    list of UnitRow
        Id, call sign, type, agency, status, WGS-84 lon/lat and fix time (epoch seconds),
        by id.
    """
    rows = conn.execute(
        "SELECT id, call_sign, type, agency, status, ST_X(geom), ST_Y(geom), "
        "extract(epoch FROM position_time)::bigint FROM units "
        "WHERE geom IS NOT NULL AND (%(s)s::timestamptz IS NULL OR changed_at >= %(s)s) "
        "ORDER BY id",
        {"s": since - OVERLAP if since else None},
    ).fetchall()
    return [UnitRow(*r) for r in rows]


def incidents_changed(
    *,
    conn: psycopg.Connection,
    since: dt.datetime | None,
    ids: Sequence[int] = (),
    tz: str = "Asia/Shanghai",
) -> list[dict[str, Any]]:
    """Incident features (as on the map) changed at or after ``since - OVERLAP`` or named in
    ``ids``; closed ones are included so the reader can take them off the map.
    ``since=None`` reads every open incident.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    since : datetime.datetime or None
        The reader's watermark (from :func:`clock`); None reads every open incident.
    ids : sequence of int
        Incidents to include whatever their change time (ignored when ``since`` is None).
    tz : str
        Time zone (IANA name) of the shown report time (``reported``).

    Returns
    -------
    list of dict
        Map features by id: ``id``, ``number``, ``category``, ``priority``, ``status``,
        ``overdue``, ``v`` (change time, epoch seconds), ``geometry`` (GeoJSON dict) and so on.
    """
    where = sql.SQL(
        " WHERE i.status <> 'closed'"
        if since is None
        else " WHERE i.changed_at >= %(s)s OR i.id = ANY(%(ids)s)"
    )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            INCIDENT_FEATURES + where + sql.SQL(" ORDER BY i.id"),
            {"s": since - OVERLAP if since else None, "ids": list(ids), "tz": tz},
        ).fetchall()
    for r in rows:
        r["geometry"] = json.loads(r["geometry"])
    return rows


@dataclass(frozen=True)
class Event:
    id: int
    time: str  # HH:MM:SS in the zone asked for
    number: str
    category_zh: str
    category_en: str
    priority: str
    action: str
    status: str | None


def latest_events(
    *, conn: psycopg.Connection, limit: int = 20, tz: str = "Asia/Shanghai"
) -> list[Event]:
    """The newest case events (the big screen's ticker), newest first.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    limit : int
        At most this many events.
    tz : str
        Time zone (IANA name) the event times are shown in.

    Returns
    -------
    list of Event
        Event id, time (HH:MM:SS in ``tz``), case number, category names, priority,
        action, and the status it led to (None when the status did not change).
    """
    rows = conn.execute(
        "SELECT e.id, to_char(e.at AT TIME ZONE %(tz)s, 'HH24:MI:SS'), i.number, "
        "c.name_zh, c.name_en, i.priority, e.action, e.after->>'status' "
        "FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
        "JOIN categories c ON c.code = i.category ORDER BY e.id DESC LIMIT %(n)s",
        {"n": limit, "tz": tz},
    ).fetchall()
    return [Event(*r) for r in rows]


@dataclass(frozen=True)
class Today:
    reported: int  # cases reported today (the day in the zone asked for)
    closed: int  # cases closed today
    closure_rate: float | None  # of today's reports, the share closed
    overdue: int  # open cases past a deadline, now
    open: int
    units_available: dict[str, int]  # by unit type


def today(*, conn: psycopg.Connection, tz: str = "Asia/Shanghai") -> Today:
    """The big screen's counters.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    tz : str
        Time zone (IANA name) whose midnight starts "today".

    Returns
    -------
    Today
        Cases reported and closed today (since midnight in ``tz``), the share of today's reports
        closed, open and overdue cases now, and available units by type.
    """
    row = conn.execute(
        sql.SQL(
            "WITH d AS (SELECT date_trunc('day', now() AT TIME ZONE %(tz)s) "
            " AT TIME ZONE %(tz)s AS start) "
            "SELECT count(*) FILTER (WHERE reported_at >= d.start), "
            " count(*) FILTER (WHERE closed_at >= d.start), "
            " count(*) FILTER (WHERE reported_at >= d.start AND status = 'closed'), "
            " count(*) FILTER (WHERE status <> 'closed' AND {overdue}), "
            " count(*) FILTER (WHERE status <> 'closed') FROM incidents, d"
        ).format(overdue=OVERDUE_SQL),
        {"tz": tz},
    ).fetchone()
    assert row is not None
    units: dict[str, int] = dict(
        conn.execute(
            "SELECT type, count(*) FROM units WHERE status = 'available' GROUP BY type"
        ).fetchall()
    )
    rate = row[2] / row[0] if row[0] else None
    return Today(row[0], row[1], rate, row[3], row[4], units)
