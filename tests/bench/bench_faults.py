"""The console under failure (tests/bench/faults.py, faults_restart.py and faults_db.py):
``acked_lost`` and ``positions_stored_twice`` over ``GD_FAULT_KILLS`` (default 100) kill -9s
of the console during intake and tracker batches, ``db_recover_s`` for PostgreSQL restarted in
the middle of the load test, ``db_recover_after_kill9_s`` (the postmaster killed under the
supervised console), ``reconnect_after_outage_s`` (a 45 s outage) and
``first_recommend_after_start_ms``. Alone: ``make faults``."""

from __future__ import annotations

from tests.bench import faults, faults_db, faults_restart
from tests.bench._harness import Context, Result

NAMES = (
    "acked_lost",
    "positions_stored_twice",
    "db_recover_s",
    "db_recover_after_kill9_s",
    "reconnect_after_outage_s",
    "first_recommend_after_start_ms",
)
QUICK = False


def run(ctx: Context) -> list[Result]:
    return [*faults.kill9(ctx), *faults_restart.run(ctx), *faults_db.run(ctx)]
