"""The OSM road travel-time yardstick (tests/yardstick/osm_roads.py) against networkx.

A hand-made network whose car directions are written out by hand checks the tag rules and the
searches; a real extract (Monaco) checks the reader and the figures at scale.
"""

from __future__ import annotations

import gzip
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString

from tests.yardstick.osm_roads import (
    Osm,
    RoadGraph,
    Snap,
    Way,
    car_directions,
    car_graph,
    node_times,
    parse_maxspeed,
    read_osm,
    snap,
    times_to_snap,
    travel_times,
)

ROOT = Path(__file__).resolve().parents[2]
OSM_DIR = ROOT.parent / "shared" / "data" / "osm"
R_EARTH = 6_371_008.8
LON0, LAT0, DX, DY = 9.0, 45.0, 0.00127, 0.0009  # one grid unit: about 100 m each way
SPEEDS = {
    "residential": 30.0,
    "tertiary": 40.0,
    "primary": 60.0,
    "primary_link": 45.0,
    "service": 15.0,
    "motorway": 110.0,
    "motorway_link": 70.0,
}

# Node id -> (x, y) in grid units.
XY: dict[int, tuple[float, float]] = {1 + x + 4 * y: (x, y) for x in range(4) for y in range(3)}
XY |= {20: (4.5, 1), 21: (5, 0.5), 22: (5.5, 1), 23: (5, 1.5)}  # roundabout W, S, E, N
XY |= {30: (1.5, -1), 32: (1.5, 1), 31: (1.5, 3)}  # overpass; 32 sits right above street 6-7
XY |= {40: (5, -0.5), 41: (5.5, 2.5), 50: (8, 0), 51: (8, 1)}
#
#   9 --- 10 --- 11 --- 12        row 5->8 one-way; column 12->8->4 one-way (oneway=-1);
#   |      |  :   |      |        ':' the overpass 30-32-31 (ramps 1-30 and 31-9) crossing all
#   5 -->  6 -32- 7 -->  8 - 20   three rows without a shared node; roundabout 20-21-22-23;
#   |      |  :   |      |        motorway 4->40->21, link 22->41->12; island 50-51.
#   1 ---  2 ---- 3 ---- 4
#
# (way id, nodes, tags, car directions written out by hand: both / fwd / bwd / none)
WAYS: list[tuple[int, list[int], dict[str, str], str]] = [
    (100, [1, 2, 3, 4], {"highway": "residential"}, "both"),
    (
        101,
        [9, 10, 11, 12],
        {"highway": "residential", "oneway": "yes", "oneway:motor_vehicle": "no"},
        "both",
    ),  # fmt: skip
    (102, [5, 6, 7, 8], {"highway": "residential", "oneway": "yes"}, "fwd"),
    (110, [1, 5, 9], {"highway": "residential"}, "both"),
    (111, [2, 6, 10], {"highway": "residential"}, "both"),
    (112, [3, 7, 11], {"highway": "residential", "access": "destination"}, "both"),
    (113, [4, 8, 12], {"highway": "residential", "oneway": "-1"}, "bwd"),
    (120, [20, 21, 22, 23, 20], {"highway": "tertiary", "junction": "roundabout"}, "fwd"),
    (121, [8, 20], {"highway": "tertiary"}, "both"),
    (130, [30, 32, 31], {"highway": "primary", "bridge": "yes", "layer": "1"}, "both"),
    (131, [1, 30], {"highway": "primary_link"}, "both"),
    (132, [31, 9], {"highway": "primary_link"}, "both"),
    (140, [1, 6], {"highway": "residential", "access": "private"}, "none"),
    (141, [5, 10], {"highway": "service", "access": "yes", "motor_vehicle": "no"}, "none"),
    (142, [3, 8], {"highway": "residential", "access": "no", "motor_vehicle": "yes"}, "both"),
    (150, [2, 7], {"highway": "footway"}, "none"),
    (160, [10, 7], {"highway": "residential", "oneway": "reversible"}, "none"),
    (161, [7, 12], {"highway": "construction"}, "none"),
    (170, [4, 40, 21], {"highway": "motorway"}, "fwd"),
    (171, [22, 41, 12], {"highway": "motorway_link"}, "fwd"),
    (180, [50, 51], {"highway": "residential"}, "both"),
]


