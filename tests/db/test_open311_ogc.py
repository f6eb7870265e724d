"""The standard interfaces: an Open311 GeoReport v2 client's whole flow (discover, submit,
follow, see it closed) and OGC API - Features read by GDAL's own OAPIF driver from a real
console, as QGIS would; bad input gets a 4xx in each API's own error dialect."""

from __future__ import annotations

import uuid

import psycopg
import pyogrio
import pytest
from fastapi.testclient import TestClient

from geo.coords import wgs84_to_gcj02
from tests.db.conftest import count, make_token


@pytest.fixture(scope="module")
def key(db_conninfo: str) -> str:
    return make_token(db_conninfo, "open311")["Authorization"][7:]


@pytest.fixture(scope="module")
def features(db_conninfo: str) -> dict[str, str]:
    return make_token(db_conninfo, "features:read")


# ---------------------------------------------------------------------- Open311
def test_open311_discover_and_define(client: TestClient) -> None:
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200
    codes = {s["service_code"] for s in services.json()}
    assert "noise" in codes and all(s["type"] == "realtime" for s in services.json())
    d = client.get("/open311/v2/services/noise.json").json()
    attrs = {a["code"]: [v["key"] for v in a["values"]] for a in d["attributes"]}
    assert attrs["priority"] == ["red", "yellow", "blue"] and "gcj02" in attrs["datum"]
    assert client.get("/open311/v2/services/no_such_thing.json").status_code == 404
    xml = client.get("/open311/v2/services.xml")
    assert xml.status_code == 400 and xml.json()[0]["code"] == 400
    disc = client.get("/open311/v2/discovery.json").json()
    assert disc["endpoints"][0]["url"].endswith("/open311/v2")


def test_open311_submit_follow_close(client: TestClient, db_conninfo: str, key: str, spot) -> None:  # type: ignore[no-untyped-def]
    lon, lat, grid = spot
    form = {
        "api_key": key,
        "service_code": "noise",
        "lat": str(lat),
        "long": str(lon),
        "description": "drums at midnight",
        "first_name": "Wei",
        "last_name": "Li",
        "phone": "13800000000",
        "attribute[priority]": "yellow",
    }
    r = client.post("/open311/v2/requests.json", data=form)
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT category, priority, source, reporter_name, reporter_phone, grid_code "
            "FROM incidents WHERE number = %s",
            (number,),
        ).fetchone()
    assert row == ("noise", "yellow", "hotline_12345", "Li Wei", "13800000000", grid)

    # Follow it: by id, and in a filtered list; no reporter details leave.
    got = client.get(f"/open311/v2/requests/{number}.json", params={"api_key": key}).json()
    assert got[0]["status"] == "open" and got[0]["service_code"] == "noise"
    assert abs(got[0]["lat"] - lat) < 1e-6 and got[0]["address_id"] == grid
    assert "13800000000" not in str(got)
    listed = client.get(
        "/open311/v2/requests.json",
        params={"api_key": key, "service_code": "noise", "status": "open"},
    ).json()
    assert number in {x["service_request_id"] for x in listed}

    # Closed in the console: the client sees it closed, with the resolution note.
    with psycopg.connect(db_conninfo) as c:
        c.execute(
            "UPDATE incidents SET status = 'closed', resolution_note = 'talked to them' "
            "WHERE number = %s",
            (number,),
        )
    got = client.get(
        "/open311/v2/requests.json", params={"api_key": key, "service_request_id": number}
    ).json()
    assert got[0]["status"] == "closed" and got[0]["status_notes"] == "talked to them"


def test_open311_media_url_is_the_resolution_photo(client: TestClient, db_conninfo: str, key: str,
                                                   spot) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    """A case resolved on the desk with a photo: Open311 gives the photo's address once
    (it was /api/photos/ twice over)."""
    import base64

    from geo import incidents, intake, photos
    from geo.db import connect, transaction

    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8Dw"
                           "HwAFBQIAX8jx0gAAAABJRU5ErkJggg==")  # fmt: skip
    lon, lat, _ = spot
    with connect(db_conninfo) as conn, transaction(conn, "operator:test") as t:
        report = intake.Report(lon=lon, lat=lat, category="noise", priority="blue",
                               source="operator")  # fmt: skip
        case = intake.open_case(conn=t, report=report, boundary_m=30)[0]
        shot = photos.save(conn=t, incident_id=case["id"], data=png, max_bytes=100_000)
        t.execute("UPDATE incidents SET status = 'on_scene' WHERE id = %s", (case["id"],))
        incidents.resolve(conn=t, incident_id=case["id"], note="quiet now")
    got = client.get(f"/open311/v2/requests/{case['number']}.json", params={"api_key": key})
    assert got.json()[0]["media_url"] == f"http://testserver/api/photos/{shot}"


