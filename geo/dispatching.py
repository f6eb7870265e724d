"""The operator's two steps on a case, for the desk and /api/v1 alike: which units to send
(:func:`recommend`) and sending them (:func:`send`).

The rules live here once: the case's own grid worker goes first unless another unit arrives
more than :data:`PREFER_GRID_WORKER_S` sooner, and the ETAs stored with a dispatch are
computed on the server from the live unit positions, never taken from a browser.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from geo import units as units_mod
from geo.routing import NearestResult, Router, UnitSnapshot, nearest_units
from geo.rows import IncidentRow

PREFER_GRID_WORKER_S = 60.0


def recommend(
    *,
    conn: psycopg.Connection,
    router: Router,
    units: UnitSnapshot,
    case: IncidentRow,
    k: int = 5,
    types: tuple[str, ...] | None = None,
    each_type: bool = False,
) -> NearestResult:
    """The best ``k`` units for a case, by ETA, with their routes.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    router : Router
        The travel-time engine (``console`` keeps one per worker).
    units : UnitSnapshot
        The units as they are now.
    case : mapping
        The case as ``incidents.get`` returns it (its ``lon``, ``lat`` and ``grid_code``
        are used; it is not read again).
    k : int
        How many units.
    types : tuple of str, optional
        Only units of these types.
    each_type : bool
        With several ``types``, the best units of each.

    Returns
    -------
    NearestResult
        The recommendations, best first, and a reason when there are fewer than ``k``.
    """
    return nearest_units(
        conn=conn,
        router=router,
        point=(float(case["lon"]), float(case["lat"])),
        grid_code=case.get("grid_code"),
        k=k,
        types=types,
        each_type=each_type,
        prefer_grid_worker_within_s=PREFER_GRID_WORKER_S,
        units=units,
    )


def etas(
    *,
    conn: psycopg.Connection,
    router: Router,
    units: UnitSnapshot,
    case: IncidentRow,
    unit_ids: Sequence[int],
) -> dict[int, float]:
    """Seconds each of ``unit_ids`` needs to reach the case now (units that cannot reach it
    within the search's limit are left out).

    Parameters
    ----------
    conn, router, units, case
        As for :func:`recommend`.
    unit_ids : sequence of int
        The units to time.

    Returns
    -------
    dict
        ETA in seconds by unit id.
    """
    res = nearest_units(
        conn=conn,
        router=router,
        point=(float(case["lon"]), float(case["lat"])),
        k=max(1, min(len(unit_ids), 100)),
        available_only=False,
        units=units,
        unit_ids=unit_ids,
        with_paths=False,
    )
    return {r.unit_id: r.eta_s for r in res.recommendations}


def send(
    *,
    conn: psycopg.Connection,
    router: Router,
    units: UnitSnapshot,
    case: IncidentRow,
    unit_ids: Sequence[int],
) -> units_mod.DispatchResult:
    """Send ``unit_ids`` to the case, all or none, with the ETAs computed now.

    Parameters
    ----------
    conn, router, units, case
        As for :func:`recommend`.
    unit_ids : sequence of int
        The units to send (1 to 20).

    Returns
    -------
    DispatchResult
        The case and the units sent.

    Raises
    ------
    Conflict
        A unit was taken by someone else meanwhile, or the case is closed.
    """
    times = etas(conn=conn, router=router, units=units, case=case, unit_ids=unit_ids)
    return units_mod.dispatch(conn=conn, incident_id=int(case["id"]), unit_ids=unit_ids, etas=times)
