"""Write a generated demo city into PostGIS (COPY, one transaction)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from data.demo import DemoCity
from geo import h3index

log = logging.getLogger(__name__)

# Tables in load order (children after parents) and the columns the demo fills.
TABLES = {
    "admin_units": ["code", "name", "level", "parent_code", "path", "geom"],
    "grids": [
        "code",
        "name",
        "type",
        "community_code",
        "path",
        "geom",
        "households",
        "population",
        "worker_name",
        "worker_phone",
        "leader_name",
        "zone_class",
        "valid_from",
    ],
    "platforms": ["id", "code", "name", "geom", "h3", "members", "vehicles", "path"],
    "platform_grids": ["platform_id", "grid_code"],
    "units": [
        "id",
        "call_sign",
        "type",
        "agency",
        "platform_id",
        "grid_code",
        "status",
        "status_time",
        "geom",
        "h3",
        "position_time",
        "path",
    ],
    "incidents": [
        "id",
        "number",
        "reported_at",
        "source",
        "category",
        "class",
        "priority",
        "description",
        "reporter_name",
        "reporter_phone",
        "geom",
        "h3",
        "grid_id",
        "grid_code",
        "path",
        "status",
        "claimed_by",
        "claimed_at",
        "dispatched_at",
        "accepted_at",
        "on_scene_at",
        "field_report",
        "field_report_at",
        "resolved_at",
        "resolution_note",
        "closed_at",
        "feedback_at",
        "satisfaction",
        "respond_due",
        "arrive_due",
        "report_due",
        "close_due",
        "updated_at",
    ],
    "incident_events": ["incident_id", "at", "actor", "action", "after"],
    "dispatches": [
        "incident_id",
        "unit_id",
        "dispatched_at",
        "dispatched_by",
        "released_at",
        "release_reason",
    ],
    "roads": ["name", "class", "bridge", "tunnel", "layer", "oneway", "car", "geom"],
    "water": ["name", "kind", "geom"],
}


def _ewkb(geoms: pd.Series) -> np.ndarray:
    arr = geoms.to_numpy()
    out = np.full(len(arr), None, dtype=object)
    has = pd.notna(arr)
    if has.any():
        g = shapely.set_srid(arr[has].astype(object), 4326)
        out[has] = shapely.to_wkb(g, hex=True, include_srid=True)
    return out


def _h3(geoms: pd.Series) -> pd.Series:
    arr = geoms.to_numpy()
    has = pd.notna(arr)
    out = pd.Series(pd.array([None] * len(arr), dtype="Int64"), index=geoms.index)
    if has.any():
        pts = arr[has].astype(object)
        out[has] = h3index.cells(shapely.get_y(pts), shapely.get_x(pts), h3index.STORE_RES)
    return out


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    cols = TABLES[table]
    buf = io.StringIO()
    frame[cols].to_csv(buf, index=False, header=False, na_rep="\\N")
    cols_sql = ", ".join(f'"{c}"' for c in cols)
    with conn.cursor().copy(
        f"COPY {table} ({cols_sql}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    ) as cp:
        cp.write(buf.getvalue())


def database_is_empty(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT NOT EXISTS (SELECT 1 FROM grids)").fetchone()
    return bool(row and row[0])


def clear(conn: psycopg.Connection) -> None:
    """Remove all operational data (keeps schema and reference tables)."""
    conn.execute(
        "TRUNCATE incident_events, audit_log, unit_positions, dispatches, incident_photos, "
        "idempotency_keys, incidents, units, platform_grids, platforms, grids, grid_changes, "
        "admin_units, roads, water, mass_task_grids, mass_tasks, dataset_info RESTART IDENTITY"
    )


def load(
    conn: psycopg.Connection,
    city: DemoCity,
    *,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Load ``city`` in one transaction; refuse to load over existing data unless ``replace``.

    Returns the row count per table.
    """
    say = progress or (lambda msg: log.info("%s", msg))
    t0 = time.perf_counter()
    with conn.transaction():
        # Replacing wipes every operational table, audit included: for demo data only.
        if not database_is_empty(conn):
            if not replace:
                raise RuntimeError("the database already holds a city; use replace=True")
            clear(conn)
        frames = {
            "admin_units": city.admin_units.assign(geom=lambda f: _ewkb(f["geom"])),
            "grids": city.grids.assign(
                geom=lambda f: _ewkb(f["geom"]),
                valid_from=pd.Timestamp(city.now) - pd.Timedelta(days=400),
            ),
            "platforms": city.platforms.assign(
                h3=lambda f: _h3(f["geom"]), geom=lambda f: _ewkb(f["geom"])
            ),
            "platform_grids": city.platform_grids,
            "units": city.units.assign(
                h3=lambda f: _h3(f["geom"]), geom=lambda f: _ewkb(f["geom"])
            ),
            "roads": city.roads.assign(geom=lambda f: _ewkb(f["geom"])),
            "water": city.water.assign(geom=lambda f: _ewkb(f["geom"])),
        }
        counts: dict[str, int] = {}
        for table in (
            "admin_units",
            "grids",
            "platforms",
            "platform_grids",
            "units",
            "roads",
            "water",
        ):
            _copy(conn, table, frames[table])
            counts[table] = len(frames[table])
            say(f"loaded {table}: {counts[table]:,} rows")
        # Incidents reference grids by id: look them up after the grid COPY.
        grid_ids = dict(
            conn.execute("SELECT code, id FROM grids WHERE valid_to IS NULL").fetchall()
        )
        inc = city.incidents.assign(
            h3=lambda f: _h3(f["geom"]),
            geom=lambda f: _ewkb(f["geom"]),
            grid_id=lambda f: f["grid_code"].map(grid_ids).astype("Int64"),
            updated_at=lambda f: f[
                [
                    "reported_at",
                    "claimed_at",
                    "closed_at",
                    "resolved_at",
                    "field_report_at",
                    "on_scene_at",
                    "accepted_at",
                    "dispatched_at",
                    "feedback_at",
                ]
            ].max(axis=1),
        )
        _copy(conn, "incidents", inc)
        counts["incidents"] = len(inc)
        say(f"loaded incidents: {len(inc):,} rows")
        _copy(conn, "incident_events", city.incident_events)
        counts["incident_events"] = len(city.incident_events)
        say(f"loaded incident events: {len(city.incident_events):,} rows")
        _copy(conn, "dispatches", city.dispatches)
        counts["dispatches"] = len(city.dispatches)
        say(f"loaded dispatches: {len(city.dispatches):,} rows")
        for seq, table in (
            ("platforms_id_seq", "platforms"),
            ("units_id_seq", "units"),
            ("incidents_id_seq", "incidents"),
        ):
            conn.execute(
                sql.SQL("SELECT setval({seq}, (SELECT coalesce(max(id), 1) FROM {table}))").format(
                    seq=sql.Literal(seq), table=sql.Identifier(table)
                )
            )
        conn.execute("SELECT setval('incident_number_seq', %(n)s)", {"n": len(inc) + 1})
        info = {
            "size": city.size,
            "seed": city.seed,
            "now": city.now.isoformat(),
            "synthetic": True,
            "counts": counts,
        }
        conn.execute(
            "INSERT INTO dataset_info (key, value) VALUES ('demo', %(v)s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            {"v": json.dumps(info)},
        )
        conn.execute(
            "INSERT INTO audit_log (entity, action, after) VALUES ('dataset', 'demo.load', %(v)s)",
            {"v": json.dumps(info)},
        )
    for table in TABLES:
        conn.execute(f"ANALYZE {table}")
    conn.commit()
    say(f"demo city ({city.size}) loaded in {time.perf_counter() - t0:.1f} s")
    return counts
