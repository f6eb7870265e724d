"""``make run`` (``python -m console run``) beside a running console, as an operator of the
server would meet it: a second console refuses to start and stops nothing, and a console
stops the embedded PostgreSQL only if it started it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.conftest import free_port
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]


def _env(port: int) -> dict[str, str]:
    """The embedded cluster's console (no DATABASE_URL) on ``port``, on a database of its own."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return {**env, "GD_PORT": str(port), "GD_DB_NAME": "gd_run_test", "GD_DEMO_SIZE": "tiny",
            "GD_LOG_LEVEL": "WARNING"}  # fmt: skip


def _start(port: int, out: int, **env: str) -> subprocess.Popen[str]:
    """``python -m console run`` on ``port``, returned once its /healthz answers (the tiny
    demo city is loaded first); its output goes to ``out``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "console", "run"], cwd=ROOT, env={**_env(port), **env},
        stdout=out, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the console did not start")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)


def test_a_second_console_refuses_and_stops_nothing(cluster) -> None:  # type: ignore[no-untyped-def]
    if cluster is None:
        pytest.skip("needs the embedded cluster")
    with socket.socket() as busy:  # the running console's port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "console", "run"], cwd=ROOT, env=_env(port),
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert r.returncode == 2, r.stdout + r.stderr
    assert "already in use" in r.stderr and "Nothing was started or stopped" in r.stderr
    assert cluster.running()


def test_a_console_leaves_running_a_cluster_it_did_not_start(cluster) -> None:  # type: ignore[no-untyped-def]
    if cluster is None:
        pytest.skip("needs the embedded cluster")
    assert cluster.running()
    fresh_database(cluster, "gd_run_test")
    proc = _start(free_port(), subprocess.PIPE)
    try:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "left running" in out and "embedded PostgreSQL stopped" not in out, out
    assert cluster.running()


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_workers_die_with_the_console(cluster) -> None:  # type: ignore[no-untyped-def]
    """``kill -9`` of a console with two workers: the workers end too and free the port."""
    if cluster is None:
        pytest.skip("needs the embedded cluster")
    fresh_database(cluster, "gd_run_test")
    port = free_port()
    proc = _start(port, subprocess.DEVNULL, GD_WORKERS="2")
    try:
        workers = [p for p in _children(proc.pid) if _alive(p)]
        assert len(workers) >= 2, workers  # uvicorn's two workers (and its resource tracker)
        proc.kill()  # kill -9 of the console's main process
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in workers if _alive(p)], "workers outlived the console"
    finally:
        if proc.poll() is None:
            proc.kill()
    with socket.socket() as s:  # the port is free again: a restart can bind it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    assert cluster.running()


def test_the_embedded_postgresql_is_restarted_when_it_dies() -> None:
    """kill -9 of the postmaster under a running console (a cluster of its own, so the other
    tests' connections live on): the console starts it again by itself, writes are acknowledged
    again without anyone touching anything, and the restart is in the audit trail. Ctrl-C
    then stops the cluster (the watchdog does not start it again)."""
    import json

    import psycopg

    from geo.access import tokens
    from geo.db import EmbeddedCluster

    pg_port = free_port()
    var = Path(tempfile.mkdtemp(prefix="gd-watchdog-"))  # the postgres user must enter it
    var.chmod(0o755)
    port = free_port()
    proc = _start(port, subprocess.PIPE, GD_VAR_DIR=str(var), GD_PG_PORT=str(pg_port))
    cluster = EmbeddedCluster(var / "pg", Path("/usr/lib/postgresql/15/bin"), pg_port)
    conninfo = cluster.conninfo("gd_run_test")
    try:
        with psycopg.connect(conninfo) as c:
            secret = tokens.create(conn=c, name="watchdog", scopes=["incidents:write"])
            lon, lat = c.execute(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "WHERE valid_to IS NULL LIMIT 1) g"
            ).fetchone()  # type: ignore[misc]

        def write(n: int) -> int:
            body = json.dumps({"lon": lon, "lat": lat, "category": "noise", "priority": "blue",
                               "source": "hotline_12345", "description": f"drill {n}"}).encode()
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/incidents", data=body, method="POST",
                headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
                         "Idempotency-Key": f"drill-{n}"},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status
            except urllib.error.HTTPError as exc:
                return exc.code
            except OSError:
                return 0

        assert write(0) == 201
        pid = int((cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, signal.SIGKILL)
        deadline, n, answers = time.monotonic() + 90, 0, []
        while time.monotonic() < deadline:
            n += 1
            answers.append(write(n))
            if answers[-1] == 201:
                break
            time.sleep(0.2)
        assert answers[-1] == 201, f"writes never came back: {answers[-10:]}"
        assert 503 in answers or 0 in answers or len(answers) == 1
        with psycopg.connect(conninfo) as c:
            row = c.execute(
                "SELECT actor, after FROM audit_log WHERE entity = 'database' "
                "AND action = 'restarted' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert row is not None and row[0] == "system:supervisor", row
        assert row[1]["down_s"] >= 0 and row[1]["back_at"] > row[1]["down_at"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=90)
    assert "embedded PostgreSQL stopped" in out, out
    assert not cluster.running()
    shutil.rmtree(var, ignore_errors=True)
