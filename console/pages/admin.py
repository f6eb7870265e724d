"""The admin page: the audit trail (changes, case events, sign-ins and views of sensitive
records, newest first, filtered by kind and actor) and the list of users. Admins only: the
page checks the role, and row-level security lets only admins read the audit tables."""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from console import i18n
from console.pages import clock
from console.pages.actions import guarded
from console.server import state
from console.settings import Settings
from geo.access import audit
from geo.access import users as auth


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
