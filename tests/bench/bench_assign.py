"""assign_points_per_s: 1,000,000 random points to their grid at city scale.

Ours: geo.gridindex.GridIndex (raster lookup, exact test only in cells a boundary crosses).
Baselines in the same run on the same points: geopandas.sjoin and PostGIS ST_Contains.

Like with like: every method has its grid index built before the clock starts, and is timed
on the lookup alone (median of 5 after a warm-up), from the same raw coordinates to the same
answer. Building the indexes is reported on its own: ours (``grid_index_build_s``), the
STRtree geopandas builds on the grids, and for PostGIS loading the points into a table with
their GiST index (the query's plan walks the grids and probes the points' index).
"""

from __future__ import annotations

import io
import time

import geopandas as gpd
import numpy as np
import psycopg
import shapely

from geo.db import connect
from geo.gridindex import GridIndex
from tests.bench._harness import Context, Result, Timing, timed

NAMES = ("assign_points_per_s", "grid_index_build_s")
QUICK = True
N_POINTS = 1_000_000


def _grids(conninfo: str) -> tuple[np.ndarray, np.ndarray]:
    with connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT id, ST_AsBinary(geom) FROM grids WHERE valid_to IS NULL ORDER BY id"
        ).fetchall()
    return np.array([r[0] for r in rows]), shapely.from_wkb([r[1] for r in rows])


def _sjoin(gdf: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    j = gpd.sjoin(pts, gdf, how="inner", predicate="intersects")
    out = np.full(len(lon), -1)
    # Same rule as ours for points on a shared edge: the lowest grid position.
    pos = j["pos"].to_numpy()
    idx = j.index.to_numpy()
    order = np.lexsort((pos, idx))
    idx, pos = idx[order], pos[order]
    first = np.ones(len(idx), bool)
    first[1:] = idx[1:] != idx[:-1]
    out[idx[first]] = pos[first]
    return out


def _copy_payload(lon: np.ndarray, lat: np.ndarray) -> str:
    """COPY text for the points; ``%.17g`` so PostGIS gets exactly the same doubles."""
    buf = io.StringIO()
    np.savetxt(
        buf,
        np.column_stack([np.arange(len(lon)), lon, lat]),
        fmt=["%d", "%.17g", "%.17g"],
        delimiter="\t",
    )
    return buf.getvalue()


# Grids outer, points through their GiST index: each grid's prepared geometry is reused for all
# its points (the planner's own choice, points outer, is about 3x slower here).
_PG_JOIN = """
SELECT p.i, min(g.id)
FROM grids g
CROSS JOIN LATERAL (SELECT i FROM pts WHERE ST_Contains(g.geom, pts.geom) OFFSET 0) p
WHERE g.valid_to IS NULL
GROUP BY p.i
"""


def _load_points(conn: psycopg.Connection, payload: str) -> None:
    """The points into a temporary table with their geometry, GiST index and statistics."""
    conn.execute("CREATE TEMP TABLE pts (i int, lon float8, lat float8)")
    with conn.cursor().copy("COPY pts FROM STDIN") as cp:
        cp.write(payload)
    conn.execute("ALTER TABLE pts ADD COLUMN geom geometry(Point, 4326)")
    conn.execute("UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)")
    conn.execute("CREATE INDEX ON pts USING gist (geom)")
    conn.execute("ANALYZE pts")


def _postgis(conn: psycopg.Connection, ids: np.ndarray, n: int) -> np.ndarray:
    """The join and the fetch of its answers, as grid positions (-1: none)."""
    out = np.full(n, -1)
    rows = conn.execute(_PG_JOIN).fetchall()
    if rows:
        arr = np.array(rows)
        out[arr[:, 0]] = np.searchsorted(ids, arr[:, 1])
    return out


def run(ctx: Context) -> list[Result]:
    ids, geoms = _grids(ctx.conninfo)
    build, index = timed(lambda: GridIndex.build(geoms), repeats=3, warmup=0)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    rng = np.random.default_rng(42)
    lon = rng.uniform(minx, maxx, N_POINTS)
    lat = rng.uniform(miny, maxy, N_POINTS)

    t_ours, ours = timed(lambda: index.assign(lon, lat))
    gdf = gpd.GeoDataFrame({"pos": np.arange(len(geoms))}, geometry=geoms, crs=4326)
    t0 = time.perf_counter()
    gdf.sindex.query(shapely.points(lon[:1], lat[:1]))  # the STRtree, built once and kept
    tree_s = time.perf_counter() - t0
    t_sjoin, via_sjoin = timed(lambda: _sjoin(gdf, lon, lat))
    with connect(ctx.conninfo) as conn:
        t0 = time.perf_counter()
        _load_points(conn, _copy_payload(lon, lat))
        load_s = time.perf_counter() - t0
        t_pg, via_pg = timed(lambda: _postgis(conn, ids, N_POINTS))
        conn.rollback()

    rate = N_POINTS / t_ours.median
    base = {"geopandas_sjoin": N_POINTS / t_sjoin.median,
            "postgis_st_contains": N_POINTS / t_pg.median}  # fmt: skip
    faster = max(base.values())
    diff_sjoin = int((ours != via_sjoin).sum())
    diff_pg = int((ours != via_pg).sum())
    # Disagreements are only acceptable for points exactly on a boundary.
    for other in (via_sjoin, via_pg):
        bad = np.flatnonzero(ours != other)
        if bad.size:
            on_edge = shapely.intersects(
                shapely.boundary(shapely.union_all(geoms)).union(
                    shapely.union_all(shapely.boundary(geoms))
                ),
                shapely.points(lon[bad], lat[bad]),
            )
            if not on_edge.all():
                raise RuntimeError(f"{(~on_edge).sum()} points off the boundaries differ")
    inside = float((ours >= 0).mean())
    meets = rate >= 1_000_000 and rate >= 2 * faster
    per_s = Timing(N_POINTS / t_ours.median, N_POINTS / t_ours.max, N_POINTS / t_ours.min,
                   t_ours.n)  # fmt: skip
    return [
        Result(
            "assign_points_per_s",
            rate,
            "points/s",
            ">= 1000000 and >= 2x faster baseline",
            meets,
            base,
            notes=(
                f"{N_POINTS:,} points, {inside:.0%} inside a grid; raster "
                f"{index.nx}x{index.ny}, {index.edge_share:.1%} edge cells; "
                f"{rate / faster:.1f}x the faster baseline; disagreements: sjoin "
                f"{diff_sjoin}, postgis {diff_pg} (points on edges only). Lookups only, each "
                f"index built before: ours {t_ours.text()} s, sjoin {t_sjoin.text()} s, "
                f"postgis join + fetch {t_pg.text()} s. Builds: ours {build.median:.2f} s, "
                f"sjoin STRtree {tree_s:.2f} s, postgis points COPY + GiST + ANALYZE "
                f"{load_s:.2f} s (the grids' GiST index is the database's own)"
            ),
            spread=per_s.spread(),
        ),
        Result("grid_index_build_s", build.median, "s", None, None,
               {"sjoin_strtree_build_s": tree_s, "postgis_points_load_index_s": load_s},
               notes=f"{len(geoms):,} grids", spread=build.spread()),  # fmt: skip
    ]
