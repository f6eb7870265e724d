"""The city, simulated through the console's own API: ``python -m data.simulate``.

Units drive or walk along travel-time-graph paths at their roads' speeds and report their
positions in batches (``POST /api/v1/units/positions``), as trackers would. Incidents arrive
as a Poisson process following the demo city's profile: the hourly rate of its past year,
and category, priority and place drawn from its past cases. With ``--respond`` the units
answer their dispatches by themselves (en route, travel, on scene, resolve, return); with
``--dispatch`` an automatic operator also sends the nearest unit to every new case and
closes resolved ones, so the demo runs alone. When it stops (Ctrl-C or ``--minutes``) it
prints the SLA compliance of the cases it opened.

It reads the world (roads, units, past cases) from the database and acts only through the
HTTP API, with a token it creates for itself (scopes incidents:read/write, units:read/write).
Units already on a case when it starts (the demo city's live shift) carry on: those en route
drive there, those on scene finish and resolve, those dispatched set off at the first tick.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import signal
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psycopg

from geo import places
from geo.access import tokens
from geo.routing.config import RoutingConfig
from geo.routing.graph import TravelGraph, load_graph
from geo.routing.search import travel_field

SCOPES = ["incidents:read", "incidents:write", "units:read", "units:write"]
PATROL_S = (120.0, 900.0)  # a patrol leg lasts this long
THINK_S = 15.0  # the automatic operator's delay before dispatching
CLOSE_AFTER_S = 30.0  # ... and before closing a resolved case
JITTER_M = 80.0  # new cases lie this close to a past one


class Api:
    """The console's /api/v1 with a bearer token (urllib; one request at a time)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url.rstrip("/"), token
        self.errors = 0

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Any:
        req = urllib.request.Request(
            self.url + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                **(headers or {}),
            },
            method=method,
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:  # a refusal (taken unit, wrong state): go on
            self.errors += 1
            detail = e.read()[:300].decode(errors="replace")
            print(f"  ! {method} {path}: {e.code} {detail}", file=sys.stderr)
            return None


@dataclass
class Mover:
    """A unit the simulator moves: where it is and the path it follows."""

    id: int
    call_sign: str
    mode: str
    lat: float
    lng: float
    task: str = "idle"  # idle, patrol, to_case, on_scene, returning
    incident_id: int | None = None
    path_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path_lng: np.ndarray = field(default_factory=lambda: np.zeros(0))
    path_t: np.ndarray = field(default_factory=lambda: np.zeros(0))  # seconds from start
    started: float = 0.0
    until: float = 0.0  # on scene until (monotonic)
    home: tuple[float, float] | None = None

    def at(self, now: float) -> tuple[float, float, float]:
        """(lat, lng, speed m/s) along the path at ``now``; the path's end once done."""
        if self.path_t.size < 2:
            return self.lat, self.lng, 0.0
        t = now - self.started
        if t >= self.path_t[-1]:
            return float(self.path_lat[-1]), float(self.path_lng[-1]), 0.0
        i = int(np.searchsorted(self.path_t, t, side="right")) - 1
        span = self.path_t[i + 1] - self.path_t[i]
        f = (t - self.path_t[i]) / span if span > 0 else 1.0
        lat = self.path_lat[i] + f * (self.path_lat[i + 1] - self.path_lat[i])
        lng = self.path_lng[i] + f * (self.path_lng[i + 1] - self.path_lng[i])
        d = math.hypot(
            (self.path_lat[i + 1] - self.path_lat[i]) * 111_320,
            (self.path_lng[i + 1] - self.path_lng[i]) * 111_320 * math.cos(math.radians(lat)),
        )
        return float(lat), float(lng), (d / span if span > 0 else 0.0)

    def arrived(self, now: float) -> bool:
        return self.path_t.size < 2 or now - self.started >= self.path_t[-1]


