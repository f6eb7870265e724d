"""PostgreSQL restarted under a live desk (see tests/bench/faults.py): the page shows its
"reconnecting" banner while the database is away and recovers by itself. The restart falls
in the middle of the load test (tests/bench/load.py: 50 operators and 5,000 fixes/s on a
console of their own), whose figures over that window are reported beside it."""

from __future__ import annotations

import threading
import time

from tests.bench._city import spots, token
from tests.bench._harness import Context, Result
from tests.bench.faults import _post
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, free_port, start_console

DOWN_S = 5.0  # how long PostgreSQL stays down
BANNER_SHOWN = (
    "() => { const b = document.getElementById('db-banner');"
    " return !!b && getComputedStyle(b).display !== 'none'; }"
)


LOAD_S = 60.0  # the load runs this long (after its warm-up); the restart falls inside


def run(ctx: Context) -> list[Result]:
    from tests.bench import load

    under: list[Result] = []
    worker = threading.Thread(target=lambda: under.extend(load.run(ctx, LOAD_S)), daemon=True)
    worker.start()
    time.sleep(load.WARMUP_S + 20)  # the load is measuring now
    result = _drill(ctx)
    worker.join(timeout=LOAD_S + 300)
    got = {r.name: r.value for r in under}
    result.baselines.update({
        "load_p95_ms_meanwhile": got.get("load_p95_ms", -1),
        "double_dispatches_meanwhile": got.get("double_dispatches_under_load", -1),
    })  # fmt: skip
    result.notes += f"; meanwhile {load.OPERATORS} operators and 5,000 fixes/s ({LOAD_S:.0f} s)"
    return [result]


def _drill(ctx: Context) -> Result:
    from playwright.sync_api import sync_playwright

    from console.server.auth import COOKIE
    from tests._auth import session_for

    assert ctx.cluster is not None, "the restart drill needs the embedded cluster"
    secret = token(ctx.conninfo, "incidents:write")
    lon, lat = spots(ctx.conninfo, 1)[0]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_console(ctx.conninfo, port, lang="en")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page_ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            page_ctx.add_cookies([{"name": COOKIE, "value": session_for(ctx.conninfo),
                                   "url": url}])  # fmt: skip
            page = page_ctx.new_page()
            page.goto(f"{url}/dispatch?lang=en")
            page.wait_for_function("() => window.griddispatch.liveSeq >= 0", timeout=60_000)
            ctx.cluster.stop()
            t_down = time.monotonic()
            banner_after = -1.0  # seconds from the shutdown to the banner on the page
            while time.monotonic() - t_down < DOWN_S:
                if banner_after < 0 and page.evaluate(BANNER_SHOWN):
                    banner_after = time.monotonic() - t_down
                time.sleep(0.1)
            ctx.cluster.start()
            t_up = time.monotonic()
            body = {"lon": lon, "lat": lat, "category": "noise", "priority": "red",
                    "source": "sensor", "description": "after the restart"}  # fmt: skip
            number = None
            while number is None and time.monotonic() - t_up < 30:
                try:
                    status, data = _post(url, "/api/v1/incidents", body, secret, f"r{t_up}")
                    number = data["number"] if status in (200, 201) else None
                except OSError:
                    pass
                if number is None:
                    time.sleep(0.2)
            page.wait_for_function(
                f"n => window.griddispatch.shown[n] !== undefined && !({BANNER_SHOWN})()",
                arg=number,
                timeout=30_000,
            )
            recover = time.monotonic() - t_up
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    note = f"PostgreSQL down {DOWN_S:.0f} s (fast shutdown), one desk open, a case opened after"
    return Result("db_recover_s", round(recover, 2), "s", "<= 10", recover <= 10,
                  {"banner_after_s": round(banner_after, 2)}, note)  # fmt: skip
