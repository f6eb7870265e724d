"""The integration API (/api/v1) through the real FastAPI app: tokens and scopes, incidents
with Idempotency-Key (also under concurrent retries), tracker position batches, statuses;
bad input gets a 4xx and nothing is written."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import psycopg
import pytest
from fastapi.testclient import TestClient

from geo.access import tokens
from geo.coords import wgs84_to_gcj02
from geo.db import connect
from tests.db.conftest import count, make_token


def body(spot: tuple[float, float, str], **over: object) -> dict[str, object]:
    return {
        "lon": spot[0],
        "lat": spot[1],
        "category": "noise",
        "priority": "yellow",
        "source": "hotline_12345",
        "description": "loud music",
        **over,
    }


def test_tokens_and_scopes(client: TestClient, db_conninfo: str, spot) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/incidents").status_code == 401
    bad = {"Authorization": "Bearer gd_not-a-real-token"}
    assert client.get("/api/v1/incidents", headers=bad).status_code == 401
    name = f"reader-{uuid.uuid4().hex[:8]}"
    reader = make_token(db_conninfo, "incidents:read", name=name)
    assert client.get("/api/v1/incidents", headers=reader).status_code == 200
    r = client.post("/api/v1/incidents", json=body(spot), headers=reader)
    assert r.status_code == 403 and "incidents:write" in r.json()["error"]
    with connect(db_conninfo) as c:
        tokens.revoke(conn=c, name=name)
        c.commit()
    assert client.get("/api/v1/incidents", headers=reader).status_code == 401
    with pytest.raises(psycopg.errors.CheckViolation), connect(db_conninfo) as c:
        c.execute(
            "INSERT INTO api_tokens (name, token_sha256, scopes) VALUES ('x', %s, '{admin}')",
            ("0" * 64,),
        )


def test_create_read_list_and_close_a_case(client: TestClient, writer, spot) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/incidents", json=body(spot), headers=writer)
    assert r.status_code == 201, r.text
    inc = r.json()
    assert inc["grid_code"] == spot[2] and inc["status"] == "reported"
    assert r.headers["Location"] == f"/api/v1/incidents/{inc['id']}"
    assert client.get(r.headers["Location"], headers=writer).json()["number"] == inc["number"]
    page = client.get(
        "/api/v1/incidents",
        params={"status": "reported", "grid_code": spot[2], "limit": 1000},
        headers=writer,
    ).json()
    assert inc["id"] in [i["id"] for i in page["items"]]
    for target in ("dispatched", "on_scene"):
        r = client.post(
            f"/api/v1/incidents/{inc['id']}/status", json={"status": target}, headers=writer
        )
        assert r.status_code == 200 and r.json()["status"] == target
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/status", json={"status": "resolved"}, headers=writer
    )
    assert r.status_code == 400 and "note" in r.json()["error"]
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/status",
        json={"status": "resolved", "note": "quiet now"},
        headers=writer,
    )
    assert r.json()["status"] == "resolved"
    r = client.post(
        f"/api/v1/incidents/{inc['id']}/status", json={"status": "reported"}, headers=writer
    )
    assert r.status_code == 409


def test_gcj02_is_converted_at_the_edge(client: TestClient, writer, spot) -> None:  # type: ignore[no-untyped-def]
    gx, gy = wgs84_to_gcj02([spot[0]], [spot[1]])
    r = client.post(
        "/api/v1/incidents",
        json=body(spot, lon=float(gx[0]), lat=float(gy[0]), coords="gcj02"),
        headers=writer,
    )
    assert r.status_code == 201
    assert abs(r.json()["lon"] - spot[0]) < 1e-5 and abs(r.json()["lat"] - spot[1]) < 1e-5


def test_a_case_without_a_priority_gets_its_categorys(client: TestClient, writer, spot) -> None:  # type: ignore[no-untyped-def]
    """The 110/119 feeds often send no priority: a fire is red, a noise complaint blue."""
    fire = {k: v for k, v in body(spot, category="fire").items() if k != "priority"}
    noise = {k: v for k, v in body(spot).items() if k != "priority"}
    got = [client.post("/api/v1/incidents", json=b, headers=writer) for b in (fire, noise)]
    assert [r.status_code for r in got] == [201, 201]
    assert [r.json()["priority"] for r in got] == ["red", "blue"]
    sent = client.post(
        "/api/v1/incidents", json=body(spot, category="fire", priority="blue"), headers=writer
    )
    assert sent.status_code == 201 and sent.json()["priority"] == "blue"  # as the caller says


@pytest.mark.parametrize(
    "over,status,words",
    [
        ({"category": "nope"}, 400, "category"),
        ({"priority": "purple"}, 422, "priority"),
        ("swap", 400, "swapped"),
        ({"lon": 116.4, "lat": 39.9}, 400, "outside"),
        ({"description": "x" * 5000}, 422, "description"),
        ({"surprise": 1}, 422, "surprise"),
        ({"grid_code": "123"}, 422, "grid_code"),
    ],
)
def test_bad_input_gets_4xx_and_writes_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, writer, spot, db_conninfo: str, over, status: int, words: str
) -> None:
    if over == "swap":
        over = {"lon": spot[1], "lat": spot[0]}
    before = count(db_conninfo, "SELECT count(*) FROM incidents")
    r = client.post("/api/v1/incidents", json=body(spot, **over), headers=writer)
    assert r.status_code == status, r.text
    assert words in r.text.lower()
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before


def test_idempotency_key(client: TestClient, writer, spot, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    key = {"Idempotency-Key": uuid.uuid4().hex, **writer}
    before = count(db_conninfo, "SELECT count(*) FROM incidents")
    first = client.post("/api/v1/incidents", json=body(spot), headers=key)
    again = client.post("/api/v1/incidents", json=body(spot), headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before + 1
    other = client.post("/api/v1/incidents", json=body(spot, priority="red"), headers=key)
    assert other.status_code == 409
    # A failed first try leaves the key free: the retry creates the case.
    key2 = {"Idempotency-Key": uuid.uuid4().hex, **writer}
    assert (
        client.post("/api/v1/incidents", json=body(spot, category="x_x"), headers=key2).status_code
        == 400
    )
    assert (
        client.post("/api/v1/incidents", json=body(spot, category="x_x"), headers=key2).status_code
        == 400
    )


def test_idempotency_under_concurrent_retries(
    client: TestClient, writer, spot, db_conninfo: str
) -> None:  # type: ignore[no-untyped-def]
    key = {"Idempotency-Key": uuid.uuid4().hex, **writer}
    before = count(db_conninfo, "SELECT count(*) FROM incidents")
    ids: list[int] = []
    codes: list[int] = []
    go = threading.Barrier(8)

    def retry() -> None:
        go.wait()
        r = client.post("/api/v1/incidents", json=body(spot), headers=key)
        codes.append(r.status_code)
        ids.append(r.json()["id"])

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and sorted(codes) == [200] * 7 + [201]
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before + 1


def _unit(db_conninfo: str) -> tuple[int, str, float, float]:
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT id, call_sign, ST_X(geom), ST_Y(geom) FROM units WHERE geom IS NOT NULL "
            "AND status = 'available' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3]


def test_position_batches(client: TestClient, writer, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    uid, call_sign, x, y = _unit(db_conninfo)
    with psycopg.connect(db_conninfo) as c:  # other tests may have moved it a moment ago
        c.execute(
            "UPDATE units SET position_time = now() - interval '1 hour' WHERE id = %s", (uid,)
        )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    newer, older = now - dt.timedelta(seconds=5), now - dt.timedelta(seconds=20)
    batch = [
        {"unit": call_sign, "lon": x + 0.001, "lat": y, "time": newer.isoformat(), "speed": 8.5},
        {"unit": uid, "lon": x + 0.002, "lat": y, "time": older.isoformat(), "heading": 90},
    ]
    before = count(db_conninfo, "SELECT count(*) FROM unit_positions")
    r = client.post("/api/v1/units/positions", json=batch, headers=writer)
    assert r.status_code == 200 and r.json() == {"stored": 2}
    assert count(db_conninfo, "SELECT count(*) FROM unit_positions") == before + 2
    with psycopg.connect(db_conninfo) as c:
        got = c.execute(
            "SELECT ST_X(geom), position_time FROM units WHERE id = %s", (uid,)
        ).fetchone()
    assert got is not None
    assert abs(got[0] - (x + 0.001)) < 1e-9 and got[1] == newer  # the late older fix is history


def test_a_retried_position_batch_is_stored_once(  # type: ignore[no-untyped-def]
    client: TestClient, writer, db_conninfo: str
) -> None:
    """A tracker that lost the answer sends its batch again under the same Idempotency-Key:
    nothing is stored twice, it gets the first answer; the key on another batch is a 409."""
    uid, _, x, y = _unit(db_conninfo)
    t = dt.datetime.now(dt.UTC)
    batch = [{"unit": uid, "lon": x, "lat": y, "time": (t - dt.timedelta(seconds=s)).isoformat()}
             for s in (3, 2, 1)]  # fmt: skip
    key = {**writer, "Idempotency-Key": f"trk-{uuid.uuid4()}"}
    before = count(db_conninfo, "SELECT count(*) FROM unit_positions")
    first = client.post("/api/v1/units/positions", json=batch, headers=key)
    again = client.post("/api/v1/units/positions", json=batch, headers=key)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json() == again.json() == {"stored": 3}
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(db_conninfo, "SELECT count(*) FROM unit_positions") == before + 3
    other = client.post("/api/v1/units/positions", json=batch[:2], headers=key)
    assert other.status_code == 409 and "different request" in other.text
    # twelve trackers' retries racing with one key: still stored once
    key2 = {**writer, "Idempotency-Key": f"trk-{uuid.uuid4()}"}
    answers: list[int] = []

    def send() -> None:
        answers.append(client.post("/api/v1/units/positions", json=batch, headers=key2).status_code)

    threads = [threading.Thread(target=send) for _ in range(12)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert answers == [200] * 12
    assert count(db_conninfo, "SELECT count(*) FROM unit_positions") == before + 6


@pytest.mark.parametrize(
    "bad,words",
    [
        ({"unit": "NO-SUCH-UNIT"}, "no unit"),
        ({"unit": True}, "unit"),  # not unit 1
        ({"unit": 0}, "unit"),
        ("swap", "swapped"),
        ({"time": "2099-01-01T00:00:00+00:00"}, "future"),
        ({"time": "2026-11-23T08:00:00"}, "time zone"),
        ({"time": "2020-01-01T00:00:00+00:00"}, "older than the 90 days"),
        ({"speed": -1}, "speed"),
        ({"heading": 360}, "heading"),
    ],
)
def test_a_bad_position_refuses_the_whole_batch(  # type: ignore[no-untyped-def]
    client: TestClient, writer, db_conninfo: str, bad, words: str
) -> None:
    uid, _, x, y = _unit(db_conninfo)
    t = dt.datetime.now(dt.UTC).isoformat()
    good = {"unit": uid, "lon": x, "lat": y, "time": t}
    if bad == "swap":
        bad = {"lon": y, "lat": x}
    before = count(db_conninfo, "SELECT count(*) FROM unit_positions")
    r = client.post("/api/v1/units/positions", json=[good, {**good, **bad}], headers=writer)
    assert 400 <= r.status_code < 500 and words in r.text.lower(), r.text
    assert count(db_conninfo, "SELECT count(*) FROM unit_positions") == before


def test_unit_status(client: TestClient, writer, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    uid, *_ = _unit(db_conninfo)
    r = client.post(f"/api/v1/units/{uid}/status", json={"status": "off_duty"}, headers=writer)
    assert r.json() == {"id": uid, "status": "off_duty"}
    r = client.post(f"/api/v1/units/{uid}/status", json={"status": "on_scene"}, headers=writer)
    assert r.status_code == 409
    r = client.post(f"/api/v1/units/{uid}/status", json={"status": "available"}, headers=writer)
    assert r.status_code == 200
    with psycopg.connect(db_conninfo) as c:
        actors = c.execute(
            "SELECT actor FROM audit_log WHERE entity = 'unit' AND entity_id = %s "
            "ORDER BY id DESC LIMIT 2",
            (str(uid),),
        ).fetchall()
    assert all(a.startswith("api:t-") for (a,) in actors)


def test_recommend_dispatch_and_follow_units(client: TestClient, db_conninfo: str, spot) -> None:  # type: ignore[no-untyped-def]
    """What an outside dispatcher (or the simulator) does: nearest units, send one, see it
    assigned; sending the same unit again is refused whole."""
    full = make_token(db_conninfo, "incidents:read", "incidents:write", "units:read")
    case = client.post("/api/v1/incidents", json=body(spot, priority="red"), headers=full).json()
    recs = client.get(f"/api/v1/incidents/{case['id']}/recommendations?k=3", headers=full)
    assert recs.status_code == 200, recs.text
    items = recs.json()["items"]
    assert items and [x["eta_s"] for x in items] == sorted(x["eta_s"] for x in items)
    first = items[0]["unit_id"]
    sent = client.post(
        f"/api/v1/incidents/{case['id']}/dispatch", json={"units": [first]}, headers=full
    )
    assert sent.status_code == 200 and sent.json()["units"] == [first]
    again = client.post(
        f"/api/v1/incidents/{case['id']}/dispatch", json={"units": [first]}, headers=full
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/units?status=dispatched&limit=10000", headers=full).json()
    mine = [u for u in listed["items"] if u["id"] == first]
    assert mine and mine[0]["incident_id"] == case["id"] and mine[0]["lon"] is not None
    assert client.get("/api/v1/units?status=flying", headers=full).status_code == 422
    writer_only = make_token(db_conninfo, "units:write")
    assert client.get("/api/v1/units", headers=writer_only).status_code == 403
    bad = client.post(f"/api/v1/incidents/{case['id']}/dispatch", json={"units": []}, headers=full)
    assert bad.status_code == 422
    # Release the unit for the other tests.
    with psycopg.connect(db_conninfo) as c:
        c.execute("UPDATE dispatches SET released_at = now() WHERE unit_id = %s", (first,))
        c.execute("UPDATE units SET status = 'available' WHERE id = %s", (first,))