def lonlat(x: float, y: float) -> tuple[float, float]:
    return LON0 + x * DX, LAT0 + y * DY


def hand_osm() -> Osm:
    nodes = {i: lonlat(*xy) for i, xy in XY.items()}
    return Osm(nodes=nodes, ways=[Way(w, tuple(ns), tags) for w, ns, tags, _ in WAYS])


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * R_EARTH * math.asin(math.sqrt(h))


def hand_nx() -> nx.DiGraph:
    """The same network, built from the hand-written directions, not from the tags."""
    g = nx.DiGraph()
    for _, ns, tags, how in WAYS:
        if how == "none":
            continue
        mps = SPEEDS[tags["highway"]] / 3.6
        for a, b in zip(ns[:-1], ns[1:], strict=True):
            sec = metres(lonlat(*XY[a]), lonlat(*XY[b])) / mps
            pairs = {"both": [(a, b), (b, a)], "fwd": [(a, b)], "bwd": [(b, a)]}[how]
            for s, t in pairs:
                if not g.has_edge(s, t) or g[s][t]["weight"] > sec:
                    g.add_edge(s, t, weight=sec)
    return g


@pytest.fixture(scope="module")
def hand() -> RoadGraph:
    return car_graph(hand_osm(), SPEEDS)


def t(graph: RoadGraph, a: int, b: int) -> float:
    return float(node_times(graph, [a], [b])[0, 0])


def edge_sec(graph: RoadGraph, a: int, b: int) -> float:
    ia, ib = graph.index([a, b])
    found = graph.seconds[(graph.tail == ia) & (graph.head == ib)]
    assert len(found) == 1, (a, b)
    return float(found[0])


# --- tag rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, (True, True)),
        ({"highway": "residential", "oneway": "yes"}, (True, False)),
        ({"highway": "residential", "oneway": "true"}, (True, False)),
        ({"highway": "residential", "oneway": "1"}, (True, False)),
        ({"highway": "residential", "oneway": "-1"}, (False, True)),
        ({"highway": "residential", "oneway": "reverse"}, (False, True)),
        ({"highway": "residential", "oneway": "alternating"}, (False, False)),
        ({"highway": "residential", "oneway": "yes; no"}, (True, True)),  # unknown: absent
        ({"highway": "motorway"}, (True, False)),
        ({"highway": "motorway_link"}, (True, False)),
        ({"highway": "motorway", "oneway": "no"}, (True, True)),
        ({"highway": "primary", "junction": "circular"}, (True, False)),
        ({"highway": "primary", "junction": "roundabout", "oneway": "-1"}, (False, True)),
        ({"highway": "primary", "oneway": "yes", "oneway:motorcar": "no"}, (True, True)),
        (
            {"highway": "primary", "oneway:motor_vehicle": "-1", "oneway:motorcar": "yes"},
            (True, False),
        ),  # fmt: skip
        ({"highway": "primary", "oneway:bicycle": "no", "oneway": "yes"}, (True, False)),
        ({"highway": "service", "access": "private"}, (False, False)),
        ({"highway": "service", "access": "destination"}, (True, True)),
        ({"highway": "service", "motor_vehicle": "destination", "access": "no"}, (True, True)),
        ({"highway": "service", "access": "yes", "motorcar": "no"}, (False, False)),
        ({"highway": "service", "vehicle": "private"}, (False, False)),
        ({"highway": "service", "area": "yes"}, (False, False)),
        ({"highway": "living_street"}, (True, True)),
        ({"highway": "road"}, (True, True)),
        ({"highway": "track"}, (False, False)),
        ({"highway": "pedestrian"}, (False, False)),
        ({"highway": "steps"}, (False, False)),
        ({"highway": "proposed"}, (False, False)),
        ({"railway": "rail"}, (False, False)),
    ],
)
def test_car_directions(tags: dict[str, str], expected: tuple[bool, bool]) -> None:
    assert car_directions(tags) == expected


