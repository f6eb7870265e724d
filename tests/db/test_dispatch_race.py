"""1,000 concurrent dispatch attempts on a small pool of units: no unit is ever sent twice."""

from __future__ import annotations

import random
import threading

import psycopg

from geo import incidents, units
from geo.db import connect, transaction
from geo.errors import Conflict
from tests.conftest import TEST_NOW, fresh_database

ATTEMPTS, THREADS, POOL = 1000, 8, 12


def double_assignments(conn: psycopg.Connection) -> int:
    """Pairs of dispatches of one unit whose open periods overlap."""
    row = conn.execute(
        "SELECT count(*) FROM dispatches a JOIN dispatches b ON a.unit_id = b.unit_id "
        "AND a.id < b.id AND tstzrange(a.dispatched_at, coalesce(a.released_at, 'infinity'), '[)')"
        " && tstzrange(b.dispatched_at, coalesce(b.released_at, 'infinity'), '[)')"
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_no_double_dispatch_under_races(cluster) -> None:  # type: ignore[no-untyped-def]
    from data.demo import generate
    from data.demo.load import load

    conninfo = fresh_database(cluster, "gd_race_test")
    with connect(conninfo) as conn:
        load(conn, generate("tiny", 3, TEST_NOW))
        pool = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM units WHERE status = 'available' ORDER BY id LIMIT %(n)s",
                {"n": POOL},
            )
        ]
        spot = conn.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) c "
            "FROM grids ORDER BY id LIMIT 1) x"
        ).fetchone()
        assert spot is not None
        cases = []
        for _ in range(20):
            with transaction(conn, "operator:setup") as c:
                cases.append(
                    incidents.create(
                        conn=c,
                        lon=spot[0],
                        lat=spot[1],
                        category="theft",
                        priority="red",
                        source="operator",
                    )["id"]
                )
    outcome = {"ok": 0, "refused": 0, "released": 0}
    crashes: list[str] = []
    lock = threading.Lock()

    def worker(seed: int) -> None:
        try:
            run(seed)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            crashes.append(repr(exc))

    def run(seed: int) -> None:
        rng = random.Random(seed)
        with connect(conninfo) as c:
            for _ in range(ATTEMPTS // THREADS):
                picked = rng.sample(pool, rng.randint(1, 3))
                try:
                    with transaction(c, f"operator:{seed}") as tx:
                        units.dispatch(conn=tx, incident_id=rng.choice(cases), unit_ids=picked)
                    key = "ok"
                except Conflict:
                    key = "refused"
                with lock:
                    outcome[key] += 1
                if rng.random() < 0.5:  # free a unit again so the races go on
                    u = rng.choice(pool)
                    try:
                        with transaction(c, f"responder:{seed}") as tx:
                            units.set_status(conn=tx, unit_id=u, target="available")
                        with lock:
                            outcome["released"] += 1
                    except Conflict:
                        pass

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connect(conninfo) as conn:
        doubles = double_assignments(conn)
        busy_without_dispatch = conn.execute(
            "SELECT count(*) FROM units u WHERE id = ANY(%(pool)s) AND status = 'dispatched' "
            "AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.unit_id = u.id "
            "AND d.released_at IS NULL)",
            {"pool": pool},
        ).fetchone()
    print(f"dispatch races: {outcome}, double assignments: {doubles}")
    assert crashes == []
    assert outcome["ok"] + outcome["refused"] == (ATTEMPTS // THREADS) * THREADS
    assert outcome["ok"] > 50 and outcome["refused"] > 50  # there really were races
    assert doubles == 0
    assert busy_without_dispatch == (0,)
