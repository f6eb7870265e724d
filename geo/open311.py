"""Open311 GeoReport v2 mapped onto griddispatch: services are incident categories, service
requests are incidents (``service_request_id`` is the case number).

Nothing here knows HTTP: ``console.api.open311`` parses the request, these functions read and
shape rows, and cases are opened by ``geo.incidents.create`` like every other intake.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo import incidents
from geo.errors import InvalidInput

DEFAULT_SOURCE = "hotline_12345"  # citizen reports through 12345 apps and portals
MAX_REQUESTS = 1000
DEFAULT_WINDOW = dt.timedelta(days=90)
_LABELS = {
    "priority": {"red": "Red (urgent)", "yellow": "Yellow", "blue": "Blue (routine)"},
    "class": {"family": "家事 (household)", "shared": "共事 (shared)", "public": "公事 (public)"},
    "datum": {"wgs84": "WGS 84 (GPS)", "gcj02": "GCJ-02 (Chinese web maps)"},
}


def services(*, conn: psycopg.Connection, lang: str = "zh-CN") -> list[dict[str, Any]]:
    """GET services: one service per incident category.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    lang : str
        The language of the service names: "en..." for English, else Chinese.

    Returns
    -------
    list of dict
        GeoReport v2 services by domain and code: ``service_code``, ``service_name``,
        ``description`` (English), ``metadata``, ``type``, ``keywords`` and ``group``.
    """
    name = "name_en" if lang.startswith("en") else "name_zh"
    rows = conn.execute(
        sql.SQL(
            "SELECT code, {name}, name_en, domain FROM categories ORDER BY domain, code"
        ).format(name=sql.Identifier(name))
    ).fetchall()
    return [
        {
            "service_code": code,
            "service_name": label,
            "description": en,
            "metadata": True,
            "type": "realtime",
            "keywords": code.replace("_", " "),
            "group": domain,
        }
        for code, label, en, domain in rows
    ]


def _values(kind: str, keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"key": k, "name": _LABELS.get(kind, {}).get(k, k.replace("_", " "))} for k in keys]


def definition(*, conn: psycopg.Connection, service_code: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a request of this service may carry.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    service_code : str
        The incident category's code.

    Returns
    -------
    dict
        ``service_code`` and ``attributes``: the optional lists priority, class, source and
        datum, each with its allowed values.

    Raises
    ------
    InvalidInput
        An unknown service code.
    """
    row = conn.execute(
        "SELECT default_class FROM categories WHERE code = %(c)s", {"c": service_code}
    ).fetchone()
    if row is None:
        raise InvalidInput(
            f"Unknown service_code {service_code!r}.",
            code="open311.service_code",
            value=str(service_code)[:40],
        )

    def attr(order: int, code: str, description: str, keys: tuple[str, ...]) -> dict[str, Any]:
        return {
            "variable": True,
            "code": code,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": order,
            "description": description,
            "values": _values(code, keys),
        }

    return {
        "service_code": service_code,
        "attributes": [
            attr(1, "priority", "Urgency; blue when not given.", incidents.PRIORITIES),
            attr(2, "class", f"三事 class; {row[0]} when not given.", incidents.CLASSES),
            attr(3, "source", f"Channel; {DEFAULT_SOURCE} when not given.", incidents.SOURCES),
            attr(4, "datum", "Datum of lat/long; wgs84 when not given.", ("wgs84", "gcj02")),
        ],
    }


@dataclass(frozen=True)
class NewRequest:
    """A POST requests body, checked."""

    service_code: str
    lon: float | None
    lat: float | None
    address: str | None
    priority: str
    klass: str | None
    source: str
    datum: str
    description: str
    reporter_name: str | None
    reporter_phone: str | None
    email: str | None = None
    media_url: str | None = None


def _one(params: dict[str, list[str]], key: str) -> str | None:
    values = params.get(key)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidInput(f"{key} is given more than once.", code="open311.repeated", key=key)
    return values[0].strip() or None


