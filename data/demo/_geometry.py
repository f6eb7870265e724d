"""The demo city's shape, in metres (UTM 49N) around Zhuzhou.

A warped street lattice gives blocks; each block is a grid (网格). A river like the Xiang
crosses the city from south to north; only a few lattice lines cross it as bridges. Blocks
cut by the river are split along its banks; slivers are merged into a neighbour. Communities
are 4x4 groups of blocks on one bank; districts and streets group communities by k-means.
Every coarser polygon is the union of its grids, so grids tile each community exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import LineString, Polygon

SPACING_M = 330.0  # block size: about 0.1 km2, 300-1,000 households
SAMPLES = 3  # points per block side (curved edges)
COMMUNITY_BLOCKS = 4  # communities are 4x4 blocks
RIVER_WIDTH_M = 480.0
BOX = (4, 3)  # blocks (along u, along v) of the centre's one-way pairs, expressway and more


@dataclass(frozen=True)
class SizeSpec:
    nu: int  # lattice columns
    nv: int  # lattice rows
    districts_east: int
    streets: int
    platforms: int
    incidents: int
    fire_stations: int
    ambulance_stations: int


SIZES = {
    "tiny": SizeSpec(14, 12, 2, 4, 3, 3_000, 1, 1),
    "city": SizeSpec(70, 65, 4, 30, 10, 100_000, 5, 6),
    "province": SizeSpec(209, 196, 4, 300, 100, 1_000_000, 50, 60),
}


@dataclass(frozen=True)
class Road:
    """One road line (metres), drawn in its direction of travel when one-way."""

    geom: LineString
    cls: str
    bridge: bool = False
    tunnel: bool = False
    layer: int = 0
    oneway: bool = False
    car: str = "yes"  # car access: yes, destination or no (private)


@dataclass
class CityShape:
    """Everything spatial, in metres. Grid arrays are aligned by index."""

    grid_geoms: np.ndarray  # shapely Polygons
    grid_cells: np.ndarray  # (n, 2) lattice cell (i, j) the grid came from
    grid_bank: np.ndarray  # 0 west, 1 east
    grid_community: np.ndarray  # community index
    community_district: np.ndarray  # district index per community
    community_street: np.ndarray  # street index per community
    street_district: np.ndarray  # district index per street
    n_districts_west: int
    river: Polygon
    roads: list[Road]
    nodes: np.ndarray  # (m, 2) lattice nodes on land (road junctions)
    centre: tuple[float, float]


class _Warp:
    """A smooth, monotone map from lattice coordinates (u, v) to metres (x, y)."""

    def __init__(self, rng: np.random.Generator, nu: int, nv: int) -> None:
        self.nu, self.nv = nu, nv
        self.ph = rng.uniform(0, 2 * np.pi, 6)
        self.angle = np.deg2rad(rng.uniform(-12, 12))

    def __call__(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, p = SPACING_M, self.ph
        # Derivatives of the perturbations stay below 0.35*s: the map is monotone.
        x = (
            s * u
            + 0.9 * s * np.sin(2 * np.pi * v / 23 + p[0])
            + 0.5 * s * np.sin(2 * np.pi * (u + v) / 31 + p[1])
        )
        y = (
            s * v
            + 0.9 * s * np.sin(2 * np.pi * u / 27 + p[2])
            + 0.4 * s * np.sin(2 * np.pi * (u - v) / 29 + p[3])
        )
        x = x - s * self.nu / 2
        y = y - s * self.nv / 2
        c, sn = np.cos(self.angle), np.sin(self.angle)
        return c * x - sn * y, sn * x + c * y


def _cell_ring(warp: _Warp, i: int, j: int) -> np.ndarray:
    t = np.linspace(0, 1, SAMPLES + 1)[:-1]
    u = np.concatenate([i + t, np.full_like(t, i + 1), i + 1 - t, np.full_like(t, i)])
    v = np.concatenate([np.full_like(t, j), j + t, np.full_like(t, j + 1), j + 1 - t])
    x, y = warp(u, v)
    return np.column_stack([x, y])


def _river_centreline(rng: np.random.Generator, ymin: float, ymax: float) -> LineString:
    ys = np.linspace(ymin - 3000, ymax + 3000, 400)
    ph = rng.uniform(0, 2 * np.pi, 3)
    span = ymax - ymin
    xs = (
        0.06 * span * np.sin(2 * np.pi * ys / (0.9 * span) + ph[0])
        + 0.025 * span * np.sin(2 * np.pi * ys / (0.35 * span) + ph[1])
        - 0.08 * span
    )
    return LineString(np.column_stack([xs, ys]))


def _kmeans(points: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Cluster labels 0..k-1 (deterministic); every cluster non-empty."""
    k = max(1, min(k, len(points)))
    if k == 1:
        return np.zeros(len(points), dtype=int)
    _, labels = kmeans2(points, k, minit="++", seed=seed)
    # Renumber to drop empty clusters, ordered north to south then west to east.
    used = np.unique(labels)
    cent = np.array([points[labels == c].mean(axis=0) for c in used])
    order = np.lexsort((cent[:, 0], -cent[:, 1]))
    remap = np.empty(labels.max() + 1, dtype=int)
    remap[used[order]] = np.arange(len(used))
    return remap[labels]


