"""The map layers' rows: one query per layer (GeoJSON geometry and the properties the
browser styles by), and the layers' versions (bumped when a layer's rows change)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.errors import InvalidInput, NotFound
from geo.incidents import NEW_CASE_SQL, OVERDUE_SQL

Feature = dict[str, Any]


# The incidents layer's feature columns (the live push reads the same, closed ones included);
# ``reported`` is the report time as shown, in the zone bound as ``%(tz)s``; ``new``, with the
# two deadlines (UTC, ISO 8601), lets a desk draw a new case's queue card from the live push.
INCIDENT_FEATURES = sql.SQL(
    """
    SELECT i.id, i.number, i.category, c.name_zh AS category_zh, c.name_en AS category_en,
           i.priority, i.status, i.grid_code, i.escalation_level,
           to_char(i.reported_at AT TIME ZONE %(tz)s, 'MM-DD HH24:MI') AS reported,
           {overdue} AS overdue, extract(epoch FROM i.changed_at)::float8 AS v,
           {new} AS new, to_char(i.respond_due AT TIME ZONE 'UTC', {iso}) AS respond_due,
           to_char(i.close_due AT TIME ZONE 'UTC', {iso}) AS close_due,
           ST_AsGeoJSON(i.geom, 6) AS geometry
    FROM incidents i JOIN categories c ON c.code = i.category"""
).format(overdue=OVERDUE_SQL, new=NEW_CASE_SQL, iso=sql.Literal('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))


# Layer name -> SQL returning `geometry` (GeoJSON text) and the feature properties.
_LAYER_SQL: dict[str, sql.SQL | sql.Composed] = {
    name: sql.SQL(q)
    for name, q in {
        "grids": """
        SELECT id, code, name, type, zone_class, households, population,
               ST_AsGeoJSON(geom, 6) AS geometry
        FROM grids WHERE valid_to IS NULL ORDER BY id""",
        "communities": """
        SELECT code, name, ST_AsGeoJSON(geom, 6) AS geometry
        FROM admin_units WHERE level = 'community' ORDER BY code""",
        "streets": """
        SELECT code, name, ST_AsGeoJSON(geom, 6) AS geometry
        FROM admin_units WHERE level IN ('street', 'district') ORDER BY code""",
        "roads": """
        SELECT id, name, class, bridge, tunnel, oneway, car, ST_AsGeoJSON(geom, 6) AS geometry
        FROM roads ORDER BY id""",
        "water": """
        SELECT id, name, kind, ST_AsGeoJSON(geom, 6) AS geometry FROM water ORDER BY id""",
        "platforms": """
        SELECT p.id, p.code, p.name, p.members, p.vehicles,
               (SELECT count(*) FROM platform_grids pg WHERE pg.platform_id = p.id) AS grids,
               ST_AsGeoJSON(p.geom, 6) AS geometry
        FROM platforms p ORDER BY p.id""",
        "units": """
        SELECT id, call_sign, type, agency, status,
               extract(epoch FROM position_time)::bigint AS fix,
               ST_AsGeoJSON(geom, 6) AS geometry
        FROM units WHERE geom IS NOT NULL ORDER BY id""",
    }.items()
}


_LAYER_SQL["incidents"] = INCIDENT_FEATURES + sql.SQL(" WHERE i.status <> 'closed' ORDER BY i.id")


LAYER_NAMES = tuple(_LAYER_SQL)

# The layers a map asks for by view (a province has 30,000 grids): each as (its table and the
# condition of its rows, its property columns). Their geometry is simplified to half a pixel
# of the view's zoom and rounded to what that zoom can show.
_VIEW_LAYERS: dict[str, tuple[str, str]] = {
    "grids": ("grids WHERE valid_to IS NULL",
              "id, code, name, type, zone_class, households, population"),
    "communities": ("admin_units WHERE level = 'community'", "code, name"),
    "streets": ("admin_units WHERE level IN ('street', 'district')", "code, name"),
    "roads": ("roads WHERE (%(z)s >= 13 OR class IN ('motorway', 'trunk', 'primary', "
              "'secondary', 'motorway_link', 'trunk_link', 'primary_link'))",
              "id, name, class, bridge, tunnel, oneway, car"),  # minor roads from zoom 13
    "water": ("water WHERE true", "id, name, kind"),
}  # fmt: skip
VIEW_LAYER_NAMES = frozenset(_VIEW_LAYERS)
UNSIMPLIFIED_ZOOM = 15  # from this zoom on, every vertex (the planner edits them)


@dataclass(frozen=True)
class View:
    """What a map shows: its bounds (lon/lat, EPSG:4326) and its zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    def __post_init__(self) -> None:
        ok = (-180 <= self.west < self.east <= 180 and -90 <= self.south < self.north <= 90
              and 0 <= self.zoom <= 22)  # fmt: skip
        if not ok:
            raise InvalidInput(
                "The map view is not a valid west,south,east,north box and zoom.",
                code="maplayer.bad_view",
            )


