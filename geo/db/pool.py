"""Connection pool and transactions opened on behalf of an acting user."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff

from geo.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

RECONNECT_MAX_S = 1.5  # longest wait between two attempts to reconnect


class CappedBackoff(AttemptWithBackoff):
    """psycopg_pool's reconnect delay doubles without a cap (1, 2, 4, ... 32 s): after a 45 s
    outage, writes kept failing for ~13 s after the database was back. Here it stops at
    ``RECONNECT_MAX_S``."""

    def update_delay(self, now: float) -> None:
        """The wait before the next attempt: psycopg_pool's, at most ``RECONNECT_MAX_S``.

        Parameters
        ----------
        now : float
            ``time.monotonic()`` at the failed attempt.
        """
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_MAX_S)


class _Pool(ConnectionPool):
    """A pool whose reconnect attempts back off to ``RECONNECT_MAX_S`` at most."""

    def _add_connection(self, attempt: AttemptWithBackoff | None, growing: bool = False) -> None:
        super()._add_connection(attempt or CappedBackoff(timeout=self.reconnect_timeout), growing)


def _configure(conn: psycopg.Connection) -> None:
    conn.execute("SET TIME ZONE 'UTC'")
    conn.commit()


def open_pool(
    conninfo: str, *, max_size: int = 8, min_size: int = 1, timeout: float = 2.0
) -> ConnectionPool:
    """Open a connection pool and wait until the first connection works.

    A connection is checked before it is lent (one round trip), so after a database restart
    the broken ones are replaced instead of failing a request; a request waits at most
    ``timeout`` seconds for a connection, then gets ``DatabaseUnavailable`` (503).

    Parameters
    ----------
    conninfo : str
        libpq connection string.
    max_size, min_size : int
        Largest and smallest number of pooled connections.
    timeout : float
        Seconds a request waits for a free connection.

    Returns
    -------
    psycopg_pool.ConnectionPool
        The open pool; connections use UTC.

    Raises
    ------
    DatabaseUnavailable
        No connection could be made within 15 seconds.
    """
    pool = _Pool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        configure=_configure,
        check=ConnectionPool.check_connection,
        timeout=timeout,
        reconnect_timeout=24 * 3600,  # keep trying: the database comes back
        open=False,
        name="griddispatch",
    )
    try:
        pool.open(wait=True, timeout=15)
    except Exception as exc:  # psycopg_pool raises PoolTimeout with the cause logged
        pool.close()
        raise DatabaseUnavailable(
            "The database cannot be reached.", detail=str(exc), code="db.unreachable"
        ) from exc
    return pool


def connect(conninfo: str, *, autocommit: bool = False) -> psycopg.Connection:
    """One connection outside the pool (command-line tools, loaders, tests).

    Parameters
    ----------
    conninfo : str
        libpq connection string.
    autocommit : bool
        Open the connection in autocommit mode.

    Returns
    -------
    psycopg.Connection
        A connection with the time zone set to UTC, no transaction open.

    Raises
    ------
    DatabaseUnavailable
        The database cannot be reached.
    """
    try:
        conn = psycopg.connect(conninfo, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            "The database cannot be reached.", detail=str(exc), code="db.unreachable"
        ) from exc
    conn.execute("SET TIME ZONE 'UTC'")
    if not autocommit:
        conn.commit()
    return conn


@contextmanager
def transaction(
    pool_or_conn: ConnectionPool | psycopg.Connection,
    actor: str,
    *,
    scope: str | None = None,
    role: str | None = None,
) -> Iterator[psycopg.Connection]:
    """One transaction on behalf of ``actor``: committed on success, rolled back on error.

    The actor, its ``role`` and its jurisdiction ``scope`` (an admin unit's ltree path, or
    ``'all'``) are set as ``app.actor``, ``app.role`` and ``app.scope`` for the transaction:
    audit triggers write the actor, row-level security reads the scope. On the application
    role an unset scope sees nothing.

    Parameters
    ----------
    pool_or_conn : ConnectionPool or psycopg.Connection
        A pool to borrow a connection from, or a connection to use.
    actor : str
        Who acts, 1 to 100 characters.
    scope : str, optional
        The actor's jurisdiction; None sets ``''``.
    role : str, optional
        The actor's role; None sets ``''``.

    Yields
    ------
    psycopg.Connection
        The connection, inside the transaction.

    Raises
    ------
    ValueError
        ``actor`` is empty or longer than 100 characters.
    """
    if not actor or len(actor) > 100:
        raise ValueError("an actor (1-100 characters) is required for every transaction")
    params = {"a": actor, "s": scope or "", "r": role or ""}
    if isinstance(pool_or_conn, ConnectionPool):
        with pool_or_conn.connection() as conn, conn.transaction():
            conn.execute(_SET, params)
            yield conn
    else:
        conn = pool_or_conn
        with conn.transaction():
            conn.execute(_SET, params)
            yield conn


_SET = (
    "SELECT set_config('app.actor', %(a)s, true), set_config('app.scope', %(s)s, true), "
    "set_config('app.role', %(r)s, true)"
)


def ping(conn: psycopg.Connection) -> None:
    """Raise unless the database answers a trivial query (the health check).

    Parameters
    ----------
    conn : psycopg.Connection
        The connection to check.

    Raises
    ------
    psycopg.Error
        The query failed.
    """
    conn.execute("SELECT 1")


def try_lock(conn: psycopg.Connection, key: int) -> bool:
    """Take transaction-level advisory lock ``key`` if free (held until the transaction ends);
    False when another session holds it.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection inside the transaction that is to hold the lock.
    key : int
        The advisory lock key (bigint).

    Returns
    -------
    bool
        True when the lock was taken.
    """
    row = conn.execute("SELECT pg_try_advisory_xact_lock(%(k)s)", {"k": key}).fetchone()
    return bool(row and row[0])


async def listen(conn: psycopg.AsyncConnection[Any], *channels: str) -> None:
    """LISTEN on each of ``channels`` (an autocommit connection).

    Parameters
    ----------
    conn : psycopg.AsyncConnection
        An autocommit async connection.
    *channels : str
        Channel names (quoted as identifiers).
    """
    for ch in channels:
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(ch)))
