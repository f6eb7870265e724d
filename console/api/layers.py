"""REST routes on the FastAPI server: map layers, grid cards, photos, health."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from console.server import state
from console.settings import Settings
from geo import counters as top_bar
from geo import gridcard, maplayers, photos
from geo.db import ping
from geo.errors import NotFound
from layers._geojson import feature_collection

STATIC_LAYERS = {"grids", "communities", "streets", "roads", "water", "platforms"}
_CACHE_S = 30.0


def router(settings: Settings) -> APIRouter:
    r = APIRouter(prefix="/api")
    cache: dict[str, tuple[float, Any, bytes]] = {}

    def _layer_bytes(name: str) -> bytes:
        with state.db(settings) as conn:
            # a saved boundary change shows at once (the version moves), the rest within 30 s
            version = maplayers.layer_versions(conn=conn)
            hit = cache.get(name)
            if (
                hit
                and name in STATIC_LAYERS
                and hit[1] == version
                and time.monotonic() - hit[0] < _CACHE_S
            ):
                return hit[2]
            rows = maplayers.layer_rows(conn=conn, name=name, tz=settings.tz)
        body = json.dumps(
            feature_collection(rows), ensure_ascii=False, separators=(",", ":"), default=str
        ).encode()
        cache[name] = (time.monotonic(), version, body)
        return body

    @r.get("/layers/{name}.geojson", summary="One map layer as GeoJSON (EPSG:4326)")
    def layer(name: str = Path(pattern=r"^[a-z_]{1,30}$")) -> Response:
        return Response(
            _layer_bytes(name),
            media_type="application/geo+json",
            headers={"Cache-Control": "no-cache"},
        )

    @r.get("/grids/{grid_id}", summary="The card of one grid")
    def grid(grid_id: int = Path(ge=1, le=2**31 - 1)) -> dict[str, Any]:
        with state.db(settings) as conn:
            return asdict(gridcard.grid_card(conn=conn, grid_id=grid_id, tz=settings.tz))

    @r.get("/counters", summary="Live counters of the top bar")
    def counters() -> dict[str, int]:
        with state.db(settings) as conn:
            return asdict(top_bar.counters(conn=conn))

    @r.get("/photos/{photo_id}", summary="One incident photo (JPEG, PNG or WebP)")
    def photo(photo_id: int = Path(ge=1, le=2**63 - 1)) -> Response:
        with state.db(settings) as conn:
            content_type, data = photos.load(conn=conn, photo_id=photo_id)
        return Response(
            data,
            media_type=content_type,
            headers={
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, max-age=3600",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )

    @r.get("/{rest:path}", include_in_schema=False)
    def unknown(rest: str) -> Response:
        raise NotFound("No such API route.")

    return r


def health_router(settings: Settings) -> APIRouter:
    r = APIRouter()

    @r.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        """Ready only once the caches are warm (the first recommendation is no slower than
        the next) and the database answers; else 503, so a balancer sends nobody here."""
        if not state.ready():
            state.warm(settings)  # start-up could not (the database was away): try now
        with state.pool(settings).connection() as conn:
            ping(conn)
        return {"status": "ok"}

    return r
