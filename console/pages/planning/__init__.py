"""Planning: grid boundaries (``grids.py``) and platform coverage (``coverage.py``)."""

from console.pages.planning.grids import layout, overlays, register

__all__ = ["layout", "overlays", "register"]
