"""A real console (uvicorn subprocess) on the test database, and real headless Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_console(conninfo: str, port: int, lang: str = "zh-CN",
                  **settings: str) -> subprocess.Popen[bytes]:  # fmt: skip
    """A console (uvicorn) on ``conninfo``, returned once /healthz says ready; ``settings``:
    more environment (``GD_...`` settings)."""
    env = {
        **os.environ,
        **settings,
        "DATABASE_URL": conninfo,
        "GD_PORT": str(port),
        "GD_LANG": lang,
        "GD_LOG_LEVEL": os.environ.get("GD_TEST_LOG_LEVEL", "WARNING"),
    }
    proc = subprocess.Popen(  # noqa: S603 - our argv, no shell
        [
            sys.executable,
            "-m",
            "uvicorn",
            "console.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("the console exited during start-up") from None
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("the console did not start in 60 s")


@pytest.fixture(scope="session")
def console_url(db_conninfo: str) -> Iterator[str]:
    port = free_port()
    proc = start_console(db_conninfo, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run 'make browserdeps' (Debian package chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def signed_in_context(browser, console_url: str, db_conninfo: str, **kwargs):  # type: ignore[no-untyped-def]
    """A new browser context signed in as an admin of the whole city."""
    from console.server.auth import COOKIE
    from tests._auth import session_for

    ctx = browser.new_context(**kwargs)
    ctx.add_cookies([{"name": COOKIE, "value": session_for(db_conninfo), "url": console_url}])
    return ctx


@pytest.fixture()
def console_target(console_url: str, db_conninfo: str) -> tuple[str, str]:
    """The console a ``page`` signs in to, and its database (a module may override it)."""
    return console_url, db_conninfo


@pytest.fixture()
def page(browser, console_target: tuple[str, str]):  # type: ignore[no-untyped-def]
    url, conninfo = console_target
    ctx = signed_in_context(browser, url, conninfo, viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    yield pg
    ctx.close()
