"""Ten years of incident history at province scale: do the desk's and the supervisor's queries
still read only what they need?

The history template is the demo province (see ``bench_province``) with nine more years of
closed cases: each year is a copy of the province's closed cases, their times moved back by
whole years (1 million a year, 10 million in all). It is built once and kept (built again
after a new migration). Dispatches and case events are not copied: the queries below read
them by case, so only the cases' own table grows.

Each query runs as the application role under row-level security, as a city-level user
does (the replay as a district's operator), on the province (one year) and on the ten
years, median of 5 after one warm-up:

- ``history_queue_ms``: the desk's queue (``geo.caselists.queue``);
- ``history_kpi_30d_ms``: the supervision figures of the last 30 days
  (``geo.supervision.figures``: this window and the one before, table, assessment, trend);
- ``history_heatmap_30d_ms``: the supervision map's hexagons of the last 30 days
  (``geo.supervision.hexes``, resolution 9);
- ``history_replay_hour_ms``: one district's last hour of replay (``geo.replay.load``).

Target for each: at most 1.5 times its one-year figure (baseline), and no sequential scan of
``incidents`` in any of their plans (auto_explain, as NOTICEs to the client).
``history_seq_scans``: the number of such scans over the four at ten years (target 0).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from console import settings as settings_mod
from console.server import state
from console.settings import Settings
from geo import caselists, kpis, replay, supervision
from geo.db import connect, transaction
from tests.bench._harness import Context, Result, Timing, copy_database, ensure_template, timed
from tests.bench.bench_province import TEMPLATE as PROVINCE

NAMES = ("history_queue_ms", "history_kpi_30d_ms", "history_heatmap_30d_ms",
         "history_replay_hour_ms", "history_seq_scans")  # fmt: skip
QUICK = False
TEMPLATE = "griddispatch_history_seed"
YEARS = 10


def _build(ctx: Context) -> float:
    """The history template from the province's (kept when it is there and current)."""
    assert ctx.cluster is not None
    conninfo = ctx.cluster.conninfo(TEMPLATE)
    try:
        with psycopg.connect(conninfo) as c:
            row = c.execute("SELECT value FROM dataset_info WHERE key = 'history'").fetchone()
            if row and row[0].get("years") == YEARS and not _behind(c, ctx):
                return 0.0
    except psycopg.OperationalError:
        pass  # not there yet
    t0 = time.perf_counter()
    print(f"building {TEMPLATE}: {YEARS} years of province history ...", flush=True)
    copy_database(ctx.cluster, PROVINCE, TEMPLATE)
    with psycopg.connect(conninfo, autocommit=True) as c:
        _add_years(c)
    return time.perf_counter() - t0


def _behind(c: psycopg.Connection, ctx: Context) -> bool:
    """Whether the province template has a migration the history template lacks."""
    assert ctx.cluster is not None
    q = "SELECT max(version) FROM schema_migrations"
    with psycopg.connect(ctx.cluster.conninfo(PROVINCE)) as p:
        return bool(c.execute(q).fetchone() != p.execute(q).fetchone())


