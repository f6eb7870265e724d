"""A corpus of hostile and broken requests for the console's HTTP API.

Each case is one request that must be refused with a 4xx (never a 5xx) and write nothing:
malformed JSON, wrong types, huge payloads, NaN and infinite or out-of-range coordinates,
swapped latitude/longitude, GCJ-02 far outside the city, unknown enum values, SQL-injection
and script strings in typed fields, ids out of range, bad query parameters. The test tier
(``tests/db/test_hostile.py``) and the figure (``python -m tests.bench hostile``) share it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

INJECT = ["'; DROP TABLE incidents; --", "1 OR 1=1", "<script>alert(1)</script>",
          "${jndi:ldap://x}", "../../etc/passwd", "\u0000", "noise\u202e", "😀" * 3]  # fmt: skip
WRONG = [None, True, "x", [], {}, [1, 2], {"a": 1}]
BAD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e308"]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    json_body: Any = None
    raw: bytes | None = None  # sent as is (malformed JSON, huge bodies)
    headers: dict[str, str] = field(default_factory=dict)
    auth: bool = True  # send the writer token


def send(client: Any, case: Case, auth: dict[str, str]) -> Any:
    """Send ``case`` with the test client (the token in ``auth`` unless the case goes
    without); returns the response."""
    headers = {**(auth if case.auth else {}), **case.headers}
    if case.raw is not None:
        return client.request(case.method, case.path, content=case.raw, headers=headers)
    return client.request(case.method, case.path, json=case.json_body, headers=headers)


def _incident(spot: tuple[float, float], **over: Any) -> dict[str, Any]:
    body = {"lon": spot[0], "lat": spot[1], "category": "noise", "priority": "yellow",
            "source": "hotline_12345", "description": "corpus"}  # fmt: skip
    body.update(over)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def _raw_incident(spot: tuple[float, float], lon: str, lat: str) -> bytes:
    return (
        f'{{"lon": {lon}, "lat": {lat}, "category": "noise", "source": "hotline_12345"}}'
    ).encode()


def corpus(spot: tuple[float, float], incident_id: int, unit_id: int, task_id: int) -> list[Case]:  # noqa: C901 - a flat list of cases
    """Every case, aimed at real objects (a case, a unit, a task) so that a request that
    slipped through would have something to change."""
    lon, lat = spot
    out: list[Case] = []
    inc = "/api/v1/incidents"
    # --- malformed bodies
    for i, raw in enumerate([b"", b"{", b"[", b"null", b"true", b"42", b'"text"', b"{'a': 1}",
                             b'{"lon": }', b"\xff\xfe\x00", b'{"lon": 1,}', b"[]",
                             b'{"a":' * 5000, b"{" + b" " * 10, b'{"lon": 0x1F}']):  # fmt: skip
        out.append(Case(f"malformed-{i}", "POST", inc, raw=raw,
                        headers={"Content-Type": "application/json"}))  # fmt: skip
    out.append(Case("wrong-content-type", "POST", inc, raw=json.dumps(_incident(spot)).encode(),
                    headers={"Content-Type": "text/plain"}))  # fmt: skip
    out.append(Case("huge-body", "POST", inc, raw=b'{"description": "' + b"x" * 3_000_000 + b'"}',
                    headers={"Content-Type": "application/json"}))  # fmt: skip
    out.append(Case("huge-description", "POST", inc,
                    _incident(spot, description="x" * 100_000)))  # fmt: skip
    # --- wrong types, field by field
    for key in ("lon", "lat", "category", "priority", "source", "class", "description",
                "reporter_name", "reporter_phone", "grid_code", "coords"):  # fmt: skip
        for j, v in enumerate(WRONG):
            text = key in ("description", "reporter_name", "reporter_phone")
            if (v is None and (text or key in ("grid_code", "class", "priority"))) or (
                text and isinstance(v, str)
            ):
                continue  # optional: null is allowed (a priority: the category's); text is text
            out.append(Case(f"type-{key}-{j}", "POST", inc, _incident(spot, **{key: v})))
    for key in ("lon", "lat", "category", "source"):
        out.append(Case(f"missing-{key}", "POST", inc, _incident(spot, **{key: _DROP})))
    # --- numbers that are not coordinates
    for j, v in enumerate(BAD_NUMBERS):
        out.append(Case(f"lon-{j}", "POST", inc, raw=_raw_incident(spot, v, str(lat)),
                        headers={"Content-Type": "application/json"}))  # fmt: skip
        out.append(Case(f"lat-{j}", "POST", inc, raw=_raw_incident(spot, str(lon), v),
                        headers={"Content-Type": "application/json"}))  # fmt: skip
    for j, (x, y) in enumerate([(lat, lon), (181, lat), (-181, lat), (lon, 91), (lon, -91),
                                (0, 0), (116.4, 39.9), (-lon, lat), (lon, -lat),
                                (lon + 1, lat), (lon, lat + 1)]):  # fmt: skip
        out.append(Case(f"place-{j}", "POST", inc, _incident(spot, lon=x, lat=y)))
        out.append(Case(f"place-gcj-{j}", "POST", inc,
                        _incident(spot, lon=x, lat=y, coords="gcj02")))  # fmt: skip
    # --- enums and patterns
    for key, values in {
        "priority": ["purple", "RED", "", "red ", "0"],
        "source": ["fax", "", "GRID_WORKER"],
        "class": ["royal", ""],
        "coords": ["bd09", "WGS84", ""],
        "category": ["unknown_cat", "", "A", "x" * 41],
        "grid_code": ["123", "43020200100100a", "4" * 16],
    }.items():
        for j, v in enumerate(values):
            out.append(Case(f"enum-{key}-{j}", "POST", inc, _incident(spot, **{key: v})))
    for j, s in enumerate(INJECT):
        for key in ("category", "priority", "source", "grid_code", "coords"):
            out.append(Case(f"inject-{key}-{j}", "POST", inc, _incident(spot, **{key: s})))
    out.append(Case("extra-field", "POST", inc, _incident(spot, admin=True)))
    out.append(Case("long-phone", "POST", inc, _incident(spot, reporter_phone="1" * 41)))
    out.append(Case("long-name", "POST", inc, _incident(spot, reporter_name="n" * 101)))
    out.append(Case("no-token", "POST", inc, _incident(spot), auth=False))
    out.append(Case("forged-token", "POST", inc, _incident(spot), auth=False,
                    headers={"Authorization": "Bearer gd_' OR 1=1 --"}))  # fmt: skip
    out.append(Case("long-idempotency-key", "POST", inc, _incident(spot),
                    headers={"Idempotency-Key": "k" * 201}))  # fmt: skip
    # --- a case's status and dispatch
    st = f"{inc}/{incident_id}/status"
    for j, v in enumerate(["flying", "", "CLOSED", 3, None, ["closed"], *INJECT[:3]]):
        out.append(Case(f"status-{j}", "POST", st, {"status": v}))
    out.append(Case("status-note-huge", "POST", st, {"status": "closed", "note": "x" * 5000}))
    out.append(Case("status-extra", "POST", st, {"status": "closed", "who": "admin"}))
    for j, ident in enumerate(["abc", "-1", "0", str(2**63), "1;DROP TABLE incidents",
                               "1.5", "%00", "99999999"]):  # fmt: skip
        out.append(Case(f"status-id-{j}", "POST", f"{inc}/{ident}/status", {"status": "closed"}))
    dp = f"{inc}/{incident_id}/dispatch"
    for j, v in enumerate([[], [0], [-1], [2**31], ["a"], [unit_id] * 21, "1", None,
                           [1.5], [True], [{"id": unit_id}]]):  # fmt: skip
        out.append(Case(f"dispatch-{j}", "POST", dp, {"units": v}))
    out.append(Case("dispatch-missing-unit", "POST", dp, {"units": [2**31 - 1]}))
    # --- units
    pos = "/api/v1/units/positions"
    fix = {"unit": unit_id, "lon": lon, "lat": lat, "time": "2026-11-30T10:00:00+08:00"}
    for j, body in enumerate([
        {}, [], {"unit": unit_id}, [fix | {"time": "2026-11-30T10:00:00"}],
        [fix | {"time": "yesterday"}], [fix | {"lon": lat, "lat": lon}], [fix | {"lat": 91}],
        [fix | {"unit": "no-such-unit"}], [fix | {"unit": 2**40}], [fix | {"speed": -1}],
        [fix | {"speed": 1000}], [fix | {"heading": 360}], [fix | {"extra": 1}],
        [fix] * 20_001, [fix, fix | {"lat": "x"}], [fix | {"unit": INJECT[0]}],
        [fix | {"time": "2026-11-30T10:00:00+08:00'; --"}],
    ]):  # fmt: skip
        out.append(Case(f"positions-{j}", "POST", pos, body))
    us = f"/api/v1/units/{unit_id}/status"
    for j, v in enumerate(["teleported", "", None, 1, "AVAILABLE", INJECT[0]]):
        out.append(Case(f"unit-status-{j}", "POST", us, {"status": v}))
    out.append(
        Case("unit-status-bad-id", "POST", "/api/v1/units/abc/status", {"status": "off_duty"})
    )
    # --- mass-task progress
    tp = f"/api/v1/tasks/{task_id}/progress"
    for j, body in enumerate([
        {"grid": "123", "done": 1}, {"grid": INJECT[0], "done": 1}, {"grid": "0" * 15, "done": 1},
        {"grid": "4" * 15, "done": -1}, {"grid": "4" * 15, "done": "x"},
        {"grid": "4" * 15, "done": 10**7}, {"grid": "4" * 15}, {"done": 1}, {},
        {"grid": "4" * 15, "done": 1.5}, {"grid": ["4" * 15], "done": 1},
    ]):  # fmt: skip
        out.append(Case(f"task-{j}", "POST", tp, body))
    out.append(
        Case("task-bad-id", "POST", "/api/v1/tasks/x/progress", {"grid": "4" * 15, "done": 1})
    )
    # --- queries
    for j, q in enumerate(["limit=0", "limit=-1", "limit=100000", "limit=abc", "after_id=-5",
                           "after_id=" + str(2**64), "status=bogus", "priority=purple",
                           "grid_code=1%27%20OR%201%3D1", "category=" + "x" * 200]):  # fmt: skip
        out.append(Case(f"list-{j}", "GET", f"{inc}?{q}"))
    for j, q in enumerate(["k=0", "k=21", "k=x", "type=spaceship"]):
        out.append(Case(f"recommend-{j}", "GET", f"{inc}/{incident_id}/recommendations?{q}"))
    for j, q in enumerate(["limit=0", "status=lost", "type=tank", "after_id=-1"]):
        out.append(Case(f"units-{j}", "GET", f"/api/v1/units?{q}"))
    for j, path in enumerate([
        "/api/layers/evil.geojson", "/api/layers/..%2F..%2Fetc%2Fpasswd.geojson",
        "/api/grids/abc", "/api/grids/-1", f"/api/grids/{2**70}", "/api/photos/abc",
        "/ogc/collections/nope", "/ogc/collections/grids/items?bbox=1,2,3",
        "/ogc/collections/grids/items?bbox=a,b,c,d", "/ogc/collections/grids/items?limit=-1",
        "/ogc/collections/grids/items?limit=abc", "/ogc/collections/grids/items?bbox=200,0,201,1",
        "/ogc/collections/grids/items/not-a-feature", "/ogc/collections/grids/items?f=exe",
        "/open311/v2/services/BAD.json", "/open311/v2/requests/none.json",
        "/open311/v2/requests.json?start_date=yesterday", "/open311/v2/requests.json?status=lost",
    ]):  # fmt: skip
        out.append(Case(f"get-{j}", "GET", path, auth=False))
    # --- Open311 submissions (form-encoded, as GeoReport v2 clients send)
    for j, form in enumerate([
        "service_code=noise", f"service_code=noise&lat={lat}&long=x",
        f"service_code=noise&lat={lon}&long={lat}", f"service_code=bogus&lat={lat}&long={lon}",
        f"service_code=noise&lat=NaN&long={lon}", f"service_code=noise&lat={lat}&long=inf",
        f"service_code=noise%27%3B--&lat={lat}&long={lon}",
        "service_code=noise&address_string=" + "x" * 5000,
    ]):  # fmt: skip
        out.append(Case(f"open311-{j}", "POST", "/open311/v2/requests.json", raw=form.encode(),
                        headers={"Content-Type": "application/x-www-form-urlencoded"}))  # fmt: skip
    return out
