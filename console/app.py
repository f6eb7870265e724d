"""The Dash 4 app on its FastAPI backend."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
from dash import html
from fastapi import APIRouter
from starlette.middleware.gzip import GZipMiddleware

from console.api import layers, ogc, open311, v1
from console.pages import clock, shell
from console.server import auth, backjobs, errors, jobs, live, security
from console.settings import Settings

log = logging.getLogger(__name__)
ASSETS = Path(__file__).parent / "assets"


def create_app(settings: Settings) -> dash.Dash:
    """Build the console. ``app.server`` is the ASGI (FastAPI) application.

    The escalation runner (``app.server.state.escalation_runner``) starts with the ASGI
    server's lifespan and stops at its shutdown; it is off when GD_ESCALATION_EVERY_S is 0.
    """
    app = dash.Dash(
        __name__,
        backend="fastapi",
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        title="griddispatch",
        update_title=None,
        serve_locally=True,
        suppress_callback_exceptions=True,
        background_callback_manager=backjobs.manager(settings),
    )
    server = app.server
    server.title = "griddispatch API"
    server.state.settings = settings
    clock.use(settings.tz)  # every time shown in GD_TZ
    server.add_middleware(GZipMiddleware, minimum_size=2048)
    errors.install(server)
    errors.log_dash_errors()
    auth.install(server, settings)
    security.install(server, settings)  # outermost: refusals and redirects get the headers
    server.include_router(v1.router(settings))
    server.include_router(open311.router(settings))
    server.include_router(ogc.router(settings))
    server.include_router(layers.router(settings))
    server.include_router(layers.health_router(settings))
    runner = jobs.EscalationRunner(settings)
    server.state.escalation_runner = runner
    keeper = jobs.Housekeeper(settings)
    server.state.housekeeper = keeper
    server.include_router(APIRouter(lifespan=jobs.lifespan(settings, runner, keeper)))
    server.include_router(APIRouter(lifespan=live.lifespan))
    shell.register(app, settings)
    app.layout = html.Div([dash.page_container])
    # Dash sets itself up (assets, scripts, callback map, the pages router and its clientside
    # callback) in hooks run before a request that reaches its own routes; a first visit
    # straight to /dispatch would get a page without our assets and functions. Run them now.
    for hook in list(app.backend._before_request_funcs):  # noqa: SLF001 - no public way in 4.4
        hook()
    return app
