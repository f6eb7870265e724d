"""What each importable entity looks like: our columns, their types and allowed values.

The enums mirror the CHECK constraints of geo/db/sql/001_core.sql.
"""

from __future__ import annotations

from data.io._checks import Column, GeomKind
from geo.units import UNIT_TYPES

GRID_TYPES = ("residential", "school", "enterprise", "market", "hospital", "other")
ZONE_CLASSES = ("key", "central", "other")
LEVELS = ("city", "district", "street", "community")
CODE_LENGTH = {"city": 6, "district": 6, "street": 9, "community": 12}
AGENCIES = (
    "police",
    "grid",
    "fire",
    "health",
    "water",
    "power",
    "roads",
    "sanitation",
    "volunteer",
)
UNIT_STATUSES = ("available", "dispatched", "en_route", "on_scene", "returning", "off_duty")
ROAD_CLASSES = (
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "residential",
    "service",
    "track",
    "cycleway",
    "footway",
)
CAR_ACCESS = ("yes", "destination", "no")
WATER_KINDS = ("river", "lake", "canal", "reservoir", "sea", "other")

INT32_MAX = 2_147_483_647

SPECS: dict[str, tuple[Column, ...]] = {
    "admin_units": (
        Column("code", required=True, nullable=False, pattern=r"[0-9]{6}([0-9]{3}){0,2}"),
        Column("name", required=True, nullable=False, max_len=100),
        Column("level", "enum", required=True, nullable=False, choices=LEVELS),
        Column("parent_code", pattern=r"[0-9]{6}([0-9]{3}){0,2}"),
    ),
    "grids": (
        Column("code", required=True, nullable=False, pattern=r"[0-9]{15}"),
        Column("name", required=True, nullable=False, max_len=100),
        Column("type", "enum", default="residential", choices=GRID_TYPES),
        Column("community_code", required=True, nullable=False, pattern=r"[0-9]{12}"),
        Column("households", "int", default=0, minimum=0),
        Column("population", "int", default=0, minimum=0),
        Column("worker_name", max_len=100),
        Column("worker_phone", max_len=40),
        Column("leader_name", max_len=100),
        Column("zone_class", "enum", default="other", choices=ZONE_CLASSES),
    ),
    "platforms": (
        Column("code", required=True, nullable=False, pattern=r"[A-Za-z0-9_.-]{1,40}"),
        Column("name", required=True, nullable=False, max_len=100),
        Column("lon", "float", required=True, nullable=False),
        Column("lat", "float", required=True, nullable=False),
        Column("members", "int", default=0, minimum=0),
        Column("vehicles", "int", default=0, minimum=0),
        Column("grids", max_len=100_000),
    ),
    "units": (
        Column("call_sign", required=True, nullable=False, max_len=40),
        Column("type", "enum", required=True, nullable=False, choices=UNIT_TYPES),
        Column("agency", "enum", required=True, nullable=False, choices=AGENCIES),
        Column("platform", pattern=r"[A-Za-z0-9_.-]{1,40}"),
        Column("grid_code", pattern=r"[0-9]{15}"),
        Column("status", "enum", default="available", choices=UNIT_STATUSES),
        Column("lon", "float"),
        Column("lat", "float"),
        Column("position_time", "datetime"),
    ),
    "roads": (
        Column("name", max_len=200),
        Column("class", "enum", required=True, nullable=False, choices=ROAD_CLASSES),
        Column("speed_kmh", "float", minimum=0, exclusive_minimum=True),
        Column("oneway", "bool", default=False),
        Column("bridge", "bool", default=False),
        Column("tunnel", "bool", default=False),
        Column("layer", "int", default=0, minimum=-10, maximum=10),
        Column("car", "enum", default="yes", choices=CAR_ACCESS),
    ),
    "water": (
        Column("name", max_len=200),
        Column("kind", "enum", default="river", choices=WATER_KINDS),
    ),
}
GEOMETRY: dict[str, GeomKind] = {
    "admin_units": "polygon",
    "grids": "polygon",
    "roads": "line",
    "water": "polygon",
}
