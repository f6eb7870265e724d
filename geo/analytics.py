"""Supervision analytics: incident hexbins over time (and, later, KPIs and hotspots).

Incidents carry their resolution-12 H3 cell (``incidents.h3``). A coarser cell is that one
with its resolution field set and the finer digits set to 7, which PostgreSQL computes with
two bit operations, so a hexbin is one indexed ``GROUP BY`` on the time window; no h3
extension is needed in the database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import h3
import numpy as np
import numpy.typing as npt
import psycopg
import shapely
from psycopg import sql
from psycopg.rows import dict_row
from scipy.sparse import csr_matrix

from geo.errors import InvalidInput

HEX_RES = range(6, 11)  # resolutions a heatmap may use (about 36 km² ... 0.015 km²)
MAX_WINDOW = dt.timedelta(days=400)
FILTERS = ("category", "class", "priority", "source", "status")


@dataclass(frozen=True)
class Hexbins:
    """Incident counts per H3 cell of resolution ``res`` (cells int64, counts int64)."""

    res: int
    cells: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]

    @property
    def total(self) -> int:
        """The number of incidents over all cells.

        Returns
        -------
        int
            The sum of ``counts``.
        """
        return int(self.counts.sum())


def _window(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("The time window needs a time zone.", code="analytics.window_zone")
    if not start < end or end - start > MAX_WINDOW:
        raise InvalidInput(
            "The time window must run forwards and span at most 400 days.", code="analytics.window"
        )


def filter_clauses(
    filters: Mapping[str, Sequence[str]] | None,
    where: list[sql.Composable],
    params: dict[str, object],
) -> None:
    """Add ``column = ANY(values)`` for each filter to ``where`` and its values to ``params``
    (the one filter of incidents for the heatmap and the KPIs alike).

    Parameters
    ----------
    filters : mapping of str to sequence of str, or None
        Allowed values per column of ``FILTERS`` (at most 50 each); empty: no filter.
    where : list of Composable
        The WHERE clauses so far; extended in place.
    params : dict
        The query's parameters; extended in place (keyed by the column's name).

    Raises
    ------
    InvalidInput
        A column that is not one of ``FILTERS``.
    """
    for name, allowed in (filters or {}).items():
        if name not in FILTERS:
            raise InvalidInput(
                f"Unknown filter {name!r}.", code="analytics.filter", value=str(name)[:40]
            )
        values = [str(v) for v in allowed][:50]
        if values:
            where.append(sql.SQL("{} = ANY(%({})s)").format(sql.Identifier(name), sql.SQL(name)))
            params[name] = values


def parent_sql(res: int) -> sql.Composed:
    """SQL of the resolution-``res`` parent of ``h3`` (a stored resolution-12 cell).

    Parameters
    ----------
    res : int
        The H3 resolution of the parent, one of ``HEX_RES`` (6-10).

    Returns
    -------
    psycopg.sql.Composed
        An int64 expression over the column ``h3``.

    Raises
    ------
    InvalidInput
        A resolution outside ``HEX_RES``.
    """
    if res not in HEX_RES:
        raise InvalidInput(
            f"The hexagon resolution must be {HEX_RES.start}-{HEX_RES.stop - 1}.",
            code="analytics.res",
            low=HEX_RES.start,
            high=HEX_RES.stop - 1,
        )
    keep = ~(0xF << 52) & (2**63 - 1)
    fill = (1 << (3 * (15 - res))) - 1
    return sql.SQL("((h3 & {keep}) | {res} | {fill})").format(
        keep=sql.Literal(keep), res=sql.Literal(res << 52), fill=sql.Literal(fill)
    )


def hexbins(
    *,
    conn: psycopg.Connection,
    res: int,
    start: dt.datetime,
    end: dt.datetime,
    filters: dict[str, Sequence[str]] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> Hexbins:
    """Incidents reported in [start, end) per cell, optionally filtered (``FILTERS``: each a
    list of allowed values) and limited to a (min lon, min lat, max lon, max lat) box.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    res : int
        The H3 resolution of the cells, one of ``HEX_RES`` (6-10).
    start, end : datetime
        The time window [start, end), timezone-aware, at most 400 days.
    filters : dict of str to list of str, optional
        Allowed values per column of ``FILTERS`` (at most 50 each); an empty list: no filter.
    bbox : tuple of float, optional
        ``(min lon, min lat, max lon, max lat)`` in degrees (EPSG:4326).

    Returns
    -------
    Hexbins
        The cells (sorted) and their incident counts; only cells with incidents.

    Raises
    ------
    InvalidInput
        A bad window, resolution, filter name or box.
    """
    _window(start, end)
    where: list[sql.Composable] = [sql.SQL("reported_at >= %(start)s AND reported_at < %(end)s")]
    params: dict[str, object] = {"start": start, "end": end}
    filter_clauses(filters, where, params)
    if bbox is not None:
        x0, y0, x1, y1 = (float(v) for v in bbox)
        if not (np.isfinite([x0, y0, x1, y1]).all() and x0 < x1 and y0 < y1):
            raise InvalidInput("The map box is not valid.", code="analytics.bbox")
        where.append(sql.SQL("geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)"))
        params |= {"x0": x0, "y0": y0, "x1": x1, "y1": y1}
    q = sql.SQL("SELECT {cell} AS cell, count(*) FROM incidents WHERE {where} GROUP BY 1").format(
        cell=parent_sql(res), where=sql.SQL(" AND ").join(where)
    )
    rows = conn.execute(q, params).fetchall()
    if not rows:
        return Hexbins(res, np.zeros(0, np.int64), np.zeros(0, np.int64))
    arr = np.array(rows, dtype=np.int64)
    order = np.argsort(arr[:, 0])
    return Hexbins(res, arr[order, 0], arr[order, 1])


@lru_cache(maxsize=200_000)
def ring(cell: int) -> tuple[tuple[float, float], ...]:
    """The closed outline of an H3 cell as (lon, lat) pairs, 5 decimals (about 1 m).

    Parameters
    ----------
    cell : int
        The H3 cell as an integer.

    Returns
    -------
    tuple of (float, float)
        ``(lon, lat)`` vertices in degrees, the first repeated at the end.
    """
    pts = [(round(lng, 5), round(lat, 5)) for lat, lng in h3.cell_to_boundary(h3.int_to_str(cell))]
    return (*pts, pts[0])


def resolution_for_zoom(zoom: float) -> int:
    """A hexagon size that reads well at a web-map zoom (a few pixels to tens of pixels).

    Parameters
    ----------
    zoom : float
        The web-map zoom level.

    Returns
    -------
    int
        An H3 resolution of ``HEX_RES`` (zoom - 5, clamped to 6-10).
    """
    return int(min(max(round(zoom) - 5, HEX_RES.start), HEX_RES.stop - 1))


# --- hotspots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hotspots:
    """Getis-Ord Gi* per cell of ``cells``: z-score and significance level (0, 90, 95, 99;
    negative for cold spots)."""

    cells: npt.NDArray[np.int64]
    z: npt.NDArray[np.float64]
    level: npt.NDArray[np.int8]


Z_LEVELS = ((2.576, 99), (1.960, 95), (1.645, 90))


def getis_ord(universe: npt.NDArray[np.int64], counts: Hexbins, k: int = 1) -> Hotspots:
    """Gi* of the counts over ``universe`` (every cell of the study area, empty ones too),
    with binary weights over each cell's k-ring including itself.

    Parameters
    ----------
    universe : numpy.ndarray of int64
        Every H3 cell of the study area (at least 3); counted cells outside it are ignored.
    counts : Hexbins
        The incident counts per cell, of the universe's resolution.
    k : int
        The neighbourhood radius in rings of cells.

    Returns
    -------
    Hotspots
        The universe's cells (sorted) with their z-scores and significance levels (all zero
        when the counts do not vary).

    Raises
    ------
    InvalidInput
        Fewer than 3 cells in the universe.
    """
    cells = np.unique(np.asarray(universe, dtype=np.int64))
    n = len(cells)
    if n < 3:
        raise InvalidInput("The study area needs at least 3 cells.", code="analytics.cells")
    x = np.zeros(n)
    pos = np.searchsorted(cells, counts.cells)
    ok = (pos < n) & (cells[np.minimum(pos, n - 1)] == counts.cells)
    x[pos[ok]] = counts.counts[ok]
    rows, cols = [], []
    for i, c in enumerate(cells.view(np.uint64)):
        ring = np.array([h3.str_to_int(d) for d in h3.grid_disk(h3.int_to_str(int(c)), k)],
                        dtype=np.uint64).view(np.int64)  # fmt: skip
        j = np.searchsorted(cells, ring)
        hit = (j < n) & (cells[np.minimum(j, n - 1)] == ring)
        rows.extend([i] * int(hit.sum()))
        cols.extend(j[hit].tolist())
    w = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    wsum = np.asarray(w.sum(axis=1)).ravel()
    mean = x.mean()
    s = math.sqrt(max((x**2).mean() - mean**2, 0.0))
    if s == 0:
        return Hotspots(cells, np.zeros(n), np.zeros(n, dtype=np.int8))
    num = w @ x - mean * wsum
    den = s * np.sqrt((n * wsum - wsum**2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(den > 0, num / den, 0.0)
    level = np.zeros(n, dtype=np.int8)
    for bound, lv in reversed(Z_LEVELS):  # 90 first, overwritten by 95, then 99
        level[z >= bound] = lv
        level[z <= -bound] = -lv
    return Hotspots(cells, z, level)


def area_cells(area: object, res: int) -> npt.NDArray[np.int64]:
    """Every H3 cell of resolution ``res`` whose centre lies in ``area`` (a shapely
    (Multi)Polygon in EPSG:4326): the study area of a hotspot analysis.

    Parameters
    ----------
    area : shapely.Polygon or shapely.MultiPolygon
        The area in lon/lat degrees (EPSG:4326).
    res : int
        The H3 resolution.

    Returns
    -------
    numpy.ndarray of int64
        The cells as integers.
    """
    cells = h3.h3shape_to_cells(h3.geo_to_h3shape(area), res)
    return np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64).view(np.int64)


def city_cells(*, conn: psycopg.Connection, res: int) -> npt.NDArray[np.int64]:
    """Every H3 cell of resolution ``res`` in the city's boundary (:func:`area_cells`).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    res : int
        The H3 resolution.

    Returns
    -------
    numpy.ndarray of int64
        The cells as integers.

    Raises
    ------
    InvalidInput
        When the city has no boundary.
    """
    row = conn.execute(
        "SELECT ST_AsBinary(ST_Union(geom)) FROM admin_units WHERE level = 'city'"
    ).fetchone()
    if row is None or row[0] is None:
        raise InvalidInput("The city has no boundary.", code="analytics.no_city")
    return area_cells(shapely.from_wkb(row[0]), res)


def incidents_in_cell(
    *,
    conn: psycopg.Connection,
    cell: int,
    res: int,
    start: dt.datetime,
    end: dt.datetime,
    filters: dict[str, Sequence[str]] | None = None,
    limit: int = 50,
) -> list[dict[str, object]]:
    """The incidents of one hexagon in the window (newest first): what a click shows.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    cell : int
        The H3 cell as an integer, of resolution ``res``.
    res : int
        Its resolution, one of ``HEX_RES`` (6-10).
    start, end : datetime
        The time window [start, end), timezone-aware, at most 400 days.
    filters : dict of str to list of str, optional
        Allowed values per column of ``FILTERS``, as for :func:`hexbins`.
    limit : int
        Most incidents returned (clamped to 1-500).

    Returns
    -------
    list of dict
        Rows with ``id``, ``number``, ``category``, ``priority``, ``status``,
        ``reported_at`` and ``grid_code``.

    Raises
    ------
    InvalidInput
        A bad window, resolution or filter name.
    """
    _window(start, end)
    where: list[sql.Composable] = [
        sql.SQL("{} = %(cell)s").format(parent_sql(res)),
        sql.SQL("reported_at >= %(start)s AND reported_at < %(end)s"),
    ]
    params: dict[str, object] = {"cell": int(cell), "start": start, "end": end}
    filter_clauses(filters, where, params)
    q = sql.SQL(
        "SELECT id, number, category, priority, status, reported_at, grid_code FROM incidents "
        "WHERE {} ORDER BY reported_at DESC LIMIT %(n)s"
    ).format(sql.SQL(" AND ").join(where))
    params["n"] = max(1, min(limit, 500))
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(q, params).fetchall())


def difference(
    now: Hexbins, before: Hexbins
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Cells of either period and the change in count (now - before).

    Parameters
    ----------
    now, before : Hexbins
        The counts of the two periods, of the same resolution.

    Returns
    -------
    tuple of numpy.ndarray of int64
        ``(cells, change)``: the sorted union of the cells and the count now minus before.
    """
    cells = np.union1d(now.cells, before.cells)
    a = np.zeros(len(cells), dtype=np.int64)
    b = np.zeros(len(cells), dtype=np.int64)
    a[np.searchsorted(cells, now.cells)] = now.counts
    b[np.searchsorted(cells, before.cells)] = before.counts
    return cells, a - b
