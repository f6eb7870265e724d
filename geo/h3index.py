"""H3 helpers and the point-to-grid index.

H3 cells are stored beside geometries as signed bigint (PostgreSQL has no unsigned 64-bit
type; every valid H3 index is below 2**63, so the value is the same). Stored point cells use
:data:`STORE_RES`; coarser cells (routing, hexbins) are their parents.

:class:`GridIndex` answers "which grid contains this point" for millions of points at once: a
point whose H3 cell lies wholly inside one grid gets that grid from a sorted lookup table;
only points in cells that touch a grid edge (or lie outside every grid) get an exact
point-in-polygon test.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import h3
import numpy as np
import shapely
from h3._cy import latlng_to_cell as _latlng_to_cell

from geo.errors import InvalidInput

log = logging.getLogger(__name__)

STORE_RES = 12  # resolution of the h3 columns (edge ~9 m)


def cells(
    lat: np.ndarray | Sequence[float], lng: np.ndarray | Sequence[float], res: int
) -> np.ndarray:
    """H3 cells (int64) of points given as latitude and longitude arrays.

    Latitude comes first, as in h3 itself; the caller is responsible for not swapping them
    (see :func:`geo.coords.check_lonlat`). NaN coordinates raise :class:`InvalidInput`.
    """
    la = np.asarray(lat, dtype=float)
    ln = np.asarray(lng, dtype=float)
    if la.shape != ln.shape:
        raise InvalidInput("latitude and longitude arrays differ in length")
    if not (np.isfinite(la).all() and np.isfinite(ln).all()):
        raise InvalidInput("coordinates must be finite numbers")
    out = np.fromiter(
        map(_latlng_to_cell, la.tolist(), ln.tolist(), [res] * la.size),
        dtype=np.uint64,
        count=la.size,
    )
    return out.view(np.int64)


def cell_of(lat: float, lng: float, res: int = STORE_RES) -> int:
    """H3 cell (int) of one point."""
    return int(cells([lat], [lng], res)[0])


@dataclass(frozen=True)
class GridIndex:
    """Point-to-grid lookup over a set of polygons (EPSG:4326)."""

    res: int
    geoms: np.ndarray  # shapely (Multi)Polygons
    interior_cells: np.ndarray  # sorted int64
    interior_owner: np.ndarray  # grid position per interior cell
    tree: shapely.STRtree

    @classmethod
    def build(cls, geoms: Sequence[object] | np.ndarray, res: int = STORE_RES) -> GridIndex:
        """Index ``geoms``; positions in the input are the answers of :meth:`assign`."""
        arr = np.asarray(geoms, dtype=object)
        cell_chunks: list[np.ndarray] = []
        owner_chunks: list[np.ndarray] = []
        for i, g in enumerate(arr):
            shape = h3.geo_to_h3shape(g)
            inside = h3.h3shape_to_cells_experimental(shape, res, contain="full")
            if inside:
                cell_chunks.append(np.array([h3.str_to_int(c) for c in inside], dtype=np.uint64))
                owner_chunks.append(np.full(len(inside), i, dtype=np.int32))
        if cell_chunks:
            c = np.concatenate(cell_chunks).view(np.int64)
            o = np.concatenate(owner_chunks)
        else:
            c, o = np.empty(0, np.int64), np.empty(0, np.int32)
        order = np.argsort(c, kind="stable")
        c, o = c[order], o[order]
        # A cell "fully inside" two polygons can only happen where they overlap: treat it as
        # an edge cell so the exact test decides.
        dup = np.zeros(len(c), dtype=bool)
        if len(c) > 1:
            same = c[1:] == c[:-1]
            dup[1:] |= same
            dup[:-1] |= same
        shapely.prepare(arr)
        return cls(res, arr, c[~dup], o[~dup], shapely.STRtree(arr))

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Position of the grid containing each point, or -1 where no grid does."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out = np.full(lon.shape, -1, dtype=np.int64)
        if lon.size == 0:
            return out
        c = cells(lat, lon, self.res)
        pos = np.searchsorted(self.interior_cells, c)
        pos_c = np.minimum(pos, max(len(self.interior_cells) - 1, 0))
        hit = (len(self.interior_cells) > 0) & (self.interior_cells[pos_c] == c)
        out[hit] = self.interior_owner[pos_c[hit]]
        edge = np.flatnonzero(~hit)
        if edge.size:
            pts = shapely.points(lon[edge], lat[edge])
            p_idx, g_idx = self.tree.query(pts, predicate="intersects")
            # A point on a shared edge belongs to the lowest position (deterministic).
            order = np.lexsort((g_idx, p_idx))
            p_idx, g_idx = p_idx[order], g_idx[order]
            first = np.ones(len(p_idx), dtype=bool)
            first[1:] = p_idx[1:] != p_idx[:-1]
            out[edge[p_idx[first]]] = g_idx[first]
        return out

    @property
    def stats(self) -> dict[str, int]:
        return {
            "grids": len(self.geoms),
            "interior_cells": len(self.interior_cells),
            "res": self.res,
        }
