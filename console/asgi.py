"""ASGI entry point for uvicorn: ``uvicorn console.asgi:app`` (settings from the environment)."""

from __future__ import annotations

import logging

from console import settings as settings_mod
from console.app import create_app

_settings = settings_mod.load()
logging.basicConfig(
    level=_settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
)
dash_app = create_app(_settings)
app = dash_app.server