def test_maxspeed_is_parsed_and_used_only_when_asked() -> None:
    assert parse_maxspeed("50") == 50.0
    assert parse_maxspeed("30 mph") == pytest.approx(48.28032)
    assert parse_maxspeed("none") is None and parse_maxspeed("RU:urban") is None
    assert parse_maxspeed("0") is None
    osm = Osm({1: lonlat(0, 0), 2: lonlat(1, 0)}, [Way(1, (1, 2), {"highway": "residential",
                                                                  "maxspeed": "60"})])  # fmt: skip
    plain, fast = car_graph(osm, SPEEDS), car_graph(osm, SPEEDS, use_maxspeed=True)
    assert plain.seconds[0] == pytest.approx(2 * fast.seconds[0])


# --- the hand-made network --------------------------------------------------------------------


def test_every_node_to_node_time_matches_networkx(hand: RoadGraph) -> None:
    ref = hand_nx()
    assert set(hand.node_ids.tolist()) == set(ref.nodes)
    assert hand.n_edges == ref.number_of_edges()
    ids = hand.node_ids.tolist()
    ours = node_times(hand, ids, ids)
    for i, a in enumerate(ids):
        theirs = nx.single_source_dijkstra_path_length(ref, a)
        for j, b in enumerate(ids):
            assert ours[i, j] == pytest.approx(theirs.get(b, math.inf), rel=1e-12), (a, b)


def test_the_overpass_never_joins_the_streets_it_crosses(hand: RoadGraph) -> None:
    bridge = LineString([lonlat(*XY[i]) for i in (30, 32, 31)])
    for row in ([1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]):
        assert bridge.intersects(LineString([lonlat(*XY[i]) for i in row]))  # it does cross
    on_bridge = set(hand.index([30, 31, 32]).tolist())
    ends = set(hand.index([30, 31, 32, 1, 9]).tolist())  # the ramps land at 1 and 9
    for a, b in zip(hand.tail.tolist(), hand.head.tolist(), strict=True):
        if a in on_bridge or b in on_bridge:
            assert a in ends and b in ends
    # 32 sits right above street 6-7: reaching 6 from it means going round by a ramp.
    via_ramps = min(t(hand, 32, 1) + t(hand, 1, 6), t(hand, 32, 9) + t(hand, 9, 6))
    assert t(hand, 32, 6) == pytest.approx(via_ramps)
    assert t(hand, 32, 6) > 5 * metres(lonlat(*XY[32]), lonlat(*XY[6])) / (30 / 3.6)


def test_closed_ways_are_never_driven(hand: RoadGraph) -> None:
    assert not set(hand.way_id.tolist()) & {140, 141, 150, 160, 161}
    diagonal = metres(lonlat(0, 0), lonlat(1, 1)) / (30 / 3.6)  # the private road 1-6
    assert t(hand, 1, 6) > 1.3 * diagonal
    assert t(hand, 2, 7) == pytest.approx(min(t(hand, 2, 3) + t(hand, 3, 7),
                                              t(hand, 2, 6) + t(hand, 6, 7)))  # fmt: skip


