"""An exact, one-way-aware road travel-time yardstick built straight from OpenStreetMap ways.

Test code, not product code: the product's routing engine is scored against it, so this module
shares nothing with it (it does not import ``geo``) and keeps every rule plain.

The model
---------
* Every OSM node used by a car-usable way is a vertex; each way is cut into one edge per pair of
  consecutive nodes. Roads meet ONLY where they share a node id, so a bridge, a tunnel or any
  other layer never touches what it crosses, by construction.
* Car-usable classes: ``CAR_HIGHWAYS``. A way tagged ``area=yes`` is a surface, not a road, and
  is left out.
* Access: the most specific of ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` that is
  present decides (OSM's access hierarchy); ``no`` and ``private`` close the way to cars
  (``CLOSED_ACCESS``, a parameter). ``destination`` is open with NO penalty.
* One-way: the most specific of ``oneway:motorcar``, ``oneway:motor_vehicle``, ``oneway`` that
  holds a known value decides: ``yes|true|1`` forward only, ``-1|reverse`` backward only,
  ``no|false|0`` both ways, ``reversible|alternating`` closed (which way such a road runs
  depends on the hour, which a static yardstick cannot know, so it promises neither).
  Without a known value, ``highway=motorway|motorway_link`` and ``junction=roundabout|circular``
  are one-way forward, everything else two-way. Unknown values (e.g. ``"yes; no"``) count as
  absent.
* Edge length: haversine metres; speed: a per-class table in km/h (``DEFAULT_SPEEDS_KMH`` or one
  passed in); a numeric ``maxspeed`` is honoured only when asked (``use_maxspeed=True``).
  Edge weight: seconds. When two ways give the same directed node pair, the faster one counts.
* Not modelled: turn restrictions, barrier nodes (gates, bollards), conditional tags, U-turn
  bans (a vehicle may turn back at any node, never in the middle of an edge), ferries.
* A point is snapped to the nearest car edge (the segment, not its nearest vertex) and walks to
  it at ``WALK_MPS``; it enters the road network at the projected point, from where it may drive
  only in the directions that the edge allows.
"""

from __future__ import annotations

import argparse
import gzip
import math
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
WALK_MPS = 1.4  # the off-road leg between a point and the road it snaps to

CAR_HIGHWAYS = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "motorway_link",
        "trunk_link",
        "primary_link",
        "secondary_link",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)
DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 100.0,
    "motorway_link": 80.0,
    "trunk": 80.0,
    "trunk_link": 65.0,
    "primary": 60.0,
    "primary_link": 50.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}
CLOSED_ACCESS = frozenset({"no", "private"})
ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")  # most specific first
ONEWAY_KEYS = ("oneway:motorcar", "oneway:motor_vehicle", "oneway")  # most specific first
ONEWAY_VALUES: Mapping[str, tuple[bool, bool]] = {
    "yes": (True, False),
    "true": (True, False),
    "1": (True, False),
    "-1": (False, True),
    "reverse": (False, True),
    "no": (True, True),
    "false": (True, True),
    "0": (True, True),
    "reversible": (False, False),
    "alternating": (False, False),
}
IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
_FRACTION_EPS = 1e-9  # a snap this close to an end of its edge is at that end (float noise)


# --------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class Way:
    """One OSM way: its id, its node ids in order and its tags."""

    id: int
    nodes: tuple[int, ...]
    tags: dict[str, str]


@dataclass
class Osm:
    """Highway ways of an extract and the nodes they use (id -> (lon, lat)).

    ``missing_refs`` counts node references of kept ways whose node is not in the file (ways cut
    at the edge of an extract); the segments touching them are left out of the graph.
    """

    nodes: dict[int, tuple[float, float]]
    ways: list[Way]
    missing_refs: int = 0


class _Collector:
    """Keeps every node's position and the highway ways, then drops the unused nodes."""

    def __init__(self) -> None:
        self.nodes: dict[int, tuple[float, float]] = {}
        self.ways: list[Way] = []

    def add_way(self, way_id: int, refs: Iterable[int], tags: dict[str, str]) -> None:
        if "highway" in tags:
            self.ways.append(Way(way_id, tuple(refs), tags))

    def finish(self) -> Osm:
        used = {ref for w in self.ways for ref in w.nodes}
        nodes = {ref: self.nodes[ref] for ref in used if ref in self.nodes}
        missing = sum(1 for w in self.ways for ref in w.nodes if ref not in nodes)
        return Osm(nodes=nodes, ways=self.ways, missing_refs=missing)


