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
from dash import ALL, Input, Output, State, ctx

from console import i18n
from console.pages.actions import (
    an_id,
    clicked,
    failure,
    message,
    rev,
    strings,
    text,
)
from console.pages.desk import case, intake
from console.pages.desk import render as desk
from console.server import state
from console.settings import Settings
from geo import (
    access,
    caseflow,
    caselists,
    dispatching,
    escalation,
    incidents,
    photos,
    units,
)
from geo.errors import InvalidInput

log = logging.getLogger(__name__)
NO = dash.no_update
HIDDEN, SHOWN = {"display": "none"}, {"display": "block"}


def register(app: dash.Dash, settings: Settings) -> None:
    """The desk's callbacks: the intake form, the selected case, the queue, the actions."""
    intake.register(app, settings)
    case.register(app, settings)
    _queue(app, settings)
    _actions(app, settings)


def _queue(app: dash.Dash, settings: Settings) -> None:
    """The queue of open cases, patched card by card."""
    # ------------------------------------------------------------------------ the queue
    @app.callback(
        Output("queue-data", "data"),
        Output("queue-count", "children"),
        Output("queue-sig", "data"),
        Output("queue-bands", "data"),
        Output("queue-hidden", "children"),
        Output("queue-more", "children"),
        Output("queue-more", "style"),
        Output("unit-board", "children"),
        Input("desk-rev", "data"),
        Input("queue-tick", "n_intervals"),
        Input("live-cases", "data"),
        Input("queue-filter-status", "value"),
        Input("queue-filter-priority", "value"),
        Input("queue-filter-category", "value"),
        Input("queue-filter-area", "value"),
        Input("queue-show-overdue", "value"),
        Input("queue-page", "data"),
        Input("desk-sel", "data"),
        State("queue-sig", "data"),
        State("lang", "data"),
    )
    def queue(
        _r: Any, _t: Any, _live: Any, st: Any, pr: Any, ca: Any, area: Any,
        overdue: Any, page: Any, sel: Any, sig: Any, lang: str,
    ) -> tuple[Any, ...]:  # fmt: skip
        """The queue in bands (new, quick under way, other, and the overdue on demand), a page
        at a time with how many are not shown; unchanged cards are not sent again (the
        browser ticks the clocks). The unit status board comes along."""
        tx = i18n.t(lang)
        pages = page if isinstance(page, int) and 0 < page <= 20 else 1
        bands = caselists.BANDS if overdue == ["overdue"] else caselists.BANDS[:-1]
        try:
            with state.db(settings, need="watch") as conn:
                q = caselists.queue(
                    conn=conn,
                    statuses=strings(st),
                    priorities=strings(pr),
                    categories=strings(ca),
                    path=area if isinstance(area, str) and area else None,
                    bands=bands,
                    limit=desk.QUEUE_PAGE * pages,
                )
                board = desk.unit_board(units.board(conn=conn), tx)
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return [], failure(exc), None, NO, NO, NO, NO, NO
        rows = q.rows
        hidden = sum(q.counts[b] for b in bands) - len(rows)
        more = (tx["queue.more"].format(n=min(hidden, desk.QUEUE_PAGE)),
                {"display": "inline-block" if hidden > 0 else "none"})  # fmt: skip
        note = tx["queue.hidden"].format(n=hidden) if hidden > 0 else ""
        tail = (desk.queue_header(q.counts, tx), note, *more, board)
        counts = tx["queue.counts"].format(**q.counts)
        keys = desk.queue_keys(rows, sel, lang)
        if keys == sig:
            return NO, counts, NO, *tail
        patch = desk.queue_patch(
            sig if isinstance(sig, list) else [],
            keys,
            lambda j: desk.queue_rows([rows[j]], tx, lang, sel, [keys[j]])[0],
        )
        if patch is None:
            return desk.queue_rows(rows, tx, lang, sel, keys), counts, keys, *tail
        return patch, counts, keys, *tail

    app.clientside_callback(
        "function(n, page) { return (typeof page === 'number' ? page : 1) + 1; }",
        Output("queue-page", "data"),
        Input("queue-more", "n_clicks"),
        State("queue-page", "data"),
        prevent_initial_call=True,
    )

    # ------------------------------------------------------------------- finding a case
    @app.callback(
        Output("case-hits", "children"),
        Input("case-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def find(value: Any, lang: str) -> Any:
        """Any case, closed ones too, by number, reporter phone (masked unless the role may
        see it), grid code or address."""
        tx = i18n.t(lang)
        q = text(value)
        if not q:
            return None
        try:
            with state.db(settings, need="watch") as conn:
                rows = caselists.search(conn=conn, text=q)
        except Exception as exc:  # noqa: BLE001 - shown as a safe message, logged if unexpected
            return failure(exc)
        if not state.principal().may("see_phone"):
            rows = [{**r, "reporter_phone": access.mask_phone(r["reporter_phone"])} for r in rows]
        return desk.case_hits(rows, tx, lang)

    @app.callback(
        Output("desk-sel", "data", allow_duplicate=True),
        Output("case-hits", "children", allow_duplicate=True),
        Input({"type": "case-hit", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick_case(clicks: Any) -> tuple[Any, Any]:
        if not clicked(clicks):
            return NO, NO
        try:
            return an_id(ctx.triggered_id["id"]), None
        except (KeyError, TypeError, InvalidInput):
            return NO, NO


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
        Input("case-dispatch-plan", "n_clicks"),
        State({"type": "rec-check", "unit": ALL}, "value"),
        State("case-plan-ids", "data"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def dispatch(
        _one: Any, _all: Any, _plan: Any, checks: Any, plan: Any, sel: Any, lang: str
    ) -> tuple[Any, Any]:
        """One unit, the checked ones, or the whole response plan (一键联动): all or none."""
        tx = i18n.t(lang)
        trig = ctx.triggered_id
        if trig == "case-dispatch-plan":
            picked = plan if isinstance(plan, list) else []
            if not picked:
                return NO, message(tx["case.plan_sent"], ok=False)
        elif trig == "case-dispatch-checked":
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
        State({"type": "case-report", "id": ALL}, "value"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def incident_action(
        _n: Any, notes: Any, reports: Any, sel: Any, lang: str
    ) -> tuple[Any, Any]:
        if not clicked(_n):
            return NO, NO
        tx = i18n.t(lang)
        what = str(ctx.triggered_id["act"])

        def run(conn: Any) -> str:
            case_id = an_id(sel)
            note = text((notes or [None])[0])
            if what in ("claim", "unclaim"):
                fn = caseflow.claim if what == "claim" else caseflow.unclaim
                row = fn(conn=conn, incident_id=case_id)
                return tx[f"msg.{what}ed"].format(number=row["number"])
            if what == "report":
                report = text((reports or [None])[0])
                caseflow.field_report(conn=conn, incident_id=case_id, text=report)
                return tx["msg.reported"]
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
