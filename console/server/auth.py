"""Sign-in for the console: the login page, the session cookie, and the middleware that names
the acting principal of every request (``state.principal()``) before any route runs.

- Console pages, Dash callbacks, the live WebSocket and /api/... need a session cookie
  (HttpOnly, SameSite=Strict, Secure behind TLS). Without one a page is redirected to
  /login; anything else gets 401.
- The integration APIs (/api/v1, /ogc, /open311) act for the bearer token (or Open311
  api_key) instead; their routes check the token's scopes.
- A session idle for GD_IDLE_LOCK_MIN is ended. Only what a person does counts as activity:
  the pages' timers (``n_intervals``) keep asking but do not keep a session alive.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import anyio
import psycopg
from cachetools import TTLCache
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from psycopg_pool import PoolTimeout
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import i18n
from console.server import errors, state
from console.settings import Settings
from geo.access import Principal, tokens
from geo.access import users as auth
from geo.errors import DatabaseUnavailable, GeoError, InvalidInput, Unauthorized

log = logging.getLogger(__name__)

COOKIE = "gd_session"
# Reachable without a session: sign-in, health, static files, API docs; the integration APIs
# check their own tokens. A route is the path itself or anything under it ("/login/…"), never
# a longer name ("/loginx", "/healthzz", "/ogcanything": those need a session).
OPEN = ("/login", "/logout", "/healthz", "/assets", "/_dash-component-suites", "/favicon.ico",
        "/_favicon.ico", "/docs", "/redoc", "/openapi.json")  # fmt: skip
TOKEN_APIS = ("/api/v1", "/ogc", "/open311")


def under(path: str, routes: tuple[str, ...]) -> bool:
    """Whether ``path`` is one of ``routes`` or lies under one (``/ogc`` and ``/ogc/…``,
    not ``/ogcx``)."""
    return any(path == r or path.startswith(r + "/") for r in routes)
_CACHE_S = 5.0  # a session's principal is reused this long within one process
_MAX_CALLBACK_BODY = 8 * 1024 * 1024


def _cookie(scope: Scope) -> str | None:
    return HTTPConnection(scope).cookies.get(COOKIE)


def _header(scope: Scope, name: bytes) -> str:
    return Headers(scope=scope).get(name.decode("latin-1"), "")


def _request_lang(scope: Scope, settings: Settings) -> str | None:
    """The language to answer in: ``?lang=``, else the Accept-Language of an API client
    (none: English), else the console's default for its pages."""
    asked = HTTPConnection(scope).query_params.get("lang")
    if asked:
        return i18n.normalise(asked, settings.lang)
    if under(scope["path"], TOKEN_APIS):
        accept = _header(scope, b"accept-language")
        return i18n.normalise(accept, settings.lang) if accept else None
    return settings.lang


def _callback_lang(data: dict[str, Any]) -> str | None:
    """The page's language, which every callback of ours carries as the ``lang`` store."""
    for item in [*data.get("state", []), *data.get("inputs", [])]:
        if isinstance(item, dict) and item.get("id") == "lang" and item.get("property") == "data":
            return item["value"] if isinstance(item.get("value"), str) else None
    return None


def _callback_body(body: bytes) -> dict[str, Any]:
    """A callback request as Dash sends one; refused (400) when it is not shaped so, or when
    it gives the pages router something other than a path: both would fail inside Dash."""
    bad = InvalidInput("Malformed callback request.")
    try:
        data = json.loads(body)
    except ValueError:
        raise bad from None
    if not isinstance(data, dict) or not isinstance(data.get("output"), str):
        raise bad
    items = data.get("inputs", []), data.get("state", [])
    if not all(isinstance(x, list) for x in items):
        raise bad
    for item in (i for group in items for i in group):
        if isinstance(item, list):  # a pattern-matching group
            continue
        if not isinstance(item, dict) or "id" not in item or "property" not in item:
            raise bad
        if item["id"] == "_pages_location":  # the router: text, a path from the root
            value = item.get("value")
            if not isinstance(value, str | None) or (
                item["property"] == "pathname" and value is not None and not value.startswith("/")
            ):
                raise bad
    return data