class World:
    """The travel graph and the city's past, read once from the database."""

    def __init__(self, conn: psycopg.Connection, seed: int, warp: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.warp = warp  # movement runs this many times faster than real time
        self.config = RoutingConfig()
        self.graph: TravelGraph = load_graph(conn=conn, config=self.config)
        bbox = places.city_bbox(conn=conn)
        assert bbox is not None, "the database holds no city"
        self.bbox = bbox
        g = self.graph
        self.inside = (
            (g.lng >= bbox[0]) & (g.lng <= bbox[2]) & (g.lat >= bbox[1]) & (g.lat <= bbox[3])
        )
        hours: dict[int, int] = dict(
            conn.execute(
                "SELECT extract(hour FROM reported_at AT TIME ZONE 'Asia/Shanghai')::int, "
                "count(*) FROM incidents WHERE reported_at > now() - interval '365 days' "
                "GROUP BY 1"
            ).fetchall()
        )
        span = conn.execute(
            "SELECT greatest(extract(epoch FROM max(reported_at) - min(reported_at)) / 86400, 1)"
            " FROM incidents WHERE reported_at > now() - interval '365 days'"
        ).fetchone()
        days = float(span[0]) if span and span[0] else 1.0
        self.per_hour = [hours.get(h, 0) / days for h in range(24)]  # cases per hour of day
        self.past = conn.execute(
            "SELECT category, priority, ST_X(geom), ST_Y(geom) FROM incidents "
            "ORDER BY random() LIMIT 5000"
        ).fetchall()
        if not self.past:
            raise SystemExit("The database holds no past cases to follow: load the demo city.")

    def rate_now(self) -> float:
        """Cases per second now (Asia/Shanghai hour of day)."""
        hour = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).hour
        return self.per_hour[hour] / 3600.0

    def new_case(self) -> dict[str, Any]:
        category, priority, lon, lat = self.rng.choice(self.past)
        for _ in range(10):  # a place near a past case, still inside the city
            a, r = self.rng.uniform(0, 2 * math.pi), self.rng.uniform(0, JITTER_M)
            x = lon + r * math.cos(a) / (111_320 * math.cos(math.radians(lat)))
            y = lat + r * math.sin(a) / 111_320
            if self.bbox[0] < x < self.bbox[2] and self.bbox[1] < y < self.bbox[3]:
                lon, lat = x, y
                break
        return {
            "lon": round(lon, 7),
            "lat": round(lat, 7),
            "category": category,
            "priority": priority,
            "source": self.rng.choice(["hotline_12345", "grid_worker", "transfer_110", "sensor"]),
            "description": "simulated report",
        }

    # ------------------------------------------------------------------ paths
    def route(self, m: Mover, target: tuple[float, float] | None, now: float) -> None:
        """Give ``m`` a path along the roads: to ``target`` (lat, lng), or a patrol leg to a
        cell centre PATROL_S away when None."""
        g = self.graph
        here = g.place([m.lat], [m.lng], m.mode)
        m.path_t = np.zeros(0)
        if here.edge[0] < 0:
            return
        if target is None:
            t = travel_field(g, here, m.mode, limit_s=PATROL_S[1])
            ok = np.flatnonzero(np.isfinite(t) & (t >= PATROL_S[0]) & self.inside)
            if ok.size == 0:
                ok = np.flatnonzero(np.isfinite(t) & self.inside)
            if ok.size == 0:
                return
            c = int(self.rng.choice(list(ok)))
            goal = (float(g.lat[c]), float(g.lng[c]))
        else:
            goal = target
        secs, line = g.nets[m.mode].route(here, g.place([goal[0]], [goal[1]], m.mode), 3 * 3600.0)
        if not line:
            return
        lng = np.clip([p[0] for p in line], self.bbox[0], self.bbox[2])
        lat = np.clip([p[1] for p in line], self.bbox[1], self.bbox[3])
        m.path_lat = np.concatenate([[m.lat], lat, [goal[0]]])
        m.path_lng = np.concatenate([[m.lng], lng, [goal[1]]])
        # time along the line in proportion to its length (the walks at either end aside)
        step = np.hypot(np.diff(m.path_lat), np.diff(m.path_lng) * math.cos(math.radians(m.lat)))
        share = np.concatenate([[0.0], np.cumsum(step)]) / max(float(step.sum()), 1e-12)
        m.path_t = share * secs / self.warp
        m.started = now


