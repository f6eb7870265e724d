"""The travel-time graph over H3 cells.

Nodes are H3 cells and *road pieces*: a run of one road inside one cell, merged with the
other runs it meets at a junction in that cell. Road edges join consecutive pieces of a road
at that road's speed for the mode (road class -> speed table); off-road edges join
neighbouring land cells, and each land cell to the road pieces in it, at the slow off-road
speed. So a car is fast only along roads, and two streets that pass through the same cell
without meeting are not joined. Water cells (centre in water) get no off-road edges: only
bridges cross them. ``speed`` holds each node's speed (0: impassable for the mode).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import h3
import numpy as np
import numpy.typing as npt
import psycopg
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from geo.h3index import cells as h3_cells
from geo.routing.config import MODES, RoutingConfig

log = logging.getLogger(__name__)
EARTH_R = 6_371_008.8


def haversine_m(
    lat1: npt.ArrayLike, lng1: npt.ArrayLike, lat2: npt.ArrayLike, lng2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres (vectorized).

    Parameters
    ----------
    lat1, lng1 : array_like
        First points, latitude and longitude in degrees.
    lat2, lng2 : array_like
        Second points in degrees; broadcast against the first.

    Returns
    -------
    numpy.ndarray
        float64 distances in metres, of the broadcast shape (0-d for scalars).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_R * np.arcsin(np.sqrt(a)), dtype=np.float64)


@dataclass(frozen=True)
class TravelGraph:
    """Cells (sorted int64), their centres, speeds (m/s) and one CSR matrix per mode."""

    config: RoutingConfig
    cells: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lng: npt.NDArray[np.float64]
    speed: dict[str, npt.NDArray[np.float64]]
    matrix: dict[str, csr_matrix]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    build_s: float
    roads: dict[str, RoadAccess]  # per mode: the roads it may use, for joining the network
    n_cells: int  # nodes 0..n_cells-1 are the cells (sorted); the rest are road pieces
    piece_keys: npt.NDArray[np.int64]  # sorted (road << 32 | cell node) of every road run
    piece_nodes: npt.NDArray[np.int64]  # the piece node of each key

    @property
    def n(self) -> int:
        """Number of nodes: the cells plus the road pieces.

        Returns
        -------
        int
            ``len(cells)``, the size of each mode's matrix.
        """
        return len(self.cells)

    def index_of(self, cells: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Cell node of each cell, or -1 where the cell is not in the graph.

        Parameters
        ----------
        cells : numpy.ndarray
            H3 cells (int64) at the graph's resolution ``config.res``.

        Returns
        -------
        numpy.ndarray
            int64 node index of each cell (in ``0..n_cells-1``) or -1, of the input shape.
        """
        own = self.cells[: self.n_cells]
        pos = np.minimum(np.searchsorted(own, cells), self.n_cells - 1)
        return np.where(own[pos] == cells, pos, -1)

    def piece_at(
        self,
        road: npt.NDArray[np.int64],
        lat: npt.NDArray[np.float64],
        lng: npt.NDArray[np.float64],
    ) -> npt.NDArray[np.int64]:
        """The road-piece node of road ``road`` at each point, or -1.

        Parameters
        ----------
        road : numpy.ndarray
            int64 index of a road (among all roads the graph was built from), per point.
        lat, lng : numpy.ndarray
            Latitude and longitude of each point in degrees, of the same length.

        Returns
        -------
        numpy.ndarray
            int64 node of that road's piece in the point's cell, or -1 where the road has
            no piece there or the cell is not in the graph.
        """
        cell_node = self.index_of(h3_cells(lat, lng, self.config.res))
        key = (road.astype(np.int64) << 32) | np.maximum(cell_node, 0)
        pos = np.minimum(np.searchsorted(self.piece_keys, key), len(self.piece_keys) - 1)
        hit = (self.piece_keys[pos] == key) & (cell_node >= 0)
        return np.where(hit, self.piece_nodes[pos], -1)

    def attach(
        self, lat: npt.ArrayLike, lng: npt.ArrayLike, mode: str
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Join points to the network: the node at the nearest road point of ``mode`` and the
        seconds to walk or drive there off-road. Points with no road within
        ``config.max_access_m`` join at their own cell (snapped) with the off-road time 0.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (scalars or 1-d arrays of equal length).
        mode : str
            Travel mode, one of ``MODES`` (``'car'``, ``'foot'``, ``'ebike'``).

        Returns
        -------
        nodes : numpy.ndarray
            int64 node per point, -1 where no passable node is found.
        access_s : numpy.ndarray
            float64 off-road seconds from each point to its road point (0 when snapped).
        """
        la = np.atleast_1d(np.asarray(lat, float))
        ln = np.atleast_1d(np.asarray(lng, float))
        road = self.roads[mode]
        rlat, rlng, dist, rid = road.nearest(la, ln, self.config.max_access_m)
        near = dist <= self.config.max_access_m
        nodes = np.full(len(la), -1, dtype=np.int64)
        if near.any():
            piece = self.piece_at(rid[near], rlat[near], rlng[near])
            fallback = piece < 0
            if fallback.any():
                idx = np.flatnonzero(near)[fallback]
                piece[fallback] = self.snap(rlat[idx], rlng[idx], mode)
            nodes[near] = piece
        if (~near).any():
            nodes[~near] = self.snap(la[~near], ln[~near], mode)
        access = np.where(near, dist, 0.0) / (self.config.off_road[mode] / 3.6)
        return nodes, access

    def snap(self, lat: npt.ArrayLike, lng: npt.ArrayLike, mode: str) -> npt.NDArray[np.int64]:
        """Node of each point for ``mode``: its own cell, or the nearest passable cell within
        ``config.snap_rings`` rings; -1 where there is none.

        Parameters
        ----------
        lat, lng : array_like
            Latitudes and longitudes in degrees (scalars or 1-d arrays of equal length).
        mode : str
            Travel mode; a cell is passable when its speed for the mode is above 0.

        Returns
        -------
        numpy.ndarray
            int64 cell node per point, or -1.
        """
        la = np.atleast_1d(np.asarray(lat, float))
        ln = np.atleast_1d(np.asarray(lng, float))
        nodes = self.index_of(h3_cells(la, ln, self.config.res))
        ok = nodes >= 0
        ok[ok] = self.speed[mode][nodes[ok]] > 0
        for i in np.flatnonzero(~ok):
            nodes[i] = self._snap_one(float(la[i]), float(ln[i]), mode)
        return nodes

    def _snap_one(self, lat: float, lng: float, mode: str) -> int:
        c = h3.latlng_to_cell(lat, lng, self.config.res)
        for k in range(1, self.config.snap_rings + 1):
            ring = np.array([h3.str_to_int(x) for x in h3.grid_ring(c, k)], dtype=np.uint64)
            idx = self.index_of(ring.view(np.int64))
            idx = idx[idx >= 0]
            idx = idx[self.speed[mode][idx] > 0]
            if idx.size:
                d = haversine_m(lat, lng, self.lat[idx], self.lng[idx])
                return int(idx[np.argmin(d)])
        return -1


@dataclass(frozen=True)
class RoadAccess:
    """Road lines of one mode in local metres, for the nearest road point of any place."""

    lines: npt.NDArray[np.object_]  # single segments, in local metres
    tree: shapely.STRtree
    origin: tuple[float, float]  # lat0, lng0
    road_ids: npt.NDArray[np.int64]  # index of each segment's road among all roads

    @classmethod
    def build(
        cls,
        lines: npt.NDArray[np.object_],
        origin: tuple[float, float],
        road_ids: npt.NDArray[np.int64],
    ) -> RoadAccess:
        """Index the roads of one mode segment by segment.

        Parameters
        ----------
        lines : numpy.ndarray
            Road LineStrings in EPSG:4326 (lon, lat).
        origin : tuple of float
            ``(lat0, lng0)`` in degrees: the origin of the local metre frame.
        road_ids : numpy.ndarray
            int64 index of each line among all roads, of the same length as ``lines``.

        Returns
        -------
        RoadAccess
            Two-point segments in local metres, their STRtree and each segment's road index.
        """
        # Index single segments, not whole roads: a long road's envelope covers half the
        # city and would make every nearest-road query test it.
        local = shapely.transform(lines, lambda xy: _to_local(xy, origin))
        xy, part = shapely.get_coordinates(local, return_index=True)
        same = part[1:] == part[:-1]
        starts = np.flatnonzero(same)
        segs = shapely.linestrings(
            np.stack([xy[starts], xy[starts + 1]], axis=1).reshape(-1, 2),
            indices=np.repeat(np.arange(len(starts)), 2),
        )
        seg_ids = np.asarray(road_ids, np.int64)[part[starts]]
        return cls(segs, shapely.STRtree(segs), origin, seg_ids)

    def nearest(
        self,
        lat: npt.NDArray[np.float64],
        lng: npt.NDArray[np.float64],
        max_m: float | None = None,
    ) -> tuple[
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
    ]:
        """(lat, lng) of the nearest road point of each place, the distance in metres and the
        road's index. With ``max_m``, places farther than that from every road get an
        infinite distance (and keep their own position); the bounded search is much faster.

        Parameters
        ----------
        lat, lng : numpy.ndarray
            Latitudes and longitudes of the places in degrees, 1-d and of equal length.
        max_m : float, optional
            Search radius in metres; None searches without bound.

        Returns
        -------
        lat, lng : numpy.ndarray
            float64 position of the nearest road point in degrees (the place's own if none).
        dist_m : numpy.ndarray
            float64 distance in metres, inf where no road is within ``max_m``.
        road : numpy.ndarray
            int64 index of that road among all roads, -1 where none.
        """
        n = len(lat)
        out_lat, out_lng = np.array(lat, float), np.array(lng, float)
        dist, rid = np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        if len(self.lines) == 0 or n == 0:
            return out_lat, out_lng, dist, rid
        pts = shapely.points(_to_local(np.column_stack([lng, lat]), self.origin))
        p_idx, l_idx = self.tree.query_nearest(pts, max_distance=max_m, all_matches=False)
        p_idx, first = np.unique(p_idx, return_index=True)  # one line per place
        l_idx = l_idx[first]
        lines, near_pts = self.lines[l_idx], pts[p_idx]
        on = shapely.line_interpolate_point(lines, shapely.line_locate_point(lines, near_pts))
        dist[p_idx] = shapely.distance(on, near_pts)
        back = _from_local(shapely.get_coordinates(on), self.origin)
        out_lat[p_idx], out_lng[p_idx] = back[:, 1], back[:, 0]
        rid[p_idx] = self.road_ids[l_idx]
        return out_lat, out_lng, dist, rid


def _scales(origin: tuple[float, float]) -> tuple[float, float]:
    return 111_320.0 * math.cos(math.radians(origin[0])), 110_574.0


def _to_local(xy: npt.NDArray[np.float64], origin: tuple[float, float]) -> npt.NDArray[np.float64]:
    kx, ky = _scales(origin)
    return np.column_stack([(xy[:, 0] - origin[1]) * kx, (xy[:, 1] - origin[0]) * ky])


def _from_local(
    xy: npt.NDArray[np.float64], origin: tuple[float, float]
) -> npt.NDArray[np.float64]:
    kx, ky = _scales(origin)
    return np.column_stack([xy[:, 0] / kx + origin[1], xy[:, 1] / ky + origin[0]])


def _area_cells(area: shapely.Geometry, res: int) -> npt.NDArray[np.int64]:
    out: list[int] = []
    for part in shapely.get_parts(area):
        shape = h3.geo_to_h3shape(part)
        out.extend(
            h3.str_to_int(c) for c in h3.h3shape_to_cells_experimental(shape, res, "overlap")
        )
    return np.unique(np.array(out, dtype=np.uint64)).view(np.int64)


def road_speeds(
    road_class: npt.NDArray[np.str_],
    road_speed_kmh: npt.NDArray[np.float64],
    config: RoutingConfig,
    mode: str,
) -> npt.NDArray[np.float64]:
    """km/h of each road for ``mode`` (0: not usable); a road's own speed overrides for cars.

    Parameters
    ----------
    road_class : numpy.ndarray
        Road class of each road (``'primary'``, ``'footway'``, ...); unknown classes get 0.
    road_speed_kmh : numpy.ndarray
        The road's own speed limit in km/h; NaN or <= 0 where the class table applies.
    config : RoutingConfig
        Supplies the class -> km/h table ``config.speeds[mode]``.
    mode : str
        Travel mode, one of ``MODES``.

    Returns
    -------
    numpy.ndarray
        float64 km/h per road.
    """
    table = config.speeds[mode]
    speed = np.array([table.get(c, 0.0) for c in road_class], dtype=float)
    if mode == "car":
        given = np.asarray(road_speed_kmh, dtype=float)
        speed = np.where(np.isfinite(given) & (given > 0), given, speed)
    return speed


def build_graph(
    roads: npt.NDArray[np.object_],
    road_class: npt.NDArray[np.str_],
    road_speed_kmh: npt.NDArray[np.float64],
    road_bridge: npt.NDArray[np.bool_],
    water: npt.NDArray[np.object_],
    area: shapely.Geometry | None,
    config: RoutingConfig,
) -> TravelGraph:
    """Build the graph from road lines and water polygons (EPSG:4326).

    ``road_speed_kmh`` may hold NaN where the class table applies. ``area`` is the
    jurisdiction; None means the roads' convex hull.

    Parameters
    ----------
    roads : numpy.ndarray
        Road LineStrings in EPSG:4326 (lon, lat).
    road_class : numpy.ndarray
        Road class of each road (keys of ``config.speeds[mode]``).
    road_speed_kmh : numpy.ndarray
        Own speed of each road in km/h, NaN where none (used for cars only).
    road_bridge : numpy.ndarray
        Bridge flag of each road; accepted but not used by the build at present.
    water : numpy.ndarray
        Water polygons in EPSG:4326; cells whose centre lies in water get no off-road edges.
    area : shapely.Geometry or None
        Jurisdiction polygon in EPSG:4326, covered with a margin of ``config.margin_m``.
    config : RoutingConfig
        Resolution, speeds and off-road speeds.

    Returns
    -------
    TravelGraph
        Cell and road-piece nodes with one travel-time matrix (seconds) per mode.
    """
    t0 = time.perf_counter()
    res = config.res
    roads = np.asarray(roads, dtype=object)
    if area is None:
        area = shapely.convex_hull(shapely.union_all(roads))
    lat0 = shapely.centroid(area).y
    margin_deg = config.margin_m / (111_320 * math.cos(math.radians(lat0)))
    area = shapely.buffer(area, margin_deg, quad_segs=2)
    cells = _area_cells(area, res)
    # Road cells: sample every road densely enough that no cell it crosses is missed.
    step = h3.average_hexagon_edge_length(res, "m") / 4 / 111_000
    dense = shapely.segmentize(roads, step)
    xy, ridx = shapely.get_coordinates(dense, return_index=True)
    rcell = h3_cells(xy[:, 1], xy[:, 0], res)
    cells = np.unique(np.concatenate([cells, rcell]))
    n = len(cells)
    latlng = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells.view(np.uint64)])
    lat, lng = latlng[:, 0], latlng[:, 1]
    node_of_sample = np.searchsorted(cells, rcell)
    # Water: cell centre inside water, unless a road (a bridge) passes through the cell.
    in_water = np.zeros(n, dtype=bool)
    if len(water):
        wet = shapely.union_all(np.asarray(water, dtype=object))
        shapely.prepare(wet)
        in_water = shapely.contains_xy(wet, lng, lat)
    land = ~in_water
    origin = (float(lat0), float(shapely.centroid(area).x))
    # Road pieces: a run of one road inside one cell is a piece; runs that share a vertex in
    # that cell (a junction) are one piece. Two roads that merely pass through the same cell
    # stay apart, so a car cannot jump between streets that do not meet.
    new_run = np.ones(len(ridx), dtype=bool)
    new_run[1:] = (ridx[1:] != ridx[:-1]) | (rcell[1:] != rcell[:-1])
    run = np.cumsum(new_run) - 1
    n_runs = int(run[-1]) + 1 if len(run) else 0
    _, vkey = np.unique(np.round(xy, 7), axis=0, return_inverse=True)
    vkey = vkey.ravel()
    order = np.argsort(vkey, kind="stable")
    same_v = vkey[order][1:] == vkey[order][:-1]
    ja, jb = run[order][:-1][same_v], run[order][1:][same_v]
    joined = csr_matrix((np.ones(len(ja)), (ja, jb)), shape=(n_runs, n_runs))
    _, piece_of_run = connected_components(joined, directed=False)
    n_pieces = int(piece_of_run.max()) + 1 if n_runs else 0
    piece_of_sample = n + piece_of_run[run]
    run_road, run_cell = ridx[new_run], node_of_sample[new_run]
    piece_cell = np.zeros(n_pieces, dtype=np.int64)
    piece_cell[piece_of_run] = run_cell
    plat = np.bincount(piece_of_run[run], weights=xy[:, 1], minlength=n_pieces)
    plng = np.bincount(piece_of_run[run], weights=xy[:, 0], minlength=n_pieces)
    cnt = np.maximum(np.bincount(piece_of_run[run], minlength=n_pieces), 1)
    all_lat = np.concatenate([lat, plat / cnt])
    all_lng = np.concatenate([lng, plng / cnt])
    total = n + n_pieces
    keys = (run_road.astype(np.int64) << 32) | run_cell
    korder = np.argsort(keys, kind="stable")
    piece_keys, piece_nodes = keys[korder], (n + piece_of_run)[korder]
    # Road edges: consecutive samples of one road in different pieces, at the road's speed.
    same = ridx[1:] == ridx[:-1]
    ra, rb = piece_of_sample[:-1][same], piece_of_sample[1:][same]
    road_of = ridx[:-1][same]
    moved = ra != rb
    ra, rb, road_of = ra[moved], rb[moved], road_of[moved]
    d_road = haversine_m(all_lat[ra], all_lng[ra], all_lat[rb], all_lng[rb])
    # Off-road edges: between neighbouring land cells, and between a land cell and each road
    # piece in it, slowly (compounds, squares, parks; getting from one street to another).
    nbr = np.full((n, 6), -1, dtype=np.int64)
    for i, c in enumerate(cells.view(np.uint64)):
        ring = [h3.str_to_int(x) for x in h3.grid_ring(h3.int_to_str(int(c)), 1)]
        nbr[i, : len(ring)] = ring
    oa = np.repeat(np.arange(n), 6)
    dst_cells = nbr.ravel()
    pos = np.minimum(np.searchsorted(cells, dst_cells), n - 1)
    ok = (cells[pos] == dst_cells) & (dst_cells != -1)
    oa, ob = oa[ok], pos[ok]
    oa, ob = oa[land[oa] & land[ob]], ob[land[oa] & land[ob]]
    pa = n + np.arange(n_pieces)
    on_land = land[piece_cell]
    oa = np.concatenate([oa, piece_cell[on_land], pa[on_land]])
    ob = np.concatenate([ob, pa[on_land], piece_cell[on_land]])
    d_off = haversine_m(all_lat[oa], all_lng[oa], all_lat[ob], all_lng[ob])
    speed: dict[str, npt.NDArray[np.float64]] = {}
    access: dict[str, RoadAccess] = {}
    matrix: dict[str, csr_matrix] = {}
    ids = np.arange(len(roads))
    for mode in MODES:
        per_road = road_speeds(road_class, road_speed_kmh, config, mode)
        access[mode] = RoadAccess.build(roads[per_road > 0], origin, ids[per_road > 0])
        v = np.zeros(total)
        v[:n] = np.where(land, config.off_road[mode], 0.0)
        np.maximum.at(v, piece_of_sample, per_road[ridx])
        speed[mode] = v / 3.6
        v_road = per_road[road_of] / 3.6
        use = v_road > 0
        src = np.concatenate([ra[use], rb[use], oa])
        dst = np.concatenate([rb[use], ra[use], ob])
        w = np.concatenate(
            [
                d_road[use] / v_road[use],
                d_road[use] / v_road[use],
                d_off / (config.off_road[mode] / 3.6),
            ]
        )
        matrix[mode] = _min_matrix(src, dst, w, total)
    cells = np.concatenate([cells, cells[piece_cell]])
    lat, lng = all_lat, all_lng
    minx, miny, maxx, maxy = shapely.bounds(area)
    g = TravelGraph(
        config,
        cells,
        lat,
        lng,
        speed,
        matrix,
        (minx, miny, maxx, maxy),
        time.perf_counter() - t0,
        access,
        n,
        piece_keys,
        piece_nodes,
    )
    log.info(
        "travel graph: %d cells + %d road pieces at res %d, %.2f s", n, n_pieces, res, g.build_s
    )
    return g


def _min_matrix(
    src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], w: npt.NDArray[np.float64], n: int
) -> csr_matrix:
    """CSR matrix keeping the smallest weight of each (src, dst) pair."""
    key = src * n + dst
    order = np.lexsort((w, key))
    key, w = key[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    key, w = key[first], np.maximum(w[first], 1e-6)
    return csr_matrix((w, (key // n, key % n)), shape=(n, n))


def load_graph(*, conn: psycopg.Connection, config: RoutingConfig) -> TravelGraph:
    """Build the graph from the roads, water and city boundary in PostGIS.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read the ``roads``, ``water`` and ``admin_units`` tables.
    config : RoutingConfig
        Passed to :func:`build_graph`.

    Returns
    -------
    TravelGraph
        The graph over the city boundary (or the roads' hull when there is none).

    Raises
    ------
    NotFound
        There are no roads.
    """
    rows = conn.execute(
        "SELECT ST_AsBinary(geom), class, coalesce(speed_kmh, 'NaN'), bridge FROM roads"
    ).fetchall()
    if not rows:
        from geo.errors import NotFound

        raise NotFound(
            "There are no roads to build a travel-time graph from.", code="routing.no_roads"
        )
    roads = shapely.from_wkb([r[0] for r in rows])
    water = shapely.from_wkb(
        [r[0] for r in conn.execute("SELECT ST_AsBinary(geom) FROM water").fetchall()]
    )
    city = conn.execute(
        "SELECT ST_AsBinary(ST_Union(geom)) FROM admin_units WHERE level = 'city'"
    ).fetchone()
    area = shapely.from_wkb(city[0]) if city and city[0] else None
    return build_graph(
        roads,
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows], dtype=float),
        np.array([r[3] for r in rows], dtype=bool),
        water,
        area,
        config,
    )