def test_one_ways_roundabout_and_motorway(hand: RoadGraph) -> None:
    assert t(hand, 8, 5) > 1.4 * t(hand, 5, 8)  # against row 5->8: round by 3 and 1
    assert t(hand, 4, 12) > 1.5 * t(hand, 12, 4)  # against the oneway=-1 column
    assert t(hand, 20, 23) > 2.5 * t(hand, 23, 20)  # three quarters of the roundabout
    assert t(hand, 21, 20) > 2.5 * t(hand, 20, 21)
    assert t(hand, 4, 21) == pytest.approx(edge_sec(hand, 4, 40) + edge_sec(hand, 40, 21))
    i4, i40 = hand.index([4, 40])
    assert not ((hand.tail == i40) & (hand.head == i4)).any()  # no driving up the motorway
    assert math.isinf(t(hand, 1, 50)) and math.isfinite(t(hand, 50, 51))  # the island
    assert hand.oneway_share() == pytest.approx(13 / hand.n_edges)  # 3 + 2 + 4 + 2 + 2 segments
    assert hand.largest_scc_share() < 1.0


# --- points on edges --------------------------------------------------------------------------


def between(a: int, b: int, f: float, off_m: float = 0.0) -> tuple[float, float]:
    (x1, y1), (x2, y2) = XY[a], XY[b]
    lon, lat = lonlat(x1 + f * (x2 - x1), y1 + f * (y2 - y1))
    return lon, lat - off_m / (R_EARTH * math.pi / 180)  # off_m metres to the south


def test_halfway_along_a_one_way_edge(hand: RoadGraph) -> None:
    mid = between(5, 6, 0.5)
    s = snap(hand, *mid)
    assert (s.u, s.v) == tuple(hand.index([5, 6]).tolist())
    assert s.fraction == pytest.approx(0.5, abs=1e-9) and s.offroad_m < 1e-6
    assert math.isinf(s.sec_vu)
    half = 0.5 * edge_sec(hand, 5, 6)
    to_end = travel_times(hand, [mid], lonlat(*XY[6]))[0]
    assert to_end == pytest.approx(half)
    back = travel_times(hand, [mid], lonlat(*XY[5]))[0]  # no turning back: round the block
    assert back == pytest.approx(half + t(hand, 6, 5))
    assert back > 4 * half
    assert travel_times(hand, [lonlat(*XY[5])], mid)[0] == pytest.approx(half)
    assert travel_times(hand, [lonlat(*XY[6])], mid)[0] == pytest.approx(t(hand, 6, 5) + half)


def test_same_edge_both_ways(hand: RoadGraph) -> None:
    sec = edge_sec(hand, 5, 6)
    ahead = travel_times(hand, [between(5, 6, 0.25)], between(5, 6, 0.75))[0]
    assert ahead == pytest.approx(0.5 * sec)
    behind = travel_times(hand, [between(5, 6, 0.75)], between(5, 6, 0.25))[0]
    assert behind == pytest.approx(0.25 * sec + t(hand, 6, 5) + 0.25 * sec)
    two_way = edge_sec(hand, 2, 1)
    assert travel_times(hand, [between(1, 2, 0.75)], between(1, 2, 0.25))[0] == pytest.approx(
        0.5 * two_way
    )


def test_off_road_legs_are_walked_at_both_ends(hand: RoadGraph) -> None:
    s = snap(hand, *between(1, 2, 0.5, off_m=10.0))
    assert s.offroad_m == pytest.approx(10.0, abs=0.01) and s.fraction == pytest.approx(0.5)
    # to 4 m south of node 2, where 1-2, 2-3 and 2-6 meet
    got = travel_times(hand, [between(1, 2, 0.5, off_m=10.0)], between(1, 2, 1.0, off_m=4.0))[0]
    assert got == pytest.approx(10.0 / 1.4 + 0.5 * edge_sec(hand, 1, 2) + 4.0 / 1.4, rel=1e-6)
    assert math.isinf(travel_times(hand, [lonlat(0, 0)], lonlat(8, 0.5))[0])  # island


