"""The embedded PostgreSQL, supervised: ``python -m console run`` watches the postmaster and
starts it again when it dies (a ``kill -9``, an out-of-memory kill), so writes come back by
themselves instead of failing with 503 until someone restarts the console.

Every restart is written to the audit trail (entity ``database``, action ``restarted``, with
when it went down, when it was back and the seconds between), and the pages' banner says so
for a while (``RECENT_S``; the live channel reads it, ``geo.live``-side in
``console.server.live``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time

import psycopg

from geo import dbhealth
from geo.db import EmbeddedCluster
from geo.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

EVERY_S = 0.5  # how often the postmaster is looked at
RECENT_S = 600  # how long the pages say that the database was restarted


def postmaster_alive(cluster: EmbeddedCluster) -> bool:
    """Whether the postmaster named in ``postmaster.pid`` is alive (a cheap look, no
    subprocess; ``pg_ctl status`` confirms a death before anything is restarted)."""
    try:
        pid = int((cluster.data / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return True


class Watchdog:
    """Restarts ``cluster`` when its postmaster dies, audits each restart in ``dbname``.

    Parameters
    ----------
    cluster
        The embedded cluster to watch.
    dbname
        The console's database (where the restart is audited).
    every_s
        Seconds between looks.
    """

    def __init__(self, cluster: EmbeddedCluster, dbname: str, every_s: float = EVERY_S) -> None:
        self.cluster, self.dbname, self.every_s = cluster, dbname, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="griddispatch-pg-watch",
                                        daemon=True)  # fmt: skip

    def start(self) -> None:
        """Start watching (a daemon thread)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the console stops the cluster itself)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=70)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            if postmaster_alive(self.cluster) or self.cluster.running():
                continue
            if self._stop.is_set():
                return
            try:
                self.restart()
            except Exception:  # a failed restart is logged: try again at the next look
                log.exception("could not restart the embedded PostgreSQL; trying again")

    def restart(self) -> float:
        """Start the cluster again and audit it; the seconds it was down (from the moment the
        death was seen).

        Returns
        -------
        float
            Seconds from seeing the postmaster dead to its accepting connections.

        Raises
        ------
        DatabaseUnavailable
            It did not start (e.g. orphaned backends still hold its shared memory).
        """
        down_at = dt.datetime.now(dt.UTC)
        t0 = time.monotonic()
        log.warning("the embedded PostgreSQL died: starting it again")
        deadline = t0 + 60
        while True:
            try:
                self.cluster.start(timeout_s=30)
                break
            except DatabaseUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)  # its old backends are still exiting
        down_s = time.monotonic() - t0
        back_at = dt.datetime.now(dt.UTC)
        with psycopg.connect(self.cluster.conninfo(self.dbname), autocommit=True) as conn:
            dbhealth.record_restart(conn, down_at, back_at, down_s)
        log.warning("the embedded PostgreSQL is back after %.1f s (audited)", down_s)
        return down_s
