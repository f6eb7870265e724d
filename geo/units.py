"""Units: the status model and atomic dispatch (a unit is never sent twice)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import psycopg
from psycopg.rows import class_row, dict_row

from geo import caseflow, incidents
from geo.errors import Conflict, InvalidInput, NotFound
from geo.rows import UnitRow

log = logging.getLogger(__name__)

UNIT_STATUSES = ("available", "dispatched", "en_route", "on_scene", "returning", "off_duty")
UNIT_TYPES = (
    "patrol_car",
    "foot_patrol",
    "grid_worker",
    "volunteer_team",
    "fire_engine",
    "ambulance",
    "department_crew",
)
# available -> dispatched happens only through dispatch(); the rest through set_status().
UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    "available": frozenset({"off_duty"}),
    "dispatched": frozenset({"en_route", "on_scene", "available"}),  # available = cancelled
    "en_route": frozenset({"on_scene", "available"}),
    "on_scene": frozenset({"returning", "available"}),
    "returning": frozenset({"available"}),
    "off_duty": frozenset({"available"}),
}


def check_unit_transition(current: str, target: str) -> None:
    """Raise :class:`Conflict` unless a unit may go from ``current`` to ``target``.

    Parameters
    ----------
    current : str
        The unit's status now.
    target : str
        The status asked for, one of ``UNIT_STATUSES``.

    Raises
    ------
    InvalidInput
        ``target`` is not a known unit status.
    Conflict
        ``UNIT_TRANSITIONS`` does not allow the move.
    """
    if target not in UNIT_STATUSES:
        raise InvalidInput(f"Unknown unit status {target!r}.", code="unknown_value",
                           value=str(target)[:40])  # fmt: skip
    if target not in UNIT_TRANSITIONS.get(current, frozenset()):
        raise Conflict(f"A unit that is {current} cannot become {target}.",
                       code="unit.transition", unit_status=current, target=target)  # fmt: skip


@dataclass(frozen=True)
class DispatchResult:
    incident_id: int
    unit_ids: list[int]
    dispatch_ids: list[int]


def _audit(
    conn: psycopg.Connection, unit_id: int, action: str, before: object, after: object
) -> None:
    conn.execute(
        "INSERT INTO audit_log (entity, entity_id, action, before, after) "
        "VALUES ('unit', %(id)s, %(a)s, %(b)s, %(f)s)",
        {"id": str(unit_id), "a": action, "b": json.dumps(before), "f": json.dumps(after)},
    )
    conn.execute(
        "SELECT pg_notify('units', %(p)s)", {"p": json.dumps({"id": unit_id, "action": action})}
    )


def dispatch(
    *,
    conn: psycopg.Connection,
    incident_id: int,
    unit_ids: Sequence[int],
    etas: Mapping[int, float] | None = None,
) -> DispatchResult:
    """Send units to a case, all or none. One ``UPDATE ... WHERE status = 'available'``
    takes the units; if any was taken meanwhile the whole action is refused (and the open-
    dispatch unique index backs this up inside the database).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the case.
    unit_ids : sequence of int
        The units to send (1-20 distinct ids).
    etas : mapping of int to float, optional
        Estimated travel time in seconds, by unit id.

    Returns
    -------
    DispatchResult
        The incident id, the unit ids (sorted) and the new dispatch ids.

    Raises
    ------
    InvalidInput
        No units or more than 20.
    NotFound
        The incident or a unit does not exist.
    Conflict
        The case is resolved or closed, or a unit is no longer available.
    """
    ids = sorted({int(u) for u in unit_ids})
    if not ids or len(ids) > 20:
        raise InvalidInput("Dispatch 1 to 20 units at a time.", code="dispatch.count")
    # Lock order everywhere: units by id, then the incident (no deadlocks between operators).
    conn.execute(
        "SELECT id FROM units WHERE id = ANY(%(ids)s) ORDER BY id FOR UPDATE", {"ids": ids}
    )
    inc = incidents.get(conn=conn, incident_id=incident_id, lock=True)
    if inc["status"] in ("resolved", "closed"):
        done = f"Incident {inc['number']} is {inc['status']}: nothing to dispatch to."
        raise Conflict(done, code="dispatch.settled", number=inc["number"], status=inc["status"])
    caseflow.check_holder(conn, inc)
    with conn.transaction():  # a savepoint: a refusal leaves the caller's transaction clean
        taken = [
            r[0]
            for r in conn.execute(
                "UPDATE units SET status = 'dispatched', status_time = clock_timestamp() "
                "WHERE id = ANY(%(ids)s) AND status = 'available' RETURNING id",
                {"ids": ids},
            ).fetchall()
        ]
        missing = sorted(set(ids) - set(taken))
        if missing:
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT call_sign FROM units WHERE id = ANY(%(m)s) ORDER BY id", {"m": missing}
                )
            ]
            if len(names) < len(missing):
                raise NotFound("A unit in the request does not exist.", code="unit.not_found")
            raise Conflict(
                f"No longer available: {', '.join(names)}. The list has been "
                "refreshed; choose again.",
                code="dispatch.taken",
                units=", ".join(names),
            )
        dispatch_ids = [
            r[0]
            for r in conn.execute(
                "INSERT INTO dispatches (incident_id, unit_id, dispatched_at, eta_s) "
                "SELECT %(i)s, u, clock_timestamp(), (%(etas)s::jsonb ->> u::text)::real "
                "FROM unnest(%(ids)s::int[]) u "
                "RETURNING id",
                {"i": incident_id, "ids": ids, "etas": json.dumps(dict(etas or {}))},
            ).fetchall()
        ]
        for u in ids:
            _audit(
                conn,
                u,
                "dispatch",
                {"status": "available"},
                {"status": "dispatched", "incident": incident_id},
            )
    if inc["claimed_at"] is None:  # dispatching claims the case for the dispatcher
        conn.execute(
            "UPDATE incidents SET claimed_by = app_actor(), claimed_at = now() WHERE id = %(i)s",
            {"i": incident_id},
        )
    if inc["status"] == "reported":
        incidents.transition(conn=conn, incident_id=incident_id, target="dispatched")
    return DispatchResult(incident_id, ids, dispatch_ids)


def set_status(*, conn: psycopg.Connection, unit_id: int, target: str) -> str:
    """Change a unit's status (en route, on scene, returning, available, off duty).

    Arriving puts its case on scene; becoming available or returning releases its dispatch.
    Lock order is the one dispatch() uses: units first, then the case.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    unit_id : int
        Id of the unit.
    target : str
        The new status, one of ``UNIT_STATUSES``.

    Returns
    -------
    str
        The new status (``target``).

    Raises
    ------
    NotFound
        No such unit.
    InvalidInput
        Unknown status.
    Conflict
        The move is not allowed from the unit's current status.
    """
    row = conn.execute(
        "SELECT status FROM units WHERE id = %(id)s FOR UPDATE", {"id": unit_id}
    ).fetchone()
    if row is None:
        raise NotFound(f"Unit {unit_id} does not exist.", code="unit.not_found")
    open_dispatch = _open_dispatch(conn, unit_id)
    if row[0] == target == "returning":  # already sent home when its case was settled
        return target
    check_unit_transition(row[0], target)
    conn.execute(
        "UPDATE units SET status = %(t)s, status_time = clock_timestamp() WHERE id = %(id)s",
        {"t": target, "id": unit_id},
    )
    _audit(conn, unit_id, "status", {"status": row[0]}, {"status": target})
    if open_dispatch is None:
        return target
    d_id, inc_id = open_dispatch
    inc = incidents.get(conn=conn, incident_id=inc_id, lock=True)
    if target == "on_scene" and inc["status"] in ("dispatched", "accepted"):
        incidents.transition(conn=conn, incident_id=inc_id, target="on_scene")
    elif target == "en_route" and inc["status"] == "dispatched":
        incidents.transition(conn=conn, incident_id=inc_id, target="accepted")
    elif target in ("returning", "available"):
        reason = "cancelled" if row[0] in ("dispatched", "en_route") else "completed"
        conn.execute(
            "UPDATE dispatches SET released_at = clock_timestamp(), release_reason = %(r)s "
            "WHERE id = %(d)s",
            {"r": reason, "d": d_id},
        )
        if (
            reason == "cancelled"
            and inc["status"] in ("dispatched", "accepted")
            and (
                conn.execute(
                    "SELECT 1 FROM dispatches WHERE incident_id = %(i)s AND released_at IS NULL",
                    {"i": inc_id},
                ).fetchone()
                is None
            )
        ):
            incidents.transition(conn=conn, incident_id=inc_id, target="reported")
    return target


def board(*, conn: psycopg.Connection) -> dict[tuple[str, str], dict[str, int]]:
    """The unit status board: how many units of each type and agency are in each status.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction: units outside its area are not seen).

    Returns
    -------
    dict
        Count by (unit type, agency), then by status (every status of ``UNIT_STATUSES``
        present); department crews, for example, come once for each department.
    """
    out: dict[tuple[str, str], dict[str, int]] = {}
    for t, a, st, n in conn.execute(
        "SELECT type, agency, status, count(*) FROM units GROUP BY 1, 2, 3"
    ):
        out.setdefault((str(t), str(a)), dict.fromkeys(UNIT_STATUSES, 0))[str(st)] = int(n)
    return out


def return_ready(*, conn: psycopg.Connection) -> list[int]:
    """Units back from a case: a returning unit becomes available once its type's return time
    (``unit_types.return_s``) has passed since it left, unless its crew reported sooner.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of int
        Ids of the units made available.
    """
    ids = [
        int(r[0])
        for r in conn.execute(
            "UPDATE units u SET status = 'available', status_time = clock_timestamp() "
            "FROM unit_types t WHERE t.type = u.type AND u.status = 'returning' "
            "AND u.status_time + make_interval(secs => t.return_s) <= now() RETURNING u.id"
        ).fetchall()
    ]
    for u in ids:
        _audit(conn, u, "status", {"status": "returning"}, {"status": "available"})
    return ids


def _open_dispatch(conn: psycopg.Connection, unit_id: int) -> tuple[int, int] | None:
    row = conn.execute(
        "SELECT id, incident_id FROM dispatches WHERE unit_id = %(id)s AND released_at IS NULL",
        {"id": unit_id},
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


@dataclass(frozen=True)
class Assignment:
    dispatch_id: int
    unit_id: int
    call_sign: str
    type: str
    status: str
    dispatched_at: dt.datetime
    eta_s: float | None
    released_at: dt.datetime | None
    release_reason: str | None


def assignments(*, conn: psycopg.Connection, incident_id: int) -> list[Assignment]:
    """Units sent to a case: open dispatches first, then released ones (newest first).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the case.

    Returns
    -------
    list of Assignment
        At most 30: dispatch and unit ids, call sign, type, status, dispatch time, ETA in
        seconds, and release time and reason (None while open).
    """
    with conn.cursor(row_factory=class_row(Assignment)) as cur:
        return cur.execute(
            "SELECT d.id AS dispatch_id, u.id AS unit_id, u.call_sign, u.type, u.status, "
            "d.dispatched_at, d.eta_s, d.released_at, d.release_reason "
            "FROM dispatches d JOIN units u ON u.id = d.unit_id WHERE d.incident_id = %(i)s "
            "ORDER BY d.released_at IS NOT NULL, d.dispatched_at DESC, u.id LIMIT 30",
            {"i": incident_id},
        ).fetchall()


def call_signs(*, conn: psycopg.Connection, unit_ids: Sequence[int]) -> list[str]:
    """Call signs of ``unit_ids``, in id order (for messages).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    unit_ids : sequence of int
        Unit ids; unknown ones are skipped.

    Returns
    -------
    list of str
        The call signs.
    """
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT call_sign FROM units WHERE id = ANY(%(i)s) ORDER BY id", {"i": list(unit_ids)}
        )
    ]


def listing(
    *,
    conn: psycopg.Connection,
    statuses: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
    after_id: int = 0,
    limit: int = 1000,
) -> list[UnitRow]:
    """Units by id with their position and the case of their open dispatch, for the API.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    statuses, types : sequence of str or None
        Keep only units with one of these statuses or types; None or empty keeps all.
    after_id : int
        Return units with a larger id only (the previous page's last id).
    limit : int
        At most this many rows (clamped to 1-10,000).

    Returns
    -------
    list of dict
        ``id``, ``call_sign``, ``type``, ``agency``, ``status``, ``status_time``,
        ``platform_id``, ``grid_code``, ``lon``/``lat`` (WGS-84; None when not located),
        ``position_time`` and ``incident_id`` (None without an open dispatch).
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return cast(list[UnitRow], cur.execute(
            "SELECT u.id, u.call_sign, u.type, u.agency, u.status, u.status_time, u.platform_id,"
            " u.grid_code, ST_X(u.geom) AS lon, ST_Y(u.geom) AS lat, u.position_time,"
            " d.incident_id FROM units u"
            " LEFT JOIN dispatches d ON d.unit_id = u.id AND d.released_at IS NULL"
            " WHERE u.id > %(after)s"
            " AND (%(st)s::text[] IS NULL OR u.status = ANY(%(st)s))"
            " AND (%(ty)s::text[] IS NULL OR u.type = ANY(%(ty)s))"
            " ORDER BY u.id LIMIT %(lim)s",
            {
                "after": after_id,
                "st": list(statuses) if statuses else None,
                "ty": list(types) if types else None,
                "lim": max(1, min(limit, 10_000)),
            },
        ).fetchall())