def _number(params: dict[str, list[str]], key: str) -> float | None:
    text = _one(params, key)
    if text is None:
        return None
    try:
        v = float(text)
    except ValueError:
        raise InvalidInput(f"{key} is not a number.", code="open311.not_number", key=key) from None
    if not math.isfinite(v):
        raise InvalidInput(f"{key} must be finite.", code="open311.not_finite", key=key)
    return v


def _choice(params: dict[str, list[str]], code: str, keys: tuple[str, ...], default: Any) -> Any:
    v = _one(params, f"attribute[{code}]")
    if v is None:
        return default
    if v not in keys:
        raise InvalidInput(
            f"attribute[{code}] must be one of {', '.join(keys)}.",
            code="open311.attribute",
            attribute=code,
            keys=", ".join(keys),
        )
    return v


KNOWN = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string", "address_id",
    "email", "device_id", "account_id", "first_name", "last_name", "phone", "description",
    "media_url",
}  # fmt: skip


def parse_request(params: dict[str, list[str]]) -> NewRequest:
    """Check a POST requests body (form fields, each a list of values).

    Parameters
    ----------
    params : dict of str to list of str
        The form fields of ``KNOWN`` and ``attribute[priority|class|source|datum]``; each
        may be given once.

    Returns
    -------
    NewRequest
        The checked request: lon/lat in degrees (in ``datum``, None with an address only),
        and the defaults for attributes not given.

    Raises
    ------
    InvalidInput
        Unknown or repeated fields, no service code, no location, a bad number or attribute
        value, or a text that is too long.
    """
    attrs = {"attribute[priority]", "attribute[class]", "attribute[source]", "attribute[datum]"}
    unknown = sorted(set(params) - KNOWN - attrs)
    if unknown:
        raise InvalidInput(
            f"Unknown field(s): {', '.join(unknown[:10])}.",
            code="open311.unknown_fields",
            fields=", ".join(u[:40] for u in unknown[:10]),
        )
    code = _one(params, "service_code")
    if code is None:
        raise InvalidInput("service_code is required.", code="open311.no_service")
    lat, lon = _number(params, "lat"), _number(params, "long")
    address = _one(params, "address_string")
    if (lat is None) != (lon is None):
        raise InvalidInput("lat and long go together.", code="open311.lat_long")
    if lat is None and address is None:
        raise InvalidInput(
            "A location is required: lat and long, or address_string.", code="open311.no_location"
        )
    if address is not None and len(address) > 100:
        raise InvalidInput("address_string is longer than 100 characters.", code="open311.address")
    description = _one(params, "description") or ""
    if len(description) > 4000:
        raise InvalidInput(
            "description is longer than 4000 characters.", code="open311.description"
        )
    first, last = _one(params, "first_name"), _one(params, "last_name")
    name = " ".join(p for p in (last, first) if p) or None  # family name first
    phone = _one(params, "phone")
    if (name and len(name) > 100) or (phone and len(phone) > 40):
        raise InvalidInput("The name or the phone number is too long.", code="open311.contact")
    return NewRequest(
        service_code=code,
        lon=lon,
        lat=lat,
        address=address,
        priority=_choice(params, "priority", incidents.PRIORITIES, "blue"),
        klass=_choice(params, "class", incidents.CLASSES, None),
        source=_choice(params, "source", incidents.SOURCES, DEFAULT_SOURCE),
        datum=_choice(params, "datum", ("wgs84", "gcj02"), "wgs84"),
        description=description,
        reporter_name=name,
        reporter_phone=phone,
        email=_one(params, "email"),
        media_url=_one(params, "media_url"),
    )


def _stamp(v: dt.datetime | None) -> str | None:
    return v.isoformat(timespec="seconds") if v is not None else None


_REQUESTS = """
    SELECT i.number, i.status, i.category, c.name_zh, c.name_en, i.description,
           i.resolution_note, i.reported_at, i.changed_at, i.close_due, i.resolution_photo,
           ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, g.name AS grid_name, i.grid_code
    FROM incidents i
    JOIN categories c ON c.code = i.category
    LEFT JOIN grids g ON g.id = i.grid_id
"""


