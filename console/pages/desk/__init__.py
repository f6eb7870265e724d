"""The dispatch desk: its layout and cards (``render.py``) and its callbacks (``callbacks.py``
wires them: ``intake.py``, ``case.py``, ``queue.py``, ``actions.py``, sharing ``common.py``)."""

from console.pages.desk.callbacks import register
from console.pages.desk.render import layout, overlays

__all__ = ["layout", "overlays", "register"]
