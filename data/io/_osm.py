"""Roads and water from OpenStreetMap extracts (.osm.pbf, .osm XML or .osm.gz) via GDAL.

Roads come from the ``lines`` layer, one line per way with every node as a vertex, so roads
that share an OSM node share a vertex there and roads that only cross (a bridge, a tunnel,
another ``layer``) do not. The ``highway`` tag gives our road class (kinds we do not route
on, such as ``construction`` or ``proposed``, and ``area=yes`` surfaces are left out); then:

- ``oneway``: ``yes/true/1``, ``-1/reverse`` (the line is stored reversed), ``no``; absent,
  it is implied by ``highway=motorway(_link)`` and ``junction=roundabout/circular``;
  ``oneway:motorcar`` and ``oneway:motor_vehicle`` come first. A ``reversible`` or
  ``alternating`` way is closed to cars (its direction depends on the hour).
- ``car``, the access for cars: the most specific of ``motorcar``, ``motor_vehicle``,
  ``vehicle`` and ``access``; ``no`` or ``private`` closes the road, ``destination`` (also
  ``delivery``, ``customers``) opens it only to start or end a trip there. Tracks, paths,
  footways and cycleways are closed to cars whatever their tags.
- ``bridge``, ``tunnel``, ``layer`` and ``maxspeed``.

Water comes from the ``multipolygons`` layer (``natural=water``, ``waterway=riverbank``,
``landuse=reservoir``, its kind from the ``water`` tag) and from ``natural=coastline``: the
coastline has the land on its left, so the areas of the extract on its right are sea.
GDAL's default osmconf.ini is extended so these tags are read as columns. Node ids need not
increase (``OSM_USE_CUSTOM_INDEXING=NO``).
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
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import shapely

from data.io._read import OSM_SUFFIXES, Collector

log = logging.getLogger(__name__)

SUFFIXES = OSM_SUFFIXES

HIGHWAY_CLASS = {
    "motorway": "motorway", "motorway_link": "motorway",
    "trunk": "trunk", "trunk_link": "trunk",
    "primary": "primary", "primary_link": "primary",
    "secondary": "secondary", "secondary_link": "secondary",
    "tertiary": "tertiary", "tertiary_link": "tertiary",
    "residential": "residential", "living_street": "residential",
    "unclassified": "residential", "road": "residential",
    "service": "service", "track": "track", "cycleway": "cycleway",
    "footway": "footway", "path": "footway", "pedestrian": "footway", "steps": "footway",
    "bridleway": "footway",
}  # fmt: skip
CAR_CLASSES = frozenset(("motorway", "trunk", "primary", "secondary", "tertiary",
                         "residential", "service"))  # fmt: skip
ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")  # most specific first
ONEWAY_KEYS = ("oneway:motorcar", "oneway:motor_vehicle", "oneway")
ONEWAY = {"yes": 1, "true": 1, "1": 1, "-1": -1, "reverse": -1, "no": 0, "false": 0, "0": 0,
          "reversible": None, "alternating": None}  # fmt: skip
CLOSED = frozenset(("no", "private"))
DESTINATION = frozenset(("destination", "delivery", "customers"))
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
            line += ",bridge,tunnel,layer,oneway,junction,access,vehicle,motor_vehicle,"
            line += "motorcar,maxspeed,area,natural"
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
            # Node ids need not increase (GDAL's own index assumes they do).
            pyogrio.set_gdal_config_options({"OSM_USE_CUSTOM_INDEXING": "NO"})
            source = f"/vsigzip/{path}" if path.name.lower().endswith(".gz") else path
            frame = pyogrio.read_dataframe(
                source, layer=layer, CONFIG_FILE=config_file(), on_invalid="ignore"
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


_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _tags(row: dict[str, object], other: object) -> dict[str, str]:
    """The way's tags we read: its columns, and the rest from GDAL's ``other_tags``."""
    out = {k: v.strip().lower() for k, v in row.items() if isinstance(v, str) and v.strip()}
    if isinstance(other, str):
        for k, v in _TAG.findall(other):
            out.setdefault(k, v.strip().lower())
    return out


def car_rules(tags: dict[str, str], cls: str) -> tuple[str, int]:
    """Cars' access (``yes``, ``destination`` or ``no``) and direction (1: along the way,
    -1: against it, 0: both) of one way, from its tags and our class of it."""
    if cls not in CAR_CLASSES:
        return "no", 0
    access = next((tags[k] for k in ACCESS_KEYS if k in tags), "yes")
    car = "no" if access in CLOSED else "destination" if access in DESTINATION else "yes"
    value = next((tags[k] for k in ONEWAY_KEYS if tags.get(k) in ONEWAY), None)
    if value is None:  # absent (or a value we do not know): implied, or both ways
        implied = tags.get("highway") in ("motorway", "motorway_link") or tags.get("junction") in (
            "roundabout",
            "circular",
        )
        return car, int(implied)
    direction = ONEWAY[value]
    if direction is None:  # reversible: which way depends on the hour
        return "no", 0
    return car, direction


def _layer_of(v: str | None) -> int:
    try:
        return max(-10, min(10, int(float(v or 0))))
    except ValueError:
        return 0


def _roads(path: Path, col: Collector) -> gpd.GeoDataFrame:
    lines = _layer(path, "lines", col)
    lines = highway_to_class(lines)
    if "area" in lines:
        lines = lines[_text(lines["area"]).map(lambda v: str(v).lower() != "yes")]
    cols = ["highway", "oneway", "junction", "access", "vehicle", "motor_vehicle", "motorcar",
            "bridge", "tunnel", "layer"]  # fmt: skip
    other = lines["other_tags"] if "other_tags" in lines else pd.Series(None, index=lines.index)
    records = lines.reindex(columns=cols).to_dict("records")
    tags = [_tags(r, o) for r, o in zip(records, other, strict=True)]
    rules = [car_rules(t, c) for t, c in zip(tags, lines["class"], strict=True)]
    geoms = lines.geometry.to_numpy()
    reverse = np.array([d == -1 for _, d in rules], dtype=bool)
    if reverse.any():  # drawn against the direction of travel
        geoms[reverse] = shapely.reverse(geoms[reverse])
    return gpd.GeoDataFrame(
        {
            "_row": lines["_row"].to_numpy(),
            "name": _text(lines["name"]).to_numpy(),
            "class": lines["class"].to_numpy(),
            "oneway": np.array([d != 0 for _, d in rules], dtype=bool),
            "car": np.array([c for c, _ in rules], dtype=object),
            "bridge": np.array([t.get("bridge", "no") in _YES for t in tags], dtype=bool),
            "tunnel": np.array(
                [t.get("tunnel", "no") not in ("no", "false", "0") for t in tags], dtype=bool
            ),  # fmt: skip
            "layer": np.array([_layer_of(t.get("layer")) for t in tags], dtype=np.int16),
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
    lines = _layer(path, "lines", col)
    coast = lines.geometry.to_numpy()[_text(lines["natural"]).to_numpy() == "coastline"]
    roads = highway_to_class(lines)
    land = roads.geometry.to_numpy()[~_text(roads["bridge"]).isin(list(_YES)).to_numpy()]
    seas = sea(coast, shapely.box(*lines.total_bounds), land) if len(coast) else []
    if seas:
        log.info("%d sea area(s) from %d coastline way(s)", len(seas), len(coast))
    n = int(keep.sum())
    return gpd.GeoDataFrame(
        {
            "_row": np.concatenate(
                [polys["_row"].to_numpy()[keep], len(polys) + 1 + np.arange(len(seas))]
            ),  # fmt: skip
            "name": np.concatenate(
                [_text(polys["name"]).to_numpy()[keep], np.full(len(seas), None, dtype=object)]
            ),  # fmt: skip
            "kind": np.asarray(kinds + ["sea"] * len(seas), dtype=object),
        },
        geometry=np.concatenate([polys.geometry.to_numpy()[keep], np.asarray(seas, dtype=object)])
        if n or seas
        else polys.geometry.to_numpy()[keep],
        crs=4326,
    )


def sea(
    coast: npt.ArrayLike, frame: shapely.Polygon, land: npt.ArrayLike = ()
) -> list[shapely.Polygon]:
    """The parts of ``frame`` that are sea.

    OpenStreetMap draws a coastline with the land on its left. The coastline's ways are
    joined, and an end that stops inside the frame (the extract was cut there) is carried
    on in its last direction to the frame's edge; each part of the frame the coastline then
    cuts off counts the coastline's sides that face it, and more right sides than left ones
    make it sea. A part that holds more than a tenth of the ``land`` lines' length (roads
    that are not bridges: a wrong guess at a cut-off end) is not sea.
    """
    merged = shapely.get_parts(shapely.line_merge(shapely.union_all(np.asarray(coast))))
    reach = 4 * float(np.hypot(*np.subtract(frame.bounds[2:], frame.bounds[:2])))
    carried = [_carry_on(line, frame, reach) for line in merged]
    lines = shapely.intersection(np.asarray(carried, dtype=object), frame)
    work = shapely.union_all([*shapely.get_parts(lines), frame.exterior])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(work)))
    if len(faces) < 2:
        return []
    right, left = [], []
    for line in shapely.get_parts(lines):
        xy = shapely.get_coordinates(line)
        if len(xy) < 2:
            continue
        d = xy[1:] - xy[:-1]
        norm = np.hypot(d[:, 0], d[:, 1])
        ok = norm > 0
        mid = (xy[1:] + xy[:-1])[ok] / 2
        side = np.column_stack([d[ok, 1], -d[ok, 0]]) / norm[ok, None] * 1e-6  # to the right
        right.append(mid + side)
        left.append(mid - side)
    if not right:
        return []
    r, lft = np.concatenate(right), np.concatenate(left)
    on_land = shapely.union_all(np.asarray(land, dtype=object)) if len(land) else None
    total = on_land.length if on_land is not None else 0.0
    out = []
    for face in faces:
        votes = shapely.contains_xy(face, r[:, 0], r[:, 1]).sum()
        votes -= shapely.contains_xy(face, lft[:, 0], lft[:, 1]).sum()
        wet = votes > 0 and (not total or on_land.intersection(face).length <= 0.1 * total)
        if wet:
            out.append(face)
    return out


def _carry_on(line: shapely.LineString, frame: shapely.Polygon, reach: float) -> Any:
    """``line`` with each end inside ``frame`` carried on straight, ``reach`` further."""
    if line.is_closed:
        return line
    xy = shapely.get_coordinates(line)
    for end, before in ((0, 1), (-1, -2)):
        if frame.boundary.distance(shapely.Point(xy[end])) < 1e-9 or not frame.contains(
            shapely.Point(xy[end])
        ):
            continue
        d = xy[end] - xy[before]
        n = float(np.hypot(*d))
        if n > 0:
            far = xy[end] + d / n * reach
            xy = np.vstack([far, xy]) if end == 0 else np.vstack([xy, far])
    return shapely.LineString(xy)


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
