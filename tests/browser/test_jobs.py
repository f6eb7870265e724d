"""Heavy work as a background job, in real Chromium (issue 19): a planner's workload split
suggestions run in a process of their own with a progress bar and a cancel button, while the
console answers everyone else; cancelling ends the job's process; a job whose process is
killed is reported as lost, never silently dropped.

The job is held at its query by a lock the test takes on ``grids``, so every state is seen
by waiting on conditions, not on time."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import psutil
import psycopg
import pytest

from tests.browser.conftest import free_port, start_console

ZH_1366 = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


@pytest.fixture(scope="module")
def jobs_console(db_conninfo: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = start_console(db_conninfo, port)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def jobs_of(console: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The console's live job processes (its only children: it serves with one worker)."""
    kids = psutil.Process(console.pid).children()
    return [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]


def until(cond, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def test_a_heavy_job_runs_apart_with_progress_cancel_and_lost(  # type: ignore[no-untyped-def]
    browser, jobs_console, db_conninfo: str
) -> None:
    from console.server.auth import COOKIE
    from tests._auth import session_for

    url, console = jobs_console
    ctx = browser.new_context(**ZH_1366)
    ctx.add_cookies([{"name": COOKIE, "value": session_for(db_conninfo, "planner_jobs", "planner"),
                      "url": url}])  # fmt: skip
    page = ctx.new_page()
    page.goto(url + "/planning")
    start = page.locator("#plan-suggest-btn")
    start.wait_for()
    bar = page.locator("#plan-suggest-job")
    holder = psycopg.connect(db_conninfo)
    try:
        # 1. Running: the bar and the cancel button show, the button is off; the console
        # answers the others meanwhile. Then cancel: the job's process ends.
        holder.execute("LOCK TABLE grids IN ACCESS EXCLUSIVE MODE")
        start.click()
        bar.wait_for(state="visible")
        assert start.is_disabled()
        assert until(lambda: len(jobs_of(console)) == 1), "no job process"
        counters = page.request.get(url + "/api/counters", timeout=5_000)
        assert counters.status == 200 and "open" in counters.json()
        page.screenshot(path="/tmp/gd-job-running-1366.png")
        page.locator("#plan-suggest-cancel").click()
        bar.wait_for(state="hidden")
        page.wait_for_selector("#plan-suggest-note:has-text('已取消')")
        assert start.is_enabled()
        assert until(lambda: not jobs_of(console)), "the cancelled job's process lives on"

        # 2. Lost: the job's process is killed; the page says so in its language.
        start.click()
        bar.wait_for(state="visible")
        assert until(lambda: len(jobs_of(console)) == 1)
        jobs_of(console)[0].kill()
        page.wait_for_selector("#plan-suggest-list:has-text('任务已中断')", timeout=30_000)
        assert page.inner_text("#plan-suggest-note") == ""  # the earlier cancel note went
        bar.wait_for(state="hidden")
        assert start.is_enabled()
        page.screenshot(path="/tmp/gd-job-lost-1366.png")
        holder.rollback()  # the lock goes

        # 3. Done: the result replaces the note, the bar hides, no process is left.
        start.click()
        page.wait_for_function(
            "() => { const t = document.querySelector('#plan-suggest-list').innerText;"
            " return t && !t.includes('任务已中断'); }",
            timeout=60_000,
        )
        bar.wait_for(state="hidden")
        assert until(lambda: not jobs_of(console))
    finally:
        holder.close()
        ctx.close()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis of this test's own (Debian's redis-server, installed by ``make jobdeps``)."""
    import socket

    port = free_port()
    proc = subprocess.Popen(  # noqa: S603 - our argv, no shell
        ["/usr/bin/redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path_factory.mktemp("redis"))],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip

    def up() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False

    assert until(up, 15), "redis-server did not start"
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_jobs_run_on_celery_and_redis_as_their_user(  # type: ignore[no-untyped-def]
    browser, db_conninfo: str, redis_url: str, tmp_path
) -> None:
    """GD_JOBS=redis://…: a supervisor's 30-day figures run as a Celery task on a worker of
    their own (``celery -A console.worker worker``), under the jurisdiction of the user who
    asked: a street's supervisor gets fewer cases than the city's."""
    import os
    import re
    import sys

    from console.server.auth import COOKIE
    from tests._auth import session_for
    from tests.browser.conftest import ROOT

    log = tmp_path / "celery.log"
    env = {**os.environ, "DATABASE_URL": db_conninfo, "GD_JOBS": redis_url}
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "console.worker", "worker", "--pool", "solo",
             "--loglevel", "info", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    port = free_port()
    console = start_console(db_conninfo, port, GD_JOBS=redis_url)
    try:
        assert until(lambda: "ready." in log.read_text(errors="replace"), 60), log.read_text()
        with psycopg.connect(db_conninfo) as c:
            street = c.execute("SELECT code FROM admin_units WHERE level = 'street' "
                               "ORDER BY code LIMIT 1").fetchone()[0]  # type: ignore[index]  # fmt: skip
        reported = {}
        for name, area in (("sup_city_celery", None), ("sup_street_celery", street)):
            ctx = browser.new_context(**ZH_1366)
            cookie = session_for(db_conninfo, name, "supervisor", area)
            ctx.add_cookies([{"name": COOKIE, "url": f"http://127.0.0.1:{port}", "value": cookie}])
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/supervision")  # 30 days: a background job
            page.locator("#sup-kpis .gd-kpi").first.wait_for(timeout=60_000)
            m = re.search(r"上报\s*([\d,]+)", page.inner_text("#sup-kpis"))
            assert m, page.inner_text("#sup-kpis")
            reported[name] = int(m.group(1).replace(",", ""))
            ctx.close()
        text = log.read_text(errors="replace")
        assert len(re.findall(r"Task background_callback_\w+\[[\w-]+\] succeeded", text)) >= 2, text
        assert 0 < reported["sup_street_celery"] < reported["sup_city_celery"], reported
    finally:
        console.terminate()
        worker.terminate()
        console.wait(timeout=15)
        worker.wait(timeout=30)
