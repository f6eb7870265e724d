"""Colours and symbols shared by the map layers, the legend and exported maps."""

from __future__ import annotations

GRID_TYPE_COLOURS = {
    "residential": "#6c9bd2",
    "school": "#f2c14e",
    "market": "#e07a5f",
    "enterprise": "#8d7f99",
    "hospital": "#5fb49c",
    "other": "#a0a0a0",
}
ROAD_STYLES = {  # class: (colour, weight)
    "motorway": ("#e8833a", 5),
    "trunk": ("#e8833a", 4),
    "primary": ("#f0a35e", 3.5),
    "secondary": ("#f6cf7a", 2.5),
    "tertiary": ("#fbe3a8", 2),
    "residential": ("#ffffff", 1.5),
    "service": ("#ffffff", 1),
    "track": ("#c8b89a", 1),
    "cycleway": ("#9fc3a8", 1),
    "footway": ("#d0d0d0", 1),
}
WATER_COLOUR = "#9cc9e8"
UNIT_TYPE_COLOURS = {
    "patrol_car": "#1f4e9c",
    "foot_patrol": "#3f7fd8",
    "grid_worker": "#2e8b57",
    "volunteer_team": "#8fbc5a",
    "fire_engine": "#c0392b",
    "ambulance": "#e84393",
    "department_crew": "#b7791f",
}
UNIT_STATUS_BUSY = ("dispatched", "en_route", "on_scene", "returning")
PRIORITY_COLOURS = {"red": "#d7263d", "yellow": "#f4b400", "blue": "#1e88e5"}
PLATFORM_COLOUR = "#111c4e"
