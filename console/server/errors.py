"""The one place where errors become user messages and HTTP statuses."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout

from console import i18n
from geo.errors import GeoError

log = logging.getLogger(__name__)


DB_AWAY = "The database cannot be reached; reconnecting."
INTERNAL = "Internal error; it has been logged."
RETRY_AFTER_S = 2


def user_message(exc: BaseException, lang: str | None = None) -> tuple[int, str]:
    """(HTTP status, safe message) for any exception, in ``lang`` (default: the request's
    language, else English); unexpected ones are logged, not shown."""
    lang = lang or i18n.current()
    if isinstance(exc, GeoError):
        return exc.status, i18n.error_text(exc, lang) if lang else exc.user_message
    if isinstance(exc, psycopg.OperationalError | PoolTimeout):
        log.warning("database unreachable: %s", exc)
        return 503, i18n.t(lang)["err.db_away"] if lang else DB_AWAY
    log.exception("unexpected error", exc_info=exc)
    return 500, i18n.t(lang)["error.generic"] if lang else INTERNAL


def body_for(path: str, status: int, message: str, problems: list[str] | None = None) -> Any:
    """The error body in the dialect of the API the request to ``path`` went to."""
    text = message if not problems else f"{message} {'; '.join(problems)}"
    if path.startswith("/open311/"):  # GeoReport v2: a list of {code, description}
        return [{"code": status, "description": text}]
    if path == "/ogc" or path.startswith("/ogc/"):  # OGC API exception
        return {"code": str(status), "description": text}
    out: dict[str, Any] = {"error": message}
    if problems:
        out["problems"] = problems
    return out


def install(server: FastAPI) -> None:
    """Register the exception handlers on the FastAPI server."""

    @server.exception_handler(GeoError)
    @server.exception_handler(psycopg.OperationalError)
    @server.exception_handler(PoolTimeout)
    async def _known(request: Request, exc: Exception) -> JSONResponse:
        status, message = user_message(exc)
        # a database away or read-only: the client may try again in a moment
        headers = {"Retry-After": str(RETRY_AFTER_S)} if status == 503 else None
        return JSONResponse(body_for(request.url.path, status, message), status, headers)

    @server.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        # OGC API and Open311 clients expect 400 for a bad parameter; our own API says 422.
        status = 400 if request.url.path.startswith(("/ogc", "/open311/")) else 422
        return JSONResponse(
            body_for(request.url.path, status, "Invalid request.", problems[:20]), status
        )


def log_dash_errors() -> None:
    """Log what a Dash callback or page layout raises: Dash 4.4's FastAPI backend answers
    500 and drops the traceback, so a broken page would fail with nothing in the log."""
    from dash.backends import _fastapi
    from dash.exceptions import PreventUpdate

    mw = _fastapi.DashMiddleware
    if getattr(mw._handle_error, "_gd_logged", False):  # noqa: SLF001 - no public hook
        return
    original = mw._handle_error  # noqa: SLF001 - no public hook in 4.4

    async def handle(self: Any, error: Exception, scope: Any, receive: Any, send: Any) -> None:
        if not isinstance(error, PreventUpdate):
            log.error("unexpected error in %s", scope.get("path"), exc_info=error)
        await original(self, error, scope, receive, send)

    handle._gd_logged = True  # type: ignore[attr-defined]  # noqa: SLF001 - our own marker
    mw._handle_error = handle  # type: ignore[method-assign]  # noqa: SLF001 - no public hook
