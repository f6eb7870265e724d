"""ASGI entry point for uvicorn: ``uvicorn console.asgi:app`` (settings from the environment)."""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys

from console import settings as settings_mod
from console.app import create_app
from console.server import accesslog

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """A uvicorn worker (``GD_WORKERS`` > 1) is sent SIGTERM when the console's main process
    dies, even by ``kill -9``: orphaned workers kept serving the port, and a restart could
    not bind it. Nothing to do in a single process (no parent of ours) or off Linux."""
    parent = multiprocessing.parent_process()
    if parent is None or not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent.pid:  # the parent died before the call
        os.kill(os.getpid(), signal.SIGTERM)


die_with_parent()
accesslog.install()
_settings = settings_mod.load()
logging.basicConfig(
    level=_settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
dash_app = create_app(_settings)
app = dash_app.server