def _read_xml(path: Path) -> Osm:
    out = _Collector()
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        root = None
        for event, el in ET.iterparse(fh, events=("start", "end")):
            if root is None:
                root = el
            if event != "end":
                continue
            if el.tag == "node":
                out.nodes[int(el.attrib["id"])] = (float(el.attrib["lon"]), float(el.attrib["lat"]))
            elif el.tag == "way":
                tags = {t.attrib["k"]: t.attrib["v"] for t in el.iter("tag")}
                out.add_way(
                    int(el.attrib["id"]), (int(n.attrib["ref"]) for n in el.iter("nd")), tags
                )
            elif el.tag != "relation":
                continue
            root.clear()  # drop the finished element (and its children) from the tree
    return out.finish()


def _read_pbf(path: Path) -> Osm:
    import osmium  # test-only dependency (pyosmium), imported where it is needed

    out = _Collector()
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            loc = obj.location
            if loc.valid():
                out.nodes[obj.id] = (loc.lon, loc.lat)
        else:
            tags = {t.k: t.v for t in obj.tags}
            if "highway" in tags:
                out.add_way(obj.id, (n.ref for n in obj.nodes), tags)
    return out.finish()


def read_osm(path: str | Path) -> Osm:
    """Read the highway ways of an OSM extract and the nodes they use.

    Parameters
    ----------
    path : str or Path
        OSM XML (``.osm``, or gzipped ``.osm.gz``, streamed) or PBF (``.pbf``, read with
        pyosmium). Node ids need not be sorted.

    Returns
    -------
    Osm
        Ways carrying a ``highway`` tag and the positions of the nodes they reference.
    """
    path = Path(path)
    return _read_pbf(path) if path.name.endswith(".pbf") else _read_xml(path)


# --------------------------------------------------------------------------------------------
# Tag rules


def car_access(tags: Mapping[str, str], closed: Collection[str] = CLOSED_ACCESS) -> bool:
    """Whether the access tags of a way let private cars in.

    Parameters
    ----------
    tags : Mapping[str, str]
        The way's tags.
    closed : Collection[str]
        Access values that shut cars out (default ``no`` and ``private``).

    Returns
    -------
    bool
        False when the most specific of ``motorcar``, ``motor_vehicle``, ``vehicle``,
        ``access`` that is present holds a closed value; True otherwise (``destination``
        included).
    """
    for key in ACCESS_KEYS:
        if key in tags:
            return tags[key].strip() not in closed
    return True


def car_directions(
    tags: Mapping[str, str], closed_access: Collection[str] = CLOSED_ACCESS
) -> tuple[bool, bool]:
    """The directions in which a car may drive a way.

    Parameters
    ----------
    tags : Mapping[str, str]
        The way's tags.
    closed_access : Collection[str]
        Access values that shut cars out (see ``car_access``).

    Returns
    -------
    tuple of bool
        ``(forward, backward)``: along the way's node order, and against it. ``(False, False)``
        for a way that is no car road (class, ``area=yes``, access, reversible).
    """
    if tags.get("highway") not in CAR_HIGHWAYS or tags.get("area") == "yes":
        return False, False
    if not car_access(tags, closed_access):
        return False, False
    for key in ONEWAY_KEYS:
        value = tags.get(key, "").strip().lower()
        if value in ONEWAY_VALUES:
            return ONEWAY_VALUES[value]
    implied = (
        tags["highway"] in IMPLIED_ONEWAY_HIGHWAYS
        or tags.get("junction") in IMPLIED_ONEWAY_JUNCTIONS
    )
    return (True, False) if implied else (True, True)


_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$")


def parse_maxspeed(value: str | None) -> float | None:
    """A numeric ``maxspeed`` in km/h, or None for anything else (``none``, ``walk``, zones).

    Parameters
    ----------
    value : str or None
        The tag's value.

    Returns
    -------
    float or None
        The speed in km/h (mph converted), None when not a positive number.
    """
    m = _MAXSPEED.match(value or "")
    if not m:
        return None
    kmh = float(m.group(1)) * (1.609344 if m.group(2) == "mph" else 1.0)
    return kmh if kmh > 0 else None


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres on a sphere of radius ``EARTH_RADIUS_M``.

    Parameters
    ----------
    lon1, lat1, lon2, lat2 : array_like
        Degrees.

    Returns
    -------
    numpy.ndarray
        Metres.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


