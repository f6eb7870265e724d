"""Retry-safe case creation for API clients: with an Idempotency-Key, the first request
opens the case and every retry gets that case back."""

from __future__ import annotations

from typing import Any

import psycopg

from geo.errors import Conflict, InvalidInput
from geo.incidents import create, get
from geo.rows import IncidentRow


def remembered(
    *, conn: psycopg.Connection, token_id: int, key: str, request_sha256: str
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

    Returns
    -------
    int or None
        None when this request claimed the key; else the id of the case opened by the first.

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
        "SELECT request_sha256, incident_id FROM idempotency_keys "
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
