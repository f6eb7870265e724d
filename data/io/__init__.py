"""Import and export: grids and admin units (GeoJSON, GeoPackage, Shapefile), platforms and
units (CSV), roads and water (GeoJSON etc. or OpenStreetMap .osm.pbf / .osm / .osm.gz); export of
grids, admin units and incidents (GeoJSON, GeoPackage, Shapefile; incidents also CSV).

Every import reads and validates the whole file first and refuses it with
:class:`~data.errors.ImportRejected` listing each problem (file, row, column, message);
only a clean file is written, in one transaction on behalf of ``actor`` (a savepoint when
the connection is already in a transaction), with one ``audit_log`` row.

``mapping`` renames source columns to ours (``{"source_col": "our_col"}``). Files in another
CRS are reprojected to EPSG:4326. ``region_bbox`` (minlon, minlat, maxlon, maxlat) defaults
to the city's extent in admin_units grown by 2 km (no region check when there is no city).
``validate_*`` run the same checks without a database (context given explicitly).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import psycopg

from data.errors import ImportRejected, Problem
from data.io import _write
from data.io._checks import _missing
from data.io._export import export_admin_units, export_grids, export_incidents
from data.io._validate import Context, Prepared
from data.io._validate import prepare_admin_units as validate_admin_units
from data.io._validate import prepare_grids as validate_grids
from data.io._validate import prepare_platforms as validate_platforms_csv
from data.io._validate import prepare_roads as validate_roads
from data.io._validate import prepare_units as validate_units_csv
from data.io._validate import prepare_water as validate_water
from geo.coords import BBox
from geo.db import transaction
from geo.planning_import import IMPORT_FIELDS

__all__ = [
    "Context",
    "ImportResult",
    "export_admin_units",
    "export_grids",
    "export_incidents",
    "import_admin_units",
    "import_grids",
    "import_platforms_csv",
    "import_roads",
    "import_units_csv",
    "import_water",
    "validate_admin_units",
    "validate_grids",
    "validate_platforms_csv",
    "validate_roads",
    "validate_units_csv",
    "validate_water",
]

log = logging.getLogger(__name__)

StrPath = str | PathLike[str]


@dataclass(frozen=True)
class ImportResult:
    """What an import did: ``counts`` per outcome (e.g. new / replaced / unchanged)."""

    entity: str
    file: str
    rows: int
    counts: dict[str, int]


def _run(
    entity: str,
    path: StrPath,
    conn: psycopg.Connection,
    actor: str,
    region_bbox: BBox | None,
    prepare: Callable[[Context], Prepared],
    write: Callable[[psycopg.Connection, Prepared], dict[str, int]],
    needs_admin: bool,
) -> ImportResult:
    name = Path(path).name
    try:
        with transaction(conn, actor) as tx:
            tx.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%(k)s))",
                {"k": f"griddispatch.import.{entity}"},
            )
            context = _write.fetch_context(tx, region_bbox)
            if needs_admin and not context.admin:
                raise ImportRejected(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            "there are no admin units in the database: import admin units first",
                        )
                    ]
                )
            prepared = prepare(context)
            counts = write(tx, prepared)
            _write.audit(tx, prepared, counts)
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        # Validation should have caught it; the transaction is rolled back either way.
        log.warning("database refused import of %s: %s", name, exc)
        what = exc.diag.constraint_name or type(exc).__name__
        raise ImportRejected(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"the database refused the data ({what}); nothing was imported",
                )
            ]
        ) from exc
    log.info("imported %s from %s: %s", entity, name, counts)
    return ImportResult(entity, name, len(prepared.frame), counts)


def import_admin_units(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    region_bbox: BBox | None = None,
) -> ImportResult:
    """Import admin units (code, name, level, parent_code + polygon); upsert by code."""
    return _run(
        "admin_units",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_admin_units(Path(path), mapping=mapping, layer=layer, context=ctx),
        _write.write_admin_units,
        needs_admin=False,
    )


def import_grids(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    region_bbox: BBox | None = None,
) -> ImportResult:
    """Import grids as current rows; a changed grid with an existing code gets version + 1
    (the old row is closed), an unchanged one is left alone."""
    return _run(
        "grids",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_grids(Path(path), mapping=mapping, layer=layer, context=ctx),
        _write.write_grids,
        needs_admin=True,
    )


def import_platforms_csv(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    region_bbox: BBox | None = None,
    gcj02: bool = False,
) -> ImportResult:
    """Import platforms from CSV (code, name, lon, lat[, members, vehicles, grids]); upsert
    by code. ``gcj02``: the coordinates are GCJ-02 and are converted to WGS-84."""
    return _run(
        "platforms",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_platforms_csv(Path(path), mapping=mapping, gcj02=gcj02, context=ctx),
        _write.write_platforms,
        needs_admin=True,
    )


def import_units_csv(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    region_bbox: BBox | None = None,
    gcj02: bool = False,
) -> ImportResult:
    """Import units from CSV (call_sign, type, agency[, platform, grid_code, status, lon, lat,
    position_time]); upsert by call sign, keeping the status of existing units."""
    return _run(
        "units",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_units_csv(Path(path), mapping=mapping, gcj02=gcj02, context=ctx),
        _write.write_units,
        needs_admin=True,
    )


def import_roads(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    region_bbox: BBox | None = None,
    replace: bool = False,
) -> ImportResult:
    """Import roads from GeoJSON/GPKG/Shapefile or OSM (.osm.pbf, .osm, .osm.gz);
    ``replace`` deletes the existing roads first (in the same transaction)."""
    return _run(
        "roads",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_roads(Path(path), mapping=mapping, layer=layer, context=ctx),
        lambda tx, p: _write.write_roads(tx, p, replace=replace),
        needs_admin=False,
    )


def import_water(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    actor: str,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    region_bbox: BBox | None = None,
    replace: bool = False,
) -> ImportResult:
    """Import water polygons from GeoJSON/GPKG/Shapefile or OSM (.osm.pbf, .osm, .osm.gz)."""
    return _run(
        "water",
        path,
        conn,
        actor,
        region_bbox,
        lambda ctx: validate_water(Path(path), mapping=mapping, layer=layer, context=ctx),
        lambda tx, p: _write.write_water(tx, p, replace=replace),
        needs_admin=False,
    )


def read_grids(
    path: StrPath,
    *,
    conn: psycopg.Connection,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
) -> list[dict[str, Any]]:
    """A grid file read and checked row by row (columns, codes, communities, geometry), for
    the planning page to preview as a boundary set (``geo.planning_import.import_preview``);
    nothing is written. Raises :class:`ImportRejected` listing every bad row."""
    prepared = validate_grids(
        Path(path), mapping=mapping, layer=layer, context=_write.fetch_context(conn, None)
    )
    frame = prepared.frame
    keys = [k for k in IMPORT_FIELDS if k in frame.columns]
    return [
        {k: (None if _missing(r[k]) else r[k]) for k in keys} | {"geom": r["geom"]}
        for r in frame.to_dict("records")
    ]
