"""A day shift as a benchmark: eight hours of a dispatch centre compressed into a few minutes
(``SHIFT_S``, default 300 s; ``GD_SHIFT_S`` overrides) on the bench city.

- A real console (uvicorn subprocess; the escalation runner every 5 s, so flags are raised and
  returning units come back) and three operator desks in headless Chromium (three operators,
  1366x768, zh-CN). Each desk runs the operator's loop through the page, as an operator would:
  it takes the top card of the "new" band (待签收), claims it (C), sends the response plan of a
  red case (Shift+D) or checks the first recommended unit (1) and sends it (D) otherwise, and
  later resolves (R, with a note) its cases on scene and closes its resolved ones.
- The API as the 12345 hotline and the 110 feed: reports at the city's hourly profile of a day
  shift (08:00-16:00), one every ~5 s on average (what three desks keep up with on two
  cores), with bursts: a fire reported by four callers within seconds at nearby points, a
  traffic accident with injuries by three.
- The simulator (``data.simulate --respond``, a subprocess with its own token) drives the
  units: en route, on scene, resolve, home; travel and scene times at the shift's
  compression (``--warp``), positions every 5 s as trackers send them
  (``GD_SHIFT_SIM_EVERY_S``).
- Every fifth report is claimed by two desks at once (both press C on the same case).
- The 110 feed's first report leaves the priority out (the category's default should apply);
  what the API made of it is printed with the desks' tallies.

Figures:

- ``new_case_top_band_p95_ms``: from the API's 201 to the case's card in the "new" band on
  every desk (a MutationObserver in each page stamps the card's first appearance); p95 over
  cases x desks. A pair never seen counts as a miss (target missed). Baselines: the POST
  itself, and the 201 to the live tick that brought the case to the page (the rest is the
  queue's callback and drawing).
- ``busy_units_on_closed_cases``: sampled every 2 s with SQL: units dispatched, en route or on
  scene with an open dispatch to a resolved or closed case, plus busy units whose last
  dispatch is released and whose case is resolved or closed; the largest sample.
- ``double_claims``: cases with more than one 'claim' event, or a claim event by someone who
  does not hold the case, or a race in which both desks were told they won.
- ``plans_filled_share``: of the red cases whose plan was complete on the desk (every need
  had its units) when it was sent, the share whose dispatches cover the plan
  (``geo.plans.plan_for``) type by type.
- ``sla_clock_errors``: every 2 s one desk's clocks are read: the selected case's card (every
  countdown's ``data-due`` against the database's deadline of that clock, and the row marked
  as working now against ``geo.incidents.current_deadline``) and every queue card
  (``data-due`` against the queue's ``due``). A difference over 1 s that is still there 3 s
  later while the case did not change in the database is an error.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import psycopg
from psycopg.rows import dict_row

from geo import caselists, incidents, plans
from geo.db import transaction
from tests._auth import session_for
from tests.bench._city import token
from tests.bench._harness import ROOT, Context, Result

NAMES = (
    "busy_units_on_closed_cases",
    "double_claims",
    "new_case_top_band_p95_ms",
    "plans_filled_share",
    "sla_clock_errors",
)
QUICK = False

SHIFT_S = float(os.environ.get("GD_SHIFT_S", "300"))  # the 8-hour shift takes this long
DAY_S = 8 * 3600.0  # 08:00-16:00
DAY_HOURS = range(8, 16)
CASE_EVERY_S = 5.0  # one report every ~5 s on average (plus the bursts)
DESKS = ("shift.op1", "shift.op2", "shift.op3")
VIEWPORT = {"width": 1366, "height": 768}
ESCALATION_EVERY_S = 5
RACE_EVERY = 5  # every 5th report of the feed: two desks press C on it together
SIM_UNITS = 40  # units the simulator sends on patrol (the dispatched ones it adds itself)
SIM_EVERY_S = float(os.environ.get("GD_SHIFT_SIM_EVERY_S", "5"))  # trackers report this often
SCENE_S = (480, 1440)  # a unit stays on scene 8-24 shift minutes
RESOLVE_AFTER_S = 3.0  # a desk resolves its case once its unit has been on scene this long
GRACE_S = 30.0  # after the shift: time for the last cases to reach every desk
SLA_EVERY_S = 2.0  # one desk's clocks are read this often (round robin)
SLA_RECHECK_S = 3.0  # a mismatch must still be there this much later
BUSY_EVERY_S = 2.0
WAIT_S = 30.0  # a desk gives up on a step after this long

# 12345 hotline (hotline_12345) and 110 feed (transfer_110): category, priority, weight.
HOTLINE = (
    ("noise", "blue", 5), ("neighbor_dispute", "blue", 4), ("sanitation", "blue", 5),
    ("illegal_parking", "blue", 4), ("street_light", "blue", 3), ("road_damage", "blue", 2),
    ("family_dispute", "blue", 2), ("property_dispute", "yellow", 1),
    ("water_supply", "yellow", 2), ("public_health", "yellow", 1),
)  # fmt: skip
FEED_110 = (
    ("fight", "red", 4), ("criminal_case", "red", 2), ("medical", "red", 4),
    ("traffic_injury", "red", 2), ("fire", "red", 1), ("public_security", "yellow", 3),
    ("theft", "yellow", 3), ("missing_person", "yellow", 1), ("traffic_accident", "yellow", 2),
)  # fmt: skip
BURSTS = (  # (share of the shift, category, offsets of the callers in seconds)
    (0.3, "fire", (0.0, 2.5, 4.0, 7.0)),
    (0.7, "traffic_injury", (0.0, 3.0, 5.5)),
)
BURST_M = 60.0  # callers stand this close to the first one

# Drawn by the page itself: stamps the first appearance of each card in the "new" band, and
# counts the desk's messages (each action answers in #desk-msg).
OBSERVE_JS = """
(() => {
  const g = window.__gd = {seen: {}, tick: {}, msgN: 0, msg: null, keyN: 0, key: null};
  // Whether a key found its control: the desk's handler (registered after this one) calls
  // preventDefault when it clicked something; read once the event has been dispatched.
  document.addEventListener('keydown', function (e) {
    setTimeout(function () { g.keyN += 1; g.key = {key: e.key, done: e.defaultPrevented}; }, 0);
  });
  function scan() {
    const now = Date.now(), list = document.getElementById('queue-list');
    if (!list) { return; }
    list.querySelectorAll('.gd-qitem[data-band="new"][data-id]').forEach(function (el) {
      const id = el.getAttribute('data-id');
      if (!(id in g.seen)) { g.seen[id] = now; }
    });
  }
  let q = null, m = null;
  const oq = new MutationObserver(scan);
  const om = new MutationObserver(function () {
    const d = m.querySelector('.gd-msg-ok, .gd-msg-err');
    g.msgN += 1;
    g.msg = d ? {ok: d.classList.contains('gd-msg-ok'), text: d.textContent} : null;
  });
  // When the live channel first brought each case (the first half of the way to the queue).
  function wrap() {
    const gd = window.griddispatch;
    if (!gd || !gd.liveApply || gd.liveApply.__shift) { return; }
    const orig = gd.liveApply;
    gd.liveApply = function (msgs) {
      const now = Date.now();
      (msgs || []).forEach(function (m) {
        (m.iu || []).forEach(function (f) { if (!(f.id in g.tick)) { g.tick[f.id] = now; } });
      });
      return orig.apply(this, arguments);
    };
    gd.liveApply.__shift = true;
  }
  function hook() {
    wrap();
    const q2 = document.getElementById('queue-list'), m2 = document.getElementById('desk-msg');
    if (q2 && q2 !== q) {
      oq.disconnect(); q = q2;
      oq.observe(q, {childList: true, subtree: true, attributes: true,
                     attributeFilter: ['data-band', 'data-id']});
      scan();
    }
    if (m2 && m2 !== m) {
      om.disconnect(); m = m2;
      om.observe(m, {childList: true, subtree: true, characterData: true});
    }
  }
  setInterval(hook, 100);
})();
"""

SNAP_JS = """() => {
  const g = window.__gd || {seen: {}, msgN: 0, msg: null, keyN: 0, key: null};
  const card = document.querySelector('#case-body .gd-case');
  let c = null;
  if (card) {
    const has = s => !!card.querySelector(s);
    const facts = card.querySelector('.gd-facts');
    c = {id: Number(card.getAttribute('data-id')), status: card.getAttribute('data-status'),
         claim: has('.gd-act-claim'), unclaim: has('.gd-act-unclaim'),
         close: has('.gd-act-close'), resolve: has('.gd-act-resolve'), note: has('.gd-note'),
         facts: facts ? facts.textContent : ''};
  }
  const box = document.getElementById('case-rec-box');
  const shown = !!box && box.style.display !== 'none';
  const plan = Array.from(document.querySelectorAll('#case-plan .gd-plan-row')).map(r => {
    const need = (r.querySelector('.gd-plan-need') || {}).textContent || '';
    const m = need.match(/×(\\d+)/);
    return {type: r.getAttribute('data-type'), need: m ? Number(m[1]) : 0,
            units: Array.from(r.querySelectorAll('.gd-plan-unit')).map(
              u => Number(u.getAttribute('data-unit'))),
            unmet: r.classList.contains('unmet')};
  });
  const rec1 = document.querySelector('#case-recs .gd-rec[data-rank="1"] input[type=checkbox]');
  return {c: c, shown: shown, plan: plan,
          recs: document.querySelectorAll('#case-recs .gd-rec').length,
          rec1: rec1 ? rec1.checked : null,
          news: Array.from(document.querySelectorAll('#queue-list .gd-qitem[data-band="new"]'))
                  .map(e => Number(e.getAttribute('data-id'))),
          msgN: g.msgN, msg: g.msg, keyN: g.keyN, key: g.key, seen: g.seen};
}"""

CLOCKS_JS = """() => {
  const out = {card: null, queue: []};
  const card = document.querySelector('#case-body .gd-case');
  if (card) {
    out.card = {id: Number(card.getAttribute('data-id')), status: card.getAttribute('data-status'),
      rows: Array.from(card.querySelectorAll('tr[data-clock]')).map(tr => {
        const cd = tr.querySelector('.gd-countdown[data-due]');
        return {clock: tr.getAttribute('data-clock'), due: cd ? cd.getAttribute('data-due') : null,
                now: tr.classList.contains('gd-sla-now')};
      })};
  }
  document.querySelectorAll('#queue-list .gd-qitem[data-id]').forEach(el => {
    const cd = el.querySelector('.gd-countdown[data-due]');
    out.queue.push({id: Number(el.getAttribute('data-id')), band: el.getAttribute('data-band'),
                    due: cd ? cd.getAttribute('data-due') : null});
  });
  return out;
}"""

BLUR_JS = (
    "() => { const a = document.activeElement; if (a && a.blur) { a.blur(); }"
    " return (window.__gd || {}).keyN || 0; }"
)
SELECT_JS = (
    "id => { window.dash_clientside.set_props('desk-sel', {data: id});"
    " window.dash_clientside.set_props('desk-pick', {data: null}); }"
)

BUSY_SQL = """
WITH busy AS (SELECT id FROM units WHERE status IN ('dispatched', 'en_route', 'on_scene')),
last AS (
    SELECT DISTINCT ON (d.unit_id) d.unit_id, d.released_at, i.status AS case_status
    FROM dispatches d JOIN incidents i ON i.id = d.incident_id
    WHERE d.unit_id IN (SELECT id FROM busy)
    ORDER BY d.unit_id, d.dispatched_at DESC, d.id DESC)
