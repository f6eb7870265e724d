"""The console under failure, on the bench city (``tests/bench/bench_faults.py``; alone:
``make faults``).

- ``kill``: four clients open cases through the API without pause (each with an
  Idempotency-Key, retried with the same key until answered) while the console is killed with
  SIGKILL at a random moment and started again, ``KILLS`` times. ``acked_lost``: cases whose
  creation was acknowledged (201/200) but are not in the database afterwards (target 0);
  baselines: cases acknowledged, kills, cases the drill's token stored (equal: none stored
  without an answer, none twice).
  ``positions_stored_twice``: meanwhile a tracker gateway sends batches of fixes, each retried
  under its Idempotency-Key until answered; fixes stored more than once (target 0).
- ``restart``: a signed-in desk is open in Chromium while cases arrive; PostgreSQL is
  restarted (fast shutdown). ``db_recover_s``: from PostgreSQL accepting connections again to
  the page having dropped its "reconnecting" banner and drawn a case opened after the restart
  (target <= 10); baselines: seconds from the shutdown to the banner (-1: never), and the
  load test's p95 and double dispatches over the minute the restart falls in.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import psycopg

from tests.bench._city import spots, token, tracked_units
from tests.bench._harness import Context, Result
from tests.browser.conftest import free_port, start_console

KILLS = int(os.environ.get("GD_FAULT_KILLS", "100"))
CLIENTS = 4
BATCH = 50  # fixes per tracker batch


def _post(url: str, path: str, body: dict[str, Any], secret: str, key: str) -> tuple[int, Any]:
    req = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },  # fmt: skip
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, None


class Intake:
    """Clients that open cases without pause; every acknowledged case is remembered."""

    def __init__(self, url: str, secret: str, spots: list[tuple[float, float]]) -> None:
        self.url, self.secret, self.spots = url, secret, spots
        self.acked: dict[str, str] = {}  # idempotency key -> case number
        self.refused = 0  # 4xx answers (none expected)
        self.retries = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(CLIENTS)]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _run(self) -> None:
        rnd = random.Random()
        while not self._stop.is_set():
            key = uuid.uuid4().hex
            lon, lat = rnd.choice(self.spots)
            body = {"lon": lon, "lat": lat, "category": "noise", "priority": "blue",
                    "source": "hotline_12345", "description": "fault drill"}  # fmt: skip
            while not self._stop.is_set():  # the same key until an answer comes
                try:
                    status, data = _post(self.url, "/api/v1/incidents", body, self.secret, key)
                except OSError:  # the console is down: wait and send the same request again
                    self.retries += 1
                    time.sleep(0.1)
                    continue
                if status in (200, 201):
                    with self._lock:
                        self.acked[key] = data["number"]
                elif status >= 500:
                    self.retries += 1
                    time.sleep(0.1)
                    continue
                else:
                    self.refused += 1
                break


class Trackers:
    """A tracker gateway sending batches of fixes without pause, each batch retried under its
    Idempotency-Key until answered; every fix of the drill has a time of its own, so a batch
    stored twice shows as a repeated (unit, time)."""

    def __init__(self, url: str, secret: str, units: list[tuple[int, float, float]]) -> None:
        self.url, self.secret, self.units = url, secret, units[:BATCH]
        self.acked = 0
        self.retried = 0  # batches sent more than once
        self.refused = 0
        self.since = dt.datetime.now(dt.UTC)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            at = self.since + dt.timedelta(milliseconds=n)  # a time of its own per batch
            batch = [{"unit": u, "lon": x, "lat": y, "time": at.isoformat()}
                     for u, x, y in self.units]  # fmt: skip
            key, tries = uuid.uuid4().hex, 0
            while not self._stop.is_set():
                tries += 1
                try:
                    status, _ = _post(self.url, "/api/v1/units/positions", batch, self.secret, key)
                except OSError:
                    status = 0
                if status == 200:
                    self.acked += 1
                elif status == 0 or status >= 500:
                    time.sleep(0.1)
                    continue
                else:
                    self.refused += 1
                break
            self.retried += tries > 1

    def stored_twice(self, conninfo: str) -> int:
        """Fixes of the drill stored more than once."""
        with psycopg.connect(conninfo) as c:
            row = c.execute(
                "SELECT count(*) - count(DISTINCT (unit_id, time)) FROM unit_positions "
                "WHERE unit_id = ANY(%(u)s) AND time >= %(t)s",
                {"u": [u for u, _, _ in self.units], "t": self.since},
            ).fetchone()
        return int(row[0]) if row else 0


def kill9(ctx: Context) -> list[Result]:
    secret = token(ctx.conninfo, "incidents:write", "units:write")
    places = spots(ctx.conninfo)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_console(ctx.conninfo, port)
    intake = Intake(url, secret, places)
    intake.start()
    trackers = Trackers(url, secret, tracked_units(ctx.conninfo))
    trackers.start()
    rnd = random.Random(8)
    kills = 0
    t0 = time.perf_counter()
    try:
        for _ in range(KILLS):
            time.sleep(rnd.uniform(0.2, 1.5))  # intake under way
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            proc = start_console(ctx.conninfo, port)
            if kills % 10 == 0:
                print(f"  {kills} kills, {len(intake.acked)} cases acknowledged", flush=True)
        time.sleep(1.0)
    finally:
        intake.stop()
        trackers.stop()
        proc.terminate()
        proc.wait(timeout=15)
    twice = trackers.stored_twice(ctx.conninfo)
    numbers = list(intake.acked.values())
    with psycopg.connect(ctx.conninfo) as c:
        found = {r[0] for r in c.execute(
            "SELECT number FROM incidents WHERE number = ANY(%(n)s)", {"n": numbers})}  # fmt: skip
        stored = c.execute(  # every case this drill's token opened (one per key)
            "SELECT count(*) FROM idempotency_keys k JOIN api_tokens t ON t.id = k.token_id "
            "WHERE t.token_sha256 = encode(sha256(convert_to(%(s)s, 'UTF8')), 'hex') "
            "AND k.incident_id IS NOT NULL",
            {"s": secret},
        ).fetchone()
    lost = len(set(numbers) - found)
    note = (f"{kills} kills in {time.perf_counter() - t0:.0f} s, {CLIENTS} clients, "
            f"{intake.retries} retries, {intake.refused} refused")  # fmt: skip
    return [
        Result("acked_lost", lost, "count", "== 0", lost == 0,
               {"acked": len(numbers), "kills": kills,
                "stored_by_drill": stored[0] if stored else 0}, note),
        Result("positions_stored_twice", twice, "fixes", "== 0", twice == 0,
               {"batches_acked": trackers.acked, "batches_retried": trackers.retried,
                "batches_refused": trackers.refused},
               f"batches of {len(trackers.units)} fixes without pause through the same "
               f"{kills} kills, each retried under its Idempotency-Key until answered"),
    ]  # fmt: skip
