"""Lists of cases: the desk's queue of open cases in bands, the search for any case, and the
API's pages of cases by filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from geo.errors import InvalidInput
from geo.incidents import COLUMNS, LTREE, NEW_CASE_SQL, PRIORITIES, STATUSES
from geo.rows import IncidentRow, QueueRow


def _check_filters(
    statuses: Sequence[str] | None,
    priorities: Sequence[str] | None,
    categories: Sequence[str] | None,
) -> None:
    for values, allowed in ((statuses, STATUSES), (priorities, PRIORITIES)):
        if values and not set(values) <= set(allowed):
            raise InvalidInput("Unknown status or priority in the filter.", code="queue.filter")
    if categories and (len(categories) > 100 or not all(isinstance(c, str) for c in categories)):
        raise InvalidInput("Too many or malformed categories in the filter.",
                           code="queue.categories")  # fmt: skip


BANDS = ("new", "active", "other", "overdue")
# The queue's bands: new cases nobody holds yet (待签收); active quick-response cases, by time
# left; everything else open; and the cases that ran out of time (挂单), apart, so that they
# never push a new case down. A resolved case waiting for its check is late only when its
# close deadline passes.
_BAND = sql.SQL(
    "CASE WHEN {new} THEN 'new'"
    " WHEN close_due < now() THEN 'overdue'"
    " WHEN arrive_due IS NOT NULL AND status <> 'resolved' THEN 'active'"
    " WHEN due < now() THEN 'overdue' ELSE 'other' END"
).format(new=NEW_CASE_SQL)
_DUE = sql.SQL(
    "CASE WHEN status = 'reported' AND claimed_at IS NULL THEN coalesce(respond_due, close_due)"
    " WHEN status IN ('reported', 'dispatched', 'accepted') THEN coalesce(arrive_due, close_due)"
    " WHEN status = 'on_scene' AND field_report_at IS NULL THEN coalesce(report_due, close_due)"
    " ELSE close_due END"
)
_STAGE = sql.SQL(
    "CASE WHEN status = 'reported' AND claimed_at IS NULL AND respond_due IS NOT NULL"
    "  THEN 'respond'"
    " WHEN status IN ('reported', 'dispatched', 'accepted') AND arrive_due IS NOT NULL"
    "  THEN 'arrive'"
    " WHEN status = 'on_scene' AND field_report_at IS NULL AND report_due IS NOT NULL"
    "  THEN 'report' ELSE 'close' END"
)


@dataclass(frozen=True)
class Queue:
    """A page of the desk's queue and how many open cases each band holds."""

    rows: list[QueueRow]
    counts: dict[str, int]  # by band, every open case passing the filters

    @property
    def total(self) -> int:
        """Open cases passing the filters, all bands.

        Returns
        -------
        int
            The sum of ``counts``.
        """
        return sum(self.counts.values())


def queue(
    *,
    conn: psycopg.Connection,
    statuses: Sequence[str] | None = None,
    priorities: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    path: str | None = None,
    bands: Sequence[str] = BANDS,
    limit: int = 200,
    offset: int = 0,
) -> Queue:
    """Open cases in bands (:data:`BANDS`): new ones by priority and waiting time, active
    quick-response ones by time left, the rest by priority and deadline, the overdue ones
    (挂单) by how late they are.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    statuses, priorities, categories : sequence of str or None
        Keep only cases with one of these values; None or empty keeps all.
    path : str or None
        An area's ltree path (``city.district.street...``); keeps cases within that area.
    bands : sequence of str
        The bands whose cases the page lists (the counts cover every band).
    limit, offset : int
        The page: at most ``limit`` rows (clamped to 1-1000) after the first ``offset``.

    Returns
    -------
    Queue
        ``rows``: the incident columns (as :func:`geo.incidents.get`) plus ``band``, ``due``
        (the deadline working now), ``stage`` (respond, arrive, report or close: the clock
        that ``due`` belongs to), ``overdue`` (``due`` has passed), ``category_zh`` and
        ``category_en``; ``counts``: cases per band.

    Raises
    ------
    InvalidInput
        An unknown status, priority, area or band, or too many or malformed categories.
    """
    _check_filters(statuses, priorities, categories)
    if path is not None and not LTREE.match(path):
        raise InvalidInput("Unknown area in the filter.", code="queue.area")
    if not bands or not set(bands) <= set(BANDS):
        raise InvalidInput("Unknown band.", code="queue.band")
    args = {
        "st": list(statuses) if statuses else None,
        "pr": list(priorities) if priorities else None,
        "ca": list(categories) if categories else None,
        "path": path,
        "bands": list(bands),
        "lim": max(1, min(limit, 1000)),
        "off": max(0, offset),
    }
    banded = sql.SQL(
        "SELECT *, {band} AS band FROM (SELECT *, {due} AS due, {stage} AS stage"
        " FROM incidents WHERE status <> 'closed'"
        "  AND (%(st)s::text[] IS NULL OR status = ANY(%(st)s))"
        "  AND (%(pr)s::text[] IS NULL OR priority = ANY(%(pr)s))"
        "  AND (%(ca)s::text[] IS NULL OR category = ANY(%(ca)s))"
        "  AND (%(path)s::ltree IS NULL OR path <@ %(path)s::ltree)) d"
    ).format(band=_BAND, due=_DUE, stage=_STAGE)
    with conn.cursor(row_factory=dict_row) as cur:
        counts = {b: 0 for b in BANDS} | {
            r["band"]: int(r["n"])
            for r in cur.execute(
                sql.SQL("SELECT band, count(*) AS n FROM ({q}) b GROUP BY band").format(q=banded),
                args,
            )
        }
        rows = cur.execute(
            sql.SQL(
                "SELECT {cols}, band, due, stage, coalesce(due < now(), false) AS overdue,"
                " c.name_zh AS category_zh, c.name_en AS category_en FROM ({q}) b "
                "JOIN categories c ON c.code = b.category WHERE band = ANY(%(bands)s) "
                "ORDER BY array_position(ARRAY['new', 'active', 'other', 'overdue'], band),"
                " CASE WHEN band IN ('active', 'overdue') THEN 0"
                "  ELSE array_position(ARRAY['red', 'yellow', 'blue'], priority) END,"
                " CASE WHEN band = 'new' THEN reported_at END, due, id "
                "LIMIT %(lim)s OFFSET %(off)s"
            ).format(cols=COLUMNS, q=banded),
            args,
        ).fetchall()
    return Queue(cast(list[QueueRow], rows), counts)


