"""Workload split suggestions: overloaded grids and a cut that halves each one's workload."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import shapely

from geo import boundaries as b
from geo.planning import incident_points


@dataclass(frozen=True)
class Suggestion:
    """An overloaded grid and a cut that halves its workload (take it into the editor)."""

    code: str
    name: str
    households: int
    last_year: int
    overload: float  # the larger of households / target and incidents / incident target
    line: b.Geom


def suggestions(
    *,
    conn: psycopg.Connection,
    community: str | None = None,
    rules: b.Rules = b.RULES,
    limit: int = 20,
) -> list[Suggestion]:
    """Grids whose households exceed the target, or whose last year's incidents exceed twice
    the city's median per grid, most overloaded first, each with a balanced cut.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    community : str or None
        Only the grids of this community; None: the whole city.
    rules : Rules
        ``households_target``: the households one grid worker serves.
    limit : int
        Most suggestions returned (clamped to 1-200).

    Returns
    -------
    list of Suggestion
        Code, name, households, last year's incidents, overload and the cut
        (:func:`geo.boundaries.balanced_cut`).
    """
    rows = conn.execute(
        """WITH load AS (
               SELECT g.code, g.name, g.households, g.geom,
                      (SELECT count(*) FROM incidents i WHERE i.grid_code = g.code
                         AND i.reported_at >= now() - interval '365 days') AS n
               FROM grids g WHERE g.valid_to IS NULL
                 AND (%(m)s::text IS NULL OR g.community_code = %(m)s)),
           target AS (
               SELECT greatest(2 * percentile_cont(0.5) WITHIN GROUP (ORDER BY n), 1) AS t
               FROM (SELECT (SELECT count(*) FROM incidents i WHERE i.grid_code = g.code
                       AND i.reported_at >= now() - interval '365 days') AS n
                     FROM grids g WHERE g.valid_to IS NULL) x)
           SELECT code, name, households, n, ST_AsBinary(geom),
                  greatest(households::float / %(h)s, n / t) AS over
           FROM load, target
           WHERE households > %(h)s OR n > t
           ORDER BY over DESC, code LIMIT %(k)s""",
        {"m": community, "h": rules.households_target, "k": max(1, min(limit, 200))},
    ).fetchall()
    out = []
    for code, name, households, n, wkb, over in rows:
        pts = incident_points(conn, [code], False)
        g = shapely.from_wkb(wkb)
        out.append(
            Suggestion(code, name, households, n, float(over), b.balanced_cut(g, pts.lon, pts.lat))
        )
    return out