SELECT
    (SELECT count(DISTINCT d.unit_id) FROM dispatches d
       JOIN incidents i ON i.id = d.incident_id
      WHERE d.released_at IS NULL AND i.status IN ('resolved', 'closed')
        AND d.unit_id IN (SELECT id FROM busy)),
    (SELECT count(*) FROM last
      WHERE released_at IS NOT NULL AND case_status IN ('resolved', 'closed')),
    (SELECT count(*) FROM busy b WHERE NOT EXISTS (
       SELECT 1 FROM dispatches d WHERE d.unit_id = b.id AND d.released_at IS NULL)),
    (SELECT count(*) FROM busy)
"""


# ------------------------------------------------------------------------------ the console
def start_console(conninfo: str, log_path: Path, port: int | None = None) -> tuple[Any, str]:
    """A console (uvicorn subprocess, zh-CN, escalation runner every few seconds) on
    ``conninfo``; its output goes to ``log_path``. (process, url)."""
    from tests.browser.conftest import free_port

    port = port or free_port()
    env = {
        **os.environ,
        "DATABASE_URL": conninfo,
        "GD_PORT": str(port),
        "GD_LANG": "zh-CN",
        "GD_LOG_LEVEL": "WARNING",
        "GD_ESCALATION_EVERY_S": str(ESCALATION_EVERY_S),
    }
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our argv, no shell
        [sys.executable, "-m", "uvicorn", "console.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the console exited during start-up; see {log_path}") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the console did not start in 120 s")


def stop(proc: Any, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def log_problems(path: Path) -> list[str]:
    """Error lines of a console or simulator log (tracebacks, 5xx, refusals)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if any(w in line for w in ("Traceback", "ERROR", "Deadlock", "deadlock", " 500 ")):
            out.append(line.strip()[:300])
    return out


