"""What the supervision page shows, as two plain views (no Dash): the figures of a window
(:func:`figures`: KPI tiles against the window before, the table by a grouping, the workers'
assessment, the trend) and the map's hexagons (:func:`hexes`: counts, change, or hot spots).
The map follows the view (zoom and bounds); the figures do not, so panning recomputes only
the hexagons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import psycopg

from geo import analytics, kpis

MODES = ("count", "diff", "hot")


@dataclass(frozen=True)
class Figures:
    """The figures of one window and area."""

    start: dt.datetime
    end: dt.datetime
    now: kpis.Kpis  # the window
    before: kpis.Kpis  # the window of the same length just before
    table: pd.DataFrame  # KPIs by the grouping, one row per group
    assessment: pd.DataFrame  # the workers' scores, best first
    trend: pd.DataFrame  # reported, closed and the rates per hour (a day) or per day


@dataclass(frozen=True)
class HexView:
    """The map's hexagons: ``values`` per cell, named ``name`` (n: count, d: change, lv: hot
    or cold spot level), and the cells of the hot spots (for a patrol task)."""

    res: int
    cells: npt.NDArray[np.int64]
    values: npt.NDArray[np.int64]
    name: str
    total: int
    count_cells: int
    hot: list[int]


def figures(
    *,
    conn: psycopg.Connection,
    start: dt.datetime,
    end: dt.datetime,
    filters: Mapping[str, Sequence[str]],
    group: str,
    weights: Mapping[str, float],
    tz: str = "Asia/Shanghai",
) -> Figures:
    """The figures of the cases reported in [start, end) that pass ``filters``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction; its jurisdiction limits the cases).
    start, end : datetime
        The window (time-zone aware).
    filters : mapping
        Allowed values by column (``analytics.FILTERS``); an absent column is not filtered.
    group : str
        The table's grouping (``kpis.GROUPS``).
    weights : mapping
        The assessment's weights (``kpis.parse_weights``).
    tz : str
        Time zone (IANA name) of the trend's hours and days.

    Returns
    -------
    Figures
        The window's KPIs and the window before's, the table, the assessment, the trend.
    """
    before = start - (end - start)
    both = kpis.frame(conn=conn, start=before, end=end, filters=filters)
    now_part = both["reported_at"] >= start
    f = both[now_part]
    freq = "h" if end - start <= dt.timedelta(days=1) else "D"
    return Figures(
        start=start,
        end=end,
        now=kpis.compute(f, end),
        before=kpis.compute(both[~now_part], start),
        table=kpis.table(f, kpis.group_key(f, group), end),
        assessment=kpis.assessment(f, "worker", end, dict(weights)),
        trend=kpis.trend(f, end, freq, tz),
    )


def hexes(
    *,
    conn: psycopg.Connection,
    start: dt.datetime,
    end: dt.datetime,
    filters: Mapping[str, Sequence[str]],
    res: int,
    mode: str,
    bbox: tuple[float, float, float, float] | None = None,
    universe: npt.NDArray[np.int64] | None = None,
) -> HexView:
    """The map's hexagons of the cases reported in [start, end) that pass ``filters``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    start, end : datetime
        The window (time-zone aware).
    filters : mapping
        Allowed values by column, as for :func:`figures`.
    res : int
        H3 resolution (``analytics.HEX_RES``).
    mode : str
        ``count``, ``diff`` (change against the window before) or ``hot`` (Getis-Ord Gi*).
    bbox : tuple of float, optional
        (west, south, east, north): only hexagons in view (for the fine resolutions).
    universe : ndarray, optional
        Every cell of the study area (``analytics.city_cells``); needed for ``hot``.

    Returns
    -------
    HexView
        The cells and their values, and the hot spots' cells.
    """
    flt: dict[str, Sequence[str]] = {k: list(v) for k, v in filters.items()}
    h = analytics.hexbins(conn=conn, res=res, start=start, end=end, filters=flt, bbox=bbox)
    hot: list[int] = []
    if mode == "diff":
        prev = analytics.hexbins(conn=conn, res=res, start=start - (end - start), end=start,
                                 filters=flt, bbox=bbox)  # fmt: skip
        cells, values = analytics.difference(h, prev)
        name = "d"
    elif mode == "hot":
        if universe is None:
            universe = analytics.city_cells(conn=conn, res=res)
        spots = analytics.getis_ord(universe, h)
        keep = spots.level != 0
        cells, values, name = spots.cells[keep], spots.level[keep], "lv"
        hot = [int(c) for c in spots.cells[spots.level > 0]]
    else:
        cells, values, name = h.cells, h.counts, "n"
    return HexView(res, cells, values, name, h.total, len(h.cells), hot)
