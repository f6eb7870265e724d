"""Daily review, weekly analysis, monthly assessment (日点评 / 周研判 / 月考核): the figures.

A report covers the last whole day, ISO week or calendar month (in the time zone ``tz``,
Asia/Shanghai unless told) before ``at`` and compares it with the one before. Rendering (HTML,
CSV, XLSX) is ``layers.report``'s job.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg
from psycopg import sql

from geo import analytics, kpis
from geo.errors import InvalidInput

LOCAL = ZoneInfo("Asia/Shanghai")  # the default zone of the periods
PERIODS = ("day", "week", "month")


def period_window(
    period: str, at: dt.datetime, tz: str = "Asia/Shanghai"
) -> tuple[dt.datetime, dt.datetime]:
    """The last whole day / ISO week / month before ``at``, as timezone-aware local times.

    Parameters
    ----------
    period : str
        One of ``PERIODS``: "day", "week" (Monday to Monday) or "month" (calendar month).
    at : datetime
        The time of the report (timezone-aware).
    tz : str
        Time zone (IANA name) the days, weeks and months run in.

    Returns
    -------
    tuple of datetime
        ``(start, end)`` of the period [start, end), aware in ``tz``.

    Raises
    ------
    InvalidInput
        An unknown period, or ``at`` without a time zone.
    """
    if period not in PERIODS:
        raise InvalidInput(
            f"The period must be one of {', '.join(PERIODS)}.",
            code="report.period",
            periods=", ".join(PERIODS),
        )
    if at.tzinfo is None:
        raise InvalidInput("The report time needs a time zone.", code="report.zone")
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if period == "day":
        end = midnight
        start = end - dt.timedelta(days=1)
    elif period == "week":
        end = midnight - dt.timedelta(days=midnight.weekday())
        start = end - dt.timedelta(days=7)
    else:
        end = midnight.replace(day=1)
        start = (end - dt.timedelta(days=1)).replace(day=1)
    # wall-clock midnights, placed in the zone afterwards: a daylight-saving change between
    # them does not shift the boundary off midnight
    return start.replace(tzinfo=zone), end.replace(tzinfo=zone)


@dataclass(frozen=True)
class ReportData:
    period: str
    start: dt.datetime
    end: dt.datetime
    total: kpis.Kpis
    previous: kpis.Kpis
    districts: pd.DataFrame  # one row per district: name and its KPIs
    categories: pd.DataFrame  # category, name, count, previous count
    overdue: pd.DataFrame  # the oldest open overdue cases (reported_at in ``tz``)
    hexbins: analytics.Hexbins  # resolution 8
    workers: pd.DataFrame  # the assessment (考核) of grid workers, best first
    platforms: pd.DataFrame  # and of platforms
    tz: str = "Asia/Shanghai"  # the zone of the period and of the times shown


def _row(name: str, k: kpis.Kpis) -> dict[str, object]:
    return {
        "name": name,
        "reported": k.reported,
        "closed": k.closed,
        "closure_rate": k.closure_rate,
        "on_time_rate": k.on_time_rate,
        "respond_p50_min": None if k.respond.p50_s is None else k.respond.p50_s / 60,
        "respond_in_sla": k.respond.within_pct,
        "arrive_in_sla": k.arrive.within_pct,
        "overdue": k.overdue,
        "satisfaction": k.satisfaction,
    }


def gather(
    *,
    conn: psycopg.Connection,
    period: str,
    at: dt.datetime,
    weights: dict[str, float] = kpis.WEIGHTS,
    tz: str = "Asia/Shanghai",
) -> ReportData:
    """Everything a report of ``period`` before ``at`` shows.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    period : str
        One of ``PERIODS``: "day", "week" or "month".
    at : datetime
        The time of the report (timezone-aware); the period is the last whole one before it.
    weights : dict of str to float
        The assessment weights (:func:`geo.kpis.parse_weights`).
    tz : str
        Time zone (IANA name) the period runs in and its times are given in.

    Returns
    -------
    ReportData
        The window, the KPIs of the period and of the one before, per-district KPIs, case
        counts per category, the 20 oldest overdue cases, resolution-8 hexbins, and the
        assessment of grid workers and platforms.

    Raises
    ------
    InvalidInput
        An unknown period, or ``at`` without a time zone.
    """
    start, end = period_window(period, at, tz)
    before = (
        start - (end - start)
        if period != "month"
        else (start - dt.timedelta(days=1)).replace(day=1)
    )
    f = kpis.frame(conn=conn, start=start, end=end)
    fb = kpis.frame(conn=conn, start=before, end=start)
    total, previous = kpis.compute(f, end), kpis.compute(fb, start)
    names: dict[str, str] = dict(conn.execute(
        "SELECT path::text, name FROM admin_units WHERE level = 'district'"
    ).fetchall())  # fmt: skip
    per = kpis.by(f, kpis.admin_key(f, 1), end) if len(f) else {}
    districts = pd.DataFrame([_row(names.get(p, p), k) for p, k in per.items()])
    cats = conn.execute(
        """SELECT c.code, c.name_zh, c.name_en,
                  count(*) FILTER (WHERE i.reported_at >= %(s)s) AS n,
                  count(*) FILTER (WHERE i.reported_at < %(s)s) AS before
           FROM incidents i JOIN categories c ON c.code = i.category
           WHERE i.reported_at >= %(b)s AND i.reported_at < %(e)s
           GROUP BY 1, 2, 3 ORDER BY n DESC""",
        {"s": start, "e": end, "b": before},
    ).fetchall()
    categories = pd.DataFrame(cats, columns=["category", "name_zh", "name_en", "count", "previous"])
    overdue = pd.DataFrame(
        conn.execute(
            sql.SQL("""SELECT number, category, priority, status, grid_code, reported_at
                FROM incidents i WHERE status <> 'closed' AND ({overdue})
                ORDER BY reported_at LIMIT 20""").format(overdue=kpis.OVERDUE_SQL)
        ).fetchall(),
        columns=["number", "category", "priority", "status", "grid_code", "reported_at"],
    )
    overdue["reported_at"] = pd.to_datetime(overdue["reported_at"], utc=True).dt.tz_convert(tz)
    h = analytics.hexbins(conn=conn, res=8, start=start, end=end)
    return ReportData(
        period, start, end, total, previous, districts, categories, overdue, h,
        kpis.assessment(f, "worker", end, weights), kpis.assessment(f, "platform", end, weights),
        tz,
    )  # fmt: skip