@dataclass
class Tally:
    opened: list[int] = field(default_factory=list)
    positions: int = 0
    dispatched: int = 0
    resolved: int = 0
    closed: int = 0


class Simulator:
    def __init__(self, api: Api, world: World, args: argparse.Namespace) -> None:
        self.api, self.world, self.args = api, world, args
        self.movers: dict[int, Mover] = {}
        self.tally = Tally()
        self.cases: dict[int, dict[str, Any]] = {}  # cases this run opened, by id
        self.stop = False
        self.resolved_at: dict[int, float] = {}

    def load_units(self) -> None:
        """Available units with a position: the first ``--units`` of them patrol. Waits up
        to a minute for the console to come up."""
        for _ in range(120):
            try:
                urllib.request.urlopen(self.api.url + "/healthz", timeout=2).close()
                break
            except OSError:
                time.sleep(0.5)
        after, found = 0, []
        while after is not None:
            page = self.api.call(
                "GET", f"/api/v1/units?status=available&limit=5000&after_id={after}"
            )
            if page is None:
                raise SystemExit("The console refused the unit list: is the token valid?")
            found += [u for u in page["items"] if u["lon"] is not None]
            after = page["next_after_id"]
        self.world.rng.shuffle(found)
        patrol = [u for u in found if u["type"] in ("patrol_car", "foot_patrol")]
        rest = [u for u in found if u["type"] not in ("patrol_car", "foot_patrol")]
        for u in (patrol + rest)[: self.args.units]:
            self.add(u)
        self.adopt(time.monotonic())

    def adopt(self, now: float) -> None:
        """Units already en route or on scene (with their case) carry on from where they
        are: on to the case, or on scene for a while and then resolve it."""
        for status in ("en_route", "on_scene"):
            page = self.api.call("GET", f"/api/v1/units?status={status}&limit=10000")
            for u in (page or {}).get("items", []):
                if u["incident_id"] is None or u["lon"] is None or u["id"] in self.movers:
                    continue
                m = self.add(u)
                m.incident_id = u["incident_id"]
                if status == "on_scene":
                    m.task, m.home = "on_scene", None  # where it came from is not known
                    m.until = now + self.world.rng.uniform(*self.args.scene) / self.args.warp
                    continue
                case = self.api.call("GET", f"/api/v1/incidents/{u['incident_id']}")
                if case is None:
                    continue
                m.task = "to_case"
                self.world.route(m, (case["lat"], case["lon"]), now)

    def add(self, u: dict[str, Any]) -> Mover:
        mode = self.world.config.unit_mode.get(u["type"], "car")
        m = Mover(u["id"], u["call_sign"], mode, u["lat"], u["lon"], home=(u["lat"], u["lon"]))
        self.movers[m.id] = m
        return m

    # ------------------------------------------------------------------ one tick
    def tick(self, now: float, dt_s: float) -> None:
        self.arrivals(dt_s)
        if self.args.respond:
            self.answer_dispatches(now)
        if self.args.dispatch:
            self.operate(now)
        self.move(now)

    def arrivals(self, dt_s: float) -> None:
        per_s = self.args.rate / 3600 if self.args.rate else self.world.rate_now() * self.args.scale
        n = np.random.default_rng(self.world.rng.getrandbits(32)).poisson(per_s * dt_s)
        for _ in range(n):
            body = self.world.new_case()
            key = {"Idempotency-Key": uuid.uuid4().hex}
            row = self.api.call("POST", "/api/v1/incidents", body, key)
            if row is not None:
                self.tally.opened.append(row["id"])
                self.cases[row["id"]] = {
                    "at": time.monotonic(),
                    "lat": row["lat"],
                    "lon": row["lon"],
                }
                print(f"  + {row['number']} {body['category']} ({body['priority']})")

    def answer_dispatches(self, now: float) -> None:
        page = self.api.call("GET", "/api/v1/units?status=dispatched&limit=10000")
        for u in (page or {}).get("items", []):
            if u["incident_id"] is None or u["lon"] is None:
                continue
            m = self.movers.get(u["id"]) or self.add(u)
            m.lat, m.lng, _ = m.at(now)
            case = self.api.call("GET", f"/api/v1/incidents/{u['incident_id']}")
            if (
                case is None
                or self.api.call("POST", f"/api/v1/units/{m.id}/status", {"status": "en_route"})
                is None
            ):
                continue
            m.task, m.incident_id = "to_case", case["id"]
            self.world.route(m, (case["lat"], case["lon"]), now)
            print(f"  > {m.call_sign} en route to {case['number']} ({m.path_t[-1]:.0f} s)")

    def operate(self, now: float) -> None:
        """The automatic operator: dispatch the nearest unit, close resolved cases."""
        for cid, c in list(self.cases.items()):
            if c.get("sent") or now - c["at"] < THINK_S / self.args.warp:
                continue
            c["sent"] = True
            recs = self.api.call("GET", f"/api/v1/incidents/{cid}/recommendations?k=3")
            for r in (recs or {}).get("items", []):
                if self.api.call(
                    "POST", f"/api/v1/incidents/{cid}/dispatch", {"units": [r["unit_id"]]}
                ):
                    self.tally.dispatched += 1
                    break
        for cid, at in list(self.resolved_at.items()):
            if now - at >= CLOSE_AFTER_S / self.args.warp:
                del self.resolved_at[cid]
                if self.api.call(
                    "POST",
                    f"/api/v1/incidents/{cid}/status",
                    {"status": "closed", "note": "verified (simulated)"},
                ):
                    self.tally.closed += 1

    def move(self, now: float) -> None:
        fixes = []
        stamp = dt.datetime.now(dt.UTC).isoformat()
        for m in self.movers.values():
            if m.task in ("idle", "patrol") and m.arrived(now):
                m.task = "patrol"
                self.world.route(m, None, now)
            elif m.task == "to_case" and m.arrived(now):
                if self.api.call("POST", f"/api/v1/units/{m.id}/status", {"status": "on_scene"}):
                    m.task = "on_scene"
                    m.until = now + self.world.rng.uniform(*self.args.scene) / self.args.warp
                else:  # released meanwhile (the operator cancelled)
                    m.task = "idle"
            elif m.task == "on_scene" and now >= m.until:
                self.leave_scene(m, now)
            elif m.task == "returning" and m.arrived(now):
                self.api.call("POST", f"/api/v1/units/{m.id}/status", {"status": "available"})
                m.task = "idle"
            lat, lng, speed = m.at(now)
            if (lat, lng) != (m.lat, m.lng) or m.task == "to_case":
                m.lat, m.lng = lat, lng
                fixes.append(
                    {
                        "unit": m.id,
                        "lon": round(lng, 7),
                        "lat": round(lat, 7),
                        "time": stamp,
                        "speed": round(min(speed, 60.0), 1),
                    }  # fmt: skip
                )
        for i in range(0, len(fixes), 2000):
            if self.api.call("POST", "/api/v1/units/positions", fixes[i : i + 2000]) is not None:
                self.tally.positions += len(fixes[i : i + 2000])

    def leave_scene(self, m: Mover, now: float) -> None:
        cid = m.incident_id
        case = self.api.call("GET", f"/api/v1/incidents/{cid}") if cid else None
        if case is not None and case["status"] == "on_scene":
            note = {"status": "resolved", "note": "handled on scene (simulated)"}
            if self.api.call("POST", f"/api/v1/incidents/{cid}/status", note):
                self.tally.resolved += 1
                if cid in self.cases:
                    self.resolved_at[cid] = now
        self.api.call("POST", f"/api/v1/units/{m.id}/status", {"status": "returning"})
        m.task, m.incident_id = "returning", None
        self.world.route(m, m.home, now)

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        every = self.args.every
        deadline = time.monotonic() + self.args.minutes * 60 if self.args.minutes else math.inf
        last = time.monotonic()
        while not self.stop and time.monotonic() < deadline:
            now = time.monotonic()
            self.tick(now, now - last)
            last = now
            time.sleep(max(0.0, every - (time.monotonic() - now)))

    def report(self) -> str:
        """SLA compliance of the cases this run opened, from the API."""
        rows = []
        for cid in self.tally.opened:
            r = self.api.call("GET", f"/api/v1/incidents/{cid}")
            if r is not None:
                rows.append(r)
        return sla_report(rows, self.tally, dt.datetime.now(dt.UTC))


