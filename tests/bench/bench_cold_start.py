"""cold_start_s: `make run` from an empty var directory (new cluster, migrations, the city
demo loaded, demo users made) to an operator signed in with the demo password that `make run`
wrote, and served the dispatch desk (report). Baseline ``login_page_s``: to the sign-in form."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.bench._harness import Context, Result

NAMES = ("cold_start_s",)
QUICK = False

ROOT = Path(__file__).resolve().parents[2]
PORT, PG_PORT = 8071, 5471


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _desk(users: Path) -> None:
    """Sign in as the demo operator with the password `make run` wrote, then load the desk."""
    password = next(line.split("\t")[2] for line in users.read_text().splitlines()
                    if line.startswith("operator\t"))  # fmt: skip
    form = urllib.parse.urlencode({"username": "operator", "password": password,
                                   "next": "/dispatch"}).encode()  # fmt: skip
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(f"http://127.0.0.1:{PORT}/login", data=form, timeout=60)
        raise RuntimeError("the sign-in form did not redirect")
    except urllib.error.HTTPError as e:  # the 303 to /dispatch, with the cookie
        if e.code != 303 or e.headers["Location"] != "/dispatch":
            raise RuntimeError(f"sign-in failed: HTTP {e.code} {e.read()[:300]!r}") from None
        cookie = e.headers["Set-Cookie"].split(";", 1)[0]
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/dispatch", headers={"Cookie": cookie})
    with opener.open(req, timeout=60) as r:
        page = r.read().decode()
    if r.status != 200 or "_dash-config" not in page:
        raise RuntimeError(f"/dispatch after sign-in: HTTP {r.status} {page[:300]}")


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
    served = login = None
    try:
        while time.perf_counter() - t0 < 300 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login", timeout=2) as r:
                    if r.status == 200:
                        login = time.perf_counter() - t0
                        break
            except OSError:
                time.sleep(0.2)
        if login is not None:
            _desk(var / "demo-users.txt")
            served = time.perf_counter() - t0
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
        raise RuntimeError(f"make run did not serve the sign-in page within 300 s:\n{text[-3000:]}")
    return [
        Result(
            "cold_start_s",
            served,
            "s",
            None,
            None,
            {"login_page_s": login},
            notes=f"make run, empty var dir, city demo, operator signed in, /dispatch served; "
            f"clean Ctrl-C stop: {clean}",
        )
    ]
