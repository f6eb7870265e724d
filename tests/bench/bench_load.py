"""50 signed-in operators and 5,000 tracker fixes a second on one console
(tests/bench/load.py), for ``GD_LOAD_S`` seconds (default 120) after a warm-up. Alone:
``make load`` (``make load LOAD_S=60`` for a shorter run)."""

from __future__ import annotations

import os

from tests.bench import load
from tests.bench._harness import Context, Result

NAMES = ("load_p95_ms", "load_errors", "double_dispatches_under_load")
QUICK = False


def run(ctx: Context) -> list[Result]:
    return load.run(ctx, float(os.environ.get("GD_LOAD_S", "120")))
