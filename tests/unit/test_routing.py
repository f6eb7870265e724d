"""The travel-time engine on hand-made and generated networks (no database)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, box

from geo.errors import InvalidInput, OutsideJurisdiction
from geo.h3index import cells as h3_cells
from geo.routing import Router, RoutingConfig, UnitSnapshot, build_graph, isochrone, travel_field
from geo.routing.graph import haversine_m

LAT0, LNG0 = 27.80, 113.10
DLAT, DLNG = 0.0009, 0.00102  # about 100 m


def snapshot(graph, lat, lng, types=None, status=None):  # type: ignore[no-untyped-def]
    n = len(lat)
    return UnitSnapshot.from_arrays(
        graph,
        ids=np.arange(n),
        call_signs=np.array([f"U{i}" for i in range(n)], object),
        types=np.array(types or ["patrol_car"] * n, object),
        agencies=np.array(["police"] * n, object),
        status=np.array(status or ["available"] * n, object),
        grid_codes=np.array([None] * n, object),
        lat=np.asarray(lat, float),
        lng=np.asarray(lng, float),
        position_time=np.zeros(n),
        taken_at=0.0,
    )


@pytest.fixture(scope="module")
def river_town():  # type: ignore[no-untyped-def]
    """A 4 km square town, a 300 m river down the middle, one bridge at the far north."""
    w, e, s, n = LNG0, LNG0 + 40 * DLNG, LAT0, LAT0 + 40 * DLAT
    river = box(LNG0 + 18.5 * DLNG, s - 0.01, LNG0 + 21.5 * DLNG, n + 0.01)
    lines, cls = [], []
    columns = [*range(0, 18, 4), *range(22, 41, 4)]  # north-south streets, both banks
    rows = range(0, 41, 4)
    for k in rows:  # east-west streets, cut by the river except the bridge row
        line = LineString([(w + j * DLNG, s + k * DLAT) for j in sorted({*columns, 40})])
        parts = [line] if k == 40 else list(shapely.get_parts(line.difference(river)))
        lines += parts
        cls += ["primary"] * len(parts)
    for k in columns:  # streets meet where they share a vertex
        lines.append(LineString([(w + k * DLNG, s + j * DLAT) for j in rows]))
        cls.append("secondary")
    roads = np.array(lines, dtype=object)
    graph = build_graph(
        roads,
        np.array(cls),
        np.full(len(roads), np.nan),
        np.array([river], dtype=object),
        box(w, s, e, n),
        RoutingConfig(res=10),
    )
    return graph


def test_unit_across_the_river_ranks_below_a_farther_unit_on_the_same_bank(river_town) -> None:  # type: ignore[no-untyped-def]
    incident = (LAT0 + 8 * DLAT, LNG0 + 16 * DLNG)  # west bank, far south of the bridge
    across = (LAT0 + 8 * DLAT, LNG0 + 24 * DLNG)  # east bank, 800 m away in a straight line
    same_bank = (LAT0 + 8 * DLAT, LNG0 + 4 * DLNG)  # west bank, 1.2 km away
    units = snapshot(river_town, [across[0], same_bank[0]], [across[1], same_bank[1]])
    res = Router(river_town).nearest(*incident, units, k=2, max_minutes=60)
    ranked = [r.call_sign for r in res.recommendations]
    assert ranked == ["U1", "U0"]
    far, near = res.recommendations[1], res.recommendations[0]
    assert far.straight_m < near.straight_m  # straight-line KNN would have picked wrong
    assert far.network_m > 4000  # it has to go round by the bridge
    # The path runs from the unit to the incident.
    assert haversine_m(*near.path[0], *same_bank) < 150
    assert haversine_m(*near.path[-1], *incident) < 150


def test_busy_and_filtered_units_are_left_out(river_town) -> None:  # type: ignore[no-untyped-def]
    lat = [LAT0 + 8 * DLAT] * 3
    lng = [LNG0 + 10 * DLNG, LNG0 + 12 * DLNG, LNG0 + 14 * DLNG]
    units = snapshot(
        river_town,
        lat,
        lng,
        types=["patrol_car", "ambulance", "patrol_car"],
        status=["dispatched", "available", "available"],
    )
    r = Router(river_town)
    res = r.nearest(LAT0 + 8 * DLAT, LNG0 + 16 * DLNG, units, k=5)
    assert [x.call_sign for x in res.recommendations] == ["U2", "U1"]
    assert res.reason and "Only 2" in res.reason
    only = r.nearest(LAT0 + 8 * DLAT, LNG0 + 16 * DLNG, units, types=("ambulance",))
    assert [x.call_sign for x in only.recommendations] == ["U1"]
    none = r.nearest(LAT0 + 8 * DLAT, LNG0 + 16 * DLNG, units, types=("fire_engine",))
    assert none.recommendations == [] and none.reason


def test_nothing_within_max_minutes_gives_a_reason(river_town) -> None:  # type: ignore[no-untyped-def]
    units = snapshot(river_town, [LAT0 + 39 * DLAT], [LNG0 + 39 * DLNG], types=["foot_patrol"])
    res = Router(river_town).nearest(LAT0 + DLAT, LNG0 + DLNG, units, max_minutes=2)
    assert res.recommendations == [] and "2 minutes" in (res.reason or "")


@pytest.mark.parametrize(
    "lat,lng,error,words",
    [
        (float("nan"), LNG0, InvalidInput, "finite"),
        (LNG0, LAT0, OutsideJurisdiction, "swapped"),  # latitude and longitude swapped
        (LAT0 + 0.5, LNG0, OutsideJurisdiction, "outside"),
    ],
)
def test_bad_points_are_refused(
    river_town, lat: float, lng: float, error: type, words: str
) -> None:  # type: ignore[no-untyped-def]
    units = snapshot(river_town, [LAT0 + DLAT], [LNG0 + DLNG])
    with pytest.raises(error, match=words):
        Router(river_town).nearest(lat, lng, units)


def test_point_in_the_river_joins_the_nearest_bank(river_town) -> None:  # type: ignore[no-untyped-def]
    units = snapshot(river_town, [LAT0 + 8 * DLAT], [LNG0 + 12 * DLNG])
    res = Router(river_town).nearest(LAT0 + 8 * DLAT, LNG0 + 19 * DLNG, units)
    assert res.recommendations  # a boat call on the west half reaches the west bank


def test_isochrones_grow_and_fields_cover(river_town) -> None:  # type: ignore[no-untyped-def]
    p = (LAT0 + 20 * DLAT, LNG0 + 8 * DLNG)
    small = isochrone(river_town, *p, 2)
    big = isochrone(river_town, *p, 6)
    pt = shapely.Point(p[1], p[0])
    assert small.area < big.area and big.contains(pt) and small.contains(pt)
    # The river stops the 2-minute area: none of it reaches the east bank.
    assert small.bounds[2] < LNG0 + 21.5 * DLNG
    lat, lng = [LAT0 + 4 * DLAT, LAT0 + 36 * DLAT], [LNG0 + 4 * DLNG, LNG0 + 36 * DLNG]
    field = travel_field(river_town, river_town.place(lat, lng, "car"))
    dry = river_town.cell_place["car"].edge >= 0
    assert np.isfinite(field[dry]).mean() > 0.99 and not np.isfinite(field[~dry]).any()
    own = river_town.index_of(h3_cells(np.array(lat), np.array(lng), river_town.config.res))
    assert (field[own] < 30).all()  # each source's own cell is reached at once


@pytest.fixture(scope="module")
def tiny_graph(tiny_city):  # type: ignore[no-untyped-def]
    city = tiny_city.admin_units.query("level == 'city'")["geom"].iloc[0]
    r = tiny_city.roads
    return build_graph(
        r["geom"].to_numpy(),
        r["class"].to_numpy(),
        np.full(len(r), np.nan),
        tiny_city.water["geom"].to_numpy(),
        city,
        RoutingConfig(),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.05, 0.95),
    st.floats(0.05, 0.95),
    st.lists(st.tuples(st.floats(0.05, 0.95), st.floats(0.05, 0.95)), min_size=1, max_size=8),
    st.sampled_from(["patrol_car", "foot_patrol", "grid_worker", "ambulance"]),
)
def test_eta_never_beats_the_straight_line_at_top_speed(tiny_graph, fx, fy, pts, utype) -> None:  # type: ignore[no-untyped-def]
    minx, miny, maxx, maxy = tiny_graph.bbox
    lat = miny + fy * (maxy - miny)
    lng = minx + fx * (maxx - minx)
    ulat = np.array([miny + b * (maxy - miny) for _, b in pts])
    ulng = np.array([minx + a * (maxx - minx) for a, _ in pts])
    units = snapshot(tiny_graph, ulat, ulng, types=[utype] * len(pts))
    try:
        res = Router(tiny_graph).nearest(lat, lng, units, k=8, max_minutes=240)
    except OutsideJurisdiction:  # a point in the river or beyond every road: refused, fine
        reject()
    cfg = tiny_graph.config
    vmax = max(cfg.speeds[cfg.unit_mode[utype]].values()) / 3.6
    for r in res.recommendations:
        assert r.eta_s >= r.straight_m / vmax
        assert r.travel_s >= r.straight_m / vmax - 1e-6
        assert r.eta_s >= r.travel_s + r.turnout_s - 1e-6


def test_a_point_only_cars_can_reach_still_gets_its_cars() -> None:
    """By an expressway with a lake behind it: walkers have no road this side of the lake, so
    the foot patrol across it is left out, and the car on the expressway is still offered."""
    w, e = LNG0, LNG0 + 30 * DLNG
    expressway = LineString([(w, LAT0), (e, LAT0)])
    lane = LineString([(w, LAT0 + 7 * DLAT), (e, LAT0 + 7 * DLAT)])  # across the lake
    link = LineString([(w, LAT0), (w - 5 * DLNG, LAT0 + 3 * DLAT), (w, LAT0 + 7 * DLAT)])
    lake = box(w - 0.001, LAT0 + 0.5 * DLAT, e + 0.001, LAT0 + 6.5 * DLAT)
    roads = np.array([expressway, lane, link], dtype=object)
    area = box(w - 6 * DLNG, LAT0 - DLAT, e, LAT0 + 8 * DLAT)
    graph = build_graph(roads, np.array(["motorway", "residential", "trunk"]), np.full(3, np.nan),
                        np.array([lake], dtype=object), area, RoutingConfig())  # fmt: skip
    at = (LAT0 + 0.2 * DLAT, LNG0 + 15 * DLNG)
    assert graph.place([at[0]], [at[1]], "foot").edge[0] < 0  # no dry way to a footpath
    units = snapshot(graph, [LAT0, LAT0 + 7 * DLAT], [LNG0 + 25 * DLNG, LNG0 + 15 * DLNG],
                     types=["patrol_car", "foot_patrol"])  # fmt: skip
    res = Router(graph).nearest(*at, units, k=2, max_minutes=60)
    assert [r.call_sign for r in res.recommendations] == ["U0"]
    with pytest.raises(OutsideJurisdiction, match="not reachable"):
        Router(graph).nearest(*at, units, k=2, types=("foot_patrol",))