def build_shape(size: SizeSpec, rng: np.random.Generator) -> CityShape:
    """Lay out blocks, river, communities, streets and districts."""
    nu, nv = size.nu, size.nv
    warp = _Warp(rng, nu, nv)

    # 1. Which lattice cells belong to the city: an irregular blob.
    ii, jj = np.meshgrid(np.arange(nu), np.arange(nv), indexing="ij")
    cu, cv = (ii + 0.5 - nu / 2) / (nu / 2), (jj + 0.5 - nv / 2) / (nv / 2)
    theta = np.arctan2(cv, cu)
    ph = rng.uniform(0, 2 * np.pi, 2)
    radius = 1.0 + 0.10 * np.sin(3 * theta + ph[0]) + 0.06 * np.sin(5 * theta + ph[1])
    keep = np.hypot(cu, cv) <= 0.98 * radius
    cells = np.argwhere(keep)
    rings = [_cell_ring(warp, int(i), int(j)) for i, j in cells]
    cell_polys = shapely.polygons(rings)

    # 2. The river, and the lines that cut the land: block edges plus river banks.
    ally = np.concatenate([r[:, 1] for r in rings])
    centre_line = _river_centreline(rng, ally.min(), ally.max())
    river = centre_line.buffer(RIVER_WIDTH_M / 2, quad_segs=4)
    city = shapely.union_all(cell_polys)
    lines = shapely.union_all(
        [
            shapely.boundary(shapely.union_all(cell_polys)),
            *shapely.boundary(cell_polys),
            river.boundary,
        ]
    )
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    reps = shapely.point_on_surface(faces)
    on_land = shapely.contains(city, reps) & ~shapely.contains(river, reps)
    faces, reps = faces[on_land], reps[on_land]
    tree = shapely.STRtree(cell_polys)
    face_idx, cell_idx = tree.query(reps, predicate="within")
    owner = np.full(len(faces), -1)
    owner[face_idx] = cell_idx
    faces, reps, owner = faces[owner >= 0], reps[owner >= 0], owner[owner >= 0]

    # Bank: which side of the river centre line.
    rx = np.interp(shapely.get_y(reps), *np.array(centre_line.coords)[:, ::-1].T)
    bank = (shapely.get_x(reps) > rx).astype(int)

    # 3. Merge slivers (< 35% of a block) into the neighbour with the longest shared edge.
    faces, owner, bank = _merge_slivers(faces, owner, bank)

    grid_cells = cells[owner]
    # 4. Communities: 4x4 blocks on one bank; tiny ones merged into a neighbour.
    key = (
        (grid_cells[:, 0] // COMMUNITY_BLOCKS) * 10_000
        + (grid_cells[:, 1] // COMMUNITY_BLOCKS) * 10
        + bank
    )
    _, community = np.unique(key, return_inverse=True)
    community = _merge_small_communities(faces, community, bank, min_grids=6)

    # 5. Districts (west bank: one; east bank: k-means) and streets within districts.
    n_comm = community.max() + 1
    cxy = np.array(
        [
            shapely.centroid(shapely.union_all(faces[community == c])).coords[0]
            for c in range(n_comm)
        ]
    )
    cbank = np.array([np.bincount(bank[community == c]).argmax() for c in range(n_comm)])
    comm_district = np.zeros(n_comm, dtype=int)
    east = np.flatnonzero(cbank == 1)
    comm_district[east] = 1 + _kmeans(cxy[east], size.districts_east, seed=11)
    n_dist = comm_district.max() + 1
    comm_street = np.zeros(n_comm, dtype=int)
    street_district: list[int] = []
    n_comm_total = n_comm
    for d in range(n_dist):
        members = np.flatnonzero(comm_district == d)
        k = max(1, round(size.streets * len(members) / n_comm_total))
        labels = _kmeans(cxy[members], k, seed=100 + d)
        comm_street[members] = len(street_district) + labels
        street_district.extend([d] * (labels.max() + 1))

    # 6. Roads: lattice lines; arterials every 4th line, collectors every 2nd; bridges where
    #    a few arterials cross the river.
    roads = _roads(warp, nu, nv, keep, city, river, rng)
    nodes_u, nodes_v = np.meshgrid(np.arange(nu + 1), np.arange(nv + 1), indexing="ij")
    nx_, ny_ = warp(nodes_u.ravel().astype(float), nodes_v.ravel().astype(float))
    node_pts = shapely.points(nx_, ny_)
    land = city.difference(river)
    on = shapely.contains(land, node_pts)
    nodes = np.column_stack([nx_[on], ny_[on]])
    c = city.centroid
    return CityShape(
        grid_geoms=faces,
        grid_cells=grid_cells,
        grid_bank=bank,
        grid_community=community,
        community_district=comm_district,
        community_street=comm_street,
        street_district=np.array(street_district),
        n_districts_west=1,
        river=river,
        roads=roads,
        nodes=nodes,
        centre=(c.x, c.y),
    )


def _neighbours(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a, b) of faces sharing an edge, with the shared length."""
    tree = shapely.STRtree(faces)
    a, b = tree.query(faces, predicate="intersects")
    m = a < b
    a, b = a[m], b[m]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(faces[a]), shapely.boundary(faces[b]))
    )
    m = shared > 1.0
    return a[m], b[m], shared[m]


def _merge_slivers(
    faces: np.ndarray, owner: np.ndarray, bank: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    area = shapely.area(faces)
    small = area < 0.35 * SPACING_M**2
    if not small.any():
        return faces, owner, bank
    a, b, shared = _neighbours(faces)
    target = np.arange(len(faces))
    best = np.zeros(len(faces))
    for x, y, s in zip(
        np.concatenate([a, b]),
        np.concatenate([b, a]),
        np.concatenate([shared, shared]),
        strict=True,
    ):
        if small[x] and not small[y] and bank[x] == bank[y] and s > best[x]:
            best[x], target[x] = s, y
    merged: dict[int, list[int]] = {}
    for i in range(len(faces)):
        merged.setdefault(int(target[i]), []).append(i)
    keep_idx = sorted(merged)
    # Isolated slivers (no neighbour on their bank) that are tiny are dropped.
    out_faces, out_owner, out_bank = [], [], []
    for t in keep_idx:
        geom = shapely.union_all(faces[merged[t]]) if len(merged[t]) > 1 else faces[t]
        if small[t] and len(merged[t]) == 1 and area[t] < 0.05 * SPACING_M**2:
            continue
        if geom.geom_type != "Polygon":
            geom = max(shapely.get_parts(geom), key=lambda g: g.area)
        out_faces.append(geom)
        out_owner.append(owner[t])
        out_bank.append(bank[t])
    return np.array(out_faces, dtype=object), np.array(out_owner), np.array(out_bank)


def _merge_small_communities(
    faces: np.ndarray, community: np.ndarray, bank: np.ndarray, min_grids: int
) -> np.ndarray:
    a, b, shared = _neighbours(faces)
    community = community.copy()
    for _ in range(5):
        counts = np.bincount(community)
        small = np.flatnonzero((counts > 0) & (counts < min_grids))
        if len(small) == 0:
            break
        for c in small:
            if np.count_nonzero(community == c) >= min_grids:
                continue
            best, best_len = -1, 0.0
            for x, y, s in zip(a, b, shared, strict=True):
                cx, cy = community[x], community[y]
                if bank[x] != bank[y] or cx == cy:
                    continue
                other = cy if cx == c else cx if cy == c else -1
                if other >= 0 and s > best_len:
                    best, best_len = other, s
            if best >= 0:
                community[community == c] = best
    _, community = np.unique(community, return_inverse=True)
    return community


def _roads(
    warp: _Warp,
    nu: int,
    nv: int,
    keep: np.ndarray,
    city: Polygon,
    river: Polygon,
    rng: np.random.Generator,
) -> list[Road]:
    """The lattice streets (split at the river; a few arterials cross it as bridges), and
    east of the river, in the centre, what real cities have: a one-way pair each way, an
    elevated expressway with ramps over the streets, a tunnel and a gated compound."""
    out: list[Road] = []
    land = city.difference(river)
    # Bridges: arterial rows (v = const lines cross the south-north river) spread evenly.
    arterial_rows = [j for j in range(0, nv + 1, COMMUNITY_BLOCKS)]
    n_bridges = max(2, min(6, len(arterial_rows) // 2))
    pick = np.linspace(1, len(arterial_rows) - 2, n_bridges).round().astype(int)
    bridge_rows = {arterial_rows[k] for k in pick}
    u0, v0 = _centre_box(warp, nu, nv, land)
    # one-way pairs across the box: +1 drawn with the lattice, -1 against it
    oneway = {(1, v0 + 1): 1, (1, v0 + 2): -1, (0, u0 + 1): 1, (0, u0 + 2): -1}
    for axis, n_lines, n_len in ((0, nu + 1, nv), (1, nv + 1, nu)):
        for k in range(n_lines):
            cls = (
                "primary"
                if k % COMMUNITY_BLOCKS == 0
                else "secondary"
                if k % 2 == 0
                else "residential"
            )
            way = oneway.get((axis, k), 0)
            start, end = (v0, v0 + BOX[1]) if axis == 0 else (u0, u0 + BOX[0])
            stretches = [(0, n_len, 0)] if not way else [
                (0, start, 0), (start, end, way), (end, n_len, 0)]  # fmt: skip
            for a, b, w in stretches:
                line = _lattice_line(warp, axis, k, a, b)
                for part in shapely.get_parts(line.intersection(land)):
                    if part.geom_type == "LineString" and part.length > 20:
                        out.append(_directed(part, line, w, cls))
            if axis == 1 and k in bridge_rows:
                line = _lattice_line(warp, axis, k, 0, n_len)
                inside = line.intersection(city)
                for part in shapely.get_parts(inside.intersection(river)):
                    if part.geom_type == "LineString" and part.length > 50:
                        out.append(Road(part, "primary", bridge=True, layer=1))
    return out + _centre_features(warp, u0, v0)


def _lattice_line(warp: _Warp, axis: int, k: int, a: int, b: int) -> LineString:
    """Lattice line ``k`` of ``axis`` from a to b, with the vertices every street has (so
    crossing streets share their junction vertex)."""
    t = np.linspace(0, 1, SAMPLES + 1)
    s = np.concatenate([c + t[:-1] for c in range(a, b)] + [np.array([float(b)])])
    x, y = warp(np.full_like(s, k), s) if axis == 0 else warp(s, np.full_like(s, k))
    return LineString(np.column_stack([x, y]))


def _directed(part: LineString, line: LineString, way: int, cls: str) -> Road:
    """A piece of ``line``, one-way with it (way 1) or against it (-1), or two-way (0)."""
    if not way:
        return Road(part, cls)
    ends = shapely.line_locate_point(line, shapely.points(np.array(part.coords)[[0, -1]]))
    along = ends[1] >= ends[0]  # the overlay may hand the piece back reversed
    forward = along if way > 0 else not along
    return Road(part if forward else part.reverse(), cls, oneway=True)


def _centre_box(warp: _Warp, nu: int, nv: int, land: Polygon) -> tuple[int, int]:
    """The lattice corner (u0, v0) of the box of ``BOX`` blocks nearest the middle whose
    every node lies well inside land (off the river): where the centre's features go."""
    best: tuple[float, int, int] | None = None
    for margin in (120, 60, 0):  # metres off the river and the edge, as far as they fit
        inner = land.buffer(-margin)
        for u0 in range(1, nu - BOX[0]):
            for v0 in range(1, nv - BOX[1]):
                uu, vv = np.meshgrid(np.arange(u0, u0 + BOX[0] + 1),
                                     np.arange(v0, v0 + BOX[1] + 1))  # fmt: skip
                x, y = warp(uu.ravel().astype(float), vv.ravel().astype(float))
                if shapely.contains_xy(inner, x, y).all():
                    d = (u0 + BOX[0] / 2 - nu / 2) ** 2 + (v0 + BOX[1] / 2 - nv / 2) ** 2
                    if best is None or d < best[0]:
                        best = (d, u0, v0)
        if best is not None:
            break
    if best is None:
        raise ValueError("the city has no room for its centre's roads")
    return best[1], best[2]


def _centre_features(warp: _Warp, u0: int, v0: int) -> list[Road]:
    """In the box of ``BOX`` blocks at (u0, v0):

    - an elevated expressway (高架) half a block north of row v0, from u0 to u0 + 4, over
      every street it crosses, with ramps down to three junctions;
    - a tunnel from the junction (u0, v0 + 3) to (u0 + 3, v0 + 1), under the blocks;
    - a gated compound (小区) in the block at (u0 + 3, v0 + 2): private roads from four gates
      on its streets (at street vertices) to its middle, closed to cars.
    """

    def pts(u: list[float], v: list[float]) -> LineString:
        x, y = warp(np.asarray(u, float), np.asarray(v, float))
        return LineString(np.column_stack([x, y]))

    third = np.linspace(0, 1, SAMPLES + 1)[1]  # the street vertices a gate sits on
    mid = v0 + 0.5
    along = np.arange(u0 + 0.5, u0 + 3.5 + 1e-9, 0.5)
    ub, vb = u0 + 3, v0 + 2
    centre = (ub + 0.5, vb + 0.5)
    return [
        Road(pts(list(along), [mid] * len(along)), "motorway", bridge=True, layer=1),
        Road(pts([u0, u0 + 0.5], [v0, mid]), "trunk", bridge=True, layer=1),
        Road(pts([u0 + 1.5, u0 + 2], [mid, v0 + 1]), "trunk", bridge=True, layer=1),
        Road(pts([u0 + 3.5, u0 + 4], [mid, v0 + 1]), "trunk", bridge=True, layer=1),
        Road(pts([u0, u0 + 3], [v0 + 3, v0 + 1]), "primary", tunnel=True, layer=-1),
        *(
            Road(pts([gu, centre[0]], [gv, centre[1]]), "service", car="no")
            for gu, gv in ((ub, vb + third), (ub + 1, vb + 2 * third),
                           (ub + third, vb), (ub + 2 * third, vb + 1))
        ),  # fmt: skip
    ]
