"""Searches on the travel graph: nearest units, isochrones, travel-time fields."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import h3
import numpy as np
import numpy.typing as npt
import psycopg
import shapely

from geo.coords import check_lonlat
from geo.errors import InvalidInput, NotFound, OutsideJurisdiction
from geo.h3index import cells as h3_cells
from geo.routing.config import MODES
from geo.routing.graph import TravelGraph, haversine_m
from geo.routing.network import Ends, Place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnitSnapshot:
    """Units as arrays (one row per unit with a position), ready for ranking."""

    ids: npt.NDArray[np.int64]
    call_signs: npt.NDArray[np.object_]
    types: npt.NDArray[np.object_]
    agencies: npt.NDArray[np.object_]
    status: npt.NDArray[np.object_]
    grid_codes: npt.NDArray[np.object_]
    lat: npt.NDArray[np.float64]
    lng: npt.NDArray[np.float64]
    position_time: npt.NDArray[np.float64]  # epoch seconds
    places: dict[str, Place]  # per mode: each unit's place on its network (edge -1: none)
    ends: dict[str, Ends]  # per mode: each unit's way onto its network (computed once)
    available: npt.NDArray[np.bool_]  # status 'available'
    by_cell: tuple[npt.NDArray[Any], ...]  # PRUNE_RES cells, an anchor in each, unit's cell
    turnout_s: npt.NDArray[np.float64]
    taken_at: float

    @classmethod
    def from_arrays(
        cls,
        graph: TravelGraph,
        *,
        ids: npt.ArrayLike,
        call_signs: npt.ArrayLike,
        types: npt.ArrayLike,
        agencies: npt.ArrayLike,
        status: npt.ArrayLike,
        grid_codes: npt.ArrayLike,
        lat: npt.ArrayLike,
        lng: npt.ArrayLike,
        position_time: npt.ArrayLike,
        taken_at: float,
        reuse: UnitSnapshot | None = None,
    ) -> UnitSnapshot:
        """``reuse``: an earlier snapshot on the same graph; units that have not moved keep
        their place on the graph from it (joining the network is the costly part).

        Parameters
        ----------
        graph : TravelGraph
            The graph the units are joined to, each by its type's mode (default car).
        ids, call_signs, types, agencies, status, grid_codes : array_like
            Per-unit attributes, all of the same length.
        lat, lng : array_like
            Unit positions in degrees.
        position_time : array_like
            Time of each position fix, epoch seconds.
        taken_at : float
            When the snapshot was taken, epoch seconds (database clock).
        reuse : UnitSnapshot, optional
            An earlier snapshot on the same graph.

        Returns
        -------
        UnitSnapshot
            The units with their place on their mode's network, and turnout.
        """
        la, ln = np.asarray(lat, float), np.asarray(lng, float)
        ids_a = np.asarray(ids, np.int64)
        types_a = np.asarray(types, dtype=object)
        cfg = graph.config
        kinds, kind_of = np.unique(types_a.astype(str), return_inverse=True)  # few types
        modes = np.array([cfg.unit_mode.get(t, "car") for t in kinds], dtype=object)[kind_of]
        places = {mode: Place.nowhere(len(la)) for mode in MODES}
        cells = np.zeros(len(la), dtype=np.int64)
        todo = np.ones(len(la), dtype=bool)
        if reuse is not None and len(reuse) and len(la):
            order = np.argsort(reuse.ids, kind="stable")
            pos = np.minimum(np.searchsorted(reuse.ids[order], ids_a), len(order) - 1)
            j = order[pos]
            same = (
                (reuse.ids[j] == ids_a)
                & (reuse.lat[j] == la)
                & (reuse.lng[j] == ln)
                & (reuse.types[j] == types_a)
            )
            for mode in MODES:
                _put(places[mode], same, reuse.places[mode].take(j[same]))
            cells[same] = reuse.by_cell[0][reuse.by_cell[3][j[same]]]
            todo = ~same
        if todo.any():
            cells[todo] = h3_cells(la[todo], ln[todo], PRUNE_RES)
        for mode in MODES:
            m = (modes == mode) & todo
            if m.any():
                _put(places[mode], m, graph.place(la[m], ln[m], mode))
        turnout = np.array([cfg.turnout_s.get(t, 60.0) for t in kinds], dtype=float)[kind_of]
        return cls(
            ids_a,
            np.asarray(call_signs, object),
            types_a,
            np.asarray(agencies, object),
            np.asarray(status, object),
            np.asarray(grid_codes, object),
            la,
            ln,
            np.asarray(position_time, float),
            places,
            {m: graph.nets[m].ends(p) for m, p in places.items() if m in graph.nets},
            np.asarray(status, object) == "available",
            _by_cell(cells, la, ln),
            turnout,
            taken_at,
        )

    def __len__(self) -> int:
        return len(self.ids)

    def within(self, lat: float, lng: float, metres: float) -> npt.NDArray[np.int64]:
        """The units that may lie within ``metres`` of (lat, lng) in a straight line: those
        in the H3 cells (``PRUNE_RES``) whose anchor is within ``metres`` plus the largest
        cell diameter (taken generously, 3x the resolution's average edge), so no unit
        within reach is left out.

        Parameters
        ----------
        lat, lng : float
            The centre in degrees.
        metres : float
            The straight-line distance.

        Returns
        -------
        numpy.ndarray
            Positions of the units, ascending.
        """
        _, clat, clng, unit_cell = self.by_cell
        reach = metres + 3 * h3.average_hexagon_edge_length(PRUNE_RES, "m")
        near = haversine_m(lat, lng, clat, clng) <= reach
        return np.flatnonzero(near[unit_cell])


PRUNE_RES = 8  # units are indexed by these H3 cells (edge about 0.5 km) for pruning


def _by_cell(
    cells: npt.NDArray[np.int64], lat: npt.NDArray[np.float64], lng: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[Any], ...]:
    """Units by their PRUNE_RES cell: the distinct cells, an anchor in each (the position of
    its first unit; every other unit of the cell lies within the cell's diameter of it),
    and the position of each unit's cell among them."""
    distinct, first, unit_cell = np.unique(cells, return_index=True, return_inverse=True)
    return distinct, lat[first], lng[first], unit_cell.ravel()


def _unreachable() -> NoReturn:
    raise OutsideJurisdiction(
        "The point is not reachable: it lies in water or outside the covered area.",
        code="routing.unreachable",
    )


def _put(into: Place, where: npt.NDArray[np.bool_], what: Place) -> None:
    into.edge[where], into.along_m[where], into.offroad_m[where] = (
        what.edge, what.along_m, what.offroad_m)  # fmt: skip


_UNIT_SQL = (
    "SELECT id, call_sign, type, agency, status, grid_code, ST_Y(geom), ST_X(geom), "
    "extract(epoch FROM position_time)::float8, extract(epoch FROM now())::float8, "
    "extract(epoch FROM greatest(status_time, position_time))::float8 "
    "FROM units WHERE geom IS NOT NULL"
)
_FIELDS = (
    "ids",
    "call_signs",
    "types",
    "agencies",
    "status",
    "grid_codes",
    "lat",
    "lng",
    "position_time",
)


def _columns(rows: list[Any]) -> dict[str, npt.NDArray[Any]]:
    cols = (
        [np.array(c, dtype=object) for c in zip(*rows, strict=True)]
        if rows
        else [np.empty(0, dtype=object) for _ in range(11)]
    )
    out = dict(zip(_FIELDS, cols[:9], strict=True))
    out["ids"] = np.asarray(out["ids"], np.int64)
    for f in ("lat", "lng", "position_time"):
        out[f] = np.asarray(out[f], float)
    out["changed"] = np.asarray(cols[10], float)
    return out


def load_units(
    *,
    conn: psycopg.Connection,
    graph: TravelGraph,
    reuse: UnitSnapshot | None = None,
    changed_since: float | None = None,
) -> tuple[UnitSnapshot, float]:
    """Every unit with a position, as a snapshot (a cache: the database stays the truth), and
    the newest status or position time seen (epoch seconds).

    ``reuse``: the previous snapshot on the same graph (see :meth:`UnitSnapshot.from_arrays`).
    ``changed_since``: with ``reuse``, read only the units whose status or position time is
    later than this and take the rest from ``reuse``; if units were added or removed meanwhile
    everything is read.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the ``units`` table.
    graph : TravelGraph
        The graph to join the units to.
    reuse : UnitSnapshot, optional
        The previous snapshot on the same graph.
    changed_since : float, optional
        Epoch seconds; used only together with ``reuse``.

    Returns
    -------
    snapshot : UnitSnapshot
        The units in id order, ``taken_at`` from the database clock.
    newest : float
        The newest status or position time seen, epoch seconds (0.0 when none).
    """
    where, params = "", {}
    if reuse is not None and changed_since is not None:
        where = " AND greatest(status_time, position_time) > to_timestamp(%(t)s)"
        params = {"t": changed_since}
    rows = conn.execute(_UNIT_SQL + where + " ORDER BY id", params).fetchall()
    cols = _columns(rows)
    now = float(rows[0][9]) if rows else dt.datetime.now(dt.UTC).timestamp()
    stamps = cols["changed"][np.isfinite(cols["changed"])]
    newest = float(stamps.max()) if stamps.size else 0.0
    if reuse is not None and changed_since is not None:
        row = conn.execute(
            "SELECT count(*), extract(epoch FROM now())::float8 FROM units WHERE geom IS NOT NULL"
        ).fetchone()
        assert row is not None
        pos = np.searchsorted(reuse.ids, cols["ids"])  # snapshots are in id order
        known = (pos < len(reuse)) & (reuse.ids[np.minimum(pos, len(reuse) - 1)] == cols["ids"])
        if int(row[0]) != len(reuse) or not known.all():  # units added or removed
            return load_units(conn=conn, graph=graph, reuse=reuse)
        merged = {f: np.array(getattr(reuse, f), copy=True) for f in _FIELDS}
        for f in _FIELDS:
            merged[f][pos] = cols[f]
        cols, now, newest = merged, float(row[1]), max(newest, changed_since)
    snap = UnitSnapshot.from_arrays(
        graph, **{f: cols[f] for f in _FIELDS}, taken_at=now, reuse=reuse
    )
    return snap, newest


@dataclass(frozen=True)
class Recommendation:
    unit_id: int
    call_sign: str
    type: str
    agency: str
    status: str
    eta_s: float  # travel + turnout + stale penalty
    travel_s: float
    turnout_s: float
    penalty_s: float
    network_m: float
    straight_m: float
    position_age_s: float
    stale: bool
    own_grid_worker: bool
    path: list[list[float]] = field(default_factory=list)  # [[lat, lng], ...] unit -> incident


@dataclass(frozen=True)
class NearestResult:
    recommendations: list[Recommendation]
    reason: str | None = None  # why the list is empty or short


class Router:
    """Ranks units by travel time from one point; holds nothing but the graph."""

    def __init__(self, graph: TravelGraph) -> None:
        self.graph = graph

    def check_point(self, lat: float, lng: float) -> None:
        """Refuse NaN, swapped or out-of-area coordinates with a clear message.

        Parameters
        ----------
        lat, lng : float
            The point in degrees.

        Raises
        ------
        InvalidInput
            A coordinate is not finite or not a latitude/longitude.
        OutsideJurisdiction
            The point is outside the graph's bbox, or lat and lng look swapped.
        """
        check_lonlat([lng], [lat], bbox=self.graph.bbox)

    def source(self, lat: float, lng: float, mode: str) -> Place:
        """Where (lat, lng) joins the network of ``mode``.

        Parameters
        ----------
        lat, lng : float
            The point in degrees.
        mode : str
            Travel mode, one of ``MODES``.

        Returns
        -------
        Place
            The point's edge, metres along it and metres off-road.

        Raises
        ------
        InvalidInput
            Unusable coordinates (see :meth:`check_point`).
        OutsideJurisdiction
            Outside the area, or no road of the mode reachable (e.g. in water).
        """
        self.check_point(lat, lng)
        place = self.graph.place([lat], [lng], mode)
        if place.edge[0] < 0:
            _unreachable()
        return place

    def nearest(  # noqa: C901 - the hot path, kept whole
        self,
        lat: float,
        lng: float,
        units: UnitSnapshot,
        *,
        k: int = 5,
        types: tuple[str, ...] | None = None,
        agencies: tuple[str, ...] | None = None,
        available_only: bool = True,
        max_minutes: float = 30.0,
        grid_code: str | None = None,
        prefer_grid_worker_within_s: float | None = None,
        with_paths: bool = True,
        unit_ids: Sequence[int] | None = None,
    ) -> NearestResult:
        """The ``k`` units with the smallest ETA to (lat, lng).

        ``prefer_grid_worker_within_s``: the worker of ``grid_code`` goes first unless another
        unit arrives more than this many seconds sooner. ``unit_ids``: only these units.

        Parameters
        ----------
        lat, lng : float
            The incident in degrees.
        units : UnitSnapshot
            The units to rank, joined to this router's graph.
        k : int
            How many units to return, 1 to 100.
        types, agencies : tuple of str, optional
            Keep only units of these types / agencies; None or empty keeps all.
        available_only : bool
            Keep only units with status ``'available'``.
        max_minutes : float
            Drop units whose ETA exceeds this many minutes, in (0, 240].
        grid_code : str, optional
            The incident's grid; marks that grid's own grid worker.
        prefer_grid_worker_within_s : float, optional
            Seconds of ETA the own grid worker may lose and still go first.
        with_paths : bool
            Include each unit's path (cells and [lat, lng] points) to the incident.
        unit_ids : sequence of int, optional
            Rank only these units.

        Returns
        -------
        NearestResult
            Up to ``k`` recommendations in ETA order (seconds: travel + turnout + stale
            penalty) and, when fewer than ``k``, the reason.

        Raises
        ------
        InvalidInput
            ``k`` or ``max_minutes`` out of range, or unusable coordinates.
        OutsideJurisdiction
            The point is outside the area or cannot join the network.
        """
        if not 1 <= k <= 100:
            raise InvalidInput("k must be between 1 and 100", code="routing.k")
        if not 0 < max_minutes <= 240:
            raise InvalidInput("max_minutes must be between 0 and 240", code="routing.max_minutes")
        self.check_point(lat, lng)
        cfg = self.graph.config
        keep = np.ones(len(units), dtype=bool)
        if available_only:
            keep &= units.available
        if types:
            keep &= np.isin(units.types, list(types))
        if agencies:
            keep &= np.isin(units.agencies, list(agencies))
        if unit_ids is not None:
            keep &= np.isin(units.ids, np.asarray(list(unit_ids), dtype=np.int64))
        if not keep.any():
            return NearestResult([], "No unit matches the filter.")
        limit = max_minutes * 60.0
        modes = [m for m in MODES if (units.places[m].edge[keep] >= 0).any()]
        if not modes:
            return NearestResult([], "No matching unit is on the travel network.")
        target = {m: self.graph.place([lat], [lng], m) for m in modes}
        modes = [m for m in modes if target[m].edge[0] >= 0]  # a mode with no road near
        if not modes:
            _unreachable()
        age = units.taken_at - units.position_time
        stale = age > cfg.stale_after_s
        penalty = np.where(stale, cfg.stale_penalty_s, 0.0)
        fixed = units.turnout_s + penalty  # seconds that do not depend on the road
        # Search outwards in steps and stop as soon as no unit beyond the searched radius
        # could still beat the k-th found: units found within L are exact, the rest need
        # more than L on the road, so their ETA is at least L + the smallest fixed part.
        # With the own grid worker preferred, the search must also reach every unit that
        # could arrive within ``prefer_grid_worker_within_s`` of the best one.
        slack = (
            float(prefer_grid_worker_within_s)
            if prefer_grid_worker_within_s is not None and grid_code is not None
            else 0.0
        )
        steps = [x for x in (120.0, 300.0, 900.0) if x < limit] + [limit]
        floor = float(fixed[keep].min())
        sel = {m: keep & (units.places[m].edge >= 0) for m in modes}
        for radius in steps:
            travel = np.full(len(units), np.inf)
            trees = {}
            for mode in modes:
                net = self.graph.nets[mode]
                near = units.within(lat, lng, radius * net.top_mps)
                idx = near[sel[mode][near]]
                trees[mode] = net.search(target[mode], radius, preds=with_paths)
                travel[idx] = net.times_to(
                    target[mode], units.places[mode].take(idx), radius, tree=trees[mode],
                    ends=units.ends[mode].take(idx),
                )  # fmt: skip
            eta = travel + fixed
            eta[eta > limit] = np.inf
            cand = np.flatnonzero(np.isfinite(eta))
            if radius >= limit:
                break
            if (
                cand.size >= k
                and np.partition(eta[cand], k - 1)[k - 1] <= radius + floor
                and eta[cand].min() + slack <= radius + floor
            ):
                break
        if cand.size == 0:
            return NearestResult([], f"No unit can arrive within {max_minutes:g} minutes.")
        top = cand[np.argsort(eta[cand], kind="stable")[: max(k, 1)]]
        own = np.zeros(len(units), dtype=bool)
        if grid_code is not None:
            own = (units.grid_codes == grid_code) & (units.types == "grid_worker")
        if prefer_grid_worker_within_s is not None and grid_code is not None:
            workers = cand[own[cand]]
            if workers.size:
                w = workers[np.argmin(eta[workers])]
                if eta[w] - eta[top[0]] <= prefer_grid_worker_within_s:
                    top = np.concatenate([[w], top[top != w]])[:k]
        top = top[:k]
        lines: dict[int, list[tuple[float, float]]] = {}
        for mode in modes if with_paths else ():
            mine = top[units.places[mode].edge[top] >= 0]
            if mine.size:
                found = self.graph.nets[mode].routes_to(
                    target[mode], units.places[mode].take(mine), tree=trees[mode]
                )
                lines.update(zip(mine.tolist(), (ln for _, ln in found), strict=True))
        recs = []
        for u in top:
            line = lines.get(int(u), [])
            plat = np.array([p[1] for p in line])
            plng = np.array([p[0] for p in line])
            recs.append(
                Recommendation(
                    unit_id=int(units.ids[u]),
                    call_sign=str(units.call_signs[u]),
                    type=str(units.types[u]),
                    agency=str(units.agencies[u]),
                    status=str(units.status[u]),
                    eta_s=float(eta[u]),
                    travel_s=float(travel[u]),
                    turnout_s=float(units.turnout_s[u]),
                    penalty_s=float(penalty[u]),
                    network_m=float(haversine_m(plat[:-1], plng[:-1], plat[1:], plng[1:]).sum()),
                    straight_m=float(haversine_m(lat, lng, units.lat[u], units.lng[u])),
                    position_age_s=float(age[u]),
                    stale=bool(stale[u]),
                    own_grid_worker=bool(own[u]),
                    path=[[float(a), float(b)] for a, b in zip(plat, plng, strict=True)],
                )
            )
        reason = (
            None
            if len(recs) >= k
            else (f"Only {len(recs)} unit(s) can arrive within {max_minutes:g} minutes.")
        )
        return NearestResult(recs, reason)


def travel_field(
    graph: TravelGraph, sources: Place, mode: str = "car", limit_s: float = np.inf
) -> npt.NDArray[np.float64]:
    """Seconds from the nearest of ``sources`` to every cell (inf: unreachable).

    Parameters
    ----------
    graph : TravelGraph
        The graph to search.
    sources : Place
        Source points placed on the network of ``mode`` (see :meth:`TravelGraph.place`);
        those on no road are ignored.
    mode : str
        Travel mode, one of ``MODES``.
    limit_s : float
        Stop the search at this many seconds; farther cells get inf.

    Returns
    -------
    numpy.ndarray
        float64 seconds per cell, shape ``(graph.n,)``.

    Raises
    ------
    InvalidInput
        No source is on the network.
    """
    on = np.flatnonzero(sources.edge >= 0)
    if on.size == 0 or mode not in graph.nets:
        raise InvalidInput("no source is on the travel graph", code="routing.no_source")
    out = np.full(graph.n, np.inf)
    for i in on:
        np.minimum(out, graph.field(sources.take([i]), mode, limit_s), out=out)
    return out


def isochrone(
    graph: TravelGraph, lat: float, lng: float, minutes: float, mode: str = "car"
) -> shapely.Geometry:
    """The area reachable from (lat, lng) within ``minutes``, as (Multi)Polygon.

    Parameters
    ----------
    graph : TravelGraph
        The graph to search.
    lat, lng : float
        The start in degrees.
    minutes : float
        Travel time budget including the off-road legs, in (0, 120].
    mode : str
        Travel mode, one of ``MODES``.

    Returns
    -------
    shapely.Geometry
        Union of the H3 cells whose centres are reached, EPSG:4326 (lon, lat).

    Raises
    ------
    InvalidInput
        ``minutes`` out of range, or unusable coordinates.
    OutsideJurisdiction
        The start is outside the area or cannot join the network.
    """
    if not 0 < minutes <= 120:
        raise InvalidInput("minutes must be between 0 and 120", code="routing.minutes")
    src = Router(graph).source(lat, lng, mode)
    t = travel_field(graph, src, mode, limit_s=minutes * 60)
    reach = graph.cells[t <= minutes * 60].view(np.uint64)
    shape = h3.cells_to_h3shape([h3.int_to_str(int(c)) for c in reach])
    return shapely.geometry.shape(shape.__geo_interface__)


def nearest_units(
    *,
    conn: psycopg.Connection,
    router: Router,
    incident_id: int | None = None,
    point: tuple[float, float] | None = None,
    k: int = 5,
    types: tuple[str, ...] | None = None,
    agencies: tuple[str, ...] | None = None,
    available_only: bool = True,
    max_minutes: float = 30.0,
    prefer_grid_worker_within_s: float | None = None,
    each_type: bool = False,
    units: UnitSnapshot | None = None,
    grid_code: str | None = None,
    unit_ids: Sequence[int] | None = None,
    with_paths: bool = True,
) -> NearestResult:
    """Recommendations for an incident (by id) or a point ``(lon, lat)``, from the database.

    ``each_type``: with several ``types``, the best units of each type (see :func:`nearest_mix`).
    ``units``: a fresh snapshot to rank (e.g. from :class:`geo.routing.UnitCache`); default:
    read from ``conn``. ``grid_code``: the grid of ``point`` (an incident's own is read).
    ``unit_ids``: rank only these units.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the incident and (without ``units``) the units.
    router : Router
        Router over the current graph.
    incident_id : int, optional
        The incident to rank for; wins over ``point``.
    point : tuple of float, optional
        ``(lon, lat)`` in degrees, longitude first.
    k, types, agencies, available_only, max_minutes, prefer_grid_worker_within_s
        As for :meth:`Router.nearest`.
    each_type : bool
        Share ``k`` among several ``types`` (available units only, other filters ignored).
    units : UnitSnapshot, optional
        Snapshot to rank instead of reading one.
    grid_code : str, optional
        Grid of ``point``; replaced by the incident's own grid with ``incident_id``.
    unit_ids : sequence of int, optional
        Rank only these units.
    with_paths : bool
        Include each unit's path.

    Returns
    -------
    NearestResult
        Recommendations in ETA order, and why the list is short if it is.

    Raises
    ------
    NotFound
        The incident does not exist.
    InvalidInput
        Neither an incident nor a point was given, or a parameter is out of range.
    OutsideJurisdiction
        The point is outside the area or cannot join the network.
    """
    if incident_id is not None:
        row = conn.execute(
            "SELECT ST_X(geom), ST_Y(geom), grid_code FROM incidents WHERE id = %(id)s",
            {"id": incident_id},
        ).fetchone()
        if row is None:
            raise NotFound(
                f"Incident {incident_id} does not exist.", code="incident.not_found", id=incident_id
            )
        lng, lat, grid_code = float(row[0]), float(row[1]), row[2]
    elif point is not None:
        lng, lat = float(point[0]), float(point[1])
    else:
        raise InvalidInput("give an incident or a point", code="routing.no_target")
    if units is None:
        units, _ = load_units(conn=conn, graph=router.graph)
    if each_type and types and len(types) > 1:
        return nearest_mix(
            router, lat, lng, units, types=types, k=k, max_minutes=max_minutes, grid_code=grid_code
        )
    return router.nearest(
        lat,
        lng,
        units,
        k=k,
        types=types,
        agencies=agencies,
        available_only=available_only,
        max_minutes=max_minutes,
        grid_code=grid_code,
        prefer_grid_worker_within_s=prefer_grid_worker_within_s,
        unit_ids=unit_ids,
        with_paths=with_paths,
    )


def nearest_mix(
    router: Router,
    lat: float,
    lng: float,
    units: UnitSnapshot,
    *,
    types: tuple[str, ...],
    k: int = 5,
    max_minutes: float = 30.0,
    grid_code: str | None = None,
) -> NearestResult:
    """For a big event (patrol + fire engine + ambulance): the best available units of each
    of ``types``, ``k`` in all shared as evenly as possible, in ETA order.

    Parameters
    ----------
    router : Router
        Router over the current graph.
    lat, lng : float
        The incident in degrees.
    units : UnitSnapshot
        The units to rank.
    types : tuple of str
        Unit types wanted, 1 to ``k`` of them; earlier ones get the remainder of ``k``.
    k : int
        Number of units in all.
    max_minutes : float
        Drop units whose ETA exceeds this many minutes.
    grid_code : str, optional
        The incident's grid (marks its own grid worker).

    Returns
    -------
    NearestResult
        The recommendations in ETA order; the reason names types with no unit.

    Raises
    ------
    InvalidInput
        No types, or more types than ``k``; or as for :meth:`Router.nearest`.
    """
    if not types or len(types) > k:
        raise InvalidInput(f"Choose 1 to {k} unit types.", code="routing.types", k=k)
    per, extra = divmod(k, len(types))
    recs: list[Recommendation] = []
    missing: list[str] = []
    for i, t in enumerate(types):
        res = router.nearest(
            lat,
            lng,
            units,
            k=per + (1 if i < extra else 0),
            types=(t,),
            max_minutes=max_minutes,
            grid_code=grid_code,
        )
        recs += res.recommendations
        if not res.recommendations:
            missing.append(t)
    recs.sort(key=lambda r: r.eta_s)
    reason = f"No available unit of type: {', '.join(missing)}." if missing else None
    return NearestResult(recs, reason)
