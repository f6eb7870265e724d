"""The mass-task page (/tasks, 格防码 / 吹哨报到): send one check-list to many grids, then
watch each grid's progress on the map.

A task goes to the grids inside the areas drawn on the map or under the admin units picked,
with instructions, a target count per grid and a deadline. Grid workers report through
``POST /api/v1/tasks/{id}/progress``; the map colours each grid by its share done and
outlines the late ones, refreshed every few seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import dash
import dash_leaflet as dl
import shapely
from dash import Input, Output, State, dcc, html

from console import i18n
from console.pages import clock, components
from console.pages.actions import guarded, message
from console.server import state
from console.settings import Settings
from geo import places, tasks
from geo.errors import InvalidInput
from layers import tasks as task_layers

log = logging.getLogger(__name__)
NO = dash.no_update
EMPTY = {"type": "FeatureCollection", "features": []}
_DRAW = {"polyline": False, "polygon": True, "rectangle": True, "circle": False,
         "marker": False, "circlemarker": False}  # fmt: skip


def overlays() -> list[Any]:
    """The completion map of the selected task, and the control to draw a task's area."""
    return [
        dl.Pane(  # above the roads, which run along the grid edges and would hide the outlines
            dl.GeoJSON(
                id="task-grids",
                data=EMPTY,
                style={"variable": "griddispatch.taskStyle"},
                hideout=task_layers.hideout(),
                interactive=False,  # drawing a new area over it must reach the map
            ),
            name="tasks",
            style={"zIndex": 450},
        ),
        dl.FeatureGroup(
            dl.EditControl(
                id="task-edit",
                draw=_DRAW,
                edit={"remove": True},
                eventHandlers={
                    e: {"variable": "griddispatch.taskDrawn"}
                    for e in ("draw:created", "draw:edited", "draw:deleted")
                },
            ),
            id="task-fg",
        ),
    ]


def layout(
    tx: dict[str, str], lang: str, the_map: Any, settings: Settings, selected: Any = None
) -> list[Any]:
    try:
        with state.db(settings, need="supervise") as conn:
            units = places.areas(conn=conn, levels=("district", "street", "community"))
    except Exception:  # the page still renders, without the unit list (logged)
        log.exception("could not read the admin units")
        units = []
    indent = {"district": "", "street": "· ", "community": "· · "}
    form = html.Div(
        [
            html.H4(tx["task.new"]),
            dcc.Input(id="task-title", placeholder=tx["task.title"], maxLength=200,
                      className="gd-input"),
            dcc.Textarea(id="task-instructions", placeholder=tx["task.instructions"],
                         maxLength=4000, className="gd-input"),
            components.number(tx["task.target"], "task-target", 1, 100_000, 1),
            components.number(tx["task.minutes"], "task-minutes", 5, 43_200, 30),
            dcc.Dropdown(
                id="task-units", multi=True, placeholder=tx["task.units"],
                options=[{"label": indent.get(u.level, "") + u.name,
                          "value": u.path.split(".")[-1]} for u in units],
            ),
            html.Div(tx["task.draw_hint"], id="task-area", className="gd-muted"),
            html.Button(tx["task.create"], id="task-create", className="gd-btn"),
            html.Div(id="task-made"),
        ],
        className="gd-task-form",
    )  # fmt: skip
    try:
        pick = int(selected) if selected not in (None, "") else None
    except (TypeError, ValueError):
        pick = None
    panel = html.Div(
        [
            html.H4(tx["task.list"]),
            dcc.Dropdown(id="task-pick", placeholder=tx["task.pick"]),
            dcc.Store(id="task-current", data=pick),
            html.Div(id="task-summary"),
            html.Div(id="task-legend", children=_legend(tx), className="gd-sup-legend"),
            html.Div(id="task-late"),
            form,
            dcc.Store(id="task-drawn"),
            dcc.Interval(id="task-tick", interval=10_000),
        ],
        className="gd-side gd-plan-side gd-plan-pane",
    )
    return [html.Div([the_map, panel], className="gd-main")]


def _legend(tx: dict[str, str]) -> list[Any]:
    ramp = task_layers.RAMP
    return [
        html.Span([html.I(style={"background": ramp[0]}, className="gd-swatch"), "0%"]),
        html.Span([html.I(style={"background": ramp[-1]}, className="gd-swatch"), "100%"]),
        html.Span([html.I(style={"border": f"3px solid {task_layers.LATE}"},
                          className="gd-swatch"), tx["task.late"]]),
    ]  # fmt: skip


def _options(tx: dict[str, str], items: list[tasks.Task]) -> list[dict[str, Any]]:
    return [
        {"label": f"#{t.id} {tx['task.kind.' + t.kind]} · {t.title} · "
                  f"{100 * t.completion:.0f}% · {clock.show(t.deadline, '%m-%d %H:%M')}",
         "value": t.id}
        for t in items
    ]  # fmt: skip


def area_of(drawn: Any) -> shapely.Geometry | None:
    """The drawn areas (a GeoJSON geometry from ``griddispatch.taskDrawn``), validated."""
    g = (drawn or {}).get("geometry") if isinstance(drawn, dict) else None
    if not g:
        return None
    try:
        area = shapely.from_geojson(json.dumps(g))
    except Exception:  # noqa: BLE001 - any parse error is the user's drawing
        raise InvalidInput("The drawn area is not a valid polygon.") from None
    if area.is_empty or area.geom_type not in ("Polygon", "MultiPolygon"):
        raise InvalidInput("The drawn area is not a valid polygon.")
    return shapely.make_valid(area) if not area.is_valid else area


