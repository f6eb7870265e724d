"""Reports: the periods, the figures, and a self-contained HTML file that needs no network."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import psycopg
import pytest

from console.pages import report as cli
from geo import reports
from geo.errors import InvalidInput

AT = dt.datetime(2026, 11, 22, 16, 0, tzinfo=reports.LOCAL)  # a Sunday


def test_periods_are_whole_local_days_weeks_and_months() -> None:
    day = reports.period_window("day", AT)
    assert day == (dt.datetime(2026, 11, 21, tzinfo=reports.LOCAL),
                   dt.datetime(2026, 11, 22, tzinfo=reports.LOCAL))  # fmt: skip
    week = reports.period_window("week", AT)
    assert week[0].weekday() == 0 and week[1] - week[0] == dt.timedelta(days=7)
    assert week[1] == dt.datetime(2026, 11, 16, tzinfo=reports.LOCAL)
    month = reports.period_window("month", AT)
    assert month == (dt.datetime(2026, 10, 1, tzinfo=reports.LOCAL),
                     dt.datetime(2026, 11, 1, tzinfo=reports.LOCAL))  # fmt: skip
    with pytest.raises(InvalidInput):
        reports.period_window("year", AT)


def latest(conn: psycopg.Connection) -> dt.datetime:
    row = conn.execute("SELECT max(reported_at) FROM incidents").fetchone()
    assert row is not None
    return row[0] + dt.timedelta(days=1)


def test_the_report_figures_add_up(conn: psycopg.Connection) -> None:
    data = reports.gather(conn=conn, period="month", at=latest(conn))
    n = conn.execute(
        "SELECT count(*) FROM incidents WHERE reported_at >= %s AND reported_at < %s",
        (data.start, data.end),
    ).fetchone()
    assert n is not None and data.total.reported == n[0] > 0
    assert int(data.districts["reported"].sum()) == data.total.reported
    assert int(data.categories["count"].sum()) == data.total.reported
    assert data.hexbins.total == data.total.reported
    assert len(data.workers) > 0 and list(data.workers["rank"]) == list(
        range(1, len(data.workers) + 1)
    )
    assert data.workers["score"].is_monotonic_decreasing


def test_the_html_report_opens_offline(conn: psycopg.Connection, tmp_path: Path) -> None:
    out = cli.build(conn, "week", latest(conn), tmp_path / "week.html", "en")
    page = out.read_text(encoding="utf-8")
    assert "Weekly analysis" in page and "L.map(" in page and "By district" in page
    assert re.search(r"<script[^>]*\ssrc=", page) is None  # every script is inline
    assert re.search(r"<link[^>]*href=[\"']?https?:", page) is None
    assert re.search(r"url\(\s*[\"']?https?:", page) is None
    assert "@import" not in page
    assert "leafletjs.com" not in page.split("<script>")[0]  # no attribution link either


def test_a_quiet_period_still_makes_a_report(conn: psycopg.Connection, tmp_path: Path) -> None:
    """A day with no case at all: tiles of zeros, no map layer, no error."""
    quiet = dt.datetime(2001, 1, 2, tzinfo=dt.UTC)
    page = cli.build(conn, "day", quiet, tmp_path / "d.html", "en").read_text(encoding="utf-8")
    assert "L.map(" in page and "Daily review" in page


def test_xlsx_and_csv(conn: psycopg.Connection, tmp_path: Path) -> None:
    x = cli.build(conn, "month", latest(conn), tmp_path / "m.xlsx", "zh-CN")
    book = openpyxl.load_workbook(x)
    assert book.sheetnames == ["districts", "categories", "workers", "platforms", "overdue"]
    assert book["workers"].max_row > 1
    assert book["districts"].max_row > 1
    c = cli.build(conn, "month", latest(conn), tmp_path / "m.csv", "zh-CN")
    text = c.read_text(encoding="utf-8")
    assert text.startswith("\ufeffname,reported,closed")
    with pytest.raises(ValueError, match=".html"):
        cli.build(conn, "month", latest(conn), tmp_path / "m.pdf", "zh-CN")