def brute_force(ref: nx.DiGraph, g: RoadGraph, src: Snap, dst: Snap) -> float:
    """Point-to-point seconds with the two points added to a networkx copy as vertices."""
    h = ref.copy()
    su, sv, tu, tv = (int(g.node_ids[i]) for i in (src.u, src.v, dst.u, dst.v))
    f, ft = src.fraction, dst.fraction
    h.add_edge("S", sv, weight=(1 - f) * src.sec_uv)
    if math.isfinite(src.sec_vu) or f == 0:
        h.add_edge("S", su, weight=f * src.sec_vu if f else 0.0)
    h.add_edge(tu, "T", weight=ft * dst.sec_uv)
    if math.isfinite(dst.sec_vu) or ft == 1:
        h.add_edge(tv, "T", weight=(1 - ft) * dst.sec_vu if ft < 1 else 0.0)
    if (su, sv) == (tu, tv) and ft >= f:
        h.add_edge("S", "T", weight=(ft - f) * src.sec_uv)
    elif (su, sv) == (tu, tv) and math.isfinite(src.sec_vu):
        h.add_edge("S", "T", weight=(f - ft) * src.sec_vu)
    try:
        drive = nx.dijkstra_path_length(h, "S", "T")
    except nx.NetworkXNoPath:
        return math.inf
    return src.offroad_m / 1.4 + drive + dst.offroad_m / 1.4


def test_random_points_match_a_brute_force_search(hand: RoadGraph) -> None:
    ref = hand_nx()
    rng = np.random.default_rng(11)
    pts = [lonlat(x, y) for x, y in zip(rng.uniform(-0.5, 6, 25), rng.uniform(-1, 3, 25),
                                        strict=True)]  # fmt: skip
    for target in pts[:6]:
        got = travel_times(hand, pts, target)
        dst = snap(hand, *target)
        want = [brute_force(ref, hand, snap(hand, *p), dst) for p in pts]
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (np.isfinite(got)).sum() >= 15


def test_times_to_snap_is_one_reverse_search(hand: RoadGraph) -> None:
    dst = snap(hand, *between(5, 6, 0.5))
    to = times_to_snap(hand, dst)
    half = 0.5 * edge_sec(hand, 5, 6)
    i5, i6, i1 = hand.index([5, 6, 1])
    assert to[i5] == pytest.approx(half)
    assert to[i6] == pytest.approx(t(hand, 6, 5) + half)
    assert to[i1] == pytest.approx(t(hand, 1, 5) + half)


# --- reading files ----------------------------------------------------------------------------


def test_xml_reader_keeps_highways_and_their_nodes(tmp_path: Path) -> None:
    src = hand_osm()
    root = ET.Element("osm", version="0.6")
    for nid in sorted(src.nodes, reverse=True) + [900, 901]:  # ids not increasing, like Moscow
        lon, lat = src.nodes.get(nid, (LON0, LAT0))
        node = ET.SubElement(root, "node", id=str(nid), lon=f"{lon:.7f}", lat=f"{lat:.7f}")
        if nid == 900:
            ET.SubElement(node, "tag", k="barrier", v="gate")
    for way in [*src.ways, Way(999, (900, 901), {"building": "yes"})]:
        el = ET.SubElement(root, "way", id=str(way.id))
        for ref in way.nodes:
            ET.SubElement(el, "nd", ref=str(ref))
        for k, v in way.tags.items():
            ET.SubElement(el, "tag", k=k, v=v)
    rel = ET.SubElement(root, "relation", id="5")
    ET.SubElement(rel, "member", type="way", ref="100", role="")
    path = tmp_path / "hand.osm.gz"
    with gzip.open(path, "wb") as fh:
        ET.ElementTree(root).write(fh, encoding="utf-8", xml_declaration=True)
    got = read_osm(path)
    assert [(w.id, w.nodes, w.tags) for w in got.ways] == [
        (w.id, w.nodes, w.tags) for w in src.ways
    ]
    assert set(got.nodes) == set(src.nodes) and got.missing_refs == 0
    for nid, (lon, lat) in src.nodes.items():
        assert got.nodes[nid] == pytest.approx((lon, lat), abs=1e-7)


