"""Travel time on directed road networks, indexed by H3: nearest responders, isochrones, fields.

The graph is a cache built from the roads and water in PostGIS (:func:`load_graph`); the
search uses scipy.sparse.csgraph.
"""

from geo.routing.cache import GraphCache, UnitCache
from geo.routing.config import MODES, RoutingConfig
from geo.routing.graph import TravelGraph, build_graph, load_graph
from geo.routing.search import (
    NearestResult,
    Recommendation,
    Router,
    UnitSnapshot,
    isochrone,
    load_units,
    nearest_mix,
    nearest_units,
    travel_field,
)

__all__ = [
    "MODES",
    "GraphCache",
    "NearestResult",
    "Recommendation",
    "Router",
    "RoutingConfig",
    "TravelGraph",
    "UnitCache",
    "UnitSnapshot",
    "build_graph",
    "isochrone",
    "load_graph",
    "load_units",
    "nearest_mix",
    "nearest_units",
    "travel_field",
]
