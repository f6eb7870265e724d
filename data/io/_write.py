"""Write validated frames into PostGIS: COPY into a temporary staging table, then set-based
SQL into the real tables, all inside the caller's transaction (see :mod:`data.io`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from data.io._validate import Context, Prepared
from geo import coords, h3index

log = logging.getLogger(__name__)

REGION_MARGIN_M = 2000.0


def region_of(conn: psycopg.Connection) -> coords.BBox | None:
    """The extent of the city row(s) in admin_units grown by 2 km, or None when empty."""
    row = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) AS e FROM admin_units WHERE level = 'city') s"
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return coords.expand_bbox((row[0], row[1], row[2], row[3]), REGION_MARGIN_M)


def fetch_context(conn: psycopg.Connection, region_bbox: coords.BBox | None) -> Context:
    """What the reference checks need from the database."""
    admin = {
        c: (lv, p) for c, lv, p in conn.execute("SELECT code, level, path::text FROM admin_units")
    }
    grids: dict[str, str] = dict(
        conn.execute("SELECT code, path::text FROM grids WHERE valid_to IS NULL")
    )
    platforms: dict[str, str] = dict(conn.execute("SELECT code, path::text FROM platforms"))
    return Context(
        region_bbox if region_bbox is not None else region_of(conn), admin, grids, platforms
    )


def _ewkb(geoms: Iterable[Any]) -> list[str | None]:
    arr = np.asarray(list(geoms), dtype=object)
    out: list[str | None] = [None] * len(arr)
    has = np.flatnonzero(~shapely.is_missing(arr)) if len(arr) else np.empty(0, int)
    if has.size:
        hexes = shapely.to_wkb(shapely.set_srid(arr[has], 4326), hex=True, include_srid=True)
        for i, h in zip(has, hexes, strict=True):
            out[int(i)] = str(h)
    return out


def _h3(geoms: Iterable[Any]) -> list[int | None]:
    arr = np.asarray(list(geoms), dtype=object)
    out: list[int | None] = [None] * len(arr)
    has = np.flatnonzero(~shapely.is_missing(arr)) if len(arr) else np.empty(0, int)
    if has.size:
        pts = arr[has]
        cells = h3index.cells(shapely.get_y(pts), shapely.get_x(pts), h3index.STORE_RES)
        for i, c in zip(has, cells.tolist(), strict=True):
            out[int(i)] = int(c)
    return out


def _stage(
    conn: psycopg.Connection, name: str, columns: Sequence[tuple[str, str]], frame: pd.DataFrame
) -> sql.Identifier:
    """A temporary table ``name`` holding ``frame``'s columns (COPY)."""
    ident = sql.Identifier(name)
    conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(ident))
    defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns
    )
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(ident, defs))
    names = [c for c, _ in columns if c in frame.columns]
    cols = sql.SQL(", ").join(map(sql.Identifier, names))
    values = [frame[c].tolist() for c in names]
    with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(ident, cols)) as cp:
        for rec in zip(*values, strict=True):
            cp.write_row([None if _isna(v) else v for v in rec])
    return ident


def _isna(v: object) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT


def _drop(conn: psycopg.Connection, ident: sql.Identifier) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(ident))


def _counts(conn: psycopg.Connection, query: sql.Composed) -> dict[str, int]:
    return {str(k): int(n) for k, n in conn.execute(query)}


def write_admin_units(conn: psycopg.Connection, p: Prepared) -> dict[str, int]:
    f = p.frame.assign(geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object))
    t = _stage(
        conn,
        "_gd_admin",
        [
            ("_row", "int"),
            ("code", "text"),
            ("name", "text"),
            ("level", "text"),
            ("parent_code", "text"),
            ("path", "ltree"),
            ("geom", "geometry(MultiPolygon, 4326)"),
        ],
        f,
    )
    query = sql.SQL("""
        WITH w AS (
            INSERT INTO admin_units (code, name, level, parent_code, path, geom)
            SELECT code, name, level, parent_code, path, geom FROM {t} ORDER BY nlevel(path), _row
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom
            WHERE admin_units.name <> EXCLUDED.name
               OR NOT ST_Equals(admin_units.geom, EXCLUDED.geom)
            RETURNING (xmax = 0) AS inserted)
        SELECT CASE WHEN inserted THEN 'inserted' ELSE 'updated' END, count(*) FROM w GROUP BY 1
        """).format(t=t)
    counts = {"inserted": 0, "updated": 0} | _counts(conn, query)
    counts["unchanged"] = len(f) - counts["inserted"] - counts["updated"]
    _drop(conn, t)
    return counts


_GRID_ATTRS = (
    "name",
    "type",
    "community_code",
    "households",
    "population",
    "worker_name",
    "worker_phone",
    "leader_name",
    "zone_class",
)


