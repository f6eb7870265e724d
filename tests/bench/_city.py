"""What several benchmarks take from the bench city: an API token, places inside grids, and
units well inside the city (a tracker fix outside it is refused, rightly)."""

from __future__ import annotations

import uuid

import psycopg

from geo.access import tokens
from geo.db import connect


def token(conninfo: str, *scopes: str) -> str:
    """A new API token's secret with ``scopes``."""
    with connect(conninfo) as c:
        secret = tokens.create(conn=c, name=f"bench-{uuid.uuid4().hex[:10]}", scopes=list(scopes))
        c.commit()
    return secret


def spots(conninfo: str, n: int = 200) -> list[tuple[float, float]]:
    """``n`` places, each inside a different grid (random)."""
    with psycopg.connect(conninfo) as c:
        rows = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
            "WHERE valid_to IS NULL ORDER BY random() LIMIT %(n)s) g",
            {"n": n},
        ).fetchall()
    return [(float(x), float(y)) for x, y in rows]


def tracked_units(conninfo: str) -> list[tuple[int, float, float]]:
    """(id, lon, lat) of every unit at least ~500 m inside the city's boundary."""
    with psycopg.connect(conninfo) as c:
        return [(r[0], r[1], r[2]) for r in c.execute(
            "SELECT u.id, ST_X(u.geom), ST_Y(u.geom) FROM units u JOIN admin_units a "
            "ON a.level = 'city' WHERE u.geom IS NOT NULL "
            "AND ST_Within(u.geom, ST_Buffer(a.geom, -0.005))")]  # fmt: skip
