"""Reading the audit trail: state changes (audit_log), case events (incident_events) and views
of sensitive records (access_log), newest first. Row-level security decides what the
reader sees: admins the whole trail, within their jurisdiction for case events."""

from __future__ import annotations

import json
from dataclasses import dataclass

import psycopg
from psycopg import sql

from geo.errors import InvalidInput

KINDS = ("all", "change", "incident", "view", "signin")
_SOURCES = {
    kind: sql.SQL(q)
    for kind, q in {
        "change": "SELECT at, actor, 'change' AS kind, entity, entity_id, action, "
        "coalesce(after, before) AS detail FROM audit_log WHERE entity <> 'user'",
        "signin": "SELECT at, actor, 'signin' AS kind, entity, entity_id, action, "
        "after AS detail FROM audit_log WHERE entity = 'user'",
        "incident": "SELECT at, actor, 'incident' AS kind, 'incident' AS entity, "
        "incident_id::text AS entity_id, action, after AS detail FROM incident_events",
        "view": "SELECT at, actor, 'view' AS kind, entity, entity_id, what AS action, "
        "NULL::jsonb AS detail FROM access_log",
    }.items()
}


@dataclass(frozen=True)
class Entry:
    at: str
    actor: str
    kind: str
    entity: str
    entity_id: str | None
    action: str
    detail: str


def recent(
    *,
    conn: psycopg.Connection,
    kind: str = "all",
    actor: str = "",
    limit: int = 200,
    tz: str = "Asia/Shanghai",
) -> list[Entry]:
    """The latest ``limit`` entries of ``kind`` whose actor or object id contains ``actor``
    (so a user's sign-ins, written by the sign-in form, show with what they did).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction); row-level security filters the rows.
    kind : str
        One of ``KINDS``: 'change', 'incident', 'view', 'signin', or 'all'.
    actor : str
        Case-insensitive part of the actor or entity id (at most 100 characters); '' for all.
    limit : int
        Most entries returned (1-1000).
    tz : str
        Time zone (IANA name) the times are given in.

    Returns
    -------
    list of Entry
        Newest first: time (text, YYYY-MM-DD HH:MM:SS in ``tz``), actor, kind, entity,
        entity id, action and detail (JSON, at most 300 characters).

    Raises
    ------
    InvalidInput
        An unknown kind, an actor filter too long, or a limit out of range.
    """
    if kind not in KINDS:
        raise InvalidInput(
            f"Unknown kind {kind!r}; kinds: {', '.join(KINDS)}.",
            code="audit.kind",
            value=str(kind)[:40],
            kinds=", ".join(KINDS),
        )
    if len(actor) > 100 or not 1 <= limit <= 1000:
        raise InvalidInput(
            "The actor filter has at most 100 characters, the limit 1-1000.", code="audit.filter"
        )
    parts = [q for k, q in _SOURCES.items() if kind in ("all", k)]
    # each part sorted and limited on its own (each has an index on time), then merged
    union = sql.SQL(" UNION ALL ").join(
        sql.SQL("(SELECT * FROM ({q}) s WHERE actor ILIKE %(a)s OR entity_id ILIKE %(a)s "
                "ORDER BY at DESC LIMIT %(n)s)").format(q=q)
        for q in parts
    )  # fmt: skip
    pattern = "%" + actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        sql.SQL(
            "SELECT to_char(at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI:SS'), actor, kind, "
            "entity, entity_id, action, detail FROM ({union}) u ORDER BY at DESC LIMIT %(n)s"
        ).format(union=union),
        {"a": pattern, "n": limit, "tz": tz},
    ).fetchall()
    return [
        Entry(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            json.dumps(r[6], ensure_ascii=False)[:300] if r[6] is not None else "",
        )  # fmt: skip
        for r in rows
    ]
