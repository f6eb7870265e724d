"""The OSM reader keeps what a road network needs (issue 20): direction, access for cars,
bridges, tunnels and layers, every way as given (gzipped, node ids in any order), and the
sea from coastlines. Small extracts written here; the real ones in ../shared/data/osm."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import shapely

from data.io import _osm
from data.io._read import Collector
from tests._osmxml import osm_xml

# A block of streets around (113.14, 27.84); node ids deliberately not increasing.
NODES = {
    90: (113.140, 27.840), 80: (113.145, 27.840), 70: (113.150, 27.840),
    60: (113.140, 27.845), 50: (113.145, 27.845), 40: (113.150, 27.845),
    30: (113.140, 27.836), 20: (113.150, 27.836),
    11: (113.1475, 27.8385), 12: (113.1475, 27.8465),  # an overpass across way 1
    # the coast: the sea is to the south (the coastline runs west to east, land on its left)
    5: (113.135, 27.833), 4: (113.1425, 27.8332), 3: (113.155, 27.833),
}  # fmt: skip
WAYS = [
    (1, [90, 80, 70], {"highway": "primary", "oneway": "-1", "name": "建设路"}),
    (2, [60, 50, 40], {"highway": "residential", "oneway": "yes"}),
    (3, [90, 60], {"highway": "service", "access": "private"}),
    (4, [80, 50], {"highway": "residential", "motor_vehicle": "destination"}),
    (5, [70, 40], {"highway": "tertiary", "oneway": "reversible"}),
    (6, [30, 20, 70, 30], {"highway": "primary", "junction": "roundabout"}),
    (7, [11, 12], {"highway": "trunk", "bridge": "yes", "layer": "1"}),
    (8, [90, 30], {"highway": "track"}),
    (9, [60, 30], {"highway": "residential", "tunnel": "yes", "layer": "-1",
                   "access": "no", "motorcar": "yes"}),
    (10, [50, 40], {"highway": "pedestrian", "area": "yes"}),
    (11, [5, 4, 3], {"natural": "coastline"}),
]  # fmt: skip


def _xml() -> str:
    return osm_xml(NODES, WAYS)


@pytest.fixture(scope="module")
def extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("osm") / "block.osm.gz"
    path.write_bytes(gzip.compress(_xml().encode()))
    return path


def _by_name(roads, name: str):  # type: ignore[no-untyped-def]
    return roads[roads["name"] == name].iloc[0]


def test_direction_and_access_for_cars(extract: Path) -> None:
    roads = _osm.read(extract, "roads", Collector(extract.name))
    assert len(roads) == 9  # the pedestrian area and the coastline are no roads
    first = _by_name(roads, "建设路")  # way 1, oneway=-1: stored from its last node
    assert first["oneway"] and first["car"] == "yes"
    assert shapely.get_coordinates(first.geometry)[0].tolist() == [113.15, 27.84]
    res = roads[(roads["class"] == "residential") & ~roads["tunnel"]]
    two = res[res.geometry.map(lambda g: g.coords[0] == (113.14, 27.845))].iloc[0]
    assert two["oneway"] and two["car"] == "yes"  # way 2, oneway=yes, as drawn
    by_class = roads.groupby("class")
    assert set(by_class.get_group("track")["car"]) == {"no"}
    service = by_class.get_group("service").iloc[0]
    assert service["car"] == "no"  # access=private
    assert set(roads["car"]) == {"yes", "no", "destination"}
    dest = roads[roads["car"] == "destination"].iloc[0]
    assert shapely.get_coordinates(dest.geometry).tolist() == [[113.145, 27.84], [113.145, 27.845]]
    tert = by_class.get_group("tertiary").iloc[0]
    assert tert["car"] == "no" and not tert["oneway"]  # reversible: closed to cars
    ring = roads[roads.geometry.map(lambda g: g.is_closed)].iloc[0]
    assert ring["oneway"] and ring["car"] == "yes"  # a roundabout is one-way by itself


def test_bridges_tunnels_and_layers(extract: Path) -> None:
    roads = _osm.read(extract, "roads", Collector(extract.name))
    trunk = roads[roads["class"] == "trunk"].iloc[0]
    assert trunk["bridge"] and not trunk["tunnel"] and trunk["layer"] == 1
    tunnel = roads[roads["tunnel"]].iloc[0]
    assert tunnel["layer"] == -1 and tunnel["car"] == "yes"  # motorcar=yes beats access=no
    # the overpass crosses way 1 but shares no vertex with it: they never meet
    first = roads[roads["name"] == "建设路"].iloc[0]
    assert trunk.geometry.crosses(first.geometry)
    shared = set(map(tuple, shapely.get_coordinates(trunk.geometry)))
    assert not shared & set(map(tuple, shapely.get_coordinates(first.geometry)))


def test_the_sea_lies_right_of_the_coastline(extract: Path) -> None:
    water = _osm.read(extract, "water", Collector(extract.name))
    seas = water[water["kind"] == "sea"]
    assert len(seas) == 1
    sea = seas.geometry.iloc[0]
    assert sea.contains(shapely.Point(113.145, 27.8331))  # south of the coastline
    assert not sea.contains(shapely.Point(113.145, 27.842))  # the streets stay land


def test_a_coastline_cut_off_inside_the_extract_is_carried_to_its_edge() -> None:
    frame = shapely.box(0, 0, 10, 10)
    coast = [shapely.LineString([(0, 5), (6, 5)])]  # stops at x=6; land to the north
    (sea,) = _osm.sea(coast, frame)
    assert sea.contains(shapely.Point(8, 2)) and not sea.contains(shapely.Point(8, 8))
    roads_in_it = [shapely.LineString([(1, 1), (9, 1), (9, 4)])]  # a guess roads refute
    assert _osm.sea(coast, frame, roads_in_it) == []


REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"


@pytest.mark.skipif(not REAL.exists(), reason="the real OSM extracts are not on this machine")
def test_every_real_extract_reads_as_given() -> None:
    """Each extract, as given (.osm.gz, .osm.pbf; Moscow's node ids do not increase), gives
    roads with one-way ones and cars kept off some; Monaco's coast gives sea, and its harbour
    is in it."""
    files = sorted(p for p in REAL.iterdir() if p.name.endswith((".osm.gz", ".osm.pbf")))
    assert len(files) >= 7
    for path in files:
        roads = _osm.read(path, "roads", Collector(path.name))
        assert len(roads) > 100 and roads["oneway"].any() and (roads["car"] == "no").any(), path
    water = _osm.read(REAL / "monaco.osm.gz", "water", Collector("monaco"))
    sea = shapely.union_all(water[water["kind"] == "sea"].geometry.to_numpy())
    assert sea.contains(shapely.Point(7.4262, 43.7352))  # Port Hercule
    assert not sea.contains(shapely.Point(7.4275, 43.7395))  # the casino
