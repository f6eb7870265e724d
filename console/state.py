"""Process-wide resources of the console: settings and the database pool."""

from __future__ import annotations

import threading

from psycopg_pool import ConnectionPool

from console.settings import Settings
from geo.db import EmbeddedCluster, open_pool

_lock = threading.Lock()
_pool: ConnectionPool | None = None


def conninfo(settings: Settings) -> str:
    """The database the console uses: DATABASE_URL, or the embedded cluster."""
    if settings.database_url:
        return settings.database_url
    return cluster(settings).conninfo(settings.db_name)


def cluster(settings: Settings) -> EmbeddedCluster:
    return EmbeddedCluster(settings.var_dir / "pg", settings.pg_bindir, settings.pg_port)


def pool(settings: Settings) -> ConnectionPool:
    """The shared connection pool (opened on first use)."""
    global _pool
    with _lock:
        if _pool is None:
            _pool = open_pool(conninfo(settings), max_size=settings.pool_max)
        return _pool


def close() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.close()
            _pool = None
