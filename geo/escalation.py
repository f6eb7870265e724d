"""The escalation ladder (grid -> community -> street -> district): unaccepted cases move up
as they wait (:func:`escalate_due`, run by the console's escalation runner), and an operator
can move a case up by hand (:func:`escalate`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import psycopg
from psycopg.rows import dict_row

from geo.errors import Conflict
from geo.incidents import LEVELS, escalation_target, event, get
from geo.rows import IncidentRow


def escalate_due(
    *,
    conn: psycopg.Connection,
    steps_s: Sequence[int] = (300, 900, 1800),
    now: dt.datetime | None = None,
) -> list[int]:
    """Move every unclaimed case up the ladder as far as its waiting time says. A case someone
    holds, or one with units on their way, is never re-routed: it gets the supervision flag
    instead (:func:`geo.caseflow.flag_overdue`).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    steps_s : sequence of int
        Waiting times in seconds after the report, one per step up (see
        :func:`escalation_target`).
    now : datetime.datetime or None
        The clock; None uses the database's ``now()``.

    Returns
    -------
    list of int
        Ids of the cases that moved up (rows locked by others are skipped).
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT id, status, reported_at, accepted_at, escalation_level FROM incidents "
            "WHERE status = 'reported' AND claimed_at IS NULL "
            "AND escalation_level <> 'district' "
            "AND reported_at < now() - make_interval(secs => %(s)s) "
            "FOR UPDATE SKIP LOCKED",
            {"s": min(steps_s)},
        ).fetchall()
        clock = now or cur.execute("SELECT now()").fetchone()["now"]  # type: ignore[index]
    moved = []
    for row in rows:
        target = escalation_target(row, clock, steps_s)
        if target != row["escalation_level"]:
            conn.execute(
                "UPDATE incidents SET escalation_level = %(l)s, escalated_at = now(), "
                "updated_at = now() WHERE id = %(id)s",
                {"l": target, "id": row["id"]},
            )
            event(
                conn, row["id"], "escalate", {"level": row["escalation_level"]}, {"level": target}
            )
            moved.append(row["id"])
    return moved


def escalate(*, conn: psycopg.Connection, incident_id: int) -> IncidentRow:
    """The operator blows the whistle (吹哨): the case moves one step up the ladder now.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.

    Returns
    -------
    dict
        The incident afterwards, as :func:`get` returns it.

    Raises
    ------
    NotFound
        No such incident.
    Conflict
        The case is closed or already at the district level.
    """
    row = get(conn=conn, incident_id=incident_id, lock=True)
    if row["status"] == "closed":
        raise Conflict(f"Incident {row['number']} is closed.", code="incident.closed",
                       number=row["number"])  # fmt: skip
    level = row["escalation_level"]
    if level == LEVELS[-1]:
        raise Conflict(f"Incident {row['number']} is already with the district departments.",
                       code="incident.top_level", number=row["number"])  # fmt: skip
    target = LEVELS[LEVELS.index(level) + 1]
    conn.execute(
        "UPDATE incidents SET escalation_level = %(l)s, escalated_at = now(), "
        "updated_at = now() WHERE id = %(id)s",
        {"l": target, "id": incident_id},
    )
    event(conn, incident_id, "escalate", {"level": level}, {"level": target, "manual": True})
    return get(conn=conn, incident_id=incident_id)
