"""Page layouts and the shell's callbacks. Callbacks are thin: unpack, call geo/layers, return."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import dash
import dash_leaflet as dl
from dash import Input, Output, Patch, State, dcc, html

from console import i18n
from console.pages import admin, components, desk, planning, replay, supervision, tasks, wall
from console.pages.actions import guarded
from console.pages.planning import coverage as planning_coverage
from console.server import live, state
from console.settings import Settings
from geo import categories, counters, gridcard, places
from layers import legend
from layers.registry import LAYERS, component, layers_control

log = logging.getLogger(__name__)


# Layers a page starts with unticked: the hexagons and task grids read better alone.
OFF_LAYERS = {
    "supervision": frozenset({"grids", "units", "incidents"}),
    "tasks": frozenset({"grids", "units", "incidents", "platforms"}),
}


def _safe_counters(settings: Settings) -> tuple[counters.Counters | None, Any]:
    """The counters, and the bounds of the user's jurisdiction to fit the map to."""
    scope = state.principal().scope
    try:
        with state.db(settings) as conn:
            within = None if scope == "all" else scope
            return counters.counters(conn=conn), places.city_bounds(conn=conn, within=within)
    except Exception:  # the page still renders; the banner says the data is missing (logged)
        log.exception("could not read counters")
        return None, None


def shell(
    page: str, settings: Settings, lang: str | None, query: dict[str, Any] | None = None
) -> html.Div:
    """The map shell shared by every page; the dispatch page adds the desk around the map.
    ``query``: the page's URL parameters (``/tasks?task=12`` opens that task)."""
    lang = i18n.normalise(lang, settings.lang)
    tx = i18n.t(lang)
    who = state.principal()
    allowed = frozenset(p for p, _ in components.PAGES if who.may(components.PAGE_ACTION[p]))
    if page not in allowed:  # the nav does not offer it; a typed URL gets this
        page_body: list[Any] = [html.Div(tx["page.forbidden"], className="gd-page-note",
                                         id="page-forbidden")]  # fmt: skip
        return _frame(page, lang, tx, settings, None, allowed, page_body, live_store=False)
    if page == "admin":
        counters = _safe_counters(settings)[0]
        body = admin.layout(tx)
        return _frame(page, lang, tx, settings, counters, allowed, body, live_store=False)
    counters, bounds = _safe_counters(settings)
    the_map = _map(page, tx, settings, bounds)
    body = _body(page, tx, lang, settings, the_map, query)
    # The live channel (console.server.live); a replay shows the past, not the present.
    return _frame(page, lang, tx, settings, counters, allowed, body, live_store=page != "replay")


def _map(page: str, tx: dict[str, str], settings: Settings, bounds: Any) -> dl.Map:
    """The map of ``page``: its layers and controls, fitted to ``bounds`` (the user's area)."""
    url_for = {name: f"/api/layers/{name}.geojson" for name in LAYERS}
    # The centre is given with the bounds: dash-leaflet's viewport tracking (the map's
    # ``center`` prop, read by the desk's N key) fails without one. No zoom with bounds: a
    # zoom other than the one the bounds fit makes the two fight for ever.
    map_kwargs: dict[str, Any] = {"center": [27.83, 113.13], "zoom": 12}
    if bounds:
        (s, w), (n, e) = bounds
        map_kwargs = {"bounds": bounds, "center": [(s + n) / 2, (w + e) / 2]}
    desk_page, wall_page = page == "dispatch", page == "wall"
    if page == "replay":
        map_children: list[Any] = [
            *replay.map_layers(url_for),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ]
    elif wall_page:  # no controls on the wall: the layers themselves, always on
        map_children = [
            component(spec, url_for[name], passive=True)
            for name, spec in LAYERS.items()
            if spec.checked
        ]
        map_kwargs["zoomControl"] = False
    else:
        map_children = [
            layers_control(
                tx,
                url_for,
                settings.tile_url,
                settings.tile_attribution,
                passive=frozenset({"grids"}) if desk_page else frozenset(),
                off=OFF_LAYERS.get(page, frozenset()),
            ),
            dl.ScaleControl(position="bottomleft", imperial=False),
            *(desk.overlays() if desk_page else []),
            *(planning.overlays() if page == "planning" else []),
            *(supervision.overlays() if page == "supervision" else []),
            *(tasks.overlays() if page == "tasks" else []),
        ]
    return dl.Map(
        map_children,
        id="map",
        className="gd-map",
        preferCanvas=True,
        zoomSnap=0.25,
        attributionControl=False,
        **map_kwargs,
    )


