from __future__ import annotations

import psycopg
import pytest

from geo import counters, gridcard, maplayers, places
from geo.errors import NotFound
from layers._geojson import feature_collection


def test_every_layer_has_features(conn: psycopg.Connection, tiny_city) -> None:  # type: ignore[no-untyped-def]
    for name in maplayers.LAYER_NAMES:
        rows = maplayers.layer_rows(conn=conn, name=name)
        fc = feature_collection(rows)
        assert fc["type"] == "FeatureCollection"
        if name == "grids":
            assert len(rows) == len(tiny_city.grids)
            assert rows[0]["geometry"]["type"] == "MultiPolygon"
        if name in ("roads", "grids", "units", "platforms", "water"):
            assert rows, name
    with pytest.raises(NotFound):
        maplayers.layer_rows(conn=conn, name="secret_table")


def test_grid_card(conn: psycopg.Connection) -> None:
    gid = conn.execute("SELECT grid_id FROM incidents WHERE status <> 'closed' LIMIT 1").fetchone()
    assert gid is not None
    card = gridcard.grid_card(conn=conn, grid_id=gid[0])
    assert card.open_incidents >= 1 and card.recent_open
    assert card.district.endswith("区") and card.community.endswith("社区")
    assert card.households >= 0 and card.area_km2 > 0.005
    with pytest.raises(NotFound):
        gridcard.grid_card(conn=conn, grid_id=10**9)


def test_counters_and_bounds(conn: psycopg.Connection) -> None:
    c = counters.counters(conn=conn)
    assert c.open >= c.overdue >= 0 and c.units_available > 0
    (s, w), (n, e) = places.city_bounds(conn=conn)  # type: ignore[misc]
    assert 27 < s < n < 29 and 112.5 < w < e < 113.8


def test_the_road_layers_say_what_the_map_draws_differently(conn: psycopg.Connection) -> None:
    """Bridges, tunnels, one-way and private roads are told apart on the map, at every view
    (the map dashes tunnels and roads closed to cars)."""
    whole = {r["id"]: r for r in maplayers.layer_rows(conn=conn, name="roads")}
    w, s, e, n = places.city_bbox(conn=conn)
    seen = maplayers.view_rows(conn=conn, name="roads", view=maplayers.View(w, s, e, n, 16),
                               cap=100_000).rows  # fmt: skip
    for rows in (list(whole.values()), seen):
        assert any(r["tunnel"] for r in rows) and any(r["oneway"] for r in rows)
        assert any(r["car"] == "no" for r in rows) and any(r["bridge"] for r in rows)
