"""The supervision page (/supervision): where, when and what, at a glance.

A window (its end moved with the slider or played day by day, its length picked) and filters
give H3 hexbins on the map (counts, the change against the window before, or Getis-Ord Gi*
hotspots), the KPI tiles and a table by district. Clicking a hexagon lists its cases.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import dash
import dash_leaflet as dl
import numpy as np
import shapely
from dash import Input, Output, State, dcc, html

from console import i18n, state
from console.desk_callbacks import failure
from console.settings import Settings
from geo import analytics, kpis, mapdata
from geo.errors import InvalidInput
from layers import heatmap

NO = dash.no_update
LOCAL = ZoneInfo("Asia/Shanghai")
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
_areas: dict[int, np.ndarray] = {}  # study area of the hotspot test, by resolution


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
    try:
        with state.pool(settings).connection() as conn:
            cats = mapdata.categories(conn=conn)
    except Exception:  # noqa: BLE001 - the page still renders, without the category list
        cats = []
    name = "name_en" if lang == "en" else "name_zh"

    def multi(key: str, options: list[dict[str, str]]) -> dcc.Dropdown:
        return dcc.Dropdown(id=f"sup-f-{key}", options=options, multi=True,
                            placeholder=tx[f"sup.f.{key}"], className="gd-sup-filter")  # fmt: skip

    filters = [multi("category", [{"label": getattr(c, name), "value": c.code} for c in cats])]
    for key, values in FILTER_VALUES.items():
        filters.append(multi(key, [{"label": tx.get(f"{key}.{v}", v), "value": v} for v in values]))
    panel = html.Div(
        [
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
            *filters,
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
            html.Div(id="sup-kpis", className="gd-kpi-row"),
            html.Div(id="sup-table"),
            html.Div(id="sup-cell"),
            dcc.Store(id="sup-query"),
        ],
        className="gd-side gd-plan-side gd-plan-pane",
    )
    return [html.Div([the_map, panel], className="gd-main")]


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
            with state.pool(settings).connection() as conn:
                row = conn.execute(
                    "SELECT ST_AsBinary(ST_Union(geom)) FROM admin_units WHERE level = 'city'"
                ).fetchone()
            if row is None or row[0] is None:
                raise InvalidInput("The city has no boundary.")
            _areas[res] = analytics.area_cells(shapely.from_wkb(row[0]), res)
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


def _tiles(tx: dict[str, str], k: kpis.Kpis) -> list[Any]:
    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.1f}%"

    def mins(v: float | None) -> str:
        return "—" if v is None else f"{v / 60:.1f} min"

    pairs = [
        ("sup.k.reported", f"{k.reported:,}"),
        ("sup.k.closed", f"{k.closed:,}"),
        ("sup.k.closure", pct(k.closure_rate)),
        ("sup.k.on_time", pct(k.on_time_rate)),
        ("sup.k.respond", f"{mins(k.respond.p50_s)} · {pct(k.respond.within_pct)}"),
        ("sup.k.arrive", f"{mins(k.arrive.p50_s)} · {pct(k.arrive.within_pct)}"),
        ("sup.k.overdue", f"{k.overdue:,}"),
        ("sup.k.satisfaction", "—" if k.satisfaction is None else f"{k.satisfaction:.2f}"),
    ]
    return [html.Div([html.Div(tx[a]), html.B(b)], className="gd-kpi") for a, b in pairs]


def register(app: dash.Dash, settings: Settings) -> None:
    pool = lambda: state.pool(settings)  # noqa: E731
    weights = kpis.parse_weights(settings.assessment_weights)
    filter_inputs = [Input(f"sup-f-{k}", "value") for k in ("category", *FILTER_VALUES)]

    @app.callback(
        Output("sup-hex", "data"),
        Output("sup-hex", "hideout"),
        Output("sup-summary", "children"),
        Output("sup-legend", "children"),
        Output("sup-kpis", "children"),
        Output("sup-table", "children"),
        Output("sup-window", "children"),
        Output("sup-query", "data"),
        Input("sup-end", "value"),
        Input("sup-len", "value"),
        Input("sup-mode", "value"),
        Input("sup-res", "value"),
        *filter_inputs,
        Input("map", "zoom"),
        Input("map", "bounds"),
        State("lang", "data"),
    )
    def refresh(back: Any, length: Any, mode: Any, res: Any, *rest: Any) -> tuple[Any, ...]:
        *fvals, zoom, bounds, lang = rest
        tx = i18n.t(lang)
        try:
            start, end = window(back, length)
            flt = filters_of(*fvals)
            r = (analytics.resolution_for_zoom(float(zoom or 12)) if res == "auto"
                 else int(res))  # fmt: skip
            box = None
            if r >= 9 and isinstance(bounds, list) and len(bounds) == 2:
                (s, w), (n, e) = bounds
                box = (float(w), float(s), float(e), float(n))
            with pool().connection() as conn:
                h = analytics.hexbins(conn=conn, res=r, start=start, end=end, filters=flt,
                                      bbox=box)  # fmt: skip
                if mode == "diff":
                    before = analytics.hexbins(conn=conn, res=r, start=start - (end - start),
                                               end=start, filters=flt, bbox=box)  # fmt: skip
                    cells, values = analytics.difference(h, before)
                    data, name = (cells, values), "d"
                elif mode == "hot":
                    hot = analytics.getis_ord(_universe(settings, r), h)
                    keep = hot.level != 0
                    data, name = (hot.cells[keep], hot.level[keep]), "lv"
                else:
                    data, name = (h.cells, h.counts), "n"
                f = kpis.frame(conn=conn, start=start, end=end)
            f = f[np.all([f[c].isin(v) for c, v in flt.items()], axis=0)] if flt else f
            k = kpis.compute(f, end)
            districts = kpis.by(f, kpis.admin_key(f, 1), end) if len(f) else {}
            workers = kpis.assessment(f, "worker", end, weights)
        except Exception as exc:  # noqa: BLE001 - a safe message
            return (NO, NO, failure(exc), NO, NO, NO, NO, NO)
        hide = heatmap.hideout(mode if mode in ("diff", "hot") else "count", data[1])
        summary = tx["sup.summary"].format(n=h.total, cells=len(h.cells), res=r)
        label = tx["sup.window"].format(
            start=start.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
            end=end.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M"),
        )
        rows = [
            html.Tr(
                [
                    html.Td(p.split(".")[-1]),
                    html.Td(f"{d.reported:,}"),
                    html.Td("—" if d.closure_rate is None else f"{d.closure_rate:.1f}%"),
                    html.Td("—" if d.on_time_rate is None else f"{d.on_time_rate:.1f}%"),
                    html.Td(f"{d.overdue:,}"),
                ]
            )  # fmt: skip
            for p, d in districts.items()
        ]
        table = html.Table(
            [html.Thead(html.Tr([html.Th(tx[h_]) for h_ in ("sup.t.district", "sup.k.reported",
                                 "sup.k.closure", "sup.k.on_time", "sup.k.overdue")])),
             html.Tbody(rows)],
            className="gd-table gd-impact",
        )  # fmt: skip
        ranked = html.Table(
            [html.Thead(html.Tr([html.Th("#"), html.Th(tx["sup.t.worker"]),
                                 html.Th(tx["sup.k.reported"]), html.Th(tx["sup.t.score"])])),
             html.Tbody([html.Tr([html.Td(int(w["rank"])), html.Td(w["worker"]),
                                  html.Td(int(w["cases"])), html.Td(f"{w['score']:.1f}")])
                         for _, w in workers.head(10).iterrows()])],
            className="gd-table gd-impact", id="sup-assessment",
        )  # fmt: skip
        table = [table, html.H4(tx["sup.assessment"]), ranked]
        query = {"res": r, "start": start.isoformat(), "end": end.isoformat(), "filters": flt}
        return (
            heatmap.hexagons(data[0], data[1], name),
            hide,
            summary,
            _legend(tx, hide),
            _tiles(tx, k),
            table,
            label,
            query,
        )

    @app.callback(
        Output("sup-cell", "children"),
        Input("sup-hex", "clickData"),
        State("sup-query", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    def cell(feature: Any, query: Any, lang: str) -> Any:
        tx = i18n.t(lang)
        try:
            c = int((feature or {})["properties"]["c"])
            q = query if isinstance(query, dict) else {}
            start = dt.datetime.fromisoformat(str(q["start"]))
            end = dt.datetime.fromisoformat(str(q["end"]))
            with pool().connection() as conn:
                rows = analytics.incidents_in_cell(
                    conn=conn, cell=c, res=int(q["res"]), start=start, end=end,
                    filters=q.get("filters") or None,
                )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return NO
        except Exception as exc:  # noqa: BLE001 - a safe message
            return failure(exc)
        items = [
            html.Li(
                f"{r['number']} · {r['category']} · {tx['status.' + r['status']]} · "
                f"{r['reported_at'].astimezone(LOCAL).strftime('%m-%d %H:%M')}"
            )  # fmt: skip
            for r in rows
        ]
        return [html.H4(tx["sup.cell"].format(n=len(rows))), html.Ul(items, className="gd-history")]

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
        """Play: the window's end moves a day forward per tick until it reaches today."""
        if dash.ctx.triggered_id == "sup-play":
            if not stopped:
                return True, NO
            return False, (DAYS_BACK // 4 if not back else NO)  # at today: from 3 months ago
        b = int(back or 0)
        if b <= 0:
            return True, 0
        return NO, b - 1
