"""The travel-time engine on the demo city in PostGIS."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from scipy.sparse.csgraph import connected_components

from geo.errors import NotFound
from geo.routing import (
    Router,
    RoutingConfig,
    UnitCache,
    load_graph,
    load_units,
    nearest_units,
    travel_field,
)


@pytest.fixture(scope="module")
def router(db_conninfo: str) -> Router:
    with psycopg.connect(db_conninfo) as c:
        return Router(load_graph(conn=c, config=RoutingConfig()))


def test_graph_from_postgis(router: Router) -> None:
    g = router.graph
    car = g.nets["car"]
    assert g.n_cells > 1000 and car.matrix.nnz > 2 * car.n
    # The river: cells whose centre is in it are never reached; the rest join a road.
    wet = g.cell_place["car"].edge < 0
    assert wet.sum() > 20 and (g.cell_place["car"].offroad_m[~wet] < 1000).mean() > 0.99
    # The streets form one network a car can drive between any two of its vertices.
    _, label = connected_components(car.matrix, directed=True, connection="strong")
    assert np.bincount(label).max() == car.n


def test_nearest_units_for_an_incident(conn: psycopg.Connection, router: Router) -> None:
    inc = conn.execute("SELECT id FROM incidents ORDER BY id DESC LIMIT 1").fetchone()
    assert inc is not None
    res = nearest_units(conn=conn, router=router, incident_id=inc[0], k=5, max_minutes=60)
    recs = res.recommendations
    assert len(recs) == 5
    etas = [r.eta_s for r in recs]
    assert etas == sorted(etas)
    for r in recs:
        assert r.status == "available" and r.path and r.network_m >= 0
        assert r.eta_s >= r.travel_s + r.turnout_s - 1e-6
    cars = nearest_units(conn=conn, router=router, incident_id=inc[0], types=("patrol_car",))
    assert {r.type for r in cars.recommendations} == {"patrol_car"}
    with pytest.raises(NotFound):
        nearest_units(conn=conn, router=router, incident_id=10**12)


def test_own_grid_worker_is_preferred_when_close(conn: psycopg.Connection, router: Router) -> None:
    row = conn.execute(
        "SELECT i.id, i.grid_code FROM incidents i JOIN units u ON u.grid_code = i.grid_code "
        "AND u.type = 'grid_worker' AND u.status = 'available' ORDER BY i.id LIMIT 1"
    ).fetchone()
    assert row is not None
    res = nearest_units(
        conn=conn,
        router=router,
        incident_id=row[0],
        k=3,
        max_minutes=120,
        prefer_grid_worker_within_s=3600,
    )
    first = res.recommendations[0]
    assert first.own_grid_worker and first.type == "grid_worker"


def test_stale_positions_are_flagged_and_penalised(
    conn: psycopg.Connection, router: Router
) -> None:
    conn.execute(
        "UPDATE units SET position_time = now() - interval '1 hour' WHERE type = 'patrol_car'"
    )
    units, _ = load_units(conn=conn, graph=router.graph)
    lat, lng = float(units.lat[0]), float(units.lng[0])
    res = router.nearest(lat, lng, units, k=10, types=("patrol_car",), max_minutes=120)
    assert res.recommendations and all(r.stale for r in res.recommendations)
    assert all(r.penalty_s == router.graph.config.stale_penalty_s for r in res.recommendations)


def test_travel_field_from_platforms(conn: psycopg.Connection, router: Router) -> None:
    pts = conn.execute("SELECT ST_Y(geom), ST_X(geom) FROM platforms").fetchall()
    field = travel_field(
        router.graph, router.graph.place([p[0] for p in pts], [p[1] for p in pts], "car")
    )
    land = router.graph.cell_place["car"].edge >= 0
    assert np.isfinite(field[land]).mean() > 0.99
    assert np.median(field[land]) < 15 * 60


def test_graph_cache_rebuilds_when_roads_change(conn: psycopg.Connection) -> None:
    from geo.routing import GraphCache

    cache = GraphCache(RoutingConfig())
    g1 = cache.get(conn)
    assert cache.get(conn) is g1 and cache.builds == 1
    conn.execute("DELETE FROM roads WHERE bridge")  # the bridges are gone
    g2 = cache.get(conn)
    assert g2 is not g1 and cache.builds == 2
    assert g2.nets["car"].matrix.nnz < g1.nets["car"].matrix.nnz


def test_unit_cache_follows_the_database(conn: psycopg.Connection, router: Router) -> None:
    cache = UnitCache()
    first = cache.get(conn, router.graph)
    cars = np.flatnonzero((first.types == "patrol_car") & (first.status == "available"))
    i, j = int(cars[0]), int(cars[1])
    a, b = int(first.ids[i]), int(first.ids[j])
    # A status change is read without a full reload...
    conn.execute(
        "UPDATE units SET status = 'off_duty', status_time = clock_timestamp() WHERE id = %s",
        (a,),
    )
    second = cache.get(conn, router.graph)
    assert second.status[i] == "off_duty" and np.array_equal(second.ids, first.ids)
    # ...and so is a move, with the unit's new place on the graph.
    conn.execute(
        "UPDATE units SET geom = (SELECT geom FROM units WHERE id = %s), "
        "position_time = clock_timestamp() WHERE id = %s",
        (b, a),
    )
    third = cache.get(conn, router.graph)
    assert (third.lat[i], third.lng[i]) == (third.lat[j], third.lng[j])
    assert third.places["car"].edge[i] == third.places["car"].edge[j]
    full, _ = load_units(conn=conn, graph=router.graph)
    for f in ("ids", "status", "lat", "lng", "types", "call_signs"):
        assert np.array_equal(getattr(third, f), getattr(full, f)), f
    assert np.array_equal(third.places["car"].along_m, full.places["car"].along_m)
    cell_of = lambda s: s.by_cell[0][s.by_cell[3]]  # noqa: E731 - each unit's H3 cell
    assert np.array_equal(cell_of(third), cell_of(full))
    # A unit leaving the map (no position) changes the count: everything is read again.
    conn.execute(
        "UPDATE units SET geom = NULL, h3 = NULL, position_time = NULL WHERE id = %s", (b,)
    )
    fourth = cache.get(conn, router.graph)
    assert len(fourth) == len(first) - 1 and b not in set(fourth.ids.tolist())
