"""The desk's intake: picking a point (map click, N, place search), the intake preview (grid,
nearby duplicates), the category's default class, opening a case and linking a report to a
nearby one.

The callbacks' bodies are plain functions (what the browser sent in, what the desk shows out);
errors are raised and ``guarded`` (in ``register``) shows them in the message output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, html

from console import i18n
from console.pages.actions import an_id, clicked, guarded, latlng, message, rev, text
from console.pages.desk import render as desk
from console.pages.desk.common import HIDDEN, NO, SHOWN, fly, still_set
from console.server import state
from console.settings import Settings
from geo import casefile, categories, incidents, intake, places
from layers import routes

# A failed preview: the form shown, its grid choice and duplicates cleared (the message in
# intake-where; the picked point stays on the map: ``still_set``).
PREVIEW_FAILED = {0: SHOWN, 1: HIDDEN, 3: [], 4: None, 5: HIDDEN, 6: None}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# ------------------------------------------------------------------ the callbacks' bodies
def _pick(trig: Any, click: Any, centre: Any, current: Any) -> Any:
    if trig in ("intake-cancel", "key-clear"):
        return None
    if trig == "key-new":  # N: at the last picked point, else the map centre
        if current:
            return NO
        at = latlng(centre)
    else:
        at = latlng(click.get("latlng") if isinstance(click, dict) else None)
    return None if at is None else {"lat": at[0], "lng": at[1]}


def _search(settings: Settings, value: Any, lang: str) -> tuple[Any, Any, Any, Any]:
    """Places matching the text: one is picked and flown to, several are offered."""
    tx = i18n.t(lang)
    if not isinstance(value, str) or not value.strip():
        return None, None, NO, NO
    with state.db(settings, need="watch") as conn:
        hits = places.locate(conn=conn, text=value, limit=8)
    if not hits:
        return message(tx["search.none"].format(q=value.strip()), ok=False), None, NO, NO
    data = [{"lat": h.lat, "lng": h.lon, "label": h.label} for h in hits]
    if len(hits) == 1:
        return None, data, {"lat": hits[0].lat, "lng": hits[0].lon}, fly(hits[0].lat, hits[0].lon)
    buttons = [
        html.Button(h.label, id={"type": "place-hit", "i": n}, className="gd-hit", n_clicks=0)
        for n, h in enumerate(hits)
    ]
    return buttons, data, NO, NO


def _pick_hit(trig: Any, data: Any) -> tuple[Any, Any, Any]:
    """The offered place clicked (``trig``: its button's id)."""
    try:
        hit = data[int(trig["i"])]
        lat, lng = float(hit["lat"]), float(hit["lng"])
    except (KeyError, IndexError, TypeError, ValueError, OverflowError):
        return NO, NO, NO
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return NO, NO, NO
    return {"lat": lat, "lng": lng}, fly(lat, lng), None


def _preview(settings: Settings, p: Any, category: Any, lang: str) -> tuple[Any, ...]:
    """The intake form for the picked point: where it is, its grid (a choice near a
    boundary), possible duplicates nearby; the point on the map."""
    tx = i18n.t(lang)
    at = latlng(p)
    if at is None:
        return HIDDEN, SHOWN, None, [], None, HIDDEN, None, routes.EMPTY
    with still_set("layer-pick", data=routes.pick(*at)):
        with state.db(settings, need="watch") as conn:
            pv = casefile.intake_preview(
                conn=conn,
                lon=at[1],
                lat=at[0],
                category=category if isinstance(category, str) else None,
                boundary_m=settings.boundary_m,
                duplicate_m=settings.duplicate_m,
                duplicate_s=settings.duplicate_min * 60,
            )
        where, options, value, choose, dups = desk.intake_parts(pv, tx, now())
    return (
        SHOWN,
        HIDDEN,
        where,
        options,
        value,
        SHOWN if choose else HIDDEN,
        dups,
        routes.pick(*at),
    )


def _default_class(settings: Settings, category: Any) -> Any:
    with state.db(settings, need="watch") as conn:
        klass = categories.default_class(conn=conn, category=str(category))
    return klass or NO


def _create(
    settings: Settings, p: Any, grid: Any, category: Any, klass: Any, priority: Any,
    source: Any, name: Any, phone: Any, desc: Any, lang: str,
) -> tuple[Any, ...]:  # fmt: skip
    """A new case at the picked point; it is selected and the form emptied."""
    tx = i18n.t(lang)
    at = latlng(p)
    if at is None:
        return NO, NO, NO, message(tx["intake.need_point"], ok=False), NO, NO, NO
    if not isinstance(category, str) or not category:
        return NO, NO, NO, message(tx["intake.need_category"], ok=False), NO, NO, NO
    report = intake.Report(
        lon=at[1],
        lat=at[0],
        category=category,
        priority=str(priority),
        source=str(source),
        klass=klass if isinstance(klass, str) else None,
        description=text(desc),
        reporter_name=text(name) or None,
        reporter_phone=text(phone) or None,
        grid_code=grid if isinstance(grid, str) else None,
    )
    with state.db(settings, need="dispatch") as conn:
        row, _ = intake.open_case(conn=conn, report=report, boundary_m=settings.boundary_m)
    msg = tx["msg.created"].format(number=row["number"], grid=row["grid_code"])
    return row["id"], None, rev(), message(msg), "", "", ""


def _link(
    settings: Settings, trig: Any, source: Any, name: Any, phone: Any, desc: Any, lang: str
) -> tuple[Any, ...]:
    """The report linked to a nearby case (``trig``: its duplicate's link button)."""
    tx = i18n.t(lang)
    case_id = an_id(trig["id"])
    with state.db(settings, need="dispatch") as conn:
        row = incidents.link_report(
            conn=conn,
            incident_id=case_id,
            source=str(source),
            description=text(desc),
            reporter_name=text(name) or None,
            reporter_phone=text(phone) or None,
        )
    msg = message(tx["msg.linked"].format(number=row["number"]))
    return row["id"], None, rev(), msg, "", "", ""


# ------------------------------------------------------------------------ the wiring
def register(app: dash.Dash, settings: Settings) -> None:
    """Picking a point and the place search; the form (``_register_form``)."""

    @app.callback(
        Output("desk-pick", "data"),
        Input("map", "clickData"),
        Input("key-new", "n_clicks"),
        Input("intake-cancel", "n_clicks"),
        Input("key-clear", "n_clicks"),
        State("map", "center"),
        State("desk-pick", "data"),
        prevent_initial_call=True,
    )
    def pick(click: Any, _n: Any, _c: Any, _e: Any, centre: Any, current: Any) -> Any:
        return _pick(ctx.triggered_id, click, centre, current)

    @app.callback(
        Output("place-hits", "children"),
        Output("place-hits-data", "data"),
        Output("desk-pick", "data", allow_duplicate=True),
        Output("map", "viewport"),
        Input("place-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0, fill={1: None})
    def search(text: Any, lang: str) -> tuple[Any, Any, Any, Any]:
        return _search(settings, text, lang)

    @app.callback(
        Output("desk-pick", "data", allow_duplicate=True),
        Output("map", "viewport", allow_duplicate=True),
        Output("place-hits", "children", allow_duplicate=True),
        Input({"type": "place-hit", "i": ALL}, "n_clicks"),
        State("place-hits-data", "data"),
        prevent_initial_call=True,
    )
    def pick_hit(_clicks: Any, data: Any) -> tuple[Any, Any, Any]:
        if not clicked(_clicks):
            return NO, NO, NO
        return _pick_hit(ctx.triggered_id, data)

    _register_form(app, settings)


def _register_form(app: dash.Dash, settings: Settings) -> None:
    """The intake preview, the category's default class, create and link."""

    @app.callback(
        Output("intake", "style"),
        Output("case", "style"),
        Output("intake-where", "children"),
        Output("intake-grid", "options"),
        Output("intake-grid", "value"),
        Output("intake-grid-box", "style"),
        Output("intake-dups", "children"),
        Output("layer-pick", "data"),
        Input("desk-pick", "data"),
        Input("intake-category", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=2, fill=PREVIEW_FAILED)
    def preview(p: Any, category: Any, lang: str) -> tuple[Any, ...]:
        return _preview(settings, p, category, lang)

    @app.callback(
        Output("intake-class", "value"),
        Input("intake-category", "value"),
        prevent_initial_call=True,
    )
    def default_class(category: Any) -> Any:
        return _default_class(settings, category)

    intake_state = [
        State("desk-pick", "data"),
        State("intake-grid", "value"),
        State("intake-category", "value"),
        State("intake-class", "value"),
        State("intake-priority", "value"),
        State("intake-source", "value"),
        State("intake-name", "value"),
        State("intake-phone", "value"),
        State("intake-desc", "value"),
        State("lang", "data"),
    ]
    after_intake = [
        Output("desk-sel", "data", allow_duplicate=True),
        Output("desk-pick", "data", allow_duplicate=True),
        Output("desk-rev", "data", allow_duplicate=True),
        Output("desk-msg", "children", allow_duplicate=True),
        Output("intake-name", "value"),
        Output("intake-phone", "value"),
        Output("intake-desc", "value"),
    ]

    @app.callback(
        *after_intake, Input("intake-create", "n_clicks"), *intake_state, prevent_initial_call=True
    )
    @guarded(at=3)
    def create(_n: Any, *values: Any) -> tuple[Any, ...]:
        return _create(settings, *values)

    @app.callback(
        *after_intake,
        Input({"type": "dup-link", "id": ALL}, "n_clicks"),
        *intake_state,
        prevent_initial_call=True,
    )
    @guarded(at=3)
    def link(_n: Any, *values: Any) -> tuple[Any, ...]:
        if not clicked(_n):
            return (NO,) * 7
        *_, source, name, phone, desc, lang = values
        return _link(settings, ctx.triggered_id, source, name, phone, desc, lang)
