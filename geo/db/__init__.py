"""Database access: the connection pool, transactions on behalf of an actor, migrations and
the embedded PostgreSQL + PostGIS cluster. Only this package and per-topic query modules
touch PostGIS."""

from geo.db.embedded import EmbeddedCluster
from geo.db.migrate import migrate, pending_migrations
from geo.db.pool import connect, open_pool, transaction

__all__ = [
    "EmbeddedCluster",
    "connect",
    "migrate",
    "open_pool",
    "pending_migrations",
    "transaction",
]
