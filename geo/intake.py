"""One intake for every channel: the desk, /api/v1 and Open311 hand a report to
:func:`open_case`, which always checks it against the jurisdiction and opens the case.

A street's desk or token can only open cases in its street: row-level security refuses the
insert (``geo.access``); the city's extent is checked here for every channel alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg

from geo import categories, idempotency, incidents, places
from geo.errors import InvalidInput
from geo.rows import IncidentRow

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,63}$")
_URL = re.compile(r"^https?://[^\s]{1,990}$")


@dataclass(frozen=True)
class Report:
    """A report as a channel hands it in (coordinates already WGS-84; GCJ-02 is converted at
    the edge). Without ``lon``/``lat``, ``address`` is looked up among the city's places."""

    category: str
    priority: str | None  # None: the category's default priority
    source: str
    lon: float | None = None
    lat: float | None = None
    address: str | None = None
    klass: str | None = None
    description: str = ""
    reporter_name: str | None = None
    reporter_phone: str | None = None
    reporter_email: str | None = None
    media_url: str | None = None
    grid_code: str | None = None


@dataclass(frozen=True)
class Retry:
    """An API client's retry key: the same key and body give back the same case."""

    token_id: int
    key: str | None
    request_sha256: str


def check(report: Report) -> None:
    """Refuse what no channel may send (the rest is checked by ``incidents.create``).

    Parameters
    ----------
    report : Report
        The report as the channel handed it in.

    Raises
    ------
    InvalidInput
        An address, e-mail or media URL that is too long or not of its form.
    """
    if report.address is not None and len(report.address) > 400:
        raise InvalidInput("The address is longer than 400 characters.", code="intake.address")
    if report.reporter_email is not None and not _EMAIL.match(report.reporter_email):
        raise InvalidInput("The e-mail address is not valid.", code="intake.email")
    if report.media_url is not None and not _URL.match(report.media_url):
        raise InvalidInput("The media URL must be an http(s) address of at most 1000 characters.",
                           code="intake.media_url")  # fmt: skip


def open_case(
    *,
    conn: psycopg.Connection,
    report: Report,
    boundary_m: float,
    retry: Retry | None = None,
) -> tuple[IncidentRow, bool]:
    """Open a case from a report.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection in the acting user's transaction (``geo.db.transaction``).
    report : Report
        What the channel received.
    boundary_m : float
        Within this many metres of a grid boundary, ``report.grid_code`` may pick the grid.
    retry : Retry, optional
        The API client's Idempotency-Key: a retry gets the case the first request opened.

    Returns
    -------
    (dict, bool)
        The case as ``incidents.get`` returns it, and whether it was opened now (False: a
        retry answered with the earlier case).

    Raises
    ------
    InvalidInput
        No jurisdiction loaded, a point outside it, an address that matches no place, or a
        field ``incidents.create`` refuses.
    """
    check(report)
    bbox = places.city_bbox(conn=conn)
    if bbox is None:
        raise InvalidInput("No jurisdiction is loaded yet: nothing can be reported.",
                           code="intake.no_city")  # fmt: skip
    lon, lat = report.lon, report.lat
    if lon is None or lat is None:
        hits = places.locate(conn=conn, text=report.address or "", bbox=bbox, limit=1)
        if not hits:
            raise InvalidInput(f"No place matches the address {report.address!r}.",
                               code="intake.no_place", address=str(report.address)[:100])
        lon, lat = hits[0].lon, hits[0].lat
    fields: dict[str, Any] = {
        "lon": lon,
        "lat": lat,
        "category": report.category,
        "priority": report.priority or categories.default_priority(conn=conn,
                                                                   category=report.category),
        "source": report.source,
        "klass": report.klass,
        "description": report.description,
        "reporter_name": report.reporter_name,
        "reporter_phone": report.reporter_phone,
        "grid_code": report.grid_code,
        "region_bbox": bbox,
        "boundary_m": boundary_m,
        "address": report.address,
        "reporter_email": report.reporter_email,
        "media_url": report.media_url,
    }
    if retry is None:
        return incidents.create(conn=conn, **fields), True
    return idempotency.create_once(
        conn=conn, token_id=retry.token_id, key=retry.key,
        request_sha256=retry.request_sha256, **fields,
    )  # fmt: skip
