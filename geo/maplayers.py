"""The map layers' rows: one query per layer (GeoJSON geometry and the properties the
browser styles by), and the layers' versions (bumped when a layer's rows change)."""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.errors import NotFound
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