def _body(
    page: str,
    tx: dict[str, str],
    lang: str,
    settings: Settings,
    the_map: Any,
    query: dict[str, Any] | None,
) -> list[Any]:
    """The page around ``the_map``: the desk, the wall, a page's side panel."""
    desk_page, wall_page = page == "dispatch", page == "wall"
    legend_box = legend.build(tx)
    synthetic = html.Div(tx["demo.synthetic"], className="gd-synthetic")
    if desk_page:
        cats, areas = _desk_lists(settings)
        case = str((query or {}).get("case", ""))
        body: list[Any] = desk.layout(tx, lang, cats, areas, [the_map, legend_box, synthetic],
                                      int(case) if case.isdigit() and len(case) < 18 else None)
    elif wall_page:
        body = wall.layout(tx, settings.jurisdiction_name, the_map)
    elif page == "replay":
        body = replay.layout(tx, the_map)
    elif page == "planning":
        body = planning.layout(tx, the_map, legend_box)
        planning_coverage.prepare(settings)
    elif page == "supervision":
        body = supervision.layout(tx, lang, the_map, settings)
    elif page == "tasks":
        body = tasks.layout(tx, lang, the_map, settings, (query or {}).get("task"))
    else:
        body = [
            html.Div(
                [
                    the_map,
                    html.Div(
                        [
                            html.Div(tx[f"page.{page}"], className="gd-page-note", id="page-note"),
                            html.Div(tx["card.hint"], id="grid-card", className="gd-page-note"),
                        ],
                        className="gd-side",
                    ),
                    legend_box,
                    synthetic,
                ],
                className="gd-main",
            )
        ]
    return body


def _frame(
    page: str,
    lang: str,
    tx: dict[str, str],
    settings: Settings,
    counters: counters.Counters | None,
    allowed: frozenset[str],
    body: list[Any],
    *,
    live_store: bool,
) -> html.Div:
    """The page root: stores, the top bar (with the pages this user may open) and ``body``."""
    who = state.principal()
    name = who.area or settings.jurisdiction_name
    return html.Div(
        [
            dcc.Store(id="lang", data=lang),
            *([dcc.Store(id="live", data=[])] if live_store else []),
            dcc.Store(id="live-cases"),
            dcc.Store(id="layers-rev", data=0),  # a saved change: the view layers again
            dcc.Store(id="map-view"),  # the view the view layers were last asked for
            html.Div(
                id="map-hint",
                style={"display": "none"},
                **{"data-text": tx["map.zoom_in"], "data-layer": tx["layer.grids"]},
            ),
            dcc.Interval(id="counter-tick", interval=5_000),
            components.top_bar(
                page, lang, tx, name, counters, allowed, who.name or who.actor.split(":", 1)[-1]
            ),
            html.Div(
                tx["db.reconnecting"],
                id="db-banner",
                className="gd-db-banner",
                style={"display": "none"},
            ),  # fmt: skip
            html.Div(
                id="db-restarted",
                className="gd-db-note",
                style={"display": "none"},
                **{"data-text": tx["db.restarted"]},
            ),  # fmt: skip
            *body,
        ],
        id="gd-root",
        className=f"gd-page-{page}",
    )


def _desk_lists(settings: Settings) -> tuple[list[categories.Category], list[places.Area]]:
    try:
        with state.db(settings) as conn:
            return categories.categories(conn=conn), places.areas(conn=conn)
    except Exception:  # the page still renders; the pick lists are empty (logged)
        log.exception("could not read categories and areas")
        return [], []


def _grid_card(settings: Settings, feature: Any, lang: str) -> tuple[Any, Any]:
    """The clicked grid's card, and the grid outlined on the map."""
    tx = i18n.t(lang)
    try:
        grid_id = int((feature or {})["properties"]["id"])
    except (KeyError, TypeError, ValueError):
        return tx["card.hint"], dash.no_update
    with state.db(settings) as conn:
        card = gridcard.grid_card(conn=conn, grid_id=grid_id, tz=settings.tz)
    hideout = Patch()
    hideout["selected"] = grid_id
    return components.grid_card(card, tx), hideout


def register(app: dash.Dash, settings: Settings) -> None:
    """Register the pages and the shell callbacks on ``app``."""
    for page, path in components.PAGES:

        def layout(lang: str | None = None, _page: str = page, **query: Any) -> html.Div:
            return shell(_page, settings, lang, query)

        dash.register_page(page, path=path, layout=layout, title="griddispatch")

    desk.register(app, settings)
    live.register(app, settings)
    wall.register(app, settings)
    replay.register(app, settings)
    planning.register(app, settings)
    supervision.register(app, settings)
    tasks.register(app, settings)
    admin.register(app, settings)
    admin.register_plans(app, settings)

    app.clientside_callback(
        "function(bounds, zoom, rev) { return window.griddispatch.viewLayers(bounds, zoom, rev); }",
        Output("map-view", "data"),
        Input("map", "bounds"),
        Input("map", "zoom"),
        Input("layers-rev", "data"),
    )

    @app.callback(
        Output("grid-card", "children"),
        Output("layer-grids", "hideout"),
        Input("layer-grids", "clickData"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def show_grid(feature: dict[str, Any] | None, lang: str) -> tuple[Any, Any]:
        return _grid_card(settings, feature, lang)

    @app.callback(
        Output("counters", "children"),
        Input("counter-tick", "n_intervals"),
        Input("live-cases", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    async def refresh_counters(_n: int, _live: Any, lang: str) -> Any:
        # Off the event loop like every guarded callback; not guarded itself: while the
        # database is away the 503 raises the page's banner and the counters stay as they were.
        def read() -> counters.Counters:
            with state.db(settings) as conn:
                return counters.counters(conn=conn)

        return components.counter_items(i18n.t(lang), await asyncio.to_thread(read))

    app.clientside_callback(
        "function(lang) {"
        " document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN'; return ''; }",
        Output("jurisdiction", "title"),
        Input("lang", "data"),
    )
