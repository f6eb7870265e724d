"""OGC API - Features (read-only) at /ogc: landing page, conformance, collections, items.

QGIS ("WFS / OGC API - Features" connection, with an authentication configuration that sends
the header ``Authorization: Bearer <token>``) and GDAL (``OAPIF:http://host/ogc`` with the
configuration options ``GDAL_HTTP_AUTH=BEARER GDAL_HTTP_BEARER=<token>``) read the layers
straight from here.
Every route needs a token with the ``features:read`` scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from console.api.v1 import need
from console.server import state
from console.settings import Settings
from geo import ogc
from geo.access import Principal
from geo.errors import InvalidInput, NotFound

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON = "application/geo+json"
_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "datetime", "f", "crs"}
FeaturesRead = Annotated[Principal, need("features:read")]


def _check_params(request: Request) -> None:
    """Unknown parameters, other CRSs and formats are refused (OGC: 400), not ignored."""
    unknown = sorted(set(request.query_params) - _PARAMS)
    if unknown:
        raise InvalidInput(f"Unknown query parameter(s): {', '.join(unknown)}.")
    for key in ("bbox-crs", "crs"):
        v = request.query_params.get(key)
        if v is not None and v != CRS84:
            raise InvalidInput(f"Only {CRS84} is offered ({key}).")
    f = request.query_params.get("f")
    if f is not None and f not in ("json", "geojson"):
        raise InvalidInput("Only f=json is offered.")


Checked = Depends(_check_params)


def router(settings: Settings) -> APIRouter:
    r = APIRouter(prefix="/ogc", tags=["OGC API - Features"], dependencies=[Checked])

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/") + "/ogc"

    def describe(request: Request, c: ogc.Collection, bbox: list[float] | None) -> dict[str, Any]:
        url = f"{base(request)}/collections/{c.id}"
        out: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "description": c.description,
            "itemType": "feature",
            "crs": [CRS84],
            "links": [
                {"href": url, "rel": "self", "type": "application/json"},
                {"href": url + "/items", "rel": "items", "type": GEOJSON},
            ],
        }
        if bbox is not None:
            out["extent"] = {"spatial": {"bbox": [bbox], "crs": CRS84}}
        return out

    @r.get("", summary="Landing page")
    @r.get("/", include_in_schema=False)
    def landing(request: Request, _t: FeaturesRead) -> dict[str, Any]:
        b = base(request)
        root = str(request.base_url).rstrip("/")
        return {
            "title": "griddispatch",
            "description": "Grids, admin units, platforms, units and open incidents.",
            "links": [
                {"href": b, "rel": "self", "type": "application/json"},
                {
                    "href": root + "/openapi.json",
                    "rel": "service-desc",
                    "type": "application/vnd.oai.openapi+json;version=3.0",
                },
                {"href": root + "/docs", "rel": "service-doc", "type": "text/html"},
                {"href": b + "/conformance", "rel": "conformance", "type": "application/json"},
                {"href": b + "/collections", "rel": "data", "type": "application/json"},
            ],
        }

    @r.get("/conformance", summary="Conformance classes")
    def conformance(_t: FeaturesRead) -> dict[str, Any]:
        return {"conformsTo": CONFORMANCE}

    @r.get("/collections", summary="The collections")
    def collections(request: Request, _t: FeaturesRead) -> dict[str, Any]:
        with state.db(settings) as conn:
            cols = [
                describe(request, c, ogc.extent(conn=conn, name=c.id))
                for c in ogc.COLLECTIONS.values()
            ]
        return {
            "links": [{"href": base(request) + "/collections", "rel": "self"}],
            "collections": cols,
        }

    @r.get("/collections/{name}", summary="One collection")
    def one_collection(
        request: Request, _t: FeaturesRead, name: str = Path(max_length=40)
    ) -> dict[str, Any]:
        c = ogc.collection(name)
        with state.db(settings) as conn:
            return describe(request, c, ogc.extent(conn=conn, name=c.id))

    @r.get("/collections/{name}/items", summary="Features of a collection (GeoJSON, paged)")
    def items(
        request: Request,
        _t: FeaturesRead,
        name: str = Path(max_length=40),
        limit: Annotated[int, Query(ge=1, le=ogc.MAX_LIMIT)] = ogc.DEFAULT_LIMIT,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        bbox: Annotated[str | None, Query(max_length=200)] = None,
        datetime: Annotated[str | None, Query(max_length=100)] = None,
    ) -> JSONResponse:
        ogc.collection(name)
        box, when = ogc.parse_bbox(bbox), ogc.parse_datetime(datetime)
        with state.db(settings) as conn:
            page = ogc.items(conn=conn, name=name, limit=limit, offset=offset, bbox=box, when=when)
        url = f"{base(request)}/collections/{name}/items"
        keep = {k: v for k, v in request.query_params.items() if k not in ("offset", "limit")}

        def link(rel: str, off: int) -> dict[str, str]:
            q = urlencode({**keep, "limit": limit, "offset": off})
            return {"href": f"{url}?{q}", "rel": rel, "type": GEOJSON}

        links = [link("self", offset)]
        if offset + len(page.features) < page.matched:
            links.append(link("next", offset + limit))
        if offset > 0:
            links.append(link("prev", max(0, offset - limit)))
        body = {
            "type": "FeatureCollection",
            "features": page.features,
            "numberMatched": page.matched,
            "numberReturned": len(page.features),
            "timeStamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "links": links,
        }
        return JSONResponse(body, media_type=GEOJSON)

    @r.get("/collections/{name}/items/{fid}", summary="One feature")
    def item(
        request: Request,
        _t: FeaturesRead,
        name: str = Path(max_length=40),
        fid: str = Path(max_length=40),
    ) -> JSONResponse:
        with state.db(settings) as conn:
            feature = ogc.item(conn=conn, name=name, fid=fid)
        url = f"{base(request)}/collections/{name}"
        feature["links"] = [
            {"href": f"{url}/items/{fid}", "rel": "self", "type": GEOJSON},
            {"href": url, "rel": "collection", "type": "application/json"},
        ]
        return JSONResponse(feature, media_type=GEOJSON)

    @r.get("/{rest:path}", include_in_schema=False)
    def unknown(rest: str) -> JSONResponse:
        raise NotFound("No such OGC API route.")

    return r
