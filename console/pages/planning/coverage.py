"""The coverage tab of the planning page: what-if platforms and siting.

The what-if lives in the page (``cov-sites``): dragging a platform, adding one with a map
click or removing one changes that list, and the server answers with the coverage of the
list (``geo.coverage``; one search per new place, the rest cached). Nothing reaches the
database until Confirm (``geo.platforms.apply``).
"""

from __future__ import annotations

import time
from typing import Any

import dash
import dash_leaflet as dl
import numpy as np
from dash import ALL, Input, Output, State, ctx, dcc, html

from console import i18n
from console.pages.actions import clicked, guarded, latlng, message
from console.server import backjobs, covmodel, state
from console.server.errors import user_message
from console.settings import Settings
from geo import coverage, platforms, siting
from geo.errors import InvalidInput
from layers import planning as plan_layers

NO = dash.no_update
SITING_CANDIDATES = 500
WAIT_MS = 500  # how often the tab asks how far the model's build is


def prepare(settings: Settings) -> None:
    """Start building the coverage model when a planner opens the page (a province's takes
    about 9 s), so it is there, or nearly, when they open the coverage tab."""
    covmodel.prepare(settings)


def overlays() -> list[Any]:
    return [
        dl.GeoJSON(
            id="cov-hex",
            data=plan_layers.EMPTY,
            style={"variable": "griddispatch.covStyle"},
            hideout={},
            interactive=False,
        ),
        dl.LayerGroup(id="cov-markers"),
        dl.LayerGroup(id="cov-proposed"),
    ]


def panel(tx: dict[str, str]) -> html.Div:
    return html.Div(
        [
            html.Div(tx["cov.note"], className="gd-page-note"),
            html.Div(
                tx["cov.preparing"],
                id="cov-prep-text",
                className="gd-page-note",
                style={"display": "none"},
            ),  # fmt: skip
            backjobs.controls("cov-prep", tx),
            dcc.Interval(id="cov-wait", interval=WAIT_MS, disabled=True),
            dcc.Store(id="cov-ready"),  # stamped when the model is there: the map asks
            dcc.Store(id="cov-view"),
            dcc.Checklist(
                id="cov-units",
                options=[{"label": " " + tx["cov.units"], "value": "units"}],
                value=[],
            ),
            html.Div(id="cov-kpis", className="gd-cov-kpis"),
            html.Div(
                [
                    html.Button(tx["cov.add"], id="cov-add", className="gd-btn"),
                    html.Button(tx["cov.reset"], id="cov-reset", className="gd-btn gd-btn-quiet"),
                    html.Button(
                        tx["cov.confirm"], id="cov-confirm", className="gd-btn gd-btn-primary"
                    ),
                ],
                className="gd-plan-tools",
            ),
            html.Div(id="cov-msg"),
            html.Ul(id="cov-list", className="gd-cov-list"),
            html.H4(tx["cov.siting"]),
            html.Div(
                [
                    dcc.Input(
                        id="cov-k",
                        type="number",
                        min=1,
                        max=50,
                        step=1,
                        value=10,
                        className="gd-input gd-input-small",
                    ),  # fmt: skip
                    html.Button(tx["cov.propose"], id="cov-site", className="gd-btn"),
                    html.Button(tx["cov.take"], id="cov-take", className="gd-btn", disabled=True),
                ],
                className="gd-plan-tools",
            ),
            backjobs.controls("cov-siting", tx),
            html.Div(id="cov-site-result"),
            dcc.Store(id="cov-sites"),
            dcc.Store(id="cov-base"),
            dcc.Store(id="cov-drag"),
            dcc.Store(id="cov-adding", data=False),
            dcc.Store(id="cov-proposal"),
        ],
        className="gd-plan-pane",
    )


