"""Export grids, admin units and incidents to GeoJSON, GeoPackage, Shapefile or CSV.

The format comes from the file suffix (or ``fmt``). Times are written in the time zone ``tz``
(Asia/Shanghai unless told) with their offset, as ISO 8601 text in CSV and Shapefile
(2026-11-22T10:00:00+08:00); GeoPackage stores them in UTC, as its standard asks. Shapefile
field names are shortened with :data:`~data.io._read.SHP_NAMES` (the importers read them
back) and strings are cut at 254 bytes there. CSV (incidents only) has ``lon``/``lat``
columns in WGS-84 and a UTF-8 byte-order mark so that spreadsheet programs read Chinese.
"""

from __future__ import annotations

import datetime as dt
import logging
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import pyogrio
import shapely
from psycopg.rows import dict_row

from data.errors import UnsupportedFormat
from data.io._read import SHP_NAMES, suffix_of

log = logging.getLogger(__name__)

FORMATS = {"geojson": "GeoJSON", "gpkg": "GPKG", "shp": "ESRI Shapefile", "csv": "CSV"}
_SUFFIX_FORMAT = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".csv": "csv",
}
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")

_GRIDS_SQL = """
    SELECT code, name, type, community_code, households, population, worker_name, worker_phone,
           leader_name, zone_class, version, valid_from, ST_AsBinary(geom) AS geom
    FROM grids WHERE valid_to IS NULL ORDER BY code"""
_ADMIN_SQL = """
    SELECT code, name, level, parent_code, ST_AsBinary(geom) AS geom
    FROM admin_units ORDER BY nlevel(path), code"""
# Reporter names and phones are personal data and are not exported.
_INCIDENTS_SQL = """
    SELECT number, reported_at, source, category, class, priority, status, grid_code,
           description, dispatched_at, on_scene_at, resolved_at, closed_at, satisfaction,
           ST_AsBinary(geom) AS geom
    FROM incidents
    WHERE (%(since)s::timestamptz IS NULL OR reported_at >= %(since)s)
      AND (%(until)s::timestamptz IS NULL OR reported_at < %(until)s)
    ORDER BY reported_at, id"""


