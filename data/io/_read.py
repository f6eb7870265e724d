"""Read input files into frames: vector files (GeoJSON, GeoPackage, Shapefile) and CSV.

Nothing here judges values; it finds the file's rows, applies the column mapping, brings
geometries to EPSG:4326 (refusing files with a wrong or missing CRS) and numbers the rows as
a user counts them (``_row``: 1-based feature number, or for CSV the line number in the file
with the header as line 1).
"""

from __future__ import annotations

import csv
import io
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from data.errors import MAX_PROBLEMS, ImportRejected, Problem, UnsupportedFormat

log = logging.getLogger(__name__)

VECTOR_SUFFIXES = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
}
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz")

# Shapefile field names are at most 10 characters: our long names and their short forms.
SHP_NAMES = {
    "community_code": "comm_code",
    "worker_name": "worker_nm",
    "worker_phone": "worker_tel",
    "leader_name": "leader_nm",
    "parent_code": "parent",
    "reported_at": "reported",
    "description": "descr",
    "dispatched_at": "dispatched",
    "on_scene_at": "on_scene",
    "resolved_at": "resolved",
    "satisfaction": "satisfied",
}

# Other names people give our columns (matched case-insensitively) when not mapped explicitly.
ALIASES = {
    "lon": ("lng", "longitude", "long", "x", "经度"),
    "lat": ("latitude", "y", "纬度"),
}


@dataclass
class Collector:
    """Problems found in one file, up to :data:`MAX_PROBLEMS` (the rest are counted)."""

    file: str
    line: bool = False
    problems: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.file, row, column, message))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            ordered = sorted(self.problems, key=lambda p: -1 if p.row is None else p.row)
            raise ImportRejected(
                ordered, more=self.more, line_files=[self.file] if self.line else []
            )


def suffix_of(path: Path) -> str:
    """The file's format suffix, lower case (``.osm.pbf`` and ``.osm.gz`` count as one)."""
    name = path.name.lower()
    for double in (".osm.pbf", ".osm.gz"):
        if name.endswith(double):
            return double
    return path.suffix.lower()


def _rename(
    frame: pd.DataFrame,
    mapping: Mapping[str, str] | None,
    col: Collector,
    wanted: tuple[str, ...],
    shapefile: bool,
) -> pd.DataFrame:
    if mapping:
        missing = [src for src in mapping if src not in frame.columns]
        for src in missing:
            col.add(
                None,
                None,
                f"the mapping names column {src!r}, which the file does not "
                f"have (columns: {', '.join(map(str, frame.columns))})",
            )
        frame = frame.rename(columns={s: d for s, d in mapping.items() if s in frame.columns})
    have = {str(c).lower(): c for c in frame.columns}
    renames: dict[str, str] = {}
    for ours in wanted:
        if ours in frame.columns:
            continue
        candidates = [ours]
        if shapefile:  # our short name, or the name cut to 10 characters (as GDAL does)
            candidates += [SHP_NAMES.get(ours, ours), ours[:10]]
        candidates += list(ALIASES.get(ours, ()))
        for cand in candidates:
            found = have.get(cand.lower())
            if found is not None and found not in renames and found not in wanted:
                renames[found] = ours
                break
    frame = frame.rename(columns=renames)
    dup = frame.columns[frame.columns.duplicated()].unique()
    for name in dup:
        col.add(None, None, f"two columns are called {name!r} (after the mapping)")
    if len(dup):
        col.raise_if_any()
    return frame


