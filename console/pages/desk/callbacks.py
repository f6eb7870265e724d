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
    text,
)
from console.pages.desk import case, intake, queue
from console.server import state
from console.settings import Settings
from geo import (
    caseflow,
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
    queue.register(app, settings)
    _actions(app, settings)


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
