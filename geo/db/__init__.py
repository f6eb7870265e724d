"""Database access: the connection pool, transactions on behalf of an actor, migrations and
the embedded PostgreSQL + PostGIS cluster. Only this package and per-topic query modules
touch PostGIS."""

from psycopg import Connection

from geo.db.embedded import EmbeddedCluster
from geo.db.migrate import migrate, pending_migrations
from geo.db.pool import connect, listen, open_pool, ping, transaction, try_lock

__all__ = [
    "Connection",
    "EmbeddedCluster",
    "connect",
    "migrate",
    "listen",
    "open_pool",
    "pending_migrations",
    "ping",
    "transaction",
    "try_lock",
]
