"""After-action replay: what the map showed during a past window, as compact tracks.

For a window ``[start, end)`` (at most ``MAX_WINDOW``): every unit's positions (thinned to
one fix per ``step`` seconds; units that did not report in the window stand where they were
last seen), every unit's status changes with its status at the start, and every case open at
some time in the window with the times of its steps. The browser plays them back.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import psycopg

from geo.errors import InvalidInput

MAX_WINDOW = dt.timedelta(hours=24)
SAMPLES = 360  # fixes per unit at most, whatever the window
STEPS = ("reported", "dispatched", "accepted", "on_scene", "resolved", "closed")


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    step_s: int


def window(start: dt.datetime, end: dt.datetime) -> Window:
    """Check a window; the thinning step follows its length (at least 5 s).

    Parameters
    ----------
    start, end : datetime.datetime
        The window ``[start, end)``, time zone aware.

    Returns
    -------
    Window
        The window and its thinning step in seconds (``SAMPLES`` fixes per unit at most).

    Raises
    ------
    InvalidInput
        A time without a time zone, ``end`` not after ``start``, or longer than ``MAX_WINDOW``.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("The replay window needs times with a time zone.", code="replay.zone")
    if end <= start:
        raise InvalidInput("The replay window ends before it starts.", code="replay.order")
    if end - start > MAX_WINDOW:
        raise InvalidInput("Replay at most 24 hours at a time.", code="replay.too_long")
    span = (end - start).total_seconds()
    return Window(start, end, max(5, math.ceil(span / SAMPLES)))


def load(*, conn: psycopg.Connection, w: Window) -> dict[str, Any]:
    """The tracks of window ``w``; times are seconds from its start.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    w : Window
        The window, from :func:`window`.

    Returns
    -------
    dict
        ``start`` (ISO time), ``span`` and ``step`` (seconds), ``steps`` (the case step
        names), ``units`` (per located unit: ``id``, ``cs``, ``type``, track ``t``/``x``/``y``
        as seconds and WGS-84 lon/lat, and ``st``, ``[t, status]`` changes) and ``incidents``
        (per case open in the window: ``id``, ``number``, category names, ``priority``,
        ``x``/``y`` and ``t``, the times of its steps or None).
    """
    args = {"t0": w.start, "t1": w.end, "step": w.step_s}
    units: dict[int, dict[str, Any]] = {}
    for uid, cs, kind, status in conn.execute(
        "SELECT id, call_sign, type, status FROM units ORDER BY id"
    ).fetchall():
        units[uid] = {"id": uid, "cs": cs, "type": kind, "t": [], "x": [], "y": [], "s": status}
    # Fixes in the window, thinned: the first of each step per unit; only the units this
    # jurisdiction sees (the history itself has no row-level security), only the window's days.
    args["ids"] = list(units)
    for uid, t, x, y in conn.execute(
        "SELECT DISTINCT ON (unit_id, floor(extract(epoch FROM time - %(t0)s) / %(step)s)) "
        " unit_id, extract(epoch FROM time - %(t0)s)::real, ST_X(geom), ST_Y(geom) "
        "FROM unit_positions WHERE time >= %(t0)s AND time < %(t1)s "
        "AND unit_id = ANY(%(ids)s) "
        "ORDER BY unit_id, floor(extract(epoch FROM time - %(t0)s) / %(step)s), time",
        args,
    ).fetchall():
        u = units.get(uid)
        if u is not None:
            u["t"].append(round(t, 1))
            u["x"].append(round(x, 6))
            u["y"].append(round(y, 6))
    # Where each unit stood at the start: its last fix before, or where it is now when the
    # history holds none (a unit that never reported stands still).
    for uid, x, y in conn.execute(
        "SELECT u.id, coalesce(ST_X(p.geom), ST_X(u.geom)), coalesce(ST_Y(p.geom), ST_Y(u.geom)) "
        "FROM units u LEFT JOIN LATERAL (SELECT geom FROM unit_positions q "
        " WHERE q.unit_id = u.id AND q.time < %(t0)s ORDER BY q.time DESC LIMIT 1) p ON true",
        args,
    ).fetchall():
        u = units[uid]
        if x is not None and (not u["t"] or u["t"][0] > 0):
            u["t"].insert(0, 0.0)
            u["x"].insert(0, round(x, 6))
            u["y"].insert(0, round(y, 6))
    # Status: at the start (the 'before' of the first change after it), then each change.
    changes: dict[int, list[list[Any]]] = {}
    for uid, t, before, after in conn.execute(
        "SELECT entity_id::int, extract(epoch FROM at - %(t0)s)::real, before->>'status', "
        " after->>'status' FROM audit_log WHERE entity = 'unit'"
        " AND action IN ('status', 'dispatch')"
        " AND at >= %(t0)s AND entity_id ~ '^[0-9]+$' ORDER BY at, id",
        args,
    ).fetchall():
        first = uid not in changes
        steps = changes.setdefault(uid, [])
        if first and before:
            steps.append([0.0, before])
        if t < (w.end - w.start).total_seconds():
            steps.append([round(t, 1), after])
    out_units = []
    for uid, u in units.items():
        if not u["t"]:
            continue  # never located: not on the map then either
        u["st"] = changes.get(uid) or [[0.0, u.pop("s")]]
        u.pop("s", None)
        out_units.append(u)
    cases = []
    for row in conn.execute(
        "SELECT i.id, i.number, c.name_zh, c.name_en, i.priority, ST_X(i.geom), ST_Y(i.geom), "
        "extract(epoch FROM i.reported_at - %(t0)s)::real, "
        "extract(epoch FROM i.dispatched_at - %(t0)s)::real, "
        "extract(epoch FROM i.accepted_at - %(t0)s)::real, "
        "extract(epoch FROM i.on_scene_at - %(t0)s)::real, "
        "extract(epoch FROM i.resolved_at - %(t0)s)::real, "
        "extract(epoch FROM i.closed_at - %(t0)s)::real"
        " FROM incidents i JOIN categories c ON c.code = i.category"
        " WHERE i.reported_at < %(t1)s AND (i.closed_at IS NULL OR i.closed_at >= %(t0)s)"
        " ORDER BY i.reported_at",
        args,
    ).fetchall():
        iid, number, cat_zh, cat_en, pr, x, y, *times = row
        cases.append(
            {
                "id": iid,
                "number": number,
                "category_zh": cat_zh,
                "category_en": cat_en,
                "priority": pr,
                "x": round(x, 6),
                "y": round(y, 6),
                "t": [None if v is None else round(v, 1) for v in times],
            }
        )
    return {
        "start": w.start.isoformat(),
        "span": (w.end - w.start).total_seconds(),
        "step": w.step_s,
        "steps": list(STEPS),
        "units": out_units,
        "incidents": cases,
    }
