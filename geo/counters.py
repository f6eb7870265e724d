"""The live counters of every page's top bar."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from geo.incidents import OVERDUE_SQL


@dataclass(frozen=True)
class Counters:
    open: int
    overdue: int
    units_available: int


def counters(*, conn: psycopg.Connection) -> Counters:
    """Live counters of the top bar.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    Counters
        Open (not closed) incidents, the overdue ones among them, and available units.
    """
    row = conn.execute(
        sql.SQL("""
        SELECT (SELECT count(*) FROM incidents WHERE status <> 'closed'),
               (SELECT count(*) FROM incidents WHERE status <> 'closed' AND {overdue}),
               (SELECT count(*) FROM units WHERE status = 'available')
        """).format(overdue=OVERDUE_SQL)
    ).fetchone()
    assert row is not None
    return Counters(*row)
