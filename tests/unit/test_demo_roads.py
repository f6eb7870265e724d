"""The demo city's centre has what real cities have, and the router honours each: a one-way
pair each way, an elevated expressway with ramps over the streets, a tunnel under the blocks
and a gated compound whose private roads are closed to cars."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy.sparse.csgraph import connected_components

from geo.errors import OutsideJurisdiction
from geo.routing import Router, RoutingConfig, UnitSnapshot, build_graph
from geo.routing.graph import TravelGraph, haversine_m


@pytest.fixture(scope="module")
def graph(tiny_city) -> TravelGraph:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    city = tiny_city.admin_units.query("level == 'city'")["geom"].iloc[0]
    return build_graph(
        r["geom"].to_numpy(), r["class"].to_numpy(), np.full(len(r), np.nan),
        tiny_city.water["geom"].to_numpy(), city, RoutingConfig(),
        oneway=r["oneway"].to_numpy(), car=r["car"].to_numpy(),
    )  # fmt: skip


def _secs(g: TravelGraph, a: tuple[float, float], b: tuple[float, float], mode: str) -> float:
    """Seconds from a to b, (lon, lat) each."""
    net = g.nets[mode]
    return float(net.times_to(g.place([b[1]], [b[0]], mode), g.place([a[1]], [a[0]], mode))[0])


def _along(line: shapely.LineString, f: float) -> tuple[float, float]:
    p = line.interpolate(f, normalized=True)
    return (p.x, p.y)


def test_the_centre_has_each_kind_of_road(tiny_city) -> None:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    assert r["oneway"].sum() >= 4  # two pairs, each a stretch of five blocks
    assert (r["class"] == "motorway").sum() == 1 and r.loc[r["class"] == "motorway", "bridge"].all()
    assert r["tunnel"].sum() == 1 and (r.loc[r["tunnel"], "layer"] == -1).all()
    assert (r["car"] == "no").sum() == 4


def test_every_car_road_reaches_every_other(graph: TravelGraph) -> None:
    car = graph.nets["car"]
    _, label = connected_components(car.matrix, directed=True, connection="strong")
    assert np.bincount(label).max() == car.n


def test_one_way_streets_run_one_way(tiny_city, graph: TravelGraph) -> None:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    for line in r.loc[r["oneway"], "geom"]:
        a, b = _along(line, 0.2), _along(line, 0.8)
        with_it, against = _secs(graph, a, b, "car"), _secs(graph, b, a, "car")
        assert against > with_it + 30  # against it: round the block
        # on foot the street is the same both ways
        assert _secs(graph, a, b, "foot") == pytest.approx(_secs(graph, b, a, "foot"), rel=0.01)


def test_the_expressway_touches_no_street_it_crosses(tiny_city, graph: TravelGraph) -> None:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    deck = r.loc[r["class"] == "motorway", "geom"].iloc[0]
    streets = r.loc[~r["bridge"] & ~r["tunnel"], "geom"].to_numpy()
    crossed = streets[shapely.crosses(streets, deck)]
    assert len(crossed) >= 3
    car = graph.nets["car"]
    vertices = shapely.points(car.lon, car.lat)
    at_crossings = shapely.get_parts(shapely.intersection(deck, shapely.union_all(crossed)))
    for p in at_crossings:  # no vertex where the deck passes over a street
        assert shapely.distance(vertices, p).min() > 1e-5
    # A car on the street under the deck and a point on the deck 30 m from there: only by a
    # ramp, so far more than the 3 s those 40 m take at speed.
    street = crossed[len(crossed) // 2]
    below = shapely.intersection(deck, street)
    p = deck.interpolate(deck.project(below) + 0.0003)
    q = street.interpolate(street.project(below) + 0.0003)
    deck_road = int(np.flatnonzero(r["class"].to_numpy() == "motorway")[0])
    assert car.road[graph.place([p.y], [p.x], "car").edge[0]] == deck_road
    assert _secs(graph, (q.x, q.y), (p.x, p.y), "car") > 30
    assert _secs(graph, (p.x, p.y), (q.x, q.y), "car") > 30
    # e-bikes and walkers may not use the expressway: they do not snap to it
    assert graph.nets["ebike"].road[graph.place([p.y], [p.x], "ebike").edge[0]] != deck_road


def test_the_tunnel_passes_under_the_blocks(tiny_city, graph: TravelGraph) -> None:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    tube = r.loc[r["tunnel"], "geom"].iloc[0]
    a, b = tube.coords[0], tube.coords[-1]
    through = _secs(graph, a, b, "car")
    assert np.isfinite(through) and through < 0.8 * _secs_without(tiny_city, a, b)
    # it shares a vertex with no street it passes under
    streets = tiny_city.roads.loc[~tiny_city.roads["tunnel"], "geom"].to_numpy()
    over = streets[shapely.crosses(streets, tube)]
    assert len(over) >= 2
    for line in over:
        assert not set(line.coords) & set(tube.coords)


def _secs_without(tiny_city, a, b) -> float:  # type: ignore[no-untyped-def]
    """Seconds from a to b with the tunnel closed."""
    r = tiny_city.roads[~tiny_city.roads["tunnel"]]
    city = tiny_city.admin_units.query("level == 'city'")["geom"].iloc[0]
    g = build_graph(
        r["geom"].to_numpy(), r["class"].to_numpy(), np.full(len(r), np.nan),
        tiny_city.water["geom"].to_numpy(), city, RoutingConfig(),
        oneway=r["oneway"].to_numpy(), car=r["car"].to_numpy(),
    )  # fmt: skip
    return _secs(g, a, b, "car")


def test_cars_go_round_the_gated_compound(tiny_city, graph: TravelGraph) -> None:  # type: ignore[no-untyped-def]
    r = tiny_city.roads
    private = r.loc[r["car"] == "no", "geom"].to_numpy()
    west, east = private[0].coords[0], private[1].coords[0]  # two gates on opposite streets
    middle = shapely.Point(private[0].coords[-1])
    # A grid worker on an e-bike cuts through the compound; a car goes round the block.
    by_bike = graph.nets["ebike"].route(graph.place([west[1]], [west[0]], "ebike"),
                                        graph.place([east[1]], [east[0]], "ebike"))[1]
    by_car = graph.nets["car"].route(graph.place([west[1]], [west[0]], "car"),
                                     graph.place([east[1]], [east[0]], "car"))[1]
    assert shapely.LineString(by_bike).distance(middle) < 1e-6
    assert shapely.LineString(by_car).distance(middle) > 0.0005  # about 50 m and more
    car = graph.nets["car"]
    closed = set(np.flatnonzero(r["car"].to_numpy() == "no").tolist())
    assert not closed & set(car.road.tolist())  # no car edge runs on a private road
    assert closed <= set(graph.nets["ebike"].road.tolist())
    # A patrol car parked inside the compound joins the streets, not the private roads.
    units = UnitSnapshot.from_arrays(
        graph, ids=[1], call_signs=["P1"], types=["patrol_car"], agencies=["police"],
        status=["available"], grid_codes=[None], lat=[middle.y], lng=[middle.x],
        position_time=[0.0], taken_at=0.0,
    )  # fmt: skip
    assert int(car.road[units.places["car"].edge[0]]) not in closed
    res = Router(graph).nearest(west[1], west[0], units, k=1, max_minutes=30)
    assert res.recommendations and res.recommendations[0].network_m > 0


def test_the_h3_rings_never_leave_out_a_unit_that_could_win(graph: TravelGraph) -> None:
    """Candidates are pruned by H3 rings around the incident; the best five are still those
    of a search over every unit."""
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = graph.bbox
    n = 400
    lat, lng = rng.uniform(miny, maxy, n), rng.uniform(minx, maxx, n)
    units = UnitSnapshot.from_arrays(
        graph, ids=np.arange(n), call_signs=[f"U{i}" for i in range(n)],
        types=["patrol_car"] * n, agencies=["police"] * n, status=["available"] * n,
        grid_codes=[None] * n, lat=lat, lng=lng, position_time=np.zeros(n), taken_at=0.0,
    )  # fmt: skip
    router, car = Router(graph), graph.nets["car"]
    for la, lo in zip(rng.uniform(miny, maxy, 60), rng.uniform(minx, maxx, 60), strict=True):
        try:
            res = router.nearest(la, lo, units, k=5, max_minutes=120, with_paths=False)
        except OutsideJurisdiction:  # in the river, with no dry way to a road
            continue
        every = car.times_to(graph.place([la], [lo], "car"), units.places["car"])
        best = np.sort((every + units.turnout_s)[np.isfinite(every)])[:5]
        assert [r.eta_s for r in res.recommendations] == pytest.approx(best.tolist())
    # the rings hold every unit within the distance asked, and fewer than all when it is short
    pruned = 0
    for la, lo in zip(rng.uniform(miny, maxy, 100), rng.uniform(minx, maxx, 100), strict=True):
        far = haversine_m(la, lo, lat, lng)
        for metres in (300.0, 1000.0, 3000.0):
            near = set(units.within(la, lo, metres).tolist())
            assert set(np.flatnonzero(far <= metres).tolist()) <= near
            pruned += metres == 300 and len(near) < n
    assert pruned > 50
