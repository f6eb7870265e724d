"""Coordinates at the edge: WGS-84 <-> GCJ-02 and lon/lat plausibility checks.

The system stores WGS-84 (EPSG:4326). Chinese web maps and phone apps often give
GCJ-02 ("Mars coordinates", offset ~300-700 m): convert them here when they come in and
never store them. The conversion is the standard public algorithm used by Chinese web maps
(Krasovsky ellipsoid constants); the inverse is found by fixed-point iteration.

:func:`check_lonlat` refuses coordinates that are not finite, out of range, outside the
jurisdiction, or that look like latitude and longitude were swapped;
:func:`lonlat_problems` gives the same verdict per point for callers that collect problems.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import InvalidInput, OutsideJurisdiction

log = logging.getLogger(__name__)

BBox: TypeAlias = tuple[float, float, float, float]  # (minlon, minlat, maxlon, maxlat)
FloatArray: TypeAlias = NDArray[np.float64]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_METRES_PER_DEGREE = 111_320.0

# Verdicts of lonlat_problems(), one per point.
OK = 0
NOT_FINITE = 1
OUT_OF_RANGE = 2  # not lon/lat degrees at all (and not swapped into the region)
OUTSIDE = 3  # valid lon/lat, outside the region
SWAPPED = 4  # outside (or out of range), but (lat, lon) would be inside the region

_MAX_ITER = 30
_TOLERANCE = 1e-9  # degrees; well below the promised 1e-7


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    if x.shape != y.shape:
        raise InvalidInput("longitude and latitude arrays differ in length", code="coords.lengths")
    return x, y


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies outside the rectangle in which GCJ-02 applies an offset.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (arrays or scalars of the same shape).

    Returns
    -------
    numpy.ndarray
        Boolean array of the input shape.
    """
    x, y = _arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _offset(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 points (x, y); zero outside China."""
    px, py = x - 105.0, y - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * px * pi) + 20.0 * np.sin(2.0 * px * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * px + 3.0 * py + 0.2 * py * py + 0.1 * px * py
    dlat += 0.2 * np.sqrt(np.abs(px)) + common
    dlat += (20.0 * np.sin(py * pi) + 40.0 * np.sin(py / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(py / 12.0 * pi) + 320.0 * np.sin(py * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + px + 2.0 * py + 0.1 * px * px + 0.1 * px * py
    dlon += 0.1 * np.sqrt(np.abs(px)) + common
    dlon += (20.0 * np.sin(px * pi) + 40.0 * np.sin(px / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(px / 12.0 * pi) + 300.0 * np.sin(px / 30.0 * pi)) * 2.0 / 3.0
    rad = y / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    far = out_of_china(x, y)
    return np.where(far, 0.0, dlon), np.where(far, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS-84 lon/lat to GCJ-02 (points outside China are returned unchanged).

    Parameters
    ----------
    lon, lat
        WGS-84 longitudes and latitudes in degrees (arrays or scalars of the same shape).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)``.
    """
    x, y = _arrays(lon, lat)
    dlon, dlat = _offset(x, y)
    return x + dlon, y + dlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 lon/lat back to WGS-84 by iteration (error below 1e-7 degrees).

    Points outside China (judged on the GCJ-02 input) are returned unchanged.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitudes and latitudes in degrees (arrays or scalars of the same shape).

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 ``(lon, lat)``.
    """
    gx, gy = _arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    for _ in range(_MAX_ITER):
        dlon, dlat = _offset(x, y)
        ex, ey = x + dlon - gx, y + dlat - gy
        x, y = x - ex, y - ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        if not np.any(err > _TOLERANCE):  # NaN input does not loop forever either
            break
    far = out_of_china(gx, gy)
    return np.where(far, gx, x), np.where(far, gy, y)


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """One point given in ``datum`` ('wgs84' or 'gcj02', as API clients send it) in WGS-84.

    Parameters
    ----------
    lon, lat : float
        The point in degrees, longitude first.
    datum : str
        ``'wgs84'`` (returned as is) or ``'gcj02'``.

    Returns
    -------
    tuple of float
        WGS-84 ``(lon, lat)``.

    Raises
    ------
    ValueError
        Unknown ``datum``.
    """
    if datum == "wgs84":
        return lon, lat
    if datum != "gcj02":
        raise ValueError(f"unknown datum {datum!r}")
    x, y = gcj02_to_wgs84([lon], [lat])
    return float(x[0]), float(y[0])


def expand_bbox(bbox: BBox, metres: float) -> BBox:
    """Grow a lon/lat bounding box by about ``metres`` on every side.

    Parameters
    ----------
    bbox
        ``(minlon, minlat, maxlon, maxlat)`` in degrees.
    metres
        Margin; longitudes are scaled at the box's latitude farthest from the equator.

    Returns
    -------
    tuple of float
        The expanded box, clipped to valid longitude/latitude ranges.
    """
    minx, miny, maxx, maxy = bbox
    dlat = metres / _METRES_PER_DEGREE
    coslat = max(math.cos(math.radians(max(abs(miny), abs(maxy)))), 0.01)
    dlon = metres / (_METRES_PER_DEGREE * coslat)
    return (
        max(minx - dlon, -180.0),
        max(miny - dlat, -90.0),
        min(maxx + dlon, 180.0),
        min(maxy + dlat, 90.0),
    )


def _inside(x: FloatArray, y: FloatArray, bbox: BBox) -> NDArray[np.bool_]:
    minx, miny, maxx, maxy = bbox
    return (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)


def _box(bbox: BBox | Sequence[float]) -> BBox:
    return (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))


def lonlat_problems(
    lon: ArrayLike, lat: ArrayLike, *, bbox: BBox | Sequence[float] | None
) -> NDArray[np.int8]:
    """Verdict per point: :data:`OK`, :data:`NOT_FINITE`, :data:`OUT_OF_RANGE`,
    :data:`OUTSIDE` or :data:`SWAPPED`.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees.
    bbox
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)``, or None for range checks only.

    Returns
    -------
    numpy.ndarray
        int8 array of the input shape.
    """
    x, y = _arrays(lon, lat)
    out = np.zeros(x.shape, dtype=np.int8)
    finite = np.isfinite(x) & np.isfinite(y)
    in_range = finite & (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)
    out[~in_range] = OUT_OF_RANGE
    if bbox is not None:
        box = _box(bbox)
        out[in_range & ~_inside(x, y, box)] = OUTSIDE
        out[finite & (out != OK) & _inside(y, x, box)] = SWAPPED
    else:
        # Without a region, a "latitude" beyond +-90 that is a valid longitude, paired with a
        # valid latitude, is most likely a swap.
        swapped = finite & (np.abs(y) > 90.0) & (np.abs(y) <= 180.0) & (np.abs(x) <= 90.0)
        out[swapped] = SWAPPED
    out[~finite] = NOT_FINITE
    return out


def check_lonlat(
    lon: ArrayLike, lat: ArrayLike, *, bbox: BBox | Sequence[float] | None = None
) -> None:
    """Refuse coordinates that are not usable WGS-84 lon/lat inside the jurisdiction.

    Parameters
    ----------
    lon, lat
        Longitudes and latitudes in degrees (arrays or scalars of the same shape).
    bbox
        The jurisdiction ``(minlon, minlat, maxlon, maxlat)``; None skips the region check.

    Raises
    ------
    InvalidInput
        A coordinate is NaN or infinite, or not a longitude/latitude at all.
    OutsideJurisdiction
        A point is outside the region, or latitude and longitude look swapped.
    """
    x, y = _arrays(lon, lat)
    verdict = lonlat_problems(x, y, bbox=bbox).ravel()
    fx, fy = x.ravel(), y.ravel()
    for code in (NOT_FINITE, SWAPPED, OUT_OF_RANGE, OUTSIDE):
        bad = np.flatnonzero(verdict == code)
        if not bad.size:
            continue
        i = int(bad[0])
        where = f"point {i}" + (f" (and {bad.size - 1} more)" if bad.size > 1 else "")
        at = f"({fx[i]:.6g}, {fy[i]:.6g})"
        n = int(bad.size)
        if code == NOT_FINITE:
            raise InvalidInput(
                f"Coordinates must be finite numbers: {where} is {at}.",
                code="coords.not_finite",
                point=i,
                count=n,
                at=at,
            )
        if code == SWAPPED:
            raise OutsideJurisdiction(
                f"Latitude/longitude look swapped: {where} {at} lies in the region only "
                "when read as (latitude, longitude); give longitude first.",
                code="coords.swapped",
                point=i,
                count=n,
                at=at,
            )
        if code == OUT_OF_RANGE:
            raise InvalidInput(
                "Coordinates must be longitude in [-180, 180] and latitude in [-90, 90]: "
                f"{where} is {at}.",
                code="coords.range",
                point=i,
                count=n,
                at=at,
            )
        assert bbox is not None
        box = _box(bbox)
        box_text = f"({box[0]:.4f}, {box[1]:.4f} - {box[2]:.4f}, {box[3]:.4f})"
        raise OutsideJurisdiction(
            f"Coordinates outside the region: {where} {at} is not within {box_text}.",
            code="coords.outside",
            box=box_text,
            point=i,
            count=n,
            at=at,
        )
