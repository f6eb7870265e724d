"""Which grid contains each point, for millions of points at once.

A raster over the grids' extent (cells of about ``cell_m`` metres) holds, per cell, the grid
that wholly contains it, or OUTSIDE, or EDGE for cells that a grid boundary crosses. A point
is looked up with two multiplications; only points in EDGE cells get an exact
point-in-polygon test (shapely STRtree). The raster is a cache built from the grid polygons.

Why not H3 cells as the lookup key: h3's Python API converts one point per call (about
2 million points/s on this hardware through the Cython binding), which alone costs more than
the whole raster lookup; H3 stays the key for stored cells and hexbins (geo.h3index).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

log = logging.getLogger(__name__)

OUTSIDE = -1
EDGE = -2


@dataclass(frozen=True)
class GridIndex:
    """Point-to-grid lookup over polygons in EPSG:4326; answers are positions in ``geoms``."""

    geoms: np.ndarray
    x0: float
    y0: float
    dx: float
    dy: float
    nx: int
    ny: int
    labels: np.ndarray  # int32, ny * nx: grid position, OUTSIDE or EDGE
    tree: shapely.STRtree

    @classmethod
    def build(
        cls,
        geoms: Sequence[object] | np.ndarray,
        cell_m: float = 8.0,
        max_cells: int = 40_000_000,
    ) -> GridIndex:
        """Index ``geoms``; the cell grows beyond ``cell_m`` to keep within ``max_cells``.

        Parameters
        ----------
        geoms : sequence of shapely geometries
            Grid polygons in EPSG:4326 (lon, lat).
        cell_m : float
            Wanted raster cell size in metres.
        max_cells : int
            Upper bound on the number of raster cells.

        Returns
        -------
        GridIndex
            The index; lookups answer positions in ``geoms``.

        Raises
        ------
        ValueError
            ``geoms`` is empty.
        """
        arr = np.asarray(geoms, dtype=object)
        if len(arr) == 0:
            raise ValueError("no polygons to index")
        minx, miny, maxx, maxy = shapely.total_bounds(arr)
        lat0 = math.radians((miny + maxy) / 2)
        dx = cell_m / (111_320.0 * math.cos(lat0))
        dy = cell_m / 110_574.0
        scale = math.sqrt(((maxx - minx) / dx + 1) * ((maxy - miny) / dy + 1) / max_cells)
        if scale > 1:
            dx, dy = dx * scale, dy * scale
        nx = int((maxx - minx) / dx) + 1
        ny = int((maxy - miny) / dy) + 1
        labels = np.full(ny * nx, OUTSIDE, dtype=np.int32)

        # 1. Each cell takes the grid that contains its centre.
        b = shapely.bounds(arr)
        ix0 = np.floor((b[:, 0] - minx) / dx).astype(np.int64)
        ix1 = np.floor((b[:, 2] - minx) / dx).astype(np.int64)
        iy0 = np.floor((b[:, 1] - miny) / dy).astype(np.int64)
        iy1 = np.floor((b[:, 3] - miny) / dy).astype(np.int64)
        owners, flat = [], []
        for i in range(len(arr)):
            gx, gy = np.meshgrid(np.arange(ix0[i], ix1[i] + 1), np.arange(iy0[i], iy1[i] + 1))
            owners.append(np.full(gx.size, i, dtype=np.int32))
            flat.append((gy * nx + gx).ravel())
        owner = np.concatenate(owners)
        cell = np.concatenate(flat)
        cx = minx + (cell % nx + 0.5) * dx
        cy = miny + (cell // nx + 0.5) * dy
        shapely.prepare(arr)
        inside = shapely.contains_xy(arr[owner], cx, cy)
        labels[cell[inside]] = owner[inside]

        # 2. Cells a boundary passes through (and their neighbours) are EDGE: boundaries are
        #    sampled at least every half cell, so every crossed cell is next to a sample.
        edges = shapely.segmentize(shapely.boundary(arr), min(dx, dy) / 2)
        xy = shapely.get_coordinates(edges)
        ex = np.clip(np.floor((xy[:, 0] - minx) / dx).astype(np.int64), 0, nx - 1)
        ey = np.clip(np.floor((xy[:, 1] - miny) / dy).astype(np.int64), 0, ny - 1)
        mask = np.zeros((ny, nx), dtype=bool)
        mask[ey, ex] = True
        grown = mask.copy()
        grown[1:, :] |= mask[:-1, :]
        grown[:-1, :] |= mask[1:, :]
        mask = grown.copy()
        grown[:, 1:] |= mask[:, :-1]
        grown[:, :-1] |= mask[:, 1:]
        labels[grown.ravel()] = EDGE
        index = cls(arr, float(minx), float(miny), dx, dy, nx, ny, labels, shapely.STRtree(arr))
        log.info(
            "grid index: %d grids, %dx%d cells, %.1f%% edge",
            len(arr),
            nx,
            ny,
            100 * float(grown.mean()),
        )
        return index

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Position of the grid containing each point, or -1 where no grid does.

        A point on a boundary shared by two grids goes to the lower position.

        Parameters
        ----------
        lon, lat : numpy.ndarray
            Longitudes and latitudes in degrees, longitude first, of the same shape.

        Returns
        -------
        numpy.ndarray
            int64 position in ``geoms`` per point, -1 outside every grid (and for NaN).
        """
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        fx = (lon - self.x0) / self.dx
        fy = (lat - self.y0) / self.dy
        ok = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # False for NaN too
        out = np.full(lon.shape, OUTSIDE, dtype=np.int64)
        flat = fy[ok].astype(np.int64) * self.nx + fx[ok].astype(np.int64)
        out[ok] = self.labels[flat]
        edge = np.flatnonzero(out == EDGE)
        if edge.size:
            out[edge] = OUTSIDE
            pts = shapely.points(lon[edge], lat[edge])
            p_idx, g_idx = self.tree.query(pts, predicate="intersects")
            order = np.lexsort((g_idx, p_idx))
            p_idx, g_idx = p_idx[order], g_idx[order]
            first = np.ones(len(p_idx), dtype=bool)
            first[1:] = p_idx[1:] != p_idx[:-1]
            out[edge[p_idx[first]]] = g_idx[first]
        return out

    @property
    def edge_share(self) -> float:
        """Share of raster cells that need the exact test.

        Returns
        -------
        float
            Fraction of EDGE cells, 0 to 1.
        """
        return float((self.labels == EDGE).mean())
