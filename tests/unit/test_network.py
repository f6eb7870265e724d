"""The directed road network (geo/routing/network.py) against the exact yardstick read
straight from OSM ways (tests/yardstick): the same extract, read by our importer on one side
and by the yardstick's own reader on the other, must give the same times. Plus the rules a
real city needs, on a small network drawn here."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from data.io import _osm
from data.io._read import Collector
from geo.routing import network
from geo.routing.config import DEFAULT_SPEEDS
from tests._osmxml import osm_xml
from tests.yardstick import osm_roads

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "osm"
CAR = DEFAULT_SPEEDS["car"]
# the yardstick's speeds by OSM highway value: our class's speed for cars
YARD_SPEEDS = {hw: float(CAR.get(cls, 0)) for hw, cls in _osm.HIGHWAY_CLASS.items()
               if CAR.get(cls, 0) > 0}  # fmt: skip


def _ours(path: Path, water: bool = False) -> network.Network:
    roads = _osm.read(path, "roads", Collector(path.name))
    speed = [CAR.get(c, 0) for c in roads["class"]]
    car = np.where(roads["car"] == "destination", "yes", roads["car"])  # no penalty: as theirs
    wet = _osm.read(path, "water", Collector(path.name)).geometry.to_numpy() if water else ()
    return network.build(roads.geometry.to_numpy(), speed, roads["oneway"].to_numpy(),
                         mode="car", car=car, water=wet)  # fmt: skip


def _theirs(path: Path) -> osm_roads.RoadGraph:
    return osm_roads.car_graph(osm_roads.read_osm(path), speeds=YARD_SPEEDS)


def _compare(path: Path, n_targets: int, n_sources: int, seed: int) -> tuple[float, float]:
    """Share of (source, target) pairs where both give the same time (within 1 s and 1%),
    and the share both find reachable."""
    ours, theirs = _ours(path), _theirs(path)
    rng = np.random.default_rng(seed)
    lo = np.array([ours.lon.min(), ours.lat.min()])
    hi = np.array([ours.lon.max(), ours.lat.max()])
    pts = lo + rng.random((n_targets + n_sources, 2)) * (hi - lo)
    src = pts[n_targets:]
    placed = ours.place(src[:, 0], src[:, 1])
    same, both, total = 0, 0, 0
    for x, y in pts[:n_targets]:
        a = ours.times_to(ours.place([x], [y]), placed)
        b = osm_roads.travel_times(theirs, src, (x, y))
        fin = np.isfinite(a) & np.isfinite(b)
        total += len(a)
        both += int((np.isfinite(a) == np.isfinite(b)).sum())
        same += int((np.abs(a[fin] - b[fin]) <= np.maximum(1.0, 0.01 * b[fin])).sum())
        same += int((~np.isfinite(a) & ~np.isfinite(b)).sum())
    return same / total, both / total


# --- a small block drawn here (node ids not increasing, as in Moscow) ---------------------

NODES = {
    90: (113.140, 27.840), 80: (113.145, 27.840), 70: (113.150, 27.840),
    60: (113.140, 27.845), 50: (113.145, 27.845), 40: (113.150, 27.845),
    11: (113.1475, 27.8385), 12: (113.1475, 27.8465),
    21: (113.1475, 27.837), 22: (113.1475, 27.848),
}  # fmt: skip
WAYS = [
    (1, [90, 80, 70], {"highway": "primary"}),
    (2, [60, 50, 40], {"highway": "residential", "oneway": "yes"}),
    (3, [90, 60], {"highway": "residential"}),
    (4, [80, 50], {"highway": "service", "access": "private"}),
    (5, [70, 40], {"highway": "residential", "oneway": "-1"}),
    (6, [21, 11, 12, 22], {"highway": "trunk", "bridge": "yes", "layer": "1"}),
    (7, [70, 21], {"highway": "trunk_link"}),
    (8, [22, 40], {"highway": "trunk_link"}),
    (9, [80, 50], {"highway": "footway"}),
]  # fmt: skip


@pytest.fixture(scope="module")
def block(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("net") / "block.osm.gz"
    path.write_bytes(gzip.compress(osm_xml(NODES, WAYS).encode()))
    return path


def _secs(net: network.Network, a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(net.times_to(net.place([b[0]], [b[1]]), net.place([a[0]], [a[1]]))[0])


def test_the_rules_of_a_real_city(block: Path) -> None:
    net = _ours(block)
    # vertices: the car roads' ends and shared points; 80 and 50 join only the private road
    # and the footway, no car roads, so they are no vertices
    assert net.n == 6
    # one-way residential 60 -> 40: with it, direct; against it, round the block
    assert _secs(net, NODES[60], NODES[40]) + 60 < _secs(net, NODES[40], NODES[60])
    # the bridge crosses way 1 at (113.1475, 27.84) without a shared vertex: a car at the
    # crossing on way 1 reaches the bridge only by the ramps
    on_way1 = (113.1465, 27.8400)  # 100 m west of the crossing
    on_bridge = (113.1475, 27.8415)  # on the bridge, 170 m north of it
    assert (
        net.place([on_way1[0]], [on_way1[1]]).edge[0]
        != net.place([on_bridge[0]], [on_bridge[1]]).edge[0]
    )
    assert _secs(net, on_way1, on_bridge) > 30  # the 60 m between them is a drive round
    # the private road and the footway from 80 to 50 are never used by a car
    ring = _secs(net, NODES[80], NODES[50])
    assert ring > 2 * 556 / (CAR["residential"] / 3.6)  # not the 556 m straight up
    # a point halfway along a one-way edge reaches its end in half the edge's time
    mid = ((NODES[60][0] + NODES[40][0]) / 2, NODES[60][1])  # 50 is no vertex: one edge
    e = net.place([mid[0]], [mid[1]])
    to_head, to_tail = net.leave(e)
    assert to_head[0] == pytest.approx(net.sec[e.edge[0]] / 2, rel=1e-3) and np.isinf(to_tail[0])


def test_walking_ignores_one_way_and_access_for_cars(block: Path) -> None:
    roads = _osm.read(block, "roads", Collector(block.name))
    foot = DEFAULT_SPEEDS["foot"]
    speed = [foot.get(c, 0) for c in roads["class"]]
    lines, one = roads.geometry.to_numpy(), roads["oneway"].to_numpy()
    net = network.build(lines, speed, one, mode="foot", car=roads["car"].to_numpy())
    there, back = _secs(net, NODES[60], NODES[40]), _secs(net, NODES[40], NODES[60])
    assert there == pytest.approx(back)  # one-way streets are two-way on foot
    # the footway and the private road are walked: 80 -> 50 straight up, 556 m
    assert _secs(net, NODES[80], NODES[50]) == pytest.approx(
        556 / (foot["footway"] / 3.6), rel=0.01
    )


def test_it_agrees_with_the_yardstick_on_the_drawn_block(block: Path) -> None:
    same, both = _compare(block, 20, 50, seed=1)
    assert both == 1.0 and same == 1.0


@pytest.mark.skipif(not REAL.exists(), reason="the real OSM extracts are not on this machine")
@pytest.mark.parametrize("name", ["monaco.osm.gz", "moscow.osm.gz", "berlin-siegessaeule.osm.gz"])
def test_it_agrees_with_the_yardstick_on_real_streets(name: str) -> None:
    """Our importer and network against the yardstick's own reader and search, on random
    points: the same time for nearly every pair (a point halfway between two roads may snap
    to either side within a rounding)."""
    same, both = _compare(REAL / name, 15, 200, seed=7)
    assert both >= 0.99 and same >= 0.98, (name, same, both)


@pytest.mark.skipif(not REAL.exists(), reason="the real OSM extracts are not on this machine")
def test_no_point_snaps_across_water() -> None:
    """In Monaco, with the sea read from the coastline and the basins: a point whose nearest
    road lies across water joins a farther one on its own side; a point in the harbour still
    joins the road on its quay."""
    dry = _ours(REAL / "monaco.osm.gz", water=True)
    raw = _ours(REAL / "monaco.osm.gz")
    assert dry.water is not None
    rng = np.random.default_rng(3)
    lo, hi = np.array([dry.lon.min(), dry.lat.min()]), np.array([dry.lon.max(), dry.lat.max()])
    pts = lo + rng.random((3000, 2)) * (hi - lo)
    a, b = dry.place(pts[:, 0], pts[:, 1]), raw.place(pts[:, 0], pts[:, 1])
    moved = a.edge != b.edge
    assert 0 < moved.sum() < 100  # a few, near the harbours and the sea
    assert (a.offroad_m[moved] > b.offroad_m[moved]).all()  # farther
    assert (a.offroad_m >= b.offroad_m - 1e-6).all()  # never nearer
    harbour = dry.place([7.4262], [43.7352])  # Port Hercule, in the water
    assert harbour.edge[0] >= 0 and harbour.offroad_m[0] < network.SNAP_SEARCH_M


def test_the_route_is_the_fastest_way_and_follows_the_roads(block: Path) -> None:
    """The route's seconds are the search's; its line starts and ends on the points' roads
    and, against the one-way street, goes round the block on the roads."""
    net = _ours(block)
    a, b = NODES[40], NODES[60]
    src, dst = net.place([a[0]], [a[1]]), net.place([b[0]], [b[1]])
    secs, line = net.route(src, dst)
    assert secs == pytest.approx(float(net.times_to(dst, src)[0]))
    assert line[0] == pytest.approx(a, abs=1e-6) and line[-1] == pytest.approx(b, abs=1e-6)
    corners = {(round(x, 4), round(y, 4)) for x, y in line}
    assert {NODES[70], NODES[90]} <= corners  # 40 -> 70 -> 90 -> 60, not straight west
    # with the one-way street: straight along it, mid-edge to mid-edge
    p, q = (113.1420, 27.845), (113.1480, 27.845)
    secs2, line2 = net.route(net.place([p[0]], [p[1]]), net.place([q[0]], [q[1]]))
    assert [pt[1] for pt in line2] == pytest.approx([27.845] * len(line2))
    assert secs2 == pytest.approx(600 / (CAR["residential"] / 3.6), rel=0.02)
    assert net.route(net.place([q[0]], [q[1]]), net.place([p[0]], [p[1]]))[0] > secs2 + 60


@pytest.mark.skipif(not REAL.exists(), reason="the real OSM extracts are not on this machine")
def test_routes_on_real_streets_take_the_searched_time() -> None:
    net = _ours(REAL / "monaco.osm.gz")
    rng = np.random.default_rng(5)
    lo, hi = np.array([net.lon.min(), net.lat.min()]), np.array([net.lon.max(), net.lat.max()])
    pts = lo + rng.random((40, 2)) * (hi - lo)
    for (x0, y0), (x1, y1) in zip(pts[:20], pts[20:], strict=True):
        src, dst = net.place([x0], [y0]), net.place([x1], [y1])
        secs, line = net.route(src, dst)
        want = float(net.times_to(dst, src)[0])
        assert secs == pytest.approx(want, rel=1e-9) or not np.isfinite(want)
        if np.isfinite(want):
            assert len(line) >= 2