# ---------------------------------------------------------------------------------- the feed
@dataclass
class Report:
    at: float  # seconds into the shift
    body: dict[str, Any]
    burst: str | None = None
    race: bool = False
    probe: bool = False  # sent without a priority: the category's default should apply


@dataclass
class Opened:
    """A case the feed opened: its 201 (epoch ms) and how long the POST took."""

    id: int
    number: str
    category: str
    priority: str
    t201_ms: float
    post_ms: float
    race: bool
    burst: str | None


def day_profile(conninfo: str) -> list[float]:
    """Share of a day shift's cases in each of its hours (the city's history)."""
    with psycopg.connect(conninfo) as c:
        counts = dict(
            c.execute(
                "SELECT extract(hour FROM reported_at AT TIME ZONE 'Asia/Shanghai')::int, "
                "count(*) FROM incidents GROUP BY 1"
            ).fetchall()
        )
    w = [float(counts.get(h, 0)) + 1.0 for h in DAY_HOURS]
    return [x / sum(w) for x in w]


def schedule(conninfo: str, seconds: float, rng: random.Random) -> list[Report]:
    """The shift's reports: arrival times following the day's hourly profile, the 12345
    hotline and the 110 feed, and the bursts; every RACE_EVERY-th one is raced."""
    n = max(4, round(seconds / CASE_EVERY_S))
    share = day_profile(conninfo)
    cum = np.cumsum([0.0, *share])
    hour_s = seconds / len(share)
    times = []
    for _ in range(n):  # inverse CDF of the piecewise-constant rate
        u = rng.random()
        k = min(int(np.searchsorted(cum, u, side="right")) - 1, len(share) - 1)
        times.append((k + (u - cum[k]) / share[k]) * hour_s)
    with psycopg.connect(conninfo) as c:
        inside = c.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p FROM grids "
            "WHERE valid_to IS NULL) g ORDER BY id"
        ).fetchall()
    places = rng.sample([(float(x), float(y)) for x, y in inside], n + len(BURSTS))
    out = []
    for t, (lon, lat) in zip(sorted(times), places, strict=False):
        line = FEED_110 if rng.random() < 0.4 else HOTLINE
        cat, prio, _ = rng.choices(line, weights=[w for *_, w in line])[0]
        source = "transfer_110" if line is FEED_110 else "hotline_12345"
        out.append(Report(max(1.0, t), {"lon": lon, "lat": lat, "category": cat,
                                        "priority": prio, "source": source}))  # fmt: skip
    for (share_at, cat, offsets), (lon, lat) in zip(BURSTS, places[n:], strict=True):
        for k, off in enumerate(offsets):
            a, r = rng.uniform(0, 2 * math.pi), rng.uniform(0, BURST_M) if k else 0.0
            x = lon + r * math.cos(a) / (111_320 * math.cos(math.radians(lat)))
            y = lat + r * math.sin(a) / 111_320
            out.append(Report(seconds * share_at + off,
                              {"lon": round(x, 7), "lat": round(y, 7), "category": cat,
                               "priority": "red",
                               "source": "transfer_110" if k % 2 == 0 else "hotline_12345",
                               "description": f"caller {k + 1}"}, burst=cat))  # fmt: skip
    out.sort(key=lambda r: r.at)
    for i, r in enumerate(out):
        r.race = i % RACE_EVERY == RACE_EVERY - 1 and r.burst is None
    probe = next(r for r in out if r.body["source"] == "transfer_110" and r.burst is None)
    probe.probe = True  # the 110 feed leaves the priority to the category
    probe.body.pop("priority")
    return out


