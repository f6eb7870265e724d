"""rls_leaks: the jurisdiction matrix (tests/_rls.py) on the city database: every street and
district reads each place-bound table as the application role and tries to change rows
outside it; a leak is a row seen or changed outside. Baselines from the same run: the
number of checks, the rows each principal saw of its own, and what row-level security costs
on a heavy read (30 days of KPI rows) against the owner, who bypasses it."""

from __future__ import annotations

import datetime as dt

from psycopg import sql

from geo import kpis
from geo.db import connect, transaction
from geo.db.roles import APP_ROLE
from tests import _rls
from tests.bench._harness import Context, Result, Timing, timed

NAMES = ("rls_leaks", "rls_kpi_30d_ms")
QUICK = False


def _kpi_read(conninfo: str, role: str | None, scope: str) -> Timing:
    with connect(conninfo) as c:
        end = c.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]  # type: ignore[index]
        start = end - dt.timedelta(days=30)

        def read() -> int:
            with transaction(c, "bench:access", scope=scope, role="supervisor") as t:
                if role:
                    t.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                return len(kpis.frame(conn=t, start=start, end=end))

        t, rows = timed(read, repeats=5, scale=1000)
        assert rows > 1000
    return t


def run(ctx: Context) -> list[Result]:
    m = _rls.run(ctx.conninfo)
    with connect(ctx.conninfo) as c:
        city = c.execute("SELECT path::text FROM admin_units WHERE level = 'city'").fetchone()
    owner = _kpi_read(ctx.conninfo, None, "all")
    app = _kpi_read(ctx.conninfo, APP_ROLE, city[0])  # type: ignore[index]
    note = f"{m.checks} checks over every street and district; first leaks: {m.details[:3]}"
    return [
        Result("rls_leaks", m.leaks, "count", "== 0", m.leaks == 0,
               {"rls_checks": m.checks, "rows_seen_in_own_jurisdiction": m.visible_rows}, note),
        Result("rls_kpi_30d_ms", app.median, "ms", None, None,
               {"owner_without_rls_ms": owner.median},
               "kpis.frame over 30 days as the application role at city scope; owner "
               f"{owner.text('.0f')} ms", app.spread()),
    ]  # fmt: skip
