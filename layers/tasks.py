"""The mass-task map: each grid of a task coloured by its completion, late grids outlined.

Colours are picked in the browser (``griddispatch.taskStyle``) from the share done and the
late flag; ``hideout`` carries the ramp, so the legend and the map use the same colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import shapely
import shapely.geometry

from geo.tasks import GridProgress

RAMP = ("#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c")  # 0 .. 100 % done
LATE = "#d7301f"


def choropleth(
    progress: Sequence[GridProgress], shapes: Mapping[str, dict[str, Any]]
) -> dict[str, Any]:
    """GeoJSON of the task's grids (those with a current outline) with their code, target,
    count done, share (0-1) and late flag; late grids come last, so their outline is drawn
    over their neighbours'."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": p.grid_code,
                "properties": {
                    "code": p.grid_code,
                    "target": p.target,
                    "done": p.done,
                    "share": round(p.share, 3),
                    "late": p.late,
                },  # fmt: skip
                "geometry": shapes[p.grid_code],
            }
            for p in sorted(progress, key=lambda p: p.late)
            if p.grid_code in shapes
        ],
    }


def hideout() -> dict[str, Any]:
    return {"ramp": list(RAMP), "late": LATE}


def bounds(collection: dict[str, Any]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a feature collection, for the map to fit; None if
    it is empty."""
    geoms = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
    if not geoms:
        return None
    w, s, e, n = shapely.total_bounds(geoms)
    return [[float(s), float(w)], [float(n), float(e)]]
