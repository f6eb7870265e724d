"""``python -m tests.bench [name ...]``: run the benchmarks and merge their results."""

from __future__ import annotations

import importlib
import logging
import sys
import time
from pathlib import Path

from tests.bench._harness import Result, close, make_context, merge_results


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    here = Path(__file__).parent
    modules = sorted(p.stem for p in here.glob("bench_*.py"))
    wanted = [m for m in modules if not argv or any(a in m for a in argv)]
    if not wanted:
        print(f"no benchmark matches {argv}; have {modules}", file=sys.stderr)
        return 2
    ctx = make_context("city")
    results: list[Result] = []
    try:
        for name in wanted:
            mod = importlib.import_module(f"tests.bench.{name}")
            t0 = time.perf_counter()
            got = mod.run(ctx)
            print(f"[{name}] {time.perf_counter() - t0:.1f} s", flush=True)
            results.extend(got)
            merge_results(ctx.settings, got)  # keep what finished even if a later one crashes
    finally:
        close(ctx)
    print()
    print(f"{'benchmark':28} {'value':>14} {'unit':10} {'target':34} result   baselines")
    for r in results:
        verdict = "report" if r.meets_target is None else ("met" if r.meets_target else "MISSED")
        base = ", ".join(f"{k}={_fmt(v)}" for k, v in r.baselines.items())
        print(
            f"{r.name:28} {_fmt(r.value):>14} {r.unit:10} {r.target or '-':34} {verdict:8} {base}"
        )
        if r.notes:
            print(f"{'':28} {r.notes}")
    path = merge_results(ctx.settings, results)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
