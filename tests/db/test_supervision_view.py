"""The supervision page's two views, without Dash: the figures of a window agree with SQL
counts, and the hexagons with the figures; a filter applies to both."""

from __future__ import annotations

import datetime as dt

import psycopg

from geo import kpis, supervision


def _window(conn: psycopg.Connection, days: int) -> tuple[dt.datetime, dt.datetime]:
    latest = conn.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]  # type: ignore[index]
    end = latest + dt.timedelta(seconds=1)
    return end - dt.timedelta(days=days), end


def _count(conn: psycopg.Connection, start: dt.datetime, end: dt.datetime,
           priority: str | None = None) -> int:  # fmt: skip
    return int(conn.execute(
        "SELECT count(*) FROM incidents WHERE reported_at >= %s AND reported_at < %s "
        "AND (%s::text IS NULL OR priority = %s)", (start, end, priority, priority),
    ).fetchone()[0])  # type: ignore[index]  # fmt: skip


def test_figures_and_hexes_agree_with_sql(conn: psycopg.Connection) -> None:
    start, end = _window(conn, 30)
    w = kpis.parse_weights("closure=30,on_time=30,satisfaction=20,reports=20")
    v = supervision.figures(conn=conn, start=start, end=end, filters={}, group="district",
                            weights=w)  # fmt: skip
    assert v.now.reported == _count(conn, start, end) > 0
    assert v.before.reported == _count(conn, start - (end - start), start)
    assert int(v.table["reported"].sum()) == v.now.reported
    h = supervision.hexes(conn=conn, start=start, end=end, filters={}, res=8, mode="count")
    assert h.total == v.now.reported and int(h.values.sum()) == h.total and h.name == "n"
    red = supervision.figures(conn=conn, start=start, end=end, filters={"priority": ["red"]},
                              group="grid", weights=w)  # fmt: skip
    hr = supervision.hexes(conn=conn, start=start, end=end, filters={"priority": ["red"]},
                           res=8, mode="count")  # fmt: skip
    assert red.now.reported == hr.total == _count(conn, start, end, "red") < v.now.reported


def test_change_and_hot_spot_modes(conn: psycopg.Connection) -> None:
    start, end = _window(conn, 30)
    d = supervision.hexes(conn=conn, start=start, end=end, filters={}, res=8, mode="diff")
    before = _count(conn, start - (end - start), start)
    assert d.name == "d" and int(d.values.sum()) == d.total - before
    hot = supervision.hexes(conn=conn, start=start, end=end, filters={}, res=8, mode="hot")
    assert hot.name == "lv" and set(map(int, hot.values)) <= {-99, -95, -90, 90, 95, 99}
    assert set(hot.hot) <= set(map(int, hot.cells))