def flagged(*, conn: psycopg.Connection, limit: int = 50) -> list[QueueRow]:
    """Open cases with the supervision flag (督办), the longest-flagged first: for the
    supervisor, who follows them up with the desk that holds them.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction: only cases it may see).
    limit : int
        At most this many cases (clamped to 1-200).

    Returns
    -------
    list of dict
        Rows as :func:`queue` gives them (``flag_reason``: the clock that was missed).
    """
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            sql.SQL(
                "SELECT {cols}, {band} AS band, due, stage,"
                " coalesce(due < now(), false) AS overdue,"
                " c.name_zh AS category_zh, c.name_en AS category_en FROM ("
                " SELECT *, {due} AS due, {stage} AS stage FROM incidents"
                " WHERE flagged_at IS NOT NULL AND status <> 'closed') b "
                "JOIN categories c ON c.code = b.category ORDER BY flagged_at, id LIMIT %(lim)s"
            ).format(cols=COLUMNS, band=_BAND, due=_DUE, stage=_STAGE),
            {"lim": max(1, min(limit, 200))},
        ).fetchall()
    return cast(list[QueueRow], rows)


def search(*, conn: psycopg.Connection, text: str, limit: int = 20) -> list[QueueRow]:
    """Find cases, closed ones too, by case number, reporter phone, grid code or address.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    text : str
        What the operator typed: a whole or partial case number (``SJ2026...`` or its last
        digits), at least 4 digits of a phone number, a grid code (or its start), or part of
        an address.
    limit : int
        At most this many cases (clamped to 1-100), newest first.

    Returns
    -------
    list of dict
        Rows as :func:`queue` gives them (``band`` is ``"closed"`` for a closed case).

    Raises
    ------
    InvalidInput
        Fewer than 2 or more than 100 characters.
    """
    q = (text or "").strip()
    if not 2 <= len(q) <= 100:
        raise InvalidInput("Type 2 to 100 characters to search.", code="search.length")
    digits = "".join(ch for ch in q if ch.isdigit())  # a phone or grid code as typed
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            sql.SQL(
                "SELECT {cols}, CASE WHEN status = 'closed' THEN 'closed' ELSE {band} END AS band,"
                " due, stage, coalesce(due < now() AND status <> 'closed', false) AS overdue,"
                " c.name_zh AS category_zh, c.name_en AS category_en FROM ("
                " SELECT *, {due} AS due, {stage} AS stage FROM incidents"
                " WHERE number ILIKE %(like)s OR address ILIKE %(like)s"
                "  OR (length(%(d)s) >= 4 AND regexp_replace(coalesce(reporter_phone, ''),"
                "   '[^0-9]', '', 'g') LIKE '%%' || %(d)s || '%%')"
                "  OR (length(%(d)s) >= 6 AND grid_code LIKE %(d)s || '%%')) b "
                "JOIN categories c ON c.code = b.category "
                "ORDER BY upper(number) = upper(%(q)s) DESC, reported_at DESC LIMIT %(lim)s"
            ).format(cols=COLUMNS, band=_BAND, due=_DUE, stage=_STAGE),
            {"q": q, "d": digits if digits == q.replace(" ", "").replace("-", "") else "",
             "like": like, "lim": max(1, min(limit, 100))},  # fmt: skip
        ).fetchall()
    return cast(list[QueueRow], rows)


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
