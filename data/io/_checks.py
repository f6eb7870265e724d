"""Generic checks on read frames: columns, values, geometries, coordinates, duplicates.

Every check adds problems to a :class:`~data.io._read.Collector` (file, row, column,
message) instead of raising, so that one run reports everything wrong with a file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, SupportsFloat, cast

import numpy as np
import pandas as pd
import shapely

from data.io._read import Collector
from geo import coords

Kind = Literal["text", "int", "float", "bool", "enum", "datetime"]
GeomKind = Literal["polygon", "line", "point"]

_TRUE = {"true", "t", "yes", "y", "1", "是"}
_FALSE = {"false", "f", "no", "n", "0", "否"}


@dataclass(frozen=True)
class Column:
    """One of our columns: its type and rules.

    ``required``: the column must be in the file; ``nullable``: a value may be empty (then
    ``default`` is used); ``choices`` for enums (matched case-insensitively).
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    nullable: bool = True
    default: Any = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    max_len: int | None = None
    minimum: float | None = None
    exclusive_minimum: bool = False
    maximum: float | None = None


def _missing(v: object) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a code read as a number
    if isinstance(v, (np.floating,)) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def _number(v: object, spec: Column) -> tuple[float | int | None, str | None]:
    if isinstance(v, bool):
        return None, f"must be a number (got {v!r})"
    try:
        x = float(cast(SupportsFloat, v)) if not isinstance(v, str) else float(v.replace(",", ""))
    except (TypeError, ValueError):
        return None, f"must be a number (got {_show(v)})"
    if not math.isfinite(x):
        return None, f"must be a finite number (got {_show(v)})"
    if spec.kind == "int" and not x.is_integer():
        return None, f"must be a whole number (got {_show(v)})"
    if spec.minimum is not None:
        low = spec.minimum
        if x < low or (spec.exclusive_minimum and x == low):
            rel = ">" if spec.exclusive_minimum else ">="
            what = "a whole number" if spec.kind == "int" else "a number"
            return None, f"must be {what} {rel} {low:g} (got {_show(v)})"
    if spec.maximum is not None and x > spec.maximum:
        what = "a whole number" if spec.kind == "int" else "a number"
        return None, f"must be {what} <= {spec.maximum:g} (got {_show(v)})"
    return (int(x) if spec.kind == "int" else x), None


def _show(v: object) -> str:
    s = repr(v) if isinstance(v, str) else str(v)
    return s if len(s) <= 40 else s[:37] + "..."


def convert(v: object, spec: Column) -> tuple[Any, str | None]:  # noqa: PLR0911 - a return per type
    """Convert one value to the column's type: ``(value, None)`` or ``(None, message)``."""
    if _missing(v):
        if not spec.nullable:
            return None, "is empty but required"
        return spec.default, None
    if spec.kind in ("int", "float"):
        return _number(v, spec)
    if spec.kind == "bool":
        if isinstance(v, (bool, np.bool_)):
            return bool(v), None
        s = _text(v).lower()
        if s in _TRUE or s in _FALSE:
            return s in _TRUE, None
        return None, f"must be yes/no or true/false (got {_show(v)})"
    if spec.kind == "datetime":
        try:
            ts = pd.Timestamp(v)
        except (TypeError, ValueError):
            return (
                None,
                f"must be a date and time such as 2026-11-22T08:00:00+08:00 (got {_show(v)})",
            )
        if ts is pd.NaT:
            return spec.default, None
        ts = ts.tz_localize("Asia/Shanghai") if ts.tzinfo is None else ts
        return ts.to_pydatetime(), None
    s = _text(v)
    if spec.kind == "enum":
        low = s.lower()
        if low not in spec.choices:
            return None, f"unknown value {_show(s)} (expected one of {', '.join(spec.choices)})"
        return low, None
    if spec.max_len is not None and len(s) > spec.max_len:
        return None, f"is longer than {spec.max_len} characters"
    if spec.pattern is not None and not re.fullmatch(spec.pattern, s):
        return None, f"{_show(s)} is not a valid {spec.name.replace('_', ' ')}"
    return s, None


def check_columns(frame: pd.DataFrame, specs: Sequence[Column], col: Collector) -> bool:
    """Problem per missing required column; True when all are there."""
    missing = [s.name for s in specs if s.required and s.name not in frame.columns]
    if missing:
        found = [str(c) for c in frame.columns if c not in ("_row", "geometry")]
        col.add(
            None,
            None,
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (the file has: {', '.join(found) or 'no columns'}); "
            "use the mapping option to rename columns",
        )
    return not missing


def convert_columns(frame: pd.DataFrame, specs: Sequence[Column], col: Collector) -> pd.DataFrame:
    """Our columns, converted; problems per bad value. Absent optional columns get defaults."""
    rows = frame["_row"].to_numpy()
    out = pd.DataFrame({"_row": rows}, index=frame.index)
    for spec in specs:
        if spec.name not in frame.columns:
            out[spec.name] = pd.Series([spec.default] * len(frame), index=frame.index, dtype=object)
            continue
        values: list[Any] = []
        for row, v in zip(rows, frame[spec.name].tolist(), strict=True):
            value, err = convert(v, spec)
            if err:
                col.add(int(row), spec.name, err)
            values.append(value)
        out[spec.name] = pd.Series(values, index=frame.index, dtype=object)
    return out


