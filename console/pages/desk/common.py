"""What the desk's callback modules share: ``dash.no_update``, the shown and hidden styles, a
flight of the map, and ``still_set``: what a failed callback still answers that depends on the
call (``guarded``'s ``fill`` is the same for every call)."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import dash
from dash.exceptions import PreventUpdate

NO = dash.no_update
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def fly(lat: float, lng: float) -> dict[str, Any]:
    return {"center": [lat, lng], "zoom": 17, "transition": "flyTo"}


class still_set:  # lower case, as contextlib.suppress: ``with still_set(...)``
    """``with still_set("desk-rev", data=rev()): ...``: when the block raises, ``props`` of
    ``component_id`` are set all the same (``dash.set_props``) and the error goes on to the
    callback's ``guarded``, which answers the message and its ``fill``. For a value of this
    call: a fresh ``desk-rev`` (a failed action still redraws the queue and the case), the case
    the card failed at (``case-seen``), the picked point (``layer-pick``)."""

    def __init__(self, component_id: str, **props: Any) -> None:
        self.component_id = component_id
        self.props = props

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if kind is not None and not issubclass(kind, PreventUpdate):
            dash.set_props(self.component_id, self.props)
        return False  # not handled here: the guard does
