"""1,000 concurrent dispatch attempts on a small pool of units: no unit is ever sent twice."""

from __future__ import annotations

from geo.db import connect
from tests._race import busy_without_dispatch, double_assignments, race_city, run_races
from tests.conftest import TEST_NOW, fresh_database

ATTEMPTS, THREADS, POOL = 1000, 8, 12


def test_no_double_dispatch_under_races(cluster) -> None:  # type: ignore[no-untyped-def]
    conninfo = fresh_database(cluster, "gd_race_test")
    pool, cases = race_city(conninfo, TEST_NOW, pool_size=POOL, n_cases=20)
    outcome = run_races(conninfo, pool, cases, attempts=ATTEMPTS, threads=THREADS)
    with connect(conninfo) as conn:
        doubles = double_assignments(conn)
        busy = busy_without_dispatch(conn, pool)
    print(f"dispatch races: {outcome}, double assignments: {doubles}")
    assert outcome.crashes == []
    assert outcome.ok + outcome.refused == (ATTEMPTS // THREADS) * THREADS
    assert outcome.ok > 50 and outcome.refused > 50  # there really were races
    assert doubles == 0
    assert busy == 0
