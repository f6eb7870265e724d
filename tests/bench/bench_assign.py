"""assign_points_per_s: 1,000,000 random points to their grid at city scale.

Ours: geo.gridindex.GridIndex (raster lookup, exact test only in cells a boundary crosses).
Baselines in the same run on the same points: geopandas.sjoin and PostGIS ST_Contains.
"""

from __future__ import annotations

import io
import time

import geopandas as gpd
import numpy as np
import shapely

from geo.db import connect
from geo.gridindex import GridIndex
from tests.bench._harness import Context, Result, best_of

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


def _postgis(conninfo: str, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    buf = io.StringIO()
    np.savetxt(
        buf,
        np.column_stack([np.arange(len(lon)), lon, lat]),
        fmt=["%d", "%.9f", "%.9f"],
        delimiter="\t",
    )
    out = np.full(len(lon), -1)
    with connect(conninfo) as conn:
        conn.execute("CREATE TEMP TABLE pts (i int, lon float8, lat float8)")
        with conn.cursor().copy("COPY pts FROM STDIN") as cp:
            cp.write(buf.getvalue())
        rows = conn.execute(
            "SELECT p.i, min(g.id) FROM pts p JOIN grids g ON g.valid_to IS NULL AND "
            "ST_Contains(g.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326)) GROUP BY p.i"
        ).fetchall()
        conn.rollback()
    if rows:
        arr = np.array(rows)
        out[arr[:, 0]] = np.searchsorted(ids, arr[:, 1])
    return out


def run(ctx: Context) -> list[Result]:
    ids, geoms = _grids(ctx.conninfo)
    t0 = time.perf_counter()
    index = GridIndex.build(geoms)
    build_s = time.perf_counter() - t0
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    rng = np.random.default_rng(42)
    lon = rng.uniform(minx, maxx, N_POINTS)
    lat = rng.uniform(miny, maxy, N_POINTS)

    t_ours, ours = best_of(lambda: index.assign(lon, lat), runs=3)
    gdf = gpd.GeoDataFrame({"pos": np.arange(len(geoms))}, geometry=geoms, crs=4326)
    t_sjoin, via_sjoin = best_of(lambda: _sjoin(gdf, lon, lat), runs=3)
    # PostGIS takes tens of seconds: one timed run (COPY of the points + the join).
    t_pg, via_pg = best_of(lambda: _postgis(ctx.conninfo, ids, lon, lat), runs=1, warmup=0)

    rate = N_POINTS / t_ours
    base = {"geopandas_sjoin": N_POINTS / t_sjoin, "postgis_st_contains": N_POINTS / t_pg}
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
            assert on_edge.all(), f"{(~on_edge).sum()} points assigned differently"
    inside = float((ours >= 0).mean())
    meets = rate >= 1_000_000 and rate >= 2 * faster
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
                f"{diff_sjoin}, postgis {diff_pg} (points on edges only)"
            ),
        ),
        Result("grid_index_build_s", build_s, "s", None, None, {}, notes=f"{len(geoms):,} grids"),
    ]
