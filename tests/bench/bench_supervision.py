"""Supervision heatmaps at 1,000,000 incidents.

The city database holds about 100,000 incidents over a year; inside one transaction that is
rolled back at the end, copies of them (shifted by whole days and wrapped into the same year,
numbers made unique) bring the table to 1,000,000 rows with every index in place, then ANALYZE.

heatmap_30d_ms: ``geo.analytics.hexbins`` at resolution 9 over the last 30 days, whole city,
no filter; median of 10. Baseline ``pandas_groupby_ms``: the same counts from a DataFrame of
all 1,000,000 (reported_at, h3) rows already in memory (filter, parent cell by the same bit
arithmetic, groupby). ``heatmap_kb``: the GeoJSON the supervision page receives for the whole
city at its opening zoom (12, resolution 7), and for resolution 9 as a baseline.

monthly_report_s: ``console.pages.report.build`` of the monthly assessment (the last whole month
before the newest case) as one offline HTML file, at city scale (the 1M copies rolled back),
median of 3. Baseline ``monthly_xlsx_s``: the same report as XLSX.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from psycopg import sql

from console.pages import report
from geo import analytics
from geo.db import connect
from geo.h3index import parent_cells
from layers import heatmap
from tests.bench._harness import Context, Result, Timing, timed

NAMES = ("heatmap_30d_ms", "heatmap_kb", "monthly_report_s")
QUICK = True

TARGET_ROWS = 1_000_000
COLUMNS = sql.SQL(
    "source, category, class, priority, description, geom, h3, grid_id, grid_code, path, "
    "status, dispatched_at, accepted_at, on_scene_at, resolved_at, closed_at, respond_due, "
    "arrive_due, report_due, close_due"
)


def run(ctx: Context) -> list[Result]:
    with connect(ctx.conninfo) as conn:
        have = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]  # type: ignore[index]
        copies = max(0, -(-(TARGET_ROWS - have) // max(have, 1)))
        t0 = time.perf_counter()
        latest = conn.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]  # type: ignore[index]
        for k in range(1, copies + 1):  # each copy shifted by whole days, wrapped into the year
            conn.execute(
                sql.SQL(
                    "INSERT INTO incidents (number, reported_at, {cols}) "
                    "SELECT number || '-c' || %(k)s, %(latest)s - make_interval(secs => "
                    "mod(extract(epoch FROM %(latest)s - reported_at)::bigint "
                    "+ ((id * 7 + %(k)s * 37) %% 365) * 86400, 365 * 86400)), "
                    "{cols} FROM incidents WHERE number NOT LIKE '%%-c%%' LIMIT %(n)s"
                ).format(cols=COLUMNS),
                {"k": k, "latest": latest, "n": min(have, TARGET_ROWS - have * k)},
            )
        conn.execute("ANALYZE incidents")
        fill_s = time.perf_counter() - t0
        rows = conn.execute("SELECT count(*), max(reported_at) FROM incidents").fetchone()
        assert rows is not None
        total, latest = rows
        end = latest + dt.timedelta(seconds=1)
        start = end - dt.timedelta(days=30)
        times, h = [], None
        for _ in range(11):
            t = time.perf_counter()
            h = analytics.hexbins(conn=conn, res=9, start=start, end=end)
            times.append(time.perf_counter() - t)
        assert h is not None
        heat = Timing.of(times[1:], scale=1000)
        frame = pd.DataFrame(
            conn.execute("SELECT extract(epoch FROM reported_at), h3 FROM incidents").fetchall(),
            columns=["t", "h3"],
        )
        city = analytics.hexbins(conn=conn, res=7, start=start, end=end)
        conn.rollback()
    t_arr = frame["t"].to_numpy(float)
    h_arr = frame["h3"].to_numpy(np.int64)
    base = []
    for _ in range(5):
        t = time.perf_counter()
        inside = (t_arr >= start.timestamp()) & (t_arr < end.timestamp())
        counts = pd.Series(parent_cells(h_arr[inside], 9)).value_counts().sort_index()
        base.append(time.perf_counter() - t)
    assert counts.to_numpy().sum() == h.total and np.array_equal(counts.index.to_numpy(), h.cells)
    with connect(ctx.conninfo) as conn, tempfile.TemporaryDirectory() as tmp:
        at = conn.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]  # type: ignore[index]
        html, out = timed(
            lambda: report.build(conn, "month", at, Path(tmp) / "m.html", "zh-CN"), repeats=3
        )
        size_kb = out.stat().st_size / 1024
        xlsx, _ = timed(
            lambda: report.build(conn, "month", at, Path(tmp) / "m.xlsx", "zh-CN"), repeats=3
        )
    kb = len(json.dumps(heatmap.hexagons(city.cells, city.counts), separators=(",", ":"))) / 1024
    kb9 = len(json.dumps(heatmap.hexagons(h.cells, h.counts), separators=(",", ":"))) / 1024
    return [
        Result(
            "heatmap_30d_ms",
            heat.median,
            "ms",
            "<= 150",
            heat.median <= 150,
            {"pandas_groupby_ms": 1000 * statistics.median(base)},
            f"{total:,} incidents ({fill_s:.0f} s to fill, rolled back), {h.total:,} in the "
            f"window, {len(h.cells):,} hexagons at res 9",
            heat.spread(),
        ),
        Result(
            "heatmap_kb",
            kb,
            "KB",
            "<= 300",
            kb <= 300,
            {"res9_whole_city_kb": kb9},
            f"whole city at the opening zoom: {len(city.cells):,} hexagons at res 7 (GeoJSON)",
        ),
        Result(
            "monthly_report_s",
            html.median,
            "s",
            "<= 10",
            html.median <= 10,
            {"monthly_xlsx_s": xlsx.median},
            f"one offline HTML file of {size_kb:,.0f} KB (Leaflet inlined), on the city's "
            f"{have:,} incidents",
            html.spread(),
        ),
    ]
