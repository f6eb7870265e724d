"""The jurisdiction matrix: for principals at street, district and city level, every read and
write of a place-bound table outside their jurisdiction, as the application role with
row-level security. Shared by tests/db/test_access.py and the bench (``rls_leaks``).

Everything runs in one transaction of the owner that is rolled back: sample rows (a photo,
a task grid) are made as the owner, then ``SET LOCAL ROLE`` takes the application role, and
each principal is a ``set_config`` of app.scope / app.role like geo.db.transaction's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from geo.db import connect
from geo.db.roles import APP_ROLE

# table -> SQL of (id, the path that decides who may see the row) as the owner sees it
_TRUTH = {
    "incidents": "SELECT id::text, path::text FROM incidents",
    "incident_events": "SELECT e.id::text, i.path::text FROM incident_events e "
    "JOIN incidents i ON i.id = e.incident_id",
    "dispatches": "SELECT d.id::text, i.path::text FROM dispatches d "
    "JOIN incidents i ON i.id = d.incident_id",
    "incident_photos": "SELECT p.id::text, i.path::text FROM incident_photos p "
    "JOIN incidents i ON i.id = p.incident_id",
    "units": "SELECT id::text, path::text FROM units",
    "mass_task_grids": "SELECT t.task_id || ':' || t.grid_code, g.path::text "
    "FROM mass_task_grids t JOIN grids g ON g.code = t.grid_code AND g.valid_to IS NULL",
}
_IDS = {
    "incidents": "SELECT id::text FROM incidents",
    "incident_events": "SELECT id::text FROM incident_events",
    "dispatches": "SELECT id::text FROM dispatches",
    "incident_photos": "SELECT id::text FROM incident_photos",
    "units": "SELECT id::text FROM units",
    "mass_task_grids": "SELECT task_id || ':' || grid_code FROM mass_task_grids",
}


@dataclass
class Matrix:
    checks: int = 0
    leaks: int = 0
    visible_rows: int = 0  # rows the principals could see in their own jurisdiction
    details: list[str] = field(default_factory=list)

    def check(self, leaked: bool, what: str) -> None:
        self.checks += 1
        if leaked:
            self.leaks += 1
            self.details.append(what)


def _inside(path: str, scope: str, table: str) -> bool:
    if path == scope or path.startswith(scope + "."):
        return True
    # units serve their area and everything below it: a street sees its district's units
    return table == "units" and (scope == path or scope.startswith(path + "."))


def _as(conn: psycopg.Connection, scope: str | None, role: str) -> None:
    conn.execute(
        "SELECT set_config('app.scope', %(s)s, true), set_config('app.role', %(r)s, true), "
        "set_config('app.actor', %(a)s, true)",
        {"s": scope or "", "r": role, "a": f"{role}:matrix"},
    )


def _attempt(conn: psycopg.Connection, stmt: str, params: dict[str, Any]) -> int:
    """Rows changed by ``stmt`` in a savepoint that is rolled back; -1 when refused."""
    try:
        with conn.transaction(force_rollback=True):
            return conn.execute(stmt, params).rowcount
    except psycopg.errors.InsufficientPrivilege:
        return -1


def _rows(conn: psycopg.Connection, q: str) -> dict[str, str]:
    return {str(i): str(p) for i, p in conn.execute(q).fetchall()}


def _samples(conn: psycopg.Connection) -> dict[str, Any]:
    """Make the rows the tables may lack (a photo and a task grid in each street)."""
    streets = [r[0] for r in conn.execute(
        "SELECT path::text FROM admin_units WHERE level = 'street' ORDER BY path")]  # fmt: skip
    for path in streets:
        inc = conn.execute(
            "SELECT id FROM incidents WHERE path <@ %(p)s::ltree ORDER BY id LIMIT 1", {"p": path}
        ).fetchone()
        if inc:
            conn.execute(
                "INSERT INTO incident_photos (incident_id, content_type, sha256, bytes, data) "
                "VALUES (%(i)s, 'image/png', repeat('0', 64), 1, '\\x00')",
                {"i": inc[0]},
            )
    task = conn.execute(
        "INSERT INTO mass_tasks (title, deadline) VALUES ('matrix', now() + interval '1 hour') "
        "RETURNING id"
    ).fetchone()
    assert task is not None
    conn.execute(
        "INSERT INTO mass_task_grids (task_id, grid_code, target) SELECT DISTINCT ON (a.path) "
        "%(t)s, g.code, 1 FROM admin_units a JOIN grids g ON g.path <@ a.path "
        "AND g.valid_to IS NULL WHERE a.level = 'street' ORDER BY a.path, g.code",
        {"t": task[0]},
    )
    return {"streets": streets}


def run(conninfo: str, app_role: str = APP_ROLE) -> Matrix:
    """Every cross-jurisdiction read and write, counted; nothing is kept."""
    m = Matrix()
    with connect(conninfo) as conn:
        conn.execute("SELECT 1")  # the outer transaction, rolled back at the end
        try:
            s = _samples(conn)
            truth = {t: dict(conn.execute(q).fetchall()) for t, q in _TRUTH.items()}
            districts = sorted({p.rsplit(".", 1)[0] for p in s["streets"]})
            scopes = [*s["streets"], *districts]
            # scope -> table -> (id, path) of one row outside / inside it
            outside: dict[str, dict[str, tuple[str, str]]] = {}
            inside: dict[str, dict[str, tuple[str, str]]] = {}
            grids = _rows(conn, "SELECT id, path FROM grids WHERE valid_to IS NULL")
            platforms = _rows(conn, "SELECT id, path FROM platforms")
            free = _rows(
                conn,
                "SELECT id, path FROM units u WHERE NOT EXISTS (SELECT 1 FROM "
                "dispatches d WHERE d.unit_id = u.id AND d.released_at IS NULL)",
            )
            live = _rows(  # a unit may be sent only to a case not yet resolved or closed
                conn, "SELECT id, path FROM incidents WHERE status NOT IN ('resolved', 'closed')"
            )
            tables = {**truth, "grids": grids, "platforms": platforms, "spare_unit": free,
                      "live_incident": live}  # fmt: skip
            for scope in scopes:
                outside[scope], inside[scope] = {}, {}
                for t, rows in tables.items():
                    rule = {"spare_unit": "units", "live_incident": "incidents"}.get(t, t)
                    for rid, path in sorted(rows.items()):
                        side = inside if _inside(path, scope, rule) else outside
                        side[scope].setdefault(t, (rid, path))
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(app_role)))
            for scope in scopes:
                _matrix_for(conn, m, scope, truth, outside[scope], inside[scope])
            # no jurisdiction at all: nothing place-bound
            _as(conn, None, "operator")
            for t, q in _IDS.items():
                n = len(conn.execute(q).fetchall())
                m.check(n > 0, f"unset scope sees {n} rows of {t}")
        finally:
            conn.rollback()
    return m


def _pair(
    conn: psycopg.Connection,
    m: Matrix,
    stmt: str,
    inside: tuple[str, str],
    outside: tuple[str, str],
    what: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """``stmt`` on a row inside (must change a row: else the matrix itself is wrong) and on
    a row outside (a leak when it changes one)."""
    n_in = _attempt(conn, stmt, {"i": inside[0], "p": inside[1], **(extra or {})})
    if n_in <= 0:
        raise AssertionError(f"control failed: {what} inside ({inside}) was refused")
    n_out = _attempt(conn, stmt, {"i": outside[0], "p": outside[1], **(extra or {})})
    m.check(n_out > 0, f"{what} outside ({outside}) worked")


def _matrix_for(
    conn: psycopg.Connection,
    m: Matrix,
    scope: str,
    truth: dict[str, dict[str, str]],
    out: dict[str, tuple[str, str]],
    ins: dict[str, tuple[str, str]],
) -> None:
    _as(conn, scope, "operator")
    # reads: every row visible must lie inside (and every row inside must be visible)
    for t, q in _IDS.items():
        seen = {r[0] for r in conn.execute(q).fetchall()}
        leaked = [i for i in seen if not _inside(truth[t].get(i, ""), scope, t)]
        m.visible_rows += len(seen) - len(leaked)
        m.check(bool(leaked), f"{scope} reads {len(leaked)} rows of {t} outside")
        missing = [i for i, p in truth[t].items() if _inside(p, scope, t) and i not in seen]
        m.check(bool(missing), f"{scope} misses {len(missing)} of its own rows of {t}")
    # writes: each is tried on a row inside (it must work: the control) and outside (a leak)
    for t in ("incidents", "units", "grids", "platforms", "dispatches"):  # (photos: append-only)
        if t not in out or t not in ins:  # (a street has no platform: its district has)
            continue
        q = sql.SQL("UPDATE {t} SET id = id WHERE id::text = %(i)s").format(t=sql.Identifier(t))
        _pair(conn, m, q.as_string(conn), ins[t], out[t], f"{scope} update {t}")
    for t in ("dispatches",):
        if t not in out or t not in ins:
            continue
        q = sql.SQL("DELETE FROM {t} WHERE id::text = %(i)s").format(t=sql.Identifier(t))
        _pair(conn, m, q.as_string(conn), ins[t], out[t], f"{scope} delete {t}")
    new_incident = (
        "INSERT INTO incidents (number, source, category, class, priority, geom, h3, path) "
        "VALUES ('X-' || %(i)s, 'operator', (SELECT code FROM categories LIMIT 1), 'public', "
        "'red', ST_SetSRID(ST_MakePoint(113, 27), 4326), 0, %(p)s::ltree)"
    )
    _pair(conn, m, new_incident, ins["incidents"], out["incidents"], f"{scope} open incident")
    for t, stmt in (
        ("incident_events", "INSERT INTO incident_events (incident_id, action) "
         "VALUES (%(i)s::bigint, 'forged')"),
        ("dispatches", "INSERT INTO dispatches (incident_id, unit_id) "
         "VALUES (%(i)s::bigint, %(u)s)"),
        ("incident_photos", "INSERT INTO incident_photos (incident_id, content_type, sha256, "
         "bytes, data) VALUES (%(i)s::bigint, 'image/png', repeat('0', 64), 1, '\\x00')"),
    ):  # fmt: skip
        unit = {"u": int(ins["spare_unit"][0])}
        case = "live_incident" if t == "dispatches" else "incidents"
        if case not in ins or case not in out:
            continue
        _pair(conn, m, stmt, ins[case], out[case], f"{scope} add {t}", unit)
    new_grid = (
        "INSERT INTO grids (code, name, type, community_code, path, geom) SELECT "
        "'999999999999999', name, type, community_code, path, geom FROM grids "
        "WHERE id::text = %(i)s"
    )
    _pair(conn, m, new_grid, ins["grids"], out["grids"], f"{scope} add grid")
    # the audit trail: not readable by a non-admin, never changeable by the application
    for t in ("audit_log", "access_log"):
        n = len(conn.execute(sql.SQL("SELECT id FROM {}").format(sql.Identifier(t))).fetchall())
        m.check(n > 0, f"{scope} operator reads {n} rows of {t}")
        for stmt in ("UPDATE {} SET actor = actor", "DELETE FROM {}", "TRUNCATE {}"):
            q = sql.SQL(stmt).format(sql.Identifier(t)).as_string(conn)
            m.check(_attempt(conn, q, {}) >= 0, f"the application could {stmt.split()[0]} {t}")
    forged = "INSERT INTO audit_log (actor, entity, action) VALUES (%(i)s, 'x', 'matrix')"
    _pair(conn, m, forged, ("operator:matrix", ""), ("someone:else", ""), f"{scope} audit as")