# --------------------------------------------------------------------------------------------
# The graph


@dataclass(frozen=True)
class RoadGraph:
    """A directed node-level car graph.

    Vertices are indexed 0..n-1 (``node_ids`` holds their OSM ids, sorted). Directed edges are
    ``tail[i] -> head[i]`` (no two with the same pair); ``forward`` is the CSR matrix of their
    seconds and ``backward`` its transpose. Segments (``seg_*``) are the undirected node pairs,
    each oriented so that ``seg_u -> seg_v`` is drivable; ``seg_sec_vu`` is inf on one-way ones.
    """

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tail: np.ndarray
    head: np.ndarray
    length_m: np.ndarray
    seconds: np.ndarray
    way_id: np.ndarray
    forward: sp.csr_matrix
    backward: sp.csr_matrix
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_sec_uv: np.ndarray
    seg_sec_vu: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def n_vertices(self) -> int:
        """Number of vertices.

        Returns
        -------
        int
            Car-road nodes.
        """
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges.

        Returns
        -------
        int
            Directed car edges.
        """
        return len(self.tail)

    def index(self, osm_ids: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """Vertex indices of OSM node ids.

        Parameters
        ----------
        osm_ids : int or sequence of int
            OSM node ids that are vertices of the graph.

        Returns
        -------
        numpy.ndarray
            Their indices (KeyError if one is not a vertex).
        """
        ids = np.atleast_1d(np.asarray(osm_ids, dtype=np.int64))
        pos = np.searchsorted(self.node_ids, ids)
        pos_ok = np.minimum(pos, max(len(self.node_ids) - 1, 0))
        bad = (pos >= len(self.node_ids)) | (self.node_ids[pos_ok] != ids)
        if bad.any():
            raise KeyError(f"not car-road nodes: {ids[bad][:10].tolist()}")
        return pos

    def oneway_share(self) -> float:
        """Share of directed edges whose opposite direction is not drivable.

        Returns
        -------
        float
            0..1 (0 for an empty graph).
        """
        if not self.n_edges:
            return 0.0
        return float(np.isinf(self.seg_sec_vu).sum() / self.n_edges)

    def largest_scc_share(self) -> float:
        """Share of vertices in the largest strongly connected component.

        Returns
        -------
        float
            0..1 (0 for an empty graph).
        """
        if not self.n_vertices:
            return 0.0
        _, labels = connected_components(self.forward, directed=True, connection="strong")
        return float(np.bincount(labels).max() / self.n_vertices)


def car_graph(
    osm: Osm,
    speeds: Mapping[str, float] | None = None,
    *,
    use_maxspeed: bool = False,
    closed_access: Collection[str] = CLOSED_ACCESS,
) -> RoadGraph:
    """Build the directed car graph of an extract, straight from its ways.

    Parameters
    ----------
    osm : Osm
        From ``read_osm`` (or built by hand).
    speeds : Mapping[str, float], optional
        km/h per highway class; classes it leaves out take ``DEFAULT_SPEEDS_KMH``.
    use_maxspeed : bool
        Take a numeric ``maxspeed`` (km/h, or mph) over the class speed. Off by default, so that
        an engine and this yardstick can share one class table.
    closed_access : Collection[str]
        Access values that shut cars out (default ``no`` and ``private``).

    Returns
    -------
    RoadGraph
        Edge weights in seconds.
    """
    table = {**DEFAULT_SPEEDS_KMH, **(speeds or {})}
    bad = {k: v for k, v in table.items() if not v > 0}
    if bad:
        raise ValueError(f"speeds must be positive km/h: {bad}")
    tails: list[int] = []
    heads: list[int] = []
    kmhs: list[float] = []
    ways: list[int] = []
    stats = {"car_ways": 0, "skipped_segments_missing_node": 0, "self_loops": 0}
    for way in osm.ways:
        fwd, bwd = car_directions(way.tags, closed_access)
        if not (fwd or bwd):
            continue
        stats["car_ways"] += 1
        kmh = table[way.tags["highway"]]
        if use_maxspeed:
            kmh = parse_maxspeed(way.tags.get("maxspeed")) or kmh
        for a, b in zip(way.nodes[:-1], way.nodes[1:], strict=True):
            if a not in osm.nodes or b not in osm.nodes:
                stats["skipped_segments_missing_node"] += 1
                continue
            if a == b:
                stats["self_loops"] += 1
                continue
            for tail, head in ([(a, b)] if fwd else []) + ([(b, a)] if bwd else []):
                tails.append(tail)
                heads.append(head)
                kmhs.append(kmh)
                ways.append(way.id)
    return _assemble(osm, tails, heads, kmhs, ways, stats)


def _assemble(
    osm: Osm,
    tails: list[int],
    heads: list[int],
    kmhs: list[float],
    ways: list[int],
    stats: dict[str, int],
) -> RoadGraph:
    t_id = np.asarray(tails, dtype=np.int64)
    h_id = np.asarray(heads, dtype=np.int64)
    node_ids = np.unique(np.concatenate([t_id, h_id]))  # sorted, whatever the file's order
    n = len(node_ids)
    lon = np.array([osm.nodes[int(i)][0] for i in node_ids], dtype=float)
    lat = np.array([osm.nodes[int(i)][1] for i in node_ids], dtype=float)
    tail = np.searchsorted(node_ids, t_id)
    head = np.searchsorted(node_ids, h_id)
    length = haversine_m(lon[tail], lat[tail], lon[head], lat[head])
    seconds = length / (np.asarray(kmhs, dtype=float) / 3.6)
    way_id = np.asarray(ways, dtype=np.int64)
    # One edge per directed pair: the fastest (csr_matrix would SUM duplicates).
    order = np.lexsort((seconds, head, tail))
    key = tail[order] * n + head[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    keep = order[first]
    stats["duplicate_edges"] = int(len(order) - len(keep))
    tail, head, length, seconds, way_id = (
        tail[keep], head[keep], length[keep], seconds[keep], way_id[keep]
    )  # fmt: skip
    forward = sp.csr_matrix((seconds, (tail, head)), shape=(n, n))
    backward = sp.csr_matrix((seconds, (head, tail)), shape=(n, n))
    # Undirected segments, oriented so that u -> v is drivable.
    lo, hi = np.minimum(tail, head), np.maximum(tail, head)
    seg_key, inv = np.unique(lo * n + hi, return_inverse=True)
    up = tail < head
    sec_lohi = np.full(len(seg_key), np.inf)
    sec_hilo = np.full(len(seg_key), np.inf)
    sec_lohi[inv[up]] = seconds[up]
    sec_hilo[inv[~up]] = seconds[~up]
    s_lo, s_hi = seg_key // n, seg_key % n
    swap = np.isinf(sec_lohi)
    return RoadGraph(
        node_ids=node_ids,
        lon=lon,
        lat=lat,
        tail=tail,
        head=head,
        length_m=length,
        seconds=seconds,
        way_id=way_id,
        forward=forward,
        backward=backward,
        seg_u=np.where(swap, s_hi, s_lo),
        seg_v=np.where(swap, s_lo, s_hi),
        seg_sec_uv=np.where(swap, sec_hilo, sec_lohi),
        seg_sec_vu=np.where(swap, sec_lohi, sec_hilo),
        stats=stats,
    )


def node_times(
    graph: RoadGraph, sources: Sequence[int] | np.ndarray, targets: Sequence[int] | None = None
) -> np.ndarray:
    """Driving seconds between vertices (OSM node ids).

    Parameters
    ----------
    graph : RoadGraph
        The car graph.
    sources : sequence of int
        OSM node ids to start from.
    targets : sequence of int, optional
        OSM node ids to report (all vertices, in index order, when omitted).

    Returns
    -------
    numpy.ndarray
        ``(len(sources), len(targets))`` seconds, inf where unreachable.
    """
    dist = dijkstra(graph.forward, directed=True, indices=graph.index(sources))
    return dist if targets is None else dist[:, graph.index(targets)]


# --------------------------------------------------------------------------------------------
# Snapping and point-to-point times


@dataclass(frozen=True)
class Snap:
    """A point's projection onto its nearest car segment ``u -> v`` (vertex indices).

    ``fraction`` runs from 0 at ``u`` to 1 at ``v``; ``sec_uv`` is the whole edge's driving
    time, ``sec_vu`` that of the opposite direction (inf on a one-way segment).
    """

    u: int
    v: int
    fraction: float
    offroad_m: float
    lon: float
    lat: float
    sec_uv: float
    sec_vu: float

    def leave(self) -> tuple[float, float]:
        """Seconds from the projected point to ``u`` and to ``v``.

        Returns
        -------
        tuple of float
            ``(to_u, to_v)``; ``to_u`` is inf on a one-way segment unless the point is at ``u``.
        """
        f = self.fraction
        to_u = 0.0 if f == 0.0 else (f * self.sec_vu if math.isfinite(self.sec_vu) else math.inf)
        to_v = 0.0 if f == 1.0 else (1.0 - f) * self.sec_uv
        return to_u, to_v

    def enter(self) -> tuple[float, float]:
        """Seconds to the projected point from ``u`` and from ``v``.

        Returns
        -------
        tuple of float
            ``(from_u, from_v)``; ``from_v`` is inf on a one-way segment unless the point is at
            ``v``.
        """
        f = self.fraction
        from_u = 0.0 if f == 0.0 else f * self.sec_uv
        if f == 1.0:
            from_v = 0.0
        else:
            from_v = (1.0 - f) * self.sec_vu if math.isfinite(self.sec_vu) else math.inf
        return from_u, from_v


def snap(graph: RoadGraph, lon: float, lat: float) -> Snap:
    """Snap a point to the nearest car segment (perpendicular projection, not nearest vertex).

    Distances are compared in a local equirectangular plane centred on the point (exact enough
    for choosing among nearby segments); the reported off-road distance is the haversine from
    the point to its projection.

    Parameters
    ----------
    graph : RoadGraph
        The car graph (at least one edge).
    lon, lat : float
        The point, degrees.

    Returns
    -------
    Snap
        The segment, the fraction along it, the off-road metres and the projected point.
    """
    if not len(graph.seg_u):
        raise ValueError("the graph has no car edges to snap to")
    kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    ky = math.radians(1.0) * EARTH_RADIUS_M
    ax = (graph.lon[graph.seg_u] - lon) * kx
    ay = (graph.lat[graph.seg_u] - lat) * ky
    dx = (graph.lon[graph.seg_v] - lon) * kx - ax
    dy = (graph.lat[graph.seg_v] - lat) * ky - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(len2 > 0, -(ax * dx + ay * dy) / len2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    px, py = ax + t * dx, ay + t * dy
    i = int(np.argmin(px * px + py * py))
    f = float(t[i])
    if f < _FRACTION_EPS:
        f = 0.0
    elif f > 1.0 - _FRACTION_EPS:
        f = 1.0
    u, v = int(graph.seg_u[i]), int(graph.seg_v[i])
    plon = graph.lon[u] + f * (graph.lon[v] - graph.lon[u])
    plat = graph.lat[u] + f * (graph.lat[v] - graph.lat[u])
    return Snap(
        u=u,
        v=v,
        fraction=f,
        offroad_m=float(haversine_m(lon, lat, plon, plat)),
        lon=float(plon),
        lat=float(plat),
        sec_uv=float(graph.seg_sec_uv[i]),
        sec_vu=float(graph.seg_sec_vu[i]),
    )


def _along_edge(src: Snap, dst: Snap) -> float:
    """Driving seconds from ``src`` to ``dst`` without leaving their common segment."""
    if (src.u, src.v) != (dst.u, dst.v):
        return math.inf
    if dst.fraction >= src.fraction:
        return (dst.fraction - src.fraction) * src.sec_uv
    if math.isfinite(src.sec_vu):
        return (src.fraction - dst.fraction) * src.sec_vu
    return math.inf


def times_to_snap(graph: RoadGraph, target: Snap) -> np.ndarray:
    """Driving seconds from every vertex to a snapped point (one reverse Dijkstra).

    Parameters
    ----------
    graph : RoadGraph
        The car graph.
    target : Snap
        The destination's projection.

    Returns
    -------
    numpy.ndarray
        Seconds per vertex (inf where the point cannot be reached), off-road leg excluded.
    """
    n = graph.n_vertices
    from_u, from_v = target.enter()
    extra = [(target.u, from_u)] + ([(target.v, from_v)] if math.isfinite(from_v) else [])
    rev = graph.backward
    # The reversed graph plus a virtual vertex n (the point) with edges to u and v carrying the
    # partial-edge times: one search gives min(d(x,u) + from_u, d(x,v) + from_v) for every x.
    aug = sp.csr_matrix(
        (
            np.concatenate([rev.data, [w for _, w in extra]]),
            np.concatenate([rev.indices, [j for j, _ in extra]]),
            np.concatenate([rev.indptr, [rev.indptr[-1] + len(extra)]]),
        ),
        shape=(n + 1, n + 1),
    )
    return dijkstra(aug, directed=True, indices=n)[:n]


def travel_times(
    graph: RoadGraph,
    sources: Sequence[tuple[float, float]] | np.ndarray,
    target: tuple[float, float],
    *,
    walk_mps: float = WALK_MPS,
) -> np.ndarray:
    """Point-to-point seconds from many sources (units) to one target (an incident).

    Each point is snapped (``snap``) and walks its off-road leg at ``walk_mps``; on the road a
    source leaves its segment towards ``v`` (or towards ``u`` when the segment is two-way), and
    the target is reached from ``u`` (or from ``v`` when two-way); a source on the target's own
    segment may also drive straight to it when the direction allows.

    Parameters
    ----------
    graph : RoadGraph
        The car graph.
    sources : sequence of (lon, lat)
        Starting points, degrees.
    target : (lon, lat)
        The destination, degrees.
    walk_mps : float
        Walking speed of the off-road legs, m/s.

    Returns
    -------
    numpy.ndarray
        Seconds per source, inf where the target cannot be reached by car.
    """
    snaps = [snap(graph, lon, lat) for lon, lat in np.asarray(sources, float).reshape(-1, 2)]
    return times_from_snaps(graph, snaps, target, walk_mps=walk_mps)


def times_from_snaps(
    graph: RoadGraph,
    sources: Sequence[Snap],
    target: tuple[float, float],
    *,
    walk_mps: float = WALK_MPS,
) -> np.ndarray:
    """:func:`travel_times` from sources snapped once (many targets, the same units).

    Parameters
    ----------
    graph : RoadGraph
        The car graph.
    sources : sequence of Snap
        The starting points, snapped with :func:`snap`.
    target : (lon, lat)
        The destination, degrees.
    walk_mps : float
        Walking speed of the off-road legs, m/s.

    Returns
    -------
    numpy.ndarray
        Seconds per source, inf where the target cannot be reached by car.
    """
    dst = snap(graph, *target)
    to_dst = times_to_snap(graph, dst)
    out = np.full(len(sources), np.inf)
    for k, src in enumerate(sources):
        to_u, to_v = src.leave()
        drive = min(to_u + to_dst[src.u], to_v + to_dst[src.v], _along_edge(src, dst))
        out[k] = src.offroad_m / walk_mps + drive + dst.offroad_m / walk_mps
    return out


# --------------------------------------------------------------------------------------------
# CLI


def main(argv: Sequence[str] | None = None) -> None:
    """Print the figures of one extract: ways, car edges, one-way share, largest SCC, seconds.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (``FILE [--maxspeed]``).
    """
    parser = argparse.ArgumentParser(prog="python -m tests.yardstick.osm_roads")
    parser.add_argument("file", type=Path)
    parser.add_argument("--maxspeed", action="store_true", help="honour numeric maxspeed tags")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    osm = read_osm(args.file)
    t1 = time.perf_counter()
    graph = car_graph(osm, use_maxspeed=args.maxspeed)
    t2 = time.perf_counter()
    s = graph.stats
    print(f"file: {args.file.name}")
    print(f"ways read (highway=*): {len(osm.ways)}, of them car ways: {s['car_ways']}")
    print(f"nodes kept: {len(osm.nodes)}; refs to nodes missing from the file: {osm.missing_refs}")
    print(f"car edges (directed): {graph.n_edges} over {graph.n_vertices} nodes")
    print(f"one-way edge share: {graph.oneway_share():.1%} (edges with no opposite edge)")
    print(f"largest strongly connected component: {graph.largest_scc_share():.1%} of car nodes")
    print(f"read+build: {t2 - t0:.2f} s (read {t1 - t0:.2f} s, build {t2 - t1:.2f} s)")


if __name__ == "__main__":
    main()
