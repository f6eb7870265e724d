"""The supervision page (/supervision): where, when and what, at a glance.

A window (its end moved with the slider or played day by day, its length picked) and filters
give H3 hexbins on the map (counts, the change against the window before, or Getis-Ord Gi*
hotspots), the KPI tiles and a table by district. Clicking a hexagon lists its cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

import dash
import dash_leaflet as dl
import numpy as np
from cachetools import TTLCache
from dash import Input, Output, State, dcc, html

from console import i18n
from console.pages import clock, components, report
from console.pages.actions import guarded
from console.server import backjobs, state
from console.settings import Settings
from geo import analytics, caselists, categories, kpis, places, reports, supervision, tasks
from geo.errors import InvalidInput
from layers import charts, heatmap

log = logging.getLogger(__name__)
NO = dash.no_update
LONG_DAYS = 30  # windows this long or longer are worked out as background jobs
LENGTHS = (1, 7, 30, 90)
DAYS_BACK = 365
FILTER_VALUES = {
    "class": ("family", "shared", "public"),
    "priority": ("red", "yellow", "blue"),
    "source": ("grid_worker", "hotline_12345", "transfer_110", "wechat_group", "walk_in",
               "sensor", "operator"),
    "status": ("reported", "dispatched", "accepted", "on_scene", "resolved", "closed"),
}  # fmt: skip
_lock = threading.Lock()
# Read again after 5 minutes: a planner may have renamed a platform or moved the boundary.
_areas: TTLCache[int, np.ndarray] = TTLCache(maxsize=8, ttl=300)  # hotspot study areas by res
_labels: TTLCache[str, dict[str, str]] = TTLCache(maxsize=1, ttl=300)  # names by code


def overlays() -> list[Any]:
    return [
        dl.GeoJSON(
            id="sup-hex",
            data=heatmap.hexagons(np.zeros(0, np.int64), np.zeros(0)),
            style={"variable": "griddispatch.hexStyle"},
            hideout={},
            bubblingMouseEvents=False,
        )
    ]


def layout(tx: dict[str, str], lang: str, the_map: Any, settings: Settings) -> list[Any]:
    panel = html.Div(
        [
            *_window_controls(tx),
            *_filters(tx, lang, settings),
            *_map_controls(tx),
            *_figure_boxes(tx),
            dcc.Store(id="sup-query"),
        ],
        className="gd-side gd-plan-side gd-plan-pane",
    )
    return [html.Div([the_map, panel], className="gd-main")]


def _filters(tx: dict[str, str], lang: str, settings: Settings) -> list[Any]:
    """A multiple choice per filter; the category list is read from the database."""
    try:
        with state.db(settings, need="supervise") as conn:
            cats = categories.categories(conn=conn)
    except Exception:  # the page still renders, without the category list (logged)
        log.exception("could not read the categories")
        cats = []
    name = "name_en" if lang == "en" else "name_zh"

    def multi(key: str, options: list[dict[str, str]]) -> dcc.Dropdown:
        return dcc.Dropdown(id=f"sup-f-{key}", options=options, multi=True,
                            placeholder=tx[f"sup.f.{key}"], className="gd-sup-filter")  # fmt: skip

    filters = [multi("category", [{"label": getattr(c, name), "value": c.code} for c in cats])]
    for key, values in FILTER_VALUES.items():
        filters.append(multi(key, [{"label": tx.get(f"{key}.{v}", v), "value": v} for v in values]))
    return filters


def _window_controls(tx: dict[str, str]) -> list[Any]:
    """The window's label, its end (a slider of days back), play and its length."""
    return [
        html.Div(id="sup-window", className="gd-sup-window"),
        dcc.Slider(
            id="sup-end",
            min=0,
            max=DAYS_BACK,
            step=1,
            value=0,
            marks=None,
            updatemode="mouseup",
            tooltip=None,
        ),  # fmt: skip
        html.Div(
            [
                html.Button(tx["replay.play"], id="sup-play", className="gd-btn"),
                dcc.RadioItems(
                    id="sup-len",
                    options=[
                        {"label": tx["sup.days"].format(n=n), "value": n} for n in LENGTHS
                    ],  # fmt: skip
                    value=30,
                    inline=True,
                ),
            ],
            className="gd-replay-controls",
        ),
        dcc.Interval(id="sup-clock", interval=1200, disabled=True),
    ]