def _t(v: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(v) if v else None


def sla_report(rows: list[dict[str, Any]], tally: Tally, now: dt.datetime) -> str:
    """Per clock (respond, arrive, report back, close): cases met / due (those whose clock
    ran out, or stopped, by ``now``)."""
    lines = [
        f"cases opened {len(rows)}, dispatched {tally.dispatched}, resolved {tally.resolved}, "
        f"closed {tally.closed}, positions sent {tally.positions}"
    ]
    for label, due, done in (  # the clocks of geo.incidents.OVERDUE_SQL
        ("respond (claimed)", "respond_due", "claimed_at"),
        ("arrive (on scene)", "arrive_due", "on_scene_at"),
        ("report back", "report_due", "field_report_at"),
        ("close", "close_due", "closed_at"),
    ):
        met = judged = 0
        for r in rows:
            d, f = _t(r.get(due)), _t(r.get(done))
            if d is None or (f is None and d > now):
                continue  # no such clock, or still running
            judged += 1
            met += f is not None and f <= d
        pct = f"{100 * met / judged:.0f}%" if judged else "-"
        lines.append(f"  {label:<24} {met:>4} / {judged:<4} on time  {pct}")
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m data.simulate", description=__doc__.split("\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8050", help="the console")
    p.add_argument("--db", default=os.environ.get("DATABASE_URL"), help="conninfo (DATABASE_URL)")
    p.add_argument("--units", type=int, default=200, help="units that patrol (default 200)")
    p.add_argument("--scale", type=float, default=1.0, help="times the city's case rate")
    p.add_argument("--rate", type=float, default=0, help="cases per hour, flat (not the profile)")
    p.add_argument("--respond", action="store_true", help="units answer their dispatches")
    p.add_argument(
        "--dispatch",
        action="store_true",
        help="an automatic operator dispatches and closes (implies --respond)",
    )
    p.add_argument("--minutes", type=float, default=0, help="stop after this long (0: Ctrl-C)")
    p.add_argument("--every", type=float, default=5.0, help="seconds between position reports")
    p.add_argument(
        "--scene",
        type=float,
        nargs=2,
        default=(60.0, 240.0),
        metavar=("MIN", "MAX"),
        help="seconds a unit stays on scene (default 60 240)",
    )
    p.add_argument("--warp", type=float, default=1.0, help="move and work this much faster")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    a.respond = a.respond or a.dispatch
    if not a.db:
        p.error("say which database holds the city: --db CONNINFO or DATABASE_URL")
    if a.units < 0 or a.scale < 0 or a.rate < 0 or a.every <= 0 or a.warp <= 0:
        p.error("--units and --scale must not be negative, --every and --warp must be positive")
    if not 0 <= a.scene[0] <= a.scene[1]:
        p.error("--scene MIN MAX: 0 <= MIN <= MAX")
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    with psycopg.connect(args.db) as conn:
        world = World(conn, args.seed, args.warp)
        name = f"simulator-{uuid.uuid4().hex[:8]}"
        token = tokens.create(conn=conn, name=name, scopes=SCOPES)
        conn.commit()
    sim = Simulator(Api(args.url, token), world, args)
    signal.signal(signal.SIGTERM, lambda *_: setattr(sim, "stop", True))  # then report, revoke
    sim.load_units()
    per_h = args.rate or sum(world.per_hour) / 24 * args.scale
    print(
        f"simulating {len(sim.movers)} units, about {per_h:.1f} cases/h"
        f"{', responders on' if args.respond else ''}{', operator on' if args.dispatch else ''};"
        " Ctrl-C stops"
    )
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    print(sim.report())
    with psycopg.connect(args.db) as conn:  # the token dies with the run
        tokens.revoke(conn=conn, name=name)
        conn.commit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