def check_duplicates(frame: pd.DataFrame, column: str, col: Collector) -> None:
    """Problem for each repeated value of ``column`` (naming the row it first appeared in)."""
    first: dict[object, int] = {}
    for row, v in zip(frame["_row"].tolist(), frame[column].tolist(), strict=True):
        if v is None:
            continue
        if v in first:
            col.add(
                int(row),
                column,
                f"duplicate {column.replace('_', ' ')} {v} "
                f"(also in {'line' if col.line else 'row'} {first[v]})",
            )
        else:
            first[v] = int(row)


def check_references(
    frame: pd.DataFrame, column: str, known: Callable[[str], str | None], col: Collector
) -> None:
    """``known(value)`` returns None when the reference is fine, else the problem text."""
    for row, v in zip(frame["_row"].tolist(), frame[column].tolist(), strict=True):
        if v is not None:
            err = known(v)
            if err:
                col.add(int(row), column, err)


_TYPES: dict[str, tuple[str, ...]] = {
    "polygon": ("Polygon", "MultiPolygon"),
    "line": ("LineString", "MultiLineString"),
    "point": ("Point",),
}
_TYPE_IDS = {"polygon": (3, 6), "line": (1, 5), "point": (0,)}


def check_geometries(
    geoms: np.ndarray, rows: np.ndarray, kind: GeomKind, bbox: coords.BBox | None, col: Collector
) -> np.ndarray:
    """Check type, validity and position of each geometry; return a mask of good rows."""
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    right_type = np.isin(shapely.get_type_id(geoms), _TYPE_IDS[kind])
    valid = shapely.is_valid(geoms)
    good = ~missing & right_type & valid
    for i in np.flatnonzero(~good):
        row, g = int(rows[i]), geoms[i]
        if missing[i]:
            col.add(row, None, "missing or empty geometry")
        elif not right_type[i]:
            col.add(
                row, None, f"geometry is a {g.geom_type}, expected a {' or '.join(_TYPES[kind])}"
            )
        else:
            col.add(row, None, f"invalid geometry ({shapely.is_valid_reason(g)})")
    if not good.any():
        return good
    idx = np.flatnonzero(good)
    b = shapely.bounds(geoms[idx].astype(object))
    lo = coords.lonlat_problems(b[:, 0], b[:, 1], bbox=bbox)
    hi = coords.lonlat_problems(b[:, 2], b[:, 3], bbox=bbox)
    for j, i in enumerate(idx):
        verdicts = {int(lo[j]), int(hi[j])}
        if verdicts == {coords.OK}:
            continue
        good[i] = False
        row = int(rows[i])
        corner = (b[j, 0], b[j, 1]) if lo[j] != coords.OK else (b[j, 2], b[j, 3])
        at = f"{corner[0]:.6f}, {corner[1]:.6f}"
        if verdicts == {coords.SWAPPED}:
            col.add(
                row,
                None,
                f"latitude/longitude look swapped ({at} is inside the "
                "region only when read as latitude, longitude)",
            )
        elif coords.NOT_FINITE in verdicts:
            col.add(row, None, "coordinates are not finite numbers")
        elif coords.OUT_OF_RANGE in verdicts:
            col.add(
                row, None, f"coordinates ({at}) are not longitude/latitude degrees (wrong CRS?)"
            )
        else:
            assert bbox is not None
            col.add(
                row,
                None,
                f"coordinates outside the region ({at} is not within "
                f"{bbox[0]:.4f}, {bbox[1]:.4f} - {bbox[2]:.4f}, {bbox[3]:.4f})",
            )
    return good


def check_points(
    lon: np.ndarray, lat: np.ndarray, rows: np.ndarray, bbox: coords.BBox | None, col: Collector
) -> np.ndarray:
    """Check lon/lat pairs (None/NaN skipped: the caller decides if they are required)."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    present = ~(np.isnan(x) | np.isnan(y))
    verdict = coords.lonlat_problems(
        np.where(present, x, 0.0), np.where(present, y, 0.0), bbox=bbox
    )
    good = present & (verdict == coords.OK)
    for i in np.flatnonzero(present & (verdict != coords.OK)):
        at = f"{x[i]:.6f}, {y[i]:.6f}"
        row = int(rows[i])
        v = verdict[i]
        if v == coords.SWAPPED:
            col.add(
                row,
                None,
                f"latitude/longitude look swapped (lon {x[i]:g}, lat {y[i]:g}"
                " is inside the region only when the two are exchanged)",
            )
        elif v == coords.OUT_OF_RANGE:
            col.add(
                row, None, f"({at}) is not a longitude in [-180, 180] and latitude in [-90, 90]"
            )
        elif v == coords.OUTSIDE:
            assert bbox is not None
            col.add(
                row,
                None,
                f"coordinates outside the region ({at} is not within "
                f"{bbox[0]:.4f}, {bbox[1]:.4f} - {bbox[2]:.4f}, {bbox[3]:.4f})",
            )
        else:
            col.add(row, None, "coordinates are not finite numbers")
    return good


def to_multipolygon(geoms: np.ndarray) -> np.ndarray:
    """Polygons promoted to MultiPolygons (others unchanged)."""
    out = np.asarray(geoms, dtype=object).copy()
    for i, g in enumerate(out):
        if g is not None and g.geom_type == "Polygon":
            out[i] = shapely.MultiPolygon([g])
    return out
