"""HTTP hardening: security headers on every response, and CORS closed unless configured.

The content security policy names no outside origin (no CDN): scripts, styles, fonts and
data come from the console itself; images also from the base-map tile server when one is
configured. Dash 4 starts its renderer and the clientside callbacks from inline scripts and
Plotly compiles functions at run time, so scripts keep 'unsafe-inline' and 'unsafe-eval'.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console.settings import Settings


def _origin(url: str) -> str:
    """``https://tiles.example.org`` of a tile URL template; a placeholder in the host
    (``{s}.tiles...``) becomes a wildcard (``*.tiles...``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    host = parts.hostname if "{" not in parts.hostname else "*." + parts.hostname.split(".", 1)[1]
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def policy(settings: Settings) -> str:
    """The Content-Security-Policy header of the console."""
    tiles = _origin(settings.tile_url)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{' ' + tiles if tiles else ''}",
            "font-src 'self' data:",
            "connect-src 'self' ws: wss:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class _Headers:
    """Pure ASGI middleware (streams and WebSockets pass untouched): adds ``headers`` to
    each HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]) -> None:
        self.app = app
        self.extra = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in self.extra if h[0] not in have)]  # fmt: skip
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install(server: FastAPI, settings: Settings) -> None:
    """Add the headers to every response; open CORS only to GD_CORS_ORIGINS."""
    headers = {
        "Content-Security-Policy": policy(settings),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }

    server.add_middleware(_Headers, headers=headers)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        server.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        )