def test_pbf_reader(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium", reason="pyosmium (dev extra) reads PBF")
    src = hand_osm()
    path = tmp_path / "hand.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        for nid in sorted(src.nodes):
            w.add_node(osmium.osm.mutable.Node(id=nid, location=src.nodes[nid]))
        w.add_node(osmium.osm.mutable.Node(id=900, location=(LON0, LAT0)))
        for way in src.ways:
            w.add_way(osmium.osm.mutable.Way(id=way.id, nodes=list(way.nodes), tags=way.tags))
        w.add_way(osmium.osm.mutable.Way(id=999, nodes=[900, 12], tags={"building": "yes"}))
    got = read_osm(path)
    assert [(w.id, w.nodes, w.tags) for w in got.ways] == [
        (w.id, w.nodes, w.tags) for w in src.ways
    ]
    assert set(got.nodes) == set(src.nodes)
    ours, theirs = car_graph(got, SPEEDS), car_graph(src, SPEEDS)
    assert ours.n_edges == theirs.n_edges
    np.testing.assert_allclose(np.sort(ours.seconds), np.sort(theirs.seconds), rtol=1e-5)


def test_a_way_cut_at_the_extract_edge_loses_only_its_outer_segments() -> None:
    osm = Osm({1: lonlat(0, 0), 2: lonlat(1, 0), 3: lonlat(2, 0)},
              [Way(1, (7, 1, 2, 8, 3), {"highway": "residential"})], missing_refs=2)  # fmt: skip
    g = car_graph(osm, SPEEDS)
    assert g.n_edges == 2 and g.stats["skipped_segments_missing_node"] == 3
    assert g.node_ids.tolist() == [1, 2]  # 3 hangs between two missing nodes: no car edge
    with pytest.raises(KeyError):
        g.index(3)


# --- a real extract ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def monaco() -> RoadGraph:
    path = OSM_DIR / "monaco.osm.gz"
    if not path.exists():
        pytest.skip(f"no OSM extract at {path} (shared/data/osm beside the repository)")
    return car_graph(read_osm(path))


def test_monaco_figures_are_sane(monaco: RoadGraph) -> None:
    assert 2_000 < monaco.n_edges < 50_000
    assert monaco.oneway_share() > 0.20
    assert monaco.largest_scc_share() > 0.8
    assert (monaco.lon > 7.40).all() and (monaco.lon < 7.45).all()
    assert (monaco.lat > 43.72).all() and (monaco.lat < 43.76).all()
    assert np.all(monaco.seconds >= 0) and np.isfinite(monaco.seconds).all()


def test_monaco_sample_agrees_with_networkx(monaco: RoadGraph) -> None:
    ref = nx.DiGraph()
    ref.add_weighted_edges_from(
        zip(monaco.tail.tolist(), monaco.head.tolist(), monaco.seconds.tolist(), strict=True)
    )
    rng = np.random.default_rng(5)
    sources = rng.choice(monaco.n_vertices, 40, replace=False)
    dist = node_times(monaco, monaco.node_ids[sources])
    checked = 0
    for k, s in enumerate(sources.tolist()):
        theirs = nx.single_source_dijkstra_path_length(ref, s)
        target = int(rng.integers(monaco.n_vertices))
        if math.isfinite(dist[k, target]):
            assert dist[k, target] == pytest.approx(theirs[target], rel=1e-12)
            checked += 1
        else:
            assert target not in theirs
        if checked == 20:
            break
    assert checked == 20
    # and points off the nodes, against the brute-force search
    pts = [(lon, lat) for lon, lat in zip(rng.uniform(7.415, 7.435, 8),
                                          rng.uniform(43.728, 43.745, 8), strict=True)]  # fmt: skip
    got = travel_times(monaco, pts, pts[0])
    ref_ids = nx.relabel_nodes(ref, dict(enumerate(monaco.node_ids.tolist())))
    dst = snap(monaco, *pts[0])
    want = [brute_force(ref_ids, monaco, snap(monaco, *p), dst) for p in pts]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert got[0] == pytest.approx(2 * snap(monaco, *pts[0]).offroad_m / 1.4)
