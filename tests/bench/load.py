"""50 operators and the trackers of a city on one console over loopback (the benchmark
module is ``tests/bench/bench_load.py``; alone: ``make load``).

Each operator is signed in with its own session and works the desk through the same Dash
callbacks as the browser: every 1.5-2.5 s it opens an open case (the case file, the five
nearest units by travel time and their routes), and one time in ten dispatches the first
recommended unit. Beside them, trackers post 5,000 positions per second in batches through
/api/v1/units/positions. ``load_p95_ms``: the 95th percentile of the operators' callback
times (target <= 300); ``load_errors``: failed requests (target 0; a unit already taken by
another operator is an answer, not an error); ``double_dispatches_under_load``: units on two
cases at once afterwards (target 0). Baselines: p50, requests, positions per second reached.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np
import psycopg

from tests._auth import session_for
from tests._dashcall import callback_body
from tests._race import double_assignments
from tests.bench._city import token, tracked_units
from tests.bench._harness import Context, Result
from tests.browser.conftest import ROOT, free_port

OPERATORS = 50
POSITIONS_PER_S = int(os.environ.get("GD_LOAD_POSITIONS", "5000"))
BATCH = 1000
THINK_S = tuple(float(x) for x in os.environ.get("GD_LOAD_THINK", "1.5,2.5").split(","))
DISPATCH_SHARE = 0.1
WORKERS = int(os.environ.get("GD_LOAD_WORKERS", "2"))
WARMUP_S = 15.0

def start(conninfo: str, port: int, workers: int = WORKERS) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": conninfo, "GD_LOG_LEVEL": "WARNING",
           "GD_ESCALATION_EVERY_S": "0"}  # fmt: skip
    proc = subprocess.Popen(  # noqa: S603 - our argv, no shell
        [sys.executable, "-m", "uvicorn", "console.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the console did not start")


class Operator(threading.Thread):
    def __init__(self, n: int, port: int, cookie: str, cases: list[int],
                 deps: list[dict[str, Any]], stop: threading.Event,
                 think: tuple[float, float] = THINK_S, dispatch: float = DISPATCH_SHARE,
                 ) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.cookie, self.cases, self.stop_ = port, cookie, cases, stop
        self.deps, self.think, self.dispatch = deps, think, dispatch
        self.rnd = random.Random(n)
        self.times: list[tuple[float, float]] = []  # (monotonic start, seconds)
        self.errors: list[str] = []
        self.refused: list[str] = []  # dispatches the console refused (unit taken meanwhile, ...)
        self.dispatched = 0
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, body: dict[str, Any]) -> dict[str, Any] | None:
        payload = json.dumps(body)
        headers = {"Content-Type": "application/json", "Cookie": f"gd_session={self.cookie}"}
        t0 = time.perf_counter()
        try:
            self.conn.request("POST", "/_dash-update-component", payload, headers)
            r = self.conn.getresponse()
            text = r.read()
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(type(exc).__name__)
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return None
        self.times.append((t0, time.perf_counter() - t0))
        if r.status != 200:
            self.errors.append(f"{r.status}: {text[:100]!r}")
            return None
        out: dict[str, Any] = json.loads(text).get("response", {})
        return out

    def select(self, case: int) -> dict[str, Any] | None:
        """Open a case: its file, the nearest units and their routes."""
        return self.call(callback_body(
            self.deps, "desk-sel", {"desk-sel": case, "case-types": [], "case-drafts": {},
                                    "lang": "en"}, output="case-body.children"))  # fmt: skip

    def run(self) -> None:
        while not self.stop_.is_set():
            time.sleep(self.rnd.uniform(*self.think))
            case = self.rnd.choice(self.cases)
            got = self.select(case)
            if got is None:
                continue
            etas = (got.get("desk-etas") or {}).get("data") or {}
            if "gd-error" in json.dumps(got.get("case-body", {})):
                self.errors.append("case file error")
            if not etas or self.rnd.random() >= self.dispatch:
                continue
            unit = int(next(iter(etas)))
            check = json.dumps({"type": "rec-check", "unit": ["ALL"]}, separators=(",", ":"))
            got = self.call(callback_body(self.deps, "case-dispatch-checked", {
                "case-dispatch-checked": 1, "desk-sel": case, "lang": "en",
                check: [{"id": {"type": "rec-check", "unit": str(unit)}, "property": "value",
                         "value": [unit]}]}))  # fmt: skip
            if got is None:
                continue
            if "gd-msg-err" in json.dumps(got):
                self.refused.append(json.dumps(got, ensure_ascii=False)[:300])
            else:
                self.dispatched += 1


class Trackers(threading.Thread):
    """POSITIONS_PER_S fixes a second, in batches, for units near where they are."""

    def __init__(self, port: int, secret: str, units: list[tuple[int, float, float]],
                 stop: threading.Event) -> None:  # fmt: skip
        super().__init__(daemon=True)
        self.port, self.secret, self.units, self.stop_ = port, secret, units, stop
        self.sent = 0
        self.errors: list[str] = []
        self.elapsed = 0.0

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        rnd = np.random.default_rng(5)
        every = BATCH / POSITIONS_PER_S
        t0 = time.perf_counter()
        k = 0
        while not self.stop_.is_set():
            pick = rnd.integers(0, len(self.units), BATCH)
            now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
            body = json.dumps([
                {"unit": self.units[i][0], "lon": self.units[i][1] + float(rnd.normal(0, 1e-4)),
                 "lat": self.units[i][2] + float(rnd.normal(0, 1e-4)), "time": now}
                for i in pick])  # fmt: skip
            try:
                conn.request("POST", "/api/v1/units/positions", body,
                             {"Authorization": f"Bearer {self.secret}",
                              "Content-Type": "application/json"})  # fmt: skip
                r = conn.getresponse()
                answer = r.read()
                if r.status == 200:
                    self.sent += BATCH
                else:
                    self.errors.append(f"{r.status}: {answer[:160]!r}")
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(type(exc).__name__)
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            k += 1
            lag = t0 + k * every - time.perf_counter()
            if lag > 0:
                time.sleep(lag)
        self.elapsed = time.perf_counter() - t0


def run(ctx: Context, seconds: float = 300.0) -> list[Result]:
    with psycopg.connect(ctx.conninfo) as c:
        cases = [r[0] for r in c.execute(
            "SELECT id FROM incidents WHERE status NOT IN ('resolved', 'closed') "
            "ORDER BY id DESC LIMIT 2000")]  # fmt: skip
        # The demo's operator holds its open cases; here the load's operators share them (the
        # first to dispatch on a case holds it, the others are refused: counted, not errors).
        c.execute("UPDATE incidents SET claimed_by = NULL, claimed_at = NULL WHERE id = ANY(%s)",
                  [cases])  # fmt: skip
        before = double_assignments(c)
    units = tracked_units(ctx.conninfo)
    # The demo's present holds ~30-40 open cases (its live shift); the operators open those.
    assert len(cases) >= 20 and len(units) >= 100, (len(cases), len(units))
    secret = token(ctx.conninfo, "units:write")
    cookies = [session_for(ctx.conninfo, f"load.op{i:02d}", "operator") for i in range(OPERATORS)]
    port = free_port()
    proc = start(ctx.conninfo, port)
    stop = threading.Event()
    try:
        dep = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        dep.request("GET", "/_dash-dependencies", headers={"Cookie": f"gd_session={cookies[0]}"})
        deps = json.loads(dep.getresponse().read())
        ops = [Operator(i, port, cookies[i], cases, deps, stop) for i in range(OPERATORS)]
        trackers = Trackers(port, secret, units, stop)
        # Warm-up: each worker builds its travel graph on its first request; then the
        # operators and trackers run WARMUP_S before the measured window starts.
        for case in cases[:20]:
            ops[0].select(case)
        ops[0].times.clear()
        trackers.start()
        for o in ops:
            o.start()
        time.sleep(WARMUP_S)
        measured_from = time.perf_counter()
        time.sleep(seconds)
        stop.set()
        for o in ops:
            o.join(timeout=60)
        trackers.join(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with psycopg.connect(ctx.conninfo) as c:
        doubles = double_assignments(c) - before
    times = np.array([t for o in ops for t0, t in o.times if t0 >= measured_from]) * 1000
    errors = [e for o in ops for e in o.errors] + trackers.errors
    p95, p50 = float(np.percentile(times, 95)), float(np.percentile(times, 50))
    rate = trackers.sent / trackers.elapsed if trackers.elapsed else 0.0
    refused = [r for o in ops for r in o.refused]
    note = (f"{OPERATORS} operators, {len(times)} callbacks, {sum(o.dispatched for o in ops)} "
            f"dispatches ({len(refused)} refused, e.g. another operator held the case), "
            f"{trackers.sent:,} positions in {seconds:.0f} s, {WORKERS} workers; "
            f"first errors: {errors[:3]}")  # fmt: skip
    return [
        Result("load_p95_ms", round(p95, 1), "ms", "<= 300", p95 <= 300,
               {"load_p50_ms": round(p50, 1), "callbacks": len(times),
                "positions_per_s": round(rate)}, note),
        Result("load_errors", len(errors), "count", "== 0", not errors, {}, note),
        Result("double_dispatches_under_load", doubles, "count", "== 0", doubles == 0, {}, note),
    ]  # fmt: skip


def capacity(ctx: Context, workers: int, seconds: float, operators: int = 8) -> float:
    """Selections a second a console with ``workers`` workers serves to ``operators`` who
    never pause (no dispatch, no trackers): what the machine can do, not what a shift asks."""
    with psycopg.connect(ctx.conninfo) as c:
        rows = c.execute("SELECT id FROM incidents WHERE status NOT IN ('resolved', 'closed')")
        cases = [r[0] for r in rows]
    cookies = [session_for(ctx.conninfo, f"load.op{i:02d}", "operator") for i in range(operators)]
    port = free_port()
    proc = start(ctx.conninfo, port, workers)
    stop = threading.Event()
    try:
        dep = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        dep.request("GET", "/_dash-dependencies", headers={"Cookie": f"gd_session={cookies[0]}"})
        deps = json.loads(dep.getresponse().read())
        ops = [Operator(i, port, cookies[i], cases, deps, stop, think=(0.0, 0.0), dispatch=0.0)
               for i in range(operators)]  # fmt: skip
        for o in ops:
            o.start()
        time.sleep(WARMUP_S)  # every worker has built its travel graph
        t0 = time.perf_counter()
        time.sleep(seconds)
        t1 = time.perf_counter()
        stop.set()
        for o in ops:
            o.join(timeout=60)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    errors = [e for o in ops for e in o.errors]
    if errors:
        raise RuntimeError(f"capacity with {workers} workers: {errors[:3]}")
    done = sum(1 for o in ops for s, d in o.times if s >= t0 and s + d <= t1)
    return done / (t1 - t0)
