"""Who holds a case and how it reports back: claiming (签收), the on-scene report (现场反馈)
and the supervision flag (督办).

Claiming is one ``UPDATE ... WHERE claimed_at IS NULL``: of two operators pressing at the same
moment one wins and the other is told who has the case. Claiming (or dispatching, which claims
for the dispatcher) stops the respond clock.
"""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row

from geo import incidents, photos
from geo.errors import Conflict, InvalidInput
from geo.rows import IncidentRow


def claim(*, conn: psycopg.Connection, incident_id: int) -> IncidentRow:
    """The acting operator claims an open case; nobody else can hold it after that.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction, opened for the acting user: the
        claimant is ``app_actor()``).
    incident_id : int
        Id of the case.

    Returns
    -------
    IncidentRow
        The case, now claimed by the actor (unchanged if the actor already held it).

    Raises
    ------
    NotFound
        No such case.
    Conflict
        Another operator holds it, or it is resolved or closed.
    """
    row = conn.execute(
        "UPDATE incidents SET claimed_by = app_actor(), claimed_at = now(), updated_at = now() "
        "WHERE id = %(id)s AND claimed_at IS NULL AND status NOT IN ('resolved', 'closed') "
        "RETURNING id",
        {"id": incident_id},
    ).fetchone()
    case = incidents.get(conn=conn, incident_id=incident_id)
    if row is not None:
        incidents.event(conn, incident_id, "claim", None, {"claimed_by": case["claimed_by"]})
        return case
    check_holder(conn, case)
    if case["status"] in ("resolved", "closed"):
        raise Conflict(f"Incident {case['number']} is {case['status']}.", code="claim.settled",
                       number=case["number"], status=case["status"])  # fmt: skip
    return case


def check_holder(conn: psycopg.Connection, case: IncidentRow) -> None:
    """Refuse to act on a case another operator holds.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the acting user's transaction).
    case : IncidentRow
        The case, as read in this transaction.

    Raises
    ------
    Conflict
        The case is claimed by someone other than the actor.
    """
    holder = case.get("claimed_by")
    if holder is None:
        return
    me = conn.execute("SELECT app_actor()").fetchone()
    if me is None or holder not in (me[0], "migration"):
        raise Conflict(f"{holder} has claimed incident {case['number']}.", code="claim.taken",
                       who=holder.split(":", 1)[-1], number=case["number"])  # fmt: skip


def unclaim(*, conn: psycopg.Connection, incident_id: int) -> IncidentRow:
    """The holder hands an undispatched case back to the queue (退回).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the holder's transaction).
    incident_id : int
        Id of the case.

    Returns
    -------
    IncidentRow
        The case, unclaimed.

    Raises
    ------
    Conflict
        Someone else holds it, or units are already on their way.
    """
    case = incidents.get(conn=conn, incident_id=incident_id, lock=True)
    check_holder(conn, case)
    if case["status"] != "reported":
        raise Conflict("Units are on their way: the case cannot be handed back.",
                       code="claim.busy", number=case["number"])  # fmt: skip
    conn.execute(
        "UPDATE incidents SET claimed_by = NULL, claimed_at = NULL, updated_at = now() "
        "WHERE id = %(id)s",
        {"id": incident_id},
    )
    incidents.event(conn, incident_id, "unclaim", {"claimed_by": case["claimed_by"]}, None)
    return incidents.get(conn=conn, incident_id=incident_id)


def field_report(
    *, conn: psycopg.Connection, incident_id: int, text: str, photo_id: int | None = None
) -> IncidentRow:
    """The on-scene report (现场反馈): what the units found, with an optional photo. The first
    one stops the report-back clock; later ones replace the text.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the case.
    text : str
        The report, 1 to 4000 characters.
    photo_id : int or None
        A photo of this case already uploaded (``geo.photos``).

    Returns
    -------
    IncidentRow
        The case with its report.

    Raises
    ------
    InvalidInput
        No text, a text that is too long, or a photo of another case.
    Conflict
        No unit is on scene yet, or the case is closed.
    """
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The on-scene report needs some text.", code="report.empty")
    if len(text) > 4000:
        raise InvalidInput("The note is too long.", code="incident.note_long")
    case = incidents.get(conn=conn, incident_id=incident_id, lock=True)
    if case["status"] not in ("on_scene", "resolved"):
        raise Conflict("Report back once a unit is on scene.", code="report.not_on_scene",
                       number=case["number"])  # fmt: skip
    ref = None
    if photo_id is not None:
        if photo_id not in photos.photo_ids(conn=conn, incident_id=incident_id):
            raise InvalidInput("The photo is not one of this case.", code="report.photo")
        ref = photos.ref(photo_id)
    conn.execute(
        "UPDATE incidents SET field_report = %(t)s, field_photo = coalesce(%(p)s, field_photo), "
        "field_report_at = coalesce(field_report_at, now()), updated_at = now() "
        "WHERE id = %(id)s",
        {"t": text, "p": ref, "id": incident_id},
    )
    incidents.event(conn, incident_id, "field_report", None, {"note": text[:200]})
    return incidents.get(conn=conn, incident_id=incident_id)


def flag_overdue(*, conn: psycopg.Connection) -> list[int]:
    """Raise the supervision flag (督办) on every held or active case that missed the deadline
    it is working against; an active case is never moved up the ladder instead.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of int
        Ids of the cases newly flagged.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "WITH late AS (SELECT id, CASE"
            "  WHEN status IN ('reported', 'dispatched', 'accepted') AND arrive_due < now()"
            "   THEN 'arrive'"
            "  WHEN status = 'on_scene' AND field_report_at IS NULL AND report_due < now()"
            "   THEN 'report'"
            "  WHEN close_due < now() THEN 'close' END AS reason"
            " FROM incidents WHERE flagged_at IS NULL"
            "  AND status IN ('reported', 'dispatched', 'accepted', 'on_scene')"
            "  AND (claimed_at IS NOT NULL OR status <> 'reported')"
            " FOR UPDATE SKIP LOCKED) "
            "UPDATE incidents i SET flagged_at = now(), flag_reason = late.reason,"
            " updated_at = now() FROM late WHERE late.id = i.id AND late.reason IS NOT NULL "
            "RETURNING i.id, i.flag_reason"
        ).fetchall()
    for r in rows:
        incidents.event(conn, r["id"], "flag", None, {"reason": r["flag_reason"]})
    return [int(r["id"]) for r in rows]
