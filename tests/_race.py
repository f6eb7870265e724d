"""Concurrent dispatch attempts on a small pool of units (the race test and its benchmark).

:func:`race_city` loads the tiny demo city into an empty database and opens cases;
:func:`run_races` has threads dispatch random sets of pool units to random cases while freeing
units again; :func:`double_assignments` then counts units that were sent twice at once.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from dataclasses import dataclass, field

import psycopg

from geo import intake, units
from geo.db import connect, transaction
from geo.errors import Conflict


@dataclass
class RaceOutcome:
    ok: int = 0  # dispatches that went through
    refused: int = 0  # dispatches refused (Conflict): a unit was already busy
    released: int = 0  # units set available again
    crashes: list[str] = field(default_factory=list)  # any other exception, by thread


def race_city(
    conninfo: str, now: dt.datetime | None = None, pool_size: int = 12, n_cases: int = 20
) -> tuple[list[int], list[int]]:
    """Load the tiny demo city (seed 3) into the empty database ``conninfo``; the ids of
    ``pool_size`` available units and of ``n_cases`` new red cases at one spot."""
    from data.demo import generate
    from data.demo.load import load

    with connect(conninfo) as conn:
        load(conn, generate("tiny", 3, now))
        pool = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM units WHERE status = 'available' ORDER BY id LIMIT %(n)s",
                {"n": pool_size},
            )
        ]
        spot = conn.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c "
            "FROM grids ORDER BY id LIMIT 1) x"
        ).fetchone()
        assert spot is not None
        cases = []
        for _ in range(n_cases):
            with transaction(conn, "operator:setup") as c:
                cases.append(
                    intake.open_case(
                        conn=c,
                        report=intake.Report(lon=spot[0], lat=spot[1], category="theft",
                                             priority="red", source="operator"),
                        boundary_m=30,
                    )[0]["id"]  # fmt: skip
                )
    return pool, cases


def run_races(
    conninfo: str, pool: list[int], cases: list[int], attempts: int = 1000, threads: int = 8
) -> RaceOutcome:
    """``attempts // threads`` dispatch attempts per thread, each of 1-3 pool units to a
    random case; after half of them a random pool unit is set available again."""
    outcome = RaceOutcome()
    lock = threading.Lock()

    def race(seed: int) -> None:
        rng = random.Random(seed)
        with connect(conninfo) as c:
            for _ in range(attempts // threads):
                picked = rng.sample(pool, rng.randint(1, 3))
                try:
                    with transaction(c, f"operator:{seed}") as tx:
                        units.dispatch(conn=tx, incident_id=rng.choice(cases), unit_ids=picked)
                    ok = True
                except Conflict:
                    ok = False
                with lock:
                    if ok:
                        outcome.ok += 1
                    else:
                        outcome.refused += 1
                if rng.random() < 0.5:  # free a unit again so the races go on
                    u = rng.choice(pool)
                    try:
                        with transaction(c, f"responder:{seed}") as tx:
                            units.set_status(conn=tx, unit_id=u, target="available")
                        with lock:
                            outcome.released += 1
                    except Conflict:
                        pass

    def worker(seed: int) -> None:
        try:
            race(seed)
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            with lock:
                outcome.crashes.append(repr(exc))

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return outcome


def double_assignments(conn: psycopg.Connection) -> int:
    """Pairs of dispatches of one unit whose open periods overlap."""
    row = conn.execute(
        "SELECT count(*) FROM dispatches a JOIN dispatches b ON a.unit_id = b.unit_id "
        "AND a.id < b.id AND tstzrange(a.dispatched_at, coalesce(a.released_at, 'infinity'), '[)')"
        " && tstzrange(b.dispatched_at, coalesce(b.released_at, 'infinity'), '[)')"
    ).fetchone()
    assert row is not None
    return int(row[0])


def busy_without_dispatch(conn: psycopg.Connection, pool: list[int]) -> int:
    """Pool units marked dispatched that have no open dispatch."""
    row = conn.execute(
        "SELECT count(*) FROM units u WHERE id = ANY(%(pool)s) AND status = 'dispatched' "
        "AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.unit_id = u.id "
        "AND d.released_at IS NULL)",
        {"pool": pool},
    ).fetchone()
    assert row is not None
    return int(row[0])
