"""The application role: the console connects as a role that owns nothing, so row-level
security (FORCE'd on every table that belongs to a place) applies to everything it does."""

from __future__ import annotations

import psycopg
from psycopg import sql

APP_ROLE = "griddispatch_app"

# The audit trail is append-only for the application: no UPDATE, DELETE or TRUNCATE at all
# (the triggers refuse them for everyone else too).
APPEND_ONLY = ("audit_log", "incident_events", "access_log", "incident_photos")


def ensure_app_role(conn: psycopg.Connection, role: str, password: str | None = None) -> None:
    """Create ``role`` (LOGIN, no other attribute) if missing and grant it rows in this
    database: read and write on every table, no DDL, append-only audit tables.

    Run by the owner after every migration (new tables get their grants). Refuses a role
    that is a superuser or bypasses row-level security.

    Parameters
    ----------
    conn : psycopg.Connection
        Connection as the database owner.
    role : str
        Role name (quoted as an identifier).
    password : str, optional
        Password to set; None leaves it unchanged.

    Raises
    ------
    RuntimeError
        The role is a superuser, bypasses row-level security, or owns tables.
    """
    ident = sql.Identifier(role)
    with conn.transaction():
        row = conn.execute(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %(r)s", {"r": role}
        ).fetchone()
        if row is None:
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
                ).format(ident)
            )
        elif row[0]:
            raise RuntimeError(f"the application role {role!r} must not bypass row-level security")
        if password:
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        db = conn.execute("SELECT current_database()").fetchone()
        assert db is not None
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %(r)s",
            {"r": role},
        ).fetchone()
        if owned and owned[0]:
            raise RuntimeError(f"the application role {role!r} owns tables; it must own nothing")
        for stmt in (
            "GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {r}",
            "GRANT USAGE ON SCHEMA public TO {r}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {r}",
            "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {r}",
            "REVOKE ALL ON schema_migrations FROM {r}",
            "GRANT SELECT ON schema_migrations TO {r}",
            # a tracker's fix for a day whose partition is not made yet (geo.avl.ensure_days)
            "GRANT EXECUTE ON FUNCTION unit_positions_days(date, date) TO {r}",
            "GRANT EXECUTE ON FUNCTION database_restarted(integer) TO {r}",  # the banner
        ):
            conn.execute(sql.SQL(stmt).format(db=sql.Identifier(db[0]), r=ident))
        for table in APPEND_ONLY:
            conn.execute(
                sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), ident)
            )