def _map_controls(tx: dict[str, str]) -> list[Any]:
    """The hexagons' mode and size, their summary and legend, the hotspot task, a cell's cases."""
    return [
        dcc.RadioItems(
            id="sup-mode",
            options=[
                {"label": tx[f"sup.mode.{m}"], "value": m} for m in ("count", "diff", "hot")
            ],  # fmt: skip
            value="count",
        ),
        dcc.Dropdown(
            id="sup-res",
            options=[{"label": tx["sup.res_auto"], "value": "auto"}]
            + [{"label": tx["sup.res"].format(r=r), "value": r} for r in analytics.HEX_RES],
            value="auto",
            clearable=False,
        ),
        html.Div(id="sup-summary", className="gd-muted"),
        html.Div(id="sup-legend", className="gd-sup-legend"),
        html.Div(
            [
                components.number(tx["sup.hot.target"], "sup-hot-target", 1, 100, 3),
                components.number(tx["sup.hot.hours"], "sup-hot-hours", 1, 720, 24),
                html.Button(tx["sup.hot.task"], id="sup-hot-task", className="gd-btn"),
                html.Div(id="sup-hot-result"),
            ],
            id="sup-hot-box",
            className="gd-sup-hot",
            style={"display": "none"},
        ),  # fmt: skip
        html.Div(id="sup-cell"),
    ]


def _figure_boxes(tx: dict[str, str]) -> list[Any]:
    """The KPI tiles, the trend, the table by group, the assessment and the report export."""
    return [
        html.H4(tx["sup.flags"]),
        html.Div(id="sup-flags"),
        dcc.Interval(id="sup-flags-tick", interval=15_000),
        dcc.Store(id="sup-ask"),  # the figures of a short window, worked out at once
        dcc.Store(id="sup-ask-long"),  # of LONG_DAYS or more: a background job
        backjobs.controls("sup-fig", tx),
        html.Div(id="sup-kpis", className="gd-kpi-row"),
        dcc.Graph(
            id="sup-trend",
            config={"displayModeBar": False},
            className="gd-sup-trend",
            figure={"data": [], "layout": {"height": 220}},
        ),
        dcc.Dropdown(
            id="sup-by",
            options=[{"label": tx[f"sup.by.{g}"], "value": g} for g in kpis.GROUPS],
            value="district",
            clearable=False,
        ),
        html.Div(id="sup-table"),
        html.H4(tx["sup.assessment"]),
        html.Div(id="sup-assessment-box"),
        html.H4(tx["sup.export"]),
        html.Div(
            [
                dcc.RadioItems(
                    id="sup-report-period",
                    options=[{"label": tx[f"sup.period.{p}"], "value": p} for p in reports.PERIODS],
                    value="week",
                    inline=True,
                ),
                html.Button("HTML", id="sup-export-html", className="gd-btn"),
                html.Button("XLSX", id="sup-export-xlsx", className="gd-btn"),
                dcc.Download(id="sup-download"),
            ],
            className="gd-replay-controls",
        ),  # fmt: skip
        backjobs.controls("sup-export", tx),
        html.Div(id="sup-export-msg"),
    ]


