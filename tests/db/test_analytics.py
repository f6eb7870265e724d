"""Hexbins in SQL against the same counts computed with h3 itself."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import h3
import psycopg
import pytest

from geo import analytics
from geo.errors import InvalidInput
from tests.conftest import TEST_NOW


def window(conn: psycopg.Connection, days: int) -> tuple[dt.datetime, dt.datetime]:
    latest = conn.execute("SELECT max(reported_at) FROM incidents").fetchone()
    assert latest is not None and latest[0] is not None
    end = latest[0] + dt.timedelta(seconds=1)
    return end - dt.timedelta(days=days), end


@pytest.mark.parametrize("res", [7, 9, 10])
def test_hexbins_match_h3(conn: psycopg.Connection, res: int) -> None:
    start, end = window(conn, 30)
    got = analytics.hexbins(conn=conn, res=res, start=start, end=end)
    rows = conn.execute(
        "SELECT h3 FROM incidents WHERE reported_at >= %s AND reported_at < %s", (start, end)
    ).fetchall()
    want = Counter(h3.str_to_int(h3.cell_to_parent(h3.int_to_str(r[0]), res)) for r in rows)
    assert got.total == len(rows) > 0
    assert dict(zip(got.cells.tolist(), got.counts.tolist(), strict=True)) == dict(want)


def test_filters_and_box_narrow_the_count(conn: psycopg.Connection) -> None:
    start, end = window(conn, 365)
    every = analytics.hexbins(conn=conn, res=8, start=start, end=end)
    red = analytics.hexbins(conn=conn, res=8, start=start, end=end, filters={"priority": ["red"]})
    n_red = conn.execute(
        "SELECT count(*) FROM incidents WHERE priority = 'red' AND reported_at >= %s "
        "AND reported_at < %s", (start, end)
    ).fetchone()  # fmt: skip
    assert red.total == n_red[0] < every.total  # type: ignore[index]
    box = conn.execute(
        "SELECT ST_XMin(e), ST_YMin(e), (ST_XMin(e) + ST_XMax(e)) / 2, ST_YMax(e) "
        "FROM (SELECT ST_Extent(geom) e FROM incidents) x"
    ).fetchone()
    assert box is not None
    west = analytics.hexbins(conn=conn, res=8, start=start, end=end, bbox=tuple(box))
    assert 0 < west.total < every.total


@pytest.mark.parametrize(
    "kw,words",
    [
        ({"res": 12}, "resolution"),
        ({"filters": {"reporter_phone": ["1"]}}, "Unknown filter"),
        ({"bbox": (1.0, 1.0, 0.0, 0.0)}, "box"),
        ({"start": dt.datetime(2026, 1, 1)}, "time zone"),
        ({"start": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "400 days"),
    ],
)
def test_bad_requests_are_refused(conn: psycopg.Connection, kw: dict, words: str) -> None:  # type: ignore[type-arg]
    start, end = window(conn, 30)
    args = {"res": 9, "start": start, "end": end} | kw
    with pytest.raises(InvalidInput, match=words):
        analytics.hexbins(conn=conn, **args)


def test_rings_close_and_zoom_picks_a_resolution() -> None:
    cell = h3.str_to_int(h3.latlng_to_cell(27.8, 113.1, 9))
    r = analytics.ring(cell)
    assert len(r) == 7 and r[0] == r[-1]
    assert analytics.resolution_for_zoom(12) == 7 and analytics.resolution_for_zoom(3) == 6
    assert analytics.resolution_for_zoom(20) == 10


def test_kpis_from_the_database_agree_with_sql(conn: psycopg.Connection) -> None:
    from geo import kpis

    start, end = window(conn, 90)
    f = kpis.frame(conn=conn, start=start, end=end)
    now = end
    k = kpis.compute(f, now)
    n, closed, rated = conn.execute(
        "SELECT count(*), count(closed_at), count(satisfaction) FROM incidents "
        "WHERE reported_at >= %s AND reported_at < %s",
        (start, end),
    ).fetchone()  # type: ignore[misc]
    assert (k.reported, k.closed, k.rated) == (n, closed, rated) and n > 0
    district = conn.execute("SELECT path::text FROM admin_units WHERE level = 'district' LIMIT 1")
    path = district.fetchone()[0]  # type: ignore[index]
    part = kpis.compute(kpis.frame(conn=conn, start=start, end=end, path=path), now)
    per = kpis.by(f, kpis.admin_key(f, 1), now)
    assert part.reported == per[path].reported < k.reported
    # overdue is the open cases past a deadline (挂单), never a closed one
    assert not f.loc[f["status"] == "closed", "overdue"].any()
    assert k.overdue == int(f.loc[f["status"] != "closed", "overdue"].sum())
    # every demo case units were sent to has the first of them, and its agency; one not sent
    # yet has none (cases other tests opened since, at today's date, may have units too)
    sent = f["status"] != "reported"
    demo = f["reported_at"] <= TEST_NOW
    assert f.loc[sent & demo, "unit"].notna().all() and f.loc[~sent & demo, "unit"].isna().all()
    from tests._race import double_assignments

    assert double_assignments(conn) == 0  # the history never has a unit on two cases at once
    depts = kpis.table(f, kpis.group_key(f, "department"), now)
    assert depts["reported"].sum() == f["unit"].notna().sum() and "police" in depts.index


def test_a_hexagon_lists_its_incidents_and_periods_compare(conn: psycopg.Connection) -> None:
    start, end = window(conn, 30)
    h = analytics.hexbins(conn=conn, res=8, start=start, end=end)
    top = int(h.cells[h.counts.argmax()])
    rows = analytics.incidents_in_cell(conn=conn, cell=top, res=8, start=start, end=end)
    assert len(rows) == min(int(h.counts.max()), 50)
    assert all(start <= r["reported_at"] < end for r in rows)
    before = analytics.hexbins(conn=conn, res=8, start=start - (end - start), end=start)
    cells, change = analytics.difference(h, before)
    assert int(change.sum()) == h.total - before.total
    assert set(h.cells.tolist()) | set(before.cells.tolist()) == set(cells.tolist())