def as_request(row: dict[str, Any], *, lang: str, base_url: str) -> dict[str, Any]:
    """One incident as a GeoReport v2 service request (no reporter details).

    Parameters
    ----------
    row : dict
        A row of :func:`requests`.
    lang : str
        The language of the service name: "en..." for English, else Chinese.
    base_url : str
        The console's public URL, for the resolution photo's ``media_url``.

    Returns
    -------
    dict
        The service request: ``service_request_id`` (the case number), ``status`` (open or
        closed), times as ISO 8601, ``lat`` and ``long`` (6 decimals), the grid as address.
    """
    notes = row["resolution_note"] or row["status"].replace("_", " ")
    photo = row["resolution_photo"]
    return {
        "service_request_id": row["number"],
        "status": "closed" if row["status"] == "closed" else "open",
        "status_notes": notes,
        "service_name": row["name_en"] if lang.startswith("en") else row["name_zh"],
        "service_code": row["category"],
        "description": row["description"],
        "agency_responsible": row["grid_name"],
        "service_notice": None,
        "requested_datetime": _stamp(row["reported_at"]),
        "updated_datetime": _stamp(row["changed_at"]),
        "expected_datetime": _stamp(row["close_due"]),
        "address": row["grid_name"],
        "address_id": row["grid_code"],
        "zipcode": None,
        "lat": round(row["lat"], 6),
        "long": round(row["lon"], 6),
        "media_url": f"{base_url}{photo}" if photo else None,  # photo: photos.ref(...)
    }


def requests(
    *,
    conn: psycopg.Connection,
    numbers: list[str] | None = None,
    service_codes: list[str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    statuses: list[str] | None = None,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """GET requests: by ids (any age), or by filters within a window (default the last 90
    days), newest first, at most MAX_REQUESTS.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    numbers : list of str or None
        Case numbers (``service_request_id``).
    service_codes : list of str or None
        Incident categories.
    start, end : datetime or None
        Reported within [start, end] (timezone-aware); without numbers, start defaults to
        90 days before ``end`` (or ``now``).
    statuses : list of str or None
        "open" and/or "closed".
    now : datetime or None
        The current time for the default window; None: now (UTC).

    Returns
    -------
    list of dict
        Incident rows for :func:`as_request`: ``number``, ``status``, ``category``, names,
        ``description``, notes, times, ``lon``, ``lat``, ``grid_name`` and ``grid_code``.

    Raises
    ------
    InvalidInput
        An unknown status, or start after end.
    """
    for s in statuses or []:
        if s not in ("open", "closed"):
            raise InvalidInput("status is open or closed.", code="open311.status")
    if start is not None and end is not None and start > end:
        raise InvalidInput("start_date is after end_date.", code="open311.dates")
    if not numbers and start is None:
        start = (end or now or dt.datetime.now(dt.UTC)) - DEFAULT_WINDOW
    want = set(statuses or ())
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            _REQUESTS + " WHERE (%(n)s::text[] IS NULL OR i.number = ANY(%(n)s))"
            " AND (%(c)s::text[] IS NULL OR i.category = ANY(%(c)s))"
            " AND (%(t0)s::timestamptz IS NULL OR i.reported_at >= %(t0)s)"
            " AND (%(t1)s::timestamptz IS NULL OR i.reported_at <= %(t1)s)"
            " AND (%(closed)s::boolean IS NULL OR (i.status = 'closed') = %(closed)s)"
            " ORDER BY i.reported_at DESC, i.id DESC LIMIT %(lim)s",
            {
                "n": numbers or None,
                "c": service_codes or None,
                "t0": start,
                "t1": end,
                "closed": None if len(want) != 1 else want == {"closed"},
                "lim": MAX_REQUESTS,
            },
        ).fetchall()