def window(
    days_back: Any, length: Any, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The window ending ``days_back`` whole days before now, ``length`` days long."""
    try:
        back, n = int(days_back or 0), int(length or 30)
    except (TypeError, ValueError):
        raise InvalidInput("The window is not valid.") from None
    if not 0 <= back <= DAYS_BACK or n not in LENGTHS:
        raise InvalidInput("The window is not valid.")
    end = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=back)
    return end - dt.timedelta(days=n), end


def resolution(res: Any, zoom: Any) -> int:
    """The hexagon resolution picked (one of ``analytics.HEX_RES``), or the one for the map's
    zoom ("auto")."""
    if res == "auto":
        z = zoom if isinstance(zoom, int | float) and not isinstance(zoom, bool) else 12
        return analytics.resolution_for_zoom(float(min(max(z, 0), 22)))
    if isinstance(res, str) and res.isdigit():
        res = int(res)
    if not isinstance(res, int) or isinstance(res, bool) or res not in analytics.HEX_RES:
        raise InvalidInput("The hexagon size is not valid.")
    return res


def _view(bounds: Any) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the map's ``[[south, west], [north, east]]``."""
    try:
        (s, w), (n, e) = bounds
        box = (float(w), float(s), float(e), float(n))
    except (TypeError, ValueError):
        return None
    return box if all(np.isfinite(box)) else None


def filters_of(*values: Any) -> dict[str, list[str]]:
    keys = ("category", *FILTER_VALUES)
    out = {}
    for key, v in zip(keys, values, strict=True):
        if isinstance(v, list) and v:
            out[key] = [str(x) for x in v][:50]
    return out


def _universe(settings: Settings, res: int) -> np.ndarray:
    """Every cell of the city at ``res``: the study area of the hotspot test."""
    with _lock:
        if res not in _areas:
            with state.db(settings, need="supervise") as conn:
                _areas[res] = analytics.city_cells(conn=conn, res=res)
        return _areas[res]


def _legend(tx: dict[str, str], hide: dict[str, Any]) -> Any:
    if hide.get("mode") == "hot":
        items = [(c, tx[f"sup.hot.{k}"]) for k, c in hide["colours"].items() if k != "0"]
    else:
        ramp, top = hide.get("ramp", []), hide.get("top", 1)
        lo = -top if hide.get("mode") == "diff" else 0
        items = [(ramp[0], f"{lo:,.0f}"), (ramp[len(ramp) // 2], ""), (ramp[-1], f"{top:,.0f}")]
    return [
        html.Span([html.I(style={"background": c}, className="gd-swatch"), label])
        for c, label in items
    ]


def _names(settings: Settings) -> dict[str, str]:
    """Display names of admin units (by code) and platforms (by code)."""
    with _lock:
        if "all" not in _labels:
            with state.db(settings, need="supervise") as conn:
                _labels["all"] = places.display_names(conn=conn)
        return _labels["all"]


def _pct(v: float | None) -> str:
    return "—" if v is None or v != v else f"{v:.1f}%"


def _mins(v: float | None) -> str:
    return "—" if v is None or v != v else f"{v / 60:.1f} min"


def _tiles(tx: dict[str, str], k: kpis.Kpis, was: kpis.Kpis) -> list[Any]:
    """The KPI tiles, each with its change against the window before (green when better)."""
    tiles = [  # label, shown, value now, value before, is higher better, is a rate
        ("sup.k.reported", f"{k.reported:,}", k.reported, was.reported, None, False),
        ("sup.k.closed", f"{k.closed:,}", k.closed, was.closed, True, False),
        ("sup.k.closure", _pct(k.closure_rate), k.closure_rate, was.closure_rate, True, True),
        ("sup.k.on_time", _pct(k.on_time_rate), k.on_time_rate, was.on_time_rate, True, True),
        ("sup.k.respond", f"{_mins(k.respond.p50_s)} · {_pct(k.respond.within_pct)}",
         k.respond.within_pct, was.respond.within_pct, True, True),
        ("sup.k.arrive", f"{_mins(k.arrive.p50_s)} · {_pct(k.arrive.within_pct)}",
         k.arrive.within_pct, was.arrive.within_pct, True, True),
        ("sup.k.overdue", f"{k.overdue:,}", k.overdue, was.overdue, False, False),
        ("sup.k.satisfaction", "—" if k.satisfaction is None else f"{k.satisfaction:.2f}",
         k.satisfaction, was.satisfaction, True, True),
    ]  # fmt: skip
    out = []
    for key, shown, now, before, better, rate in tiles:
        delta, cls = "", "gd-delta"
        if now is not None and before is not None:
            d = now - before
            delta = f"{d:+.1f}" if rate else f"{d:+,}"
            if better is not None and d:
                cls += " gd-better" if (d > 0) == better else " gd-worse"
        out.append(html.Div([html.Div(tx[key]), html.B(shown),
                             html.Span(tx["sup.vs"].format(d=delta) if delta else "",
                                       className=cls)], className="gd-kpi"))  # fmt: skip
    return out


def _group_table(tx: dict[str, str], t: Any, group: str, names: dict[str, str]) -> Any:
    """The KPIs per group, most cases first (at most 50 rows)."""

    def label(key: str) -> str:
        if group in ("district", "street", "community"):
            return names.get(key.split(".")[-1], key)
        if group == "platform":
            return names.get(key, key)
        if group == "department":
            return tx.get(f"agency.{key}", key)
        return key

    heads = (
        "sup.by." + group,
        "sup.k.reported",
        "sup.k.closure",
        "sup.k.on_time",
        "sup.t.respond",
        "sup.t.arrive",
        "sup.k.overdue",
        "sup.k.satisfaction",
    )
    rows = [
        html.Tr([html.Td(label(str(key))), html.Td(f"{int(r['reported']):,}"),
                 html.Td(_pct(r["closure"])), html.Td(_pct(r["on_time"])),
                 html.Td(_mins(r["respond_p50_s"])), html.Td(_pct(r["arrive_within"])),
                 html.Td(f"{int(r['overdue']):,}"),
                 html.Td("—" if r["satisfaction"] != r["satisfaction"]
                         else f"{r['satisfaction']:.2f}")])
        for key, r in t.head(50).iterrows()
    ]  # fmt: skip
    more = [html.Div(tx["sup.more"].format(n=len(t)), className="gd-muted")] if len(t) > 50 else []
    return [
        html.Table([html.Thead(html.Tr([html.Th(tx[h]) for h in heads])), html.Tbody(rows)],
                   className="gd-table gd-impact", id="sup-group-table"),
        *more,
    ]  # fmt: skip


def _ranking(tx: dict[str, str], workers: Any) -> Any:
    return html.Table(
        [html.Thead(html.Tr([html.Th("#"), html.Th(tx["sup.t.worker"]),
                             html.Th(tx["sup.k.reported"]), html.Th(tx["sup.t.score"])])),
         html.Tbody([html.Tr([html.Td(int(w["rank"])), html.Td(w["worker"]),
                              html.Td(int(w["cases"])), html.Td(f"{w['score']:.1f}")])
                     for _, w in workers.head(10).iterrows()])],
        className="gd-table gd-impact", id="sup-assessment",
    )  # fmt: skip


# ------------------------------------------------------------------ the callbacks' bodies
# Plain functions: what the browser sent in, what the page shows out. Errors are raised;
# ``guarded`` (in ``register``) shows them in the message output.


def _figures(settings: Settings, weights: Any, ask: Any, lang: str) -> tuple[Any, ...]:
    """The figures of the window: they do not follow the map (a pan changes nothing).
    ``ask``: the window's end (days back), its length, the filters' values and the grouping,
    as the page sent them."""
    if not isinstance(ask, list) or len(ask) != len(FILTER_VALUES) + 4:
        raise InvalidInput("The window is not valid.")
    back, length, *fvals, group = ask
    group = str(group or "district")
    tx = i18n.t(lang)
    start, end = window(back, length)
    if group not in kpis.GROUPS:
        raise InvalidInput("Unknown grouping.")
    with state.db(settings, need="supervise") as conn:
        v = supervision.figures(conn=conn, start=start, end=end, filters=filters_of(*fvals),
                                group=group, weights=weights, tz=settings.tz)  # fmt: skip
    names = _names(settings)
    label = tx["sup.window"].format(
        start=clock.show(start), end=clock.show(end)
    )
    trend = charts.trend(v.trend, {c: tx[f"sup.k.{c}"] for c in
                                   ("reported", "closed", "closure", "on_time")})  # fmt: skip
    return (
        _tiles(tx, v.now, v.before),
        trend,
        _group_table(tx, v.table, group, names),
        _ranking(tx, v.assessment),
        label,
    )


def _hexes(
    settings: Settings, back: Any, length: Any, mode: Any, res: Any, fvals: list[Any],
    zoom: Any, bounds: Any, lang: str,
) -> tuple[Any, ...]:  # fmt: skip
    """The hexagons: they follow the window, the filters, the mode and the map's view."""
    mode = mode if mode in supervision.MODES else "count"
    tx = i18n.t(lang)
    start, end = window(back, length)
    flt = filters_of(*fvals)
    r = resolution(res, zoom)
    box = _view(bounds) if r >= 9 else None
    universe = _universe(settings, r) if mode == "hot" else None
    with state.db(settings, need="supervise") as conn:
        h = supervision.hexes(conn=conn, start=start, end=end, filters=flt, res=r,
                              mode=mode, bbox=box, universe=universe)  # fmt: skip
    hide = heatmap.hideout(mode, h.values)
    query = {"res": r, "start": start.isoformat(), "end": end.isoformat(), "filters": flt,
             "hot": [str(c) for c in h.hot]}  # fmt: skip
    return (
        heatmap.hexagons(h.cells, h.values, h.name),
        hide,
        tx["sup.summary"].format(n=h.total, cells=h.count_cells, res=r),
        _legend(tx, hide),
        query,
        {"display": "flex" if mode == "hot" else "none"},
    )


def _hot_task(settings: Settings, query: Any, target: Any, hours: Any, lang: str) -> Any:
    """The hotspot's hexagons become a patrol task for the grids that cover them."""
    tx = i18n.t(lang)
    try:
        hot = query.get("hot") if isinstance(query, dict) else None
        hot = hot if isinstance(hot, list) else []
        cells = [int(c) for c in hot
                 if isinstance(c, str) and c.isdigit() and 0 < int(c) < 2**64][:5000]  # fmt: skip
        if not cells:
            raise InvalidInput(tx["sup.hot.none"])
        hrs = float(hours)
        if not 1 <= hrs <= 720:
            raise InvalidInput("The deadline must be 1-720 hours away.")
        title = tx["sup.hot.title"].format(
            day=clock.show(clock.now(), "%m-%d %H:%M"), n=len(cells)
        )
        with state.db(settings, need="supervise") as conn:
            task, n = tasks.from_cells(
                conn=conn, cells=cells, title=title, target=int(target),
                deadline=dt.datetime.now(dt.UTC) + dt.timedelta(hours=hrs),
                instructions=tx["sup.hot.instructions"],
            )  # fmt: skip
    except (TypeError, ValueError):
        raise InvalidInput("The target and hours must be numbers.") from None
    return html.A(tx["sup.hot.made"].format(id=task, n=n), id="sup-hot-link",
                  href=f"/tasks?task={task}&lang={lang}")  # fmt: skip


def _export(
    settings: Settings, weights: Any, fmt: str, period: Any, query: Any, lang: str,
    set_progress: Any,
) -> tuple[Any, Any]:  # fmt: skip
    """The day / week / month report before the window's end, as a file (a background job:
    a long period's report never holds up a desk)."""
    try:
        at = dt.datetime.fromisoformat(str((query or {})["end"]))
    except (KeyError, ValueError, TypeError, AttributeError):  # not a window: no file
        return NO, NO
    set_progress((0, 1))
    with state.db(settings, need="supervise") as conn:
        body, name = report.content(conn, str(period), at, fmt, lang, weights, settings.tz)
    set_progress((1, 1))
    return dcc.send_bytes(body, name), ""


def _cell(settings: Settings, feature: Any, query: Any, lang: str) -> Any:
    """The cases in the clicked hexagon."""
    tx = i18n.t(lang)
    try:
        c = int((feature or {})["properties"]["c"])
        q = query if isinstance(query, dict) else {}
        start = dt.datetime.fromisoformat(str(q["start"]))
        end = dt.datetime.fromisoformat(str(q["end"]))
        with state.db(settings, need="supervise") as conn:
            rows = analytics.incidents_in_cell(
                conn=conn, cell=c, res=int(q["res"]), start=start, end=end,
                filters=q.get("filters") or None,
            )  # fmt: skip
    except (KeyError, TypeError, ValueError):  # not a hexagon of the map: nothing to show
        return NO
    items = [
        html.Li(
            f"{r['number']} · {r['category']} · {tx['status.' + r['status']]} · "
            f"{clock.show(r['reported_at'], '%m-%d %H:%M')}"
        )  # fmt: skip
        for r in rows
    ]
    return [html.H4(tx["sup.cell"].format(n=len(rows))), html.Ul(items, className="gd-history")]


def _play(trig: Any, stopped: Any, back: Any) -> tuple[Any, Any]:
    """Play: the window's end moves a day forward per tick until it reaches today."""
    if trig == "sup-play":
        if not stopped:
            return True, NO
        return False, (DAYS_BACK // 4 if not back else NO)  # at today: from 3 months ago
    b = int(back or 0)
    if b <= 0:
        return True, 0
    return NO, b - 1


# ------------------------------------------------------------------------ the wiring


def _flags(settings: Settings, lang: str) -> Any:
    """Open cases flagged for supervision (督办): which clock was missed, who holds the case,
    since when; each links to the desk with the case selected."""
    tx = i18n.t(lang)
    with state.db(settings, need="watch") as conn:
        rows = caselists.flagged(conn=conn)
    if not rows:
        return html.Div(tx["sup.flags_none"], className="gd-muted")
    return html.Table(html.Tbody([
        html.Tr([
            html.Td(html.A(r["number"], href=f"/dispatch?case={r['id']}&lang={lang}")),
            html.Td(r["category_en"] if lang == "en" else r["category_zh"]),
            html.Td(tx[f"stage.{r['flag_reason']}"] if r["flag_reason"] else ""),
            html.Td((r["claimed_by"] or "–").split(":", 1)[-1]),
            html.Td(clock.show(r["flagged_at"], "%m-%d %H:%M")),
        ]) for r in rows
    ]), className="gd-table", id="sup-flag-rows")  # fmt: skip


def register(app: dash.Dash, settings: Settings) -> None:
    weights = kpis.parse_weights(settings.assessment_weights)

    @app.callback(
        Output("sup-flags", "children"),
        Input("sup-flags-tick", "n_intervals"),
        State("lang", "data"),
    )
    @guarded(at=0)
    def refresh_flags(_n: Any, lang: str) -> Any:
        return _flags(settings, lang)

    filter_inputs = [Input(f"sup-f-{k}", "value") for k in ("category", *FILTER_VALUES)]

    _register_figures(app, settings, weights, filter_inputs)

    @app.callback(
        Output("sup-hex", "data"),
        Output("sup-hex", "hideout"),
        Output("sup-summary", "children"),
        Output("sup-legend", "children"),
        Output("sup-query", "data"),
        Output("sup-hot-box", "style"),
        Input("sup-end", "value"),
        Input("sup-len", "value"),
        Input("sup-mode", "value"),
        Input("sup-res", "value"),
        *filter_inputs,
        Input("map", "zoom"),
        Input("map", "bounds"),
        State("lang", "data"),
    )
    @guarded(at=2)
    def refresh_map(back: Any, length: Any, mode: Any, res: Any, *rest: Any) -> tuple[Any, ...]:
        *fvals, zoom, bounds, lang = rest
        return _hexes(settings, back, length, mode, res, fvals, zoom, bounds, lang)

    _register_actions(app, settings, weights)


def _register_figures(app: dash.Dash, settings: Settings, weights: Any,
                      filter_inputs: list[Input]) -> None:  # fmt: skip
    """The window's figures: at once for a short window, as a background job for a long one
    (a province's 30 days take seconds), with its bar and cancel button."""
    app.clientside_callback(
        "function() { var a = Array.prototype.slice.call(arguments), NU ="
        " window.dash_clientside.no_update;"
        f" return Number(a[1]) >= {LONG_DAYS} ? [NU, a] : [a, NU]; }}",
        Output("sup-ask", "data"),
        Output("sup-ask-long", "data"),
        Input("sup-end", "value"),
        Input("sup-len", "value"),
        *filter_inputs,
        Input("sup-by", "value"),
    )
    figure_outputs = ("sup-kpis.children", "sup-trend.figure", "sup-table.children",
                      "sup-assessment-box.children", "sup-window.children")  # fmt: skip

    @app.callback(
        *[Output(*o.split(".")) for o in figure_outputs],
        Input("sup-ask", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def refresh_figures(ask: Any, lang: str) -> tuple[Any, ...]:
        return _figures(settings, weights, ask, lang)

    @app.callback(
        *[Output(*o.split("."), allow_duplicate=True) for o in figure_outputs],
        Input("sup-ask-long", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
        on_error=backjobs.on_error(at=0),
        **backjobs.options("sup-fig"),
    )
    @backjobs.job(at=0)
    def refresh_long_figures(_progress: Any, ask: Any, lang: str) -> tuple[Any, ...]:
        return _figures(settings, weights, ask, lang)

    backjobs.register_cancel_note(
        app, "sup-fig", settings.tz, clear_on=Input("sup-ask-long", "data")
    )


def _register_actions(app: dash.Dash, settings: Settings, weights: Any) -> None:
    """The hotspot task, the report export, a hexagon's cases and play."""

    @app.callback(
        Output("sup-hot-result", "children"),
        Input("sup-hot-task", "n_clicks"),
        State("sup-query", "data"),
        State("sup-hot-target", "value"),
        State("sup-hot-hours", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded()
    def hot_task(_n: Any, query: Any, target: Any, hours: Any, lang: str) -> Any:
        return _hot_task(settings, query, target, hours, lang)

    @app.callback(
        Output("sup-download", "data"),
        Output("sup-export-msg", "children"),
        Input("sup-export-html", "n_clicks"),
        Input("sup-export-xlsx", "n_clicks"),
        State("sup-report-period", "value"),
        State("sup-query", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
        on_error=backjobs.on_error(at=1),
        **backjobs.options("sup-export", "sup-export-html", "sup-export-xlsx"),
    )
    @backjobs.job(at=1)
    def export(set_progress: Any, _h: Any, _x: Any, period: Any, query: Any, lang: str) -> Any:
        fmt = "xlsx" if dash.ctx.triggered_id == "sup-export-xlsx" else "html"
        return _export(settings, weights, fmt, period, query, lang, set_progress)

    backjobs.register_cancel_note(app, "sup-export", settings.tz, "sup-export-html",
                                  "sup-export-xlsx")  # fmt: skip

    @app.callback(
        Output("sup-cell", "children"),
        Input("sup-hex", "clickData"),
        State("sup-query", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded()
    def cell(feature: Any, query: Any, lang: str) -> Any:
        return _cell(settings, feature, query, lang)

    @app.callback(
        Output("sup-clock", "disabled"),
        Output("sup-end", "value"),
        Input("sup-play", "n_clicks"),
        Input("sup-clock", "n_intervals"),
        State("sup-clock", "disabled"),
        State("sup-end", "value"),
        prevent_initial_call=True,
    )
    def play(_n: Any, _t: Any, stopped: Any, back: Any) -> tuple[Any, Any]:
        return _play(dash.ctx.triggered_id, stopped, back)
