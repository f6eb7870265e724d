"""The rows geo's public functions return for incidents and units, typed (mypy checks the
keys): what ``incidents.get`` and its siblings give, a queue card's row, a unit of the API's
listing. Dispatches are dataclasses in ``geo.units`` (``DispatchResult``, ``Assignment``)."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict

# A case as ``incidents.get`` reads it (``incidents.COLUMNS``); functional form because one
# key, ``class``, is a Python keyword.
IncidentRow = TypedDict(
    "IncidentRow",
    {
        "id": int,
        "number": str,
        "reported_at": dt.datetime,
        "source": str,
        "category": str,
        "class": str,
        "priority": str,
        "description": str,
        "reporter_name": str | None,
        "reporter_phone": str | None,
        "lon": float,
        "lat": float,
        "grid_code": str | None,
        "status": str,
        "dispatched_at": dt.datetime | None,
        "accepted_at": dt.datetime | None,
        "on_scene_at": dt.datetime | None,
        "resolved_at": dt.datetime | None,
        "closed_at": dt.datetime | None,
        "respond_due": dt.datetime | None,
        "arrive_due": dt.datetime | None,
        "report_due": dt.datetime | None,
        "close_due": dt.datetime | None,
        "escalation_level": str,
        "mediation_failures": int,
        "linked_to": int | None,
        "reopened": int,
        "satisfaction": int | None,
        "resolution_note": str | None,
        "resolution_photo": str | None,
        "address": str | None,
        "reporter_email": str | None,
        "media_url": str | None,
        "changed_at": dt.datetime,
        "path": str,
        "claimed_by": str | None,
        "claimed_at": dt.datetime | None,
        "field_report": str | None,
        "field_report_at": dt.datetime | None,
        "field_photo": str | None,
        "flagged_at": dt.datetime | None,
        "flag_reason": str | None,
    },
)


class QueueRow(IncidentRow):
    """An open case on the desk's queue: the deadline due next, whether any was missed,
    and the category's names."""

    due: dt.datetime | None
    overdue: bool
    category_zh: str
    category_en: str


class UnitRow(TypedDict):
    """A unit as the API's listing gives it (``units.listing``)."""

    id: int
    call_sign: str
    type: str
    agency: str
    status: str
    status_time: dt.datetime | None
    platform_id: int | None
    grid_code: str | None
    lon: float | None
    lat: float | None
    position_time: dt.datetime | None
    incident_id: int | None
