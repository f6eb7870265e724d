"""Process-wide resources of the console: settings and the database pool."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg_pool import ConnectionPool, PoolTimeout

from console.server.errors import DB_AWAY
from console.settings import Settings, routing_config
from geo.access import Principal
from geo.db import EmbeddedCluster, open_pool, transaction
from geo.errors import DatabaseUnavailable, Unauthorized
from geo.routing import GraphCache, Router, UnitCache, UnitSnapshot

_lock = threading.Lock()
_pool: ConnectionPool | None = None


def conninfo(settings: Settings) -> str:
    """The database the console uses: DATABASE_URL, or the embedded cluster."""
    if settings.database_url:
        return settings.database_url
    return cluster(settings).conninfo(settings.db_name)


def app_conninfo(settings: Settings) -> str:
    """The same database as the application role (which owns nothing): what the console's
    pool uses, so row-level security applies to every request."""
    if not settings.app_db_role:
        return conninfo(settings)
    extra = {"password": settings.app_db_password} if settings.app_db_password else {}
    return make_conninfo(conninfo(settings), user=settings.app_db_role, **extra)


def cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.var_dir / "pg", settings.pg_bindir, settings.pg_port)


def pool(settings: Settings) -> ConnectionPool:
    """The shared connection pool (opened on first use)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = open_pool(app_conninfo(settings), max_size=settings.pool_max)
        return _pool


def forget_after_fork() -> None:
    """In a process forked from a worker (a background job): drop the worker's pool without
    closing it (its connections are the worker's sockets); the job opens its own."""
    global _pool, _lock
    _pool = None
    _lock = threading.Lock()


def close() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None


_graphs: GraphCache | None = None
UNITS_FRESH_S = 1.0  # the unit snapshot is read again at most once a second
_units: dict[str, UnitCache] = {}  # one per jurisdiction: each sees only its own units


def router(settings: Settings, conn: psycopg.Connection) -> tuple[Router, UnitSnapshot]:
    """The travel-time router (graph rebuilt when roads, water or the city changed) and a
    fresh snapshot of the units, for one request on ``conn``."""
    global _graphs
    with _lock:
        if _graphs is None:
            _graphs = GraphCache(routing_config(settings))
        graphs = _graphs
        units = _units.setdefault(principal().scope, UnitCache(fresh_s=UNITS_FRESH_S))
    graph = graphs.get(conn)
    return Router(graph), units.get(conn, graph)


READ_ONLY = "The database is read-only just now; nothing was saved. Try again shortly."
READ_ONLY_PROBE_S = 1.0  # after a read-only refusal, how often a fresh connection looks again
_read_only_at: float | None = None  # when a write was last refused as read-only (or looked)
_warm = threading.Event()
WARMER = Principal(actor="system:warm", role="system", scope="all")


def warm(settings: Settings) -> float:
    """Build what the first request would otherwise wait for (the travel graph, the city's
    unit snapshot) and mark this process ready; the seconds it took. Raises what the database
    raises when it is away (then the process is not ready yet)."""
    t0 = time.perf_counter()
    with acting(WARMER), db(settings, WARMER) as conn:
        router(settings, conn)
    _warm.set()
    return time.perf_counter() - t0


def ready() -> bool:
    """Whether :func:`warm` has run in this process."""
    return _warm.is_set()


AWAY_RETRY_S = 1.0  # after a failure, requests are refused this long before trying again
_away_until = 0.0

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "griddispatch_principal", default=None
)


def current() -> Principal | None:
    """Who the current request acts for, if anyone."""
    return _principal.get()


def principal() -> Principal:
    """Who the current request acts for (set by ``console.server.auth`` from the session cookie or
    the API token); refused when nobody signed in."""
    p = _principal.get()
    if p is None:
        raise Unauthorized("Please sign in.")
    return p


@contextmanager
def acting(p: Principal) -> Iterator[Principal]:
    """Act as ``p`` inside the block (requests, background jobs, tests)."""
    token = _principal.set(p)
    try:
        yield p
    finally:
        _principal.reset(token)


def _writable_again(settings: Settings) -> None:
    """After a read-only refusal, at most once per ``READ_ONLY_PROBE_S``: ask a fresh
    connection whether the database takes writes again and, if so, renew the pool (its
    connections may still carry the read-only default they were opened with)."""
    global _read_only_at
    seen = _read_only_at
    if seen is None or time.monotonic() - seen < READ_ONLY_PROBE_S:
        return
    _read_only_at = time.monotonic()
    try:
        with psycopg.connect(app_conninfo(settings), connect_timeout=2) as c:
            row = c.execute("SHOW transaction_read_only").fetchone()
    except psycopg.Error:
        return
    if row and row[0] == "off":
        _read_only_at = None
        pool(settings).drain()


@contextmanager
def db(
    settings: Settings, who: Principal | None = None, *, need: str | None = None
) -> Iterator[psycopg.Connection]:
    """One transaction on a pooled connection on behalf of ``who`` (default: the current
    principal), its jurisdiction set for row-level security; ``need``: an action its role
    must be allowed (``geo.access.PERMISSIONS``), refused with 403 before anything runs."""
    global _away_until, _read_only_at
    p = who or principal()
    if need:
        p.require(need)
    # Dash runs callbacks on the event loop: while the database is away, answer at once
    # rather than have every callback wait for the pool (the live channel would stall too).
    if time.monotonic() < _away_until:
        raise DatabaseUnavailable(DB_AWAY, code="db_away")
    _writable_again(settings)
    try:
        with pool(settings).connection() as raw:
            try:
                with transaction(raw, p.actor, scope=p.scope, role=p.role) as conn:
                    yield conn
            except psycopg.errors.ReadOnlySqlTransaction as exc:
                # A database turned read-only (a failover, a full disk guarded by an
                # operator): refuse the write with 503 and keep serving reads; the pooled
                # connections are renewed once it is writable again (_writable_again).
                raw.close()
                _read_only_at = time.monotonic()
                raise DatabaseUnavailable(READ_ONLY, detail=str(exc), code="db.read_only") from exc
    except (psycopg.OperationalError, PoolTimeout) as exc:
        _away_until = time.monotonic() + AWAY_RETRY_S
        raise DatabaseUnavailable(DB_AWAY, detail=str(exc), code="db_away") from exc
