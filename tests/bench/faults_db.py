"""The database failing under a running console (see ``tests/bench/bench_faults.py``).

- ``db_recover_after_kill9_s``: the console runs as ``make run`` does (``python -m console
  run``: its watchdog supervises the embedded PostgreSQL). A client opens a case every
  ``TICK_S``. The postmaster is killed with SIGKILL and nobody touches anything: the figure is
  the time from the kill to the first acknowledged write (target <= 10). Baseline: the
  restart's own seconds in the audit trail.
- ``reconnect_after_outage_s``: a console without a watchdog (uvicorn alone); PostgreSQL is
  stopped for ``OUTAGE_S`` seconds and started again: the figure is the time from PostgreSQL
  accepting connections to the first acknowledged write (target <= 3). Baselines: the writes
  refused meanwhile, and how many of those were not a clean 503.
- ``first_recommend_after_start_ms``: a console is started; as soon as ``/healthz`` says ready,
  one recommendation is asked for (target <= 1,000); baseline: the second one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg

from tests.bench._city import spots, token
from tests.bench._harness import Context, Result
from tests.bench.faults import _post
from tests.browser.conftest import free_port, start_console

ROOT = Path(__file__).resolve().parents[2]
TICK_S = 0.1
OUTAGE_S = 45.0


class Writer:
    """One client opening a case every ``TICK_S``; it remembers when each answer came."""

    def __init__(self, url: str, secret: str, place: tuple[float, float]) -> None:
        self.url, self.secret, self.place = url, secret, place
        self.answers: list[tuple[float, int]] = []  # (monotonic time, status; 0: no answer)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Writer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        lon, lat = self.place
        body = {"lon": lon, "lat": lat, "category": "noise", "priority": "blue",
                "source": "hotline_12345", "description": "database drill"}  # fmt: skip
        while not self._stop.wait(TICK_S):
            try:
                status, _ = _post(self.url, "/api/v1/incidents", body, self.secret,
                                  uuid.uuid4().hex)  # fmt: skip
            except OSError:
                status = 0
            self.answers.append((time.monotonic(), status))

    def first_ack_after(self, t: float, timeout: float = 120.0) -> float:
        """Seconds from ``t`` to the first acknowledged write after it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, status in list(self.answers):
                if at > t and status in (200, 201):
                    return at - t
            time.sleep(0.05)
        raise AssertionError(f"no write acknowledged within {timeout:.0f} s")


def _run_command(ctx: Context, port: int) -> subprocess.Popen[bytes]:
    """``python -m console run`` on the bench city's database (embedded, supervised)."""
    dbname = psycopg.conninfo.conninfo_to_dict(ctx.conninfo)["dbname"]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(GD_PORT=str(port), GD_DB_NAME=str(dbname), GD_LOG_LEVEL="WARNING",
               GD_ESCALATION_EVERY_S="0")  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "console", "run"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("python -m console run did not start")


def run(ctx: Context) -> list[Result]:
    assert ctx.cluster is not None, "the database drills need the embedded cluster"
    secret = token(ctx.conninfo, "incidents:read", "incidents:write")
    place = spots(ctx.conninfo, 1)[0]
    return [_kill9(ctx, secret, place), _outage(ctx, secret, place), _first(ctx, secret)]


def _kill9(ctx: Context, secret: str, place: tuple[float, float]) -> Result:
    assert ctx.cluster is not None
    port = free_port()
    proc = _run_command(ctx, port)
    writer = Writer(f"http://127.0.0.1:{port}", secret, place).start()
    try:
        time.sleep(2.0)
        pid = int((ctx.cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        took = writer.first_ack_after(t0)
    finally:
        writer.stop()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=90)
    assert ctx.cluster.running(), "the cluster is not running after the drill"
    with psycopg.connect(ctx.conninfo) as c:
        row = c.execute(
            "SELECT (after->>'down_s')::real FROM audit_log WHERE entity = 'database' "
            "AND action = 'restarted' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    return Result(
        "db_recover_after_kill9_s", took, "s", "<= 10", took <= 10,
        {"restart_s_audited": row[0] if row else -1},
        "kill -9 of the postmaster under python -m console run, nobody touching anything; "
        f"a write every {TICK_S} s",
    )  # fmt: skip


def _outage(ctx: Context, secret: str, place: tuple[float, float]) -> Result:
    assert ctx.cluster is not None
    port = free_port()
    proc = start_console(ctx.conninfo, port)  # no watchdog: the database stays down
    writer = Writer(f"http://127.0.0.1:{port}", secret, place).start()
    try:
        time.sleep(2.0)
        ctx.cluster.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_S)
        ctx.cluster.start()
        back = time.monotonic()
        took = writer.first_ack_after(back)
    finally:
        writer.stop()
        proc.terminate()
        proc.wait(timeout=30)
    during = [s for at, s in writer.answers if down < at < back]
    unclean = sum(1 for s in during if s != 503)
    return Result(
        "reconnect_after_outage_s", took, "s", "<= 3", took <= 3,
        {"writes_refused_meanwhile": len(during), "not_503_meanwhile": unclean},
        f"PostgreSQL stopped {OUTAGE_S:.0f} s under a console without a watchdog; from its "
        "accepting connections to the first acknowledged write",
    )  # fmt: skip


def _first(ctx: Context, secret: str) -> Result:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with psycopg.connect(ctx.conninfo) as c:
        row = c.execute(
            "SELECT id FROM incidents WHERE status NOT IN ('resolved', 'closed') "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert row is not None, "no open case to recommend for"
    proc = start_console(ctx.conninfo, port)  # returns as soon as /healthz says ready
    try:
        times = []
        for _ in range(2):
            req = urllib.request.Request(
                f"{url}/api/v1/incidents/{row[0]}/recommendations?k=5",
                headers={"Authorization": f"Bearer {secret}"},
            )
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=60) as r:
                items = json.loads(r.read())["items"]
            times.append((time.perf_counter() - t0) * 1000)
            assert items, "no recommendation"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return Result(
        "first_recommend_after_start_ms", times[0], "ms", "<= 1000", times[0] <= 1000,
        {"second_recommend_ms": times[1]},
        "the first recommendation as soon as a freshly started console's /healthz says ready "
        "(city scale)",
    )  # fmt: skip