def format_of(path: Path, fmt: str | None) -> str:
    """``geojson``, ``gpkg``, ``shp`` or ``csv`` from ``fmt`` or else the file suffix."""
    if fmt is not None:
        key = fmt.lower().lstrip(".")
        key = {"shapefile": "shp", "json": "geojson", "geopackage": "gpkg"}.get(key, key)
        if key not in FORMATS:
            raise UnsupportedFormat(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        return key
    key2 = _SUFFIX_FORMAT.get(suffix_of(path))
    if key2 is None:
        raise UnsupportedFormat(
            f"{path.name}: cannot tell the format from the suffix; use "
            ".geojson, .gpkg, .shp or .csv"
        )
    return key2


def _frame(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> gpd.GeoDataFrame:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
        cols = [d.name for d in cur.description or []]
    frame = pd.DataFrame(rows, columns=cols)
    wkb = frame.pop("geom").tolist()
    geoms = shapely.from_wkb([bytes(g) for g in wkb]) if wkb else []
    return gpd.GeoDataFrame(frame, geometry=list(geoms), crs=4326)


def _zoned(frame: gpd.GeoDataFrame, tz: str) -> gpd.GeoDataFrame:
    """The time columns (timezone-aware, from the database) moved to zone ``tz``."""
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if c == "geometry" or not (
            isinstance(s.dtype, pd.DatetimeTZDtype)
            or (s.dtype == object and s.map(lambda v: isinstance(v, dt.datetime)).any())
        ):
            continue
        out[c] = pd.to_datetime(s, utc=True).dt.tz_convert(tz)
    return out


def _iso(s: pd.Series) -> pd.Series:
    """ISO 8601 text with the offset (2026-11-22T10:00:00+08:00); None for no time."""
    return s.map(lambda v: None if pd.isna(v) else v.isoformat(timespec="seconds"))


def _remove(path: Path, fmt: str) -> None:
    if fmt == "shp":
        for ext in _SHP_SIDECARS:
            path.with_suffix(ext).unlink(missing_ok=True)
    else:
        path.unlink(missing_ok=True)


def _shapefile_ready(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.rename(columns=SHP_NAMES)
    for c in out.columns:
        if c == "geometry":
            continue
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = _iso(s)
        elif s.dtype == object:
            long = s.map(lambda v: isinstance(v, str) and len(v.encode("utf-8")) > 254)
            if long.any():
                log.warning(
                    "%d values of %s cut to 254 bytes (Shapefile limit)", int(long.sum()), c
                )
                out[c] = s.map(
                    lambda v: (
                        v.encode("utf-8")[:254].decode("utf-8", "ignore")
                        if isinstance(v, str)
                        else v
                    )
                )
    return out


def write_frame(
    frame: gpd.GeoDataFrame, path: Path, fmt: str, layer: str, tz: str = "Asia/Shanghai"
) -> int:
    """Write ``frame`` (replacing an existing file), its times in zone ``tz``; returns the
    number of features."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove(path, fmt)
    frame = _zoned(frame, tz)
    if fmt == "csv":
        out = pd.DataFrame(frame.drop(columns="geometry"))
        for c in out.columns:
            if isinstance(out[c].dtype, pd.DatetimeTZDtype):
                out[c] = _iso(out[c])
        out.insert(len(out.columns), "lon", shapely.get_x(frame.geometry.to_numpy()))
        out.insert(len(out.columns), "lat", shapely.get_y(frame.geometry.to_numpy()))
        out.to_csv(path, index=False, encoding="utf-8-sig")
        return len(out)
    kwargs: dict[str, Any] = {}
    if fmt == "shp":
        frame = _shapefile_ready(frame)
        kwargs["encoding"] = "UTF-8"
    pyogrio.write_dataframe(frame, path, driver=FORMATS[fmt], layer=layer, **kwargs)
    log.info("wrote %d %s to %s", len(frame), layer, path)
    return len(frame)


def export_grids(
    path: str | PathLike[str],
    *,
    conn: psycopg.Connection,
    fmt: str | None = None,
    tz: str = "Asia/Shanghai",
) -> int:
    """Write the current grids (times in zone ``tz``); returns the number written. CSV is
    refused (polygons)."""
    path = Path(path)
    fmt = format_of(path, fmt)
    if fmt == "csv":
        raise UnsupportedFormat("grids are polygons: export them as .geojson, .gpkg or .shp")
    return write_frame(_frame(conn, _GRIDS_SQL, {}), path, fmt, "grids", tz)


def export_admin_units(
    path: str | PathLike[str], *, conn: psycopg.Connection, fmt: str | None = None
) -> int:
    """Write all admin units (city to community); returns the number written."""
    path = Path(path)
    fmt = format_of(path, fmt)
    if fmt == "csv":
        raise UnsupportedFormat("admin units are polygons: export them as .geojson, .gpkg or .shp")
    return write_frame(_frame(conn, _ADMIN_SQL, {}), path, fmt, "admin_units")


def export_incidents(
    path: str | PathLike[str],
    *,
    conn: psycopg.Connection,
    fmt: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    tz: str = "Asia/Shanghai",
) -> int:
    """Write incidents reported in ``[since, until)`` (all when None) as points, or
    CSV with lon/lat, times in zone ``tz``; reporter names and phones are left out. Returns
    the number written."""
    path = Path(path)
    fmt = format_of(path, fmt)
    frame = _frame(conn, _INCIDENTS_SQL, {"since": since, "until": until})
    frame["satisfaction"] = frame["satisfaction"].astype("Int64")
    return write_frame(frame, path, fmt, "incidents", tz)
