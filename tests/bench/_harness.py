"""Benchmark harness: a city-scale database, timing helpers, and the results file.

Each ``tests/bench/bench_*.py`` has ``run(ctx) -> list[Result]``. Results are merged by name
into ``<var>/bench/results.json``: a list of
``{"name", "value", "unit", "target", "meets_target", "baselines": {name: value}}``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from console import settings as settings_mod
from console.settings import Settings
from geo.db import EmbeddedCluster, connect, migrate

BENCH_DB = "griddispatch_bench"


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str | None = None  # e.g. ">= 1000000 and >= 2x geopandas_sjoin"; None: report only
    meets_target: bool | None = None
    baselines: dict[str, float] = field(default_factory=dict)
    notes: str = ""

    def __post_init__(self) -> None:  # numpy scalars -> plain JSON types
        self.value = float(self.value)
        if self.meets_target is not None:
            self.meets_target = bool(self.meets_target)
        self.baselines = {k: float(v) for k, v in self.baselines.items()}


@dataclass
class Context:
    settings: Settings
    cluster: EmbeddedCluster | None
    conninfo: str
    size: str
    seed: int
    started_cluster: bool = False  # the harness started it, so it stops it (close)


def best_of(fn: Callable[[], Any], runs: int = 3, warmup: int = 1) -> tuple[float, Any]:
    """Best wall time in seconds over ``runs`` after ``warmup`` runs, and the last result."""
    out = None
    for _ in range(warmup):
        out = fn()
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def make_context(size: str = "city") -> Context:
    """A database holding the demo city of ``size`` (reused when it already does)."""
    settings = settings_mod.load()
    seed = settings.demo_seed
    cluster = EmbeddedCluster(settings.var_dir / "pg", settings.pg_bindir, settings.pg_port)
    started = not cluster.running()
    cluster.start()
    cluster.ensure_database(BENCH_DB)
    conninfo = cluster.conninfo(BENCH_DB)
    with connect(conninfo) as conn:
        migrate(conn)
        conn.commit()
        row = conn.execute("SELECT value FROM dataset_info WHERE key = 'demo'").fetchone()
        if not row or row[0].get("size") != size or row[0].get("seed") != seed:
            from data.demo import generate
            from data.demo.load import load

            print(f"loading the {size} demo city into {BENCH_DB} ...", flush=True)
            load(conn, generate(size, seed), replace=True)
    return Context(settings, cluster, conninfo, size, seed, started)


def close(ctx: Context) -> None:
    """Stop the embedded cluster if :func:`make_context` started it."""
    if ctx.cluster is not None and ctx.started_cluster:
        ctx.cluster.stop()


def results_path(settings: Settings) -> Path:
    return settings.var_dir / "bench" / "results.json"


def merge_results(settings: Settings, results: list[Result]) -> Path:
    path = results_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    old: list[dict[str, Any]] = json.loads(path.read_text()) if path.exists() else []
    new = {r.name: asdict(r) for r in results}
    merged = [new.pop(o["name"], o) for o in old] + list(new.values())
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")
    return path
