"""Heavy work as background jobs: Dash background callbacks with a real manager.

A planner's workload split suggestions or siting, a supervisor's report of a long period:
such work runs in a process of its own (``multiprocess``, started by Dash's
``DiskcacheManager``), never in the worker that serves the desks, so no operator waits for it
(and the worker's interpreter lock is not shared with it). The page shows a progress bar and
a cancel button while it runs (:func:`controls`, :func:`options`).

- The embedded default needs no other server: jobs and their results live in a disk cache
  under the var directory (``GD_JOBS=local``), shared by the workers of this machine. A job
  outlives a restart of the worker that started it, and the page, polling any worker, gets
  its result.
- ``GD_JOBS=redis://host:port/db`` hands the jobs to Celery on Redis instead (Dash's
  ``CeleryManager``), for consoles on several machines, run by ``celery -A console.worker
  worker`` (``pip install ".[redis]"``).
- Either way a job acts for the user who started it (:class:`LocalJobs`, :class:`CeleryJobs`,
  :func:`job`).
- A job whose process died without a result (killed, out of memory) is reported as lost on
  the page, in its language; it never vanishes silently.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import dash
from dash import Input, Output, State, html
from dash._callback_context import context_value  # the job's context, as Dash hands it over
from dash.exceptions import PreventUpdate

from console.pages.actions import answer_at, failure
from console.server import state
from console.settings import Settings
from geo.access.principals import Principal
from geo.errors import GeoError, Unauthorized

log = logging.getLogger(__name__)

KEEP_S = 3600  # how long a finished job's result waits for its page
LOST = "griddispatch: job lost"

F = TypeVar("F", bound=Callable[..., Any])


class JobLost(GeoError):
    """A background job's process ended without a result."""

    status = 503


def manager(settings: Settings) -> Any:
    """The background-callback manager ``GD_JOBS`` names: a disk cache (``local``), or
    Celery on the Redis at that URL."""
    if settings.jobs.startswith(("redis://", "rediss://")):
        try:
            from celery import Celery  # type: ignore[import-not-found]
        except ImportError as exc:  # pragma: no cover - an optional deployment
            raise RuntimeError(
                "GD_JOBS names Redis: install celery and redis (pip install celery redis)"
            ) from exc
        celery_app = Celery(__name__, broker=settings.jobs, backend=settings.jobs)
        return CeleryJobs(celery_app, expire=KEEP_S)
    import diskcache

    return LocalJobs(diskcache.Cache(str(settings.var_dir / "jobs")), expire=KEEP_S)


# A job acts for the user who started it: the manager puts the user in the job's callback
# context (which Dash hands to the job's process, on this machine or a Celery worker), and
# :func:`job` acts as that user while the job runs. Row-level security then limits the job
# as it limits the user's own requests.
_WHO = "griddispatch_principal"


def _with_principal(context: Any) -> Any:
    who = state.current()
    if who is not None:
        context[_WHO] = {**dataclasses.asdict(who), "extra": sorted(who.extra)}
    return context


def _principal_of_job() -> Principal | None:
    try:
        raw = context_value.get().get(_WHO)
    except LookupError:  # not in a callback
        return None
    if not raw:
        return None
    return Principal(**{**raw, "extra": frozenset(raw.get("extra") or ())})


class CeleryJobs(dash.CeleryManager):
    """Dash's Celery manager that hands the job the user who started it."""

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        """Start the job as the current user (see :func:`job`)."""
        return super().call_job_fn(key, job_fn, args, _with_principal(context))


class LocalJobs(dash.DiskcacheManager):
    """Dash's disk-cache manager that says when a job was lost: its process is gone and it
    left no result. (Dash's own stops polling silently then, as for a cancelled job.) It
    hands the job the user who started it, as :class:`CeleryJobs` does."""

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        """Start the job as the current user (see :func:`job`)."""
        return super().call_job_fn(key, job_fn, args, _with_principal(context))

    def get_result(self, key: str, job: Any) -> Any:
        """The job's result; a lost job's error when its process ended without one.

        Parameters
        ----------
        key : str
            The job's cache key.
        job : int or str
            The job's process id.

        Returns
        -------
        Any
            The result, ``UNDEFINED`` while it runs, or a background-callback error.
        """
        out = super().get_result(key, job)
        if out is not self.UNDEFINED or job is None or self.job_running(job):
            return out
        if self.result_ready(key):  # it finished just now
            return super().get_result(key, job)
        log.warning("background job %s ended without a result: reported as lost", job)
        return {"background_callback_error": {"msg": LOST, "tb": ""}}


