"""Retry-safe writes for API clients: with an Idempotency-Key, the first request opens the
case (or stores the batch of positions) and every retry gets that result back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import psycopg

from geo.errors import Conflict, InvalidInput
from geo.incidents import create, get
from geo.rows import IncidentRow


def remembered(
    *,
    conn: psycopg.Connection,
    token_id: int,
    key: str,
    request_sha256: str,
    result: Literal["incident_id", "positions_stored"] = "incident_id",
) -> int | None:
    """Claim an Idempotency-Key for a create (waits while a request with the same key is in
    flight). None: this request is the first, create the case and :func:`remember` it; else
    the case the first request opened.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    token_id : int
        Id of the API token the request came with; keys are per token.
    key : str
        The Idempotency-Key (1-200 characters).
    request_sha256 : str
        Hash of the request body, to tell a retry from a different request.
    result : {"incident_id", "positions_stored"}
        What the first request recorded: the case it opened, or how many positions it stored.

    Returns
    -------
    int or None
        None when this request claimed the key; else the first request's ``result``.

    Raises
    ------
    InvalidInput
        The key is empty or longer than 200 characters.
    Conflict
        The key was used before with a different request.
    """
    if not 1 <= len(key) <= 200:
        raise InvalidInput("An Idempotency-Key is 1-200 characters.", code="retry.key")
    claimed = conn.execute(
        "INSERT INTO idempotency_keys (token_id, key, request_sha256) "
        "VALUES (%(t)s, %(k)s, %(h)s) ON CONFLICT DO NOTHING RETURNING 1",
        {"t": token_id, "k": key, "h": request_sha256},
    ).fetchone()
    if claimed:
        return None
    row = conn.execute(
        f"SELECT request_sha256, {result} FROM idempotency_keys "  # noqa: S608 - a literal
        "WHERE token_id = %(t)s AND key = %(k)s",
        {"t": token_id, "k": key},
    ).fetchone()
    assert row is not None
    if row[0] != request_sha256:
        raise Conflict("This Idempotency-Key was used before for a different request.",
                       code="retry.reused")  # fmt: skip
    return int(row[1])


def remember(*, conn: psycopg.Connection, token_id: int, key: str, incident_id: int) -> None:
    """Record the case opened under an Idempotency-Key claimed with :func:`remembered`.

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    token_id : int
        Id of the API token.
    key : str
        The Idempotency-Key.
    incident_id : int
        Id of the case the request opened.
    """
    conn.execute(
        "UPDATE idempotency_keys SET incident_id = %(i)s WHERE token_id = %(t)s AND key = %(k)s",
        {"i": incident_id, "t": token_id, "k": key},
    )


def create_once(
    *,
    conn: psycopg.Connection,
    token_id: int,
    key: str | None,
    request_sha256: str,
    **fields: Any,
) -> tuple[IncidentRow, bool]:
    """:func:`create` for an API client that may retry: with an Idempotency-Key ``key`` the
    first request opens the case and every retry gets that case. (case, opened now).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction).
    token_id : int
        Id of the API token the request came with.
    key : str or None
        The Idempotency-Key; None opens a case every time.
    request_sha256 : str
        Hash of the request body.
    **fields
        The keyword arguments of :func:`create` other than ``conn``.

    Returns
    -------
    tuple of (dict, bool)
        The case (as :func:`get` returns it) and whether this call opened it.

    Raises
    ------
    InvalidInput, OutsideJurisdiction, NotFound, Conflict
        As :func:`create` and :func:`remembered` raise them.
    """
    if key is not None:
        earlier = remembered(conn=conn, token_id=token_id, key=key, request_sha256=request_sha256)
        if earlier is not None:
            return get(conn=conn, incident_id=earlier), False
    row = create(conn=conn, **fields)
    if key is not None:
        remember(conn=conn, token_id=token_id, key=key, incident_id=row["id"])
    return row, True


def store_once(
    *,
    conn: psycopg.Connection,
    token_id: int,
    key: str | None,
    request_sha256: str,
    store: Callable[[], int],
) -> tuple[int, bool]:
    """Store a batch of tracker positions once: with an Idempotency-Key ``key``, a retry of a
    batch that was stored (its answer lost) stores nothing again. (positions stored, now).

    Parameters
    ----------
    conn : psycopg.Connection
        An open connection (the caller's transaction, which ``store`` writes in too).
    token_id : int
        Id of the API token the request came with.
    key : str or None
        The Idempotency-Key; None stores the batch every time.
    request_sha256 : str
        Hash of the request body.
    store : callable
        Stores the batch on ``conn``; returns the number of positions stored.

    Returns
    -------
    tuple of (int, bool)
        The number of positions the first request stored, and whether this call stored them.

    Raises
    ------
    InvalidInput, Conflict
        As ``store`` and :func:`remembered` raise them.
    """
    if key is not None:
        earlier = remembered(conn=conn, token_id=token_id, key=key,
                             request_sha256=request_sha256, result="positions_stored")  # fmt: skip
        if earlier is not None:
            return earlier, False
    n = store()
    if key is not None:
        conn.execute(
            "UPDATE idempotency_keys SET positions_stored = %(n)s "
            "WHERE token_id = %(t)s AND key = %(k)s",
            {"n": n, "t": token_id, "k": key},
        )
    return n, True
