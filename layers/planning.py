"""Planning layers: a proposed boundary change, its problems, and the coverage hexagons."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from geo.boundaries import Problem, Proposal

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


def hexagons(rings: Sequence[list[list[float]]]) -> dict[str, Any]:
    """The coverage hexagons; feature ``i`` is styled from ``hideout`` arrays at index i."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [r]},
                "properties": {"i": i},
            }
            for i, r in enumerate(rings)
        ],  # fmt: skip
    }


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
