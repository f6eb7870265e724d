"""The grid card: what the operator sees after clicking a grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg.rows import class_row, dict_row

from geo.errors import NotFound


@dataclass(frozen=True)
class OpenIncident:
    number: str
    category_zh: str
    category_en: str
    priority: str
    status: str
    reported: str  # MM-DD HH:MM in the zone asked for


@dataclass(frozen=True)
class GridCard:
    id: int
    code: str
    name: str
    type: str
    zone_class: str
    households: int
    population: int
    worker_name: str | None
    worker_phone: str | None
    leader_name: str | None
    community: str
    street: str
    district: str
    area_km2: float
    open_incidents: int
    incidents_365d: int
    recent_open: list[OpenIncident] = field(default_factory=list)


def grid_card(*, conn: psycopg.Connection, grid_id: int, tz: str = "Asia/Shanghai") -> GridCard:
    """What the operator sees after clicking a grid.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    grid_id : int
        Id of the grid.
    tz : str
        Time zone (IANA name) the open incidents' report times are shown in.

    Returns
    -------
    GridCard
        The grid's attributes, its community/street/district names, area in km², counts of
        open incidents and of incidents reported in the last 365 days, and the five most
        recently reported open incidents (``recent_open``).

    Raises
    ------
    NotFound
        When no grid has this id.
    """
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """
            SELECT g.id, g.code, g.name, g.type, g.zone_class, g.households, g.population,
                   g.worker_name, g.worker_phone, g.leader_name,
                   c.name AS community, s.name AS street, d.name AS district,
                   round((ST_Area(g.geom::geography) / 1e6)::numeric, 3)::float AS area_km2,
                   (SELECT count(*) FROM incidents i
                     WHERE i.grid_id = g.id AND i.status <> 'closed') AS open_incidents,
                   (SELECT count(*) FROM incidents i WHERE i.grid_id = g.id
                     AND i.reported_at > now() - interval '365 days') AS incidents_365d
            FROM grids g
            JOIN admin_units c ON c.code = g.community_code
            JOIN admin_units s ON s.code = c.parent_code
            JOIN admin_units d ON d.code = s.parent_code
            WHERE g.id = %(id)s
            """,
            {"id": grid_id},
        ).fetchone()
    if row is None:
        raise NotFound(f"Grid {grid_id} does not exist.", code="grid.not_found", grid=grid_id)
    with conn.cursor(row_factory=class_row(OpenIncident)) as cur:
        recent = cur.execute(
            """
            SELECT i.number, c.name_zh AS category_zh, c.name_en AS category_en, i.priority,
                   i.status,
                   to_char(i.reported_at AT TIME ZONE %(tz)s, 'MM-DD HH24:MI') AS reported
            FROM incidents i JOIN categories c ON c.code = i.category
            WHERE i.grid_id = %(id)s AND i.status <> 'closed'
            ORDER BY i.reported_at DESC LIMIT 5
            """,
            {"id": grid_id, "tz": tz},
        ).fetchall()
    return GridCard(**row, recent_open=recent)
