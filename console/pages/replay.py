"""After-action replay (/replay): pick a window, load it, and play cases, unit positions and
status changes back on the map with a time slider (play, pause, speed). The server reads the
window once (``geo.replay``); every frame is drawn in the browser (``griddispatch.replayFrame``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from console import i18n
from console.pages import clock
from console.pages.actions import guarded
from console.server import state
from console.settings import Settings
from geo import replay
from geo.errors import InvalidInput
from layers.registry import LAYERS, component

SPEEDS = (10, 60, 300)


def map_layers(url_for: dict[str, str]) -> list[Any]:
    """The fixed layers, then the replayed units and cases (their own ids: the live channel
    does not touch them)."""
    fixed = [
        component(spec, url_for[name], passive=True)
        for name, spec in LAYERS.items()
        if spec.checked and not spec.live
    ]
    played = [
        component(dataclasses.replace(LAYERS[name], name=f"replay-{name}"), url="")
        for name in ("units", "incidents")
    ]
    return fixed + played


def layout(tx: dict[str, str], the_map: Any) -> list[Any]:
    now = clock.now().replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    panel = html.Div(
        [
            html.Div(tx["page.replay"], className="gd-page-note"),
            html.Label(
                [
                    tx["replay.from"],
                    dcc.Input(
                        id="replay-from",
                        type="datetime-local",
                        value=(now - dt.timedelta(hours=1)).strftime(fmt),
                    ),
                ]
            ),  # fmt: skip
            html.Label(
                [
                    tx["replay.to"],
                    dcc.Input(id="replay-to", type="datetime-local", value=now.strftime(fmt)),
                ]
            ),  # fmt: skip
            html.Button(tx["replay.load"], id="replay-load", className="gd-btn"),
            html.Div(id="replay-msg", className="gd-replay-msg"),
            html.Div(id="replay-time", className="gd-replay-time"),
            dcc.Slider(
                id="replay-slider",
                min=0,
                max=3600,
                step=1,
                value=0,
                marks=None,
                updatemode="drag",
                tooltip=None,
            ),  # fmt: skip
            html.Div(
                [
                    html.Button(tx["replay.play"], id="replay-play", className="gd-btn"),
                    dcc.RadioItems(
                        id="replay-speed",
                        options=[{"label": f"{s}×", "value": s} for s in SPEEDS],
                        value=60,
                        inline=True,
                    ),
                ],
                className="gd-replay-controls",
            ),
            html.Pre(id="replay-events", className="gd-replay-events"),
            dcc.Store(id="replay-data"),
            dcc.Store(
                id="replay-labels", data={"play": tx["replay.play"], "pause": tx["replay.pause"]}
            ),
            dcc.Interval(id="replay-clock", interval=250, disabled=True),
        ],
        className="gd-side gd-replay",
    )
    return [html.Div([the_map, panel], className="gd-main")]


def _local(text: str | None, what: str) -> dt.datetime:
    try:
        return clock.local(str(text))
    except ValueError:
        raise InvalidInput(f"The {what} time is not a date and time.") from None


def register(app: dash.Dash, settings: Settings) -> None:
    @app.callback(
        Output("replay-data", "data"),
        Output("replay-slider", "max"),
        Output("replay-slider", "value"),
        Output("replay-msg", "children"),
        Input("replay-load", "n_clicks"),
        State("replay-from", "value"),
        State("replay-to", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=3)
    def load(_n: Any, start: str | None, end: str | None, lang: str) -> tuple[Any, ...]:
        tx = i18n.t(lang)
        w = replay.window(_local(start, "start"), _local(end, "end"))
        with state.db(settings, need="watch") as conn:
            data = replay.load(conn=conn, w=w)
        data["tz"] = settings.tz  # the browser shows the slider's clock in GD_TZ
        moving = sum(1 for u in data["units"] if len(u["t"]) > 1)
        text = tx["replay.loaded"].format(
            cases=len(data["incidents"]), units=len(data["units"]), moving=moving, step=w.step_s
        )
        return data, data["span"], 0, text

    app.clientside_callback(
        "function(n, disabled, label) {"
        " var paused = !disabled; return [paused, paused ? label.play : label.pause]; }",
        Output("replay-clock", "disabled"),
        Output("replay-play", "children"),
        Input("replay-play", "n_clicks"),
        State("replay-clock", "disabled"),
        State("replay-labels", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(n, t, max, speed) {"
        " var next = Math.min(max, (Number(t) || 0) + speed * 0.25);"
        " return [next, next >= max ? true : window.dash_clientside.no_update]; }",
        Output("replay-slider", "value", allow_duplicate=True),
        Output("replay-clock", "disabled", allow_duplicate=True),
        Input("replay-clock", "n_intervals"),
        State("replay-slider", "value"),
        State("replay-slider", "max"),
        State("replay-speed", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(t, data, lang) { return window.griddispatch.replayFrame(t, data, lang); }",
        Output("layer-replay-units", "data"),
        Output("layer-replay-incidents", "data"),
        Output("replay-time", "children"),
        Output("replay-events", "children"),
        Input("replay-slider", "value"),
        Input("replay-data", "data"),
        State("lang", "data"),
    )
