"""Reading coordinates typed into the place search (no database)."""

from __future__ import annotations

import pytest

from geo.errors import InvalidInput, OutsideJurisdiction
from geo.places import parse_pair, read_coordinates

CITY = (113.10, 27.80, 113.16, 27.86)


@pytest.mark.parametrize(
    "text,pair",
    [
        ("113.13,27.83", (113.13, 27.83)),
        (" 113.13, 27.83 ", (113.13, 27.83)),
        ("113.13 27.83", (113.13, 27.83)),
        ("113.13\t 27.83", (113.13, 27.83)),
        ("113.13，27.83", (113.13, 27.83)),
        ("113.13 ， 27.83", (113.13, 27.83)),
        ("113.13、27.83", (113.13, 27.83)),
        ("113.13\u300027.83", (113.13, 27.83)),  # ideographic space
        ("-1.5,+2", (-1.5, 2.0)),
        ("113., .83", (113.0, 0.83)),
        ("113 27", (113.0, 27.0)),
    ],
)
def test_pairs_are_read(text: str, pair: tuple[float, float]) -> None:
    assert parse_pair(text) == pair


@pytest.mark.parametrize(
    "text",
    [
        "",
        "113.13",
        "113.13,27.83,5",
        "113.13,,27.83",
        "113.13;27.83",
        "1e3,27",
        "113.13, abc",
        "振兴社区",
        "430202001001001",
        "nan, 27",
        "inf 1",
        "113.13.1, 27",
        ",113.13 27.83",
    ],
)
def test_other_text_is_not_a_pair(text: str) -> None:
    assert parse_pair(text) is None


def test_lon_lat_inside_the_city() -> None:
    p = read_coordinates(113.13, 27.83, CITY)
    assert (p.kind, p.lon, p.lat, p.code) == ("point", 113.13, 27.83, None)
    assert "read as" not in p.label


def test_lat_lon_is_read_the_other_way_round_and_says_so() -> None:
    p = read_coordinates(27.83, 113.13, CITY)
    assert (p.lon, p.lat) == (113.13, 27.83)
    assert "read as lat, lon" in p.label


def test_outside_the_city_is_refused() -> None:
    with pytest.raises(OutsideJurisdiction, match="outside the region"):
        read_coordinates(120.0, 30.0, CITY)
    with pytest.raises(OutsideJurisdiction, match="outside the region"):
        read_coordinates(30.0, 120.0, CITY)  # outside either way round


def test_not_lon_lat_at_all_is_refused() -> None:
    with pytest.raises(InvalidInput, match="longitude in"):
        read_coordinates(500.0, 400.0, CITY)
    with pytest.raises(InvalidInput):
        read_coordinates(float("1" * 99), 27.8, CITY)


def test_without_a_city_only_ranges_count() -> None:
    assert (read_coordinates(2.35, 48.85, None).lon, read_coordinates(2.35, 48.85, None).lat) == (
        2.35,
        48.85,
    )
    p = read_coordinates(27.83, 113.13, None)  # 113 cannot be a latitude
    assert (p.lon, p.lat) == (113.13, 27.83) and "read as" in p.label