def write_grids(conn: psycopg.Connection, p: Prepared) -> dict[str, int]:
    """Insert new codes; close and re-version changed ones; leave unchanged ones alone.

    A current row created earlier in this same transaction is updated in place instead
    (its history would otherwise be shorter than zero).
    """
    f = p.frame.assign(geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object))
    t = _stage(
        conn,
        "_gd_grids",
        [
            ("_row", "int"),
            ("code", "text"),
            ("name", "text"),
            ("type", "text"),
            ("community_code", "text"),
            ("geom", "geometry(MultiPolygon, 4326)"),
            ("households", "int"),
            ("population", "int"),
            ("worker_name", "text"),
            ("worker_phone", "text"),
            ("leader_name", "text"),
            ("zone_class", "text"),
            ("path", "ltree"),
            ("version", "int NOT NULL DEFAULT 1"),
            ("action", "text NOT NULL DEFAULT 'new'"),
            ("old_id", "int"),
        ],
        f,
    )
    attrs = sql.SQL(", ").join(sql.Identifier(c) for c in _GRID_ATTRS)
    g_attrs = sql.SQL(", ").join(sql.Identifier("g", c) for c in _GRID_ATTRS)
    s_attrs = sql.SQL(", ").join(sql.Identifier("s", c) for c in _GRID_ATTRS)
    steps = [
        "UPDATE {t} s SET path = a.path FROM admin_units a WHERE a.code = s.community_code",
        "UPDATE {t} s SET version = h.v + 1 FROM (SELECT code, max(version) AS v FROM grids "
        "GROUP BY code) h WHERE h.code = s.code",
        """UPDATE {t} s SET old_id = g.id, action = CASE
               WHEN ({g_attrs}, g.path) IS NOT DISTINCT FROM ({s_attrs}, s.path)
                    AND ST_Equals(g.geom, s.geom) THEN 'unchanged'
               WHEN g.valid_from >= now() THEN 'updated'
               ELSE 'replaced' END
           FROM grids g WHERE g.code = s.code AND g.valid_to IS NULL""",
        """UPDATE grids g SET ({attrs}, path, geom) = ({s_attrs}, s.path, s.geom)
           FROM {t} s WHERE s.action = 'updated' AND g.id = s.old_id""",
        "UPDATE grids g SET valid_to = now() FROM {t} s "
        "WHERE s.action = 'replaced' AND g.id = s.old_id",
        """INSERT INTO grids ({attrs}, code, path, geom, valid_from, version)
           SELECT {attrs}, code, path, geom, now(), version FROM {t}
           WHERE action IN ('new', 'replaced') ORDER BY _row""",
    ]
    for step in steps:
        conn.execute(sql.SQL(step).format(t=t, attrs=attrs, g_attrs=g_attrs, s_attrs=s_attrs))
    counts = {"new": 0, "replaced": 0, "updated": 0, "unchanged": 0} | _counts(
        conn, sql.SQL("SELECT action, count(*) FROM {t} GROUP BY action").format(t=t)
    )
    _drop(conn, t)
    return counts


# The path of a point without a better parent: the district containing it, else the city.
_POINT_PATH = """coalesce(
    (SELECT a.path FROM admin_units a WHERE a.level = 'district' AND ST_Intersects(a.geom, {g})
     ORDER BY a.code LIMIT 1),
    (SELECT a.path FROM admin_units a WHERE a.level = 'city' ORDER BY a.code LIMIT 1))"""


def write_platforms(conn: psycopg.Connection, p: Prepared) -> dict[str, int]:
    f = p.frame.assign(
        h3=lambda d: pd.Series(_h3(d["geom"]), index=d.index, dtype=object),
        geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object),
    )
    t = _stage(
        conn,
        "_gd_platforms",
        [
            ("_row", "int"),
            ("code", "text"),
            ("name", "text"),
            ("geom", "geometry(Point, 4326)"),
            ("h3", "bigint"),
            ("members", "int"),
            ("vehicles", "int"),
            ("grids", "text[]"),
        ],
        f,
    )
    path = sql.SQL(_POINT_PATH).format(g=sql.Identifier("s", "geom"))
    query = sql.SQL("""
        WITH w AS (
            INSERT INTO platforms (code, name, geom, h3, members, vehicles, path)
            SELECT s.code, s.name, s.geom, s.h3, s.members, s.vehicles, {path}
            FROM {t} s ORDER BY s._row
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom,
                h3 = EXCLUDED.h3, members = EXCLUDED.members, vehicles = EXCLUDED.vehicles,
                path = EXCLUDED.path
            RETURNING (xmax = 0) AS inserted)
        SELECT CASE WHEN inserted THEN 'inserted' ELSE 'updated' END, count(*) FROM w GROUP BY 1
        """).format(t=t, path=path)
    counts = {"inserted": 0, "updated": 0} | _counts(conn, query)
    conn.execute(
        sql.SQL(
            "DELETE FROM platform_grids WHERE platform_id IN (SELECT p.id FROM platforms p "
            "JOIN {t} s ON s.code = p.code WHERE s.grids IS NOT NULL)"
        ).format(t=t)
    )
    cur = conn.execute(
        sql.SQL(
            "INSERT INTO platform_grids (platform_id, grid_code) SELECT DISTINCT p.id, "
            "unnest(s.grids) FROM {t} s JOIN platforms p ON p.code = s.code "
            "WHERE s.grids IS NOT NULL"
        ).format(t=t)
    )
    counts["grid_links"] = max(cur.rowcount, 0)
    _drop(conn, t)
    return counts


