"""What the dispatch desk shows of one case, and the checks before a case is opened.

:func:`case_file` gathers a case with its units, steps and photos in one call;
:func:`intake_preview` answers "which grid, and is this already reported?" for a picked point.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row

from geo import access, incidents, photos, places, proximity, units
from geo.coords import check_lonlat
from geo.rows import IncidentRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseFile:
    incident: IncidentRow
    category_zh: str
    category_en: str
    dispute: bool  # a dispute can record failed mediations
    overdue: bool
    assignments: list[units.Assignment]
    events: list[dict[str, Any]]
    photo_ids: list[int]
    linked_reports: int
    now: dt.datetime


def case_file(
    *, conn: psycopg.Connection, incident_id: int, see_phone: bool = True, viewed: bool = False
) -> CaseFile:
    """The case, its category, the units sent, the latest steps and its photos.

    ``see_phone``: False masks the reporter's phone number. ``viewed``: a person opened the
    case, so the view is written to the access log (with whether the phone was shown).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.
    see_phone : bool
        Show the reporter's phone number (False masks it).
    viewed : bool
        Write the view to the access log.

    Returns
    -------
    CaseFile
        The incident row, category names, whether it is a dispute and overdue, its unit
        assignments, latest events, photo ids, number of linked reports, and the database's now.

    Raises
    ------
    NotFound
        No such incident (or not one the transaction's jurisdiction may see).
    """
    row = incidents.get(conn=conn, incident_id=incident_id)
    if not see_phone:
        row["reporter_phone"] = access.mask_phone(row["reporter_phone"])
    if viewed:
        shown = "case+phone" if see_phone and row["reporter_phone"] else "case"
        access.log_view(conn=conn, entity="incident", entity_id=str(incident_id), what=shown)
    cat = conn.execute(
        "SELECT name_zh, name_en, domain = 'disputes', now() FROM categories WHERE code = %(c)s",
        {"c": row["category"]},
    ).fetchone()
    assert cat is not None  # incidents.category references categories
    now = cat[3]
    return CaseFile(
        incident=row,
        category_zh=cat[0],
        category_en=cat[1],
        dispute=bool(cat[2]),
        overdue=incidents.is_overdue(row, now),
        assignments=units.assignments(conn=conn, incident_id=incident_id),
        events=incident_events(conn=conn, incident_id=incident_id),
        photo_ids=photos.photo_ids(conn=conn, incident_id=incident_id),
        linked_reports=incidents.linked_reports(conn=conn, incident_id=incident_id),
        now=now,
    )


@dataclass(frozen=True)
class IntakePreview:
    lon: float
    lat: float
    grids: list[dict[str, Any]]  # nearest first; more than one: the operator picks
    duplicates: list[dict[str, Any]]  # open cases of the category nearby, nearest first


def intake_preview(
    *,
    conn: psycopg.Connection,
    lon: float,
    lat: float,
    category: str | None,
    boundary_m: float,
    duplicate_m: float,
    duplicate_s: float,
) -> IntakePreview:
    """The grids a case at (lon, lat) may belong to and possible duplicates of it (the point
    is checked against the city's extent, :func:`geo.places.city_bbox`).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    lon, lat : float
        The picked point (WGS-84 degrees).
    category : str or None
        The case's category; None skips the duplicate search.
    boundary_m : float
        How far, in metres, a grid may be from the point and still be offered.
    duplicate_m, duplicate_s : float
        How near in metres and how recent in seconds an open case of the category must be
        to count as a possible duplicate.

    Returns
    -------
    IntakePreview
        The point, the candidate grids (``id``, ``code``, ``name``, ``path``, ``distance_m``;
        nearest first) and up to five possible duplicates (``id``, ``number``, ``status``,
        ``reported_at``, ``distance_m``; nearest first).

    Raises
    ------
    InvalidInput, OutsideJurisdiction
        Not a valid point of the jurisdiction (swapped latitude/longitude is named).
    """
    check_lonlat([lon], [lat], bbox=places.city_bbox(conn=conn))
    grids = proximity.grids_near(conn=conn, lon=lon, lat=lat, within_m=boundary_m)
    dups = (
        proximity.find_duplicates(
            conn=conn,
            lon=lon,
            lat=lat,
            category=category,
            within_m=duplicate_m,
            within_s=duplicate_s,
        )
        if category
        else []
    )
    return IntakePreview(lon, lat, grids, dups)


def incident_events(
    *, conn: psycopg.Connection, incident_id: int, limit: int = 12
) -> list[dict[str, Any]]:
    """The case's latest steps (who, when, what), newest first.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    incident_id : int
        Id of the incident.
    limit : int
        At most this many events.

    Returns
    -------
    list of dict
        ``at``, ``actor``, ``action`` and ``after`` (the new state, JSON) of each event.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT at, actor, action, after FROM incident_events WHERE incident_id = %(i)s "
            "ORDER BY at DESC, id DESC LIMIT %(n)s",
            {"i": incident_id, "n": limit},
        ).fetchall()