def test_open311_json_gcj02_address_and_retries(
    client: TestClient, db_conninfo: str, key: str, spot
) -> None:  # type: ignore[no-untyped-def]
    lon, lat, grid = spot
    glon, glat = wgs84_to_gcj02([lon], [lat])
    body = {
        "service_code": "noise",
        "lat": float(glat[0]),
        "long": float(glon[0]),
        "attribute[datum]": "gcj02",
    }
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex}
    first = client.post("/open311/v2/requests.json", json=body, headers=headers)
    again = client.post("/open311/v2/requests.json", json=body, headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    number = first.json()[0]["service_request_id"]
    assert again.json()[0]["service_request_id"] == number
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT ST_X(geom), ST_Y(geom), count(*) OVER () FROM incidents WHERE number = %s",
            (number,),
        ).fetchone()
    assert row is not None and row[2] == 1
    assert abs(row[0] - lon) < 2e-5 and abs(row[1] - lat) < 2e-5  # converted at the edge

    # A location by name: the grid code is resolved to its grid.
    r = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "noise", "address_string": grid},
    )
    assert r.status_code == 200, r.text
    n2 = r.json()[0]["service_request_id"]
    with psycopg.connect(db_conninfo) as c:
        assert (
            c.execute("SELECT grid_code FROM incidents WHERE number = %s", (n2,)).fetchone()[0]
            == grid
        )  # type: ignore[index]


@pytest.mark.parametrize(
    ("form", "status"),
    [
        ({"service_code": "noise", "lat": "30", "long": "120"}, 401),  # no key
        ({"api_key": "gd_forged", "service_code": "noise", "lat": "30", "long": "120"}, 401),
        ({"service_code": "no_such", "lat": "{lat}", "long": "{lon}"}, 400),
        ({"service_code": "noise"}, 400),  # no location
        ({"service_code": "noise", "lat": "{lat}"}, 400),  # half a location
        ({"service_code": "noise", "lat": "nan", "long": "{lon}"}, 400),
        ({"service_code": "noise", "lat": "{lon}", "long": "{lat}"}, 400),  # swapped
        (
            {"service_code": "noise", "lat": "{lat}", "long": "{lon}", "attribute[priority]": "x"},
            400,
        ),
        ({"service_code": "noise", "lat": "{lat}", "long": "{lon}", "colour": "red"}, 400),
        ({"service_code": "noise", "address_string": "no such place anywhere"}, 400),
        (
            {"service_code": "noise", "lat": "{lat}", "long": "{lon}", "description": "x" * 5000},
            400,
        ),
    ],
)
def test_open311_bad_reports_write_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, db_conninfo: str, key: str, spot, form: dict[str, str], status: int
) -> None:
    lon, lat, _ = spot
    data = {k: v.format(lon=lon, lat=lat) for k, v in form.items()}
    if status != 401:
        data["api_key"] = key
    before = count(db_conninfo, "SELECT count(*) FROM incidents")
    r = client.post("/open311/v2/requests.json", data=data)
    assert r.status_code == status, r.text
    assert isinstance(r.json(), list) and r.json()[0]["description"]
    assert count(db_conninfo, "SELECT count(*) FROM incidents") == before


def test_open311_reads_need_the_scope(client: TestClient, db_conninfo: str) -> None:
    other = make_token(db_conninfo, "incidents:read")["Authorization"][7:]
    assert client.get("/open311/v2/requests.json").status_code == 401
    assert client.get("/open311/v2/requests.json", params={"api_key": other}).status_code == 403
    key = make_token(db_conninfo, "open311")["Authorization"][7:]
    bad = client.get("/open311/v2/requests.json", params={"api_key": key, "start_date": "soon"})
    assert bad.status_code == 400
    for far in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59+08:00"):
        for name in ("start_date", "end_date"):
            out = client.get("/open311/v2/requests.json", params={"api_key": key, name: far})
            assert out.status_code == 400 and "1970" in out.json()[0]["description"], (name, far)


