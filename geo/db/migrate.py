"""Numbered SQL migrations (``sql/NNN_name.sql``), applied at start and recorded in a table."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from geo.db.roles import APP_ROLE, ensure_app_role

log = logging.getLogger(__name__)

SQL_DIR = Path(__file__).parent / "sql"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x67726964  # advisory lock: several workers may start at once


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        """The migration's SQL text, read from its file.

        Returns
        -------
        str
            The file's contents (UTF-8).
        """
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        """Fingerprint of the SQL, to detect files changed after they were applied.

        Returns
        -------
        str
            SHA-256 of :attr:`sql` as 64 hex digits.
        """
        return hashlib.sha256(self.sql.encode()).hexdigest()


def all_migrations(sql_dir: Path = SQL_DIR) -> list[Migration]:
    """Migration files in version order; a malformed or duplicate number is an error.

    Parameters
    ----------
    sql_dir : pathlib.Path
        Directory of ``NNN_name.sql`` files.

    Returns
    -------
    list of Migration
        Sorted by version.

    Raises
    ------
    ValueError
        A ``.sql`` file is not named ``NNN_name.sql``, or two share a number.
    """
    found: dict[int, Migration] = {}
    for p in sorted(sql_dir.glob("*.sql")):
        m = _NAME.match(p.name)
        if not m:
            raise ValueError(f"migration file name not NNN_name.sql: {p.name}")
        v = int(m.group(1))
        if v in found:
            raise ValueError(f"two migrations numbered {v}")
        found[v] = Migration(v, m.group(2), p)
    return [found[v] for v in sorted(found)]


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    )


def pending_migrations(conn: psycopg.Connection, sql_dir: Path = SQL_DIR) -> list[Migration]:
    """Migrations not yet recorded as applied.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection to read ``schema_migrations`` (all pending if the table is missing).
    sql_dir : pathlib.Path
        Directory of migration files.

    Returns
    -------
    list of Migration
        Pending migrations in version order.
    """
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    applied: set[int] = set()
    if exists and exists[0]:
        applied = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    return [m for m in all_migrations(sql_dir) if m.version not in applied]


def migrate(
    conn: psycopg.Connection,
    sql_dir: Path = SQL_DIR,
    *,
    app_role: str | None = APP_ROLE,
    app_password: str | None = None,
) -> list[int]:
    """Apply pending migrations in one transaction (all or nothing); return the versions applied.

    An applied migration whose file has changed since is reported as an error rather than
    silently ignored: migrations are append-only. Then the application role ``app_role``
    (None: none) is created if missing and granted rows, never tables, in every table.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection as the database owner.
    sql_dir : pathlib.Path
        Directory of migration files.
    app_role : str, optional
        Application role to ensure (see :func:`geo.db.roles.ensure_app_role`).
    app_password : str, optional
        Password to set for ``app_role``; None leaves it unchanged.

    Returns
    -------
    list of int
        Versions applied now, ascending (empty when none were pending).

    Raises
    ------
    RuntimeError
        An applied migration's file has changed, or the application role is unsafe.
    ValueError
        A migration file name is malformed or a number is duplicated.
    """
    applied_now: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%(k)s)", {"k": _LOCK_KEY})
        _ensure_table(conn)
        done = {r[0]: r[1] for r in conn.execute("SELECT version, checksum FROM schema_migrations")}
        for m in all_migrations(sql_dir):
            if m.version in done:
                if done[m.version] != m.checksum:
                    raise RuntimeError(
                        f"migration {m.version:03d}_{m.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            log.info("applying migration %03d_%s", m.version, m.name)
            with conn.transaction():
                conn.execute(m.sql.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) "
                    "VALUES (%(v)s, %(n)s, %(c)s)",
                    {"v": m.version, "n": m.name, "c": m.checksum},
                )
            applied_now.append(m.version)
        if app_role:
            ensure_app_role(conn, app_role, app_password)
    return applied_now
