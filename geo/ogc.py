"""OGC API - Features (Part 1: Core, GeoJSON) collections: the layers QGIS and GDAL read.

Read-only. Each collection is one SQL source with an id, its properties, its geometry and,
for the ones that change with time, the column the ``datetime`` filter applies to. Nothing
here knows HTTP; ``console.api.ogc`` maps requests onto :func:`items` and :func:`item`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.errors import InvalidInput, NotFound

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    source: str  # "table t WHERE ..." (no user input); filters are ANDed to it
    id_column: str
    id_type: type  # int or str
    properties: tuple[str, ...]  # SQL expressions "expr AS name" or bare column names
    temporal: str | None = None  # the column `datetime` filters


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "grids",
            "Grids (网格)",
            "Current grid boundaries with households, population and the grid worker.",
            "grids t WHERE t.valid_to IS NULL",
            "id",
            int,
            (
                "code",
                "name",
                "type",
                "zone_class",
                "community_code",
                "households",
                "population",
                "worker_name",
                "version",
                "valid_from",
            ),
        ),
        Collection(
            "admin_units",
            "Admin units",
            "Districts, streets and communities (the admin tree below the city).",
            "admin_units t WHERE t.level <> 'city'",
            "code",
            str,
            ("name", "level", "parent_code"),
        ),
        Collection(
            "platforms",
            "Rapid-response platforms (快警平台)",
            "Platforms with their members and vehicles.",
            "platforms t WHERE true",
            "id",
            int,
            ("code", "name", "members", "vehicles"),
        ),
        Collection(
            "units",
            "Units",
            "Responders with a known position: status and time of the last fix.",
            "units t WHERE t.geom IS NOT NULL",
            "id",
            int,
            ("call_sign", "type", "agency", "status", "status_time", "position_time"),
            temporal="position_time",
        ),
        Collection(
            "incidents",
            "Open incidents",
            "Cases not yet closed; reporter details are not part of this layer.",
            "incidents t WHERE t.status <> 'closed'",
            "id",
            int,
            (
                "number",
                "category",
                "class",
                "priority",
                "status",
                "source",
                "grid_code",
                "escalation_level",
                "reported_at",
            ),
            temporal="reported_at",
        ),
    )
}


def collection(name: str) -> Collection:
    """The collection called ``name``.

    Parameters
    ----------
    name : str
        A key of ``COLLECTIONS``.

    Returns
    -------
    Collection
        Its definition.

    Raises
    ------
    NotFound
        No collection of that name.
    """
    c = COLLECTIONS.get(name)
    if c is None:
        raise NotFound(
            f"No collection named {name!r}.", code="ogc.no_collection", name=str(name)[:40]
        )
    return c


# ---------------------------------------------------------------------- parameters
def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (CRS84); None when absent.

    Parameters
    ----------
    text : str or None
        The ``bbox`` query parameter.

    Returns
    -------
    tuple of float or None
        ``(minlon, minlat, maxlon, maxlat)`` in degrees.

    Raises
    ------
    InvalidInput
        Not four finite numbers, out of range, or crossing the antimeridian.
    """
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox takes four numbers: minlon,minlat,maxlon,maxlat.", code="ogc.bbox")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            "bbox takes four numbers: minlon,minlat,maxlon,maxlat.", code="ogc.bbox"
        ) from None
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise InvalidInput("bbox numbers must be finite.", code="ogc.bbox_finite")
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(
            "bbox is out of range (longitudes -180..180, latitudes -90..90).", code="ogc.bbox_range"
        )
    if x0 > x1:
        raise InvalidInput(
            "bbox crossing the antimeridian is not supported.", code="ogc.bbox_antimeridian"
        )
    return x0, y0, x1, y1


def _instant(text: str) -> dt.datetime | None:
    if text in ("", ".."):
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"datetime {text!r} is not RFC 3339.", code="ogc.datetime_format", text=text[:60]
        ) from None
    if t.tzinfo is None:
        raise InvalidInput(
            f"datetime {text!r} needs a time zone (Z or +08:00).",
            code="ogc.datetime_zone",
            text=text[:60],
        )
    return t


def parse_datetime(text: str | None) -> tuple[dt.datetime | None, dt.datetime | None] | None:
    """An instant or an interval ``start/end`` (either end open as ``..``); None: absent.

    Parameters
    ----------
    text : str or None
        The ``datetime`` query parameter (RFC 3339, with a time zone).

    Returns
    -------
    tuple of datetime or None
        ``(start, end)``, an open end None; an instant as ``(t, t)``.

    Raises
    ------
    InvalidInput
        Not RFC 3339, no time zone, both ends open, or an interval ending before it starts.
    """
    if text is None:
        return None
    if "/" in text:
        a, _, b = text.partition("/")
        start, end = _instant(a), _instant(b)
        if start is None and end is None:
            raise InvalidInput(
                "datetime interval needs at least one end.", code="ogc.interval_open"
            )
        if start is not None and end is not None and start > end:
            raise InvalidInput(
                "datetime interval ends before it starts.", code="ogc.interval_order"
            )
        return start, end
    t = _instant(text)
    if t is None:
        raise InvalidInput("datetime needs an instant or an interval.", code="ogc.datetime_empty")
    return t, t