def _pixel_deg(zoom: int) -> float:
    """Degrees of longitude per screen pixel at ``zoom`` (256-pixel tiles)."""
    return 360.0 / (256 * 2**zoom)


def _digits(zoom: int) -> int:
    """Decimals that keep a coordinate within a tenth of a pixel at ``zoom`` (at most 6)."""
    return min(6, max(1, math.ceil(-math.log10(_pixel_deg(zoom) / 10))))


@dataclass(frozen=True)
class ViewRows:
    """A view layer's rows, or none and their count when more than the map can draw."""

    rows: list[dict[str, Any]]
    in_view: int
    capped: bool


def view_rows(*, conn: psycopg.Connection, name: str, view: View, cap: int) -> ViewRows:
    """The rows of one view layer that meet ``view``, simplified for its zoom.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        One of ``VIEW_LAYER_NAMES``.
    view : View
        The map's bounds and zoom.
    cap : int
        The most rows a map can draw.

    Returns
    -------
    ViewRows
        The rows (as :func:`layer_rows` gives them) that meet the view; when more than
        ``cap`` do, no rows, their count and ``capped``.

    Raises
    ------
    NotFound
        When ``name`` is not a view layer.
    """
    if name not in _VIEW_LAYERS:
        raise NotFound(
            f"No map layer named {name!r}.", code="maplayer.not_found", name=str(name)[:40]
        )
    table, columns = (sql.SQL(s) for s in _VIEW_LAYERS[name])
    box = sql.SQL("ST_MakeEnvelope(%(w)s, %(s)s, %(e)s, %(n)s, 4326)")
    params = {"w": view.west, "s": view.south, "e": view.east, "n": view.north, "z": view.zoom}
    n = conn.execute(
        sql.SQL("SELECT count(*) FROM {} AND geom && {}").format(table, box), params
    ).fetchone()
    in_view = int(n[0]) if n else 0
    if in_view > cap:
        return ViewRows([], in_view, True)
    tol = 0.0 if view.zoom >= UNSIMPLIFIED_ZOOM else _pixel_deg(view.zoom) / 2
    query = sql.SQL(
        "SELECT {columns}, ST_AsGeoJSON(ST_Simplify(geom, %(tol)s, true), %(digits)s) "
        "AS geometry FROM {table} AND geom && {box} ORDER BY 1"
    ).format(columns=columns, table=table, box=box)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, {**params, "tol": tol, "digits": _digits(view.zoom)}).fetchall()
    for r in rows:
        r["geometry"] = json.loads(r["geometry"])
    return ViewRows(rows, in_view, False)


def layer_rows(
    *, conn: psycopg.Connection, name: str, tz: str = "Asia/Shanghai"
) -> list[dict[str, Any]]:
    """Rows of one map layer; ``geometry`` is a GeoJSON geometry (dict).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    name : str
        Layer name, one of ``LAYER_NAMES``.
    tz : str
        Time zone (IANA name) of the times shown in popups (the incidents' ``reported``).

    Returns
    -------
    list of dict
        One row per feature: ``geometry`` (GeoJSON dict, lon/lat, 6 decimals) and the layer's
        properties (for example ``id``, ``code``, ``name``, ``status``).

    Raises
    ------
    NotFound
        When ``name`` is not a known layer.
    """
    sql = _LAYER_SQL.get(name)
    if sql is None:
        raise NotFound(
            f"No map layer named {name!r}.", code="maplayer.not_found", name=str(name)[:40]
        )
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql, {"tz": tz} if name == "incidents" else None).fetchall()
    for r in rows:
        r["geometry"] = json.loads(r["geometry"])
    return rows


def layer_versions(*, conn: psycopg.Connection) -> list[int] | None:
    """The version of every map layer (bumped when a layer's rows change), by layer name.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).

    Returns
    -------
    list of int or None
        The versions ordered by layer name, or None when no versions are recorded.
    """
    row = conn.execute("SELECT array_agg(version ORDER BY name) FROM layer_versions").fetchone()
    return list(row[0]) if row and row[0] is not None else None
