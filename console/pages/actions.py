"""What every page's callbacks share: the message strip's answers (an error is shown as its
safe message, in the page's language), and the checks of what a browser sent (untrusted)."""

from __future__ import annotations

import time
from typing import Any

from dash import ctx, html

from console.server.errors import user_message
from geo.errors import InvalidInput


def message(text: str, ok: bool = True) -> html.Div:
    # The stamp makes a repeated message visible as new.
    return html.Div(
        [html.Span(time.strftime("%H:%M:%S") + " "), html.Span(text)],
        className="gd-msg-ok" if ok else "gd-msg-err",
    )


def failure(exc: BaseException) -> html.Div:
    return message(user_message(exc)[1], ok=False)


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