def _sites(data: Any) -> list[platforms.Site]:
    """The what-if list from the page (untrusted)."""
    if not isinstance(data, list) or len(data) > 500:
        raise InvalidInput("The platform list is not valid.")
    out = []
    for d in data:
        try:
            code = d.get("code")
            out.append(
                platforms.Site(
                    str(code) if code else None,
                    str(d.get("name") or "")[:100],
                    float(d["lon"]),
                    float(d["lat"]),
                )
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            raise InvalidInput("The platform list is not valid.") from None
        if not (np.isfinite(out[-1].lon) and np.isfinite(out[-1].lat)):
            raise InvalidInput("A platform has no valid position.")
    return out


def _as_data(sites: list[platforms.Site]) -> list[dict[str, Any]]:
    return [{"code": s.code, "name": s.name, "lon": s.lon, "lat": s.lat} for s in sites]


def _kpis(tx: dict[str, str], s: coverage.Summary, base: coverage.Summary | None) -> Any:
    def tile(label: str, pct: float, was: float | None) -> html.Div:
        delta = (
            html.Span(f" ({pct - was:+.1f})", className="gd-delta")
            if was is not None and abs(pct - was) >= 0.05
            else None
        )
        return html.Div([html.Div(label), html.B(f"{pct:.1f}%"), delta], className="gd-kpi")

    tiles = [tile(tx["cov.all"], s.pct, base.pct if base else None)]
    for z in coverage.ZONES:
        tiles.append(tile(tx[f"cov.zone.{z}"], s.zone_pct(z), base.zone_pct(z) if base else None))
    gap = f"{s.population - s.covered:,.0f}"
    return [html.Div(tiles, className="gd-kpi-row"), html.Div(tx["cov.uncovered"].format(n=gap))]


# ------------------------------------------------------------------ the callbacks' bodies
# Plain functions: what the browser sent in, what the page shows out. Errors are raised;
# ``guarded`` (in ``register``) shows them in the message output.


def _open_tab(settings: Settings, tab: Any, sites: Any, lang: str) -> tuple[Any, ...]:
    """The coverage tab opened the first time, and then every ``WAIT_MS`` until this
    worker's model is built: the build's bar, then today's platforms and the stamp that
    has the map ask for the hexagons in view. Outputs: sites, base, ready stamp, wait
    disabled, bar shown, bar value, bar max, message."""
    if ctx.triggered_id == "plan-tabs" and (tab != "coverage" or sites is not None):
        return (NO,) * 8
    st = covmodel.status()
    if st.ready:
        with state.db(settings, need="plan") as conn:
            now = _as_data(platforms.current(conn=conn))
        return now, now, time.time(), True, _HIDDEN, NO, NO, NO
    if st.failed and ctx.triggered_id != "plan-tabs":
        why = user_message(st.failed, lang)[1]  # a domain error's text, else a safe one
        failed = i18n.t(lang)["cov.failed"].format(why=why)
        return NO, NO, NO, True, _HIDDEN, NO, NO, message(failed, ok=False)
    covmodel.prepare(settings)  # here, or in this worker if another one started it
    return NO, NO, NO, False, _SHOWN, covmodel.status().step, covmodel.STEPS, NO


_SHOWN, _HIDDEN = {"display": "flex"}, {"display": "none"}


def _what_if(
    trig: Any, pressed: bool, drag: Any, click: Any, sites: Any, base: Any, adding: Any,
    proposal: Any, lang: str,
) -> tuple[Any, Any, Any]:  # fmt: skip
    """The what-if list after a drag, an added or removed platform, a reset or the siting
    proposal taken: (list, adding a platform, message)."""
    tx = i18n.t(lang)
    if sites is None:
        return NO, NO, NO
    try:
        now = _as_data(_sites(sites))
        if trig == "cov-drag" and isinstance(drag, dict):
            i = int(drag.get("i", -1))
            if 0 <= i < len(now):
                now[i] = {**now[i], "lon": float(drag["lng"]), "lat": float(drag["lat"])}
                return now, NO, NO
            return NO, NO, NO
        if trig == "cov-add":
            return NO, True, message(tx["cov.add_hint"])
        if trig == "map":
            pos = latlng((click or {}).get("latlng"))
            if not adding or pos is None:
                return NO, NO, NO
            name = tx["cov.new_name"].format(n=len(now) + 1)
            return [*now, {"code": None, "name": name, "lon": pos[1], "lat": pos[0]}], False, NO
        if trig == "cov-reset":
            return base, False, NO
        if trig == "cov-take" and isinstance(proposal, list):
            return _as_data(_sites(proposal)), False, NO
        if isinstance(trig, dict) and trig.get("type") == "cov-remove" and pressed:
            i = int(trig.get("i", -1))
            return [s for j, s in enumerate(now) if j != i], NO, NO
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("The platform change is not valid.") from None
    return NO, NO, NO


def _compute(settings: Settings, sites: Any, units: Any, base: Any, lang: str) -> tuple[Any, ...]:
    """The coverage of the what-if list (or of the patrol cars available now): the KPI
    tiles against the saved platforms, the hexagons' times, the markers and the list."""
    tx = i18n.t(lang)
    m = covmodel.get(settings).cov
    now = _sites(sites)
    if "units" in (units or []):  # the patrol cars available now, not the platforms
        with state.db(settings, need="plan") as conn:
            s = m.summary(m.field(coverage.available_units(conn=conn)))
        was = None
    else:
        s = m.summary(m.field([(x.lon, x.lat) for x in now]))
        was = m.summary(m.field([(x.lon, x.lat) for x in _sites(base)])) if base else None
    hideout = plan_layers.hex_hideout(s.hex_time_s, s.hex_uncovered)
    return _kpis(tx, s, was), hideout, _site_markers(now), _site_list(tx, now, base)


def _site_markers(now: list[platforms.Site]) -> list[Any]:
    return [
        dl.DivMarker(
            id={"type": "cov-site", "i": i},
            position=[x.lat, x.lon],
            draggable=True,
            iconOptions={
                "className": "gd-site" + ("" if x.code else " gd-site-new"),
                "iconSize": [18, 18],
            },  # fmt: skip
            eventHandlers={"dragend": {"variable": "griddispatch.siteDragged"}},
            title=x.name,
        )
        for i, x in enumerate(now)
    ]


def _site_list(tx: dict[str, str], now: list[platforms.Site], base: Any) -> list[Any]:
    """The what-if platforms, new or moved ones starred, each with its remove button."""
    moved = {b["code"]: (b["lon"], b["lat"]) for b in (base or []) if b.get("code")}
    return [
        html.Li(
            [
                html.Span(
                    x.name + (" *" if not x.code or moved.get(x.code) != (x.lon, x.lat) else "")
                ),  # fmt: skip
                html.Button(
                    "×",
                    id={"type": "cov-remove", "i": i},
                    title=tx["cov.remove"],
                    className="gd-btn gd-btn-small",
                ),  # fmt: skip
            ]
        )
        for i, x in enumerate(now)
    ]


def _propose(
    settings: Settings, k: Any, sites: Any, lang: str, set_progress: Any
) -> tuple[Any, ...]:
    """The best ``k`` platforms among today's and candidate places (``geo.siting``); a
    background job in three steps (the model, the candidates, the choice)."""
    tx = i18n.t(lang)
    kk = int(k) if isinstance(k, int | float) else 0
    if not 1 <= kk <= 50:
        raise InvalidInput("Choose 1 to 50 platforms.")
    set_progress((0, 3))
    m = covmodel.get(settings).cov
    now = _sites(sites)
    set_progress((1, 3))
    spots = siting.candidates(m, [(x.lon, x.lat) for x in now], SITING_CANDIDATES)
    set_progress((2, 3))
    cands = now + [
        platforms.Site(None, tx["cov.new_name"].format(n=i + 1), x, y)
        for i, (x, y) in enumerate(spots[len(now) :])
    ]
    res = siting.site(m, spots, kk)
    current = m.summary(m.field([(x.lon, x.lat) for x in now])).pct
    chosen = [cands[i] for i in res.chosen]
    shown = [
        dl.CircleMarker(
            center=[c.lat, c.lon],
            radius=9,
            color="#6a1b9a",
            weight=3,
            fillOpacity=0.3,
            interactive=False,
        )  # fmt: skip
        for c in chosen
    ]
    text = tx["cov.proposal"].format(k=kk, n=len(cands), pct=res.pct, now=current, s=res.seconds)
    return _as_data(chosen), shown, message(text), False


def _confirm(settings: Settings, sites: Any, lang: str) -> tuple[Any, ...]:
    """The what-if list written as the platforms (``geo.platforms.apply``)."""
    tx = i18n.t(lang)
    with state.db(settings, need="plan") as conn:
        counts = platforms.apply(conn=conn, sites=_sites(sites))
        now = _as_data(platforms.current(conn=conn))
    url = f"/api/layers/platforms.geojson?v={sum(counts.values())}-{len(now)}"
    return message(tx["cov.confirmed"].format(**counts)), now, now, url


# ------------------------------------------------------------------------ the wiring


def register(app: dash.Dash, settings: Settings) -> None:
    _register_opening(app, settings)

    @app.callback(
        Output("cov-sites", "data", allow_duplicate=True),
        Output("cov-adding", "data"),
        Output("cov-msg", "children", allow_duplicate=True),
        Input("cov-drag", "data"),
        Input("map", "clickData"),
        Input("cov-add", "n_clicks"),
        Input({"type": "cov-remove", "i": ALL}, "n_clicks"),
        Input("cov-reset", "n_clicks"),
        Input("cov-take", "n_clicks"),
        State("cov-sites", "data"),
        State("cov-base", "data"),
        State("cov-adding", "data"),
        State("cov-proposal", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=2)
    def what_if(drag: Any, click: Any, *rest: Any) -> tuple[Any, Any, Any]:
        *_, sites, base, adding, proposal, lang = rest
        trig, pressed = ctx.triggered_id, clicked(None)
        return _what_if(trig, pressed, drag, click, sites, base, adding, proposal, lang)

    @app.callback(
        Output("cov-kpis", "children"),
        Output("cov-hex", "hideout"),
        Output("cov-markers", "children"),
        Output("cov-list", "children"),
        Input("cov-sites", "data"),
        Input("cov-units", "value"),
        State("cov-base", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def compute(sites: Any, units: Any, base: Any, lang: str) -> tuple[Any, ...]:
        return _compute(settings, sites, units, base, lang)

    _register_siting(app, settings)

    @app.callback(
        Output("cov-msg", "children"),
        Output("cov-base", "data", allow_duplicate=True),
        Output("cov-sites", "data", allow_duplicate=True),
        Output("layer-platforms", "url"),
        Input("cov-confirm", "n_clicks"),
        State("cov-sites", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def confirm(_n: Any, sites: Any, lang: str) -> tuple[Any, ...]:
        return _confirm(settings, sites, lang)


def _register_opening(app: dash.Dash, settings: Settings) -> None:
    """The tab's opening: the model's build with its bar and cancel button, then the
    platforms, and the hexagons in the map's view."""

    @app.callback(
        Output("cov-sites", "data"),
        Output("cov-base", "data"),
        Output("cov-ready", "data"),
        Output("cov-wait", "disabled"),
        Output("cov-prep-job", "style"),
        Output("cov-prep-progress", "value"),
        Output("cov-prep-progress", "max"),
        Output("cov-msg", "children", allow_duplicate=True),
        Input("plan-tabs", "value"),
        Input("cov-wait", "n_intervals"),
        State("cov-sites", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=7)
    def open_tab(tab: Any, _n: Any, sites: Any, lang: str) -> tuple[Any, ...]:
        return _open_tab(settings, tab, sites, lang)

    @app.callback(
        Output("cov-wait", "disabled", allow_duplicate=True),
        Output("cov-prep-job", "style", allow_duplicate=True),
        Output("plan-tabs", "value", allow_duplicate=True),
        Input("cov-prep-cancel", "n_clicks"),
        prevent_initial_call=True,
    )
    def cancel(_n: Any) -> tuple[Any, ...]:
        """Stop the build; the tab closes (opening it again starts it again)."""
        covmodel.cancel()
        return True, _HIDDEN, "boundaries"

    backjobs.register_cancel_note(app, "cov-prep", settings.tz)
    app.clientside_callback(  # while the build runs: its text, and no old cancel note
        "function(off) { return [{display: off ? 'none' : 'block'},"
        " off ? window.dash_clientside.no_update : '']; }",
        Output("cov-prep-text", "style"),
        Output("cov-prep-note", "children", allow_duplicate=True),
        Input("cov-wait", "disabled"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "function(bounds, zoom, ready) {"
        " return window.griddispatch.covView(bounds, zoom, ready); }",
        Output("cov-view", "data"),
        Input("map", "bounds"),
        Input("map", "zoom"),
        Input("cov-ready", "data"),
    )


def _register_siting(app: dash.Dash, settings: Settings) -> None:
    """Siting as a background job (its bar, cancel and note)."""

    @app.callback(
        Output("cov-proposal", "data"),
        Output("cov-proposed", "children"),
        Output("cov-site-result", "children"),
        Output("cov-take", "disabled"),
        Input("cov-site", "n_clicks"),
        State("cov-k", "value"),
        State("cov-sites", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
        on_error=backjobs.on_error(at=2, fill={3: True}),
        **backjobs.options("cov-siting", "cov-site"),
    )
    @backjobs.job(at=2, fill={3: True})
    def propose(set_progress: Any, _n: Any, k: Any, sites: Any, lang: str) -> tuple[Any, ...]:
        return _propose(settings, k, sites, lang, set_progress)

    backjobs.register_cancel_note(app, "cov-siting", settings.tz, "cov-site")
