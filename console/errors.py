"""The one place where errors become user messages and HTTP statuses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from geo.errors import GeoError

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> tuple[int, str]:
    """(HTTP status, safe message) for any exception; unexpected ones are logged, not shown."""
    if isinstance(exc, GeoError):
        return exc.status, exc.user_message
    log.exception("unexpected error", exc_info=exc)
    return 500, "Internal error; it has been logged."


def install(server: FastAPI) -> None:
    """Register the exception handlers on the FastAPI server."""

    @server.exception_handler(GeoError)
    async def _geo_error(_request: Request, exc: GeoError) -> JSONResponse:
        return JSONResponse({"error": exc.user_message}, status_code=exc.status)

    @server.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(
            {"error": "Invalid request.", "problems": problems[:20]}, status_code=422
        )
