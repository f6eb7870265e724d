"""The Celery worker of the background jobs, for ``GD_JOBS=redis://…`` (consoles on several
machines): ``celery -A console.worker worker``. It builds the console's app as a console does,
so Dash registers every background callback as a task of this Celery app; each job then
runs here, as the user who started it (``console.server.backjobs``)."""

from __future__ import annotations

from console import settings as settings_mod
from console.app import create_app

_settings = settings_mod.load()
if not _settings.jobs.startswith(("redis://", "rediss://")):
    raise SystemExit("console.worker serves GD_JOBS=redis://…; GD_JOBS is " + _settings.jobs)
celery = create_app(_settings)._background_manager.handle  # noqa: SLF001 - Dash keeps it there
