"""Find a place on the map from what the operator types: coordinates, a grid code or a name.

:func:`locate` reads, in this order:

1. two numbers separated by a comma, space, ``、`` or a full-width comma ``，``: coordinates
   (longitude first; a pair that only fits the city as latitude, longitude is read that way
   and the label says so; anything else is refused with the message of :mod:`geo.coords`);
2. an exact code of a current grid or of a district, street or community;
3. a case-insensitive part of a district, street, community or current grid name.

Every hit is a :class:`Place` with a point to fly to (``ST_PointOnSurface`` of an area, so it
lies inside even a U-shaped grid). No hit is an empty list.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from geo.coords import OK, BBox, check_lonlat, lonlat_problems
from geo.errors import InvalidInput, OutsideJurisdiction

log = logging.getLogger(__name__)

PlaceKind = Literal["point", "grid", "community", "street", "district"]
MAX_TEXT = 100
MAX_LIMIT = 50

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_PAIR = re.compile(rf"^({_NUMBER})\s*(?:[,，、]\s*|\s+)({_NUMBER})$")
_CODE = re.compile(r"^[0-9]{6}(?:[0-9]{3}){0,3}$")  # district 6, street 9, community 12, grid 15
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Place:
    """A search hit: what it is, how to show it, and where to put the map."""

    kind: PlaceKind
    label: str
    lon: float
    lat: float
    code: str | None = None


def parse_pair(text: str) -> tuple[float, float] | None:
    """The two numbers of ``"113.13, 27.83"`` (also space, ``、`` or ``，`` separated), in the
    order given; None when the text is not exactly two numbers.

    Parameters
    ----------
    text : str
        What the operator typed.

    Returns
    -------
    tuple of (float, float) or None
        The numbers as given (not yet read as lon/lat).
    """
    m = _PAIR.match(text.strip())
    if m is None:
        return None
    return float(m.group(1)), float(m.group(2))


def read_coordinates(a: float, b: float, bbox: BBox | None) -> Place:
    """The point meant by the pair ``(a, b)``.

    ``(a, b)`` as (lon, lat) inside ``bbox`` wins; otherwise ``(b, a)`` when that reading is
    inside (the label says it was read as latitude, longitude). Otherwise the verdict of
    :func:`geo.coords.check_lonlat` is raised: out of range, or outside the jurisdiction.

    Parameters
    ----------
    a, b : float
        The two numbers typed, in that order (degrees).
    bbox : BBox or None
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)``; None: any valid lon/lat.

    Returns
    -------
    Place
        A point with its lon/lat and a label.

    Raises
    ------
    InvalidInput
        Not longitude/latitude at all (or not finite).
    OutsideJurisdiction
        A valid point outside ``bbox`` either way round.
    """
    if int(lonlat_problems(a, b, bbox=bbox)) == OK:
        return Place("point", f"{a:.6f}, {b:.6f}", a, b)
    if int(lonlat_problems(b, a, bbox=bbox)) == OK:
        return Place("point", f"{b:.6f}, {a:.6f} (read as lat, lon)", b, a)
    if int(lonlat_problems(a, b, bbox=None)) != OK and int(lonlat_problems(b, a, bbox=None)) == OK:
        check_lonlat(b, a, bbox=bbox)  # only a point as (lat, lon): say where it falls
    check_lonlat(a, b, bbox=bbox)  # raises with the reason
    raise OutsideJurisdiction(
        f"({a:g}, {b:g}) is not a point in this jurisdiction.",
        code="places.not_here",
        at=f"({a:g}, {b:g})",
    )


def admin_codes(*, conn: psycopg.Connection, level: str) -> list[str]:
    """Codes of the admin units of ``level`` (city, district, street, community), sorted.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    level : str
        The admin level.

    Returns
    -------
    list of str
        The codes; empty for an unknown level.
    """
    rows = conn.execute(
        "SELECT code FROM admin_units WHERE level = %(l)s ORDER BY code", {"l": level}
    ).fetchall()
    return [str(r[0]) for r in rows]


def city_bbox(*, conn: psycopg.Connection) -> BBox | None:
    """The jurisdiction's extent: the city's admin area, else all current grids; None if
    the database holds neither.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    BBox or None
        ``(minlon, minlat, maxlon, maxlat)`` in degrees.
    """
    row = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT coalesce("
        " (SELECT ST_Extent(geom) FROM admin_units WHERE level = 'city'),"
        " (SELECT ST_Extent(geom) FROM grids WHERE valid_to IS NULL)) AS e) x"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Areas searchable by code or name: districts, streets, communities and current grids.
_AREAS = sql.SQL(
    "SELECT level AS kind, code, name, geom, CASE level WHEN 'district' THEN 1 "
    " WHEN 'street' THEN 2 ELSE 3 END AS rank FROM admin_units "
    " WHERE level IN ('district', 'street', 'community') "
    "UNION ALL SELECT 'grid', code, name, geom, 4 FROM grids WHERE valid_to IS NULL"
)


def locate(
    *,
    conn: psycopg.Connection,
    text: str,
    bbox: BBox | None = None,
    limit: int = 10,
) -> list[Place]:
    """Places matching what the operator typed, best first.

    Parameters
    ----------
    conn
        Database connection.
    text
        Coordinates (``lon, lat``), a grid/admin code, or part of a name (1-100 characters).
    bbox
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)`` for coordinates; None: the
        city's extent from the database.
    limit
        Most name matches returned (1-50).

    Returns
    -------
    list of Place
        Empty when nothing matches.

    Raises
    ------
    InvalidInput
        Empty, too long or control characters; coordinates that are not lon/lat.
    OutsideJurisdiction
        Coordinates outside the jurisdiction (either way round).
    """
    q = text.strip() if isinstance(text, str) else ""
    if not q:
        raise InvalidInput("Type coordinates, a grid code or a place name.", code="places.empty")
    if len(q) > MAX_TEXT:
        raise InvalidInput(
            f"The search text is longer than {MAX_TEXT} characters.",
            code="places.too_long",
            max=MAX_TEXT,
        )
    if _CONTROL.search(q):
        raise InvalidInput("The search text contains control characters.", code="places.control")
    limit = max(1, min(int(limit), MAX_LIMIT))
    pair = parse_pair(q)
    if pair is not None:
        box = bbox if bbox is not None else city_bbox(conn=conn)
        return [read_coordinates(pair[0], pair[1], box)]
    with conn.cursor(row_factory=class_row(Place)) as cur:
        if _CODE.match(q):
            exact = cur.execute(
                sql.SQL(
                    "SELECT kind, name || ' (' || code || ')' AS label, "
                    "ST_X(p) AS lon, ST_Y(p) AS lat, code FROM ("
                    " SELECT kind, code, name, ST_PointOnSurface(geom) AS p FROM ({areas}) a"
                    " WHERE code = %(q)s) x"
                ).format(areas=_AREAS),
                {"q": q},
            ).fetchall()
            if exact:
                return exact
        # Exact names first, then shorter ones; the point is computed for the hits only.
        return cur.execute(
            sql.SQL(
                "SELECT kind, name AS label, ST_X(p) AS lon, ST_Y(p) AS lat, code FROM ("
                " SELECT kind, code, name, rank, ST_PointOnSurface(geom) AS p,"
                "  lower(name) = lower(%(q)s) AS exact, length(name) AS len"
                " FROM ({areas}) a WHERE name ILIKE %(pattern)s ESCAPE '\\'"
                " ORDER BY exact DESC, len, rank, name, code LIMIT %(lim)s) x "
                "ORDER BY exact DESC, len, rank, name, code"
            ).format(areas=_AREAS),
            {"q": q, "pattern": f"%{_escape_like(q)}%", "lim": limit},
        ).fetchall()


def city_bounds(*, conn: psycopg.Connection, within: str | None = None) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the city (or of the grids under the ltree path
    ``within``), or None when nothing is loaded.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    within : str or None
        An ltree path of the admin tree; None: every current grid.

    Returns
    -------
    list of list of float or None
        The extent of the current grids as ``[[minlat, minlon], [maxlat, maxlon]]`` (Leaflet
        order: latitude first).
    """
    row = conn.execute(
        "SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) FROM (SELECT ST_Extent(geom) AS e "
        "FROM grids WHERE valid_to IS NULL AND (%(w)s::ltree IS NULL OR path <@ %(w)s::ltree)) x",
        {"w": within},
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [[row[0], row[1]], [row[2], row[3]]]


@dataclass(frozen=True)
class Area:
    path: str
    name: str
    level: str


def areas(
    *, conn: psycopg.Connection, levels: tuple[str, ...] = ("district", "street")
) -> list[Area]:
    """Admin units of ``levels`` (by default districts and streets, for the area filter),
    in tree order.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    levels : tuple of str
        The admin levels wanted.

    Returns
    -------
    list of Area
        Each with its ltree path, name and level, by path.
    """
    with conn.cursor(row_factory=class_row(Area)) as cur:
        return cur.execute(
            "SELECT path::text AS path, name, level FROM admin_units "
            "WHERE level = ANY(%(l)s) ORDER BY path",
            {"l": list(levels)},
        ).fetchall()


def display_names(*, conn: psycopg.Connection) -> dict[str, str]:
    """Names of the admin units and platforms, by code (for tables and reports).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    dict of str to str
        The name of each admin unit and platform code.
    """
    rows = conn.execute(
        "SELECT code, name FROM admin_units UNION ALL SELECT code, name FROM platforms"
    ).fetchall()
    return {str(c): str(n) for c, n in rows}
