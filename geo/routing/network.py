"""One travel mode's directed road network: roads meet only where they share a vertex.

Issue 20's model, built from the ``roads`` rows (EPSG:4326 lines with class, own speed,
one-way and car access):

- A road is usable by a mode when its class has a speed for the mode; for cars, not when its
  car access is ``no``. ``destination`` roads take cars at a fraction of their speed
  (``DESTINATION_FACTOR``): a trip may start or end there, but a through route avoids them.
- Vertices are the points where usable roads end or share a vertex (an OSM node: the same
  coordinates to 1e-7 degrees). A bridge, a tunnel or a road on another layer shares no
  vertex with what it crosses, so it never touches it. Each stretch of one road between two
  vertices is an edge, in the direction the line is drawn, and back too unless the road is
  one-way for the mode (walking ignores one-way).
- A point (a unit, an incident, a cell's centre) snaps to the nearest segment of a usable
  road, measured in metres, never across water, and walks there at ``walk_mps``: off-road
  movement happens only between a point and its snapped edge. From there it drives to the
  edge's ends the ways the edge allows (:class:`Place`).

Searches are :func:`scipy.sparse.csgraph.dijkstra` over the edges; many-to-one (units to an
incident) runs on the reversed network from the incident.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
import shapely.ops
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

EARTH_R = 6_371_008.8
DESTINATION_FACTOR = 0.25  # a car's speed on a road for access to its destinations only
WALK_MPS = 1.4  # between a point and the road it snaps to
SNAP_SEARCH_M = 400.0  # a point looks this far for a dry way onto a road
_GRID = 1e7  # vertices are the same point when equal to 1e-7 degrees


@dataclass(frozen=True)
class Place:
    """Where points join the network: per point, its edge (-1: none), the metres along the
    edge from its tail, and the metres off-road to it."""

    edge: npt.NDArray[np.int64]
    along_m: npt.NDArray[np.float64]
    offroad_m: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Network:
    """Vertices, edges (stretches of one road between two vertices) and their segments."""

    mode: str
    lon: npt.NDArray[np.float64]  # per vertex
    lat: npt.NDArray[np.float64]
    tail: npt.NDArray[np.int64]  # per edge: the vertex it starts at (as drawn)
    head: npt.NDArray[np.int64]
    length_m: npt.NDArray[np.float64]
    sec: npt.NDArray[np.float64]  # seconds to drive the whole edge
    back: npt.NDArray[np.bool_]  # the edge may also be driven head to tail
    road: npt.NDArray[np.int64]  # the road (input row) each edge is a stretch of
    matrix: csr_matrix  # vertex -> vertex seconds (the fastest edge where several)
    reverse: csr_matrix  # the same, transposed: many-to-one searches
    origin: tuple[float, float]  # lon, lat of the local metric plane
    scale: tuple[float, float]  # metres per degree of lon, lat there
    seg_edge: npt.NDArray[np.int64]  # per segment: its edge
    seg_from_m: npt.NDArray[np.float64]  # metres from the edge's tail to the segment's start
    seg_len_m: npt.NDArray[np.float64]
    seg_xy: npt.NDArray[np.float64]  # (k, 4): x0, y0, x1, y1 in the metric plane
    tree: shapely.STRtree  # of the segments, in the metric plane
    water: shapely.Geometry | None  # in the metric plane
    walk_mps: float

    @property
    def n(self) -> int:
        """Number of vertices.

        Returns
        -------
        int
            The size of ``matrix``.
        """
        return len(self.lon)

    def to_xy(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Points in the network's local metric plane.

        Parameters
        ----------
        lon, lat : array_like
            Degrees.

        Returns
        -------
        numpy.ndarray
            (n, 2) metres east and north of ``origin``.
        """
        x = (np.asarray(lon, dtype=float) - self.origin[0]) * self.scale[0]
        y = (np.asarray(lat, dtype=float) - self.origin[1]) * self.scale[1]
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def place(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> Place:
        """Snap points to the nearest segment of a usable road, not across water.

        Parameters
        ----------
        lon, lat : array_like
            The points in degrees.

        Returns
        -------
        Place
            Each point's edge (-1 where no road is within ``SNAP_SEARCH_M`` without crossing
            water), metres along it and metres off-road.
        """
        xy = self.to_xy(lon, lat)
        pts = shapely.points(xy)
        idx = self.tree.query_nearest(pts, all_matches=False)
        seg = np.full(len(xy), -1, dtype=np.int64)
        seg[idx[0]] = idx[1]
        t, d = self._project(xy, seg)
        if self.water is not None:
            wet = np.flatnonzero(self._crosses_water(xy, seg, t))
            for i in wet:
                seg[i], t[i], d[i] = self._dry_snap(xy[i])
        ok = seg >= 0
        edge = np.where(ok, self.seg_edge[np.maximum(seg, 0)], -1)
        along = np.where(ok, self.seg_from_m[np.maximum(seg, 0)]
                         + t * self.seg_len_m[np.maximum(seg, 0)], 0.0)  # fmt: skip
        return Place(edge, along, np.where(ok, d, np.inf))

    def _project(
        self, xy: npt.NDArray[np.float64], seg: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        s = self.seg_xy[np.maximum(seg, 0)]
        dx, dy = s[:, 2] - s[:, 0], s[:, 3] - s[:, 1]
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(
                len2 > 0, ((xy[:, 0] - s[:, 0]) * dx + (xy[:, 1] - s[:, 1]) * dy) / len2, 0
            )
        t = np.clip(t, 0.0, 1.0)
        d = np.hypot(s[:, 0] + t * dx - xy[:, 0], s[:, 1] + t * dy - xy[:, 1])
        return t, d

    def _crosses_water(
        self, xy: npt.NDArray[np.float64], seg: npt.NDArray[np.int64], t: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Whether each point's way to its road crosses water: passes through water it does
        not start in (a point in a harbour may leave it; it may not cross it to the far
        quay)."""
        s = self.seg_xy[np.maximum(seg, 0)]
        end = np.column_stack(
            [s[:, 0] + t * (s[:, 2] - s[:, 0]), s[:, 1] + t * (s[:, 3] - s[:, 1])]
        )
        legs = shapely.linestrings(np.stack([xy, end], axis=1))
        out = (seg >= 0) & shapely.intersects(self.water, legs)
        for i in np.flatnonzero(out):
            start = shapely.Point(xy[i])
            wet = shapely.get_parts(shapely.intersection(self.water, legs[i]))
            out[i] = any(w.length > 1 and w.distance(start) > 1 for w in wet)
        return out

    def _dry_snap(self, xy: npt.NDArray[np.float64]) -> tuple[int, float, float]:
        """The nearest segment reached without crossing water: (segment, t, metres)."""
        near = self.tree.query(shapely.Point(xy), predicate="dwithin", distance=SNAP_SEARCH_M)
        if not len(near):
            return -1, 0.0, math.inf
        pts = np.repeat(xy[None, :], len(near), axis=0)
        t, d = self._project(pts, near.astype(np.int64))
        order = np.argsort(d, kind="stable")
        for k in order:
            if not self._crosses_water(
                pts[k : k + 1], near[k : k + 1].astype(np.int64), t[k : k + 1]
            )[0]:
                return int(near[k]), float(t[k]), float(d[k])
        return -1, 0.0, math.inf

    def _partial(self, p: Place) -> tuple[npt.NDArray[np.float64], ...]:
        """Per placed point: seconds between it and its edge's tail, and its head (the walk
        included), inf where it is not placed."""
        e = np.maximum(p.edge, 0)
        part = self.sec[e] / np.maximum(self.length_m[e], 1e-9)
        walk = np.where(p.edge >= 0, p.offroad_m / self.walk_mps, np.inf)
        return walk + p.along_m * part, walk + (self.length_m[e] - p.along_m) * part

    def leave(self, p: Place) -> tuple[npt.NDArray[np.float64], ...]:
        """Seconds from each placed point to its edge's head and to its tail (inf where the
        edge cannot be driven that way), the walk included.

        Parameters
        ----------
        p : Place
            Points placed on this network.

        Returns
        -------
        tuple of numpy.ndarray
            (to head, to tail) seconds per point.
        """
        tail, head = self._partial(p)
        return head, np.where(self.back[np.maximum(p.edge, 0)], tail, np.inf)

    def arrive(self, p: Place) -> tuple[npt.NDArray[np.float64], ...]:
        """Seconds from each placed point's edge's tail and head to the point (inf where the
        edge cannot be driven that way), the walk included.

        Parameters
        ----------
        p : Place
            Points placed on this network.

        Returns
        -------
        tuple of numpy.ndarray
            (from tail, from head) seconds per point.
        """
        tail, head = self._partial(p)
        return tail, np.where(self.back[np.maximum(p.edge, 0)], head, np.inf)

    def times_to(
        self, target: Place, sources: Place, limit: float = np.inf
    ) -> npt.NDArray[np.float64]:
        """Seconds from each of ``sources`` to the single point ``target`` (inf: not within
        ``limit`` or not reachable), exact on the directed network.

        Parameters
        ----------
        target : Place
            One point.
        sources : Place
            Many points.
        limit : float
            Seconds beyond which the search stops.

        Returns
        -------
        numpy.ndarray
            Seconds per source.
        """
        return self._one_and_many(target, sources, limit, to_one=True)

    def times_from(
        self, source: Place, targets: Place, limit: float = np.inf
    ) -> npt.NDArray[np.float64]:
        """Seconds from the single point ``source`` to each of ``targets``.

        Parameters
        ----------
        source : Place
            One point.
        targets : Place
            Many points.
        limit : float
            Seconds beyond which the search stops.

        Returns
        -------
        numpy.ndarray
            Seconds per target (inf: not within ``limit`` or not reachable).
        """
        return self._one_and_many(source, targets, limit, to_one=False)

    def _one_and_many(
        self, one: Place, many: Place, limit: float, *, to_one: bool
    ) -> npt.NDArray[np.float64]:
        """Seconds from each of ``many`` to ``one`` (``to_one``: one search on the reversed
        network from the ends ``one`` is reached from) or from ``one`` to each of ``many``
        (one search from the ends it leaves by)."""
        oe = int(one.edge[0])
        out = np.full(len(many.edge), np.inf)
        if oe < 0:
            return out
        if to_one:
            at_tail, at_head = (float(v[0]) for v in self.arrive(one))
            m_head, m_tail = self.leave(many)
        else:
            at_head, at_tail = (float(v[0]) for v in self.leave(one))
            m_tail, m_head = self.arrive(many)
        ends = [(v, c) for v, c in ((int(self.tail[oe]), at_tail), (int(self.head[oe]), at_head))
                if math.isfinite(c)]  # fmt: skip
        dist = dijkstra(self.reverse if to_one else self.matrix, directed=True,
                        indices=[v for v, _ in ends], limit=limit)  # fmt: skip
        at = np.min(np.atleast_2d(dist) + np.array([c for _, c in ends])[:, None], axis=0)
        e = np.maximum(many.edge, 0)
        out = np.minimum(m_head + at[self.head[e]], m_tail + at[self.tail[e]])
        out = np.where(many.edge >= 0, out, np.inf)
        same = np.flatnonzero(many.edge == oe)
        if same.size:  # along the shared edge, without reaching either end
            start, end = (many, one) if to_one else (one, many)
            out[same] = np.minimum(out[same], self._along(oe, start, end, same, to_one))
        out[out > limit] = np.inf
        return out

    def _along(
        self, e: int, start: Place, end: Place, same: npt.NDArray[np.int64], many_starts: bool
    ) -> npt.NDArray[np.float64]:
        """Seconds between points on the same edge ``e`` without reaching either end: from
        ``start`` to ``end`` (one of them many, indexed by ``same``), walks included."""
        part = self.sec[e] / max(float(self.length_m[e]), 1e-9)
        a = start.along_m[same] if many_starts else start.along_m[0]
        b = end.along_m[0] if many_starts else end.along_m[same]
        walk = (start.offroad_m[same] + end.offroad_m[0] if many_starts
                else start.offroad_m[0] + end.offroad_m[same])  # fmt: skip
        gap = b - a
        drive = np.where(gap >= 0, gap * part, np.where(self.back[e], -gap * part, np.inf))
        return np.asarray(drive + walk / self.walk_mps, dtype=np.float64)

    def route(self, source: Place, target: Place) -> tuple[float, list[tuple[float, float]]]:
        """The fastest way from the single point ``source`` to ``target``: its seconds and
        its line as (lon, lat) points, from the points' places on their roads (the walks
        are in the seconds, not in the line). (inf, []) when there is none.

        Parameters
        ----------
        source, target : Place
            One point each.

        Returns
        -------
        tuple
            Seconds, and the route's points in degrees.
        """
        se, te = int(source.edge[0]), int(target.edge[0])
        if se < 0 or te < 0:
            return math.inf, []
        to_head, to_tail = (float(v[0]) for v in self.leave(source))
        from_tail, from_head = (float(v[0]) for v in self.arrive(target))
        starts = [(int(self.head[se]), to_head, True), (int(self.tail[se]), to_tail, False)]
        starts = [x for x in starts if math.isfinite(x[1])]
        ends = [(int(self.tail[te]), from_tail, False), (int(self.head[te]), from_head, True)]
        ends = [x for x in ends if math.isfinite(x[1])]
        dist, pred = dijkstra(self.matrix, directed=True, indices=[v for v, _, _ in starts],
                              return_predecessors=True)  # fmt: skip
        dist, pred = np.atleast_2d(dist), np.atleast_2d(pred)
        best = (math.inf, -1, -1)
        for i, (_, c0, _) in enumerate(starts):
            for j, (v, c1, _) in enumerate(ends):
                best = min(best, (c0 + float(dist[i, v]) + c1, i, j))
        direct = math.inf
        if se == te:
            direct = float(self.times_from(source, target)[0])
        if direct <= best[0]:
            a, b = float(source.along_m[0]), float(target.along_m[0])
            return direct, self._line(se, a, b)
        total, i, j = best
        if not math.isfinite(total):
            return math.inf, []
        vertices = [ends[j][0]]
        while vertices[-1] != starts[i][0]:
            vertices.append(int(pred[i, vertices[-1]]))
        vertices.reverse()
        a = float(source.along_m[0])
        line = self._line(se, a, self.length_m[se] if starts[i][2] else 0.0)
        for u, v in zip(vertices[:-1], vertices[1:], strict=True):
            e, forward = self._edge_between(u, v)
            part = self._line(e, 0.0, self.length_m[e]) if forward else self._line(
                e, self.length_m[e], 0.0)  # fmt: skip
            line += part[1:]
        b = float(target.along_m[0])
        line += self._line(te, 0.0 if not ends[j][2] else self.length_m[te], b)[1:]
        return total, line

    def _edge_between(self, u: int, v: int) -> tuple[int, bool]:
        """The fastest edge that takes a car from vertex u to v, and whether it runs as
        drawn."""
        fwd = np.flatnonzero((self.tail == u) & (self.head == v))
        bwd = np.flatnonzero((self.tail == v) & (self.head == u) & self.back)
        cands = [(float(self.sec[e]), int(e), True) for e in fwd]
        cands += [(float(self.sec[e]), int(e), False) for e in bwd]
        _, e, forward = min(cands)
        return e, forward

    def _line(self, e: int, a: float, b: float) -> list[tuple[float, float]]:
        """Edge ``e`` from ``a`` to ``b`` metres along it (backwards when b < a), in degrees."""
        segs = np.flatnonzero(self.seg_edge == e)
        xy = np.vstack([self.seg_xy[segs, :2], self.seg_xy[segs[-1:], 2:]])
        full = shapely.LineString(xy)
        lo, hi = sorted((a, b))
        piece = (
            shapely.ops.substring(full, lo, hi) if hi > lo else shapely.Point(full.interpolate(lo))
        )
        pts = shapely.get_coordinates(piece)
        if b < a:
            pts = pts[::-1]
        lon = pts[:, 0] / self.scale[0] + self.origin[0]
        lat = pts[:, 1] / self.scale[1] + self.origin[1]
        return list(zip(lon.tolist(), lat.tolist(), strict=True))


def build(
    roads: Sequence[shapely.LineString] | npt.NDArray[np.object_],
    speed_kmh: npt.ArrayLike,
    oneway: npt.ArrayLike,
    *,
    mode: str,
    car: npt.ArrayLike | None = None,
    water: Sequence[shapely.Geometry] | npt.NDArray[np.object_] = (),
    walk_mps: float = WALK_MPS,
) -> Network:
    """Build one mode's network from road lines.

    Parameters
    ----------
    roads : sequence of shapely.LineString
        Road lines in EPSG:4326 (lon, lat), each drawn in its direction of travel when
        one-way.
    speed_kmh : array_like
        Each road's speed for this mode in km/h (0: not usable).
    oneway : array_like
        Each road's one-way flag (ignored when ``mode`` is ``'foot'``).
    mode : str
        ``'car'``, ``'foot'`` or ``'ebike'``.
    car : array_like, optional
        Each road's car access (``'yes'``, ``'destination'``, ``'no'``), for ``mode='car'``.
    water : sequence of shapely.Geometry
        Water polygons: points do not snap across them.
    walk_mps : float
        The off-road speed between a point and its road.

    Returns
    -------
    Network
        The directed network of the usable roads.
    """
    geoms = np.asarray(roads, dtype=object)
    speed = np.asarray(speed_kmh, dtype=float) / 3.6
    one = np.asarray(oneway, dtype=bool) & (mode != "foot")
    if mode == "car" and car is not None:
        access = np.asarray(car, dtype=object)
        speed = np.where(access == "no", 0.0, speed)
        speed = np.where(access == "destination", speed * DESTINATION_FACTOR, speed)
    use = np.flatnonzero(speed > 0)
    xy, line = shapely.get_coordinates(geoms[use], return_index=True)
    if not len(xy):
        raise ValueError(f"no road is usable by {mode}")
    lon0, lat0 = float(np.median(xy[:, 0])), float(np.median(xy[:, 1]))
    scale = (math.radians(1) * EARTH_R * math.cos(math.radians(lat0)), math.radians(1) * EARTH_R)
    # Vertices: points shared by roads (or twice by one), and the ends of every road.
    key = np.round(xy * _GRID).astype(np.int64)
    uniq, point, count = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    point = point.ravel()
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    keep = (count[point] > 1) | first | last
    vid = np.full(len(uniq), -1, dtype=np.int64)
    kept_points = np.unique(point[keep])
    vid[kept_points] = np.arange(len(kept_points))
    # Segments: consecutive points of one road; an edge runs from one kept point to the next.
    seg = np.flatnonzero(~last)
    mx = (xy[:, 0] - lon0) * scale[0]
    my = (xy[:, 1] - lat0) * scale[1]
    seg_len = np.hypot(mx[seg + 1] - mx[seg], my[seg + 1] - my[seg])
    # an edge starts at every kept point that is not a road's last
    starts = keep & ~last
    edge_of_point = np.cumsum(starts) - 1
    seg_edge = edge_of_point[seg]
    n_edges = int(starts.sum())
    length = np.bincount(seg_edge, weights=seg_len, minlength=n_edges).astype(np.float64)
    cum = np.cumsum(seg_len) - seg_len
    edge_start_cum = np.zeros(n_edges)
    first_seg = np.r_[True, seg_edge[1:] != seg_edge[:-1]]
    edge_start_cum[seg_edge[first_seg]] = cum[first_seg]
    seg_from = cum - edge_start_cum[seg_edge]
    start_pt = np.flatnonzero(starts)
    # the head: the next kept point after the start
    kept_idx = np.flatnonzero(keep)
    head_pt = kept_idx[np.searchsorted(kept_idx, start_pt, side="right")]
    road_of_edge = use[line[start_pt]]
    tail = vid[point[start_pt]]
    head = vid[point[head_pt]]
    v = speed[road_of_edge]
    sec = length / v
    back = ~one[road_of_edge]
    n = len(kept_points)
    matrix = _min_csr(np.r_[tail, head[back]], np.r_[head, tail[back]], np.r_[sec, sec[back]], n)
    vxy = uniq[kept_points] / _GRID
    seg_xy = np.column_stack([mx[seg], my[seg], mx[seg + 1], my[seg + 1]])
    tree = shapely.STRtree(shapely.linestrings(seg_xy.reshape(-1, 2, 2)))
    wet = None
    if len(water):
        w = shapely.union_all(np.asarray(water, dtype=object))
        wet = shapely.transform(w, lambda c: (c - (lon0, lat0)) * scale)
        shapely.prepare(wet)
    return Network(
        mode=mode, lon=vxy[:, 0], lat=vxy[:, 1], tail=tail, head=head, length_m=length,
        sec=sec, back=back, road=road_of_edge, matrix=matrix, reverse=matrix.T.tocsr(),
        origin=(lon0, lat0), scale=scale, seg_edge=seg_edge, seg_from_m=seg_from,
        seg_len_m=seg_len, seg_xy=seg_xy, tree=tree, water=wet, walk_mps=walk_mps,
    )  # fmt: skip


def _min_csr(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], w: npt.NDArray[np.float64], n: int
) -> csr_matrix:
    """The n×n matrix of the fastest of the edges a -> b (a CSR would add them up); an edge
    of 0 s is kept as a tiny time (a CSR drops zeros as missing)."""
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    firsts = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    loop = a[firsts] == b[firsts]  # a loop never shortens a trip
    keep = np.flatnonzero(firsts)[~loop]
    return csr_matrix((np.maximum(w[keep], 1e-6), (a[keep], b[keep])), shape=(n, n))
