"""The admin page: the response plans (预案: unit types and counts by category and priority,
edited in place, every change audited), the audit trail (changes, case events, sign-ins and
views of sensitive records, newest first, filtered by kind and actor) and the list of users.
Admins only: the page checks the role, and row-level security lets only admins read the audit
tables."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dash_table, dcc, html

from console import i18n
from console.pages import clock
from console.pages.actions import guarded, message
from console.server import state
from console.settings import Settings
from geo import categories, plans
from geo.access import audit
from geo.access import users as auth
from geo.errors import InvalidInput


def layout(tx: dict[str, str]) -> list[Any]:
    kinds = [{"label": tx[f"admin.kind.{k}"], "value": k} for k in audit.KINDS]
    return [
        html.Div(
            [
                html.H2(tx["admin.audit"]),
                html.Div(
                    [
                        dcc.Dropdown(
                            id="audit-kind", options=kinds, value="all", clearable=False,
                            className="gd-audit-kind",
                        ),
                        dcc.Input(
                            id="audit-actor", type="text", maxLength=100, debounce=True,
                            placeholder=tx["admin.actor"],
                        ),
                    ],
                    className="gd-audit-filters",
                ),
                html.Div(id="audit-table", className="gd-audit"),
                html.H2(tx["admin.plans"]),
                html.Div(tx["admin.plans_hint"], className="gd-muted"),
                html.Div(id="plans-msg", className="gd-msg", role="status"),
                dash_table.DataTable(
                    id="plans-table",
                    columns=[{"name": tx["admin.category"], "id": "name", "editable": False},
                             {"name": tx["admin.priority"], "id": "level", "editable": False}]
                    + [{"name": tx[f"unit_type.{t}"], "id": t, "type": "numeric"}
                       for t in plans.UNIT_TYPES],
                    editable=True, page_size=30, sort_action="native", filter_action="native",
                    filter_options={"placeholder_text": tx["admin.filter"]},
                    style_cell={"fontSize": "12px", "padding": "2px 6px"},
                ),
                html.H2(tx["admin.users"]),
                html.Div(id="users-table", className="gd-audit"),
            ],
            className="gd-admin",
        )
    ]  # fmt: skip


def _table(head: list[str], rows: list[list[Any]], ident: str) -> html.Table:
    """Plain text cells (never HTML)."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td("" if c is None else str(c)) for c in r]) for r in rows]),
        ],
        className="gd-table",
        id=ident,
    )


def register(app: dash.Dash, settings: Settings) -> None:
    @app.callback(
        Output("audit-table", "children"),
        Output("users-table", "children"),
        Input("audit-kind", "value"),
        Input("audit-actor", "value"),
        State("lang", "data"),
    )
    @guarded(at=0)
    def show(kind: str | None, actor: str | None, lang: str) -> tuple[Any, Any]:
        tx = i18n.t(lang)
        with state.db(settings, need="audit") as conn:
            entries = audit.recent(conn=conn, kind=str(kind or "all"), actor=str(actor or ""),
                                   tz=settings.tz)  # fmt: skip
            users = auth.listing(conn=conn)
        trail = _table(
            ["time", tx["admin.actor"], tx["admin.kind"], "entity", "id", "action", "detail"],
            [[e.at, e.actor, e.kind, e.entity, e.entity_id, e.action, e.detail] for e in entries],
            "audit-rows",
        )
        people = _table(
            ["user", "name", "role", "admin unit", "TOTP", "disabled", "locked until"],
            [
                [u["username"], u["display_name"], u["role"], u["admin_code"],
                 "yes" if u["totp"] else "", "yes" if u["disabled"] else "",
                 clock.show(u["locked_until"]) if u["locked_until"] else ""]
                for u in users
            ],
            "user-rows",
        )  # fmt: skip
        return trail, people


def plan_rows(conn: Any, tx: dict[str, str], lang: str) -> list[dict[str, Any]]:
    """One row per category and priority, the counts by unit type (empty: none)."""
    table = plans.plans(conn=conn)
    out = []
    for c in categories.categories(conn=conn):
        for p in ("red", "yellow", "blue"):
            counts = {n.unit_type: n.count for n in table.get((c.code, p), [])}
            out.append({"id": f"{c.code}|{p}", "name": c.name_en if lang == "en" else c.name_zh,
                        "level": tx[f"priority.{p}"], **counts})  # fmt: skip
    return out


def changed_plans(rows: Any, before: Any) -> dict[tuple[str, str], dict[str, int]]:
    """The plans an edit changed: (category, priority) -> counts by unit type."""
    was = {r.get("id"): r for r in (before if isinstance(before, list) else [])
           if isinstance(r, dict)}  # fmt: skip
    out = {}
    for r in rows if isinstance(rows, list) else []:
        if not isinstance(r, dict) or r == was.get(r.get("id")):
            continue
        category, _, priority = str(r.get("id", "")).partition("|")
        out[(category, priority)] = {t: _count(r.get(t)) for t in plans.UNIT_TYPES}
    return out


def _count(value: Any) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidInput("A plan asks for 0 to 10 units of a type.", code="plan.count") from None


def register_plans(app: dash.Dash, settings: Settings) -> None:
    """The response-plan table: shown, and each edit saved (audited by the table's trigger)."""

    @app.callback(
        Output("plans-table", "data"),
        Input("plans-msg", "children"),  # after every save, or refusal: as the database has it
        State("lang", "data"),
    )
    def show_plans(_msg: Any, lang: str) -> Any:
        with state.db(settings, need="audit") as conn:
            return plan_rows(conn, i18n.t(lang), lang)

    @app.callback(
        Output("plans-msg", "children"),
        Input("plans-table", "data_timestamp"),
        State("plans-table", "data"),
        State("plans-table", "data_previous"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def save_plans(_ts: Any, rows: Any, before: Any, lang: str) -> Any:
        """All edited plans in one transaction: all saved, or none."""
        tx = i18n.t(lang)
        edits = changed_plans(rows, before)
        if not edits:
            return dash.no_update
        with state.db(settings, need="audit") as conn:
            for (category, priority), counts in edits.items():
                plans.set_plan(conn=conn, category=category, priority=priority, needs=counts)
        return message(tx["admin.plans_saved"].format(n=len(edits)))
