"""The place search against the tiny demo city in PostGIS."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from geo.errors import InvalidInput, OutsideJurisdiction
from geo.places import Place, city_bbox, locate


def first_grid(conn: psycopg.Connection) -> tuple[int, str, str]:
    row = conn.execute(
        "SELECT id, code, name FROM grids WHERE valid_to IS NULL ORDER BY code LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def inside(conn: psycopg.Connection, table: str, code: str, p: Place) -> bool:
    row = conn.execute(
        sql.SQL(
            "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)) "
            "FROM {t} WHERE code = %(c)s{current}"
        ).format(t=sql.Identifier(table),
                 current=sql.SQL(" AND valid_to IS NULL" if table == "grids" else "")),  # fmt: skip
        {"x": p.lon, "y": p.lat, "c": code},
    ).fetchone()
    return bool(row and row[0])


def test_city_bbox_is_the_city_extent(conn: psycopg.Connection) -> None:
    box = city_bbox(conn=conn)
    assert box is not None
    minx, miny, maxx, maxy = box
    assert 113.0 < minx < maxx < 113.3 and 27.7 < miny < maxy < 27.9


def test_grid_code_goes_to_a_point_inside_the_grid(conn: psycopg.Connection) -> None:
    _, code, name = first_grid(conn)
    places = locate(conn=conn, text=f"  {code} ")
    assert len(places) == 1
    p = places[0]
    assert (p.kind, p.code) == ("grid", code) and name in p.label
    assert inside(conn, "grids", code, p)


def test_admin_code_is_found_too(conn: psycopg.Connection) -> None:
    code, name = conn.execute(
        "SELECT code, name FROM admin_units WHERE level = 'street' ORDER BY code LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    [p] = locate(conn=conn, text=code)
    assert (p.kind, p.code) == ("street", code) and name in p.label
    assert inside(conn, "admin_units", code, p)


def test_names_exact_first_then_shorter(conn: psycopg.Connection) -> None:
    code, community = conn.execute(
        "SELECT code, name FROM admin_units WHERE level = 'community' ORDER BY code LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    places = locate(conn=conn, text=community)
    assert places[0] == Place(places[0].kind, community, places[0].lon, places[0].lat, code)
    assert places[0].kind == "community" and inside(conn, "admin_units", code, places[0])
    # Its grids are named after it ("<community>第1网格"): they follow, shortest first.
    assert len(places) > 1 and all(community in p.label for p in places)
    assert [len(p.label) for p in places[1:]] == sorted(len(p.label) for p in places[1:])
    stem = community[:2]
    partial = locate(conn=conn, text=stem, limit=3)
    assert len(partial) == 3 and all(stem in p.label for p in partial)
    assert [len(p.label) for p in partial] == sorted(len(p.label) for p in partial)


def test_every_kind_is_found_by_name(conn: psycopg.Connection) -> None:
    for level in ("district", "street", "community"):
        code, name = conn.execute(
            "SELECT code, name FROM admin_units WHERE level = %(l)s ORDER BY code LIMIT 1",
            {"l": level},
        ).fetchone()  # type: ignore[misc]
        assert (locate(conn=conn, text=name)[0].kind, locate(conn=conn, text=name)[0].code) == (
            level,
            code,
        )


def test_case_insensitive_and_like_wildcards_are_literal(conn: psycopg.Connection) -> None:
    gid, code, _ = first_grid(conn)
    conn.execute(
        "UPDATE grids SET name = %(n)s WHERE id = %(i)s", {"n": "Riverside 50%_Market", "i": gid}
    )
    for text in ("riverside", "RIVERSIDE 50", "50%_m", "%_market", "%", "_"):
        hits = locate(conn=conn, text=text)  # "%" and "_" match themselves, not everything
        assert [p.code for p in hits] == [code], text
    for text in ("50_%", "side%Mar", "\\", "0%%"):
        assert locate(conn=conn, text=text) == [], text


def test_closed_grid_versions_are_not_found(conn: psycopg.Connection) -> None:
    conn.execute(
        "INSERT INTO grids (code, name, type, community_code, path, geom, valid_from, valid_to) "
        "SELECT '439999999999999', 'Forgotten Lane Grid', type, community_code, path, geom, "
        "now() - interval '2 days', now() - interval '1 day' FROM grids LIMIT 1"
    )
    assert locate(conn=conn, text="Forgotten Lane") == []
    assert locate(conn=conn, text="439999999999999") == []


def test_nothing_found_is_an_empty_list(conn: psycopg.Connection) -> None:
    assert locate(conn=conn, text="无此地名") == []
    assert locate(conn=conn, text="113.13") == []


def test_coordinates(conn: psycopg.Connection) -> None:
    box = city_bbox(conn=conn)
    assert box is not None
    lon, lat = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    [p] = locate(conn=conn, text=f"{lon:.6f}, {lat:.6f}")
    assert p.kind == "point" and (p.lon, p.lat) == pytest.approx((lon, lat), abs=1e-6)
    [q] = locate(conn=conn, text=f"{lat:.6f}，{lon:.6f}")
    assert (q.lon, q.lat) == pytest.approx((lon, lat), abs=1e-6) and "lat, lon" in q.label
    with pytest.raises(OutsideJurisdiction, match="outside the region"):
        locate(conn=conn, text="120.15 30.28")  # Hangzhou
    with pytest.raises(OutsideJurisdiction, match="outside the region"):
        locate(conn=conn, text="30.28、120.15")
    with pytest.raises(InvalidInput, match="longitude in"):
        locate(conn=conn, text="500, 400")
    # A caller-given region wins over the city's extent.
    [h] = locate(conn=conn, text="120.15 30.28", bbox=(120.0, 30.0, 120.5, 30.5))
    assert (h.lon, h.lat) == (120.15, 30.28)


@pytest.mark.parametrize("text", ["", "   ", "x" * 101, "a\x00b", "grid\n1"])
def test_bad_text_is_refused(conn: psycopg.Connection, text: str) -> None:
    with pytest.raises(InvalidInput):
        locate(conn=conn, text=text)


def test_long_text_after_strip_is_fine(conn: psycopg.Connection) -> None:
    assert locate(conn=conn, text=" " * 50 + "y" * 100 + " " * 50) == []
