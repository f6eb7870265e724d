"""The big screen (大屏): read-only, for the wall. The live map edge to edge, today's counters
in large type, and a ticker of the latest case events; no controls. It follows the live
channel like every page (``console.server.live``) and refreshes its counters on each case change.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from console import i18n
from console.server import state
from console.settings import Settings
from geo import live

TICKER = 12


def layout(tx: dict[str, str], jurisdiction: str, the_map: Any) -> list[Any]:
    return [
        html.Div(
            [
                the_map,
                html.Div(
                    [html.Div(jurisdiction, className="gd-wall-title"), html.Div(id="wall-kpis")],
                    className="gd-wall-panel",
                ),
                html.Div(id="wall-ticker", className="gd-wall-ticker"),
                dcc.Interval(id="wall-tick", interval=15_000),
            ],
            className="gd-main gd-wall",
        )
    ]


def kpis(t: live.Today, tx: dict[str, str]) -> list[Any]:
    def tile(key: str, value: str, cls: str = "") -> html.Div:
        return html.Div(
            [html.Div(value, className="gd-wall-num"), html.Div(tx[key])],
            className=f"gd-wall-kpi {cls}",
            id=f"wall-{key.split('.')[1]}",
        )

    rate = "–" if t.closure_rate is None else f"{100 * t.closure_rate:.1f}%"
    units = [
        html.Div(
            [html.B(f"{n:,}"), " ", tx.get(f"unit_type.{kind}", kind)], className="gd-wall-unit"
        )
        for kind, n in sorted(t.units_available.items(), key=lambda kv: -kv[1])
    ]
    return [
        html.Div(
            [
                tile("wall.reported", f"{t.reported:,}"),
                tile("wall.closed", f"{t.closed:,}"),
                tile("wall.rate", rate),
                tile("wall.open", f"{t.open:,}"),
                tile("wall.overdue", f"{t.overdue:,}", "overdue" if t.overdue else ""),
            ],
            className="gd-wall-kpis",
        ),
        html.Div(tx["wall.units"], className="gd-wall-sub"),
        html.Div(units, className="gd-wall-units"),
    ]


def ticker(events: list[live.Event], tx: dict[str, str], lang: str) -> list[Any]:
    """Newest first; user text never appears here (numbers, categories, statuses only)."""
    out = []
    for e in events:
        what = tx.get(f"status.{e.status}") if e.status else None
        out.append(
            html.Div(
                [
                    html.Span(e.time, className="gd-wall-time"),
                    html.Span(className=f"gd-prio gd-prio-{e.priority}"),
                    html.B(e.category_en if lang == "en" else e.category_zh),
                    html.Span(e.number),
                    html.Span(what or tx.get(f"event.{e.action}", e.action)),
                ],
                className="gd-wall-event",
            )
        )
    return out


def register(app: dash.Dash, settings: Settings) -> None:
    @app.callback(
        Output("wall-kpis", "children"),
        Output("wall-ticker", "children"),
        Input("wall-tick", "n_intervals"),
        Input("live-cases", "data"),
        State("lang", "data"),
    )
    def refresh(_n: Any, _live: Any, lang: str) -> tuple[Any, Any]:
        tx = i18n.t(lang)
        with state.db(settings, need="view") as conn:
            t = live.today(conn=conn, tz=settings.tz)
            events = live.latest_events(conn=conn, limit=TICKER, tz=settings.tz)
        return kpis(t, tx), ticker(events, tx, lang)
