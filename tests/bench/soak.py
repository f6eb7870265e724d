"""``make soak``: the position history after a week, under a long stream of fixes (issue 19).

On a fresh copy of the bench city:

1. ``rate on an empty table``: trackers post batches through the API as fast as the console
   takes them, ``BURST_S`` seconds, with the history empty;
2. pre-fill ``PREFILL_DAYS`` days of history for every unit at one fix per ``PREFILL_STEP_S``
   (about 74 million rows for the city's 3,681 units), in the day partitions, indexes in place;
3. ``SOAK_S`` seconds at ``RATE`` fixes/s through the API (paced);
4. ``rate at the end``: the same burst as in 1.

Figures (printed, and kept in ``.var/bench/soak/``):

- ``soak_ingest_ratio``: the burst rate at the end over the rate on the empty table (>= 0.9);
- ``soak_replay_hour_ms``: ``geo.replay.load`` of one district's last hour, as that district's
  operator (row-level security), median of 5 (<= 1,000);
- ``soak_retention_drop_ms``: dropping the oldest day (detach concurrently, drop, audit) while
  the trackers go on (<= 1,000); beside it the slowest batch during the drop;
- ``disk_mb_per_million_fixes``: the history's size on disk over its rows.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import sys
import threading
import time
import uuid

import psycopg

from console.server import state
from geo import replay, retention
from geo.access import Principal
from geo.db import connect, transaction
from tests.bench._city import token, tracked_units
from tests.bench._harness import commit, machine, make_context, reset
from tests.bench.load import start
from tests.browser.conftest import free_port

RATE = int(os.environ.get("GD_SOAK_RATE", "5000"))
SOAK_S = float(os.environ.get("GD_SOAK_S", "600"))
BURST_S = 30.0
PREFILL_DAYS = int(os.environ.get("GD_SOAK_DAYS", "7"))
PREFILL_STEP_S = 30
BATCH = 500
SENDERS = 4


class Stream:
    """``SENDERS`` trackers posting batches of ``BATCH`` fixes, paced to ``rate`` fixes/s in
    all (0: as fast as answered); each batch's time and latency are kept."""

    def __init__(self, port: int, secret: str, units: list[tuple[int, float, float]],
                 rate: float) -> None:  # fmt: skip
        self.port, self.secret, self.units, self.rate = port, secret, units, rate
        self.sent: list[tuple[float, float]] = []  # (monotonic end, seconds) per batch
        self.errors = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(SENDERS)]  # fmt: skip

    def run_for(self, seconds: float) -> float:
        """Run ``seconds``; the fixes per second stored."""
        t0 = time.monotonic()
        self.start()
        self._stop.wait(seconds)
        self.stop()
        return len(self.sent) * BATCH / (time.monotonic() - t0)

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _run(self, i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        every = SENDERS * BATCH / self.rate if self.rate else 0.0
        k, nxt = i * 7919, time.monotonic()
        while not self._stop.is_set():
            now = dt.datetime.now(dt.UTC)
            batch = []
            for _ in range(BATCH):
                u, x, y = self.units[k % len(self.units)]
                k += 1
                batch.append({"unit": u, "lon": x + 1e-5 * (k % 7), "lat": y,
                              "time": now.isoformat()})  # fmt: skip
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/v1/units/positions", json.dumps(batch),
                             {"Authorization": f"Bearer {self.secret}",
                              "Content-Type": "application/json",
                              "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            if ok:
                self.sent.append((time.monotonic(), time.perf_counter() - t0))
            else:
                self.errors += 1
            if every:
                nxt += every
                pause = nxt - time.monotonic()
                if pause > 0:
                    self._stop.wait(pause)


def prefill(conninfo: str, days: int) -> tuple[int, float]:
    """``days`` of fixes for every unit, one per ``PREFILL_STEP_S``, ending an hour ago
    (one INSERT per day, into that day's partition); (rows, seconds)."""
    t0 = time.perf_counter()
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    start_at = end - dt.timedelta(days=days)
    rows = 0
    with connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT unit_positions_days(%s, %s)", (start_at.date(), end.date()))
        day = start_at
        while day < end:
            nxt = min(day + dt.timedelta(days=1), end)
            cur = conn.execute(
                "INSERT INTO unit_positions (unit_id, time, geom, h3, speed, heading) "
                "SELECT u.id, t, ST_SetSRID(ST_MakePoint(ST_X(u.geom) + 0.002 * sin(k / 50.0), "
                "  ST_Y(u.geom) + 0.002 * cos(k / 50.0)), 4326), u.h3, 8.0, 90 "
                "FROM units u, generate_series(%(a)s::timestamptz, %(b)s::timestamptz "
                "  - interval '1 second', make_interval(secs => %(s)s)) WITH ORDINALITY g(t, k) "
                "WHERE u.geom IS NOT NULL AND u.h3 IS NOT NULL",
                {"a": day, "b": nxt, "s": PREFILL_STEP_S},
            )
            rows += cur.rowcount
            print(f"  prefill {day:%Y-%m-%d}: {rows:,} rows, {time.perf_counter() - t0:.0f} s",
                  flush=True)  # fmt: skip
            day = nxt
        conn.execute("ANALYZE unit_positions")
    return rows, time.perf_counter() - t0


def replay_hour(conninfo: str) -> tuple[float, int]:
    """Median ms of one district's last hour of replay, as its operator; units in it."""
    with psycopg.connect(conninfo) as c:
        path = c.execute(
            "SELECT path::text FROM admin_units WHERE level = 'district' ORDER BY code LIMIT 1"
        ).fetchone()[0]  # type: ignore[index]
    who = Principal(actor="bench:replay", role="operator", scope=path)
    end = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    w = replay.window(end - dt.timedelta(hours=1), end)
    times, n = [], 0
    with connect(state.app_conninfo(_settings(conninfo))) as conn:
        for _ in range(6):
            with transaction(conn, who.actor, scope=who.scope, role=who.role) as t:
                t0 = time.perf_counter()
                data = replay.load(conn=t, w=w)
                times.append((time.perf_counter() - t0) * 1000)
            n = sum(1 for u in data["units"] if u["t"])
    return statistics.median(times[1:]), n


def _settings(conninfo: str):  # type: ignore[no-untyped-def]
    from console import settings as settings_mod

    return settings_mod.replace(settings_mod.load(), database_url=conninfo)


def disk_per_million(conninfo: str) -> tuple[float, int]:
    with psycopg.connect(conninfo) as c:
        size = sum(d.bytes for d in retention.days(c))
        rows = c.execute("SELECT count(*) FROM unit_positions").fetchone()[0]  # type: ignore[index]
    return size / 2**20 / max(rows / 1e6, 1e-9), rows


def main() -> int:
    ctx = make_context("city", fresh=False)
    reset(ctx)
    secret = token(ctx.conninfo, "units:write")
    units = tracked_units(ctx.conninfo)
    port = free_port()
    proc = start(ctx.conninfo, port)
    head, dirty = commit()
    out: dict[str, object] = {"commit": head, "dirty": dirty, "machine": machine(),
                              "started_utc": dt.datetime.now(dt.UTC).isoformat(),
                              "rate": RATE, "soak_s": SOAK_S, "units": len(units)}  # fmt: skip
    try:
        empty = Stream(port, secret, units, 0).run_for(BURST_S)
        print(f"rate on an empty table: {empty:,.0f} fixes/s", flush=True)
        rows, took = prefill(ctx.conninfo, PREFILL_DAYS)
        print(f"prefilled {rows:,} rows in {took:.0f} s", flush=True)
        soak = Stream(port, secret, units, RATE)
        achieved = soak.run_for(SOAK_S)
        print(f"soak: {achieved:,.0f} fixes/s for {SOAK_S:.0f} s, {soak.errors} errors", flush=True)
        end = Stream(port, secret, units, 0).run_for(BURST_S)
        print(f"rate at the end: {end:,.0f} fixes/s", flush=True)
        replay_ms, replay_units = replay_hour(ctx.conninfo)
        during = Stream(port, secret, units, RATE)
        during.start()
        time.sleep(3)
        with psycopg.connect(ctx.conninfo, autocommit=True) as c:
            oldest = retention.days(c)[0]
            t0 = time.perf_counter()
            retention._detach(c, oldest.name)  # noqa: SLF001 - the drop as drop_older does it
            c.execute(f'DROP TABLE "{oldest.name}"')
            drop_ms = (time.perf_counter() - t0) * 1000
            t_drop = time.monotonic()
        time.sleep(2)
        during.stop()
        worst = max((s for at, s in during.sent if at >= t_drop - drop_ms / 1000 - 1),
                    default=0.0)  # fmt: skip
        mb, total = disk_per_million(ctx.conninfo)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out.update({
        "soak_ingest_ratio": end / empty, "rate_empty_fixes_s": empty, "rate_end_fixes_s": end,
        "soak_rate_achieved_fixes_s": achieved, "soak_errors": soak.errors,
        "prefill_rows": rows, "prefill_s": took,
        "soak_replay_hour_ms": replay_ms, "replay_units_with_tracks": replay_units,
        "soak_retention_drop_ms": drop_ms, "slowest_batch_during_drop_s": worst,
        "disk_mb_per_million_fixes": mb, "rows_at_end": total,
    })  # fmt: skip
    print(json.dumps(out, indent=2), flush=True)
    keep = ctx.settings.var_dir / "bench" / "soak"
    keep.mkdir(parents=True, exist_ok=True)
    (keep / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json").write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
