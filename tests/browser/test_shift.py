"""A compressed day shift in real Chromium, on a database of its own: three operator desks
(zh-CN, 1366x768) take the new cases the 12345 hotline and the 110 feed open through the API
(with a fire reported by four callers), claim them (two desks race for every fifth one), send
the response plan of a red case or the first recommended unit otherwise, and resolve and
close their cases while the simulator drives the units. ``tests/bench/bench_shift.py`` runs
the same shift on the city for its figures; here only the invariants are asserted (no time
thresholds):

- every new case reached the top band (待签收) on every desk;
- no unit is ever busy on a resolved or closed case;
- no case is claimed twice, and no desk is told it won a race it lost;
- every red case whose plan was complete on the desk when it was sent got the whole plan;
- every clock a desk shows (the selected card's, the queue cards') is the database's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench.bench_shift import run_shift, start_console, stop, summary
from tests.conftest import fresh_database

SHIFT_S = 100.0  # the eight hours in 100 s
SEED = 7


@pytest.fixture(scope="module")
def day_db(cluster, tiny_city, request: pytest.FixtureRequest) -> str:  # type: ignore[no-untyped-def]
    """A database of its own: the shift opens and closes cases and moves units for good.
    With an external test database (GD_TEST_DATABASE_URL) there is only the one."""
    if cluster is None:
        return str(request.getfixturevalue("db_conninfo"))
    from data.demo.load import load
    from geo.db import connect

    conninfo = fresh_database(cluster, "griddispatch_test_dayshift")
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    return conninfo


@pytest.fixture(scope="module")
def day_console(
    day_db: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The console of the shift (its escalation runner every few seconds) and its log."""
    log = tmp_path_factory.mktemp("dayshift") / "console.log"
    proc, url = start_console(day_db, log)
    try:
        yield url, log
    finally:
        stop(proc, timeout=15)


def test_a_compressed_day_shift(  # type: ignore[no-untyped-def]
    browser, day_db: str, day_console: tuple[str, Path], tmp_path: Path
) -> None:
    url, console_log = day_console
    out = run_shift(browser, url, day_db, SHIFT_S, seed=SEED, logs=tmp_path,
                    console_log=console_log)  # fmt: skip
    print(summary(out))
    assert not out.feed_errors, out.feed_errors
    assert out.opened == out.reports >= 20
    # Every new case reached the top band on every desk.
    assert not out.missed, f"never shown in the new band: {out.missed}"
    assert len(out.latencies_ms) == out.opened * 3
    # The desks worked the shift: cases went out, plans among them, races were run.
    sent = sum(d.get("dispatched", 0) for d in out.desks.values())
    assert sent >= out.opened // 2, out.desks
    assert out.races >= 1 and out.races + out.races_late >= 2, out.desks
    assert out.red_sent >= 1
    # No unit busy on a settled case, ever.
    assert out.busy_samples >= SHIFT_S / 4
    assert out.busy_max == 0, out.busy_detail
    # Nobody claimed a case twice, and each race had exactly one winner.
    assert out.double_claims == 0, out.double_detail
    assert out.races_one_winner == out.races
    # A plan complete on the desk when sent went out whole.
    if out.plans_eligible:
        assert out.plans_covered == out.plans_eligible, out.plans_short
    # The clocks the desks show are the database's.
    assert out.clock_checked > 100
    assert not out.clock_errors, out.clock_errors
