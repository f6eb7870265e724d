"""Background jobs of a console worker: the escalation runner.

Every ``GD_ESCALATION_EVERY_S`` seconds each worker process tries to move unclaimed cases up
the ladder (grid -> community -> street -> district, ``geo.escalation.escalate_due``), flags
held cases that missed a deadline for supervision (督办, ``geo.caseflow.flag_overdue``) and
makes returning units available again after their type's return time. A
transaction-level advisory lock makes sure only one process does it at a time; the others skip
that round. The runner is started and stopped with the ASGI server (:func:`lifespan`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from console.server import state
from console.settings import Settings, escalation_steps_s
from geo import caseflow, escalation, units
from geo.db import transaction, try_lock

log = logging.getLogger(__name__)

ACTOR = "system:escalation"
LOCK_KEY = 0x6772_6964_6573_6331  # "gridesc1": one escalating process at a time
THREAD_NAME = "griddispatch-escalation"

Target = ConnectionPool | psycopg.Connection


class EscalationRunner:
    """Escalates due cases now (:meth:`run_once`) or every ``escalation_every_s`` seconds on a
    daemon thread (:meth:`start` / :meth:`stop`).

    Parameters
    ----------
    settings
        The console settings (steps from ``escalation_min``, period ``escalation_every_s``).
    source
        Gives the pool (or connection) each round uses; default: the console's shared pool.
    interval_s
        Overrides ``escalation_every_s`` (tests).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        source: Callable[[], Target] | None = None,
        interval_s: float | None = None,
    ) -> None:
        self.settings = settings
        self.steps_s = escalation_steps_s(settings)
        self.interval_s = float(settings.escalation_every_s if interval_s is None else interval_s)
        self._source = source or (lambda: state.pool(settings))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # rounds attempted by the thread
        self.failures = 0  # rounds that raised (logged)

    def run_once(self, conn_or_pool: Target) -> list[int]:
        """One round: ids of the cases moved up, or ``[]`` if another process holds the lock.

        With a connection already in a transaction the round runs in a savepoint of it (the
        advisory lock is then held until that outer transaction ends).
        """
        with transaction(conn_or_pool, actor=ACTOR, scope="all", role="system") as conn:
            if not try_lock(conn, LOCK_KEY):
                log.debug("escalation: another worker holds the lock, skipping this round")
                return []
            moved = escalation.escalate_due(conn=conn, steps_s=self.steps_s)
            flagged = caseflow.flag_overdue(conn=conn)
            ready = units.return_ready(conn=conn)
        if moved:
            log.info("escalated %d case(s): %s", len(moved), moved[:20])
        if flagged:
            log.info("flagged %d overdue case(s) for supervision: %s", len(flagged), flagged[:20])
        if ready:
            log.info("%d returning unit(s) available again", len(ready))
        return moved

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start the periodic thread (no-op when ``escalation_every_s`` is 0); True if running."""
        if self.interval_s <= 0:
            log.info("escalation runner disabled (GD_ESCALATION_EVERY_S=0)")
            return False
        if self.running:
            return True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
        self._thread.start()
        log.info("escalation runner every %g s, steps %s s", self.interval_s, list(self.steps_s))
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread: it finishes a round in progress, then exits (joined here)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("escalation runner did not stop within %g s", timeout)

    def _loop(self) -> None:
        stop = self._stop
        while not stop.wait(self.interval_s):
            self.runs += 1
            try:
                self.run_once(self._source())
            except Exception:  # a bad round is logged; the next one tries again
                self.failures += 1
                log.exception("escalation round failed")


def lifespan(runner: EscalationRunner) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An ASGI lifespan that runs ``runner`` while the server is up (for an APIRouter)."""

    @asynccontextmanager
    async def _lifespan(_app: Any) -> AsyncIterator[None]:
        runner.start()
        try:
            yield
        finally:
            await asyncio.to_thread(runner.stop)

    return _lifespan
