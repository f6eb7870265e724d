"""``python -m tests.bench [--quick] [name ...]``: run the benchmarks, each module on a fresh
copy of the bench city; ``python -m tests.bench readme``: write the README's figures table
from ``results.json`` (the latest complete run).

A module that fails is reported and the others still run; the exit status is then 1 and the
failures are named. Only a run of every module with no failure is complete, and only a
complete run becomes ``results.json``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

from tests.bench import _report
from tests.bench._harness import Result, Run, close, make_context, reset, results_path

HERE = Path(__file__).parent


def modules() -> list[ModuleType]:
    """Every ``bench_*`` module, in the order they run."""
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [importlib.import_module(f"tests.bench.{n}") for n in names]


def _run_module(mod: ModuleType, ctx: object) -> tuple[list[Result], str | None]:
    """The module's rows and its error (None when it returned every figure it names)."""
    try:
        rows: list[Result] = mod.run(ctx)
    except Exception as exc:  # noqa: BLE001 - reported, and the other modules still run
        traceback.print_exc()
        return [], f"{type(exc).__name__}: {str(exc)[:500]}"
    got = [r.name for r in rows]
    missing = [n for n in mod.NAMES if n not in got]
    extra = [n for n in got if n not in mod.NAMES]
    if missing or extra:
        return rows, f"figures missing {missing}, not declared {extra}"
    return rows, None


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    if argv[:1] == ["readme"]:
        from console import settings as settings_mod

        return _report.write_readme(results_path(settings_mod.load()))
    ap = argparse.ArgumentParser(prog="python -m tests.bench")
    ap.add_argument("--quick", action="store_true", help="the representative subset (QUICK)")
    ap.add_argument("names", nargs="*", help="run only modules whose name contains one of these")
    args = ap.parse_args(argv)
    every = modules()
    wanted = [m for m in every if (not args.quick or m.QUICK)
              and (not args.names or any(a in m.__name__ for a in args.names))]  # fmt: skip
    if not wanted:
        print(f"no benchmark matches {args.names}; have {[m.__name__ for m in every]}",
              file=sys.stderr)  # fmt: skip
        return 2
    whole = len(wanted) == len(every)
    t_run = time.perf_counter()
    ctx = make_context("city", fresh=whole)
    run = Run.start(ctx, quick=not whole)
    try:
        for i, mod in enumerate(wanted):
            name = mod.__name__.rsplit(".", 1)[-1].removeprefix("bench_")
            if i:
                reset(ctx)
            print(f"[{name}] ...", flush=True)
            t0 = time.perf_counter()
            rows, error = _run_module(mod, ctx)
            seconds = time.perf_counter() - t0
            print(f"[{name}] {seconds:.1f} s{'' if error is None else ': FAILED ' + error}",
                  flush=True)  # fmt: skip
            run.add(name, seconds, rows, error)
            run.save(ctx.settings)  # what finished is kept even if a later module crashes
    finally:
        close(ctx)
    run.finished_utc = _report.utc_now()
    run.complete = whole and not run.failures
    path = run.save(ctx.settings)
    print()
    print(_report.console_table(run.results))
    took = time.perf_counter() - t_run
    print(
        f"\n{len(run.modules)} modules in {took:.0f} s at {run.commit[:10]}"
        f"{' (uncommitted changes)' if run.dirty else ''}; run file: {path}"
    )
    if run.complete:
        print(f"complete: copied to {results_path(ctx.settings)}")
    if run.failures:
        print(f"FAILED: {', '.join(run.failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
