"""Process-wide resources of the console: settings and the database pool."""

from __future__ import annotations

import threading

import psycopg
from psycopg_pool import ConnectionPool

from console.settings import Settings, routing_config
from geo.db import EmbeddedCluster, open_pool
from geo.routing import GraphCache, Router, UnitCache, UnitSnapshot

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


_graphs: GraphCache | None = None
_units = UnitCache()


def router(settings: Settings, conn: psycopg.Connection) -> tuple[Router, UnitSnapshot]:
    """The travel-time router (graph rebuilt when roads, water or the city changed) and a
    fresh snapshot of the units, for one request on ``conn``."""
    global _graphs
    with _lock:
        if _graphs is None:
            _graphs = GraphCache(routing_config(settings))
        graphs = _graphs
    graph = graphs.get(conn)
    return Router(graph), _units.get(conn, graph)


def actor(settings: Settings) -> str:
    """Who the console acts for. Sign-in comes with issue 8; until then every console action
    is written to the audit tables as the desk operator."""
    return "operator:console"
