"""Housekeeping of the position history: ``unit_positions`` is partitioned by UTC day
(migration 014). The coming days' partitions are made ahead, days past the retention are
dropped whole, and every drop is written to the audit trail. A day is first detached
``CONCURRENTLY`` (which takes no lock that trackers' inserts wait for), then dropped, so
retention never stalls ingest. Day-old retry keys of tracker batches are forgotten too.

These run as the database owner (the application role owns nothing) on an autocommit
connection: ``DETACH ... CONCURRENTLY`` cannot run inside a transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)

ACTOR = "system:retention"
AHEAD_DAYS = 3  # partitions made ahead of today
LOCK_KEY = 0x6772_6964_6B65_6570  # "gridkeep": one housekeeping process at a time
KEYS_KEEP = dt.timedelta(days=1)  # how long a tracker batch's Idempotency-Key is remembered


@dataclass(frozen=True)
class DayPartition:
    """One day of position history: its table, its UTC day, its size."""

    name: str
    day: dt.date
    rows_estimate: int
    bytes: int


def days(conn: psycopg.Connection) -> list[DayPartition]:
    """The day partitions of ``unit_positions``, oldest first.

    Parameters
    ----------
    conn : psycopg.Connection
        Any connection to the database.

    Returns
    -------
    list of DayPartition
        One per partition, with the planner's row estimate and its size on disk.
    """
    rows = conn.execute(
        "SELECT c.relname, greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid) "
        "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'unit_positions'::regclass "
        "AND c.relname ~ '^unit_positions_[0-9]{8}$' "
        "ORDER BY c.relname"
    ).fetchall()
    return [DayPartition(name, _day(name), int(n), int(b)) for name, n, b in rows]


def _day(name: str) -> dt.date:
    return dt.date(int(name[-8:-4]), int(name[-4:-2]), int(name[-2:]))


def make_ahead(conn: psycopg.Connection, today: dt.date, ahead: int = AHEAD_DAYS) -> int:
    """Make the partitions from ``today`` to ``ahead`` days later that are missing.

    Parameters
    ----------
    conn : psycopg.Connection
        An autocommit connection as the database owner.
    today : datetime.date
        The current UTC day.
    ahead : int
        How many days after ``today`` get their partition now.

    Returns
    -------
    int
        The number of partitions made.
    """
    row = conn.execute(
        "SELECT unit_positions_days(%(a)s, %(b)s)",
        {"a": today, "b": today + dt.timedelta(days=ahead)},
    ).fetchone()
    return int(row[0]) if row else 0


def drop_older(conn: psycopg.Connection, today: dt.date, keep_days: int) -> list[DayPartition]:
    """Drop every day before ``today - keep_days + 1`` (``keep_days`` days are kept, today
    included), each detached concurrently, then dropped, then audited.

    A detach that was interrupted (left pending) is finished first.

    Parameters
    ----------
    conn : psycopg.Connection
        An autocommit connection as the database owner.
    today : datetime.date
        The current UTC day.
    keep_days : int
        Days of history kept (at least 1).

    Returns
    -------
    list of DayPartition
        The days dropped, oldest first.

    Raises
    ------
    ValueError
        ``keep_days`` is below 1, or ``conn`` is not in autocommit mode.
    """
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    if not conn.autocommit:
        raise ValueError("drop_older needs an autocommit connection (DETACH CONCURRENTLY)")
    first_kept = today - dt.timedelta(days=keep_days - 1)
    dropped = []
    for part in days(conn):
        if part.day >= first_kept:
            break
        _detach(conn, part.name)
        conn.execute(f'DROP TABLE "{part.name}"')
        with conn.transaction():
            conn.execute("SELECT set_config('app.actor', %(a)s, true)", {"a": ACTOR})
            conn.execute(
                "INSERT INTO audit_log (entity, entity_id, action, before) "
                "VALUES ('unit_positions', %(d)s, 'retention_drop', %(b)s)",
                {
                    "d": part.day.isoformat(),
                    "b": json.dumps(
                        {"table": part.name, "rows_estimate": part.rows_estimate,
                         "bytes": part.bytes, "keep_days": keep_days}  # fmt: skip
                    ),
                },
            )
        log.info("retention: dropped %s (%d rows, %d bytes)", part.name, part.rows_estimate,
                 part.bytes)  # fmt: skip
        dropped.append(part)
    return dropped


def _detach(conn: psycopg.Connection, name: str) -> None:
    pending = conn.execute(
        "SELECT i.inhdetachpending FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE c.relname = %(n)s",
        {"n": name},
    ).fetchone()
    how = "FINALIZE" if pending and pending[0] else "CONCURRENTLY"
    conn.execute(f'ALTER TABLE unit_positions DETACH PARTITION "{name}" {how}')


def forget_keys(conn: psycopg.Connection, now: dt.datetime) -> int:
    """Forget the Idempotency-Keys of tracker batches older than ``KEYS_KEEP`` (a retry comes
    within seconds; the keys of cases are kept).

    Parameters
    ----------
    conn : psycopg.Connection
        A connection as the database owner.
    now : datetime.datetime
        The current time (time zone aware).

    Returns
    -------
    int
        The number of keys forgotten.
    """
    cur = conn.execute(
        "DELETE FROM idempotency_keys WHERE incident_id IS NULL AND positions_stored IS NOT NULL "
        "AND created_at < %(t)s",
        {"t": now - KEYS_KEEP},
    )
    return cur.rowcount


def housekeep(
    conninfo: str, keep_days: int, now: dt.datetime | None = None
) -> dict[str, int] | None:
    """One round: make the coming days, drop the days past retention, forget old keys.

    Parameters
    ----------
    conninfo : str
        libpq connection string of the database owner.
    keep_days : int
        Days of position history kept.
    now : datetime.datetime or None
        The clock; None is the current UTC time.

    Returns
    -------
    dict or None
        ``made``, ``dropped`` and ``keys_forgotten`` counts; None when another process was
        housekeeping (it holds the lock), so this one did nothing.
    """
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(dt.UTC).date()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%(k)s)", {"k": LOCK_KEY}).fetchone()
        if not (got and got[0]):
            return None
        made = make_ahead(conn, today)
        dropped = drop_older(conn, today, keep_days)
        forgotten = forget_keys(conn, now)
    return {"made": made, "dropped": len(dropped), "keys_forgotten": forgotten}
