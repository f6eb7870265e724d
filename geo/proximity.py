"""What is near a point, in metres: the grids a new report may belong to, and the open cases
it may duplicate. Both go through the GiST index on ``geom``."""

from __future__ import annotations

import math
from typing import Any

import psycopg
from psycopg.rows import dict_row

# Proximity in metres, through the GiST index on geom: a geometry ST_DWithin on a box of
# degrees that holds the circle (the index can serve it) picks the candidates, then the exact
# distance on the sphere decides. ``%(deg)s`` comes from :func:`degrees_around`.
GRIDS_NEAR = (
    "SELECT id, code, name, path::text AS path, "
    "ST_Distance(geom::geography, p::geography) AS distance_m "
    "FROM grids, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326) p "
    "WHERE valid_to IS NULL AND ST_DWithin(geom, p, %(deg)s) "
    "AND ST_DWithin(geom::geography, p::geography, %(d)s) "
    "ORDER BY distance_m, code"
)
DUPLICATES = (
    "SELECT id, number, status, reported_at, "
    "ST_Distance(geom::geography, p::geography) AS distance_m "
    "FROM incidents, ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326) p "
    "WHERE status <> 'closed' AND category = %(c)s AND linked_to IS NULL "
    "AND reported_at > now() - make_interval(secs => %(s)s) "
    "AND ST_DWithin(geom, p, %(deg)s) "
    "AND ST_DWithin(geom::geography, p::geography, %(d)s) ORDER BY distance_m LIMIT 5"
)


def degrees_around(lat: float, metres: float) -> float:
    """Degrees that cover ``metres`` in any direction at latitude ``lat``.

    Parameters
    ----------
    lat : float
        Latitude of the centre.
    metres : float
        The radius.

    Returns
    -------
    float
        A little more than the radius in degrees of longitude there (the larger of the two),
        for an index-served ``ST_DWithin`` before the exact test.
    """
    per_degree = 110_574.0 * max(math.cos(math.radians(min(abs(lat), 89.0))), 0.01)
    return 1.05 * metres / per_degree


def grids_near(
    *, conn: psycopg.Connection, lon: float, lat: float, within_m: float = 30.0
) -> list[dict[str, Any]]:
    """Current grids containing the point or within ``within_m`` of it, nearest first: more
    than one means the operator picks.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    lon, lat : float
        The point (WGS-84).
    within_m : float
        How far a grid may be and still count, in metres.

    Returns
    -------
    list of dict
        ``id``, ``code``, ``name``, ``path`` and ``distance_m`` of each grid, nearest first.
    """
    params = {"x": lon, "y": lat, "d": within_m, "deg": degrees_around(lat, within_m)}
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(GRIDS_NEAR, params).fetchall()


def find_duplicates(
    *,
    conn: psycopg.Connection,
    lon: float,
    lat: float,
    category: str,
    within_m: float = 200.0,
    within_s: float = 3600.0,
) -> list[dict[str, Any]]:
    """Open incidents of the same category near in space and time: candidates to link.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    lon, lat : float
        Where the new report is (WGS-84).
    category : str
        Its category; only cases of the same one count.
    within_m, within_s : float
        How near in metres and how recent in seconds an open case must be.

    Returns
    -------
    list of dict
        At most five cases (``id``, ``number``, ``status``, ``reported_at``, ``distance_m``),
        nearest first.
    """
    params = {"x": lon, "y": lat, "c": category, "d": within_m, "s": within_s,
              "deg": degrees_around(lat, within_m)}  # fmt: skip
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(DUPLICATES, params).fetchall()
