"""The supervision heatmap: H3 hexagons with a count, a change, or a hotspot level each.

Colours are picked in the browser (``griddispatch.hexStyle``) from ``hideout``: the mode,
the colour ramp and the value at its top, so a new window only sends new numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from geo.analytics import ring

COUNT_RAMP = (
    "#ffffcc",
    "#ffeda0",
    "#fed976",
    "#feb24c",
    "#fd8d3c",
    "#fc4e2a",
    "#e31a1c",
    "#b10026",
)
DIFF_RAMP = ("#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b")
HOT_COLOURS = {"99": "#b2182b", "95": "#ef8a62", "90": "#fddbc7", "0": "#f7f7f7",
               "-90": "#d1e5f0", "-95": "#67a9cf", "-99": "#2166ac"}  # fmt: skip


def hexagons(
    cells: npt.NDArray[np.int64], values: npt.NDArray[Any], name: str = "n"
) -> dict[str, Any]:
    """GeoJSON of the cells, each with its value under ``name`` and its cell id (``c``)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": int(c),
                "properties": {name: v.item() if hasattr(v, "item") else v, "c": str(int(c))},
                "geometry": {"type": "Polygon", "coordinates": [ring(int(c))]},
            }
            for c, v in zip(cells, values, strict=True)
        ],  # fmt: skip
    }


def hideout(mode: str, values: npt.NDArray[Any]) -> dict[str, Any]:
    """How to colour: ``count`` (0..max), ``diff`` (-m..m, blue fewer, red more) or ``hot``."""
    top = float(np.abs(values).max()) if len(values) else 0.0
    if mode == "diff":
        return {"mode": "diff", "top": max(top, 1.0), "ramp": list(DIFF_RAMP)}
    if mode == "hot":
        return {"mode": "hot", "colours": HOT_COLOURS}
    return {"mode": "count", "top": max(top, 1.0), "ramp": list(COUNT_RAMP)}