# ------------------------------------------------------------------ the callbacks' bodies
# Plain functions: what the browser sent in, what the page shows out. Errors are raised;
# ``guarded`` (in ``register``) shows them in the message output.


def _create(
    settings: Settings, title: Any, text: Any, target: Any, minutes: Any, units: Any,
    drawn: Any, lang: str,
) -> tuple[Any, Any]:  # fmt: skip
    """A new task for the grids in the drawn areas or under the picked units."""
    tx = i18n.t(lang)
    try:
        mins, goal = float(minutes), int(target)
    except (TypeError, ValueError):
        raise InvalidInput(tx["task.numbers"]) from None
    if not 5 <= mins <= 43200:
        raise InvalidInput(tx["task.numbers"])
    codes = [str(u) for u in units][:500] if isinstance(units, list) else []
    with state.db(settings, need="supervise") as conn:
        task, n = tasks.create(
            conn=conn, title=str(title or ""), instructions=str(text or ""),
            target=goal, area=area_of(drawn), admin_codes=codes,
            deadline=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=mins),
        )  # fmt: skip
    return message(tx["task.made"].format(id=task, n=n), ok=True), task


def _pick(value: Any, current: Any) -> Any:
    return NO if value == current else value


def _drawn_area(drawn: Any, lang: str) -> Any:
    """How many areas are drawn (a drawing that is not a polygon is refused)."""
    tx = i18n.t(lang)
    area = area_of(drawn)
    if area is None:
        return tx["task.draw_hint"]
    return tx["task.drawn"].format(n=len(shapely.get_parts(area)))


def _show(settings: Settings, task_id: Any, fly: bool, lang: str) -> tuple[Any, ...]:
    """The task list, and the selected task's grids coloured by completion; ``fly``: fit
    the map to them (not on a refresh tick)."""
    tx = i18n.t(lang)
    try:
        with state.db(settings, need="supervise") as conn:
            items = tasks.listing(conn=conn)
            if task_id in (None, ""):
                return _options(tx, items), None, EMPTY, tx["task.none"], [], NO
            tid = int(task_id)
            progress = tasks.progress(conn=conn, task_id=tid)
            shapes = tasks.shapes(conn=conn, task_id=tid)
    except (TypeError, ValueError):  # not a task id: nothing selected
        return NO, NO, EMPTY, NO, [], NO
    grids = task_layers.choropleth(progress, shapes)
    box = task_layers.bounds(grids) if fly else None
    viewport = {
        "bounds": box,
        "transition": "flyToBounds",
        "options": {"paddingTopLeft": [460, 40], "paddingBottomRight": [40, 40], "maxZoom": 16},
    }
    summary, late_list = _progress(tx, tid, items, progress)
    return _options(tx, items), tid, grids, summary, late_list, viewport if box else NO


def _progress(
    tx: dict[str, str], tid: int, items: list[tasks.Task], progress: list[Any]
) -> tuple[list[Any], list[Any]]:
    """The task's title, deadline, instructions and progress; the late grids."""
    s = tasks.summary(progress)
    meta = next((t for t in items if t.id == tid), None)
    lines = [html.B(f"#{tid} {meta.title}" if meta else f"#{tid}")]
    if meta is not None:
        lines += [
            html.Div(f"{tx['task.deadline']}: {clock.show(meta.deadline)}"),
            html.Div(meta.instructions, className="gd-muted"),
        ]
    lines.append(
        html.Div(
            tx["task.progress"].format(
                pct=100 * s["completion"], done=s["complete"], grids=s["grids"], late=s["late"]
            ),
            id="task-progress",
        )  # fmt: skip
    )
    late = [p for p in progress if p.late][:30]
    late_list = [
        html.H4(tx["task.late_list"].format(n=s["late"])),
        html.Ul([html.Li(f"{p.grid_code} · {p.done}/{p.target}") for p in late],
                className="gd-history"),
    ] if late else []  # fmt: skip
    return lines, late_list


# ------------------------------------------------------------------------ the wiring


def register(app: dash.Dash, settings: Settings) -> None:
    @app.callback(
        Output("task-made", "children"),
        Output("task-current", "data", allow_duplicate=True),
        Input("task-create", "n_clicks"),
        State("task-title", "value"),
        State("task-instructions", "value"),
        State("task-target", "value"),
        State("task-minutes", "value"),
        State("task-units", "value"),
        State("task-drawn", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def create(_n: Any, *values: Any) -> tuple[Any, Any]:
        return _create(settings, *values)

    app.callback(
        Output("task-current", "data", allow_duplicate=True),
        Input("task-pick", "value"),
        State("task-current", "data"),
        prevent_initial_call=True,
    )(_pick)
    app.callback(
        Output("task-area", "children"),
        Input("task-drawn", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )(guarded()(_drawn_area))

    @app.callback(
        Output("task-pick", "options"),
        Output("task-pick", "value"),
        Output("task-grids", "data"),
        Output("task-summary", "children"),
        Output("task-late", "children"),
        Output("map", "viewport", allow_duplicate=True),
        Input("task-current", "data"),
        Input("task-tick", "n_intervals"),
        State("lang", "data"),
        prevent_initial_call="initial_duplicate",
    )
    @guarded(at=3, fill={2: EMPTY, 4: []})
    def show(task_id: Any, _tick: Any, lang: str) -> tuple[Any, ...]:
        return _show(settings, task_id, dash.ctx.triggered_id != "task-tick", lang)