def read_vector(
    path: Path,
    *,
    layer: str | None,
    mapping: Mapping[str, str] | None,
    wanted: tuple[str, ...],
    col: Collector,
) -> gpd.GeoDataFrame:
    """Read a GeoJSON / GeoPackage / Shapefile into EPSG:4326 with a ``_row`` column."""
    suffix = suffix_of(path)
    if suffix not in VECTOR_SUFFIXES:
        raise UnsupportedFormat(
            f"{path.name}: unsupported file type {suffix or '(none)'}; expected one of "
            f"{', '.join(sorted(VECTOR_SUFFIXES))}"
        )
    if not path.exists():
        col.add(None, None, "file not found")
        col.raise_if_any()
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        if layer is None and len(layers) > 1:
            col.add(
                None,
                None,
                f"the file has several layers ({', '.join(layers)}); "
                "choose one with the layer option",
            )
            col.raise_if_any()
        if layer is not None and layer not in layers:
            col.add(None, None, f"no layer named {layer!r} (layers: {', '.join(layers)})")
            col.raise_if_any()
        kwargs: dict[str, str] = {}
        if suffix == ".shp" and not path.with_suffix(".cpg").exists():
            kwargs["encoding"] = _dbf_encoding(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(path, layer=layer, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        col.add(None, None, f"cannot be read as {VECTOR_SUFFIXES[suffix]} ({exc})")
        col.raise_if_any()
        raise  # unreachable
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        col.add(None, None, "the file has no geometry")
        col.raise_if_any()
    frame = _rename(frame, mapping, col, wanted, shapefile=suffix == ".shp")
    frame["_row"] = np.arange(1, len(frame) + 1)
    return to_wgs84(frame, col)


def _dbf_encoding(path: Path) -> str:
    """Shapefiles without a .cpg: UTF-8 if the .dbf decodes as such, else GB18030 (GBK)."""
    dbf = path.with_suffix(".dbf")
    if not dbf.exists():
        return "UTF-8"
    raw = dbf.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) >= 10 else 0
    try:
        raw[header_len:].rstrip(b"\x1a").decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def to_wgs84(frame: gpd.GeoDataFrame, col: Collector) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326; refuse a missing CRS whose coordinates are not degrees."""
    geoms = frame.geometry.array
    has = ~(shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms)))
    frame = frame.set_geometry(shapely.force_2d(np.asarray(geoms)), crs=frame.crs)
    if frame.crs is None:
        if has.any():
            b = shapely.bounds(np.asarray(frame.geometry.array)[has])
            x = np.concatenate([b[:, 0], b[:, 2]])
            y = np.concatenate([b[:, 1], b[:, 3]])
            if (np.abs(x) > 180).any() or (np.abs(y) > 180).any():
                i = int(np.argmax((np.abs(b) > 180).any(axis=1)))
                col.add(
                    None,
                    None,
                    "wrong or missing CRS: the file has no coordinate reference "
                    f"system and its coordinates (e.g. {b[i, 0]:.1f}, {b[i, 1]:.1f} in row "
                    f"{int(frame['_row'].to_numpy()[has][i])}) are not longitude/latitude; "
                    "save it with its CRS (.prj) or as EPSG:4326",
                )
                col.raise_if_any()
        log.info("no CRS in the file; coordinates look like lon/lat, assuming EPSG:4326")
        return frame.set_crs(4326)
    if frame.crs.to_epsg() == 4326:
        return frame
    log.info("reprojecting from %s to EPSG:4326", frame.crs.to_string())
    try:
        out = frame.to_crs(4326)
    except Exception as exc:  # pyproj raises several types
        col.add(None, None, f"wrong CRS: cannot transform from {frame.crs.to_string()} ({exc})")
        col.raise_if_any()
        raise
    return out


def _decode(raw: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def read_csv(
    path: Path, *, mapping: Mapping[str, str] | None, wanted: tuple[str, ...], col: Collector
) -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-8 with BOM or GBK; comma, semicolon or tab) as text values.

    Empty cells become None; ``_row`` is each record's first line number (header = line 1).
    """
    if suffix_of(path) not in (".csv", ".txt", ".tsv"):
        raise UnsupportedFormat(f"{path.name}: expected a .csv file")
    if not path.exists():
        col.add(None, None, "file not found")
        col.raise_if_any()
    text = _decode(path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        col.add(None, None, "the file is empty")
        col.raise_if_any()
        raise
    records: list[list[str | None]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for rec in reader:
            if any(v.strip() for v in rec):
                if len(rec) != len(header):
                    col.add(start, None, f"has {len(rec)} fields but the header has {len(header)}")
                else:
                    records.append([v.strip() or None for v in rec])
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        col.add(start, None, f"cannot be parsed as CSV ({exc})")
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame = _rename(frame, mapping, col, wanted, shapefile=False)
    frame["_row"] = np.asarray(lines, dtype=np.int64)
    return frame