class Feeder(threading.Thread):
    """Posts the reports at their times (the hotline and the 110 feed)."""

    def __init__(self, url: str, secret: str, reports: list[Report], t0: float) -> None:
        super().__init__(name="shift-feed", daemon=True)
        self.url, self.secret, self.reports, self.t0 = url, secret, reports, t0
        self.opened: list[Opened] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.probe: dict[str, str] = {}  # the report sent without a priority, as opened

    def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.secret}"}
        with httpx2.Client(base_url=self.url, headers=headers, timeout=60) as client:
            for rep in self.reports:
                time.sleep(max(0.0, self.t0 + rep.at - time.monotonic()))
                sent = time.time() * 1000
                try:
                    r = client.post("/api/v1/incidents", json=rep.body,
                                    headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
                except httpx2.HTTPError as exc:
                    self.errors.append(f"POST: {exc}")
                    continue
                t201 = time.time() * 1000
                if r.status_code != 201:
                    self.errors.append(f"POST {r.status_code}: {r.text[:200]}")
                    continue
                row = r.json()
                if rep.probe:
                    self.probe = {"number": row["number"], "category": row["category"],
                                  "priority": row["priority"]}  # fmt: skip
                with self.lock:
                    self.opened.append(Opened(row["id"], row["number"], row["category"],
                                              row["priority"], t201, t201 - sent, rep.race,
                                              rep.burst))  # fmt: skip


def _busy(conninfo: str, stop_ev: threading.Event, out: list[tuple[int, int, int, int]]) -> None:
    with psycopg.connect(conninfo, autocommit=True) as c:
        while not stop_ev.is_set():
            out.append(tuple(c.execute(BUSY_SQL).fetchone()))  # type: ignore[arg-type]
            stop_ev.wait(BUSY_EVERY_S)


# -------------------------------------------------------------------------------- the desks
@dataclass
class PlanPress:
    complete: bool  # every need had its units on the desk when Shift+D was pressed
    needs: dict[str, int]
    ok: bool | None = None


@dataclass
class Desk:
    name: str
    page: Any
    state: str = "idle"
    case: int | None = None
    since: float = 0.0
    n0: int = 0
    k0: int = 0  # keys the page had seen before the last press
    tries: int = 0  # dispatches pressed for the case
    checks: int = 0  # presses of 1 (check the first recommended unit) since the last redraw
    last_plan: list[int] = field(default_factory=list)
    snap: dict[str, Any] = field(default_factory=dict)
    ticks: dict[int, float] = field(default_factory=dict)  # case -> live tick brought it (ms)
    tally: Counter[str] = field(default_factory=Counter)

    def to(self, state: str, case: int | None = None) -> None:
        self.state, self.since = state, time.monotonic()
        if case is not None:
            self.case = case

    def waited(self) -> float:
        return time.monotonic() - self.since

    def press(self, key: str) -> None:
        self.k0 = int(self.page.evaluate(BLUR_JS))
        self.page.keyboard.press(key)

    def key_missed(self, s: dict[str, Any]) -> bool:
        """The last key pressed found no control to click (the card had changed)."""
        return s["keyN"] > self.k0 and s["key"] is not None and not s["key"]["done"]

    def select(self, case_id: int) -> None:
        """Click the case's queue card (or, when it is not on the page, select it as the card
        click does)."""
        card = self.page.locator(f"#queue-list .gd-qitem[data-id='{case_id}']")
        try:
            if card.count():
                card.first.click(timeout=2_000)
                return
        except Exception:  # noqa: BLE001 - the card was redrawn meanwhile: select it directly
            pass
        self.page.evaluate(SELECT_JS, case_id)


@dataclass
class Race:
    case: int
    desks: list[Desk]
    opened: float
    pressed: bool = False
    wins: int = 0
    missed: int = 0  # desks whose C found no claim button (the other desk's claim showed first)
    answers: list[str] = field(default_factory=list)


class Shift:
    """The coordinator: three desks, the feed, the simulator, the samplers."""

    def __init__(self, conninfo: str, url: str, desks: list[Desk], start_max: int,
                 log: Callable[[str], None]) -> None:  # fmt: skip
        self.conninfo, self.url, self.desks, self.start_max = conninfo, url, desks, start_max
        self.log = log
        self.taken: dict[int, str] = {}  # case -> desk that took it
        self.feed: dict[int, Opened] = {}
        self.seen: dict[int, dict[str, float]] = {}  # case -> desk -> first seen (epoch ms)
        self.races: list[Race] = []
        self.presses: dict[int, list[PlanPress]] = {}
        self.mine: dict[int, tuple[str, str, float]] = {}  # id -> (status, holder, since s)
        self.tried: dict[int, float] = {}  # maintenance attempts: case -> when
        self.priority: dict[int, str] = {}
        self.db = psycopg.connect(conninfo, autocommit=True)
        self.clock_checked = 0
        self.clock_errors: list[str] = []
        self.clock_transient = 0
        self.clock_unsettled = 0
        self.pending: dict[tuple[Any, ...], tuple[float, Any, int]] = {}
        self.sla_turn = 0
        self.refusals: list[str] = []  # what the desks were told when a dispatch was refused

    # ------------------------------------------------------------------ what the desks see
    def note_seen(self, desk: Desk, seen: dict[str, float]) -> None:
        for k, t in seen.items():
            cid = int(k)
            if cid > self.start_max:
                self.seen.setdefault(cid, {}).setdefault(desk.name, float(t))

    def seen_everywhere(self, cid: int) -> bool:
        return len(self.seen.get(cid, {})) == len(self.desks)

    def may_take(self, cid: int) -> bool:
        """A report of the feed is taken once every desk has shown it in the new band (so
        that a quick claim does not hide it from a slower desk before it is measured)."""
        if cid in self.taken:
            return False
        if cid <= self.start_max:
            return True
        return cid in self.feed and self.seen_everywhere(cid)

    def prio(self, cid: int) -> str:
        if cid not in self.priority:
            row = self.db.execute("SELECT priority FROM incidents WHERE id = %s", (cid,)).fetchone()
            self.priority[cid] = row[0] if row else "blue"
        return self.priority[cid]

    def refresh_mine(self) -> None:
        rows = self.db.execute(
            "SELECT id, status, claimed_by, extract(epoch FROM now() - coalesce("
            " CASE status WHEN 'on_scene' THEN on_scene_at ELSE resolved_at END, now())) "
            "FROM incidents WHERE claimed_by = ANY(%s) AND status IN ('on_scene', 'resolved')",
            ([f"user:{d.name}" for d in self.desks],),
        ).fetchall()
        self.mine = {r[0]: (r[1], r[2].split(":", 1)[-1], float(r[3])) for r in rows}

    # ------------------------------------------------------------------ one desk, one step
    def step(self, d: Desk) -> None:
        s = d.page.evaluate(SNAP_JS)
        d.snap = s
        self.note_seen(d, s["seen"])
        getattr(self, f"_{d.state}")(d, s)

    def _idle(self, d: Desk, s: dict[str, Any]) -> None:
        for race in self.races:  # a race waiting for its second desk
            if not race.pressed and len(race.desks) == 1 and race.desks[0] is not d:
                race.desks.append(d)
                d.select(race.case)
                d.to("race_open", race.case)
                return
        for cid in s["news"]:
            if not self.may_take(cid):
                continue
            self.taken[cid] = d.name
            d.select(cid)
            fed = self.feed.get(cid)
            if fed is not None and fed.race:
                self.races.append(Race(cid, [d], time.monotonic()))
                d.to("race_open", cid)
            else:
                d.to("open", cid)
            return
        now = time.monotonic()
        for cid, (status, holder, age) in sorted(self.mine.items()):
            if holder != d.name or now - self.tried.get(cid, -1e9) < 10:
                continue
            if status == "resolved" or (status == "on_scene" and age >= RESOLVE_AFTER_S):
                self.tried[cid] = now
                d.select(cid)
                d.to("close" if status == "resolved" else "resolve", cid)
                return

    def _gave_up(self, d: Desk, what: str, s: dict[str, Any]) -> None:
        d.tally[what] += 1
        self.log(f"  {d.name}: {what} on case {d.case} after {d.waited():.0f} s: {_brief(s)}")

    def _open(self, d: Desk, s: dict[str, Any]) -> None:
        c = s["c"]
        if c is None or c["id"] != d.case:
            if d.waited() > WAIT_S:
                self._gave_up(d, "stuck_open", s)
                d.to("idle")
            return
        if c["claim"]:
            d.n0 = s["msgN"]
            d.press("c")
            d.to("claim")
        else:  # someone else has it, or it is under way already
            d.tally["found_taken"] += 1
            d.to("idle")

    def _race_open(self, d: Desk, s: dict[str, Any]) -> None:
        race = next(r for r in self.races if r.case == d.case)
        c = s["c"]
        ready = c is not None and c["id"] == d.case and c["claim"]
        if race.pressed:  # pressed without this desk (it came too late): nothing to do
            d.to("idle")
            return
        if not ready:
            if d.waited() > WAIT_S:
                self._gave_up(d, "stuck_open", s)
                race.desks.remove(d)
                d.to("idle")
            return
        others = [o for o in race.desks if o is not d]
        both = len(race.desks) == 2 and all(
            o.snap.get("c") and o.snap["c"]["id"] == race.case and o.snap["c"]["claim"]
            for o in others
        )
        alone = len(race.desks) == 1 and time.monotonic() - race.opened > 8
        if both or alone:
            race.pressed = True
            order = race.desks if len(self.races) % 2 else race.desks[::-1]
            for o in order:
                o.n0 = o.snap["msgN"] if o is not d else s["msgN"]
            for o in order:  # both press C, one right after the other (who is first alternates)
                o.press("c")
            for o in order:
                o.to("claim")

    def _claim(self, d: Desk, s: dict[str, Any]) -> None:
        c = s["c"]
        race = next((r for r in self.races if r.case == d.case and r.pressed), None)
        if s["msgN"] > d.n0:
            msg = s["msg"] or {}
            won = bool(msg.get("ok")) and "签收" in msg.get("text", "")
        elif d.key_missed(s):  # the claim button was gone when C arrived (claimed meanwhile)
            d.tally["claim_key_missed"] += 1
            if race is not None:
                race.missed += 1
            d.to("idle")
            return
        elif c is not None and c["id"] == d.case and not c["claim"] and d.waited() > 5:
            # no new message (it may read as the last one did): the card says who holds it
            d.tally["claim_read_from_card"] += 1
            msg = {"ok": d.name in c["facts"], "text": c["facts"][:80]}
            won = bool(msg["ok"])
        else:
            if d.waited() > WAIT_S:
                d.tally["claim_timeout"] += 1
                self.log(f"  {d.name}: no answer to C on case {d.case}: {_brief(s)}")
                d.to("idle")
            return
        if race is not None:
            race.wins += won
            race.answers.append(f"{d.name}: {msg.get('text', '')}")
        if not won:
            d.tally["claim_lost"] += 1
            d.to("idle")
            return
        d.tally["claimed"] += 1
        d.tries = d.checks = 0
        d.to("send")

    def _send(self, d: Desk, s: dict[str, Any]) -> None:
        """The case is claimed: its plan (red) or its first recommended unit goes out."""
        c = s["c"]
        if c is not None and c["id"] == d.case and c["status"] != "reported":
            d.to("idle")  # under way already (an earlier press went through)
            return
        fresh = (c is not None and c["id"] == d.case and c["unclaim"] and s["shown"]
                 and d.name in c["facts"])  # fmt: skip
        if not fresh:
            if d.waited() > WAIT_S:
                self._gave_up(d, "stuck_send", s)
                d.to("idle")
            return
        assert d.case is not None
        if self.prio(d.case) == "red":
            if not s["plan"]:
                if d.waited() > WAIT_S:
                    d.tally["no_plan"] += 1
                    d.to("idle")
                return
            units = [u for row in s["plan"] for u in row["units"]]
            if d.tries and units == d.last_plan and d.waited() < 3:
                return  # after a refusal: the card shows the plan filled again first
            complete = all(not row["unmet"] and len(row["units"]) >= row["need"]
                           for row in s["plan"])  # fmt: skip
            needs = {row["type"]: row["need"] for row in s["plan"]}
            self.presses.setdefault(d.case, []).append(PlanPress(complete, needs))
            d.last_plan = units
            self._dispatch_key(d, s, "Shift+D")
            return
        if s["recs"] == 0:
            if d.waited() > 5:
                d.tally["no_units"] += 1
                d.to("idle")
            return
        if s["rec1"]:
            self._dispatch_key(d, s, "d")
        elif s["rec1"] is False and (d.checks == 0 or d.waited() > 2):
            if d.checks >= 4:
                d.tally["check_failed"] += 1
                d.to("idle")
                return
            d.press("1")
            d.checks += 1
            d.since = time.monotonic()

    def _dispatch_key(self, d: Desk, s: dict[str, Any], key: str) -> None:
        d.n0 = s["msgN"]
        d.tries += 1
        d.press(key)
        d.to("dispatch")

    def _dispatch(self, d: Desk, s: dict[str, Any]) -> None:
        if s["msgN"] <= d.n0:
            if d.waited() > WAIT_S:
                self._gave_up(d, "dispatch_timeout", s)
                d.to("idle")
            return
        msg = s["msg"] or {}
        assert d.case is not None
        pressed = self.presses.get(d.case, [])
        if pressed and pressed[-1].ok is None:
            pressed[-1].ok = bool(msg.get("ok"))
        if msg.get("ok"):
            d.tally["dispatched"] += 1
            d.to("idle")
            return
        d.tally["dispatch_refused"] += 1
        self.refusals.append(f"{d.name} case {d.case}: {msg.get('text', '')[:160]}")
        d.checks = 0
        if d.tries >= 4:
            d.tally["gave_up"] += 1
            d.to("idle")
        else:
            d.to("send")

    def _close(self, d: Desk, s: dict[str, Any]) -> None:
        c = s["c"]
        if c is None or c["id"] != d.case or not (c["close"] or c["status"] == "closed"):
            if d.waited() > WAIT_S:
                self._gave_up(d, "stuck_close", s)
                d.to("idle")
            return
        if c["status"] == "closed":
            d.to("idle")
            return
        d.n0 = s["msgN"]
        d.page.locator("#case-body .gd-act-close").first.click(timeout=3_000)
        d.to("closing")

    def _closing(self, d: Desk, s: dict[str, Any]) -> None:
        if s["msgN"] > d.n0 or d.waited() > WAIT_S:
            d.tally["closed" if (s["msg"] or {}).get("ok") else "close_failed"] += 1
            d.to("idle")

    def _resolve(self, d: Desk, s: dict[str, Any]) -> None:
        c = s["c"]
        if c is not None and c["id"] == d.case and c["status"] in ("resolved", "closed"):
            d.to("idle")  # its unit resolved it first (the simulator)
            return
        if c is None or c["id"] != d.case or not (c["status"] == "on_scene" and c["note"]):
            if d.waited() > WAIT_S:
                self._gave_up(d, "stuck_resolve", s)
                d.to("idle")
            return
        d.page.locator("#case-body .gd-note").first.fill(
            "现场处置完毕，当事人已离开。", timeout=3_000
        )
        d.n0 = s["msgN"]
        d.press("r")
        d.to("resolving")

    def _resolving(self, d: Desk, s: dict[str, Any]) -> None:
        if s["msgN"] > d.n0 or d.waited() > WAIT_S:
            d.tally["resolved" if (s["msg"] or {}).get("ok") else "resolve_failed"] += 1
            d.to("idle")

    # ------------------------------------------------------------------ the clocks
    def check_clocks(self) -> None:
        """Read one desk's clocks (round robin) and compare them with the database; a
        mismatch is judged at the desk's next reading (:data:`SLA_RECHECK_S` later)."""
        k = self.sla_turn % len(self.desks)
        self.sla_turn += 1
        dom = self.desks[k].page.evaluate(CLOCKS_JS)
        with transaction(self.db, "bench:shift", scope="all", role="system") as t:
            q = caselists.queue(conn=t, bands=caselists.BANDS, limit=1000)
        rows = {r["id"]: r for r in q.rows}
        found = self._card_clocks(dom["card"], rows) | self._queue_clocks(dom["queue"], rows)
        now = time.monotonic()
        versions = {cid: r["changed_at"] for cid, r in rows.items()}
        for key, (t0, v0, n) in list(self.pending.items()):
            if key[0] != k or now - t0 < SLA_RECHECK_S:
                continue
            del self.pending[key]
            sub = key[1:]
            if sub not in found:
                self.clock_transient += 1  # the page had not caught up yet, and now has
            elif versions.get(sub[1]) == v0:
                self.clock_errors.append(found[sub])  # wrong, and the case did not change
            elif n < 3:
                self.pending[key] = (now, versions.get(sub[1]), n + 1)
            else:
                self.clock_unsettled += 1
        for sub, text in found.items():
            if (k, *sub) not in self.pending and text not in self.clock_errors:
                self.pending[(k, *sub)] = (now, versions.get(sub[1]), 0)

    def _card_clocks(
        self, card: dict[str, Any] | None, rows: dict[int, Any]
    ) -> dict[tuple[Any, ...], str]:
        """The selected case's countdowns against its deadlines, and the row marked as
        working now against ``incidents.current_deadline``."""
        found: dict[tuple[Any, ...], str] = {}
        if card is None or card["id"] not in rows:
            return found
        r = rows[card["id"]]
        for row in card["rows"]:
            if row["due"] is None:
                continue
            self.clock_checked += 1
            want = r.get(f"{row['clock']}_due")
            if want is None or abs((_t(row["due"]) - want).total_seconds()) > 1:
                found[("card", card["id"], row["clock"])] = (
                    f"card {r['number']} {row['clock']}: page {row['due']}, db {want}"
                )
        self.clock_checked += 1
        cd = incidents.current_deadline(dict(r))
        now_rows = [row for row in card["rows"] if row["now"]]
        got = now_rows[0] if len(now_rows) == 1 else None
        if cd is None:
            wrong = got is not None
        else:
            wrong = (
                got is None
                or got["clock"] != cd[0].removesuffix("_due")
                or got["due"] is None
                or abs((_t(got["due"]) - cd[1]).total_seconds()) > 1
            )
        if wrong:
            found[("now", card["id"])] = (
                f"card {r['number']} ({r['status']}) working clock: page "
                f"{[(x['clock'], x['due']) for x in now_rows]}, db {cd}"
            )
        return found

    def _queue_clocks(
        self, cards: list[dict[str, Any]], rows: dict[int, Any]
    ) -> dict[tuple[Any, ...], str]:
        """Each queue card's countdown against the queue's deadline due now."""
        found: dict[tuple[Any, ...], str] = {}
        for item in cards:
            r = rows.get(item["id"])
            if r is None:
                continue  # closed meanwhile: its card goes with the next update
            self.clock_checked += 1
            want, got = r["due"], _t(item["due"]) if item["due"] else None
            if (want is None) != (got is None) or (
                want is not None and got is not None and abs((got - want).total_seconds()) > 1
            ):
                found[("queue", item["id"])] = (
                    f"queue card {r['number']} ({r['status']}, {r['stage']}): page "
                    f"{item['due']}, db {want}"
                )
        return found

    # ------------------------------------------------------------------ the loop
    def run(self, seconds: float, feeder: Feeder) -> None:
        t_end = feeder.t0 + seconds
        last_sla = last_mine = 0.0
        last_log = time.monotonic()
        while True:
            now = time.monotonic()
            with feeder.lock:
                for o in feeder.opened:
                    self.feed.setdefault(o.id, o)
            if now > t_end and not feeder.is_alive():
                unseen = [c for c in self.feed if not self.seen_everywhere(c)]
                if not unseen or now > t_end + GRACE_S:
                    break
            if now - last_mine > 1.5:
                self.refresh_mine()
                last_mine = now
            for d in self.desks:
                try:
                    self.step(d)
                except Exception as exc:  # noqa: BLE001 - a step that failed is tried again
                    d.tally["step_errors"] += 1
                    if d.tally["step_errors"] <= 3:
                        self.log(f"  {d.name} {d.state}: {type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200]}")  # fmt: skip
                    d.to("idle")
            if now - last_sla > SLA_EVERY_S:
                self.check_clocks()
                last_sla = now
            if now - last_log > 30:
                last_log = now
                done = sum(d.tally["dispatched"] for d in self.desks)
                self.log(f"  {now - feeder.t0:4.0f} s: {len(self.feed)} reports, "
                         f"{len(self.taken)} taken, {done} dispatched, "
                         f"{len(self.clock_errors)} clock errors, "
                         f"states {[d.state for d in self.desks]}")  # fmt: skip
            time.sleep(0.15)


def _brief(s: dict[str, Any]) -> str:
    """A desk's snapshot in one line (for the log)."""
    c = s.get("c") or {}
    return (f"card {c.get('id')} {c.get('status')} claim={c.get('claim')} "
            f"unclaim={c.get('unclaim')}, msg #{s.get('msgN')} {s.get('msg')}")  # fmt: skip


def _t(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


# ------------------------------------------------------------------------------- the outcome
@dataclass
class Outcome:
    """What one shift measured (raw counts; :func:`results` makes the bench's rows)."""

    seconds: float
    reports: int
    opened: int
    latencies_ms: list[float]
    push_ms: list[float]  # 201 to the live tick that brought the case to the page
    post_ms: list[float]
    missed: list[str]  # "case@desk" never seen in the new band
    busy_max: int
    busy_samples: int
    busy_detail: tuple[int, int, int, int]  # max of: open-on-settled, last-released, orphans, all
    double_claims: int
    double_detail: list[str]
    races: int
    races_one_winner: int
    races_late: int  # raced cases where one desk's C came after the other's claim showed
    claim_events: int
    plans_eligible: int
    plans_covered: int
    plans_short: list[str]
    red_sent: int
    red_incomplete: int
    clock_checked: int
    clock_errors: list[str]
    clock_transient: int
    clock_unsettled: int
    desks: dict[str, dict[str, int]]
    probe: dict[str, str]
    feed_errors: list[str]
    sim_report: str
    console_problems: list[str]
    sim_problems: list[str]
    deadline_disagreements: int
    refusals: list[str]

    @property
    def p95_ms(self) -> float:
        return float(np.percentile(self.latencies_ms, 95)) if self.latencies_ms else math.nan

    @property
    def plans_share(self) -> float:
        return self.plans_covered / self.plans_eligible if self.plans_eligible else math.nan


def open_desks(browser: Any, url: str, conninfo: str) -> list[Desk]:
    from console.server.auth import COOKIE

    desks = []
    for name in DESKS:  # one after the other: three first loads at once starve 2 cores
        bc = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        bc.add_cookies([{"name": COOKIE, "value": session_for(conninfo, name, "operator"),
                         "url": url}])  # fmt: skip
        bc.add_init_script(OBSERVE_JS)
        page = bc.new_page()
        page.goto(f"{url}/dispatch", timeout=180_000)
        page.wait_for_function("() => window.griddispatch && window.griddispatch.liveSeq >= 0",
                               timeout=180_000)  # fmt: skip
        page.locator("#queue-list .gd-qitem, #queue-list .gd-muted").first.wait_for(timeout=120_000)
        desks.append(Desk(name, page))
    return desks


def start_simulator(url: str, conninfo: str, seconds: float, seed: int,
                    log_path: Path) -> Any:  # fmt: skip
    """``data.simulate --respond`` at the shift's compression; returns once it drives."""
    warp = DAY_S / seconds
    log = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - our argv, no shell
        [sys.executable, "-m", "data.simulate", "--url", url, "--db", conninfo,
         "--units", str(SIM_UNITS), "--rate", "0", "--scale", "0", "--respond",
         "--warp", f"{warp:.3f}", "--every", str(SIM_EVERY_S), "--scene", *map(str, SCENE_S),
         "--seed", str(seed)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if "simulating" in log_path.read_text(errors="replace"):
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"the simulator exited: {log_path.read_text()[-800:]}")
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError("the simulator did not start in 180 s")


def run_shift(browser: Any, url: str, conninfo: str, seconds: float = SHIFT_S, seed: int = 1,
              logs: Path | None = None, console_log: Path | None = None,
              log: Callable[[str], None] = print) -> Outcome:  # fmt: skip
    """One compressed day shift against the console at ``url`` (on ``conninfo``)."""
    rng = random.Random(seed)
    logs = logs or Path("/tmp")
    logs.mkdir(parents=True, exist_ok=True)
    sim_log = logs / f"shift-sim-{os.getpid()}.log"
    with psycopg.connect(conninfo) as c:
        start_max = int(c.execute("SELECT coalesce(max(id), 0) FROM incidents").fetchone()[0])  # type: ignore[index]
        t_start = c.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    reports = schedule(conninfo, seconds, rng)
    log(f"  {len(reports)} reports over {seconds:.0f} s; opening {len(DESKS)} desks ...")
    desks = open_desks(browser, url, conninfo)
    log("  starting the simulator ...")
    sim = start_simulator(url, conninfo, seconds, seed, sim_log)
    shift = Shift(conninfo, url, desks, start_max, log)
    busy: list[tuple[int, int, int, int]] = []
    stop_ev = threading.Event()
    sampler = threading.Thread(target=_busy, args=(conninfo, stop_ev, busy), daemon=True)
    feeder = Feeder(url, token(conninfo, "incidents:write", "incidents:read"), reports,
                    time.monotonic() + 2)  # fmt: skip
    sampler.start()
    feeder.start()
    log("  the shift is on")
    try:
        shift.run(seconds, feeder)
    finally:
        stop_ev.set()
        feeder.join(timeout=60)
        sampler.join(timeout=30)
        stop(sim, timeout=60)
    with feeder.lock:
        for o in feeder.opened:
            shift.feed.setdefault(o.id, o)
    for d in desks:
        try:
            d.ticks = {
                int(k): float(v) for k, v in d.page.evaluate("() => window.__gd.tick").items()
            }
        finally:
            d.page.context.close()
    return _outcome(shift, feeder, busy, seconds, reports, t_start, sim_log, console_log)


def _outcome(shift: Shift, feeder: Feeder, busy: list[tuple[int, int, int, int]],
             seconds: float, reports: list[Report], t_start: Any, sim_log: Path,
             console_log: Path | None) -> Outcome:  # fmt: skip
    lat, missed, push = [], [], []
    for cid, o in sorted(shift.feed.items()):
        for d in shift.desks:
            if cid in d.ticks:
                push.append(max(0.0, d.ticks[cid] - o.t201_ms))
            t = shift.seen.get(cid, {}).get(d.name)
            if t is None:
                missed.append(f"{o.number}@{d.name}")
            else:
                lat.append(max(0.0, t - o.t201_ms))
    with psycopg.connect(shift.conninfo) as c, c.cursor(row_factory=dict_row) as cur:
        doubles = cur.execute(
            "SELECT i.id, i.number, i.claimed_by, count(*) AS n,"
            " array_agg(e.actor ORDER BY e.id) AS actors "
            "FROM incident_events e JOIN incidents i ON i.id = e.incident_id "
            "WHERE e.action = 'claim' AND e.at >= %(t)s GROUP BY i.id "
            "HAVING count(*) > 1 OR bool_or(e.actor IS DISTINCT FROM i.claimed_by)",
            {"t": t_start},
        ).fetchall()
        claim_events = cur.execute(
            "SELECT count(*) AS n FROM incident_events WHERE action = 'claim' AND at >= %(t)s",
            {"t": t_start},
        ).fetchone()["n"]  # type: ignore[index]
        eligible = covered = red_sent = red_incomplete = 0
        short = []
        for cid, presses in sorted(shift.presses.items()):
            red_sent += 1
            sent = [p for p in presses if p.ok]
            last = sent[-1] if sent else presses[-1]
            if not last.complete:
                red_incomplete += 1
                continue
            eligible += 1
            case = cur.execute("SELECT number, category, priority FROM incidents WHERE id = %s",
                               (cid,)).fetchone()  # fmt: skip
            assert case is not None
            need = {n.unit_type: n.count for n in plans.plan_for(
                conn=c, category=case["category"], priority=case["priority"])}  # fmt: skip
            got = {r["type"]: r["n"] for r in cur.execute(
                "SELECT u.type, count(DISTINCT d.unit_id) AS n FROM dispatches d "
                "JOIN units u ON u.id = d.unit_id WHERE d.incident_id = %s GROUP BY u.type",
                (cid,))}  # fmt: skip
            if all(got.get(t, 0) >= n for t, n in need.items()):
                covered += 1
            else:
                short.append(f"{case['number']} {case['category']}: plan {need}, sent {got}")
        # The card's working clock (current_deadline) and the queue's (caselists) on every
        # open case: how often they name different deadlines.
        with transaction(c, "bench:shift", scope="all", role="system") as t:
            q = caselists.queue(conn=t, bands=caselists.BANDS, limit=1000)
        disagree = sum(
            1 for r in q.rows
            if (incidents.current_deadline(dict(r)) or (None, None))[1] != r["due"]
        )  # fmt: skip
    double_ids = {r["id"] for r in doubles}
    double_detail = [f"{r['number']}: {r['n']} claim events by {r['actors']}, held by "
                     f"{r['claimed_by']}" for r in doubles]  # fmt: skip
    # A race: both desks' C found the claim button (a C arriving after the other desk's
    # claim was drawn is no race; it is counted apart).
    raced = [r for r in shift.races if r.pressed and len(r.desks) == 2]
    races = [r for r in raced if not r.missed]
    for r in races:
        if r.wins > 1 and r.case not in double_ids:
            double_ids.add(r.case)
            double_detail.append(f"race on case {r.case}: both desks won ({r.answers})")
    sim_out = sim_log.read_text(errors="replace") if sim_log.exists() else ""
    at = sim_out.rfind("cases opened")
    report = sim_out[at:].splitlines()[0] if at >= 0 else ""  # its tally (it opened none)
    cols = list(zip(*busy, strict=True)) if busy else [(0,), (0,), (0,), (0,)]
    return Outcome(
        seconds=seconds,
        reports=len(reports),
        opened=len(shift.feed),
        latencies_ms=lat,
        push_ms=push,
        post_ms=[o.post_ms for o in shift.feed.values()],
        missed=missed,
        busy_max=max((a + b for a, b, _, _ in busy), default=0),
        busy_samples=len(busy),
        busy_detail=(max(cols[0]), max(cols[1]), max(cols[2]), max(cols[3])),
        double_claims=len(double_ids),
        double_detail=double_detail,
        races=len(races),
        races_one_winner=sum(1 for r in races if r.wins == 1),
        races_late=len(raced) - len(races),
        claim_events=int(claim_events),
        plans_eligible=eligible,
        plans_covered=covered,
        plans_short=short,
        red_sent=red_sent,
        red_incomplete=red_incomplete,
        clock_checked=shift.clock_checked,
        clock_errors=shift.clock_errors,
        clock_transient=shift.clock_transient,
        clock_unsettled=shift.clock_unsettled,
        desks={d.name: dict(d.tally) for d in shift.desks},
        probe=feeder.probe,
        feed_errors=feeder.errors,
        sim_report=report.strip(),
        console_problems=log_problems(console_log) if console_log else [],
        sim_problems=[ln for ln in sim_out.splitlines() if ln.startswith("  !")],
        deadline_disagreements=disagree,
        refusals=shift.refusals,
    )


def results(o: Outcome) -> list[Result]:
    """The bench's rows of one shift."""
    span = f"{o.seconds:.0f} s shift ({DAY_S / o.seconds:.0f}x), {o.opened} reports"
    p95 = o.p95_ms
    lat_ok = not o.missed and p95 <= 1000
    share = o.plans_share
    return [
        Result(
            "new_case_top_band_p95_ms",
            p95,
            "ms",
            "<= 1000 (every case on every desk)",
            lat_ok,
            {
                "p50_ms": float(np.percentile(o.latencies_ms, 50)) if o.latencies_ms else math.nan,
                "max_ms": max(o.latencies_ms, default=math.nan),
                "api_post_p95_ms": float(np.percentile(o.post_ms, 95)) if o.post_ms else math.nan,
                "live_tick_p95_ms": float(np.percentile(o.push_ms, 95)) if o.push_ms else math.nan,
                "missed": float(len(o.missed)),
            },
            f"{span} x {len(DESKS)} desks ({len(o.latencies_ms)} samples): 201 to the card in "
            f"the new band" + (f"; never shown: {o.missed[:5]}" if o.missed else ""),
        ),
        Result(
            "busy_units_on_closed_cases",
            o.busy_max,
            "units",
            "== 0",
            o.busy_max == 0,
            {
                "samples": float(o.busy_samples),
                "busy_units_max": float(o.busy_detail[3]),
                "busy_without_open_dispatch_max": float(o.busy_detail[2]),
            },
            f"{span}; sampled every {BUSY_EVERY_S:.0f} s; simulator: "
            + o.sim_report.removeprefix("cases opened 0, dispatched 0, "),
        ),
        Result(
            "double_claims",
            o.double_claims,
            "cases",
            "== 0",
            o.double_claims == 0,
            {
                "races": float(o.races),
                "races_one_winner": float(o.races_one_winner),
                "races_late": float(o.races_late),
                "claim_events": float(o.claim_events),
            },
            f"{o.races} races (two desks press C on the same case)"
            + (f"; {o.double_detail[:3]}" if o.double_detail else ""),
        ),
        Result(
            "plans_filled_share",
            share,
            "share",
            "== 1.0",
            None if not o.plans_eligible else share >= 1.0,
            {
                "eligible": float(o.plans_eligible),
                "covered": float(o.plans_covered),
                "red_plans_sent": float(o.red_sent),
                "sent_short_of_units": float(o.red_incomplete),
            },
            "red cases whose plan was complete on the desk when sent (Shift+D)"
            + (f"; short: {o.plans_short[:3]}" if o.plans_short else ""),
        ),
        Result(
            "sla_clock_errors",
            len(o.clock_errors),
            "clocks",
            "== 0",
            not o.clock_errors,
            {
                "clocks_checked": float(o.clock_checked),
                "stale_then_right": float(o.clock_transient),
                "unsettled": float(o.clock_unsettled),
                "card_vs_queue_deadline": float(o.deadline_disagreements),
            },
            f"desk clocks read every {SLA_EVERY_S:.0f} s (selected card and queue cards) against "
            "the database" + (f"; {o.clock_errors[:3]}" if o.clock_errors else ""),
        ),
    ]


def summary(o: Outcome) -> str:
    """What the desks did, for the log."""
    lines = [
        f"  {o.opened} reports; new band p95 {o.p95_ms:.0f} ms ({len(o.missed)} missed; live "
        f"tick p95 {np.percentile(o.push_ms, 95) if o.push_ms else math.nan:.0f} ms); "
        f"busy on settled {o.busy_max} ({o.busy_samples} samples); {o.races} races, "
        f"{o.double_claims} double claims; plans {o.plans_covered}/{o.plans_eligible} whole "
        f"({o.red_sent} red sent); clocks {len(o.clock_errors)} wrong of {o.clock_checked}",
        f"  desks: {o.desks}",
        f"  probe (no priority given): {o.probe}",
    ]
    if o.refusals:
        lines.append(f"  dispatches refused: {len(o.refusals)}, e.g. {o.refusals[:4]}")
    if o.feed_errors:
        lines.append(f"  feed errors: {o.feed_errors[:5]}")
    if o.console_problems:
        lines.append(f"  console log: {len(o.console_problems)} problem lines, e.g. "
                     f"{o.console_problems[:3]}")  # fmt: skip
    if o.sim_problems:
        lines.append(f"  simulator refusals: {len(o.sim_problems)}, e.g. {o.sim_problems[:3]}")
    return "\n".join(lines)


def run(ctx: Context) -> list[Result]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    logs = ctx.settings.var_dir / "bench" / "shift"
    console_log = logs / "console.log"
    proc, url = start_console(ctx.conninfo, console_log)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                out = run_shift(browser, url, ctx.conninfo, SHIFT_S, seed=ctx.seed,
                                logs=logs, console_log=console_log)  # fmt: skip
            finally:
                browser.close()
    finally:
        stop(proc, timeout=15)
    print(summary(out), flush=True)
    return results(out)