def write_units(conn: psycopg.Connection, p: Prepared) -> dict[str, int]:
    """Upsert by call sign. The status of an existing unit is operational state and is kept;
    its position is replaced only when the file gives one."""
    f = p.frame.assign(
        h3=lambda d: pd.Series(_h3(d["geom"]), index=d.index, dtype=object),
        geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object),
    )
    t = _stage(
        conn,
        "_gd_units",
        [
            ("_row", "int"),
            ("call_sign", "text"),
            ("type", "text"),
            ("agency", "text"),
            ("platform", "text"),
            ("grid_code", "text"),
            ("status", "text"),
            ("geom", "geometry(Point, 4326)"),
            ("h3", "bigint"),
            ("position_time", "timestamptz"),
        ],
        f,
    )
    path = sql.SQL(_POINT_PATH).format(g=sql.SQL("coalesce(s.geom, ST_PointOnSurface(g.geom))"))
    query = sql.SQL("""
        WITH w AS (
            INSERT INTO units (call_sign, type, agency, platform_id, grid_code, status,
                               status_time, geom, h3, position_time, path)
            SELECT s.call_sign, s.type, s.agency, p.id, s.grid_code, s.status, now(), s.geom,
                   s.h3, CASE WHEN s.geom IS NOT NULL THEN coalesce(s.position_time, now()) END,
                   coalesce(p.path, g.path, {path})
            FROM {t} s
            LEFT JOIN platforms p ON p.code = s.platform
            LEFT JOIN grids g ON g.code = s.grid_code AND g.valid_to IS NULL
            ORDER BY s._row
            ON CONFLICT (call_sign) DO UPDATE SET type = EXCLUDED.type,
                agency = EXCLUDED.agency, platform_id = EXCLUDED.platform_id,
                grid_code = EXCLUDED.grid_code, path = EXCLUDED.path,
                geom = coalesce(EXCLUDED.geom, units.geom), h3 = coalesce(EXCLUDED.h3, units.h3),
                position_time = CASE WHEN EXCLUDED.geom IS NULL THEN units.position_time
                                     ELSE EXCLUDED.position_time END
            RETURNING (xmax = 0) AS inserted)
        SELECT CASE WHEN inserted THEN 'inserted' ELSE 'updated' END, count(*) FROM w GROUP BY 1
        """).format(t=t, path=path)
    counts = {"inserted": 0, "updated": 0} | _counts(conn, query)
    _drop(conn, t)
    return counts


def write_roads(conn: psycopg.Connection, p: Prepared, *, replace: bool) -> dict[str, int]:
    f = p.frame.assign(geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object))
    deleted = conn.execute("DELETE FROM roads").rowcount if replace else 0
    t = _stage(
        conn,
        "_gd_roads",
        [
            ("_row", "int"),
            ("name", "text"),
            ("class", "text"),
            ("speed_kmh", "real"),
            ("oneway", "boolean"),
            ("bridge", "boolean"),
            ("tunnel", "boolean"),
            ("layer", "smallint"),
            ("car", "text"),
            ("geom", "geometry(LineString, 4326)"),
        ],
        f,
    )
    n = conn.execute(
        sql.SQL(
            "INSERT INTO roads (name, class, speed_kmh, oneway, bridge, tunnel, layer, car, geom) "
            "SELECT name, class, speed_kmh, oneway, bridge, tunnel, layer, car, geom FROM {t} "
            "ORDER BY _row"
        ).format(t=t)
    ).rowcount
    _drop(conn, t)
    return {"inserted": n, "deleted": deleted}


def write_water(conn: psycopg.Connection, p: Prepared, *, replace: bool) -> dict[str, int]:
    f = p.frame.assign(geom=lambda d: pd.Series(_ewkb(d["geom"]), index=d.index, dtype=object))
    deleted = conn.execute("DELETE FROM water").rowcount if replace else 0
    t = _stage(
        conn,
        "_gd_water",
        [
            ("_row", "int"),
            ("name", "text"),
            ("kind", "text"),
            ("geom", "geometry(MultiPolygon, 4326)"),
        ],
        f,
    )
    n = conn.execute(
        sql.SQL(
            "INSERT INTO water (name, kind, geom) SELECT name, kind, geom FROM {t} ORDER BY _row"
        ).format(t=t)
    ).rowcount
    _drop(conn, t)
    return {"inserted": n, "deleted": deleted}


def audit(conn: psycopg.Connection, p: Prepared, counts: dict[str, int]) -> None:
    """One audit_log row for the import (the actor comes from the transaction)."""
    after = {"file": p.file, "rows": len(p.frame), "counts": counts}
    conn.execute(
        "INSERT INTO audit_log (entity, entity_id, action, after) "
        "VALUES ('import', %(file)s, %(action)s, %(after)s)",
        {"file": p.file, "action": f"import.{p.entity}", "after": json.dumps(after)},
    )
