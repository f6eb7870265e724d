"""Periodic jobs of a console worker: the escalation runner and the housekeeper.

Every ``GD_ESCALATION_EVERY_S`` seconds each worker process tries to move unclaimed cases up
the ladder (grid -> community -> street -> district, ``geo.escalation.escalate_due``), flags
held cases that missed a deadline for supervision (督办, ``geo.caseflow.flag_overdue``) and
makes returning units available again after their type's return time. Every
``GD_HOUSEKEEPING_EVERY_S`` seconds (and at start) it keeps the position history
(``geo.retention``: days made ahead, days past ``GD_POSITIONS_KEEP_DAYS`` dropped and audited).
An advisory lock makes sure only one process in the whole city does either at a time; the
others skip that round. The jobs start and stop with the ASGI server (:func:`lifespan`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio.to_thread
import psycopg
from psycopg_pool import ConnectionPool

from console.server import state
from console.settings import Settings, escalation_steps_s
from geo import caseflow, escalation, retention, units
from geo.db import transaction, try_lock

log = logging.getLogger(__name__)

ACTOR = "system:escalation"
LOCK_KEY = 0x6772_6964_6573_6331  # "gridesc1": one escalating process at a time
THREAD_NAME = "griddispatch-escalation"
HOUSEKEEPER_THREAD = "griddispatch-housekeeping"

Target = ConnectionPool | psycopg.Connection


class Periodic(ABC):
    """A job run every ``interval_s`` seconds on a daemon thread (:meth:`start` /
    :meth:`stop`); a round that raises is logged and counted, and the next one tries again.

    Parameters
    ----------
    name
        The thread's name.
    interval_s
        Seconds between rounds; 0 or less: never started.
    at_start
        Run the first round at once rather than after ``interval_s``.
    """

    def __init__(self, name: str, interval_s: float, *, at_start: bool = False) -> None:
        self.name = name
        self.interval_s = float(interval_s)
        self.at_start = at_start
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # rounds attempted by the thread
        self.failures = 0  # rounds that raised (logged)

    @abstractmethod
    def round(self) -> object:
        """One round of the job (each subclass's own)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Start the periodic thread (no-op when the interval is 0); True if running."""
        if self.interval_s <= 0:
            log.info("%s disabled (interval 0)", self.name)
            return False
        if self.running:
            return True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        log.info("%s every %g s", self.name, self.interval_s)
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread: it finishes a round in progress, then exits (joined here)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not stop within %g s", self.name, timeout)

    def _loop(self) -> None:
        stop = self._stop
        wait = 0.0 if self.at_start else self.interval_s
        while not stop.wait(wait):
            wait = self.interval_s
            self.runs += 1
            try:
                self.round()
            except Exception:  # a bad round is logged; the next one tries again
                self.failures += 1
                log.exception("%s: round failed", self.name)


class EscalationRunner(Periodic):
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
        every = settings.escalation_every_s if interval_s is None else interval_s
        super().__init__(THREAD_NAME, every)
        self.settings = settings
        self.steps_s = escalation_steps_s(settings)
        self._source = source or (lambda: state.pool(settings))

    def round(self) -> list[int]:
        """One round on the source's pool or connection (the thread's)."""
        return self.run_once(self._source())

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


class Housekeeper(Periodic):
    """Keeps the position history (``geo.retention.housekeep``) at start and every
    ``housekeeping_every_s`` seconds, as the database owner.

    Parameters
    ----------
    settings
        The console settings (``positions_keep_days``, ``housekeeping_every_s``).
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(HOUSEKEEPER_THREAD, settings.housekeeping_every_s, at_start=True)
        self.settings = settings

    def round(self) -> dict[str, int] | None:
        """One round; its counts (None when another process did it)."""
        done = retention.housekeep(state.conninfo(self.settings), self.settings.positions_keep_days)
        if done is not None and (done["made"] or done["dropped"]):
            log.info("housekeeping: %s", done)
        return done


def lifespan(
    settings: Settings, *runners: Periodic
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """An ASGI lifespan (for an APIRouter): at start the request threads are sized
    (``GD_CALLBACK_THREADS``) and the caches warmed before the worker takes requests; then
    ``runners`` run while the server is up."""

    @asynccontextmanager
    async def _lifespan(_app: Any) -> AsyncIterator[None]:
        threads = settings.callback_threads
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(threads, thread_name_prefix="griddispatch-request")
        )  # the pages' callbacks (console.pages.actions.guarded)
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads  # the API's
        try:
            took = await asyncio.to_thread(state.warm, settings)
            log.info("caches warm in %.1f s: ready", took)
        except Exception as exc:  # noqa: BLE001 - the database is away: /healthz tries again
            log.warning("caches not warmed at start (%s); /healthz will try again", exc)
        for r in runners:
            r.start()
        try:
            yield
        finally:
            for r in runners:
                await asyncio.to_thread(r.stop)

    return _lifespan
