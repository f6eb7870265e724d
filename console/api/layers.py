"""REST routes on the FastAPI server: map layers, grid cards, photos, health."""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from console.server import covmodel, state
from console.settings import Settings
from geo import counters as top_bar
from geo import gridcard, maplayers, photos
from geo.db import ping
from geo.errors import NotFound
from layers._geojson import feature_collection

STATIC_LAYERS = {"grids", "communities", "streets", "roads", "water", "platforms"}
_CACHE_S = 30.0
_CACHE_BYTES = 64 << 20  # views come snapped to tiles: desks looking at one place share them


def _view(bbox: str, zoom: int) -> maplayers.View:
    """``west,south,east,north`` and a zoom as a view (InvalidInput, a 400, when not)."""
    try:
        w, s, e, n = (float(v) for v in bbox.split(","))
    except ValueError:
        w = s = e = n = math.nan  # the View refuses it, with its message
    return maplayers.View(w, s, e, n, zoom)


def router(settings: Settings) -> APIRouter:
    r = APIRouter(prefix="/api")
    cache: OrderedDict[tuple[Any, ...], tuple[float, Any, bytes]] = OrderedDict()
    lock = threading.Lock()  # the routes run on several threads

    def _cached(key: tuple[Any, ...], static: bool, build: Callable[[Any], Any]) -> bytes:
        """The layer's body from the cache while its version holds (static layers: for
        30 s; a saved boundary change moves the version, so it shows at once)."""
        with state.db(settings) as conn:
            version = maplayers.layer_versions(conn=conn)
            with lock:
                hit = cache.get(key)
                fresh = hit and static and hit[1] == version
                if hit and fresh and time.monotonic() - hit[0] < _CACHE_S:
                    cache.move_to_end(key)
                    return hit[2]
            doc = build(conn)
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        with lock:
            cache[key] = (time.monotonic(), version, body)
            while len(cache) > 1 and sum(len(v[2]) for v in cache.values()) > _CACHE_BYTES:
                cache.popitem(last=False)
        return body

    def _layer_bytes(name: str) -> bytes:
        return _cached((name,), name in STATIC_LAYERS, lambda conn: feature_collection(
            maplayers.layer_rows(conn=conn, name=name, tz=settings.tz)))  # fmt: skip

    def _view_bytes(name: str, view: maplayers.View) -> bytes:
        def build(conn: Any) -> dict[str, Any]:
            got = maplayers.view_rows(conn=conn, name=name, view=view,
                                      cap=settings.map_max_features)  # fmt: skip
            return {**feature_collection(got.rows), "in_view": got.in_view,
                    "capped": got.capped}  # fmt: skip

        return _cached((name, view), True, build)

    @r.get("/layers/{name}.geojson", summary="One map layer as GeoJSON (EPSG:4326)")
    def layer(
        name: str = Path(pattern=r"^[a-z_]{1,30}$"),
        bbox: str | None = Query(None, max_length=120, description=(
            "west,south,east,north: only what meets this box (grids, communities, streets, "
            "roads and water), simplified for zoom z; with more features in it than "
            "GD_MAP_MAX_FEATURES, none, and `capped` true")),
        z: int = Query(14, ge=0, le=22, description="the map's zoom level (with bbox)"),
    ) -> Response:  # fmt: skip
        if bbox is not None and name in maplayers.VIEW_LAYER_NAMES:
            body = _view_bytes(name, _view(bbox, z))
        else:
            body = _layer_bytes(name)
        return Response(
            body, media_type="application/geo+json", headers={"Cache-Control": "no-cache"}
        )

    @r.get("/planning/coverage.geojson", summary="The coverage hexagons in view (planners)")
    def coverage_hexagons(
        bbox: str = Query(max_length=120, description="west,south,east,north"),
        z: int = Query(14, ge=0, le=22, description="the map's zoom level"),
    ) -> Response:
        """The hexagons of the planning page's coverage model that are in view (each with
        its index in the model's arrays, ``i``); with more than GD_MAP_MAX_FEATURES, their
        coarser parents (``c``: the hexagons in each). The page colours them."""
        hexes = covmodel.get(settings).hexagons
        doc = hexes.in_view(_view(bbox, z), settings.map_max_features)
        body = json.dumps(doc, separators=(",", ":")).encode()
        return Response(
            body, media_type="application/geo+json", headers={"Cache-Control": "no-cache"}
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
