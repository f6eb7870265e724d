"""Benchmark harness: a known city-scale database for every module, timing helpers, and the
stamped results of each run.

Each ``tests/bench/bench_*.py`` declares ``NAMES`` (the figures it must return), ``QUICK``
(whether ``make bench QUICK=1`` runs it) and ``run(ctx) -> list[Result]``.

Known state: the demo city is loaded once per run into a template database; before each
module the bench database is dropped and copied afresh from it, so no module measures what an
earlier one left behind (units dispatched by the load test, cases closed by the live test).

Results: each run writes ``<var>/bench/runs/<UTC time>-<commit>.json`` (the run's stamp, its
modules with their time and outcome, and its rows; every row carries the commit, the UTC
time, the machine and the scale). A complete run (every module, none failed) is also copied
to ``<var>/bench/results.json``. Nothing of an older run is merged in.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from console import settings as settings_mod
from console.settings import Settings
from geo.db import EmbeddedCluster, connect, migrate

BENCH_DB = "griddispatch_bench"
TEMPLATE_DB = "griddispatch_bench_seed"
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Timing:
    """Median, min and max of ``n`` repeats (in the unit the caller chose)."""

    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float], scale: float = 1.0) -> Timing:
        if not samples:
            raise ValueError("no samples to time")
        xs = [float(s) * scale for s in samples]
        return cls(statistics.median(xs), min(xs), max(xs), len(xs))

    def spread(self) -> dict[str, float]:
        return {"min": self.min, "max": self.max, "n": float(self.n)}

    def text(self, fmt: str = ".3g") -> str:
        m, lo, hi = (format(v, fmt) for v in (self.median, self.min, self.max))
        return f"median {m} (min {lo}, max {hi}, n {self.n})"


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str | None = None  # e.g. ">= 1000000 and >= 2x geopandas_sjoin"; None: report only
    meets_target: bool | None = None
    baselines: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    spread: dict[str, float] | None = None  # min, max, n of a timing quoted as its median

    def __post_init__(self) -> None:  # numpy scalars -> plain JSON types
        self.value = float(self.value)
        if self.meets_target is not None:
            self.meets_target = bool(self.meets_target)
        self.baselines = {k: float(v) for k, v in self.baselines.items()}
        if self.spread is not None:
            self.spread = {k: float(v) for k, v in self.spread.items()}


@dataclass
class Context:
    settings: Settings
    cluster: EmbeddedCluster | None
    conninfo: str
    size: str
    seed: int
    started_cluster: bool = False  # the harness started it, so it stops it (close)
    scale: dict[str, Any] = field(default_factory=dict)


def timed(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1,
          scale: float = 1.0) -> tuple[Timing, Any]:  # fmt: skip
    """Wall time of ``fn`` over ``repeats`` runs after ``warmup`` runs (seconds times
    ``scale``), and the last result."""
    out = None
    for _ in range(warmup):
        out = fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        samples.append(time.perf_counter() - t0)
    return Timing.of(samples, scale), out


# ---------------------------------------------------------------------------------- the stamp
def commit() -> tuple[str, bool]:
    """HEAD's commit and whether tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S603 - git, our arguments
                              check=False).stdout.strip()  # fmt: skip

    head = git("rev-parse", "HEAD") or "unknown"
    return head, bool(git("status", "--porcelain", "--untracked-files=no"))


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory, OS and Python of this machine."""
    cpu = platform.processor() or platform.machine()
    mem_gib = 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": mem_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- the database
def make_context(size: str = "city", fresh: bool = True) -> Context:
    """The template database holds the demo city of ``size`` (loaded afresh when ``fresh``,
    or when it holds another city); the bench database is a copy of it."""
    settings = settings_mod.load()
    cluster = EmbeddedCluster(settings.var_dir / "pg", settings.pg_bindir, settings.pg_port)
    started = not cluster.running()
    cluster.start()
    scale = ensure_template(cluster, TEMPLATE_DB, size, settings.demo_seed, fresh)
    ctx = Context(settings, cluster, cluster.conninfo(BENCH_DB), size, settings.demo_seed,
                  started, scale)  # fmt: skip
    reset(ctx)
    return ctx


def ensure_template(
    cluster: EmbeddedCluster, name: str, size: str, seed: int, fresh: bool = False
) -> dict[str, Any]:
    """Database ``name`` holds the demo city of ``size`` and ``seed``, migrated (loaded
    afresh when ``fresh``, after a new migration, or when it holds another city); what it
    holds."""
    cluster.ensure_database(name)
    with connect(cluster.conninfo(name)) as conn:
        fresh |= bool(migrate(conn))  # a new migration: the template's city is reloaded
        conn.commit()
        row = conn.execute("SELECT value FROM dataset_info WHERE key = 'demo'").fetchone()
        if fresh or not row or row[0].get("size") != size or row[0].get("seed") != seed:
            from data.demo import generate
            from data.demo.load import load

            print(f"loading the {size} demo city into {name} ...", flush=True)
            load(conn, generate(size, seed), replace=True)
            conn.execute("ANALYZE")
            conn.commit()
        return _scale(conn, size, seed)


def _scale(conn: Any, size: str, seed: int) -> dict[str, Any]:
    """What the bench city holds."""
    row = conn.execute(
        "SELECT (SELECT value->>'now' FROM dataset_info WHERE key = 'demo'), "
        "(SELECT count(*) FROM grids WHERE valid_to IS NULL), (SELECT count(*) FROM units), "
        "(SELECT count(*) FROM platforms), (SELECT count(*) FROM incidents), "
        "(SELECT count(*) FROM incidents WHERE status NOT IN ('resolved', 'closed'))"
    ).fetchone()
    keys = ("demo_now", "grids", "units", "platforms", "incidents", "open_incidents")
    return {"size": size, "seed": seed, **dict(zip(keys, row, strict=True))}


def reset(ctx: Context) -> None:
    """The bench database, copied afresh from the template (the known state of every module)."""
    assert ctx.cluster is not None
    copy_database(ctx.cluster, TEMPLATE_DB, BENCH_DB)


def copy_database(cluster: EmbeddedCluster, template: str, name: str) -> None:
    """Database ``name`` dropped and made again as a copy of ``template``."""
    import psycopg

    with psycopg.connect(cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))  # fmt: skip
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)))  # fmt: skip


def close(ctx: Context) -> None:
    """Stop the embedded cluster if :func:`make_context` started it."""
    if ctx.cluster is not None and ctx.started_cluster:
        ctx.cluster.stop()


# ------------------------------------------------------------------------------ the results
def bench_dir(settings: Settings) -> Path:
    return settings.var_dir / "bench"


def results_path(settings: Settings) -> Path:
    return bench_dir(settings) / "results.json"


@dataclass
class Run:
    """One run of the benchmarks: its stamp, its modules and their rows."""

    commit: str
    dirty: bool
    started_utc: str
    machine: dict[str, Any]
    scale: dict[str, Any]
    quick: bool
    modules: list[dict[str, Any]] = field(default_factory=list)  # name, seconds, ok, error
    results: list[dict[str, Any]] = field(default_factory=list)
    finished_utc: str | None = None
    complete: bool = False

    @classmethod
    def start(cls, ctx: Context, quick: bool) -> Run:
        head, dirty = commit()
        return cls(head, dirty, utc_now(), machine(), ctx.scale, quick)

    def add(self, module: str, seconds: float, rows: list[Result], error: str | None) -> None:
        self.modules.append(
            {"name": module, "seconds": round(seconds, 1), "ok": error is None, "error": error}
        )
        stamp = {"module": module, "commit": self.commit, "dirty": self.dirty, "utc": utc_now(),
                 "machine": self.machine, "scale": self.scale}  # fmt: skip
        self.results.extend({**asdict(r), **stamp} for r in rows)

    @property
    def failures(self) -> list[str]:
        return [m["name"] for m in self.modules if not m["ok"]]

    def path(self, settings: Settings) -> Path:
        stamp = self.started_utc.replace(":", "").replace("-", "")
        return bench_dir(settings) / "runs" / f"{stamp}-{self.commit[:10]}.json"

    def save(self, settings: Settings) -> Path:
        """Write this run's own file (again after every module, so a crash keeps what
        finished); a complete run is copied to results.json."""
        path = self.path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n")
        if self.complete:
            shutil.copyfile(path, results_path(settings))
        return path


def load_run(path: Path) -> dict[str, Any]:
    """A run file (or results.json) as written by :meth:`Run.save`."""
    data: dict[str, Any] = json.loads(path.read_text())
    if not isinstance(data, dict) or "results" not in data:
        raise ValueError(f"{path} is not a run file of this harness (an older format?)")
    return data
