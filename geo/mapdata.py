"""Queries behind the map layers and the grid card (rows in, nothing rendered here)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row, dict_row

from geo.errors import NotFound
from geo.incidents import OVERDUE_SQL

Feature = dict[str, Any]

# The incidents layer's feature columns (the live push reads the same, closed ones included).
INCIDENT_FEATURES = sql.SQL(
    """
    SELECT i.id, i.number, i.category, c.name_zh AS category_zh, c.name_en AS category_en,
           i.priority, i.status, i.grid_code, i.escalation_level,
           to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI') AS reported,
           {overdue} AS overdue,
           ST_AsGeoJSON(i.geom, 6) AS geometry
    FROM incidents i JOIN categories c ON c.code = i.category"""
).format(overdue=OVERDUE_SQL)

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
        SELECT id, name, class, bridge, ST_AsGeoJSON(geom, 6) AS geometry
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


def layer_rows(*, conn: psycopg.Connection, name: str) -> list[dict[str, Any]]:
    """Rows of one map layer; ``geometry`` is a GeoJSON geometry (dict).

    Raises
    ------
    NotFound
        When ``name`` is not a known layer.
    """
    sql = _LAYER_SQL.get(name)
    if sql is None:
        raise NotFound(f"No map layer named {name!r}.")
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(sql).fetchall()
    for r in rows:
        r["geometry"] = json.loads(r["geometry"])
    return rows


@dataclass(frozen=True)
class OpenIncident:
    number: str
    category_zh: str
    category_en: str
    priority: str
    status: str
    reported: str


@dataclass(frozen=True)
class GridCard:
    id: int
    code: str
    name: str
    type: str
    zone_class: str
    households: int
    population: int
    worker_name: str | None
    worker_phone: str | None
    leader_name: str | None
    community: str
    street: str
    district: str
    area_km2: float
    open_incidents: int
    incidents_365d: int
    recent_open: list[OpenIncident] = field(default_factory=list)


def grid_card(*, conn: psycopg.Connection, grid_id: int) -> GridCard:
    """What the operator sees after clicking a grid."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """
            SELECT g.id, g.code, g.name, g.type, g.zone_class, g.households, g.population,
                   g.worker_name, g.worker_phone, g.leader_name,
                   c.name AS community, s.name AS street, d.name AS district,
                   round((ST_Area(g.geom::geography) / 1e6)::numeric, 3)::float AS area_km2,
                   (SELECT count(*) FROM incidents i
                     WHERE i.grid_id = g.id AND i.status <> 'closed') AS open_incidents,
                   (SELECT count(*) FROM incidents i WHERE i.grid_id = g.id
                     AND i.reported_at > now() - interval '365 days') AS incidents_365d
            FROM grids g
            JOIN admin_units c ON c.code = g.community_code
            JOIN admin_units s ON s.code = c.parent_code
            JOIN admin_units d ON d.code = s.parent_code
            WHERE g.id = %(id)s
            """,
            {"id": grid_id},
        ).fetchone()
    if row is None:
        raise NotFound(f"Grid {grid_id} does not exist.")
    with conn.cursor(row_factory=class_row(OpenIncident)) as cur:
        recent = cur.execute(
            """
            SELECT i.number, c.name_zh AS category_zh, c.name_en AS category_en, i.priority,
                   i.status,
                   to_char(i.reported_at AT TIME ZONE 'Asia/Shanghai', 'MM-DD HH24:MI') AS reported
            FROM incidents i JOIN categories c ON c.code = i.category
            WHERE i.grid_id = %(id)s AND i.status <> 'closed'
            ORDER BY i.reported_at DESC LIMIT 5
            """,
            {"id": grid_id},
        ).fetchall()
    return GridCard(**row, recent_open=recent)


@dataclass(frozen=True)
class Counters:
    open: int
    overdue: int
    units_available: int


def counters(*, conn: psycopg.Connection) -> Counters:
    """Live counters of the top bar."""
    row = conn.execute(
        sql.SQL("""
        SELECT (SELECT count(*) FROM incidents WHERE status <> 'closed'),
               (SELECT count(*) FROM incidents WHERE status <> 'closed' AND {overdue}),
               (SELECT count(*) FROM units WHERE status = 'available')
        """).format(overdue=OVERDUE_SQL)
    ).fetchone()
    assert row is not None
    return Counters(*row)


def city_bounds(*, conn: psycopg.Connection, within: str | None = None) -> list[list[float]] | None:
    """[[south, west], [north, east]] of the city (or of the grids under the ltree path
    ``within``), or None when nothing is loaded."""
    row = conn.execute(
        "SELECT ST_YMin(e), ST_XMin(e), ST_YMax(e), ST_XMax(e) FROM (SELECT ST_Extent(geom) AS e "
        "FROM grids WHERE valid_to IS NULL AND (%(w)s::ltree IS NULL OR path <@ %(w)s::ltree)) x",
        {"w": within},
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return [[row[0], row[1]], [row[2], row[3]]]


@dataclass(frozen=True)
class Category:
    code: str
    name_zh: str
    name_en: str
    domain: str
    default_class: str


def categories(*, conn: psycopg.Connection) -> list[Category]:
    """Incident categories for pick lists."""
    with conn.cursor(row_factory=class_row(Category)) as cur:
        return cur.execute(
            "SELECT code, name_zh, name_en, domain, default_class FROM categories ORDER BY code"
        ).fetchall()


def default_class(*, conn: psycopg.Connection, category: str) -> str | None:
    """The 三事 class a category's cases get unless the operator says otherwise."""
    row = conn.execute(
        "SELECT default_class FROM categories WHERE code = %(c)s", {"c": category}
    ).fetchone()
    return None if row is None else str(row[0])


@dataclass(frozen=True)
class Area:
    path: str
    name: str
    level: str


def areas(
    *, conn: psycopg.Connection, levels: tuple[str, ...] = ("district", "street")
) -> list[Area]:
    """Admin units of ``levels`` (by default districts and streets, for the area filter),
    in tree order."""
    with conn.cursor(row_factory=class_row(Area)) as cur:
        return cur.execute(
            "SELECT path::text AS path, name, level FROM admin_units "
            "WHERE level = ANY(%(l)s) ORDER BY path",
            {"l": list(levels)},
        ).fetchall()


def incident_events(
    *, conn: psycopg.Connection, incident_id: int, limit: int = 12
) -> list[dict[str, Any]]:
    """The case's latest steps (who, when, what), newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT at, actor, action, after FROM incident_events WHERE incident_id = %(i)s "
            "ORDER BY at DESC, id DESC LIMIT %(n)s",
            {"i": incident_id, "n": limit},
        ).fetchall()


def display_names(*, conn: psycopg.Connection) -> dict[str, str]:
    """Names of the admin units and platforms, by code (for tables and reports)."""
    rows = conn.execute(
        "SELECT code, name FROM admin_units UNION ALL SELECT code, name FROM platforms"
    ).fetchall()
    return {str(c): str(n) for c, n in rows}


def layer_versions(*, conn: psycopg.Connection) -> list[int] | None:
    """The version of every map layer (bumped when a layer's rows change), by layer name."""
    row = conn.execute("SELECT array_agg(version ORDER BY name) FROM layer_versions").fetchone()
    return list(row[0]) if row and row[0] is not None else None
