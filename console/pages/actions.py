"""What every page's callbacks share: the message strip's answers (an error is shown as its
safe message, in the page's language), the one guard that turns whatever a callback raises
into that message (``guarded``), and the checks of what a browser sent (untrusted)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import dash
from dash import ctx, html
from dash.exceptions import PreventUpdate

from console.pages import clock
from console.server.errors import user_message
from geo.errors import InvalidInput


def message(text: str, ok: bool = True) -> html.Div:
    # The stamp (in GD_TZ) makes a repeated message visible as new.
    return html.Div(
        [html.Span(clock.show(clock.now(), "%H:%M:%S") + " "), html.Span(text)],
        className="gd-msg-ok" if ok else "gd-msg-err",
    )


def failure(exc: BaseException) -> html.Div:
    return message(user_message(exc)[1], ok=False)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(at: int = 0, fill: Mapping[int, Any] | None = None) -> Callable[[F], F]:
    """The page callbacks' one error guard; it goes under ``@app.callback``::

        @app.callback(Output("x-msg", "children"), Output("x-data", "data"), ...)
        @guarded(at=0)
        def save(...): ...

    Whatever the callback raises becomes ``failure(exc)`` at output ``at`` and
    ``dash.no_update`` at every other output (or ``fill[i]`` at output ``i``: a failed preview
    clears what it drew). A domain error shows its own text in the page's language; anything
    else is logged with its traceback and shows the generic text (``user_message``).
    ``PreventUpdate`` passes through. How many outputs there are is read from the outputs
    Dash declared for the call (``ctx.outputs_list``: a list for several, allow_duplicate
    ones included; one dict for a single output, then the message alone is returned).

    The callback runs in a worker thread (``asyncio.to_thread``, which carries the request's
    context: who signed in, the page's language, Dash's callback context), not on the event
    loop: Dash awaits a coroutine callback, so one desk's slow query no longer holds up the
    other desks, the live channel and the API (Dash 4.4 runs a plain one on the loop)."""
    extra = dict(fill or {})

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        async def guard(*args: Any, **kwargs: Any) -> Any:
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except PreventUpdate:
                raise
            except Exception as exc:  # noqa: BLE001 - the guard itself: a safe message, logged if unexpected
                return answer_at(failure(exc), at, extra)

        return guard  # type: ignore[return-value]

    return wrap


def answer_at(msg: html.Div, at: int, fill: Mapping[int, Any]) -> Any:
    """A callback's answer: ``msg`` at output ``at``, ``fill`` or no update elsewhere."""
    declared = ctx.outputs_list
    if not isinstance(declared, list):  # a single output: the value itself
        return msg
    out = [fill.get(i, dash.no_update) for i in range(len(declared))]
    out[at] = msg
    return tuple(out)


def rev() -> int:
    return time.monotonic_ns()


def latlng(value: Any) -> tuple[float, float] | None:
    """(lat, lng) of a Leaflet position as dash-leaflet sends it: ``{"lat", "lng"}`` or a
    ``[lat, lng]`` pair; None for anything else."""
    try:
        if isinstance(value, dict):
            lat, lng = float(value["lat"]), float(value["lng"])
        elif isinstance(value, list | tuple) and len(value) == 2:
            lat, lng = float(value[0]), float(value[1])
        else:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    return lat, lng


def clicked(value: Any) -> bool:
    """A pattern-matched button really was clicked (re-rendering sends 0 or None)."""
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def pressed() -> Any:
    """The id of the input this call really comes from (a click: a true value), or None.

    Dash merges the triggers that arrive together into one call, and ``ctx.triggered_id``
    names only the first: a card redrawn after a claim (its pattern-matched buttons come back
    with 0 or None) and Shift+D pressed at that moment are one call, whose first trigger is
    the redraw."""
    for t in ctx.triggered or []:
        if t.get("value"):
            return ctx.triggered_prop_ids.get(t["prop_id"])
    return None


def an_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise InvalidInput("Invalid id.")
    return value


def text(value: Any) -> str:
    """A text field's value as a stripped string ('' for nothing); non-text is refused."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("A text field holds something that is not text.")
    return value.strip()


def strings(value: Any) -> list[str] | None:
    if not value:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("Malformed filter.")
    return value
