"""Callbacks of the dispatch desk. Thin: unpack and validate inputs, call one function in
``geo`` (inside one transaction for the acting operator), render with ``console.pages.desk.render``.

Every action answers in the message strip (no modal dialogs) and bumps ``desk-rev``, which
refreshes the queue, the selected case and its recommendations; the map layers follow the
database through the live channel (``console.server.live``), which also refreshes the queue and the
selected case when someone else changes them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, html

from console import i18n
from console.pages.actions import (
    an_id,
    clicked,
    failure,
    latlng,
    message,
    rev,
    strings,
    text,
)
from console.pages.desk import render as desk
from console.server import state
from console.settings import Settings
from geo import (
    casefile,
    caselists,
    categories,
    dispatching,
    escalation,
    incidents,
    intake,
    photos,
    places,
    units,
)
from geo.errors import InvalidInput
from layers import routes

log = logging.getLogger(__name__)
NO = dash.no_update
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def register(app: dash.Dash, settings: Settings) -> None:
    """The desk's callbacks: the intake form, the selected case, the queue, the actions."""
    _intake(app, settings)
    _case(app, settings)
    _queue(app, settings)
    _actions(app, settings)


def _intake(app: dash.Dash, settings: Settings) -> None:  # noqa: C901 - a function per callback
    """Picking a point (map click, N, place search), the intake preview, create and link."""
    # ------------------------------------------------------------------ picking a point
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
        trig = ctx.triggered_id
        if trig in ("intake-cancel", "key-clear"):
            return None
        if trig == "key-new":  # N: at the last picked point, else the map centre
            if current:
                return NO
            at = latlng(centre)
        else:
            at = latlng(click.get("latlng") if isinstance(click, dict) else None)
        return None if at is None else {"lat": at[0], "lng": at[1]}

    @app.callback(
        Output("place-hits", "children"),
        Output("place-hits-data", "data"),
        Output("desk-pick", "data", allow_duplicate=True),
        Output("map", "viewport"),
        Input("place-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def search(text: Any, lang: str) -> tuple[Any, Any, Any, Any]:
        tx = i18n.t(lang)
        if not isinstance(text, str) or not text.strip():
            return None, None, NO, NO
        try:
            with state.db(settings, need="watch") as conn:
                hits = places.locate(conn=conn, text=text, limit=8)
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return failure(exc), None, NO, NO
        if not hits:
            return message(tx["search.none"].format(q=text.strip()), ok=False), None, NO, NO
        data = [{"lat": h.lat, "lng": h.lon, "label": h.label} for h in hits]
        if len(hits) == 1:
            return (
                None,
                data,
                {"lat": hits[0].lat, "lng": hits[0].lon},
                fly(hits[0].lat, hits[0].lon),
            )
        buttons = [
            html.Button(h.label, id={"type": "place-hit", "i": n}, className="gd-hit", n_clicks=0)
            for n, h in enumerate(hits)
        ]
        return buttons, data, NO, NO

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
        try:
            hit = data[int(ctx.triggered_id["i"])]
            lat, lng = float(hit["lat"]), float(hit["lng"])
        except (KeyError, IndexError, TypeError, ValueError, OverflowError):
            return NO, NO, NO
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return NO, NO, NO
        return {"lat": lat, "lng": lng}, fly(lat, lng), None

    # ------------------------------------------------------------------------ intake form
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
    def preview(p: Any, category: Any, lang: str) -> tuple[Any, ...]:
        tx = i18n.t(lang)
        at = latlng(p)
        if at is None:
            return HIDDEN, SHOWN, None, [], None, HIDDEN, None, routes.EMPTY
        try:
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
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return SHOWN, HIDDEN, failure(exc), [], None, HIDDEN, None, routes.pick(*at)
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

    @app.callback(
        Output("intake-class", "value"),
        Input("intake-category", "value"),
        prevent_initial_call=True,
    )
    def default_class(category: Any) -> Any:
        with state.db(settings, need="watch") as conn:
            klass = categories.default_class(conn=conn, category=str(category))
        return klass or NO

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
    def create(
        _n: Any,
        p: Any,
        grid: Any,
        category: Any,
        klass: Any,
        priority: Any,
        source: Any,
        name: Any,
        phone: Any,
        desc: Any,
        lang: str,
    ) -> tuple[Any, ...]:
        tx = i18n.t(lang)
        at = latlng(p)
        if at is None:
            return NO, NO, NO, message(tx["intake.need_point"], ok=False), NO, NO, NO
        if not isinstance(category, str) or not category:
            return NO, NO, NO, message(tx["intake.need_category"], ok=False), NO, NO, NO
        try:
            with state.db(settings, need="dispatch") as conn:
                row, _ = intake.open_case(
                    conn=conn,
                    report=intake.Report(
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
                    ),
                    boundary_m=settings.boundary_m,
                )
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return NO, NO, NO, failure(exc), NO, NO, NO
        msg = tx["msg.created"].format(number=row["number"], grid=row["grid_code"])
        return row["id"], None, rev(), message(msg), "", "", ""

    @app.callback(
        *after_intake,
        Input({"type": "dup-link", "id": ALL}, "n_clicks"),
        *intake_state,
        prevent_initial_call=True,
    )
    def link(
        _n: Any,
        _p: Any,
        _g: Any,
        _c: Any,
        _k: Any,
        _pr: Any,
        source: Any,
        name: Any,
        phone: Any,
        desc: Any,
        lang: str,
    ) -> tuple[Any, ...]:
        if not clicked(_n):
            return (NO,) * 7
        tx = i18n.t(lang)
        try:
            case_id = an_id(ctx.triggered_id["id"])
            with state.db(settings, need="dispatch") as conn:
                row = incidents.link_report(
                    conn=conn,
                    incident_id=case_id,
                    source=str(source),
                    description=text(desc),
                    reporter_name=text(name) or None,
                    reporter_phone=text(phone) or None,
                )
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return NO, NO, NO, failure(exc), NO, NO, NO
        return (
            row["id"],
            None,
            rev(),
            message(tx["msg.linked"].format(number=row["number"])),
            "",
            "",
            "",
        )

def _case(app: dash.Dash, settings: Settings) -> None:
    """The selected case: its card, units and routes, redrawn once per change."""
    # ------------------------------------------------------------------ selecting a case
    @app.callback(
        Output("desk-sel", "data"),
        Output("desk-pick", "data", allow_duplicate=True),
        Input("layer-incidents", "clickData"),
        Input("key-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    def select(feature: Any, _esc: Any) -> tuple[Any, Any]:
        """A case clicked on the map (a queue card sets ``desk-sel`` in the browser)."""
        if ctx.triggered_id == "key-clear":
            return None, NO
        try:
            return an_id((feature or {})["properties"]["id"]), None
        except (KeyError, TypeError, InvalidInput):
            return NO, NO

    @app.callback(
        Output("case-body", "children"),
        Output("case-recs", "children"),
        Output("case-rec-box", "style"),
        Output("layer-routes", "data"),
        Output("desk-etas", "data"),
        Output("case-seen", "data"),
        Input("desk-sel", "data"),
        Input("desk-rev", "data"),
        Input("case-types", "value"),
        Input("case-live", "data"),
        State("lang", "data"),
    )
    def show_case(sel: Any, rev_: Any, types: Any, _live: Any, lang: str) -> tuple[Any, ...]:
        """Selecting a case: its file, the 5 best units and their routes (recommend_p50_ms).
        The desk's own action redraws it once (``desk-rev``); someone else's change to it
        arrives through ``case-live`` (below)."""
        tx = i18n.t(lang)
        if sel is None:
            return tx["case.hint"], None, HIDDEN, routes.EMPTY, None, None
        wanted = tuple(t for t in (types if isinstance(types, list) else []) if t in desk.REC_TYPES)
        try:
            with state.db(settings, need="watch") as conn:
                cf = casefile.case_file(
                    conn=conn,
                    incident_id=an_id(sel),
                    see_phone=state.principal().may("see_phone"),
                    viewed=dash.ctx.triggered_id == "desk-sel",
                )
                shown = {"id": cf.incident["id"], "v": cf.incident["changed_at"].timestamp(),
                         "rev": rev_, "closed": cf.incident["status"] == "closed"}  # fmt: skip
                if cf.incident["status"] in ("resolved", "closed"):
                    return desk.case_body(cf, tx, lang), None, HIDDEN, routes.EMPTY, None, shown
                router, snapshot = state.router(settings, conn)
                res = dispatching.recommend(
                    conn=conn,
                    router=router,
                    units=snapshot,
                    case=cf.incident,
                    types=wanted or None,
                    each_type=len(wanted) > 1,
                )
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return failure(exc), None, HIDDEN, routes.EMPTY, None, {"id": sel, "v": 0, "rev": rev_}
        inc = (cf.incident["lat"], cf.incident["lon"])
        etas = {str(r.unit_id): round(r.eta_s, 1) for r in res.recommendations}
        return (
            desk.case_body(cf, tx, lang),
            desk.recommendations(res, tx),
            SHOWN,
            routes.build(res.recommendations, inc),
            etas,
            shown,
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
        "function(children, rows, seen, sel, rev) { window.griddispatch.queueRender(rows);"
        " window.griddispatch.caseCaught(seen, sel, rev);"
        " return window.griddispatch.tickNow(); }",
        Output("desk-side", "title"),
        Input("case-body", "children"),
        Input("queue-data", "data"),
        State("case-seen", "data"),
        State("desk-sel", "data"),
        State("desk-rev", "data"),
    )


def _queue(app: dash.Dash, settings: Settings) -> None:
    """The queue of open cases, patched card by card."""
    # ------------------------------------------------------------------------ the queue
    @app.callback(
        Output("queue-data", "data"),
        Output("queue-count", "children"),
        Output("queue-sig", "data"),
        Input("desk-rev", "data"),
        Input("queue-tick", "n_intervals"),
        Input("live-cases", "data"),
        Input("queue-filter-status", "value"),
        Input("queue-filter-priority", "value"),
        Input("queue-filter-category", "value"),
        Input("queue-filter-area", "value"),
        Input("desk-sel", "data"),
        State("queue-sig", "data"),
        State("lang", "data"),
    )
    def queue(
        _r: Any,
        _t: Any,
        _live: Any,
        st: Any,
        pr: Any,
        ca: Any,
        area: Any,
        sel: Any,
        sig: Any,
        lang: str,
    ) -> tuple[Any, Any, Any]:
        """The queue; unchanged rows are not sent again (the browser ticks the clocks)."""
        tx = i18n.t(lang)
        try:
            with state.db(settings, need="watch") as conn:
                rows = caselists.queue(
                    conn=conn,
                    statuses=strings(st),
                    priorities=strings(pr),
                    categories=strings(ca),
                    path=area if isinstance(area, str) and area else None,
                    limit=desk.QUEUE_LIMIT,
                )
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return [], failure(exc), None
        keys = desk.queue_keys(rows, sel, lang)
        if keys == sig:
            return NO, NO, NO
        count = " " + tx["queue.shown"].format(n=len(rows))
        patch = desk.queue_patch(
            sig if isinstance(sig, list) else [],
            keys,
            lambda j: desk.queue_rows([rows[j]], tx, lang, sel, [keys[j]])[0],
        )
        if patch is None:
            return desk.queue_rows(rows, tx, lang, sel, keys), count, keys
        return patch, count, keys

def _actions(app: dash.Dash, settings: Settings) -> None:  # noqa: C901 - a function per callback
    """Dispatch, unit status, the case's actions (resolve, close, escalate, ...), photos."""

    def act(fn: Callable[[Any], str]) -> tuple[Any, Any]:
        """Run ``fn(conn)`` in one transaction; (new rev, message) or (no update, the error)."""
        try:
            with state.db(settings, need="dispatch") as conn:
                text = fn(conn)
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return rev(), failure(exc)
        return rev(), message(text)

    # ------------------------------------------------------------------------- actions
    result = [
        Output("desk-rev", "data", allow_duplicate=True),
        Output("desk-msg", "children", allow_duplicate=True),
    ]

    @app.callback(
        *result,
        Input({"type": "rec-dispatch", "unit": ALL}, "n_clicks"),
        Input("case-dispatch-checked", "n_clicks"),
        State({"type": "rec-check", "unit": ALL}, "value"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def dispatch(_one: Any, _all: Any, checks: Any, sel: Any, lang: str) -> tuple[Any, Any]:
        tx = i18n.t(lang)
        trig = ctx.triggered_id
        if trig == "case-dispatch-checked":
            picked = [v for vals in (checks if isinstance(checks, list) else [])
                      for v in (vals if isinstance(vals, list) else [])]  # fmt: skip
            if not picked:
                return NO, message(tx["msg.none_checked"], ok=False)
        elif clicked(_one):
            picked = [trig["unit"]]
        else:
            return NO, NO

        def run(conn: Any) -> str:
            ids = [an_id(u) for u in picked]
            case = incidents.get(conn=conn, incident_id=an_id(sel))
            router, snapshot = state.router(settings, conn)
            done = dispatching.send(conn=conn, router=router, units=snapshot, case=case,
                                    unit_ids=ids)  # fmt: skip
            names = units.call_signs(conn=conn, unit_ids=done.unit_ids)
            return tx["msg.dispatched"].format(units=", ".join(names))

        return act(run)

    @app.callback(
        *result,
        Input({"type": "unit-act", "unit": ALL, "to": ALL}, "n_clicks"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def unit_status(_n: Any, lang: str) -> tuple[Any, Any]:
        if not clicked(_n):
            return NO, NO
        tx = i18n.t(lang)
        trig = ctx.triggered_id

        def run(conn: Any) -> str:
            unit_id, to = an_id(trig["unit"]), str(trig["to"])
            got = units.set_status(conn=conn, unit_id=unit_id, target=to)
            name = ", ".join(units.call_signs(conn=conn, unit_ids=[unit_id]))
            return tx["msg.unit_status"].format(unit=name, status=tx[f"unit_status.{got}"])

        return act(run)

    @app.callback(
        *result,
        Input({"type": "inc-act", "act": ALL}, "n_clicks"),
        State({"type": "case-note", "id": ALL}, "value"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def incident_action(_n: Any, notes: Any, sel: Any, lang: str) -> tuple[Any, Any]:
        if not clicked(_n):
            return NO, NO
        tx = i18n.t(lang)
        what = str(ctx.triggered_id["act"])

        def run(conn: Any) -> str:
            case_id = an_id(sel)
            note = text((notes or [None])[0])
            if what == "resolve":
                row = incidents.resolve(conn=conn, incident_id=case_id, note=note)
            elif what == "close":
                row = incidents.transition(conn=conn, incident_id=case_id, target="closed")
            elif what == "escalate":
                row = escalation.escalate(conn=conn, incident_id=case_id)
                level = tx[f"level.{row['escalation_level']}"]
                return tx["msg.escalated"].format(number=row["number"], level=level)
            elif what == "mediation":
                row = incidents.mediation_failed(conn=conn, incident_id=case_id)
                return tx["msg.mediation"].format(n=row["mediation_failures"])
            elif what in {f"fb{n}" for n in range(1, 6)}:
                row = incidents.feedback(conn=conn, incident_id=case_id, satisfaction=int(what[2]))
                return tx["msg.feedback"].format(n=what[2])
            else:
                raise InvalidInput("Unknown action.")
            return tx["msg.incident_status"].format(
                number=row["number"], status=tx[f"status.{row['status']}"]
            )

        return act(run)

    @app.callback(
        *result,
        Input({"type": "case-photo", "id": ALL}, "contents"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def upload(contents: Any, sel: Any, lang: str) -> tuple[Any, Any]:
        if not clicked(contents):
            return NO, NO
        tx = i18n.t(lang)
        limit = settings.photo_max_kb * 1024

        def run(conn: Any) -> str:
            data = photos.decode_data_url(ctx.triggered[0]["value"], limit)
            photos.save(conn=conn, incident_id=an_id(sel), data=data, max_bytes=limit)
            return tx["msg.photo"]

        return act(run)

def fly(lat: float, lng: float) -> dict[str, Any]:
    return {"center": [lat, lng], "zoom": 17, "transition": "flyTo"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
