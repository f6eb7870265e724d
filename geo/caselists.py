"""Lists of cases: the desk's queue of open cases and the API's pages of cases by filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import cast

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.errors import InvalidInput
from geo.incidents import COLUMNS, LTREE, OVERDUE_SQL, PRIORITIES, STATUSES
from geo.rows import IncidentRow, QueueRow


def _check_filters(
    statuses: Sequence[str] | None,
    priorities: Sequence[str] | None,
    categories: Sequence[str] | None,
) -> None:
    for values, allowed in ((statuses, STATUSES), (priorities, PRIORITIES)):
        if values and not set(values) <= set(allowed):
            raise InvalidInput("Unknown status or priority in the filter.")
    if categories and (len(categories) > 100 or not all(isinstance(c, str) for c in categories)):
        raise InvalidInput("Too many or malformed categories in the filter.")


def queue(
    *,
    conn: psycopg.Connection,
    statuses: Sequence[str] | None = None,
    priorities: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    path: str | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """Open cases, priority first (red, yellow, blue), then least SLA time left; overdue first.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    statuses, priorities, categories : sequence of str or None
        Keep only cases with one of these values; None or empty keeps all.
    path : str or None
        An area's ltree path (``city.district.street...``); keeps cases within that area.
    limit : int
        At most this many rows (clamped to 1-1000).

    Returns
    -------
    list of dict
        The incident columns (as :func:`get`) plus ``due`` (the current deadline),
        ``overdue``, ``category_zh`` and ``category_en``.

    Raises
    ------
    InvalidInput
        An unknown status, priority or area, or too many or malformed categories.
    """
    _check_filters(statuses, priorities, categories)
    if path is not None and not LTREE.match(path):
        raise InvalidInput("Unknown area in the filter.")
    with conn.cursor(row_factory=dict_row) as cur:
        return cast(list[QueueRow], cur.execute(
            sql.SQL(
                "SELECT {cols}, due, {overdue} AS overdue, "
                "c.name_zh AS category_zh, c.name_en AS category_en FROM ("
                " SELECT *, CASE status WHEN 'reported' THEN coalesce(respond_due, close_due)"
                "  WHEN 'dispatched' THEN coalesce(arrive_due, close_due)"
                "  WHEN 'accepted' THEN coalesce(arrive_due, close_due)"
                "  WHEN 'on_scene' THEN coalesce(report_due, close_due) ELSE close_due END AS due"
                " FROM incidents WHERE status <> 'closed'"
                "  AND (%(st)s::text[] IS NULL OR status = ANY(%(st)s))"
                "  AND (%(pr)s::text[] IS NULL OR priority = ANY(%(pr)s))"
                "  AND (%(ca)s::text[] IS NULL OR category = ANY(%(ca)s))"
                "  AND (%(path)s::ltree IS NULL OR path <@ %(path)s::ltree)) q "
                "JOIN categories c ON c.code = q.category "
                "ORDER BY overdue DESC, array_position(ARRAY['red','yellow','blue'], priority), "
                "due LIMIT %(lim)s"
            ).format(cols=COLUMNS, overdue=OVERDUE_SQL),
            {
                "st": list(statuses) if statuses else None,
                "pr": list(priorities) if priorities else None,
                "ca": list(categories) if categories else None,
                "path": path,
                "lim": max(1, min(limit, 1000)),
            },
        ).fetchall())


def listing(
    *,
    conn: psycopg.Connection,
    statuses: Sequence[str] | None = None,
    priorities: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    grid_code: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    after_id: int = 0,
    limit: int = 100,
) -> list[IncidentRow]:
    """Cases (closed ones too) by id, for the API: filters, and pages after ``after_id``.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    statuses, priorities, categories : sequence of str or None
        Keep only cases with one of these values; None or empty keeps all.
    grid_code : str or None
        Keep only cases of this grid.
    since, until : datetime.datetime or None
        Keep cases reported at or after ``since`` and before ``until``.
    after_id : int
        Return cases with a larger id only (the previous page's last id).
    limit : int
        At most this many rows (clamped to 1-1000).

    Returns
    -------
    list of dict
        Incident rows as :func:`get` returns them, by ascending id.

    Raises
    ------
    InvalidInput
        An unknown status or priority, or too many or malformed categories.
    """
    _check_filters(statuses, priorities, categories)
    with conn.cursor(row_factory=dict_row) as cur:
        return cast(list[IncidentRow], cur.execute(
            sql.SQL(
                "SELECT {cols} FROM incidents WHERE id > %(after)s"
                " AND (%(st)s::text[] IS NULL OR status = ANY(%(st)s))"
                " AND (%(pr)s::text[] IS NULL OR priority = ANY(%(pr)s))"
                " AND (%(ca)s::text[] IS NULL OR category = ANY(%(ca)s))"
                " AND (%(g)s::text IS NULL OR grid_code = %(g)s)"
                " AND (%(since)s::timestamptz IS NULL OR reported_at >= %(since)s)"
                " AND (%(until)s::timestamptz IS NULL OR reported_at < %(until)s)"
                " ORDER BY id LIMIT %(lim)s"
            ).format(cols=COLUMNS),
            {
                "after": after_id,
                "st": list(statuses) if statuses else None,
                "pr": list(priorities) if priorities else None,
                "ca": list(categories) if categories else None,
                "g": grid_code,
                "since": since,
                "until": until,
                "lim": max(1, min(limit, 1000)),
            },
        ).fetchall())
