"""The integration API, /api/v1: incidents (with Idempotency-Key) and units (positions in
batches, status). Every route needs a bearer token with the route's scope; every input is
validated before anything is written, and each request is one transaction for the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from console.server import state
from console.settings import Settings
from geo import (
    access,
    avl,
    caselists,
    dispatching,
    idempotency,
    incidents,
    intake,
    places,
    tasks,
    units,
)
from geo.access import Principal, mask_phone
from geo.coords import to_wgs84
from geo.errors import Forbidden, InvalidInput, Unauthorized

# The enums of the domain core, as the schema's choices (Literal of a tuple: its values).
Priority = Literal[incidents.PRIORITIES]  # type: ignore[valid-type]
Source = Literal[incidents.SOURCES]  # type: ignore[valid-type]
Status = Literal[incidents.STATUSES]  # type: ignore[valid-type]
Klass = Literal[incidents.CLASSES]  # type: ignore[valid-type]
UnitStatus = Literal[units.UNIT_STATUSES]  # type: ignore[valid-type]
UnitType = Literal[units.UNIT_TYPES]  # type: ignore[valid-type]
_STRICT = ConfigDict(extra="forbid")


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    lon: float = Field(description="Longitude (checked with lat: inside the city, not swapped)")
    lat: float
    coords: Literal["wgs84", "gcj02"] = Field(
        "wgs84", description="Datum of lon/lat; GCJ-02 (Chinese web maps) is converted."
    )
    category: str = Field(pattern=r"^[a-z_]{2,40}$")
    priority: Priority | None = Field(
        None, description="Omitted: the category's default priority (a fire is red)."
    )
    source: Source
    klass: Klass | None = Field(None, alias="class")
    description: str = Field("", max_length=4000)
    reporter_name: str | None = Field(None, max_length=100)
    reporter_phone: str | None = Field(None, max_length=40)
    grid_code: str | None = Field(None, pattern=r"^[0-9]{15}$")


class StatusIn(BaseModel):
    model_config = _STRICT
    status: Status
    note: str | None = Field(None, max_length=4000)


class Position(BaseModel):
    model_config = _STRICT
    # strict: a JSON true is not unit 1, nor "1" a call sign turned into an id
    unit: Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)] | Annotated[
        str, Field(min_length=1, max_length=40, strict=True)] = Field(
        description="Unit id or call sign")  # fmt: skip
    lon: float = Field(description="Longitude (checked with lat: inside the city, not swapped)")
    lat: float
    time: dt.datetime = Field(description="Fix time with a time zone (ISO 8601)")
    speed: float | None = Field(None, ge=0, le=100, description="m/s")
    heading: float | None = Field(None, ge=0, lt=360, description="degrees from north")


class DispatchIn(BaseModel):
    model_config = _STRICT
    # strict: a JSON true is not unit 1
    units: list[Annotated[int, Field(ge=1, le=2**31 - 1, strict=True)]] = Field(
        min_length=1, max_length=20
    )


class UnitStatusIn(BaseModel):
    model_config = _STRICT
    status: UnitStatus


class TaskProgressIn(BaseModel):
    model_config = _STRICT
    grid: str = Field(pattern=r"^[0-9]{15}$", description="the grid's code")
    done: int = Field(ge=0, le=1_000_000,
                      description="how many are done so far (never less; at most the target)")


_bearer = HTTPBearer(auto_error=False, description="API token (python -m console token)")


def token_with(scope: str) -> Principal:
    """The principal of the request's API token (``console.server.auth`` verified it before the
    route ran), which must hold ``scope``."""
    p = state.current()
    if p is None or p.token_id is None:
        raise Unauthorized("An API token is required (Authorization: Bearer ...).")
    if scope not in p.extra:
        raise Forbidden(f"This token may not do that (it needs the scope {scope!r}).")
    return p


def need(scope: str) -> Any:
    """A dependency: the request's token, which must hold ``scope`` (the bearer scheme is
    declared for the OpenAPI document)."""

    def check(
        cred: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        return token_with(scope)

    return Depends(check)


IncidentsRead = Annotated[Principal, need("incidents:read")]
IncidentsWrite = Annotated[Principal, need("incidents:write")]
UnitsRead = Annotated[Principal, need("units:read")]
UnitsWrite = Annotated[Principal, need("units:write")]
TasksWrite = Annotated[Principal, need("tasks:write")]


def public(row: dict[str, Any]) -> dict[str, Any]:
    """An incident row as the API returns it (times in ISO 8601; the reporter's phone
    masked and e-mail left out unless the token holds reporters:read)."""
    out = {k: v for k, v in row.items() if k not in ("path", "overdue", "due")}
    if not state.principal().may("see_phone"):
        if "reporter_phone" in out:
            out["reporter_phone"] = mask_phone(out["reporter_phone"])
        out.pop("reporter_email", None)
    for k, v in out.items():
        if isinstance(v, dt.datetime):
            out[k] = v.isoformat()
    return out


def page(rows: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    """One page of rows by id; ``next_after_id`` is None on the last page."""
    items = [public(r) for r in rows]
    return {"items": items, "next_after_id": items[-1]["id"] if len(items) == limit else None}


def router(settings: Settings) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["integration API"])

    def _routed(conn: Any, incident_id: int) -> tuple[Any, Any, Any]:
        """The case (not found outside the jurisdiction), the router and the units now."""
        case = incidents.get(conn=conn, incident_id=incident_id)
        return (case, *state.router(settings, conn))

    # ------------------------------------------------------------------ incidents
    @r.post("/incidents", status_code=201, summary="Open a case (retry-safe with Idempotency-Key)")
    def create_incident(
        body: IncidentIn,
        response: Response,
        tok: IncidentsWrite,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        lon, lat = to_wgs84(body.lon, body.lat, body.coords)
        digest = hashlib.sha256(body.model_dump_json(by_alias=True).encode()).hexdigest()
        with state.db(settings) as conn:
            row, opened = intake.open_case(
                conn=conn,
                report=intake.Report(
                    lon=lon,
                    lat=lat,
                    category=body.category,
                    priority=body.priority,
                    source=body.source,
                    klass=body.klass,
                    description=body.description,
                    reporter_name=body.reporter_name,
                    reporter_phone=body.reporter_phone,
                    grid_code=body.grid_code,
                ),
                boundary_m=settings.boundary_m,
                retry=intake.Retry(tok.token_id, idempotency_key, digest),
            )
        if not opened:
            response.status_code = 200
            return public(row)
        response.headers["Location"] = f"/api/v1/incidents/{row['id']}"
        return public(row)

    @r.get("/incidents/{incident_id}", summary="One case")
    def get_incident(
        _t: IncidentsRead, incident_id: int = Path(ge=1, le=2**63 - 1)
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            row = incidents.get(conn=conn, incident_id=incident_id)
            shown = "api+phone" if row["reporter_phone"] and _t.may("see_phone") else "api"
            access.log_view(conn=conn, entity="incident", entity_id=str(incident_id), what=shown)
            return public(row)

    @r.get("/incidents", summary="Cases by filters, in pages (by id)")
    def list_incidents(
        _t: IncidentsRead,
        status: Annotated[list[Status] | None, Query()] = None,
        priority: Annotated[list[Priority] | None, Query()] = None,
        category: Annotated[
            list[Annotated[str, Field(pattern=r"^[a-z_]{2,40}$")]] | None, Query(max_length=100)
        ] = None,
        grid_code: Annotated[str | None, Query(pattern=r"^[0-9]{15}$")] = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            rows = caselists.listing(
                conn=conn,
                statuses=status,
                priorities=priority,
                categories=category,
                grid_code=grid_code,
                since=since,
                until=until,
                after_id=after_id,
                limit=limit,
            )
        return page(rows, limit)

    @r.post("/incidents/{incident_id}/status", summary="Move a case along the closed loop")
    def incident_status(
        body: StatusIn,
        tok: IncidentsWrite,
        incident_id: int = Path(ge=1, le=2**63 - 1),
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            row = incidents.transition(
                conn=conn, incident_id=incident_id, target=body.status, note=body.note
            )
        return public(row)

    @r.get("/incidents/{incident_id}/recommendations", summary="Nearest units by travel time")
    def recommendations(
        _t: IncidentsRead,
        incident_id: int = Path(ge=1, le=2**63 - 1),
        k: Annotated[int, Query(ge=1, le=20)] = 5,
        unit_type: Annotated[list[UnitType] | None, Query(alias="type")] = None,
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            case, router, snapshot = _routed(conn, incident_id)
            res = dispatching.recommend(
                conn=conn,
                router=router,
                units=snapshot,
                case=case,
                k=k,
                types=tuple(unit_type) if unit_type else None,
            )
        keep = ("unit_id", "call_sign", "type", "agency", "status", "eta_s", "network_m")
        return {
            "items": [{f: getattr(x, f) for f in keep} for x in res.recommendations],
            "reason": res.reason,
        }

    @r.post("/incidents/{incident_id}/dispatch", summary="Send units (all or none)")
    def dispatch(
        body: DispatchIn,
        tok: IncidentsWrite,
        incident_id: int = Path(ge=1, le=2**63 - 1),
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            case, router, snapshot = _routed(conn, incident_id)
            done = dispatching.send(conn=conn, router=router, units=snapshot, case=case,
                                    unit_ids=body.units)  # fmt: skip
        return {"incident_id": done.incident_id, "units": done.unit_ids}

    # ------------------------------------------------------------------ units
    @r.get("/units", summary="Units with position, status and open assignment, in pages")
    def list_units(
        _t: UnitsRead,
        status: Annotated[list[UnitStatus] | None, Query()] = None,
        unit_type: Annotated[list[UnitType] | None, Query(alias="type")] = None,
        after_id: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            rows = units.listing(
                conn=conn, statuses=status, types=unit_type, after_id=after_id, limit=limit
            )
        return page(rows, limit)

    @r.post("/units/positions", summary="A batch of tracker fixes (refused whole if any is bad)")
    def positions(
        body: Annotated[list[Position], Field(max_length=avl.MAX_BATCH)],
        response: Response,
        tok: UnitsWrite,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, int]:
        if not body:
            raise InvalidInput("The batch is empty.")
        digest = hashlib.sha256(
            b"".join(p.model_dump_json().encode() + b"\n" for p in body)
        ).hexdigest()
        with state.db(settings) as conn:
            n, stored_now = idempotency.store_once(
                conn=conn,
                token_id=tok.token_id,
                key=idempotency_key,
                request_sha256=digest,
                store=lambda: avl.ingest(
                    conn=conn,
                    units=[p.unit for p in body],
                    lon=[p.lon for p in body],
                    lat=[p.lat for p in body],
                    times=[p.time for p in body],
                    speed=[p.speed for p in body],
                    heading=[p.heading for p in body],
                    region_bbox=places.city_bbox(conn=conn),
                    keep_days=settings.positions_keep_days,
                ),
            )
        if not stored_now:
            response.headers["Idempotent-Replayed"] = "true"
        return {"stored": n}

    @r.post("/units/{unit_id}/status", summary="A unit's status (en route, on scene, ...)")
    def unit_status(
        body: UnitStatusIn,
        tok: UnitsWrite,
        unit_id: int = Path(ge=1, le=2**31 - 1),
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            status = units.set_status(conn=conn, unit_id=unit_id, target=body.status)
        return {"id": unit_id, "status": status}

    @r.post(
        "/tasks/{task_id}/progress",
        summary="A grid worker's progress on a mass task (格防码 / 吹哨报到)",
    )
    def task_progress(
        body: TaskProgressIn,
        tok: TasksWrite,
        task_id: int = Path(ge=1, le=2**62),
    ) -> dict[str, Any]:
        with state.db(settings) as conn:
            p = tasks.report(conn=conn, task_id=task_id, grid_code=body.grid, done=body.done)
        return {"task": task_id, "grid": p.grid_code, "target": p.target, "done": p.done,
                "late": p.late}  # fmt: skip

    return r
