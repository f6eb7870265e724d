"""The planning page's coverage model, one per worker process, built in the background.

Building it (the travel graph, the people of every cell, the hexagons) takes seconds at
province scale, so it is built in a thread: when a planner opens /planning, and again when
the coverage tab asks and finds none. The tab shows the build's steps as a bar with a cancel
button (:func:`status`, :func:`cancel`) and asks for the model once it is there; the map asks
for the hexagons in its view (``/api/planning/coverage.geojson``), never for all of them.

The model follows the travel graph: when roads, water, grids or admin units change, the next
:func:`get` builds it again.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from dataclasses import dataclass
from typing import Any

from console.server import state
from console.settings import Settings, coverage_targets
from geo import coverage
from layers.planning import Hexagons

log = logging.getLogger(__name__)
STEPS = 3  # the travel graph, the people of every cell, the hexagons


@dataclass(frozen=True)
class Model:
    graph: Any  # the travel graph it was built on
    cov: coverage.Coverage
    hexagons: Hexagons


@dataclass(frozen=True)
class Status:
    """Where this worker's build is: ``ready``, or running at ``step`` of ``STEPS``, or
    ``failed`` (with what went wrong), or ``cancelled``."""

    ready: bool
    running: bool
    step: int
    failed: BaseException | None = None
    cancelled: bool = False


class Cancelled(Exception):
    """The planner cancelled the build."""


_lock = threading.Lock()  # held while building (a second caller waits for the first build)
_model: Model | None = None
_step = 0
_running = False
_failed: BaseException | None = None
_cancel = threading.Event()
_start_lock = threading.Lock()  # not _lock: the build holds that one for seconds


def get(settings: Settings) -> Model:
    """The model of the current travel graph (built first if there is none or the graph
    changed), as the current principal (who must be allowed to plan)."""
    global _model, _step
    with state.db(settings, need="plan") as conn:
        router, _ = state.router(settings, conn)
        with _lock:
            if _model is None or _model.graph is not router.graph:
                _step = 1
                _check()
                demand = coverage.load_demand(
                    conn=conn, graph=router.graph, targets=coverage_targets(settings)
                )
                _step = 2
                _check()
                hexes = Hexagons.of(demand.hexes)
                _model = Model(router.graph, coverage.Coverage(router.graph, demand), hexes)
                _step = STEPS
            return _model


def _check() -> None:
    if _cancel.is_set():
        raise Cancelled


def prepare(settings: Settings) -> None:
    """Start building the model in a thread, as the current principal, unless it is built
    or being built."""
    global _running, _failed, _step
    with _start_lock:
        if _running or _model is not None:
            return
        _running, _failed, _step = True, None, 0
        _cancel.clear()
    run = contextvars.copy_context().run  # as the planner (row-level security)

    def build() -> None:
        global _running, _failed
        try:
            run(get, settings)
        except Cancelled:
            log.info("the coverage model's build was cancelled")
        except Exception as exc:  # the tab shows it; opening the tab again tries again
            log.exception("could not build the coverage model")
            _failed = exc
        finally:
            _running = False

    threading.Thread(target=build, name="griddispatch-coverage", daemon=True).start()


def status() -> Status:
    """Where this worker's build is."""
    if _model is not None and not _running:
        return Status(ready=True, running=False, step=STEPS)
    return Status(ready=False, running=_running, step=_step, failed=_failed,
                  cancelled=_cancel.is_set() and not _running)  # fmt: skip


def cancel() -> None:
    """Stop a running build at its next step."""
    if _running:
        _cancel.set()


def forget() -> None:
    """Drop the model (tests)."""
    global _model, _failed
    with _lock:
        _model, _failed = None, None
        _cancel.clear()
