"""Open311 GeoReport v2 (JSON) at /open311/v2: existing Open311 clients submit reports and
follow them. Services are incident categories; a service request is a case, its id the case
number. Service lists and definitions are public; requests need a token with the ``open311``
scope, given as ``api_key`` (as the specification says) or as a bearer header. POST bodies
are form-encoded (the specification) or JSON. Errors come as ``[{code, description}]``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import re
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Header, Path, Query, Request, Response

from console.api import v1 as api_v1
from console.server import state
from console.settings import Settings
from geo import intake, open311
from geo.access import PUBLIC, Principal
from geo.coords import to_wgs84
from geo.errors import InvalidInput, NotFound

SPEC = "http://wiki.open311.org/GeoReport_v2"
MAX_BODY = 64 * 1024
_ID = r"^[A-Za-z0-9_-]{1,40}$"


def _caller() -> Principal:
    """The token the request came with (read by ``console.server.auth`` from the Authorization
    header or the api_key parameter); it must hold the ``open311`` scope."""
    return api_v1.token_with("open311")


async def _fields(request: Request) -> dict[str, list[str]]:
    """The POST body as form fields (form-encoded or a flat JSON object)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput(f"The body is larger than {MAX_BODY // 1024} KB.")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("The body is not UTF-8.") from None
    if kind == "application/json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise InvalidInput("The body is not valid JSON.") from None
        if not isinstance(data, dict) or not all(
            isinstance(v, str | int | float) and not isinstance(v, bool) for v in data.values()
        ):
            raise InvalidInput("The JSON body must be one object of plain values.")
        return {str(k): [str(v)] for k, v in data.items()}
    if kind in ("application/x-www-form-urlencoded", ""):
        try:
            return parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
        except ValueError:
            raise InvalidInput("The form body is malformed.") from None
    raise InvalidInput("Send the report form-encoded or as JSON.")


def _csv(text: str | None, pattern: str = _ID) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    if len(items) > 100 or not all(re.match(pattern, t) for t in items):
        raise InvalidInput("A list parameter is malformed (comma-separated ids, at most 100).")
    return items


def _date(text: str | None, name: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} is not a W3C date-time.") from None
    if t.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone (Z or +08:00).")
    if not 1970 <= t.year <= 2200:  # a window of 90 days before year 1 cannot be computed
        raise InvalidInput(f"{name} must lie between 1970 and 2200.")
    return t


def router(settings: Settings) -> APIRouter:
    r = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

    def root(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @r.get("/discovery.json", summary="Service discovery")
    def discovery(request: Request) -> dict[str, Any]:
        return {
            "changeset": "2026-11-23T00:00:00Z",
            "contact": "The command centre that runs this console.",
            "key_service": "python -m console token create NAME open311",
            "endpoints": [
                {
                    "specification": SPEC,
                    "url": root(request) + "/open311/v2",
                    "changeset": "2026-11-23T00:00:00Z",
                    "type": "production",
                    "formats": ["application/json"],
                }
            ],
        }

    @r.get("/services.json", summary="Services (incident categories)")
    def services() -> list[dict[str, Any]]:
        with state.db(settings, PUBLIC) as conn:
            return open311.services(conn=conn, lang=settings.lang)

    @r.get("/services/{code}.json", summary="A service definition (its attributes)")
    def definition(code: str = Path(pattern=r"^[a-z_]{2,40}$")) -> dict[str, Any]:
        with state.db(settings, PUBLIC) as conn:
            try:
                return open311.definition(conn=conn, service_code=code)
            except InvalidInput:
                raise NotFound(f"No service {code!r}.") from None

    @r.post("/requests.json", summary="Submit a service request (opens a case)")
    async def submit(
        request: Request,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> list[dict[str, Any]]:
        params = await _fields(request)
        req = open311.parse_request(params)
        key = (params.get("api_key") or [None])[0]
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        return await asyncio.to_thread(_submit, request, req, key, idempotency_key, digest)

    def _submit(
        request: Request,
        req: open311.NewRequest,
        api_key: str | None,
        idempotency_key: str | None,
        digest: str,
    ) -> list[dict[str, Any]]:
        tok = _caller()
        lon = lat = None
        if req.lon is not None and req.lat is not None:
            lon, lat = to_wgs84(req.lon, req.lat, req.datum)
        report = intake.Report(
            lon=lon,
            lat=lat,
            address=req.address,
            category=req.service_code,
            priority=req.priority,
            source=req.source,
            klass=req.klass,
            description=req.description,
            reporter_name=req.reporter_name,
            reporter_phone=req.reporter_phone,
            reporter_email=req.email,
            media_url=req.media_url,
        )
        with state.db(settings) as conn:
            row, _ = intake.open_case(
                conn=conn,
                report=report,
                boundary_m=settings.boundary_m,
                retry=intake.Retry(tok.token_id, idempotency_key, digest),
            )
        return [{"service_request_id": row["number"], "service_notice": None}]

    @r.get("/requests.json", summary="Service requests by ids or filters")
    def listing(
        request: Request,
        api_key: Annotated[str | None, Query(max_length=100)] = None,
        service_request_id: Annotated[str | None, Query(max_length=4200)] = None,
        service_code: Annotated[str | None, Query(max_length=4200)] = None,
        start_date: Annotated[str | None, Query(max_length=40)] = None,
        end_date: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,  # one here
    ) -> list[dict[str, Any]]:
        numbers = _csv(service_request_id)
        codes = _csv(service_code, r"^[a-z_]{2,40}$")
        statuses = _csv(status, r"^[a-z]{1,10}$")
        start, end = _date(start_date, "start_date"), _date(end_date, "end_date")
        _caller()
        with state.db(settings) as conn:
            rows = open311.requests(
                conn=conn,
                numbers=numbers,
                service_codes=codes,
                start=start,
                end=end,
                statuses=statuses,
            )
        return [open311.as_request(x, lang=settings.lang, base_url=root(request)) for x in rows]

    @r.get("/requests/{number}.json", summary="One service request")
    def one(
        request: Request,
        number: str = Path(pattern=_ID),
        api_key: Annotated[str | None, Query(max_length=100)] = None,
        jurisdiction_id: Annotated[str | None, Query(max_length=100)] = None,
    ) -> list[dict[str, Any]]:
        _caller()
        with state.db(settings) as conn:
            rows = open311.requests(conn=conn, numbers=[number])
        if not rows:
            raise NotFound(f"No service request {number!r}.")
        return [open311.as_request(rows[0], lang=settings.lang, base_url=root(request))]

    @r.api_route("/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    def unknown(rest: str) -> Response:
        if rest.endswith(".xml"):
            raise InvalidInput("Only the JSON format is offered (.json).")
        raise NotFound("No such Open311 route.")

    return r