def _passive(data: dict[str, Any]) -> bool:
    """Whether a callback was fired by timers or the live channel only (not by the person)."""
    changed = data.get("changedPropIds")
    if not isinstance(changed, list) or not changed:
        return False
    return all(str(c).endswith(".n_intervals") or str(c).startswith("live") for c in changed)


# session cookie -> (principal, whether that check counted as activity), for _CACHE_S seconds
SessionCache = TTLCache[str, tuple[Principal, bool]]


class AuthMiddleware:
    """Pure ASGI: sets the principal of each HTTP request and WebSocket, or refuses it."""

    def __init__(self, app: ASGIApp, settings: Settings, cache: SessionCache) -> None:
        self.app = app
        self.settings = settings
        self.idle = dt.timedelta(minutes=settings.idle_lock_min)
        self._cache = cache  # shared with /logout, which forgets a session at once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if under(path, OPEN):
            await self.app(scope, receive, send)
            return
        lang = _request_lang(scope, self.settings)
        try:
            if under(path, TOKEN_APIS):
                body = b""
                if path.startswith("/open311/") and scope.get("method") == "POST":
                    body, receive = await _buffer(receive)  # Open311 may send api_key in it
                who = await self._token(scope, body)
            else:
                if path == "/_dash-update-component" and scope["type"] == "http":
                    body, receive = await _buffer(receive)
                    try:
                        data: dict[str, Any] | None = _callback_body(body)
                    except InvalidInput:
                        data = None  # refused below, once the session is known (401 first)
                    who = await self._session(scope, touch=data is None or not _passive(data))
                    if data is None:
                        raise InvalidInput("Malformed callback request.")
                    lang = _callback_lang(data) or lang
                else:
                    who = await self._session(scope, touch=True)
        except GeoError as exc:
            await self._refuse(scope, receive, send, exc)
            return
        except (psycopg.OperationalError, PoolTimeout):
            away = DatabaseUnavailable(errors.DB_AWAY, code="db_away")
            await self._refuse(scope, receive, send, away)
            return
        with i18n.speaking(lang):
            if who is None:  # an open integration route (Open311 reads): the route decides
                await self.app(scope, receive, send)
                return
            with state.acting(who):
                await self.app(scope, receive, send)

    async def _token(self, scope: Scope, body: bytes = b"") -> Principal | None:
        auth_h = _header(scope, b"authorization")
        secret = auth_h[7:].strip() if auth_h.lower().startswith("bearer ") else None
        if secret is None and scope["path"].startswith("/open311/"):
            secret = _open311_key(scope, body)
        if not secret:
            return None  # the route asks for a token (or is open, as Open311's reads are)

        def verify() -> Principal:
            with state.pool(self.settings).connection() as conn:
                return tokens.verify(conn=conn, secret=secret).principal

        return await anyio.to_thread.run_sync(verify)

    async def _session(self, scope: Scope, *, touch: bool) -> Principal:
        secret = _cookie(scope)
        if not secret:
            raise Unauthorized("Please sign in.")
        hit = self._cache.get(secret)
        if hit and (hit[1] or not touch):
            return hit[0]

        def check() -> Principal:
            with state.pool(self.settings).connection() as conn:
                return auth.session(conn=conn, secret=secret, idle=self.idle, touch=touch)

        try:
            who = await anyio.to_thread.run_sync(check)
        except GeoError:
            self._cache.pop(secret, None)
            raise
        self._cache[secret] = (who, touch)
        return who

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, exc: GeoError) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401, "reason": exc.user_message})
            return
        wants_page = scope["method"] == "GET" and "text/html" in _header(scope, b"accept")
        if wants_page and exc.status == 401:
            target = scope["path"] + (
                "?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else ""
            )
            reply: Response = RedirectResponse(
                f"/login?next={quote(target)}&why={quote(exc.user_message)}", status_code=303
            )
        else:
            reply = Response(
                json.dumps(errors.body_for(scope["path"], exc.status, exc.user_message)),
                status_code=exc.status,
                media_type="application/json",
            )
        await reply(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes, Receive]:
    """Read a request body (to look at it) and a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        msg = await receive()
        if msg["type"] != "http.request":
            break
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > _MAX_CALLBACK_BODY:
            raise _TooLarge()
        chunks.append(chunk)
        more = msg.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


def _open311_key(scope: Scope, body: bytes) -> str | None:
    """Open311's api_key: a query parameter, or a field of the form or JSON body."""
    qs = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if qs.get("api_key"):
        return qs["api_key"][0]
    text = body[:65536].decode("utf-8", "replace")
    if _header(scope, b"content-type").startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        key = data.get("api_key") if isinstance(data, dict) else None
        return key if isinstance(key, str) else None
    return (parse_qs(text).get("api_key") or [None])[0]


