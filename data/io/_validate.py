"""What each importable entity looks like, and its validation (no database).

``prepare_*`` read a file, check everything and return a :class:`Prepared` frame of clean
values, or raise :class:`~data.errors.ImportRejected` listing every problem. What the
database already holds (region, admin units, grids, platforms) comes in a :class:`Context`;
a ``None`` field there skips the checks that need it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from data.io import _osm
from data.io._checks import (
    check_columns,
    check_duplicates,
    check_geometries,
    check_points,
    check_references,
    convert_columns,
    to_multipolygon,
)
from data.io._read import Collector, read_csv, read_vector, suffix_of
from data.io._specs import CODE_LENGTH, GEOMETRY, INT32_MAX, LEVELS, SPECS
from geo import coords

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What the database holds, for the checks that need it (None: skip those checks)."""

    region_bbox: coords.BBox | None = None
    admin: Mapping[str, tuple[str, str]] | None = None  # code -> (level, path)
    grids: Mapping[str, str] | None = None  # current grid code -> path
    platforms: Mapping[str, str] | None = None  # platform code -> path


@dataclass(frozen=True)
class Prepared:
    """A validated file: ``frame`` holds our columns, ``_row`` and ``geom`` (shapely)."""

    entity: str
    file: str
    frame: pd.DataFrame


def _ints(frame: pd.DataFrame, col: Collector) -> None:
    for name in ("households", "population", "members", "vehicles"):
        if name in frame.columns:
            for row, v in zip(frame["_row"], frame[name], strict=True):
                if v is not None and v > INT32_MAX:
                    col.add(int(row), name, f"is too large ({v})")


def _vector(
    entity: str,
    path: Path,
    mapping: Mapping[str, str] | None,
    layer: str | None,
    context: Context,
    col: Collector,
    extra: tuple[str, ...] = (),
) -> pd.DataFrame:
    specs = SPECS[entity]
    wanted = tuple(s.name for s in specs) + extra
    bbox = context.region_bbox
    if suffix_of(path) in _osm.SUFFIXES:
        # OSM extracts are cut by other people's boundaries: keep what touches the region
        # instead of refusing the rest.
        source = _osm.read(path, entity, col)
        if bbox is not None:
            keep = shapely.intersects(source.geometry.to_numpy(), shapely.box(*bbox))
            if (~keep).any():
                log.info("left out %d OSM features outside the region", int((~keep).sum()))
            source, bbox = source.loc[keep], None
    else:
        source = read_vector(path, layer=layer, mapping=mapping, wanted=wanted, col=col)
        if entity == "roads" and "class" not in source.columns and "highway" in source.columns:
            source = _osm.highway_to_class(source)
    check_columns(source, specs, col)
    frame = convert_columns(source, specs, col)
    _ints(frame, col)
    geoms = np.asarray(source.geometry.array, dtype=object)
    check_geometries(geoms, frame["_row"].to_numpy(), GEOMETRY[entity], bbox, col)
    frame["geom"] = to_multipolygon(geoms) if GEOMETRY[entity] == "polygon" else geoms
    return frame


def prepare_admin_units(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    context: Context = Context(),
) -> Prepared:
    """Validate an admin-unit file; adds ``path`` (ltree text, None if a parent is unknown)."""
    path = Path(path)
    col = Collector(path.name)
    frame = _vector("admin_units", path, mapping, layer, context, col)
    check_duplicates(frame, "code", col)
    in_file = {c: lv for c, lv in zip(frame["code"], frame["level"], strict=True) if c and lv}
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    frame = frame.assign(_rank=frame["level"].map(lambda lv: rank.get(lv, 9)))
    frame = frame.sort_values(["_rank", "_row"], kind="stable")
    paths: dict[str, str | None] = {}
    out: list[str | None] = []
    for row, code, level, parent in zip(
        frame["_row"], frame["code"], frame["level"], frame["parent_code"], strict=True
    ):
        row = int(row)
        path_ = None
        if code and level:
            if len(code) != CODE_LENGTH[level]:
                col.add(row, "code", f"a {level} code has {CODE_LENGTH[level]} digits ({code})")
            if level == "city":
                if parent:
                    col.add(row, "parent_code", "a city has no parent")
                path_ = code
            elif not parent:
                col.add(row, "parent_code", f"a {level} needs a parent_code")
            else:
                path_ = _parent_path(row, code, level, parent, in_file, paths, context, col)
            if context.admin is not None and code in context.admin and path_ is not None:
                old_level, old_path = context.admin[code]
                if (old_level, old_path) != (level, path_):
                    col.add(
                        row,
                        "code",
                        f"{code} already exists as a {old_level} at "
                        f"{old_path}; moving admin units by import is not supported",
                    )
        paths[code] = path_
        out.append(path_)
    frame["path"] = out
    col.raise_if_any()
    return Prepared("admin_units", path.name, frame.drop(columns="_rank"))


def _parent_path(
    row: int,
    code: str,
    level: str,
    parent: str,
    in_file: Mapping[str, str],
    paths: Mapping[str, str | None],
    context: Context,
    col: Collector,
) -> str | None:
    want = LEVELS[LEVELS.index(level) - 1]
    if parent in in_file:
        plevel, ppath = in_file[parent], paths.get(parent)
    elif context.admin is not None and parent in context.admin:
        plevel, ppath = context.admin[parent]
    elif context.admin is None:
        return None
    else:
        col.add(row, "parent_code", f"parent {parent} is neither in admin_units nor in this file")
        return None
    if plevel != want:
        col.add(
            row, "parent_code", f"the parent of a {level} must be a {want}; {parent} is a {plevel}"
        )
        return None
    return f"{ppath}.{code}" if ppath else None


