"""cold_start_s: `make run` from an empty var directory to the first served page (report)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.bench._harness import Context, Result

ROOT = Path(__file__).resolve().parents[2]
PORT, PG_PORT = 8071, 5471


def run(ctx: Context) -> list[Result]:
    var = Path(tempfile.mkdtemp(prefix="gd-cold-", dir=ctx.settings.var_dir))
    os.chmod(var, 0o755)
    env = {
        **os.environ,
        "GD_VAR_DIR": str(var),
        "GD_PORT": str(PORT),
        "GD_PG_PORT": str(PG_PORT),
        "GD_DEMO_SIZE": "city",
        "GD_LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    log = (var / "make-run.log").open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    served = None
    try:
        while time.perf_counter() - t0 < 300 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/", timeout=2) as r:
                    if r.status == 200:
                        served = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: stops uvicorn and the embedded cluster
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        text = (var / "make-run.log").read_text(errors="replace")
        clean = "embedded PostgreSQL stopped" in text
        shutil.rmtree(var, ignore_errors=True)
    if served is None:
        raise RuntimeError(f"make run did not serve a page within 300 s:\n{text[-3000:]}")
    return [
        Result(
            "cold_start_s",
            served,
            "s",
            None,
            None,
            {},
            notes=f"make run, empty var dir, city demo; clean Ctrl-C stop: {clean}",
        )
    ]
