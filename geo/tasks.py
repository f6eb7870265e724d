"""Mass tasks (格防码 / 吹哨报到): one check-list to many grids, progress per grid.

A task is created for the grids inside a drawn area or under chosen admin units, with a
target count per grid and a deadline; grid workers report how many they have done (the API);
the map shows completion per grid, and a grid not done by the deadline is late.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import h3
import psycopg
import shapely
from psycopg import sql
from psycopg.rows import dict_row

from geo import analytics
from geo.errors import Conflict, InvalidInput, NotFound

MAX_GRIDS = 10_000
KINDS = ("check", "patrol")


@dataclass(frozen=True)
class Task:
    id: int
    kind: str
    title: str
    instructions: str
    deadline: dt.datetime
    created_at: dt.datetime
    created_by: str
    grids: int
    complete: int
    late: int
    completion: float  # 0-1 over the targets


@dataclass(frozen=True)
class GridProgress:
    grid_code: str
    target: int
    done: int
    late: bool

    @property
    def share(self) -> float:
        """How much of the grid's target is done.

        Returns
        -------
        float
            ``done / target``, capped at 1.
        """
        return min(self.done / self.target, 1.0)


def create(
    *,
    conn: psycopg.Connection,
    title: str,
    deadline: dt.datetime,
    target: int,
    instructions: str = "",
    area: shapely.Geometry | None = None,
    admin_codes: Sequence[str] = (),
    kind: str = "check",
    cover: bool = False,
) -> tuple[int, int]:
    """A task for the current grids whose point-on-surface lies in ``area`` (or, with
    ``cover``, which overlap it: the grids that cover a hotspot) or which belong under any of
    ``admin_codes``; returns (task id, number of grids).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    title : str
        The task's title (1-200 characters after stripping).
    deadline : datetime.datetime
        When every grid should be done; time zone aware and in the future.
    target : int
        The count each grid should reach (1-100,000).
    instructions : str
        The check-list text (at most 4000 characters).
    area : shapely.Geometry or None
        A valid Polygon or MultiPolygon in WGS-84 lon/lat.
    admin_codes : sequence of str
        Codes of admin units whose grids are included.
    kind : str
        One of ``KINDS``.
    cover : bool
        Take the grids overlapping ``area`` (not merely touching it) instead of those whose
        point-on-surface lies in it.

    Returns
    -------
    tuple of (int, int)
        The new task's id and the number of grids it covers.

    Raises
    ------
    InvalidInput
        An unknown kind, a bad title, instructions, deadline, target or area, neither area nor
        admin units, no grid selected, or more than ``MAX_GRIDS`` grids.
    """
    if kind not in KINDS:
        raise InvalidInput(
            f"The task kind must be one of {', '.join(KINDS)}.",
            code="task.kind",
            kinds=", ".join(KINDS),
        )
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise InvalidInput("The task needs a title (1-200 characters).", code="task.title")
    if len(instructions or "") > 4000:
        raise InvalidInput(
            "The instructions are longer than 4,000 characters.", code="task.instructions"
        )
    if deadline.tzinfo is None or deadline <= dt.datetime.now(dt.UTC):
        raise InvalidInput(
            "The deadline must be in the future (with a time zone).", code="task.deadline"
        )
    if not 1 <= int(target) <= 100_000:
        raise InvalidInput("The target per grid must be 1-100,000.", code="task.target")
    if area is None and not admin_codes:
        raise InvalidInput(
            "Pick the grids: draw an area or choose admin units.", code="task.no_area"
        )
    if area is not None and (area.is_empty or area.geom_type not in ("Polygon", "MultiPolygon")
                             or not area.is_valid):  # fmt: skip
        raise InvalidInput("The area must be a valid polygon.", code="task.area")
    codes = conn.execute(
        "SELECT g.code FROM grids g WHERE g.valid_to IS NULL AND ("
        " (%(a)s::bytea IS NOT NULL AND ST_Intersects("
        "   CASE WHEN %(c)s THEN g.geom ELSE ST_PointOnSurface(g.geom) END,"
        "   ST_GeomFromWKB(%(a)s::bytea, 4326))"
        "   AND NOT (%(c)s AND ST_Touches(g.geom, ST_GeomFromWKB(%(a)s::bytea, 4326))))"
        " OR g.path <@ ANY(SELECT path FROM admin_units WHERE code = ANY(%(u)s)))"
        " ORDER BY g.code",
        {
            "a": shapely.to_wkb(area) if area is not None else None,
            "u": list(admin_codes),
            "c": cover,
        },
    ).fetchall()
    if not codes:
        raise InvalidInput(
            "No grid lies in the area or under those admin units.", code="task.no_grids"
        )
    if len(codes) > MAX_GRIDS:
        raise InvalidInput(
            f"At most {MAX_GRIDS:,} grids in one task.", code="task.too_many", max=MAX_GRIDS
        )
    task_id = conn.execute(
        "INSERT INTO mass_tasks (title, instructions, deadline, kind) "
        "VALUES (%(t)s, %(i)s, %(d)s, %(k)s) RETURNING id",
        {"t": title, "i": instructions or "", "d": deadline, "k": kind},
    ).fetchone()[0]  # type: ignore[index]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO mass_task_grids (task_id, grid_code, target) VALUES (%s, %s, %s)",
            [(task_id, c[0], int(target)) for c in codes],
        )
    conn.execute(
        "INSERT INTO audit_log (entity, entity_id, action, after) VALUES ('mass_task', %(i)s, "
        "'created', %(a)s)",
        {"i": str(task_id), "a": json.dumps({"title": title, "kind": kind, "grids": len(codes)})},
    )
    return int(task_id), len(codes)


def from_cells(
    *,
    conn: psycopg.Connection,
    cells: Sequence[int],
    title: str,
    deadline: dt.datetime,
    target: int,
    instructions: str = "",
) -> tuple[int, int]:
    """A patrol task for the grids that cover the H3 ``cells`` (a hotspot's hexagons).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    cells : sequence of int
        H3 cell ids as integers (1-5000 of them).
    title, deadline, target, instructions
        As for :func:`create`.

    Returns
    -------
    tuple of (int, int)
        The new task's id and the number of grids it covers.

    Raises
    ------
    InvalidInput
        Too few or many cells, an invalid cell, or anything :func:`create` refuses.
    """
    if not 1 <= len(cells) <= 5000:
        raise InvalidInput("Give 1-5,000 hexagons for a patrol task.", code="task.cells")
    try:
        ok = all(h3.is_valid_cell(h3.int_to_str(int(c))) for c in cells)
    except (ValueError, TypeError, OverflowError):
        ok = False
    if not ok:
        raise InvalidInput("A hexagon is not a valid H3 cell.", code="task.cell")
    area = shapely.union_all([shapely.Polygon(analytics.ring(int(c))) for c in cells])
    return create(conn=conn, title=title, deadline=deadline, target=target,
                  instructions=instructions, area=area, kind="patrol", cover=True)  # fmt: skip


# Late: the deadline passed before the target was met (or it is still not met).
def _late(deadline: sql.Composable) -> sql.Composed:
    """Whether a task grid is late: done after ``deadline``, or not done and it has passed."""
    return sql.SQL("coalesce(completed_at > {dl}, {dl} < now())").format(dl=deadline)


def report(*, conn: psycopg.Connection, task_id: int, grid_code: str, done: int) -> GridProgress:
    """A grid worker's count so far (it may only go up; a task past its deadline still takes
    reports, which then stay late).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    task_id : int
        Id of the task.
    grid_code : str
        Code of the grid reporting.
    done : int
        The grid's count so far (0 to the grid's target; not below the last report).

    Returns
    -------
    GridProgress
        The grid's target, its count, and whether it is late.

    Raises
    ------
    InvalidInput
        The count is out of range, or above the grid's target.
    NotFound
        The grid has no part in the task (or the task does not exist).
    Conflict
        The count is lower than the one already reported.
    """
    if not 0 <= int(done) <= 1_000_000:
        raise InvalidInput("The count must be 0-1,000,000.", code="task.count")
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT g.target, g.done, t.deadline FROM mass_task_grids g JOIN mass_tasks t "
            "ON t.id = g.task_id WHERE g.task_id = %(t)s AND g.grid_code = %(c)s FOR UPDATE",
            {"t": task_id, "c": grid_code},
        ).fetchone()
    if row is None:
        raise NotFound(
            f"Grid {grid_code} has no part in task {task_id}.",
            code="task.no_grid",
            grid=grid_code,
            task=task_id,
        )
    if int(done) > row["target"]:
        raise InvalidInput(
            f"The count cannot exceed the grid's target of {row['target']}.",
            code="task.over_target",
            target=int(row["target"]),
        )
    if int(done) < row["done"]:
        raise Conflict(
            f"The count cannot go down (it is {row['done']}).",
            code="task.count_down",
            done=int(row["done"]),
        )
    late = conn.execute(
        sql.SQL(
            "UPDATE mass_task_grids SET done = %(d)s, updated_at = now(), "
            " updated_by = app_actor(), "
            " completed_at = CASE WHEN %(d)s >= target THEN coalesce(completed_at, now()) END "
            "WHERE task_id = %(t)s AND grid_code = %(c)s "
            "RETURNING {late}"
        ).format(late=_late(sql.Placeholder("dl"))),
        {"d": int(done), "t": task_id, "c": grid_code, "dl": row["deadline"]},
    ).fetchone()[0]  # type: ignore[index]
    return GridProgress(grid_code, row["target"], int(done), bool(late))


def progress(*, conn: psycopg.Connection, task_id: int) -> list[GridProgress]:
    """Every grid of the task: target, done, and late (deadline passed, target not met).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    task_id : int
        Id of the task.

    Returns
    -------
    list of GridProgress
        One per grid, by grid code.

    Raises
    ------
    NotFound
        No such task.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT g.grid_code, g.target, g.done, {late} "
            "FROM mass_task_grids g JOIN mass_tasks t ON t.id = g.task_id "
            "WHERE g.task_id = %(t)s ORDER BY g.grid_code"
        ).format(late=_late(sql.Identifier("t", "deadline"))),
        {"t": task_id},
    ).fetchall()
    if not rows:
        raise NotFound(f"Task {task_id} does not exist.", code="task.not_found", id=task_id)
    return [GridProgress(r[0], r[1], r[2], bool(r[3])) for r in rows]


