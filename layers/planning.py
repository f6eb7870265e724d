"""Planning layers: a proposed boundary change, its problems, and the coverage hexagons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import h3
import numpy as np
import numpy.typing as npt
import shapely

from geo.analytics import ring
from geo.boundaries import Problem, Proposal
from geo.h3index import parent_cells
from geo.maplayers import View

EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}
# Travel-time bands of the coverage map (upper bounds in seconds) and their colours.
BANDS_S = (60, 180, 300, 600)
BAND_COLOURS = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#bdbdbd")
CHANGE_COLOURS = {"changed": "#e07b00", "new": "#2e8b57", "retired": "#777777"}


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(shapely.set_precision(geom, 1e-7)),
        "properties": props,
    }


def proposal(p: Proposal, before: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """Each affected grid after the change (a retired one as it was), by kind of change."""
    out = []
    for code, g in p.after.items():
        change = "retired" if g is None else ("changed" if code in before else "new")
        shape = before.get(code) if g is None else g
        if shape is not None:
            out.append(_feature(shape, {"code": code, "name": names.get(code, code),
                                        "change": change}))  # fmt: skip
    return {"type": "FeatureCollection", "features": out}


def problems(
    found: Sequence[Problem], text: Callable[[Problem], str] | None = None
) -> dict[str, Any]:
    """Where each problem is (points for crossings, areas for overlaps, gaps, slivers), with
    its message (``text`` gives it in the user's language)."""
    out = [
        _feature(x.where, {"kind": x.kind, "message": text(x) if text else x.message})
        for x in found
        if x.where is not None and not x.where.is_empty
    ]
    return {"type": "FeatureCollection", "features": out}


@dataclass(frozen=True)
class Hexagons:
    """The coverage hexagons (H3 cells, in the order of the coverage model's arrays) and
    their centres, for the map to ask for by view."""

    cells: npt.NDArray[np.int64]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    res: int

    @classmethod
    def of(cls, cells: npt.NDArray[np.int64]) -> Hexagons:
        """The hexagons ``cells`` (all of one resolution) with their centres.

        Parameters
        ----------
        cells : numpy.ndarray
            H3 cells (int64), one resolution.

        Returns
        -------
        Hexagons
            The cells and their centres.
        """
        centres = np.array([h3.cell_to_latlng(h3.int_to_str(int(c))) for c in cells])
        centres = centres.reshape(-1, 2)
        res = h3.get_resolution(h3.int_to_str(int(cells[0]))) if len(cells) else 0
        return cls(cells, centres[:, 1], centres[:, 0], res)

    def in_view(self, view: View, cap: int) -> dict[str, Any]:
        """The hexagons whose centres are in ``view`` (with a hexagon's margin), as GeoJSON.

        Each feature's ``i`` is the hexagon's index in the model's arrays (the page styles
        it from the ``hideout`` of :func:`hex_hideout`). With more than ``cap`` in view,
        they are drawn as their parents, a resolution coarser at a time, until at most
        ``cap`` remain; a parent's ``c`` lists its hexagons (the page colours it by the band
        most of them have, outlined when any has people not reached).

        Parameters
        ----------
        view : View
            The map's bounds and zoom.
        cap : int
            The most features to send.

        Returns
        -------
        dict
            A FeatureCollection, with ``res`` (the resolution drawn) and ``in_view`` (the
            hexagons in view).
        """
        m = 2 * h3.average_hexagon_edge_length(self.res, unit="km") / 111.0  # degrees
        x, y = self.lon, self.lat
        idx = np.flatnonzero((x >= view.west - m) & (x <= view.east + m)
                             & (y >= view.south - m) & (y <= view.north + m))  # fmt: skip
        res, feats = self.res, []
        if idx.size <= cap:
            feats = [
                _hexagon(int(c), {"i": int(i)}) for i, c in zip(idx, self.cells[idx], strict=True)
            ]
        else:
            parents, of = idx, np.arange(idx.size)
            while res > 0 and len(parents) > cap:
                res -= 1
                parents, of = np.unique(parent_cells(self.cells[idx], res), return_inverse=True)
            order = np.argsort(of, kind="stable")
            groups = np.split(idx[order], np.cumsum(np.bincount(of, minlength=len(parents)))[:-1])
            feats = [
                _hexagon(int(p), {"c": g.tolist()}) for p, g in zip(parents, groups, strict=True)
            ]
        return {"type": "FeatureCollection", "features": feats, "res": res,
                "in_view": int(idx.size)}  # fmt: skip


def _hexagon(cell: int, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
        [list(p) for p in ring(cell)]]}, "properties": props}  # fmt: skip


def hex_hideout(
    time_s: npt.NDArray[np.float32], uncovered: npt.NDArray[np.float32]
) -> dict[str, Any]:
    """Per hexagon: its travel-time band (index into ``colours``) and whether people in it
    are not reached within their target."""
    band = np.searchsorted(np.array(BANDS_S, dtype=float), time_s, side="left")
    return {
        "band": band.astype(int).tolist(),
        "gap": (uncovered >= 1).astype(int).tolist(),
        "colours": list(BAND_COLOURS),
    }
