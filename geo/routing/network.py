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

    def take(self, idx: npt.ArrayLike) -> Place:
        """Some of the points.

        Parameters
        ----------
        idx : array_like
            Integer positions (or a boolean mask) of the points to keep.

        Returns
        -------
        Place
            Those points, in the order of ``idx``.
        """
        i = np.asarray(idx)
        return Place(
            np.atleast_1d(self.edge[i]), np.atleast_1d(self.along_m[i]),
            np.atleast_1d(self.offroad_m[i]),
        )  # fmt: skip

    @classmethod
    def nowhere(cls, n: int) -> Place:
        """``n`` points that are on no network.

        Parameters
        ----------
        n : int
            How many.

        Returns
        -------
        Place
            Edges -1, off-road metres inf.
        """
        return cls(np.full(n, -1, dtype=np.int64), np.zeros(n), np.full(n, np.inf))


@dataclass(frozen=True)
class Ends:
    """Per point on a network: the vertices at its edge's head and tail, and the seconds
    between the point and each (leaving it, or arriving at it), inf where the edge does not
    run that way or the point is on no edge."""

    head: npt.NDArray[np.int64]
    tail: npt.NDArray[np.int64]
    head_s: npt.NDArray[np.float64]
    tail_s: npt.NDArray[np.float64]

    def take(self, idx: npt.ArrayLike) -> Ends:
        """Some of the points.

        Parameters
        ----------
        idx : array_like
            Integer positions of the points to keep.

        Returns
        -------
        Ends
            Those points' ends, in the order of ``idx``.
        """
        i = np.asarray(idx)
        return Ends(self.head[i], self.tail[i], self.head_s[i], self.tail_s[i])