# ---------------------------------------------------------------------- OGC API - Features
def test_ogc_landing_conformance_collections(client: TestClient, features: dict[str, str]) -> None:
    assert client.get("/ogc").status_code == 401
    landing = client.get("/ogc", headers=features).json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/ogc/conformance", headers=features).json()["conformsTo"]
    assert any(c.endswith("/conf/geojson") for c in conf)
    cols = client.get("/ogc/collections", headers=features).json()["collections"]
    ids = {c["id"] for c in cols}
    assert ids == {"grids", "admin_units", "platforms", "units", "incidents"}
    grids = next(c for c in cols if c["id"] == "grids")
    x0, y0, x1, y1 = grids["extent"]["spatial"]["bbox"][0]
    assert x0 < x1 and y0 < y1 and 70 < x0 < 140  # lon first, in China


def test_ogc_items_paging_bbox_and_errors(
    client: TestClient, db_conninfo: str, features: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    n = count(db_conninfo, "SELECT count(*) FROM grids WHERE valid_to IS NULL")
    page = client.get("/ogc/collections/grids/items", params={"limit": 7}, headers=features)
    assert page.status_code == 200 and page.headers["content-type"] == "application/geo+json"
    fc = page.json()
    assert fc["numberMatched"] == n and fc["numberReturned"] == 7
    nxt = next(link["href"] for link in fc["links"] if link["rel"] == "next")
    fc2 = client.get(nxt, headers=features).json()
    assert fc2["features"][0]["id"] > fc["features"][-1]["id"]
    first = fc["features"][0]
    one = client.get(f"/ogc/collections/grids/items/{first['id']}", headers=features).json()
    assert one["properties"]["code"] == first["properties"]["code"]
    assert "worker_phone" not in one["properties"]  # phone numbers stay in the console

    # bbox around the first grid's centre: it is among what comes back, fewer than all.
    ring = first["geometry"]["coordinates"][0][0]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    box = f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"
    inside = client.get(
        "/ogc/collections/grids/items", params={"bbox": box, "limit": 1000}, headers=features
    ).json()
    assert first["id"] in {f["id"] for f in inside["features"]}
    assert inside["numberMatched"] < n

    opened = count(db_conninfo, "SELECT count(*) FROM incidents WHERE status <> 'closed'")
    inc = client.get("/ogc/collections/incidents/items", params={"limit": 1}, headers=features)
    assert inc.json()["numberMatched"] == opened
    assert "reporter_phone" not in str(inc.json())
    when = client.get(
        "/ogc/collections/incidents/items",
        params={"datetime": "2000-01-01T00:00:00Z/2000-01-02T00:00:00Z"},
        headers=features,
    ).json()
    assert when["numberMatched"] == 0

    for params, status in [
        ({"bbox": "1,2,3"}, 400),
        ({"bbox": "120,31,121,30"}, 400),
        ({"bbox": "nan,30,121,31"}, 400),
        ({"limit": 0}, 400),
        ({"limit": 10**6}, 400),
        ({"datetime": "yesterday"}, 400),
        ({"datetime": "2026-01-01T00:00:00"}, 400),  # no zone
        ({"crs": "EPSG:3857"}, 400),
        ({"where": "1=1"}, 400),
    ]:
        r = client.get("/ogc/collections/incidents/items", params=params, headers=features)
        assert r.status_code == status, (params, r.text)
        assert r.json()["code"] == str(status) and r.json()["description"]
    for url, status in [
        ("/ogc/collections/platforms/items?datetime=2026-01-01T00:00:00Z", 400),  # no time
        ("/ogc/collections/nothing/items", 404),
        ("/ogc/collections/grids/items/abc", 404),
        ("/ogc/collections/admin_units/items/000000", 404),
    ]:
        assert client.get(url, headers=features).status_code == status, url


def test_gdal_reads_the_layers(
    console_url: str, db_conninfo: str, features: dict[str, str]
) -> None:
    """GDAL's OAPIF driver (what QGIS uses) lists the collections and reads every feature."""
    secret = features["Authorization"][7:]
    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": secret})
    try:
        names = {name for name, _ in pyogrio.list_layers(f"OAPIF:{console_url}/ogc")}
        assert {"grids", "admin_units", "platforms", "units", "incidents"} <= names
        grids = pyogrio.read_dataframe(f"OAPIF:{console_url}/ogc", layer="grids")
        platforms = pyogrio.read_dataframe(f"OAPIF:{console_url}/ogc", layer="platforms")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})
    assert len(grids) == count(db_conninfo, "SELECT count(*) FROM grids WHERE valid_to IS NULL")
    assert len(platforms) == count(db_conninfo, "SELECT count(*) FROM platforms")
    assert set(grids.geom_type) <= {"Polygon", "MultiPolygon"} and grids.crs.to_epsg() == 4326
    assert grids["households"].sum() == count(
        db_conninfo, "SELECT sum(households) FROM grids WHERE valid_to IS NULL"
    )
