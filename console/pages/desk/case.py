"""The desk's selected case: selecting it (on the map; a queue card or a search hit sets
``desk-sel`` too), its card with its response plan filled and the other units recommended,
their routes, redrawn once per change; and, in the browser, what is typed into the card, the
case in the address and the live changes by others that concern the card.

The callbacks' bodies are plain functions (what the browser sent in, what the desk shows out);
errors are raised and ``guarded`` (in ``register``) shows them in the card.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx

from console import i18n
from console.pages.actions import an_id, guarded
from console.pages.desk import render as desk
from console.pages.desk.common import HIDDEN, NO, SHOWN, fly, still_set
from console.server import state
from console.settings import Settings
from geo import casefile, dispatching, plans
from geo.errors import InvalidInput
from layers import routes

# A card that failed: the error in it, no plan, units or routes (and ``case-seen`` names the
# case and action it failed at: ``still_set``).
CASE_FAILED = {1: None, 2: HIDDEN, 3: routes.EMPTY, 4: None, 6: None, 7: None}


# ------------------------------------------------------------------ the callbacks' bodies
def _select(trig: Any, feature: Any) -> tuple[Any, Any]:
    if trig == "key-clear":
        return None, NO
    try:
        return an_id((feature or {})["properties"]["id"]), None
    except (KeyError, TypeError, InvalidInput):
        return NO, NO


def _show_case(
    settings: Settings, trig: Any, sel: Any, rev_: Any, types: Any, drafts: Any, lang: str
) -> tuple[Any, ...]:
    """Selecting a case: its file, its response plan filled, the 5 best other units and
    their routes (recommend_p50_ms); a new selection (``trig``) flies the map to it."""
    tx = i18n.t(lang)
    if sel is None:
        return tx["case.hint"], None, HIDDEN, routes.EMPTY, None, None, None, None, NO
    wanted = tuple(t for t in (types if isinstance(types, list) else []) if t in desk.REC_TYPES)
    with still_set("case-seen", data={"id": sel, "v": 0, "rev": rev_}):
        draft = drafts.get(str(sel)) if isinstance(drafts, dict) else None
        draft = {k: v for k, v in (draft or {}).items() if isinstance(v, str)}
        with state.db(settings, need="watch") as conn:
            cf = casefile.case_file(
                conn=conn,
                incident_id=an_id(sel),
                see_phone=state.principal().may("see_phone"),
                viewed=trig == "desk-sel",
            )
            shown = {"id": cf.incident["id"], "v": cf.incident["changed_at"].timestamp(),
                     "rev": rev_, "closed": cf.incident["status"] == "closed"}  # fmt: skip
            inc = (cf.incident["lat"], cf.incident["lon"])
            view = fly(*inc) if trig in ("desk-sel", None) else NO
            body = desk.case_body(cf, tx, lang, draft)
            if cf.incident["status"] in ("resolved", "closed"):
                return body, None, HIDDEN, routes.EMPTY, None, shown, None, None, view
            router, snapshot = state.router(settings, conn)
            sent = Counter(a.type for a in cf.assignments if a.released_at is None)
            filled = plans.fill(conn=conn, router=router, units=snapshot, case=cf.incident,
                                sent=sent)  # fmt: skip
            # the other units: of the types ticked, else more of the plan's (a fire's backups
            # are engines and ambulances, not the grid workers nearest to it), the plan's
            # own picks left out
            others = wanted or filled.types
            res = dispatching.recommend(
                conn=conn,
                router=router,
                units=snapshot,
                case=cf.incident,
                k=5 + len(filled.unit_ids),
                types=others or None,
                each_type=len(others) > 1,
            )
            picked_ids = set(filled.unit_ids)
            res = replace(res, recommendations=[
                r for r in res.recommendations if r.unit_id not in picked_ids][:5])  # fmt: skip
        picked = [r for rs in filled.picks.values() for r in rs]
        shown_units = picked + res.recommendations
        etas = {str(r.unit_id): round(r.eta_s, 1) for r in shown_units}
        if view is not NO and picked:  # the plan's routes in view
            view = _in_view(inc, picked)
        return (
            body,
            desk.recommendations(res, tx),
            SHOWN,
            routes.build(shown_units, inc),
            etas,
            shown,
            desk.plan_box(filled, tx),
            filled.unit_ids,
            view,
        )


def _in_view(inc: tuple[float, float], picked: list[Any]) -> dict[str, Any]:
    """The map's flight to the case and where the plan's units start from."""
    lats = [inc[0], *(p[0] for r in picked for p in r.path[:1])]
    lngs = [inc[1], *(p[1] for r in picked for p in r.path[:1])]
    return {"bounds": [[min(lats), min(lngs)], [max(lats), max(lngs)]],
            "transition": "flyToBounds",
            "options": {"maxZoom": 17, "padding": [40, 40]}}  # fmt: skip


# ------------------------------------------------------------------------ the wiring
def register(app: dash.Dash, settings: Settings) -> None:
    """Selecting a case and its card; what the browser keeps and decides (``_clientside``)."""

    @app.callback(
        Output("desk-sel", "data"),
        Output("desk-pick", "data", allow_duplicate=True),
        Input("layer-incidents", "clickData"),
        Input("key-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def select(feature: Any, _esc: Any) -> tuple[Any, Any]:
        """A case clicked on the map (a queue card sets ``desk-sel`` in the browser)."""
        return _select(ctx.triggered_id, feature)

    @app.callback(
        Output("case-body", "children"),
        Output("case-recs", "children"),
        Output("case-rec-box", "style"),
        Output("layer-routes", "data"),
        Output("desk-etas", "data"),
        Output("case-seen", "data"),
        Output("case-plan", "children"),
        Output("case-plan-ids", "data"),
        Output("map", "viewport", allow_duplicate=True),
        Input("desk-sel", "data"),
        Input("desk-rev", "data"),
        Input("case-types", "value"),
        Input("case-live", "data"),
        State("case-drafts", "data"),
        State("lang", "data"),
        prevent_initial_call="initial_duplicate",
    )
    @guarded(at=0, fill=CASE_FAILED)
    def show_case(
        sel: Any, rev_: Any, types: Any, _live: Any, drafts: Any, lang: str
    ) -> tuple[Any, ...]:
        """The desk's own action redraws the card once (``desk-rev``); someone else's change
        to it arrives through ``case-live`` (``_clientside``)."""
        return _show_case(settings, ctx.triggered_id, sel, rev_, types, drafts, lang)

    _clientside(app)


def _clientside(app: dash.Dash) -> None:
    # What the operator types into a card survives its redraws (a photo uploaded, a change
    # by someone else): kept by case in ``case-drafts`` and given back by show_case.
    app.clientside_callback(
        "function(notes, reports, sel, drafts) {"
        " return window.griddispatch.keepDrafts(notes, reports, sel, drafts); }",
        Output("case-drafts", "data"),
        Input({"type": "case-note", "id": ALL}, "value"),
        Input({"type": "case-report", "id": ALL}, "value"),
        State("desk-sel", "data"),
        State("case-drafts", "data"),
        prevent_initial_call=True,
    )
    # The selected case is in the address (?case=N): a reload or a language switch keeps it.
    app.clientside_callback(
        "function(sel) { return window.griddispatch.caseInUrl(sel); }",
        Output("case-url", "title"),
        Input("desk-sel", "data"),
    )

    # A live change concerns the card only when it is about the selected case and newer than
    # the version the card shows (``case-seen``); the echo of the desk's own action is not,
    # so it costs no request. Decided in the browser (``griddispatch.caseLive``).
    app.clientside_callback(
        "function(live, seen, sel, rev) {"
        " return window.griddispatch.caseLive(live, seen, sel, rev); }",
        Output("case-live", "data"),
        Input("live-cases", "data"),
        State("case-seen", "data"),
        State("desk-sel", "data"),
        State("desk-rev", "data"),
    )
    app.clientside_callback(
        "function(children, rows, bands, seen, sel, rev) {"
        " window.griddispatch.queueRender(rows, bands);"
        " window.griddispatch.caseCaught(seen, sel, rev);"
        " return window.griddispatch.tickNow(); }",
        Output("desk-side", "title"),
        Input("case-body", "children"),
        Input("queue-data", "data"),
        Input("queue-bands", "data"),
        State("case-seen", "data"),
        State("desk-sel", "data"),
        State("desk-rev", "data"),
    )
