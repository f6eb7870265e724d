"""The console under failure (tests/bench/faults.py and faults_restart.py): ``acked_lost``
over ``GD_FAULT_KILLS`` (default 100) kill -9s of the console during intake, and
``db_recover_s`` for PostgreSQL restarted in the middle of the load test. Alone:
``make faults``."""

from __future__ import annotations

from tests.bench import faults, faults_restart
from tests.bench._harness import Context, Result

NAMES = ("acked_lost", "db_recover_s")
QUICK = False


def run(ctx: Context) -> list[Result]:
    return [*faults.kill9(ctx), *faults_restart.run(ctx)]
