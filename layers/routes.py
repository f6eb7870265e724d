"""Recommended units' routes as GeoJSON: one line per unit (unit -> incident) and a numbered
start point, coloured by rank. Built from :class:`geo.routing.Recommendation` rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from geo.routing import Recommendation

RANK_COLOURS = ("#6a1b9a", "#00838f", "#ef6c00", "#2e7d32", "#5d4037")


def build(
    recs: Sequence[Recommendation], incident: tuple[float, float] | None = None
) -> dict[str, Any]:
    """FeatureCollection of the routes of ``recs`` (rank 1 first).

    ``incident`` is (lat, lng): each line is finished at the incident itself, since the graph
    path ends at the node the incident is attached to.
    """
    features: list[dict[str, Any]] = []
    for rank, r in enumerate(recs, start=1):
        colour = RANK_COLOURS[(rank - 1) % len(RANK_COLOURS)]
        coords = [[round(lng, 6), round(lat, 6)] for lat, lng in r.path]
        if incident is not None:
            coords.append([round(incident[1], 6), round(incident[0], 6)])
        props = {"rank": rank, "colour": colour, "unit_id": r.unit_id, "call_sign": r.call_sign}
        if len(coords) >= 2:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": coords},
                    "properties": {**props, "kind": "route"},
                }
            )
        if coords:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": coords[0]},
                    "properties": {**props, "kind": "start"},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def pick(lat: float, lng: float) -> dict[str, Any]:
    """The operator's picked intake point as a one-feature collection."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lng, 6), round(lat, 6)]},
                "properties": {"kind": "pick"},
            }
        ],
    }


EMPTY: dict[str, Any] = {"type": "FeatureCollection", "features": []}
