"""Vehicle and responder positions (AVL) from trackers, in batches.

A batch is checked whole (every unit known, coordinates usable WGS-84 inside the city, times
not in the future) and refused whole when anything is wrong. A good batch goes into
``unit_positions`` with one COPY, and each unit's newest fix becomes its current position
with one UPDATE (an older fix arriving late stays history only). One NOTIFY tells the live
channel that units moved.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import numpy as np
import psycopg

from geo.coords import check_lonlat
from geo.errors import InvalidInput
from geo.h3index import STORE_RES, cells

MAX_BATCH = 20_000
MAX_AHEAD_S = 120.0  # tolerated tracker clock drift into the future
KEEP_DAYS = 90  # default retention of the history (``GD_POSITIONS_KEEP_DAYS``)


def ensure_days(conn: psycopg.Connection, first: dt.datetime, last: dt.datetime) -> int:
    """Make the day partitions of ``unit_positions`` from ``first`` to ``last`` that are missing
    (UTC days; the housekeeping job makes them ahead, so this is rarely needed).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    first, last : datetime.datetime
        Time zone aware times; every UTC day they span gets its partition.

    Returns
    -------
    int
        The number of partitions made (0 when all were there).
    """
    lo, hi = (t.astimezone(dt.UTC).date() for t in (first, last))
    row = conn.execute(
        "SELECT bool_and(to_regclass('unit_positions_' || to_char(d, 'YYYYMMDD')) IS NOT NULL) "
        "FROM generate_series(%(lo)s::date, %(hi)s::date, interval '1 day') d",
        {"lo": lo, "hi": hi},
    ).fetchone()
    if row and row[0]:
        return 0
    made = conn.execute("SELECT unit_positions_days(%(lo)s, %(hi)s)", {"lo": lo, "hi": hi})
    return int(made.fetchone()[0])  # type: ignore[index]


def _unit_ids(conn: psycopg.Connection, refs: Sequence[int | str]) -> np.ndarray:
    """Unit ids for references that are ids (int) or call signs (str)."""
    names = sorted({r for r in refs if isinstance(r, str)})
    by_name: dict[str, int] = {}
    if names:
        rows = conn.execute(
            "SELECT call_sign, id FROM units WHERE call_sign = ANY(%(n)s)", {"n": names}
        ).fetchall()
        by_name = dict(rows)
    nums = sorted({r for r in refs if isinstance(r, int)})
    known: set[int] = set()
    if nums:
        rows = conn.execute("SELECT id FROM units WHERE id = ANY(%(i)s)", {"i": nums}).fetchall()
        known = {r[0] for r in rows}
    out = np.empty(len(refs), dtype=np.int64)
    for i, r in enumerate(refs):
        uid = by_name.get(r) if isinstance(r, str) else (r if r in known else None)
        if uid is None:
            raise InvalidInput(
                f"Position {i}: no unit {r!r}; nothing of this batch was stored.",
                code="avl.unit",
                index=i,
                unit=str(r)[:40],
            )
        out[i] = uid
    return out


def ingest(
    *,
    conn: psycopg.Connection,
    units: Sequence[int | str],
    lon: Sequence[float],
    lat: Sequence[float],
    times: Sequence[dt.datetime],
    speed: Sequence[float | None],
    heading: Sequence[float | None],
    region_bbox: tuple[float, float, float, float] | None,
    now: dt.datetime | None = None,
    keep_days: int = KEEP_DAYS,
) -> int:
    """Store one batch of fixes (in the caller's transaction); the number stored.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    units : sequence of int or str
        Per fix, the unit's id (int) or call sign (str).
    lon, lat : sequence of float
        Per fix, WGS-84 longitude and latitude in degrees.
    times : sequence of datetime.datetime
        Per fix, the time zone aware time of the fix (at most ``MAX_AHEAD_S`` seconds ahead).
    speed, heading : sequence of float or None
        Per fix, as the tracker reports them (None when unknown).
    region_bbox : tuple of float or None
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)``; None skips the region check.
    now : datetime.datetime or None
        The clock for the future check; None uses the current UTC time.
    keep_days : int
        How many days of history are kept: an older fix is refused (it would be dropped).

    Returns
    -------
    int
        The number of fixes stored (0 for an empty batch).

    Raises
    ------
    InvalidInput
        More than ``MAX_BATCH`` fixes, sequences of unequal length, bad coordinates, a time
        without a time zone, in the future or older than the kept history, or an unknown
        unit; nothing is stored.
    OutsideJurisdiction
        A point outside ``region_bbox`` (or latitude and longitude look swapped).
    """
    n = len(units)
    if not n:
        return 0
    if n > MAX_BATCH:
        raise InvalidInput(
            f"At most {MAX_BATCH} positions per batch ({n} sent).",
            code="avl.batch",
            max=MAX_BATCH,
            n=n,
        )
    if not (len(lon) == len(lat) == len(times) == len(speed) == len(heading) == n):
        raise InvalidInput("Every position needs unit, lon, lat and time.", code="avl.fields")
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    check_lonlat(x, y, bbox=region_bbox)
    now = now or dt.datetime.now(dt.UTC)
    if any(t.tzinfo is None for t in times):
        raise InvalidInput(
            "Position times need a time zone (e.g. 2026-11-23T08:00:00+08:00).", code="avl.zone"
        )
    latest = max(times)
    if (latest - now).total_seconds() > MAX_AHEAD_S:
        raise InvalidInput(
            f"A position time is in the future: {latest.isoformat()}.",
            code="avl.future",
            time=latest.isoformat(),
        )
    earliest = min(times)
    if (now - earliest).days >= keep_days:
        raise InvalidInput(
            f"A position time is older than the {keep_days} days of history kept: "
            f"{earliest.isoformat()}.",
            code="avl.old",
            time=earliest.isoformat(),
            days=keep_days,
        )
    ids = _unit_ids(conn, units)
    ensure_days(conn, earliest, latest)
    h3 = cells(y, x, STORE_RES).tolist()
    xs, ys, uids = x.tolist(), y.tolist(), ids.tolist()
    with conn.cursor().copy(
        "COPY unit_positions (unit_id, time, geom, h3, speed, heading) FROM STDIN"
    ) as copy:
        for i in range(n):
            copy.write_row(
                (
                    uids[i],
                    times[i],
                    f"SRID=4326;POINT({xs[i]!r} {ys[i]!r})",
                    h3[i],
                    speed[i],
                    heading[i],
                )
            )
    # Each unit's newest fix in the batch (last wins on equal times).
    order = sorted(range(n), key=lambda i: (uids[i], times[i]))
    newest: dict[int, int] = {uids[i]: i for i in order}
    pick = list(newest.values())
    conn.execute(
        "UPDATE units u SET geom = ST_SetSRID(ST_MakePoint(f.x, f.y), 4326), h3 = f.h3, "
        "position_time = f.t FROM unnest(%(id)s::int[], %(x)s::float8[], %(y)s::float8[], "
        "%(h3)s::bigint[], %(t)s::timestamptz[]) AS f(id, x, y, h3, t) "
        "WHERE u.id = f.id AND (u.position_time IS NULL OR u.position_time <= f.t)",
        {
            "id": [uids[i] for i in pick],
            "x": [xs[i] for i in pick],
            "y": [ys[i] for i in pick],
            "h3": [h3[i] for i in pick],
            "t": [times[i] for i in pick],
        },
    )
    conn.execute("SELECT pg_notify('units', %(p)s)", {"p": json.dumps({"moved": len(pick)})})
    return n