@dataclass(frozen=True)
class Tree:
    """One search from (or towards) a point: per vertex its seconds, and with predecessors
    the trees (one row per end of the point's edge searched from), the row each vertex is
    best reached in, and per row (vertex, whether it is the edge's head)."""

    at: npt.NDArray[np.float64]
    pred: npt.NDArray[np.int32] | None
    row: npt.NDArray[np.int64]
    ends: list[tuple[int, bool]]
    limit: float


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
    pair_key: npt.NDArray[np.int64]  # sorted tail * n + head of every way an edge is driven
    pair_edge: npt.NDArray[np.int64]  # its edge, or ~edge when driven head to tail
    origin: tuple[float, float]  # lon, lat of the local metric plane
    scale: tuple[float, float]  # metres per degree of lon, lat there
    seg_edge: npt.NDArray[np.int64]  # per segment: its edge
    seg_from_m: npt.NDArray[np.float64]  # metres from the edge's tail to the segment's start
    seg_len_m: npt.NDArray[np.float64]
    seg_xy: npt.NDArray[np.float64]  # (k, 4): x0, y0, x1, y1 in the metric plane
    tree: shapely.STRtree  # of the segments, in the metric plane
    water: shapely.Geometry | None  # in the metric plane
    walk_mps: float
    top_mps: float  # the fastest edge: nothing gets farther in a straight line in a given time

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
        self, target: Place, sources: Place, limit: float = np.inf, tree: Tree | None = None,
        ends: Ends | None = None,
    ) -> npt.NDArray[np.float64]:  # fmt: skip
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
        tree : Tree, optional
            A search towards ``target`` made before (:meth:`search`): not searched again.
        ends : Ends, optional
            The sources' :meth:`ends` (leaving), computed before.

        Returns
        -------
        numpy.ndarray
            Seconds per source.
        """
        return self._one_and_many(target, sources, limit, to_one=True, tree=tree, ends=ends)

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

    def search(
        self, one: Place, limit: float = np.inf, *, to_one: bool = True, preds: bool = True
    ) -> Tree:
        """One search from the single point ``one`` (``to_one``: towards it, on the reversed
        network), to reuse for times and routes.

        Parameters
        ----------
        one : Place
            One point.
        limit : float
            Seconds beyond which the search stops.
        to_one : bool
            Search towards the point instead of away from it.
        preds : bool
            Keep the predecessors (for :meth:`routes_to`).

        Returns
        -------
        Tree
            Seconds per vertex (the point's walk and partial edge included), and the trees.
        """
        e = int(one.edge[0])
        none = Tree(np.full(self.n, np.inf), None, np.zeros(self.n, np.int64), [], limit)
        if e < 0:
            return none
        if to_one:
            at_tail, at_head = (float(v[0]) for v in self.arrive(one))
        else:
            at_head, at_tail = (float(v[0]) for v in self.leave(one))
        ends = [(v, c, h) for v, c, h in ((int(self.tail[e]), at_tail, False),
                (int(self.head[e]), at_head, True)) if math.isfinite(c) and c <= limit]  # fmt: skip
        if not ends:
            return none
        found = dijkstra(self.reverse if to_one else self.matrix, directed=True,
                         indices=[v for v, _, _ in ends], limit=limit,
                         return_predecessors=preds)  # fmt: skip
        dist, pred = found if preds else (found, None)
        dist = np.atleast_2d(dist)
        at = dist[0] + ends[0][1]
        second = np.zeros(self.n, dtype=bool)
        if len(ends) > 1:  # per vertex, the nearer of the two ends (row 1 where it is)
            other = dist[1] + ends[1][1]
            second = other < at
            np.minimum(at, other, out=at)
        at[at > limit] = np.inf
        row = second.astype(np.int64)
        tree = np.atleast_2d(pred) if pred is not None else None
        return Tree(at, tree, row, [(v, h) for v, _, h in ends], limit)

    def ends(self, p: Place, *, leaving: bool = True) -> Ends:
        """Each point's edge ends and the seconds between the point and each.

        Parameters
        ----------
        p : Place
            Points placed on this network.
        leaving : bool
            Seconds from the point to its ends (else from the ends to the point).

        Returns
        -------
        Ends
            Per point, inf seconds where it is on no edge.
        """
        e = np.maximum(p.edge, 0)
        if leaving:
            head_s, tail_s = self.leave(p)
        else:
            tail_s, head_s = self.arrive(p)
        off = p.edge < 0
        return Ends(self.head[e], self.tail[e], np.where(off, np.inf, head_s),
                    np.where(off, np.inf, tail_s))  # fmt: skip

    def _one_and_many(
        self, one: Place, many: Place, limit: float, *, to_one: bool, tree: Tree | None = None,
        ends: Ends | None = None,
    ) -> npt.NDArray[np.float64]:  # fmt: skip
        """Seconds from each of ``many`` to ``one`` (``to_one``) or from ``one`` to each of
        ``many``: one search from ``one``'s ends, then each of ``many`` by its own ends."""
        at = (tree or self.search(one, limit, to_one=to_one, preds=False)).at
        m = ends or self.ends(many, leaving=to_one)
        out = np.minimum(m.head_s + at[m.head], m.tail_s + at[m.tail])
        oe = int(one.edge[0])
        same = np.flatnonzero((many.edge == oe) & (oe >= 0))
        if same.size:  # along the shared edge, without reaching either end
            start, end = (many, one) if to_one else (one, many)
            out[same] = np.minimum(out[same], self.along_edge(oe, start, end, same, to_one))
        out[out > limit] = np.inf
        return out

    def along_edge(
        self, e: int, start: Place, end: Place, same: npt.NDArray[np.int64], many_starts: bool
    ) -> npt.NDArray[np.float64]:
        """Seconds between points on the same edge ``e`` without reaching either end: from
        ``start`` to ``end``, walks included.

        Parameters
        ----------
        e : int
            The shared edge.
        start, end : Place
            One of them a single point, the other many (``many_starts``: ``start``).
        same : numpy.ndarray
            Positions in the many of the points on edge ``e``.
        many_starts : bool
            Whether ``start`` holds the many points.

        Returns
        -------
        numpy.ndarray
            Seconds per point of ``same`` (inf where the edge runs the other way only).
        """
        part = self.sec[e] / max(float(self.length_m[e]), 1e-9)
        a = start.along_m[same] if many_starts else start.along_m[0]
        b = end.along_m[0] if many_starts else end.along_m[same]
        walk = (start.offroad_m[same] + end.offroad_m[0] if many_starts
                else start.offroad_m[0] + end.offroad_m[same])  # fmt: skip
        gap = b - a
        drive = np.where(gap >= 0, gap * part, np.where(self.back[e], -gap * part, np.inf))
        return np.asarray(drive + walk / self.walk_mps, dtype=np.float64)

    def route(
        self, source: Place, target: Place, limit: float = np.inf
    ) -> tuple[float, list[tuple[float, float]]]:
        """The fastest way from the single point ``source`` to ``target`` (see
        :meth:`routes_to`).

        Parameters
        ----------
        source, target : Place
            One point each.
        limit : float
            Seconds beyond which the search stops.

        Returns
        -------
        tuple
            Seconds, and the route's points in degrees; (inf, []) when there is none.
        """
        return self.routes_to(target, source, limit)[0]

    def routes_to(
        self, target: Place, sources: Place, limit: float = np.inf, tree: Tree | None = None
    ) -> list[tuple[float, list[tuple[float, float]]]]:
        """The fastest way from each of ``sources`` to the single point ``target``, from one
        search: seconds and the line as (lon, lat) points from each point's place on its
        road to the target's (the walks are in the seconds, not in the line); (inf, [])
        where there is none within ``limit``.

        Parameters
        ----------
        target : Place
            One point.
        sources : Place
            Many points.
        limit : float
            Seconds beyond which the search stops.
        tree : Tree, optional
            A search towards ``target`` with predecessors (:meth:`search`), to reuse; its
            own limit then applies.

        Returns
        -------
        list of tuple
            Per source: seconds, and the route's points in degrees.
        """
        if tree is None or tree.pred is None:
            tree = self.search(target, limit)
        at, row, ends, limit = tree.at, tree.row, tree.ends, tree.limit
        pred = tree.pred if tree.pred is not None else np.full((1, self.n), -1, np.int32)
        te = int(target.edge[0])
        b = float(target.along_m[0])
        m_head, m_tail = self.leave(sources)
        out: list[tuple[float, list[tuple[float, float]]]] = []
        for i, se in enumerate(sources.edge.tolist()):
            if se < 0 or te < 0:
                out.append((math.inf, []))
                continue
            head, tail = int(self.head[se]), int(self.tail[se])
            via = min((m_head[i] + at[head], head, True), (m_tail[i] + at[tail], tail, False))
            direct = math.inf
            if se == te:
                direct = float(self.along_edge(te, sources, target, np.array([i]), True)[0])
            a = float(sources.along_m[i])
            if direct <= via[0] and direct <= limit:
                out.append((direct, self._degrees(self._piece(se, a, b))))
                continue
            if not via[0] <= limit:
                out.append((math.inf, []))
                continue
            x, r = via[1], int(row[via[1]])
            hops = [x]
            while pred[r, hops[-1]] >= 0:  # the reversed search's parent: the next vertex on
                hops.append(int(pred[r, hops[-1]]))
            first = self._piece(se, a, float(self.length_m[se]) if via[2] else 0.0)
            last = self._piece(te, float(self.length_m[te]) if ends[r][1] else 0.0, b)
            line = self._degrees(np.vstack([first, *self._hops_xy(hops), last[1:]]))
            out.append((float(via[0]), line))
        return out

    def _hops_xy(self, hops: list[int]) -> list[npt.NDArray[np.float64]]:
        """The points (metric plane) of the fastest edge from each vertex of ``hops`` to the
        next, each edge's first point left out (it ends the one before)."""
        key = np.asarray(hops[:-1], np.int64) * self.n + np.asarray(hops[1:], np.int64)
        lo = np.searchsorted(self.pair_key, key)
        hi = np.searchsorted(self.pair_key, key, side="right")
        out = []
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            ids = self.pair_edge[a:b]
            e = np.where(ids >= 0, ids, ~ids)
            k = int(np.argmin(self.sec[e])) if len(e) > 1 else 0
            s0, s1 = np.searchsorted(self.seg_edge, [e[k], e[k] + 1])
            segs = self.seg_xy[s0:s1]
            out.append(segs[:, 2:] if ids[k] >= 0 else segs[::-1, :2])
        return out

    def _piece(self, e: int, a: float, b: float) -> npt.NDArray[np.float64]:
        """Edge ``e`` from ``a`` to ``b`` metres along it (backwards when b < a), metric."""
        lo, hi = np.searchsorted(self.seg_edge, [e, e + 1])  # segments are in edge order
        segs = self.seg_xy[lo:hi]
        xs = np.concatenate([segs[:, 0], segs[-1:, 2]])
        ys = np.concatenate([segs[:, 1], segs[-1:, 3]])
        cum = np.concatenate([[0.0], np.cumsum(self.seg_len_m[lo:hi])])
        d = np.clip([min(a, b), max(a, b)], 0.0, cum[-1])
        inner = (cum > d[0]) & (cum < d[1])
        ex, ey = np.interp(d, cum, xs), np.interp(d, cum, ys)
        if d[1] > d[0]:
            pts = np.column_stack([np.concatenate([ex[:1], xs[inner], ex[1:]]),
                                   np.concatenate([ey[:1], ys[inner], ey[1:]])])  # fmt: skip
        else:
            pts = np.array([[ex[0], ey[0]]])
        return pts[::-1] if b < a else pts

    def _degrees(self, xy: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
        lon = xy[:, 0] / self.scale[0] + self.origin[0]
        lat = xy[:, 1] / self.scale[1] + self.origin[1]
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
    ids = np.arange(n_edges)
    pair = np.r_[tail * n + head, head[back] * n + tail[back]]
    order = np.argsort(pair, kind="stable")
    pair_edge = np.r_[ids, ~ids[back]][order]
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
        pair_key=pair[order], pair_edge=pair_edge,
        origin=(lon0, lat0), scale=scale, seg_edge=seg_edge, seg_from_m=seg_from,
        seg_len_m=seg_len, seg_xy=seg_xy, tree=tree, water=wet, walk_mps=walk_mps,
        top_mps=float(max(np.max(length / sec, initial=0.0), walk_mps)),
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
