"""The database's own health on the record: restarts of the embedded PostgreSQL by the
console's supervisor, written to the audit trail and read back for the pages' banner."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import psycopg

ACTOR = "system:supervisor"


def record_restart(
    conn: psycopg.Connection, down_at: dt.datetime, back_at: dt.datetime, down_s: float
) -> None:
    """Audit one restart of the database (entity ``database``, action ``restarted``).

    Parameters
    ----------
    conn : psycopg.Connection
        An autocommit connection as the database owner.
    down_at, back_at : datetime.datetime
        When the death was seen, and when the database accepted connections again.
    down_s : float
        Seconds between the two.
    """
    with conn.transaction():
        conn.execute("SELECT set_config('app.actor', %(a)s, true)", {"a": ACTOR})
        conn.execute(
            "INSERT INTO audit_log (entity, entity_id, action, after) "
            "VALUES ('database', 'postgresql', 'restarted', %(x)s)",
            {"x": json.dumps({"down_at": down_at.isoformat(), "back_at": back_at.isoformat(),
                              "down_s": round(down_s, 1), "by": ACTOR})},  # fmt: skip
        )


def last_restart(conn: psycopg.Connection, within_s: int) -> dict[str, Any] | None:
    """The newest restart in the last ``within_s`` seconds (any role may ask: it goes
    through ``database_restarted``, not the audit trail).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    within_s : int
        How far back to look, in seconds.

    Returns
    -------
    dict or None
        ``at`` (aware datetime) and ``down_s``; None when there was none.
    """
    row = conn.execute(
        "SELECT at, down_s FROM database_restarted(%(s)s)", {"s": within_s}
    ).fetchone()
    if row is None:
        return None
    return {"at": row[0], "down_s": float(row[1] or 0)}
