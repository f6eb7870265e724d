"""The console under failure, on the bench city (``tests/bench/bench_faults.py``; alone:
``make faults``).

- ``kill``: four clients open cases through the API without pause (each with an
  Idempotency-Key, retried with the same key until answered) while the console is killed with
  SIGKILL at a random moment and started again, ``KILLS`` times. ``acked_lost``: cases whose
  creation was acknowledged (201/200) but are not in the database afterwards (target 0);
  baselines: cases acknowledged, kills, cases the drill's token stored (equal: none stored
  without an answer, none twice).
- ``restart``: a signed-in desk is open in Chromium while cases arrive; PostgreSQL is
  restarted (fast shutdown). ``db_recover_s``: from PostgreSQL accepting connections again to
  the page having dropped its "reconnecting" banner and drawn a case opened after the restart
  (target <= 10); baselines: seconds from the shutdown to the banner (-1: never), and the
  load test's p95 and double dispatches over the minute the restart falls in.
"""

from __future__ import annotations

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

from tests.bench._city import spots, token
from tests.bench._harness import Context, Result
from tests.browser.conftest import free_port, start_console

KILLS = int(os.environ.get("GD_FAULT_KILLS", "100"))
CLIENTS = 4


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


def kill9(ctx: Context) -> list[Result]:
    secret = token(ctx.conninfo, "incidents:write")
    places = spots(ctx.conninfo)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_console(ctx.conninfo, port)
    intake = Intake(url, secret, places)
    intake.start()
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
        proc.terminate()
        proc.wait(timeout=15)
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
    ]  # fmt: skip
