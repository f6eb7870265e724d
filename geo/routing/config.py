"""Routing defaults from the field; every value can be overridden (console settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

MODES = ("car", "foot", "ebike")

# km/h by road class and mode; 0 means the mode cannot use that road.
DEFAULT_SPEEDS: dict[str, dict[str, float]] = {
    "car": {
        "motorway": 80,
        "trunk": 60,
        "primary": 42,
        "secondary": 34,
        "tertiary": 28,
        "residential": 20,
        "service": 12,
        "track": 0,
        "cycleway": 0,
        "footway": 0,
    },
    "foot": {
        "motorway": 0,
        "trunk": 0,
        "primary": 5,
        "secondary": 5,
        "tertiary": 5,
        "residential": 5,
        "service": 5,
        "track": 5,
        "cycleway": 5,
        "footway": 5,
    },
    "ebike": {
        "motorway": 0,
        "trunk": 0,
        "primary": 18,
        "secondary": 18,
        "tertiary": 18,
        "residential": 16,
        "service": 12,
        "track": 10,
        "cycleway": 16,
        "footway": 8,
    },
}
# km/h between a point and the road it joins (off-road, at either end of a trip), by mode.
DEFAULT_OFF_ROAD = {"car": 5.0, "foot": 4.0, "ebike": 6.0}
DEFAULT_UNIT_MODE = {
    "patrol_car": "car",
    "fire_engine": "car",
    "ambulance": "car",
    "department_crew": "car",
    "foot_patrol": "foot",
    "volunteer_team": "foot",
    "grid_worker": "ebike",
}
# Seconds from the call to moving, by unit type.
DEFAULT_TURNOUT: dict[str, float] = {
    "patrol_car": 30,
    "foot_patrol": 15,
    "grid_worker": 60,
    "volunteer_team": 120,
    "fire_engine": 60,
    "ambulance": 60,
    "department_crew": 300,
}


@dataclass(frozen=True)
class RoutingConfig:
    """Everything the travel-time engine can be told."""

    res: int = 10
    speeds: dict[str, dict[str, float]] = field(default_factory=lambda: DEFAULT_SPEEDS)
    off_road: dict[str, float] = field(default_factory=lambda: DEFAULT_OFF_ROAD)
    unit_mode: dict[str, str] = field(default_factory=lambda: DEFAULT_UNIT_MODE)
    turnout_s: dict[str, float] = field(default_factory=lambda: DEFAULT_TURNOUT)
    stale_after_s: float = 300.0  # a position older than this is flagged...
    stale_penalty_s: float = 120.0  # ...and this many seconds are added to its ETA
    margin_m: float = 500.0  # graph covers the jurisdiction plus this margin

    def __post_init__(self) -> None:
        if not 7 <= self.res <= 12:
            raise ValueError("routing H3 resolution must be between 7 and 12")
        for mode in MODES:
            if mode not in self.speeds or mode not in self.off_road:
                raise ValueError(f"no speeds for travel mode {mode!r}")
