"""A grid's past: its versions, the changes of a community, and which community a grid
belongs to (read views of the planning page; writing is ``geo.planning``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import psycopg

from geo.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Change:
    id: int
    at: dt.datetime
    author: str
    reason: str
    kind: str
    codes: list[str]
    rehomed: int


def history(
    *,
    conn: psycopg.Connection,
    code: str | None = None,
    community: str | None = None,
    limit: int = 50,
) -> list[Change]:
    """Boundary changes touching a grid or a community, newest first.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    code : str or None
        A grid's code.
    community : str or None
        A community's code; with ``code``, changes touching both.
    limit : int
        Most changes returned (clamped to 1-500).

    Returns
    -------
    list of Change
        Each with id, time, author, reason, kind, the grid codes and the incidents re-homed.

    Raises
    ------
    InvalidInput
        Neither a grid nor a community given.
    """
    if not code and not community:
        raise InvalidInput("Give a grid or a community.", code="planning.history_what")
    rows = conn.execute(
        "SELECT id, at, author, reason, kind, codes, (SELECT count(*) FROM incident_events e "
        "WHERE e.action = 'rehomed' AND (e.after->>'change')::bigint = c.id) "
        "FROM grid_changes c "
        "WHERE (%(g)s::text IS NULL OR codes @> ARRAY[%(g)s::text]) "
        "AND (%(m)s::text IS NULL OR communities @> ARRAY[%(m)s::text]) "
        "ORDER BY id DESC LIMIT %(n)s",
        {"g": code, "m": community, "n": max(1, min(limit, 500))},
    ).fetchall()
    return [Change(*r) for r in rows]


@dataclass(frozen=True)
class Version:
    code: str
    version: int
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    households: int
    area_m2: float
    change_id: int | None
    author: str | None
    reason: str | None


def community_of(*, conn: psycopg.Connection, code: str, current: bool = True) -> str | None:
    """The community of grid ``code`` (its current version, or else its latest one).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection.
    code : str
        The grid's code.
    current : bool
        Only a grid that exists today; False also finds a retired one.

    Returns
    -------
    str or None
        The community's code, None for an unknown grid.
    """
    row = conn.execute(
        "SELECT community_code FROM grids WHERE code = %(c)s "
        "AND (valid_to IS NULL OR NOT %(current)s) ORDER BY version DESC LIMIT 1",
        {"c": code, "current": current},
    ).fetchone()
    return str(row[0]) if row else None


def versions(*, conn: psycopg.Connection, code: str) -> list[Version]:
    """Every version of grid ``code``, newest first, with the change that made it.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    code : str
        The grid's code.

    Returns
    -------
    list of Version
        Each with its validity period, households, area (m², geodesic), and the id, author and
        reason of its change (None for the first load).

    Raises
    ------
    NotFound
        The grid never existed.
    """
    rows = conn.execute(
        "SELECT g.code, g.version, g.valid_from, g.valid_to, g.households, "
        "ST_Area(g.geom::geography), g.change_id, c.author, c.reason "
        "FROM grids g LEFT JOIN grid_changes c ON c.id = g.change_id "
        "WHERE g.code = %(c)s ORDER BY g.version DESC",
        {"c": code},
    ).fetchall()
    if not rows:
        raise NotFound(f"Grid {code} does not exist.", code="grid.not_found", grid=code)
    return [Version(*r) for r in rows]
