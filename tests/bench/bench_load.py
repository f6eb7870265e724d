"""50 signed-in operators and 5,000 tracker fixes a second on one console
(tests/bench/load.py), for ``GD_LOAD_S`` seconds (default 120) after a warm-up. Alone:
``make load`` (``make load LOAD_S=60`` for a shorter run).

``load_selections_per_s_2_workers``: what the machine can serve: 8 operators who never pause
open cases (case file, five nearest units, routes) on a console with 2 workers, for
CAPACITY_S seconds after a warm-up; baseline: the same with 1 worker (report)."""

from __future__ import annotations

import os

from tests.bench import load
from tests.bench._harness import Context, Result

NAMES = ("load_p95_ms", "load_errors", "double_dispatches_under_load",
         "load_selections_per_s_2_workers")  # fmt: skip
CAPACITY_S = 45.0
QUICK = False


def run(ctx: Context) -> list[Result]:
    rows = load.run(ctx, float(os.environ.get("GD_LOAD_S", "120")))
    one, two = (load.capacity(ctx, w, CAPACITY_S) for w in (1, 2))
    rows.append(Result(
        "load_selections_per_s_2_workers", two, "per s", None, None,
        {"one_worker_per_s": one, "ratio_2_to_1": two / one},
        f"8 operators with no pause opening cases for {CAPACITY_S:.0f} s; client and console "
        f"share the machine's {os.cpu_count()} cores"))  # fmt: skip
    return rows
