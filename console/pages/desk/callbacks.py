"""Callbacks of the dispatch desk. Thin: unpack and validate inputs, call one function in
``geo`` (inside one transaction for the acting operator), render with ``console.pages.desk.render``.

Every action answers in the message strip (no modal dialogs) and bumps ``desk-rev``, which
refreshes the queue, the selected case and its recommendations; the map layers follow the
database through the live channel (``console.server.live``), which also refreshes the queue and the
selected case when someone else changes them.

By part: ``intake`` (picking a point, the intake form, create and link), ``case`` (the
selected case), ``queue`` (the queue and the case search), ``actions`` (dispatch, unit
status, the case's actions, photos); ``common`` holds what they share. Each callback's body is
a module-level function; errors go through ``console.pages.actions.guarded``.
"""

from __future__ import annotations

import dash

from console.pages.desk import actions, case, intake, queue
from console.settings import Settings


def register(app: dash.Dash, settings: Settings) -> None:
    """The desk's callbacks: the intake form, the selected case, the queue, the actions."""
    intake.register(app, settings)
    case.register(app, settings)
    queue.register(app, settings)
    actions.register(app, settings)