def prepare_grids(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    context: Context = Context(),
) -> Prepared:
    """Validate a grid file (communities are checked against ``context.admin``)."""
    path = Path(path)
    col = Collector(path.name)
    frame = _vector("grids", path, mapping, layer, context, col)
    check_duplicates(frame, "code", col)
    if context.admin is not None:
        admin = context.admin

        def community(code: str) -> str | None:
            if code not in admin:
                return f"community {code} is not in admin_units (import admin units first)"
            if admin[code][0] != "community":
                return f"{code} is a {admin[code][0]}, not a community"
            return None

        check_references(frame, "community_code", community, col)
    col.raise_if_any()
    return Prepared("grids", path.name, frame)


def _csv_points(
    entity: str,
    path: Path,
    mapping: Mapping[str, str] | None,
    gcj02: bool,
    context: Context,
    col: Collector,
) -> pd.DataFrame:
    specs = SPECS[entity]
    source = read_csv(path, mapping=mapping, wanted=tuple(s.name for s in specs), col=col)
    check_columns(source, specs, col)
    frame = convert_columns(source, specs, col)
    _ints(frame, col)
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(float)
    if gcj02:
        lon, lat = coords.gcj02_to_wgs84(lon, lat)
    good = check_points(lon, lat, frame["_row"].to_numpy(), context.region_bbox, col)
    frame["geom"] = np.where(
        good, shapely.points(np.where(good, lon, 0), np.where(good, lat, 0)), None
    )
    frame["lon"], frame["lat"] = lon, lat
    return frame


def prepare_platforms(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    gcj02: bool = False,
    context: Context = Context(),
) -> Prepared:
    """Validate a platform CSV: code, name, lon, lat[, members, vehicles, grids].

    ``grids`` lists the codes of the grids a platform serves, separated by ``;``, ``,``,
    ``|`` or spaces; it is turned into a list (None when the column is absent or empty).
    """
    path = Path(path)
    col = Collector(path.name, line=True)
    frame = _csv_points("platforms", path, mapping, gcj02, context, col)
    check_duplicates(frame, "code", col)
    lists: list[list[str] | None] = []
    for row, text in zip(frame["_row"], frame["grids"], strict=True):
        codes = [c for c in re.split(r"[;,|\s]+", text or "") if c]
        for c in codes:
            if not re.fullmatch(r"[0-9]{15}", c):
                col.add(int(row), "grids", f"{c!r} is not a grid code")
            elif context.grids is not None and c not in context.grids:
                col.add(int(row), "grids", f"grid {c} does not exist")
        lists.append(sorted(set(codes)) if codes else None)
    frame["grids"] = pd.Series(lists, index=frame.index, dtype=object)
    col.raise_if_any()
    return Prepared("platforms", path.name, frame)


def prepare_units(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    gcj02: bool = False,
    context: Context = Context(),
) -> Prepared:
    """Validate a unit CSV: call_sign, type, agency[, platform, grid_code, status, lon, lat,
    position_time]."""
    path = Path(path)
    col = Collector(path.name, line=True)
    frame = _csv_points("units", path, mapping, gcj02, context, col)
    check_duplicates(frame, "call_sign", col)
    half = frame["lon"].isna() != frame["lat"].isna()
    for row in frame.loc[half, "_row"]:
        col.add(int(row), None, "give both lon and lat, or neither")
    if context.platforms is not None:
        known_p = context.platforms
        check_references(
            frame,
            "platform",
            lambda c: None if c in known_p else f"platform {c} does not exist",
            col,
        )
    if context.grids is not None:
        known_g = context.grids
        check_references(
            frame, "grid_code", lambda c: None if c in known_g else f"grid {c} does not exist", col
        )
    col.raise_if_any()
    return Prepared("units", path.name, frame)


def prepare_roads(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    context: Context = Context(),
) -> Prepared:
    """Validate roads from GeoJSON/GPKG/Shapefile (``class`` or an OSM ``highway`` column)
    or from OSM (.osm.pbf / .osm / .osm.gz). MultiLineStrings are split into LineStrings."""
    path = Path(path)
    col = Collector(path.name)
    frame = _vector("roads", path, mapping, layer, context, col, extra=("highway",))
    col.raise_if_any()
    parts, index = shapely.get_parts(frame["geom"].to_numpy(), return_index=True)
    frame = frame.iloc[index].reset_index(drop=True)
    frame["geom"] = parts
    return Prepared("roads", path.name, frame)


def prepare_water(
    path: str | PathLike[str],
    *,
    mapping: Mapping[str, str] | None = None,
    layer: str | None = None,
    context: Context = Context(),
) -> Prepared:
    """Validate water polygons from GeoJSON/GPKG/Shapefile or OSM (.osm.pbf / .osm / .osm.gz)."""
    path = Path(path)
    col = Collector(path.name)
    frame = _vector("water", path, mapping, layer, context, col)
    col.raise_if_any()
    return Prepared("water", path.name, frame)
