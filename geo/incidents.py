"""Incidents: intake, the closed-loop state machine, SLA clocks and escalation.

Pure rules (transitions, deadlines, escalation level) are plain functions taking the clock as
a parameter; the database functions take ``conn`` (inside a transaction opened by
``geo.db.transaction`` for the acting user) and write an ``incident_events`` row per change.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo import photos
from geo.coords import check_lonlat
from geo.errors import Conflict, InvalidInput, NotFound
from geo.h3index import cell_of
from geo.proximity import grids_near
from geo.rows import IncidentRow

log = logging.getLogger(__name__)

STATUSES = ("reported", "dispatched", "accepted", "on_scene", "resolved", "closed")
SOURCES = (
    "grid_worker",
    "hotline_12345",
    "transfer_110",
    "wechat_group",
    "walk_in",
    "sensor",
    "operator",
)
CLASSES = ("family", "shared", "public")
PRIORITIES = ("red", "yellow", "blue")
LEVELS = ("grid", "community", "street", "district")
LTREE = re.compile(r"^[A-Za-z0-9_]{1,64}(\.[A-Za-z0-9_]{1,64}){0,9}$")
# Allowed moves of the closed loop (闭环). Reopening a closed case sends it back to the start.
TRANSITIONS: dict[str, frozenset[str]] = {
    "reported": frozenset({"dispatched"}),
    "dispatched": frozenset({"accepted", "on_scene", "reported"}),
    "accepted": frozenset({"on_scene", "reported"}),
    "on_scene": frozenset({"resolved"}),
    "resolved": frozenset({"closed", "on_scene"}),
    "closed": frozenset({"reported"}),
}
_STAMP = {
    "dispatched": "dispatched_at",
    "accepted": "accepted_at",
    "on_scene": "on_scene_at",
    "resolved": "resolved_at",
    "closed": "closed_at",
}


def check_transition(current: str, target: str) -> None:
    """Raise :class:`Conflict` unless ``current -> target`` is an allowed move.

    Parameters
    ----------
    current : str
        The case's status now.
    target : str
        The status asked for, one of ``STATUSES``.

    Raises
    ------
    InvalidInput
        ``target`` is not a known status.
    Conflict
        ``TRANSITIONS`` does not allow the move.
    """
    if target not in STATUSES:
        raise InvalidInput(f"Unknown incident status {target!r}.", code="unknown_value",
                           value=str(target)[:40])  # fmt: skip
    if target not in TRANSITIONS.get(current, frozenset()):
        raise Conflict(f"An incident that is {current} cannot become {target}.",
                       code="incident.transition", status=current, target=target)  # fmt: skip


@dataclass(frozen=True)
class Policy:
    quick: bool
    respond_s: int
    arrive_s: int | None
    report_s: int | None
    close_s: int


def deadlines(
    policy: Policy, reported_at: dt.datetime, on_scene_at: dt.datetime | None = None
) -> dict[str, dt.datetime | None]:
    """SLA deadlines of a case reported at ``reported_at``: the seed's three clocks (respond
    and arrive count from the report, the report back from the arrival) and the close.

    Parameters
    ----------
    policy : Policy
        The SLA policy; its limits are in seconds.
    reported_at : datetime.datetime
        When the case was reported.
    on_scene_at : datetime.datetime or None
        When the first unit arrived; None while no one has.

    Returns
    -------
    dict
        ``respond_due``, ``arrive_due``, ``report_due`` and ``close_due``; None where the
        policy sets no limit (and ``report_due`` before the arrival).
    """

    def after(t: dt.datetime | None, s: int | None) -> dt.datetime | None:
        return None if s is None or t is None else t + dt.timedelta(seconds=s)

    return {
        "respond_due": after(reported_at, policy.respond_s),
        "arrive_due": after(reported_at, policy.arrive_s),
        "report_due": after(on_scene_at, policy.report_s),
        "close_due": after(reported_at, policy.close_s),
    }


def current_deadline(row: dict[str, Any]) -> tuple[str, dt.datetime] | None:
    """The deadline the case is working against now, by status: (name, time) or None.

    Parameters
    ----------
    row : dict
        An incident row with ``status`` and the ``*_due`` columns.

    Returns
    -------
    tuple of (str, datetime.datetime) or None
        The deadline's column name (for example ``"arrive_due"``, falling back to
        ``"close_due"``) and its time; None for a closed case or one without deadlines.
    """
    status = row["status"]
    order: Sequence[str]
    if status == "reported":
        claimed = row.get("claimed_at") is not None  # claiming stops the respond clock
        order = ("arrive_due", "close_due") if claimed else ("respond_due", "close_due")
    elif status in ("dispatched", "accepted"):
        order = ("arrive_due", "close_due")
    elif status == "on_scene":  # the on-scene report stops the report-back clock
        reported = row.get("field_report_at") is not None
        order = ("close_due",) if reported else ("report_due", "close_due")
    elif status == "resolved":
        order = ("close_due",)
    else:
        return None
    for name in order:
        if row.get(name) is not None:
            return name, row[name]
    return None


def escalation_target(row: dict[str, Any], now: dt.datetime, steps_s: Sequence[int]) -> str:
    """The ladder level a case should be at: one step up for each of ``steps_s`` (seconds
    after the report) passed without being accepted (网格吹哨、镇街呼应、部门报到).

    Parameters
    ----------
    row : dict
        An incident row with ``status``, ``reported_at``, ``accepted_at`` and
        ``escalation_level``.
    now : datetime.datetime
        The clock.
    steps_s : sequence of int
        Waiting times in seconds after the report, one per step up the ladder.

    Returns
    -------
    str
        One of ``LEVELS``; never lower than the case's current level. An accepted case (or
        one on scene, resolved or closed) stays where it is.
    """
    if row.get("accepted_at") is not None or row["status"] in ("on_scene", "resolved", "closed"):
        return str(row.get("escalation_level") or "grid")
    waited = (now - row["reported_at"]).total_seconds()
    level = sum(1 for s in steps_s if waited >= s)
    current = LEVELS.index(row.get("escalation_level") or "grid")
    return LEVELS[min(max(level, current), len(LEVELS) - 1)]


# Each clock and the step that stops it: respond (claimed or dispatched), arrive (first unit on
# scene), report back (the on-scene report), close.
CLOCKS = (
    ("respond_due", "claimed_at"),
    ("arrive_due", "on_scene_at"),
    ("report_due", "field_report_at"),
    ("close_due", "closed_at"),
)
# A new case nobody holds yet (待签收): the desk's queue puts it first (caselists), and the
# live push says so, so a desk can show it before its queue is read again.
NEW_CASE_SQL = sql.SQL(
    "(status = 'reported' AND claimed_at IS NULL AND (close_due IS NULL OR close_due >= now()))"
)
# A case is overdue once any step missed its deadline; it stays overdue until it is closed
# (挂单销号). The desk's queue bands cases by the deadline due now instead (caselists).
OVERDUE_SQL = sql.SQL(
    "(coalesce(respond_due < coalesce(claimed_at, now()), false)"
    " OR coalesce(arrive_due < coalesce(on_scene_at, now()), false)"
    " OR coalesce(report_due < coalesce(field_report_at, now()), false)"
    " OR coalesce(close_due < coalesce(closed_at, now()), false))"
)


def is_overdue(row: Mapping[str, Any], now: dt.datetime) -> bool:
    """The Python twin of :data:`OVERDUE_SQL` (for rows already in memory).

    Parameters
    ----------
    row : dict
        An incident row with the ``*_due`` deadlines and the ``*_at`` step times.
    now : datetime.datetime
        The clock, used for steps not yet done.

    Returns
    -------
    bool
        True when any step missed (or is past) its deadline.
    """
    return any(
        row.get(due) is not None and row[due] < (row.get(done) or now) for due, done in CLOCKS
    )


# ---------------------------------------------------------------------------- database
COLUMNS = sql.SQL(
    "id, number, reported_at, source, category, class, priority, description, "
    "reporter_name, reporter_phone, ST_X(geom) AS lon, ST_Y(geom) AS lat, grid_code, "
    "status, dispatched_at, accepted_at, on_scene_at, resolved_at, closed_at, "
    "respond_due, arrive_due, report_due, close_due, escalation_level, "
    "mediation_failures, linked_to, reopened, satisfaction, resolution_note, "
    "resolution_photo, address, reporter_email, media_url, changed_at, path::text AS path, "
    "claimed_by, claimed_at, field_report, field_report_at, field_photo, flagged_at, flag_reason"
)


def get(*, conn: psycopg.Connection, incident_id: int, lock: bool = False) -> IncidentRow:
    """One incident by id.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.
    lock : bool
        Lock the row (``FOR UPDATE``) until the transaction ends.

    Returns
    -------
    dict
        The incident's columns: ``id``, ``number``, ``status``, ``category``, ``priority``,
        ``lon``/``lat`` (WGS-84), ``grid_code``, the step times, the ``*_due`` deadlines,
        ``escalation_level``, ``path`` and so on.

    Raises
    ------
    NotFound
        No incident has this id (or the transaction may not see it).
    """
    query = sql.SQL("SELECT {cols} FROM incidents WHERE id = %(id)s{lock}").format(
        cols=COLUMNS, lock=sql.SQL(" FOR UPDATE" if lock else "")
    )
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query, {"id": incident_id}).fetchone()
    if row is None:
        raise NotFound(f"Incident {incident_id} does not exist.", code="incident.not_found",
                       id=incident_id)  # fmt: skip
    return cast(IncidentRow, row)


def event(
    conn: psycopg.Connection, incident_id: int, action: str, before: Any, after: Any
) -> None:
    """Append a step to the case's history and tell every open console (NOTIFY).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the case.
    action : str
        What happened (``create``, ``status``, ``escalate``, ...).
    before, after : object
        The state before and after, stored as JSON.
    """
    conn.execute(
        "INSERT INTO incident_events (incident_id, action, before, after) "
        "VALUES (%(i)s, %(a)s, %(b)s, %(f)s)",
        {
            "i": incident_id,
            "a": action,
            "b": json.dumps(before, default=str),
            "f": json.dumps(after, default=str),
        },
    )
    conn.execute(
        "SELECT pg_notify('incidents', %(p)s)",
        {"p": json.dumps({"id": incident_id, "action": action})},
    )


def policy_for(conn: psycopg.Connection, category: str, priority: str) -> Policy:
    """The SLA policy of a category and priority (the category's own, else the priority's).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    category : str
        Category code.
    priority : str
        One of ``PRIORITIES``.

    Returns
    -------
    Policy
        Whether the case is quick, and its limits in seconds after the report.

    Raises
    ------
    NotFound
        No policy covers the priority.
    """
    row = conn.execute(
        "SELECT quick, respond_s, arrive_s, report_s, close_s FROM sla_policies "
        "WHERE priority = %(p)s AND (category = %(c)s OR category IS NULL) "
        "ORDER BY category IS NULL LIMIT 1",
        {"p": priority, "c": category},
    ).fetchone()
    if row is None:
        raise NotFound(f"No SLA policy for priority {priority}.", code="sla.none",
                       priority=str(priority)[:40])  # fmt: skip
    return Policy(*row)


def create(
    *,
    conn: psycopg.Connection,
    lon: float,
    lat: float,
    category: str,
    priority: str,
    source: str,
    klass: str | None = None,
    description: str = "",
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
    grid_code: str | None = None,
    linked_to: int | None = None,
    region_bbox: tuple[float, float, float, float],
    boundary_m: float = 30.0,
    address: str | None = None,
    reporter_email: str | None = None,
    media_url: str | None = None,
) -> IncidentRow:
    """Open a case at (lon, lat). The grid is the one containing the point; near a boundary
    the caller may name one of the grids within ``boundary_m`` instead. Channels call
    :func:`geo.intake.open_case`, which supplies the jurisdiction's extent ``region_bbox``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    lon, lat : float
        Where the case is (WGS-84 degrees).
    category : str
        Category code.
    priority : str
        One of ``PRIORITIES``.
    source : str
        The channel it came by, one of ``SOURCES``.
    klass : str or None
        The 三事 class, one of ``CLASSES``; None takes the category's default.
    description : str
        What was reported (at most 4000 characters).
    reporter_name, reporter_phone : str or None
        Who reported it (at most 100 and 40 characters).
    grid_code : str or None
        The grid the caller picked; None takes the grid containing (else nearest to) the point.
    linked_to : int or None
        Id of a case this one is linked to.
    region_bbox : tuple of float
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)``.
    boundary_m : float
        How far, in metres, a grid may be from the point and still be chosen.
    address, reporter_email, media_url : str or None
        Further details from the channel.

    Returns
    -------
    dict
        The new incident as :func:`get` returns it (``status`` is ``"reported"``).

    Raises
    ------
    InvalidInput
        Unknown priority, source, class or category, text too long, no grid near the point, or
        ``grid_code`` not within ``boundary_m``.
    OutsideJurisdiction
        The point is outside ``region_bbox`` (or latitude and longitude look swapped).
    NotFound
        No SLA policy covers the priority.
    """
    if priority not in PRIORITIES:
        raise InvalidInput(f"Unknown priority {priority!r}.", code="unknown_value",
                           value=str(priority)[:40])  # fmt: skip
    if source not in SOURCES:
        raise InvalidInput(f"Unknown source {source!r}.", code="unknown_value",
                           value=str(source)[:40])  # fmt: skip
    if klass is not None and klass not in CLASSES:
        raise InvalidInput(f"Unknown class {klass!r}.", code="unknown_value",
                           value=str(klass)[:40])  # fmt: skip
    if len(description) > 4000 or len(reporter_name or "") > 100 or len(reporter_phone or "") > 40:
        raise InvalidInput("Description, reporter name or phone is too long.",
                           code="intake.too_long")  # fmt: skip
    check_lonlat([lon], [lat], bbox=region_bbox)
    cat = conn.execute(
        "SELECT default_class FROM categories WHERE code = %(c)s", {"c": category}
    ).fetchone()
    if cat is None:
        raise InvalidInput(f"Unknown category {category!r}.", code="unknown_value",
                           value=str(category)[:40])  # fmt: skip
    candidates = grids_near(conn=conn, lon=lon, lat=lat, within_m=boundary_m)
    if not candidates:
        raise InvalidInput("The point is not inside any grid of this jurisdiction.",
                           code="intake.no_grid")  # fmt: skip
    if grid_code is None:
        inside = [g for g in candidates if g["distance_m"] == 0]
        grid = (inside or candidates)[0]
    else:
        matches = [g for g in candidates if g["code"] == grid_code]
        if not matches:
            far = f"Grid {grid_code} is not within {boundary_m:g} m of the point."
            raise InvalidInput(far, code="intake.grid_far", grid=grid_code, m=f"{boundary_m:g}")
        grid = matches[0]
    now_row = conn.execute("SELECT now(), nextval('incident_number_seq')").fetchone()
    assert now_row is not None
    now, seq = now_row
    due = deadlines(policy_for(conn, category, priority), now)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "INSERT INTO incidents (number, reported_at, source, category, class, priority, "
            "description, reporter_name, reporter_phone, geom, h3, grid_id, grid_code, path, "
            "respond_due, arrive_due, report_due, close_due, linked_to, address, "
            "reporter_email, media_url) VALUES (%(number)s, "
            "%(now)s, %(source)s, %(category)s, %(klass)s, %(priority)s, %(description)s, "
            "%(rn)s, %(rp)s, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326), %(h3)s, %(gid)s, "
            "%(gcode)s, %(path)s::ltree, %(respond_due)s, %(arrive_due)s, %(report_due)s, "
            "%(close_due)s, %(linked)s, %(address)s, %(email)s, %(media)s) RETURNING id",
            {
                "number": f"SJ{now:%Y%m%d}{seq:07d}",
                "now": now,
                "source": source,
                "category": category,
                "klass": klass or cat[0],
                "priority": priority,
                "description": description,
                "rn": reporter_name,
                "rp": reporter_phone,
                "x": lon,
                "y": lat,
                "h3": cell_of(lat, lon),
                "gid": grid["id"],
                "gcode": grid["code"],
                "path": grid["path"],
                "linked": linked_to,
                "address": address,
                "email": reporter_email,
                "media": media_url,
                **due,
            },
        ).fetchone()
    assert row is not None
    event(conn, row["id"], "create", None, {"status": "reported", "grid": grid["code"]})
    return get(conn=conn, incident_id=row["id"])


def transition(
    *,
    conn: psycopg.Connection,
    incident_id: int,
    target: str,
    note: str | None = None,
    photo: str | None = None,
) -> IncidentRow:
    """Move a case along the closed loop; resolving needs a note.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.
    target : str
        The new status, one of ``STATUSES``.
    note : str or None
        A note for the step (at most 4000 characters); the resolution note when resolving.
    photo : str or None
        Reference to the resolution photo (for example ``/api/photos/7``); kept when resolving.

    Returns
    -------
    dict
        The incident after the move, as :func:`get` returns it.

    Raises
    ------
    NotFound
        No such incident.
    InvalidInput
        Unknown status, no note when resolving, or a note that is too long.
    Conflict
        The move is not allowed from the current status.
    """
    if target in ("resolved", "closed"):
        # Settling frees the case's units (a trigger): lock them before the case, the order
        # dispatching and a unit's own status change take, so that a crew pressing
        # "returning" while the desk resolves waits instead of deadlocking with it.
        conn.execute(
            "SELECT 1 FROM units WHERE id IN (SELECT unit_id FROM dispatches WHERE "
            "incident_id = %(id)s AND released_at IS NULL) ORDER BY id FOR UPDATE",
            {"id": incident_id},
        )
    row = get(conn=conn, incident_id=incident_id, lock=True)
    check_transition(row["status"], target)
    if target == "resolved" and not (note and note.strip()):
        raise InvalidInput("Resolving a case needs a resolution note.", code="incident.need_note")
    if note is not None and len(note) > 4000:
        raise InvalidInput("The note is too long.", code="incident.note_long")
    sets: list[sql.Composable] = [sql.SQL("status = %(t)s, updated_at = now()")]
    if target in _STAMP:
        sets.append(sql.SQL("{c} = coalesce({c}, now())").format(c=sql.Identifier(_STAMP[target])))
    if target == "resolved":  # the resolution is the report back when none came before
        sets.append(sql.SQL(
            "resolution_note = %(note)s, resolution_photo = %(photo)s, "
            "field_report = coalesce(field_report, %(note)s), "
            "field_report_at = coalesce(field_report_at, now())"))  # fmt: skip
    report_s = None
    if target == "on_scene" and row["on_scene_at"] is None:  # the report-back clock starts
        report_s = policy_for(conn, row["category"], row["priority"]).report_s
        sets.append(sql.SQL("report_due = now() + make_interval(secs => %(rs)s)"))
    if target == "reported" and row["status"] == "closed":  # reopened: nobody holds it now
        sets.append(sql.SQL("claimed_by = NULL, claimed_at = NULL"))
    conn.execute(
        sql.SQL("UPDATE incidents SET {sets} WHERE id = %(id)s").format(
            sets=sql.SQL(", ").join(sets)
        ),
        {"t": target, "id": incident_id, "note": note, "photo": photo, "rs": report_s},
    )
    event(
        conn,
        incident_id,
        "status",
        {"status": row["status"]},
        {"status": target, **({"note": note} if note else {})},
    )
    return get(conn=conn, incident_id=incident_id)


def resolve(*, conn: psycopg.Connection, incident_id: int, note: str) -> IncidentRow:
    """Resolve a case with a note; its latest photo, if any, is the resolution photo.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the case.
    note : str
        What was done (required).

    Returns
    -------
    IncidentRow
        The case, now resolved.

    Raises
    ------
    InvalidInput
        No note, or one that is too long.
    Conflict
        The case cannot be resolved from its status.
    """
    shots = photos.photo_ids(conn=conn, incident_id=incident_id)
    return transition(conn=conn, incident_id=incident_id, target="resolved", note=note,
                      photo=photos.ref(shots[-1]) if shots else None)  # fmt: skip


def feedback(*, conn: psycopg.Connection, incident_id: int, satisfaction: int) -> IncidentRow:
    """Resident feedback on a closed case (1-5); 1 or 2 reopens it.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.
    satisfaction : int
        The resident's rating, 1 (worst) to 5.

    Returns
    -------
    dict
        The incident afterwards, as :func:`get` returns it.

    Raises
    ------
    InvalidInput
        ``satisfaction`` is not a whole number from 1 to 5.
    NotFound
        No such incident.
    Conflict
        The case is not closed.
    """
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise InvalidInput("Satisfaction must be a whole number from 1 to 5.",
                           code="incident.satisfaction")  # fmt: skip
    row = get(conn=conn, incident_id=incident_id, lock=True)
    if row["status"] != "closed":
        raise Conflict("Feedback is taken on closed cases only.", code="incident.feedback_open")
    conn.execute(
        "UPDATE incidents SET satisfaction = %(s)s, feedback_at = now(), "
        "updated_at = now() WHERE id = %(id)s",
        {"s": satisfaction, "id": incident_id},
    )
    event(conn, incident_id, "feedback", None, {"satisfaction": satisfaction})
    if satisfaction <= 2:
        conn.execute(
            "UPDATE incidents SET status = 'reported', reopened = reopened + 1, "
            "closed_at = NULL, resolved_at = NULL, claimed_by = NULL, claimed_at = NULL "
            "WHERE id = %(id)s",  # reopened: nobody holds it now
            {"id": incident_id},
        )
        event(conn, incident_id, "reopen", {"status": "closed"}, {"status": "reported"})
    return get(conn=conn, incident_id=incident_id)


def mediation_failed(*, conn: psycopg.Connection, incident_id: int) -> IncidentRow:
    """Record a failed mediation; a blue dispute failing three times becomes yellow.

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
    """
    row = get(conn=conn, incident_id=incident_id, lock=True)
    n = row["mediation_failures"] + 1
    dispute = conn.execute(
        "SELECT domain = 'disputes' FROM categories WHERE code = %(c)s", {"c": row["category"]}
    ).fetchone()
    upgrade = bool(dispute and dispute[0]) and row["priority"] == "blue" and n >= 3
    conn.execute(
        "UPDATE incidents SET mediation_failures = %(n)s, priority = %(p)s, "
        "updated_at = now() WHERE id = %(id)s",
        {"n": n, "p": "yellow" if upgrade else row["priority"], "id": incident_id},
    )
    event(
        conn,
        incident_id,
        "mediation_failed",
        {"failures": n - 1},
        {"failures": n, **({"priority": "yellow"} if upgrade else {})},
    )
    return get(conn=conn, incident_id=incident_id)


def link_report(
    *,
    conn: psycopg.Connection,
    incident_id: int,
    source: str,
    description: str = "",
    reporter_name: str | None = None,
    reporter_phone: str | None = None,
) -> IncidentRow:
    """Record another report of an open case on that case instead of opening a new one.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the open incident.
    source : str
        The channel of the new report, one of ``SOURCES``.
    description : str
        What was reported (at most 4000 characters).
    reporter_name, reporter_phone : str or None
        Who reported it (at most 100 and 40 characters).

    Returns
    -------
    dict
        The incident afterwards, as :func:`get` returns it.

    Raises
    ------
    InvalidInput
        Unknown source, or text too long.
    NotFound
        No such incident.
    Conflict
        The case is closed.
    """
    if source not in SOURCES:
        raise InvalidInput(f"Unknown source {source!r}.", code="unknown_value",
                           value=str(source)[:40])  # fmt: skip
    if len(description) > 4000 or len(reporter_name or "") > 100 or len(reporter_phone or "") > 40:
        raise InvalidInput("Description, reporter name or phone is too long.",
                           code="intake.too_long")  # fmt: skip
    row = get(conn=conn, incident_id=incident_id, lock=True)
    if row["status"] == "closed":
        raise Conflict(f"Incident {row['number']} is closed: open a new case instead.",
                       code="incident.closed_link", number=row["number"])  # fmt: skip
    conn.execute("UPDATE incidents SET updated_at = now() WHERE id = %(id)s", {"id": incident_id})
    event(
        conn,
        incident_id,
        "linked_report",
        None,
        {
            "source": source,
            "description": description,
            "reporter_name": reporter_name,
            "reporter_phone": reporter_phone,
        },
    )
    return get(conn=conn, incident_id=incident_id)


def linked_reports(*, conn: psycopg.Connection, incident_id: int) -> int:
    """How many further reports were linked to the case.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.

    Returns
    -------
    int
        The number of ``linked_report`` events of the case.
    """
    row = conn.execute(
        "SELECT count(*) FROM incident_events WHERE incident_id = %(i)s "
        "AND action = 'linked_report'",
        {"i": incident_id},
    ).fetchone()
    return int(row[0]) if row else 0
