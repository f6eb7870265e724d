"""Roads and water from OpenStreetMap extracts (.osm.pbf or .osm XML) via GDAL's OSM driver.

Roads come from the ``lines`` layer: the ``highway`` tag is mapped to our road classes
(kinds we do not route on, such as ``construction`` or ``proposed``, are left out), with
``bridge``, ``oneway`` and ``maxspeed``. Water comes from the ``multipolygons`` layer:
``natural=water``, ``waterway=riverbank`` and ``landuse=reservoir``, its kind from the
``water`` tag. GDAL's default osmconf.ini is extended so these tags are read as columns.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from data.io._read import Collector

log = logging.getLogger(__name__)

SUFFIXES = (".osm.pbf", ".pbf", ".osm")

HIGHWAY_CLASS = {
    "motorway": "motorway", "motorway_link": "motorway",
    "trunk": "trunk", "trunk_link": "trunk",
    "primary": "primary", "primary_link": "primary",
    "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "tertiary", "tertiary_link": "tertiary",
    "residential": "residential", "living_street": "residential",
    "unclassified": "residential", "road": "residential",
    "service": "service", "track": "service",
    "footway": "footway", "path": "footway", "pedestrian": "footway", "steps": "footway",
    "cycleway": "footway", "bridleway": "footway",
}  # fmt: skip
WATER_KIND = {
    "river": "river", "stream": "river", "riverbank": "river", "oxbow": "lake",
    "lake": "lake", "pond": "lake", "basin": "reservoir", "reservoir": "reservoir",
    "canal": "canal", "ditch": "canal",
}  # fmt: skip
_YES = {"yes", "true", "1", "viaduct", "aqueduct", "cantilever", "covered", "movable"}


@functools.lru_cache(maxsize=1)
def config_file() -> str:
    """An osmconf.ini: GDAL's default plus the tags we need as columns."""
    text = ""
    data_path = pyogrio.get_gdal_data_path()
    if data_path and (Path(data_path) / "osmconf.ini").exists():
        text = (Path(data_path) / "osmconf.ini").read_text(encoding="utf-8")
    if not text:
        raise RuntimeError("GDAL's osmconf.ini was not found; the OSM driver cannot be configured")
    section = ""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[] ")
        if line.startswith("closed_ways_are_polygons="):
            line += ",waterway=riverbank,water"
        elif line.startswith("attributes=") and section == "lines":
            line += ",bridge,oneway,maxspeed"
        elif line.startswith("attributes=") and section == "multipolygons":
            line += ",waterway,water"
        out.append(line)
    fd, name = tempfile.mkstemp(prefix="griddispatch-osmconf-", suffix=".ini")
    os.close(fd)
    Path(name).write_text("\n".join(out) + "\n", encoding="utf-8")
    atexit.register(Path(name).unlink, missing_ok=True)
    return name


def _layer(path: Path, layer: str, col: Collector) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # OSM extracts cut relations at their edge: broken rings come back empty (dropped
            # below) instead of failing the whole file.
            frame = pyogrio.read_dataframe(
                path, layer=layer, CONFIG_FILE=config_file(), on_invalid="ignore"
            )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        col.add(None, None, f"cannot be read as OpenStreetMap data ({exc})")
        col.raise_if_any()
        raise
    frame["_row"] = np.arange(1, len(frame) + 1)
    broken = frame.geometry.isna()
    if broken.any():
        log.info("%s: %d %s with unusable geometry skipped", path.name, int(broken.sum()), layer)
        frame = frame[~broken]
    return frame.set_crs(4326, allow_override=True)


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None)


def _speed(v: object) -> float | None:
    """OSM maxspeed ("50", "50 mph", "CN:urban") in km/h, or None."""
    if not isinstance(v, str):
        return None
    m = re.match(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(mph)?", v)
    if not m or float(m.group(1)) <= 0:
        return None
    return float(m.group(1)) * (1.609344 if m.group(2) else 1.0)


def highway_to_class(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rows with a routable ``highway`` value, with ``class`` set from it (others dropped)."""
    hw = frame["highway"].astype(object).where(frame["highway"].notna(), None)
    cls = hw.map(lambda v: HIGHWAY_CLASS.get(str(v).strip().lower()) if v is not None else None)
    keep = cls.notna()
    if (~keep).any():
        log.info("left out %d lines whose highway tag is not a road class", int((~keep).sum()))
    out = frame.loc[keep].copy()
    out["class"] = cls[keep]
    return out


def _roads(path: Path, col: Collector) -> gpd.GeoDataFrame:
    lines = _layer(path, "lines", col)
    lines = highway_to_class(lines)
    oneway = _text(lines["oneway"]).map(lambda v: str(v).lower() if v is not None else "")
    geoms = lines.geometry.to_numpy()
    reverse = (oneway == "-1").to_numpy()
    if reverse.any():  # drawn against the direction of travel
        geoms[reverse] = shapely.reverse(geoms[reverse])
    return gpd.GeoDataFrame(
        {
            "_row": lines["_row"].to_numpy(),
            "name": _text(lines["name"]).to_numpy(),
            "class": lines["class"].to_numpy(),
            "oneway": oneway.isin(["yes", "true", "1", "-1"]).to_numpy(),
            "bridge": _text(lines["bridge"]).map(lambda v: str(v).lower() in _YES).to_numpy(),
            "speed_kmh": lines["maxspeed"].map(_speed).astype(object).to_numpy(),
        },
        geometry=geoms,
        crs=4326,
    )


def _water(path: Path, col: Collector) -> gpd.GeoDataFrame:
    polys = _layer(path, "multipolygons", col)
    natural = _text(polys["natural"]).to_numpy()
    waterway = _text(polys["waterway"]).to_numpy()
    landuse = _text(polys["landuse"]).to_numpy()
    water = _text(polys["water"]).to_numpy()
    keep = (natural == "water") | (waterway == "riverbank") | (landuse == "reservoir")
    kinds = []
    for w, ww, lu in zip(water[keep], waterway[keep], landuse[keep], strict=True):
        if w is not None:
            kinds.append(WATER_KIND.get(str(w).lower(), "other"))
        elif ww == "riverbank":
            kinds.append("river")
        elif lu == "reservoir":
            kinds.append("reservoir")
        else:
            kinds.append("other")
    log.info("kept %d of %d OSM multipolygons as water", int(keep.sum()), len(polys))
    return gpd.GeoDataFrame(
        {
            "_row": polys["_row"].to_numpy()[keep],
            "name": _text(polys["name"]).to_numpy()[keep],
            "kind": np.asarray(kinds, dtype=object),
        },
        geometry=polys.geometry.to_numpy()[keep],
        crs=4326,
    )


def read(path: Path, entity: str, col: Collector) -> gpd.GeoDataFrame:
    """Roads (``entity="roads"``) or water (``"water"``) from an OSM file, in our columns."""
    if not path.exists():
        col.add(None, None, "file not found")
        col.raise_if_any()
    if entity == "roads":
        return _roads(path, col)
    if entity == "water":
        return _water(path, col)
    col.add(None, None, f"{entity.replace('_', ' ')} cannot be imported from OpenStreetMap data")
    col.raise_if_any()
    raise AssertionError("unreachable")
