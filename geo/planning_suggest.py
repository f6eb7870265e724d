"""Workload split suggestions: overloaded grids and a cut that halves each one's workload."""

from __future__ import annotations

from collections.abc import Callable
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
    progress: Callable[[int, int], None] | None = None,
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
    progress : callable or None
        Called with (grids done, grids to cut) after the query and after each grid's cut.

    Returns
    -------
    list of Suggestion
        Code, name, households, last year's incidents, overload and the cut
        (:func:`geo.boundaries.balanced_cut`).
    """
    rows = conn.execute(
        """WITH year AS (   -- last year's cases per grid, counted in one pass
               SELECT grid_code, count(*) AS n FROM incidents
               WHERE reported_at >= now() - interval '365 days' AND grid_code IS NOT NULL
               GROUP BY grid_code),
           every AS (
               SELECT g.code, g.name, g.households, g.geom, g.community_code,
                      coalesce(y.n, 0) AS n
               FROM grids g LEFT JOIN year y ON y.grid_code = g.code
               WHERE g.valid_to IS NULL),
           target AS (
               SELECT greatest(2 * percentile_cont(0.5) WITHIN GROUP (ORDER BY n), 1) AS t
               FROM every)
           SELECT code, name, households, n, ST_AsBinary(geom),
                  greatest(households::float / %(h)s, n / t) AS over
           FROM every, target
           WHERE (%(m)s::text IS NULL OR community_code = %(m)s)
             AND (households > %(h)s OR n > t)
           ORDER BY over DESC, code LIMIT %(k)s""",
        {"m": community, "h": rules.households_target, "k": max(1, min(limit, 200))},
    ).fetchall()
    out = []
    for i, (code, name, households, n, wkb, over) in enumerate(rows):
        if progress is not None:
            progress(i, len(rows))
        pts = incident_points(conn, [code], False)
        g = shapely.from_wkb(wkb)
        out.append(
            Suggestion(code, name, households, n, float(over), b.balanced_cut(g, pts.lon, pts.lat))
        )
    if progress is not None:
        progress(len(rows), len(rows))
    return out
