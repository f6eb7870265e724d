"""Import and export against real PostGIS: round trips through GeoJSON, GeoPackage and
Shapefile, refusals that leave nothing behind, CSV platforms/units, OSM roads and water
(.osm.pbf written by a tiny encoder below, and .osm XML), and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shapely

from data import io as dio
from data.errors import ImportRejected
from data.io import _write
from data.io.__main__ import main as cli
from geo.db import connect
from tests import _osmxml
from tests.conftest import fresh_database

FORMATS = ("geojson", "gpkg", "shp")


def _one(conn: psycopg.Connection, query: str, params: dict[str, Any] | None = None) -> Any:
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def _grids(conn: psycopg.Connection) -> dict[str, tuple[object, ...]]:
    rows = conn.execute(
        "SELECT code, name, type, community_code, households, population, worker_name, "
        "zone_class, ST_Area(geom::geography) FROM grids WHERE valid_to IS NULL"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.fixture(scope="module")
def exported(db_conninfo: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("export")
    with connect(db_conninfo) as c:
        for fmt in FORMATS:
            assert dio.export_admin_units(d / f"admin.{fmt}", conn=c) > 0
            assert dio.export_grids(d / f"grids.{fmt}", conn=c) > 0
    return d


@pytest.fixture(scope="module")
def empty_db(cluster: object) -> str:
    return fresh_database(cluster, "gd_io_test")  # type: ignore[arg-type]


@pytest.fixture()
def empty_conn(empty_db: str) -> Iterator[psycopg.Connection]:
    c = connect(empty_db)
    c.execute("SELECT 1")  # outer transaction, rolled back after the test
    try:
        yield c
    finally:
        c.rollback()
        c.close()


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_into_fresh_database(
    fmt: str, exported: Path, conn: psycopg.Connection, empty_conn: psycopg.Connection
) -> None:
    source = _grids(conn)
    n_admin = _one(conn, "SELECT count(*) FROM admin_units")
    a = dio.import_admin_units(exported / f"admin.{fmt}", conn=empty_conn, actor="test:io")
    assert a.counts["inserted"] == n_admin
    r = dio.import_grids(exported / f"grids.{fmt}", conn=empty_conn, actor="test:io")
    assert r.counts == {"new": len(source), "replaced": 0, "updated": 0, "unchanged": 0}
    target = _grids(empty_conn)
    assert target.keys() == source.keys()
    for code, want in source.items():
        got = target[code]
        assert got[:-1] == want[:-1], code  # attributes, Chinese names included
        assert got[-1] == pytest.approx(want[-1], rel=1e-9), code  # area (m2)
    assert _one(
        empty_conn,
        "SELECT count(*) FROM grids g JOIN admin_units a ON a.code = g.community_code "
        "WHERE g.path = a.path AND g.version = 1",
    ) == len(source)
    audit = empty_conn.execute(
        "SELECT actor, entity_id, after FROM audit_log WHERE action = 'import.grids'"
    ).fetchall()
    assert audit == [
        ("test:io", f"grids.{fmt}", {"file": f"grids.{fmt}", "rows": len(source),
                                      "counts": r.counts})
    ]  # fmt: skip
    # The same file again changes nothing.
    again = dio.import_grids(exported / f"grids.{fmt}", conn=empty_conn, actor="test:io")
    assert again.counts["unchanged"] == len(source)


def test_reimport_versions_changed_grids(
    exported: Path, conn: psycopg.Connection, tmp_path: Path
) -> None:
    import geopandas as gpd

    frame = gpd.read_file(exported / "grids.gpkg")
    frame.loc[0, "households"] = int(frame.loc[0, "households"]) + 1
    frame.loc[1, "geometry"] = shapely.buffer(frame.loc[1, "geometry"], -0.0001)
    frame.to_file(tmp_path / "changed.gpkg", driver="GPKG")
    n = _one(conn, "SELECT count(*) FROM grids")
    r = dio.import_grids(tmp_path / "changed.gpkg", conn=conn, actor="test:io")
    assert r.counts["replaced"] == 2 and r.counts["unchanged"] == len(frame) - 2
    assert _one(conn, "SELECT count(*) FROM grids") == n + 2
    code = frame.loc[0, "code"]
    hist = conn.execute(
        "SELECT version, valid_to IS NULL, households FROM grids WHERE code = %(c)s "
        "ORDER BY version",
        {"c": code},
    ).fetchall()
    assert [h[:2] for h in hist] == [(1, False), (2, True)]
    assert hist[1][2] == hist[0][2] + 1
    # A second change in the same transaction updates that new row in place.
    r2 = dio.import_grids(exported / "grids.gpkg", conn=conn, actor="test:io")
    assert r2.counts["updated"] == 2
    assert _one(conn, "SELECT count(*) FROM grids") == n + 2


def test_rejected_import_leaves_tables_unchanged(
    exported: Path, conn: psycopg.Connection, tmp_path: Path
) -> None:
    import geopandas as gpd

    frame = gpd.read_file(exported / "grids.geojson")
    x, y = shapely.get_coordinates(frame.geometry.iloc[3])[0]
    frame.loc[3, "geometry"] = shapely.Polygon(
        [(x, y), (x + 0.001, y + 0.001), (x + 0.001, y), (x, y + 0.001), (x, y)]
    )
    frame.loc[5, "community_code"] = "430202999999"
    frame.to_file(tmp_path / "bad.geojson")
    before = conn.execute(
        "SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM audit_log)"
    ).fetchone()
    with pytest.raises(ImportRejected) as exc:
        dio.import_grids(tmp_path / "bad.geojson", conn=conn, actor="test:io")
    assert "bad.geojson row 4: invalid geometry (Self-intersection" in exc.value.user_message
    assert (
        "bad.geojson row 6, column community_code: community 430202999999 is not in "
        "admin_units" in exc.value.user_message
    )
    after = conn.execute(
        "SELECT (SELECT count(*) FROM grids), (SELECT count(*) FROM audit_log)"
    ).fetchone()
    assert before == after


def test_failure_after_writing_rolls_everything_back(
    exported: Path, conn: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geopandas as gpd

    frame = gpd.read_file(exported / "grids.gpkg")
    frame["households"] = frame["households"] + 7  # every grid changes
    frame.to_file(tmp_path / "all.gpkg", driver="GPKG")
    before = _one(conn, "SELECT sum(households) || '/' || count(*) FROM grids")

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_write, "audit", boom)
    with pytest.raises(RuntimeError):
        dio.import_grids(tmp_path / "all.gpkg", conn=conn, actor="test:io")
    assert _one(conn, "SELECT sum(households) || '/' || count(*) FROM grids") == before


def test_region_check_uses_the_city(conn: psycopg.Connection) -> None:
    bbox = _write.region_of(conn)
    assert bbox is not None
    city = conn.execute(
        "SELECT ST_XMin(geom), ST_YMin(geom) FROM admin_units WHERE level = 'city'"
    ).fetchone()
    assert city is not None
    assert 0.015 < city[0] - bbox[0] < 0.025 and 0.017 < city[1] - bbox[1] < 0.019  # ~2 km


def test_platforms_and_units_from_csv(conn: psycopg.Connection, tmp_path: Path) -> None:
    g = conn.execute(
        "SELECT code, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)), path::text "
        "FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 2"
    ).fetchall()
    (pcsv := tmp_path / "platforms.csv").write_text(
        "code,name,lon,lat,members,vehicles,grids\n"
        f"KJ901,测试快警平台,{g[0][1]},{g[0][2]},30,8,{g[0][0]};{g[1][0]}\n",
        encoding="utf-8-sig",
    )
    r = dio.import_platforms_csv(pcsv, conn=conn, actor="test:io")
    assert r.counts == {"inserted": 1, "updated": 0, "grid_links": 2}
    pid, path, h3 = conn.execute(
        "SELECT id, path::text, h3 FROM platforms WHERE code = 'KJ901'"
    ).fetchone()  # type: ignore[misc]
    assert g[0][3].startswith(path) and path.count(".") == 1  # the district
    assert h3 > 0
    assert (
        _one(conn, "SELECT count(*) FROM platform_grids WHERE platform_id = %(p)s", {"p": pid}) == 2
    )
    (ucsv := tmp_path / "units.csv").write_text(
        "call_sign,type,agency,platform,grid_code,lon,lat\n"
        f"测试1,patrol_car,police,KJ901,,{g[0][1]},{g[0][2]}\n"
        f"测试2,grid_worker,grid,,{g[1][0]},,\n",
        encoding="utf-8",
    )
    r = dio.import_units_csv(ucsv, conn=conn, actor="test:io")
    assert r.counts == {"inserted": 2, "updated": 0}
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT call_sign, platform_id, status, h3 IS NOT NULL, position_time IS NOT NULL, "
            "path::text FROM units WHERE call_sign LIKE '测试%%'"
        )
    }
    assert rows["测试1"] == (pid, "available", True, True, path)
    assert rows["测试2"] == (None, "available", False, False, g[1][3])  # the grid's path
    audit = conn.execute(
        "SELECT action FROM audit_log WHERE entity = 'import' ORDER BY id DESC LIMIT 2"
    ).fetchall()
    assert audit == [("import.units",), ("import.platforms",)]


def test_sample_files_import(conn: psycopg.Connection) -> None:
    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    assert dio.import_platforms_csv(samples / "platforms.csv", conn=conn, actor="t").rows == 2
    r = dio.import_units_csv(samples / "units.csv", conn=conn, actor="t")
    assert r.counts == {"inserted": 3, "updated": 0}
    again = dio.import_units_csv(samples / "units.csv", conn=conn, actor="t")
    assert again.counts == {"inserted": 0, "updated": 3}
    assert (
        _one(
            conn,
            "SELECT count(*) FROM units u JOIN platforms p ON p.id = u.platform_id "
            "WHERE p.code IN ('KJ901', 'KJ902')",
        )
        == 2
    )


# --- OSM: a tiny .osm.pbf written by hand (protobuf + zlib) and the same data as .osm XML ---

NODES = {
    1: (113.140, 27.840),
    2: (113.145, 27.840),
    3: (113.150, 27.841),
    4: (113.140, 27.850),
    5: (113.142, 27.850),
    6: (113.142, 27.852),
    7: (113.140, 27.852),
    8: (113.150, 27.850),
    9: (113.152, 27.850),
    10: (113.152, 27.852),
    11: (116.39, 39.90),
    12: (116.40, 39.90),
}  # fmt: skip  (11, 12: Beijing, left out)
WAYS = [
    (101, [1, 2], {"highway": "primary", "name": "建设路", "maxspeed": "50"}),
    (102, [2, 3], {"highway": "secondary", "bridge": "yes", "oneway": "yes"}),
    (103, [1, 4], {"highway": "construction"}),
    (104, [4, 5, 6, 7, 4], {"natural": "water", "water": "lake", "name": "神农湖"}),
    (105, [8, 9, 10, 8], {"waterway": "riverbank"}),
    (106, [11, 12], {"highway": "primary", "name": "长安街"}),
]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num: int, data: bytes) -> bytes:  # length-delimited
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def _uint(num: int, n: int) -> bytes:
    return _varint(num << 3) + _varint(n)


def _zz(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _blob(kind: str, payload: bytes) -> bytes:
    blob = _uint(2, len(payload)) + _field(3, zlib.compress(payload))
    header = _field(1, kind.encode()) + _uint(3, len(blob))
    return struct.pack(">I", len(header)) + header + blob


def osm_pbf() -> bytes:
    strings = [""]

    def sid(s: str) -> int:
        if s not in strings:
            strings.append(s)
        return strings.index(s)

    nodes = b"".join(
        _field(
            1, _uint(1, _zz(i)) + _uint(8, _zz(round(lat * 1e7))) + _uint(9, _zz(round(lon * 1e7)))
        )
        for i, (lon, lat) in NODES.items()
    )
    ways = b""
    for wid, refs, tags in WAYS:
        deltas = [refs[0]] + [b - a for a, b in zip(refs, refs[1:], strict=False)]
        ways += _field(
            3,
            _uint(1, wid)
            + _field(2, b"".join(_varint(sid(k)) for k in tags))
            + _field(3, b"".join(_varint(sid(v)) for v in tags.values()))
            + _field(8, b"".join(_varint(_zz(d)) for d in deltas)),
        )
    table = _field(1, b"".join(_field(1, s.encode()) for s in strings))
    block = table + _field(2, nodes) + _field(2, ways) + _uint(17, 100)
    return _blob("OSMHeader", _field(4, b"OsmSchema-V0.6")) + _blob("OSMData", block)


def osm_xml() -> str:
    return _osmxml.osm_xml(NODES, WAYS)


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm"])
def test_roads_and_water_from_osm(suffix: str, conn: psycopg.Connection, tmp_path: Path) -> None:
    path = tmp_path / f"city{suffix}"
    if suffix == ".osm.pbf":
        path.write_bytes(osm_pbf())
    else:
        path.write_text(osm_xml(), encoding="utf-8")
    n_water = _one(conn, "SELECT count(*) FROM water")
    r = dio.import_roads(path, conn=conn, actor="test:io", replace=True)
    assert r.counts["inserted"] == 2 and r.counts["deleted"] > 0
    roads = conn.execute(
        "SELECT name, class, bridge, oneway, speed_kmh, ST_NPoints(geom) FROM roads ORDER BY class"
    ).fetchall()
    assert roads == [("建设路", "primary", False, False, 50.0, 2),
                     (None, "secondary", True, True, None, 2)]  # fmt: skip
    w = dio.import_water(path, conn=conn, actor="test:io")
    assert w.counts == {"inserted": 2, "deleted": 0}
    kinds = conn.execute(
        "SELECT name, kind, ST_GeometryType(geom) FROM water ORDER BY id DESC LIMIT 2"
    ).fetchall()
    assert sorted(kinds, key=str) == sorted(
        [("神农湖", "lake", "ST_MultiPolygon"), (None, "river", "ST_MultiPolygon")], key=str
    )
    assert _one(conn, "SELECT count(*) FROM water") == n_water + 2


@pytest.mark.parametrize("fmt", ["csv", "geojson", "gpkg", "shp"])
def test_export_incidents(fmt: str, conn: psycopg.Connection, tmp_path: Path) -> None:
    since = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    want = _one(conn, "SELECT count(*) FROM incidents WHERE reported_at >= %(s)s", {"s": since})
    path = tmp_path / f"incidents.{fmt}"
    assert dio.export_incidents(path, conn=conn, since=since) == want
    if fmt == "csv":
        with path.open(encoding="utf-8-sig") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == want and {"lon", "lat", "number", "category"} <= rows[0].keys()
        assert "reporter_phone" not in rows[0]
        assert 112 < float(rows[0]["lon"]) < 114 and 27 < float(rows[0]["lat"]) < 29
    else:
        import pyogrio

        info = pyogrio.read_info(path)
        assert info["features"] == want and info["geometry_type"] == "Point"
        if fmt == "shp":
            assert max(len(f) for f in info["fields"]) <= 10 and "descr" in info["fields"]


def test_cli(
    cluster: object, exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = fresh_database(cluster, "gd_io_cli")  # type: ignore[arg-type]
    grids = str(exported / "grids.shp")
    # No admin units yet: refused, exit status 2, the reason on stderr.
    assert cli(["import", "grids", grids, "--db", db]) == 2
    assert "import admin units first" in capsys.readouterr().err
    assert cli(["import", "grids", grids, "--db", db, "--map", "nonsense"]) == 2
    assert "--map wants SOURCE=OURS" in capsys.readouterr().err
    assert cli(["import", "admin-units", str(exported / "admin.shp"), "--db", db]) == 0
    assert cli(["import", "grids", grids, "--db", db, "--actor", "cli:test"]) == 0
    assert "rows imported as grids (new " in capsys.readouterr().out
    (bad := tmp_path / "bad.csv").write_text("code,name,lon,lat\nKJ1,x,27.8,113.1\n")
    assert cli(["import", "platforms", str(bad), "--db", db]) == 2
    assert "bad.csv line 2: latitude/longitude look swapped" in capsys.readouterr().err
    assert cli(["export", "grids", str(tmp_path / "out.gpkg"), "--db", db]) == 0
    n = int(capsys.readouterr().out.split(": ")[1].split()[0])
    with connect(db) as c:
        assert n == _one(c, "SELECT count(*) FROM grids") > 0
        assert _one(c, "SELECT actor FROM audit_log WHERE action = 'import.grids'") == "cli:test"