def shapes(*, conn: psycopg.Connection, task_id: int) -> dict[str, dict[str, Any]]:
    """The current outline of each grid of the task (GeoJSON geometry, simplified to about
    2 m), for the completion map.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    task_id : int
        Id of the task.

    Returns
    -------
    dict
        Grid code to GeoJSON geometry (dict, WGS-84 lon/lat); empty for an unknown task.
    """
    rows = conn.execute(
        "SELECT g.code, ST_AsGeoJSON(ST_SimplifyPreserveTopology(g.geom, 0.00002), 5) "
        "FROM mass_task_grids t JOIN grids g ON g.code = t.grid_code AND g.valid_to IS NULL "
        "WHERE t.task_id = %(t)s",
        {"t": task_id},
    ).fetchall()
    return {r[0]: json.loads(r[1]) for r in rows}


def listing(*, conn: psycopg.Connection, limit: int = 50) -> list[Task]:
    """The newest tasks with their completion.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    limit : int
        At most this many tasks (clamped to 1-500).

    Returns
    -------
    list of Task
        Newest first: the task's fields, its number of grids, how many are complete and late,
        and the completion share (0-1) over the targets.
    """
    rows = conn.execute(
        sql.SQL(
            "SELECT t.id, t.kind, t.title, t.instructions, t.deadline, t.created_at, t.created_by, "
            " count(*), count(*) FILTER (WHERE g.done >= g.target), "
            " count(*) FILTER (WHERE {late}), "
            " sum(least(g.done, g.target))::float / sum(g.target) "
            "FROM mass_tasks t JOIN mass_task_grids g ON g.task_id = t.id "
            "GROUP BY t.id ORDER BY t.created_at DESC, t.id DESC LIMIT %(n)s"
        ).format(late=_late(sql.Identifier("t", "deadline"))),
        {"n": max(1, min(int(limit), 500))},
    ).fetchall()
    return [Task(*r) for r in rows]


def summary(items: Sequence[GridProgress]) -> dict[str, Any]:
    """Grids, how many are complete, late, and the overall completion share.

    Parameters
    ----------
    items : sequence of GridProgress
        The grids of a task, as :func:`progress` returns them.

    Returns
    -------
    dict
        ``grids``, ``complete``, ``late`` (counts) and ``completion`` (0-1 over the targets;
        0.0 when there are none).
    """
    target = sum(i.target for i in items)
    return {
        "grids": len(items),
        "complete": sum(i.done >= i.target for i in items),
        "late": sum(i.late for i in items),
        "completion": sum(min(i.done, i.target) for i in items) / target if target else 0.0,
    }