def _add_years(c: psycopg.Connection) -> None:
    """Nine more years of the province's closed cases, times moved back by whole years; the
    secondary indexes are dropped for the load and made again (as they were) after it."""
    cols = c.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "'public' AND table_name = 'incidents' AND column_name NOT IN ('id', 'linked_to') "
        "AND is_generated = 'NEVER' ORDER BY ordinal_position"
    ).fetchall()
    keep = {r[0] for r in c.execute(
        "SELECT conindid::regclass::text FROM pg_constraint WHERE conrelid = 'incidents'::regclass "
        "AND contype IN ('p', 'u')")}  # fmt: skip
    indexes = [(n, d) for n, d in c.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = 'incidents'") if n not in keep]  # fmt: skip
    for name, _ in indexes:
        c.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    c.execute("SET session_replication_role = replica")  # no FK or audit trigger per row
    shifted = sql.SQL(", ").join(
        sql.SQL("{} - make_interval(days => 365 * %(k)s)").format(sql.Identifier(n))
        if t.startswith("timestamp") else
        sql.SQL("number || '-y' || %(k)s") if n == "number" else sql.Identifier(n)
        for n, t in cols
    )  # fmt: skip
    names = sql.SQL(", ").join(sql.Identifier(n) for n, _ in cols)
    for k in range(1, YEARS):
        t0 = time.perf_counter()
        c.execute(sql.SQL("INSERT INTO incidents ({}) SELECT {} FROM incidents WHERE "
                          "status = 'closed' AND number NOT LIKE '%%-y%%'").format(names, shifted),
                  {"k": k})  # fmt: skip
        print(f"  year -{k}: {time.perf_counter() - t0:.0f} s", flush=True)
    c.execute("SET session_replication_role = DEFAULT")
    c.execute("SET maintenance_work_mem = '1GB'")
    for _, definition in indexes:
        c.execute(definition)  # the database's own text
    c.execute("VACUUM ANALYZE incidents")
    c.execute("INSERT INTO dataset_info (key, value) VALUES ('history', %(v)s)",
              {"v": json.dumps({"years": YEARS})})  # fmt: skip


def _queries(
    c: psycopg.Connection, settings: Settings
) -> dict[str, Callable[[psycopg.Connection], Any]]:
    end = c.execute("SELECT max(reported_at) FROM incidents").fetchone()[0]  # type: ignore[index]
    end += dt.timedelta(seconds=1)
    start = end - dt.timedelta(days=30)
    weights = kpis.parse_weights(settings.assessment_weights)
    hour = replay.window(end - dt.timedelta(hours=1), end)
    return {
        "history_queue_ms": lambda t: caselists.queue(conn=t),
        "history_kpi_30d_ms": lambda t: supervision.figures(
            conn=t, start=start, end=end, filters={}, group="district", weights=weights),
        "history_heatmap_30d_ms": lambda t: supervision.hexes(
            conn=t, start=start, end=end, filters={}, res=9, mode="count"),
        "history_replay_hour_ms": lambda t: replay.load(conn=t, w=hour),
    }  # fmt: skip


def _measure(ctx: Context, db: str) -> tuple[dict[str, Timing], dict[str, int]]:
    """Each query's time on ``db`` as a city-level operator (supervisor for the figures),
    and the sequential scans of incidents in its plans."""
    assert ctx.cluster is not None
    owner = ctx.cluster.conninfo(db)
    settings = settings_mod.replace(ctx.settings, database_url=owner)
    app = conninfo_to_dict(state.app_conninfo(settings)).get("user")
    with psycopg.connect(owner, autocommit=True) as c:  # plans to the client, on this db only
        for k, v in (("session_preload_libraries", "auto_explain"),
                     ("auto_explain.log_min_duration", "0"),
                     ("auto_explain.log_level", "notice"),
                     ("auto_explain.log_nested_statements", "on")):  # fmt: skip
            q = sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}")
            c.execute(q.format(sql.Identifier(str(app)), sql.Identifier(db), sql.SQL(k),
                               sql.Literal(v)))  # fmt: skip
        city, district = c.execute(
            "SELECT (SELECT path::text FROM admin_units WHERE level = 'city'), (SELECT "
            "path::text FROM admin_units WHERE level = 'district' ORDER BY code LIMIT 1)"
        ).fetchone()  # type: ignore[misc]
        queries = _queries(c, settings)
    times, scans = {}, {}
    with connect(state.app_conninfo(settings)) as conn:
        plans: list[str] = []
        conn.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        for name, fn in queries.items():
            role = "supervisor" if "kpi" in name or "heatmap" in name else "operator"
            scope = district if "replay" in name else city

            def once(fn: Any = fn, role: str = role, scope: str = scope) -> Any:
                with transaction(conn, "bench:history", scope=scope, role=role) as t:
                    return fn(t)

            plans.clear()
            times[name], _ = timed(once, repeats=5, scale=1000)
            scans[name] = sum(len(re.findall(r"Seq Scan on incidents\b", p)) for p in plans)
    return times, scans


def run(ctx: Context) -> list[Result]:
    assert ctx.cluster is not None
    ensure_template(ctx.cluster, PROVINCE, "province", ctx.seed)
    built_s = _build(ctx)
    one, one_scans = _measure(ctx, PROVINCE)
    ten, ten_scans = _measure(ctx, TEMPLATE)
    with psycopg.connect(ctx.cluster.conninfo(TEMPLATE)) as c:
        n = c.execute("SELECT count(*) FROM incidents").fetchone()[0]  # type: ignore[index]
    rows = []
    for name in NAMES[:-1]:
        ok = ten[name].median <= 1.5 * one[name].median and ten_scans[name] == 0
        rows.append(Result(
            name, ten[name].median, "ms", "<= 1.5x one year, no seq scan of incidents", ok,
            {"one_year_ms": one[name].median, "seq_scans_ten_years": ten_scans[name],
             "seq_scans_one_year": one_scans[name]},
            f"{n:,} incidents over {YEARS} years, under row-level security (history "
            f"built in {built_s:.0f} s; 0: kept)", ten[name].spread()))  # fmt: skip
    total = sum(ten_scans.values())
    note = "sequential scans of incidents in the four queries' plans, ten years"
    rows.append(Result("history_seq_scans", total, "scans", "0", total == 0,
                       {"one_year": sum(one_scans.values())}, note))  # fmt: skip
    return rows