class _TooLarge(GeoError):
    status = 413

    def __init__(self) -> None:
        super().__init__("The request is too large.")


def _safe_next(target: str | None) -> str:
    """Only a path on this console (no scheme, no host, no //) is followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/dispatch"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/dispatch"
    return target


def login_page(lang: str, message: str = "", next_url: str = "/dispatch", status: int = 200) -> Any:
    tx = i18n.t(lang)
    msg = f'<p class="gd-login-msg" id="login-msg">{html.escape(message)}</p>' if message else ""
    body = f"""<!doctype html>
<html lang="{html.escape(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(tx["login.title"])} · griddispatch</title>
<link rel="stylesheet" href="/assets/style.css"></head>
<body class="gd-login"><form method="post" action="/login" class="gd-login-form">
<h1>{html.escape(tx["app.title"])}</h1>{msg}
<input type="hidden" name="next" value="{html.escape(next_url)}">
<label>{html.escape(tx["login.user"])}
<input name="username" id="login-user" autocomplete="username" required maxlength="40"></label>
<label>{html.escape(tx["login.password"])}
<input name="password" id="login-password" type="password" autocomplete="current-password"
 required maxlength="200"></label>
<label>{html.escape(tx["login.code"])}
<input name="code" id="login-code" inputmode="numeric" autocomplete="one-time-code"
 maxlength="10"></label>
<button type="submit" id="login-submit">{html.escape(tx["login.submit"])}</button>
</form></body></html>"""
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def install(server: FastAPI, settings: Settings) -> None:
    """The middleware, /login (GET, POST) and /logout (POST)."""
    cache: SessionCache = TTLCache(maxsize=10_000, ttl=_CACHE_S)
    server.add_middleware(AuthMiddleware, settings=settings, cache=cache)

    def lang_of(request: Request) -> str:
        return i18n.normalise(request.query_params.get("lang"), settings.lang)

    @server.get("/login", include_in_schema=False)
    def login_form(request: Request) -> Any:
        why = request.query_params.get("why", "")[:200]
        nxt = _safe_next(request.query_params.get("next"))
        return login_page(lang_of(request), why if why != "Please sign in." else "", nxt)

    @server.post("/login", include_in_schema=False)
    async def login(request: Request) -> Any:
        raw = await request.body()
        form = {k: v[0] for k, v in parse_qs(raw[:8192].decode("utf-8", "replace")).items()}
        username = form.get("username", "").strip().lower()[:100]
        nxt = _safe_next(form.get("next"))
        client = request.client.host if request.client else "?"

        def sign_in() -> auth.SignIn:
            with state.pool(settings).connection() as conn:
                return auth.sign_in(
                    conn=conn,
                    username=username,
                    password=form.get("password", "")[:400],
                    code=form.get("code", "")[:20],
                    actor=f"signin:{client}",
                )

        try:
            signed = await anyio.to_thread.run_sync(sign_in)
        except GeoError as exc:
            return login_page(lang_of(request), exc.user_message, nxt, exc.status)
        reply = RedirectResponse(nxt, status_code=303)
        reply.set_cookie(
            COOKIE,
            signed.session,
            httponly=True,
            samesite="strict",
            secure=bool(settings.cookie_secure),
            path="/",
        )
        log.info("%s signed in from %s", signed.principal.actor, client)
        return reply

    @server.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Any:
        secret = request.cookies.get(COOKIE)
        with state.pool(settings).connection() as conn:
            auth.sign_out(conn=conn, secret=secret)
        cache.pop(secret or "", None)
        reply = RedirectResponse("/login", status_code=303)
        reply.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return reply