def _forget_parent_pool() -> None:
    # A job's process is a fork of a worker: the worker's pooled connections are its own
    # sockets, so the job opens a pool of its own (never closing the worker's).
    from console.server import state

    state.forget_after_fork()


os.register_at_fork(after_in_child=_forget_parent_pool)


def job(at: int = 0, fill: Mapping[int, Any] | None = None) -> Callable[[F], F]:
    """The guard of a background callback (as :func:`console.pages.actions.guarded` is of a
    plain one): what it raises becomes the failure message at output ``at``."""
    extra = dict(fill or {})

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            who = state.current() or _principal_of_job()
            try:
                if who is None:
                    raise Unauthorized("Please sign in.")
                with state.acting(who):
                    return fn(*args, **kwargs)
            except PreventUpdate:
                raise
            except Exception as exc:  # noqa: BLE001 - the guard: a safe message, logged if unexpected
                return answer_at(failure(exc), at, extra)

        return run  # type: ignore[return-value]

    return wrap


def on_error(at: int = 0, fill: Mapping[int, Any] | None = None) -> Callable[[Exception], Any]:
    """What a background callback answers when its job failed outside the guard, or was
    lost: the message at output ``at`` (in the page's language)."""
    extra = dict(fill or {})

    def handle(exc: Exception) -> Any:
        if LOST in str(exc):
            return answer_at(failure(JobLost("The job was lost (its process ended); run it "
                                           "again.", code="job.lost")), at, extra)  # fmt: skip
        log.error("background job failed: %s", exc)
        return answer_at(failure(exc), at, extra)

    return handle


def controls(prefix: str, tx: Mapping[str, str]) -> html.Div:
    """The progress bar and the cancel button of job ``prefix`` (shown while it runs), and
    the note that says it was cancelled; ``tx``: the page's texts."""
    return html.Div(
        [
            html.Div(
                [
                    html.Progress(id=f"{prefix}-progress", max=1, className="gd-job-progress"),
                    html.Button(
                        tx["job.cancel"], id=f"{prefix}-cancel", className="gd-btn gd-btn-small"
                    ),  # fmt: skip
                ],
                id=f"{prefix}-job",
                className="gd-job",
                style={"display": "none"},
            ),
            html.Div(id=f"{prefix}-note", className="gd-job-note"),
        ]
    )


def options(prefix: str, *start: str) -> dict[str, Any]:
    """The ``app.callback`` arguments that run a callback as job ``prefix``, started by the
    buttons ``start``: in the background, with its progress (``set_progress((done, total))``),
    its cancel button, and the start buttons disabled while it runs."""
    return {
        "background": True,
        "progress": [Output(f"{prefix}-progress", "value"), Output(f"{prefix}-progress", "max")],
        "progress_default": [None, 1],
        "cancel": [Input(f"{prefix}-cancel", "n_clicks")],
        "running": [
            *[(Output(b, "disabled"), True, False) for b in start],
            (Output(f"{prefix}-job", "style"), {"display": "flex"}, {"display": "none"}),
        ],
    }


def register_cancel_note(
    app: dash.Dash, prefix: str, tz: str, *start: str, clear_on: Input | None = None
) -> None:
    """The note beside the bar: "cancelled" (stamped in the console's time zone ``tz``, as
    every message is) when the cancel button is pressed, cleared when the job starts again: by
    a button of ``start``, or by ``clear_on`` (a job its page starts: an upload, a window)."""
    app.clientside_callback(
        "function(n, lang) { var t = new Date().toLocaleTimeString('en-GB', {timeZone: "
        + json.dumps(tz)
        + ", hour12: false}); return t + (lang === 'en' ? ' Cancelled: nothing was changed.'"
        " : ' 已取消，未做任何更改。'); }",
        Output(f"{prefix}-note", "children"),
        Input(f"{prefix}-cancel", "n_clicks"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    clear = [*[Input(b, "n_clicks") for b in start], *([clear_on] if clear_on is not None else [])]
    if clear:  # else the page clears it itself
        app.clientside_callback(
            "function() { return ''; }",
            Output(f"{prefix}-note", "children", allow_duplicate=True),
            *clear,
            prevent_initial_call=True,
        )
