"""The desk's actions: dispatch (one unit, the checked ones, the response plan), a unit's
status, the case's actions (claim, report back, resolve, close, escalate, ...) and photos.

Each runs in one transaction for the acting operator (``act``), answers in the message strip
and bumps ``desk-rev``, a failed one too: the queue and the card are redrawn as they now are
(a claim refused shows who holds the case). The callbacks' bodies are plain functions; errors
are raised and ``guarded`` (in ``register``) shows them in the message strip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx

from console import i18n
from console.pages.actions import an_id, clicked, guarded, message, pressed, rev, text
from console.pages.desk.common import NO, still_set
from console.server import state
from console.settings import Settings
from geo import caseflow, dispatching, escalation, incidents, photos, units
from geo.errors import InvalidInput

RESULT = [
    Output("desk-rev", "data", allow_duplicate=True),
    Output("desk-msg", "children", allow_duplicate=True),
]
FEEDBACK = {f"fb{n}" for n in range(1, 6)}


def act(settings: Settings, fn: Callable[..., str], *args: Any) -> tuple[Any, Any]:
    """``fn(conn, *args)`` in one transaction: (new rev, its message). When it raises, the
    rev is bumped all the same (``still_set``) and the error goes on to the guard."""
    with still_set("desk-rev", data=rev()), state.db(settings, need="dispatch") as conn:
        said = fn(conn, *args)
    return rev(), message(said)


# ------------------------------------------------------------------ the callbacks' bodies
def _dispatch(
    settings: Settings, trig: Any, checks: Any, plan: Any, sel: Any, lang: str
) -> tuple[Any, Any]:
    """One unit (``trig``: its button's id), the checked ones, or the whole response plan
    (一键联动): all or none."""
    tx = i18n.t(lang)
    if trig == "case-dispatch-plan":
        picked = plan if isinstance(plan, list) else []
        if not picked:
            return NO, message(tx["case.plan_sent"], ok=False)
    elif trig == "case-dispatch-checked":
        picked = [v for vals in (checks if isinstance(checks, list) else [])
                  for v in (vals if isinstance(vals, list) else [])]  # fmt: skip
        if not picked:
            return NO, message(tx["msg.none_checked"], ok=False)
    elif isinstance(trig, dict) and trig.get("type") == "rec-dispatch":
        picked = [trig["unit"]]
    else:
        return NO, NO
    return act(settings, _send, settings, picked, sel, tx)


def _send(conn: Any, settings: Settings, picked: list[Any], sel: Any, tx: dict[str, str]) -> str:
    ids = [an_id(u) for u in picked]
    case = incidents.get(conn=conn, incident_id=an_id(sel))
    router, snapshot = state.router(settings, conn)
    done = dispatching.send(conn=conn, router=router, units=snapshot, case=case, unit_ids=ids)
    names = units.call_signs(conn=conn, unit_ids=done.unit_ids)
    return tx["msg.dispatched"].format(units=", ".join(names))


def _unit_status(conn: Any, trig: Any, tx: dict[str, str]) -> str:
    """A unit's status set (``trig``: its button's id, with the unit and the status)."""
    unit_id, to = an_id(trig["unit"]), str(trig["to"])
    got = units.set_status(conn=conn, unit_id=unit_id, target=to)
    name = ", ".join(units.call_signs(conn=conn, unit_ids=[unit_id]))
    return tx["msg.unit_status"].format(unit=name, status=tx[f"unit_status.{got}"])


def _incident_action(
    conn: Any, what: str, notes: Any, reports: Any, sel: Any, tx: dict[str, str]
) -> str:
    """The case's action ``what`` (its button's ``act``)."""
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
    elif what in FEEDBACK:
        row = incidents.feedback(conn=conn, incident_id=case_id, satisfaction=int(what[2]))
        return tx["msg.feedback"].format(n=what[2])
    else:
        raise InvalidInput("Unknown action.")
    return tx["msg.incident_status"].format(
        number=row["number"], status=tx[f"status.{row['status']}"]
    )


def _upload(conn: Any, value: Any, sel: Any, limit: int, tx: dict[str, str]) -> str:
    """A photo (``value``: the data URL dcc.Upload sent) added to the case."""
    data = photos.decode_data_url(value, limit)
    photos.save(conn=conn, incident_id=an_id(sel), data=data, max_bytes=limit)
    return tx["msg.photo"]


# ------------------------------------------------------------------------ the wiring
def register(app: dash.Dash, settings: Settings) -> None:
    """Dispatch, unit status, the case's actions, photos."""

    @app.callback(
        *RESULT,
        Input({"type": "rec-dispatch", "unit": ALL}, "n_clicks"),
        Input("case-dispatch-checked", "n_clicks"),
        Input("case-dispatch-plan", "n_clicks"),
        State({"type": "rec-check", "unit": ALL}, "value"),
        State("case-plan-ids", "data"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=1)
    def dispatch(
        _one: Any, _all: Any, _plan: Any, checks: Any, plan: Any, sel: Any, lang: str
    ) -> tuple[Any, Any]:
        return _dispatch(settings, pressed(), checks, plan, sel, lang)

    @app.callback(
        *RESULT,
        Input({"type": "unit-act", "unit": ALL, "to": ALL}, "n_clicks"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=1)
    def unit_status(_n: Any, lang: str) -> tuple[Any, Any]:
        trig = pressed()
        if trig is None:
            return NO, NO
        return act(settings, _unit_status, trig, i18n.t(lang))

    @app.callback(
        *RESULT,
        Input({"type": "inc-act", "act": ALL}, "n_clicks"),
        State({"type": "case-note", "id": ALL}, "value"),
        State({"type": "case-report", "id": ALL}, "value"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=1)
    def incident_action(
        _n: Any, notes: Any, reports: Any, sel: Any, lang: str
    ) -> tuple[Any, Any]:
        trig = pressed()
        if trig is None:
            return NO, NO
        what = str(trig["act"])
        return act(settings, _incident_action, what, notes, reports, sel, i18n.t(lang))

    @app.callback(
        *RESULT,
        Input({"type": "case-photo", "id": ALL}, "contents"),
        State("desk-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=1)
    def upload(contents: Any, sel: Any, lang: str) -> tuple[Any, Any]:
        if not clicked(contents):
            return NO, NO
        value = ctx.triggered[0]["value"]
        return act(settings, _upload, value, sel, settings.photo_max_kb * 1024, i18n.t(lang))
