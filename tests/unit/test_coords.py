"""WGS-84 <-> GCJ-02 conversion and lon/lat checks (pure)."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from geo import coords
from geo.errors import InvalidInput, OutsideJurisdiction

ZHUZHOU = (113.134, 27.835)
BBOX = (112.9, 27.6, 113.4, 28.1)  # around Zhuzhou
_GEOD = Geod(ellps="WGS84")


def test_round_trip_across_china() -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(73.5, 134.5, 20_000)
    lat = rng.uniform(18.5, 53.0, 20_000)
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    wlon, wlat = coords.gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-6 and np.abs(wlat - lat).max() < 1e-6
    assert np.abs(wlon - lon).max() < 1e-7 and np.abs(wlat - lat).max() < 1e-7


def test_offset_around_zhuzhou_is_a_few_hundred_metres() -> None:
    rng = np.random.default_rng(4)
    lon = ZHUZHOU[0] + rng.uniform(-0.2, 0.2, 500)
    lat = ZHUZHOU[1] + rng.uniform(-0.2, 0.2, 500)
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    _, _, dist = _GEOD.inv(lon, lat, glon, glat)
    assert 300 < dist.min() and dist.max() < 700
    # GCJ-02 is shifted east (and slightly south) here.
    assert (glon > lon).all()


def test_known_value_and_scalars() -> None:
    # A widely published pair (Tiananmen area): WGS-84 -> GCJ-02.
    glon, glat = coords.wgs84_to_gcj02(116.391305, 39.907230)
    assert glon.shape == () and abs(float(glon) - 116.397545) < 2e-5
    assert abs(float(glat) - 39.908634) < 2e-5


def test_no_offset_outside_china() -> None:
    lon, lat = np.array([2.35, -74.0, 139.7]), np.array([48.85, 40.7, 35.7])  # Paris, NY, Tokyo
    glon, glat = coords.wgs84_to_gcj02(lon, lat)
    assert np.array_equal(glon, lon) and np.array_equal(glat, lat)
    wlon, wlat = coords.gcj02_to_wgs84(lon, lat)
    assert np.array_equal(wlon, lon) and np.array_equal(wlat, lat)
    assert coords.out_of_china(lon, lat).all()
    assert not coords.out_of_china(*ZHUZHOU)


def test_check_lonlat_accepts_points_in_region() -> None:
    coords.check_lonlat([113.1, 113.2], [27.8, 27.9], bbox=BBOX)
    coords.check_lonlat(113.1, 27.8, bbox=None)


def test_swapped_lat_lon_is_named() -> None:
    with pytest.raises(OutsideJurisdiction, match="swapped") as exc:
        coords.check_lonlat([113.1, 27.83], [27.8, 113.13], bbox=BBOX)
    assert "point 1" in exc.value.user_message
    # Without a region, a latitude of 113 is still recognised as a swap.
    with pytest.raises(OutsideJurisdiction, match="swapped"):
        coords.check_lonlat([27.83], [113.13], bbox=None)


def test_outside_region_names_the_point() -> None:
    with pytest.raises(OutsideJurisdiction, match="outside the region") as exc:
        coords.check_lonlat([113.1, 113.1, 121.47], [27.8, 27.9, 31.23], bbox=BBOX)
    assert "point 2" in exc.value.user_message and "swapped" not in exc.value.user_message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_rejected(bad: float) -> None:
    with pytest.raises(InvalidInput, match="finite") as exc:
        coords.check_lonlat([113.1, bad], [27.8, 27.8], bbox=BBOX)
    assert not isinstance(exc.value, OutsideJurisdiction)
    assert "point 1" in exc.value.user_message


def test_out_of_range_rejected() -> None:
    with pytest.raises(InvalidInput, match=r"\[-180, 180\]"):
        coords.check_lonlat([3_500_000.0], [12_600_000.0], bbox=None)
    with pytest.raises(InvalidInput):
        coords.check_lonlat([1.0, 2.0], [1.0], bbox=None)


def test_lonlat_problems_verdicts() -> None:
    v = coords.lonlat_problems(
        [113.1, 27.8, 121.4, np.nan, 500.0], [27.8, 113.1, 31.2, 1.0, 500.0], bbox=BBOX
    )
    assert v.tolist() == [
        coords.OK,
        coords.SWAPPED,
        coords.OUTSIDE,
        coords.NOT_FINITE,
        coords.OUT_OF_RANGE,
    ]


def test_expand_bbox_by_two_km() -> None:
    big = coords.expand_bbox(BBOX, 2000)
    _, _, north = _GEOD.inv(113.0, BBOX[3], 113.0, big[3])
    _, _, east = _GEOD.inv(BBOX[2], 28.1, big[2], 28.1)
    assert 1990 < north < 2010 and 1950 < east < 2050
