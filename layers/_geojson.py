"""Rows with a ``geometry`` key to GeoJSON FeatureCollections."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def feature_collection(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """FeatureCollection whose properties are every column but ``geometry``."""
    features = []
    for r in rows:
        props = {k: v for k, v in r.items() if k != "geometry"}
        feature: dict[str, Any] = {
            "type": "Feature",
            "geometry": r["geometry"],
            "properties": props,
        }
        if "id" in r:
            feature["id"] = r["id"]
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