# ---------------------------------------------------------------------- reads
def _select(c: Collection) -> sql.Composed:
    props = sql.SQL(", ").join(sql.SQL(p if " " in p else "t." + p) for p in c.properties)
    return sql.SQL(
        "SELECT t.{id} AS fid, ST_AsGeoJSON(t.geom, 6) AS geometry, {props} FROM {src}"
    ).format(id=sql.Identifier(c.id_column), props=props, src=sql.SQL(c.source))


def _filters(
    c: Collection,
    bbox: tuple[float, float, float, float] | None,
    when: tuple[dt.datetime | None, dt.datetime | None] | None,
) -> tuple[sql.Composable, dict[str, Any]]:
    parts: list[sql.Composable] = []
    args: dict[str, Any] = {}
    if bbox is not None:
        parts.append(sql.SQL("t.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)"))
        args.update(zip(("x0", "y0", "x1", "y1"), bbox, strict=True))
    if when is not None:
        if c.temporal is None:
            raise InvalidInput(
                f"Collection {c.id!r} has no time; datetime does not apply.",
                code="ogc.no_time",
                collection=c.id,
            )
        col = sql.SQL("t.") + sql.Identifier(c.temporal)
        if when[0] is not None:
            parts.append(col + sql.SQL(" >= %(t0)s"))
            args["t0"] = when[0]
        if when[1] is not None:
            parts.append(col + sql.SQL(" <= %(t1)s"))
            args["t1"] = when[1]
    if not parts:
        return sql.SQL(""), args
    return sql.SQL(" AND ") + sql.SQL(" AND ").join(parts), args


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    fid = row.pop("fid")
    geometry = json.loads(row.pop("geometry"))
    props = {k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    return {"type": "Feature", "id": fid, "geometry": geometry, "properties": props}


@dataclass(frozen=True)
class Page:
    features: list[dict[str, Any]]
    matched: int


def items(
    *,
    conn: psycopg.Connection,
    name: str,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    bbox: tuple[float, float, float, float] | None = None,
    when: tuple[dt.datetime | None, dt.datetime | None] | None = None,
) -> Page:
    """One page of a collection's features, ordered by id, and how many match in all.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        The collection's id.
    limit : int
        Most features on the page (1-``MAX_LIMIT``).
    offset : int
        Features skipped before the page (0 or more).
    bbox : tuple of float, optional
        ``(minlon, minlat, maxlon, maxlat)`` in degrees: features whose box intersects it.
    when : tuple of datetime or None, optional
        ``(start, end)`` from :func:`parse_datetime`, inclusive, on the temporal column.

    Returns
    -------
    Page
        The GeoJSON features (id, geometry with 6 decimals, properties) and the number
        matched.

    Raises
    ------
    NotFound
        No such collection.
    InvalidInput
        A limit or offset out of range, or a time filter on a collection without time.
    """
    c = collection(name)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT}.", code="ogc.limit", max=MAX_LIMIT)
    if offset < 0:
        raise InvalidInput("offset must not be negative.", code="ogc.offset")
    cond, args = _filters(c, bbox, when)
    with conn.cursor(row_factory=dict_row) as cur:
        count = sql.SQL("SELECT count(*) AS n FROM {src}").format(src=sql.SQL(c.source))
        matched = cur.execute(count + cond, args).fetchone()
        rows = cur.execute(
            _select(c)
            + cond
            + sql.SQL(" ORDER BY t.{id} LIMIT %(lim)s OFFSET %(off)s").format(
                id=sql.Identifier(c.id_column)
            ),
            {**args, "lim": limit, "off": offset},
        ).fetchall()
    return Page([_feature(r) for r in rows], int(matched["n"]) if matched else 0)


def item(*, conn: psycopg.Connection, name: str, fid: str) -> dict[str, Any]:
    """One feature by id.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        The collection's id.
    fid : str
        The feature's id, as in the URL.

    Returns
    -------
    dict
        A GeoJSON Feature: ``type``, ``id``, ``geometry`` and ``properties``.

    Raises
    ------
    NotFound
        No such collection or feature.
    """
    c = collection(name)
    try:
        key: int | str = c.id_type(fid)
    except ValueError:
        raise NotFound(
            f"No feature {fid!r} in {name!r}.", code="ogc.no_feature", fid=str(fid)[:40], name=name
        ) from None
    if isinstance(key, int) and not 0 < key < 2**63:
        raise NotFound(
            f"No feature {fid!r} in {name!r}.", code="ogc.no_feature", fid=str(fid)[:40], name=name
        )
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            _select(c) + sql.SQL(" AND t.{id} = %(k)s").format(id=sql.Identifier(c.id_column)),
            {"k": key},
        ).fetchone()
    if row is None:
        raise NotFound(
            f"No feature {fid!r} in {name!r}.", code="ogc.no_feature", fid=str(fid)[:40], name=name
        )
    return _feature(row)


def extent(*, conn: psycopg.Connection, name: str) -> list[float] | None:
    """The collection's bounding box (CRS84), None when it is empty.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        The collection's id.

    Returns
    -------
    list of float or None
        ``[minlon, minlat, maxlon, maxlat]`` in degrees, 6 decimals.

    Raises
    ------
    NotFound
        No such collection.
    """
    c = collection(name)
    row = conn.execute(
        sql.SQL(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(t.geom) AS e FROM {src}) x"
        ).format(src=sql.SQL(c.source))
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [round(float(v), 6) for v in row]
