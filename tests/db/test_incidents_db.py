"""Intake, the closed loop, dispatch and escalation against the demo city in PostGIS."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from geo import caselists, escalation, incidents, places, proximity, units
from geo.db import transaction
from geo.errors import Conflict, InvalidInput, OutsideJurisdiction


def inner_point(conn: psycopg.Connection) -> tuple[float, float, str]:
    row = conn.execute(
        "SELECT ST_X(p), ST_Y(p), code FROM (SELECT ST_PointOnSurface(ST_Buffer(geom::geography,"
        " -60)::geometry) p, code FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 1) x"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def new_case(conn: psycopg.Connection, **kw: Any) -> dict[str, Any]:
    lon, lat, _ = inner_point(conn)
    args: dict[str, Any] = dict(lon=lon, lat=lat, category="public_security", priority="red",
                                source="operator")  # fmt: skip
    args["region_bbox"] = places.city_bbox(conn=conn)
    args.update(kw)
    with transaction(conn, "operator:test") as c:
        return incidents.create(conn=c, **args)


def free_units(conn: psycopg.Connection, n: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM units WHERE status = 'available' ORDER BY id LIMIT %(n)s", {"n": n}
        )
    ]


def test_create_finds_the_grid_and_sets_the_clock(conn: psycopg.Connection) -> None:
    lon, lat, code = inner_point(conn)
    inc = new_case(conn, description="<script>alert(1)</script> 打架")
    assert inc["grid_code"] == code and inc["status"] == "reported"
    assert (inc["respond_due"] - inc["reported_at"]).total_seconds() == 60  # quick response
    assert inc["description"].startswith("<script>")  # stored as text, never rendered as HTML
    ev = conn.execute(
        "SELECT actor, action FROM incident_events WHERE incident_id = %(i)s", {"i": inc["id"]}
    ).fetchall()
    assert ev == [("operator:test", "create")]


@pytest.mark.parametrize(
    "kw,error",
    [
        ({"priority": "green"}, InvalidInput),
        ({"category": "aliens"}, InvalidInput),
        ({"source": "telepathy"}, InvalidInput),
        ({"lon": 27.8, "lat": 113.1}, InvalidInput),
        ({"lon": float("nan")}, InvalidInput),
        ({"lon": 120.0, "lat": 30.0}, InvalidInput),
        ({"description": "x" * 5000}, InvalidInput),
    ],
)
def test_bad_intake_is_refused_and_nothing_written(
    conn: psycopg.Connection, kw: dict[str, Any], error: type
) -> None:
    before = conn.execute("SELECT count(*) FROM incidents").fetchone()
    with pytest.raises(error):
        new_case(conn, **kw)
    assert conn.execute("SELECT count(*) FROM incidents").fetchone() == before


def test_swapped_coordinates_say_so(conn: psycopg.Connection) -> None:
    lon, lat, _ = inner_point(conn)
    with pytest.raises(OutsideJurisdiction, match="swapped"):
        new_case(conn, lon=lat, lat=lon, region_bbox=(112.9, 27.6, 113.4, 28.0))


def test_near_a_boundary_both_grids_are_offered(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_ClosestPoint(a.geom, ST_Centroid(b.geom)) p "
        "FROM grids a JOIN grids b ON a.id < b.id AND ST_Touches(a.geom, b.geom) "
        "WHERE a.valid_to IS NULL AND b.valid_to IS NULL ORDER BY a.id, b.id LIMIT 1) x"
    ).fetchone()
    assert row is not None
    near = proximity.grids_near(conn=conn, lon=row[0], lat=row[1], within_m=30)
    assert len(near) >= 2
    inc = new_case(conn, lon=row[0], lat=row[1], grid_code=near[1]["code"])
    assert inc["grid_code"] == near[1]["code"]
    with pytest.raises(InvalidInput, match="not within"):
        new_case(conn, lon=row[0], lat=row[1], grid_code="430000000000001")


def test_duplicates_are_suggested(conn: psycopg.Connection) -> None:
    first = new_case(conn, category="noise", priority="blue")
    dup = proximity.find_duplicates(
        conn=conn, lon=first["lon"] + 0.0003, lat=first["lat"], category="noise"
    )
    assert first["id"] in [d["id"] for d in dup]
    linked = new_case(conn, category="noise", priority="blue", linked_to=first["id"])
    assert linked["linked_to"] == first["id"]
    assert not proximity.find_duplicates(
        conn=conn, lon=first["lon"], lat=first["lat"], category="theft"
    )


def test_the_whole_loop_with_units(conn: psycopg.Connection) -> None:
    inc = new_case(conn)
    a, b = free_units(conn, 2)
    with transaction(conn, "operator:test") as c:
        res = units.dispatch(conn=c, incident_id=inc["id"], unit_ids=[a, b], etas={a: 120})
    assert res.unit_ids == [a, b]
    assert incidents.get(conn=conn, incident_id=inc["id"])["status"] == "dispatched"
    with transaction(conn, "responder:a") as c:
        units.set_status(conn=c, unit_id=a, target="en_route")
        assert incidents.get(conn=c, incident_id=inc["id"])["status"] == "accepted"
        units.set_status(conn=c, unit_id=a, target="on_scene")
        assert incidents.get(conn=c, incident_id=inc["id"])["status"] == "on_scene"
    with pytest.raises(InvalidInput, match="note"):
        incidents.transition(conn=conn, incident_id=inc["id"], target="resolved")
    with transaction(conn, "responder:a") as c:
        incidents.transition(
            conn=c, incident_id=inc["id"], target="resolved", note="调解完毕", photo="photos/1.jpg"
        )
        units.set_status(conn=c, unit_id=a, target="returning")
        units.set_status(conn=c, unit_id=b, target="available")  # b was never needed
    with transaction(conn, "operator:test") as c:
        closed = incidents.transition(conn=c, incident_id=inc["id"], target="closed")
    assert closed["status"] == "closed" and closed["closed_at"] is not None
    with transaction(conn, "resident") as c:
        reopened = incidents.feedback(conn=c, incident_id=inc["id"], satisfaction=2)
    assert reopened["status"] == "reported" and reopened["reopened"] == 1
    actions = [
        r[0]
        for r in conn.execute(
            "SELECT action FROM incident_events WHERE incident_id = %(i)s ORDER BY id",
            {"i": inc["id"]},
        )
    ]
    assert actions[0] == "create" and "feedback" in actions and actions[-1] == "reopen"
    open_d = conn.execute(
        "SELECT count(*) FROM dispatches WHERE incident_id = %(i)s AND released_at IS NULL",
        {"i": inc["id"]},
    ).fetchone()
    assert open_d == (0,)
    audits = conn.execute(
        "SELECT count(*) FROM audit_log WHERE entity = 'unit' AND entity_id = %(u)s", {"u": str(a)}
    ).fetchone()
    assert audits is not None and audits[0] >= 4


def test_taken_unit_is_refused_and_nothing_changes(conn: psycopg.Connection) -> None:
    one, two = new_case(conn), new_case(conn)
    a, b = free_units(conn, 2)
    units.dispatch(conn=conn, incident_id=one["id"], unit_ids=[a])
    with pytest.raises(Conflict, match="No longer available"):
        units.dispatch(conn=conn, incident_id=two["id"], unit_ids=[b, a])
    assert conn.execute("SELECT status FROM units WHERE id = %(b)s", {"b": b}).fetchone() == (
        "available",
    )
    assert incidents.get(conn=conn, incident_id=two["id"])["status"] == "reported"
    # Cancelling the only unit puts the case back to reported.
    units.set_status(conn=conn, unit_id=a, target="available")
    assert incidents.get(conn=conn, incident_id=one["id"])["status"] == "reported"


def test_mediation_failures_turn_blue_disputes_yellow(conn: psycopg.Connection) -> None:
    inc = new_case(conn, category="neighbor_dispute", priority="blue")
    for _ in range(2):
        inc = incidents.mediation_failed(conn=conn, incident_id=inc["id"])
    assert inc["priority"] == "blue"
    inc = incidents.mediation_failed(conn=conn, incident_id=inc["id"])
    assert inc["priority"] == "yellow" and inc["mediation_failures"] == 3


def test_escalation_and_queue(conn: psycopg.Connection) -> None:
    inc = new_case(conn)
    conn.execute(
        "UPDATE incidents SET reported_at = now() - interval '20 minutes', "
        "respond_due = now() - interval '19 minutes' WHERE id = %(i)s",
        {"i": inc["id"]},
    )
    moved = escalation.escalate_due(conn=conn)
    assert inc["id"] in moved
    assert incidents.get(conn=conn, incident_id=inc["id"])["escalation_level"] == "street"
    q = caselists.queue(conn=conn)
    first = q.rows[0]  # unclaimed, and its respond clock ran out: on top, and overdue
    assert first["band"] == "new" and first["overdue"] and first["stage"] == "respond"
    bands = [caselists.BANDS.index(r["band"]) for r in q.rows]
    assert bands == sorted(bands) and q.counts["new"] >= 1
    reds = caselists.queue(conn=conn, priorities=["red"]).rows
    assert reds and {r["priority"] for r in reds} == {"red"}
    with pytest.raises(InvalidInput):
        caselists.queue(conn=conn, priorities=["purple"])


@pytest.mark.parametrize("query, table", [("GRIDS_NEAR", "grids"), ("DUPLICATES", "incidents")])
def test_proximity_is_served_by_the_gist_index(conn: psycopg.Connection, query: str,
                                               table: str) -> None:  # fmt: skip
    """The grid and duplicate look-ups of every intake can use the geometry's GiST index
    (a geography ST_DWithin cannot: the planner would scan every row)."""
    # a window of ten years: the time index must not be what saves the duplicate look-up
    params = {"x": 113.13, "y": 27.83, "d": 30.0, "c": "noise", "s": 3.2e8,
              "deg": proximity.degrees_around(27.83, 30.0)}  # fmt: skip
    conn.execute("SET LOCAL enable_seqscan = off")  # the tiny city would be scanned anyway
    plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + getattr(proximity, query), params))
    assert f"{table}_geom" in plan, plan
    assert f"Seq Scan on {table}" not in plan, plan


def test_the_degree_box_holds_the_circle() -> None:
    import math

    for lat in (0.0, 27.8, 45.0, 60.0, 70.0):
        deg = proximity.degrees_around(lat, 1000.0)
        assert deg * 110_574 >= 1000.0  # north-south
        assert deg * 111_320 * math.cos(math.radians(lat)) >= 1000.0  # east-west
