"""The planning page (/planning): redraw grid boundaries, and place platforms for coverage.

Boundaries: pick a grid on the map, then Edit shape (drag its vertices; the neighbours follow),
Split (draw a line across), Merge (click the grids to join) or New grid (draw it). Preview
runs every check and counts the impact (``geo.planning.preview``); Save writes the new
versions with a reason; the history lists every version with a Restore button. Nothing is
saved until Save, and Save checks everything again on the server.

Coverage: the platforms' travel-time field on hexagons, coverage % by zone, platforms that
can be dragged, added and removed (what-if: nothing is saved until confirmed), and a siting
proposal for k platforms (``geo.siting``).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
import dash_leaflet as dl
import shapely
from dash import ALL, Input, Output, State, ctx, dcc, html

from console import i18n
from console.pages import clock
from console.pages.actions import clicked, guarded, message
from console.pages.planning import coverage as planning_coverage
from console.server import backjobs, state
from console.settings import Settings, planning_rules
from geo import boundaries, planning, planning_history, planning_import, planning_suggest
from geo.errors import InvalidInput
from layers import planning as plan_layers

log = logging.getLogger(__name__)
NO = dash.no_update
MAX_UPLOAD = 20 * 1024 * 1024
_DRAW_OFF = {"polyline": False, "polygon": False, "rectangle": False, "circle": False,
             "marker": False, "circlemarker": False}  # fmt: skip


def _editor(shape: Any = None, draw: str | None = None, cancel: str | None = None) -> list[Any]:
    """The edit control and the shape being edited (a Leaflet polygon per part: only layers
    inside the control's feature group can be edited). ``draw``: start drawing a polyline or
    polygon; ``cancel``: leave that mode. What the planner draws or edits comes back through
    ``griddispatch.planDrawn`` into the ``plan-drawn`` store (the control's own ``geojson``
    only reports what was drawn with it)."""
    n = time.monotonic_ns() // 1000  # a new number each time re-triggers the toolbar
    kwargs: dict[str, Any] = {}
    if draw:
        kwargs["drawToolbar"] = {"mode": draw, "n_clicks": n}
    elif cancel:
        kwargs["drawToolbar"] = {"mode": cancel, "action": "cancel", "n_clicks": n}
    control = dl.EditControl(
        id="plan-edit",
        draw=_DRAW_OFF,
        edit={"remove": False},
        eventHandlers={
            "draw:edited": {"variable": "griddispatch.planDrawn"},
            "draw:created": {"variable": "griddispatch.planDrawn"},
        },
        **kwargs,
    )
    parts = []
    if shape is not None:
        for i, poly in enumerate(shapely.get_parts(shape)):
            rings = [poly.exterior, *poly.interiors]
            positions = [[[y, x] for x, y in list(r.coords)[:-1]] for r in rings]
            parts.append(
                dl.Polygon(id=f"plan-part-{i}", positions=positions, color="#e07b00", weight=3)
            )
    return [control, *parts]


def overlays() -> list[Any]:
    """Map layers of the planning page: the edit control, the proposal and its problems."""
    return [
        dl.FeatureGroup(_editor(), id="plan-fg"),
        dl.GeoJSON(
            id="plan-preview",
            data=plan_layers.EMPTY,
            style={"variable": "griddispatch.planStyle"},
            hideout={"colours": plan_layers.CHANGE_COLOURS},
            interactive=False,
        ),
        dl.GeoJSON(
            id="plan-problems",
            data=plan_layers.EMPTY,
            style={"variable": "griddispatch.problemStyle"},
            pointToLayer={"variable": "griddispatch.problemPoint"},
            interactive=False,
        ),
        *planning_coverage.overlays(),
    ]


def layout(tx: dict[str, str], the_map: Any, legend_box: Any) -> list[Any]:
    tools = html.Div(
        [
            html.Button(tx["plan.edit"], id="plan-tool-edit", className="gd-btn"),
            html.Button(tx["plan.split"], id="plan-tool-split", className="gd-btn"),
            html.Button(tx["plan.merge"], id="plan-tool-merge", className="gd-btn"),
            html.Button(tx["plan.new"], id="plan-tool-new", className="gd-btn"),
            html.Button(tx["plan.cancel"], id="plan-tool-cancel", className="gd-btn gd-btn-quiet"),
        ],
        className="gd-plan-tools",
    )
    boundaries = html.Div(
        [
            html.Div(tx["page.planning"], className="gd-page-note"),
            html.Div(tx["card.hint"], id="grid-card", className="gd-page-note"),
            tools,
            dcc.Checklist(
                id="plan-follow",
                options=[{"label": " " + tx["plan.follow"], "value": "follow"}],
                value=["follow"],
            ),
            dcc.Input(
                id="plan-new-name",
                placeholder=tx["plan.new_name"],
                maxLength=100,
                className="gd-input",
            ),  # fmt: skip
            html.Div(id="plan-mode-note", className="gd-muted"),
            html.Button(tx["plan.preview"], id="plan-preview-btn", className="gd-btn"),
            html.Div(id="plan-problems-list"),
            html.Div(id="plan-impact"),
            dcc.Input(
                id="plan-reason", placeholder=tx["plan.reason"], maxLength=500, className="gd-input"
            ),  # fmt: skip
            html.Button(
                tx["plan.save"], id="plan-save", className="gd-btn gd-btn-primary", disabled=True
            ),  # fmt: skip
            html.Div(id="plan-msg"),
            dcc.Upload(
                html.Button(tx["plan.import"], className="gd-btn"),
                id="plan-upload",
                max_size=MAX_UPLOAD,
                accept=".geojson,.json,.gpkg,.zip",
            ),
            backjobs.controls("plan-import", tx),  # a province's boundary set takes a while
            html.Div(id="plan-diff"),
            html.Button(tx["plan.suggest"], id="plan-suggest-btn", className="gd-btn"),
            backjobs.controls("plan-suggest", tx),
            html.Div(id="plan-suggest-list"),
            dcc.Store(id="plan-suggestions"),
            html.H4(tx["plan.history"]),
            html.Div(id="plan-history"),
            dcc.Store(id="plan-sel"),
            dcc.Store(id="plan-mode"),
            dcc.Store(id="plan-go"),
            dcc.Store(id="plan-drawn"),
            dcc.Store(id="plan-armed"),
            dcc.Store(id="plan-pending"),
            dcc.Store(id="plan-saved"),
        ],
        className="gd-plan-pane",
    )
    side = dcc.Tabs(
        id="plan-tabs",
        value="boundaries",
        children=[
            dcc.Tab(boundaries, label=tx["plan.tab.boundaries"], value="boundaries"),
            dcc.Tab(planning_coverage.panel(tx), label=tx["plan.tab.coverage"], value="coverage"),
        ],
    )
    return [
        html.Div(
            [the_map, html.Div(side, className="gd-side gd-plan-side"), legend_box],
            className="gd-main",
        )
    ]


def _drawn(drawn: Any, kind: str) -> dict[str, Any] | None:
    """The shape the planner last drew or edited, if it is of the kind the tool wants."""
    g = drawn.get("geometry") if isinstance(drawn, dict) else None
    want = ("LineString",) if kind == "split" else ("Polygon", "MultiPolygon")
    return dict(g) if isinstance(g, dict) and g.get("type") in want else None


def _read_upload(contents: Any, filename: Any, settings: Settings) -> list[dict[str, Any]]:
    """The uploaded grid file, read and checked by ``data.io.read_grids``."""
    from data.io import read_grids

    if not isinstance(contents, str) or "," not in contents:
        raise InvalidInput("The upload is empty.")
    name = str(filename or "grids.geojson")
    suffix = Path(name).suffix.lower()
    if suffix not in (".geojson", ".json", ".gpkg", ".zip"):
        raise InvalidInput("Upload a GeoJSON, GeoPackage or zipped Shapefile.")
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (ValueError, binascii.Error):
        raise InvalidInput("The upload is not readable.") from None
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("The file is larger than 20 MB.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("upload" + suffix)
        path.write_bytes(data)
        with state.db(settings, need="plan") as conn:
            return read_grids(path, conn=conn)


def _as_features(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        return v.item() if hasattr(v, "item") else v

    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(r["geom"]),
                "properties": {k: plain(v) for k, v in r.items() if k != "geom"},
            }
            for r in rows
        ],
    }


def _from_features(fc: Any) -> list[dict[str, Any]]:
    """Rows back from the preview the browser kept (checked again by the save)."""
    feats = fc.get("features") if isinstance(fc, dict) else None
    if not isinstance(feats, list) or len(feats) > 5_000:
        raise InvalidInput("The previewed boundary set is not valid: upload it again.")
    out = []
    for f in feats:
        try:
            props = dict(f["properties"])
            geom = shapely.geometry.shape(f["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InvalidInput(
                "The previewed boundary set is not valid: upload it again."
            ) from None
        out.append({k: props.get(k) for k in planning_import.IMPORT_FIELDS} | {"geom": geom})
    return out


def _problem_list(p: planning.Preview, tx: dict[str, str]) -> Any:
    """Every problem of a preview, in the page's language, or the all-clear."""
    if not p.problems:
        return message(tx["plan.checks_ok"])
    lang = i18n.current()
    return html.Ul([html.Li(i18n.problem_text(x, lang)) for x in p.problems],
                   className="gd-problems")  # fmt: skip


def _impact_table(p: planning.Preview, tx: dict[str, str]) -> Any:
    head = ["plan.col.grid", "plan.col.change", "plan.col.households", "plan.col.population",
            "plan.col.open", "plan.col.year", "plan.col.workload"]  # fmt: skip

    def arrow(a: float, b: float, fmt: str = "{:,.0f}") -> str:
        return fmt.format(a) + " → " + fmt.format(b)

    rows = []
    for r in p.impact:
        over = r.workload[1] > 1.0
        rows.append(
            html.Tr(
                [
                    html.Td(html.B(r.code[-6:]), title=f"{r.code} {p.names.get(r.code, '')}"),
                    html.Td(tx[f"plan.change.{r.change}"]),
                    html.Td(arrow(*r.households)),
                    html.Td(arrow(*r.population)),
                    html.Td(arrow(*r.open_incidents)),
                    html.Td(arrow(*r.last_year)),
                    html.Td(
                        arrow(*r.workload, "{:.2f}"),
                        className="gd-over" if over else "",
                        title=tx["plan.load_hint"],
                    ),  # fmt: skip
                ],
                className=f"gd-impact-{r.change}",
            )
        )
    return html.Table(
        [html.Thead(html.Tr([html.Th(tx[h]) for h in head])), html.Tbody(rows)],
        className="gd-table gd-impact",
        id="plan-impact-table",
    )


# ------------------------------------------------------------------ the callbacks' bodies
# Plain functions: what the browser sent in, what the page shows out. Errors are raised;
# ``guarded`` (in ``register``) shows them in the message output.


def _pick(feature: Any, mode: Any) -> tuple[Any, Any]:
    """A click on a grid: it is picked, or (merging) added to the grids to join."""
    try:
        code = str((feature or {})["properties"]["code"])
    except (KeyError, TypeError):
        return NO, NO
    kind = mode.get("kind") if isinstance(mode, dict) else None
    if kind in ("edit", "split", "new"):  # clicks while drawing reach the grids too
        return NO, NO
    if kind == "merge":
        codes = list(mode.get("codes") or [])
        if code not in codes:
            codes.append(code)
        return NO, {**mode, "codes": codes[:20]}
    return code, NO


def _tool(settings: Settings, which: str, sel: Any, mode: Any, lang: Any) -> tuple[Any, ...]:
    """A tool button (or a save, which ends the mode): the mode, the editor, the armed
    edit toolbar and the hint."""
    tx = i18n.t(lang)
    drawing = {"split": "polyline", "new": "polygon"}.get(
        mode.get("kind") if isinstance(mode, dict) else ""
    )
    if which in ("cancel", "plan-saved"):
        return None, _editor(cancel=drawing), None, NO
    if which == "new":
        return {"kind": "new"}, _editor(draw="polygon"), None, message(tx["plan.hint.new"])
    if not isinstance(sel, str) or not sel:
        return NO, NO, NO, message(tx["plan.pick_first"], ok=False)
    if which == "merge":
        return ({"kind": "merge", "codes": [sel]}, _editor(cancel=drawing), None,
                message(tx["plan.hint.merge"]))  # fmt: skip
    if which == "split":
        return ({"kind": "split", "code": sel}, _editor(draw="polyline"), None,
                message(tx["plan.hint.split"]))  # fmt: skip
    with state.db(settings, need="plan") as conn:
        shape = planning.grid_shape(conn=conn, code=sel)
    return ({"kind": "edit", "code": sel}, _editor(shape), time.monotonic_ns(),
            message(tx["plan.hint.edit"]))  # fmt: skip


def _mode_note(mode: Any, lang: str) -> Any:
    tx = i18n.t(lang)
    kind = mode.get("kind") if isinstance(mode, dict) else None
    if not isinstance(mode, dict) or f"plan.mode.{kind}" not in tx:
        return tx["plan.mode.none"]
    if kind == "merge":
        codes = mode.get("codes") if isinstance(mode.get("codes"), list) else []
        return tx["plan.mode.merge"].format(codes=", ".join(str(c) for c in codes))
    return tx[f"plan.mode.{kind}"].format(code=str(mode.get("code") or ""))


def _commit(n: Any, mode: Any) -> tuple[Any, Any]:
    """Preview: an edit in progress is saved into the control first (its GeoJSON then
    changes and the preview runs); a merge previews at once."""
    if isinstance(mode, dict) and mode.get("kind") == "edit":
        return {"mode": "edit", "action": "save", "n_clicks": n}, NO
    return NO, n


_BLANK = (plan_layers.EMPTY, plan_layers.EMPTY, None, None, None, True)  # no preview
_PREVIEW_FAILED = {0: plan_layers.EMPTY, 1: plan_layers.EMPTY, 3: None, 4: None, 5: True}


def _edit_data(trig: Any, restore: bool, drawn: Any, mode: Any, sel: Any) -> Any:
    """What to preview, as ``planning.edit_from_json`` takes it; ``_BLANK`` when nothing
    is (yet), NO when a restore button was only re-rendered."""
    if isinstance(trig, dict) and trig.get("type") == "plan-restore":
        if not restore or not sel:
            return NO
        return {"kind": "restore", "code": sel, "version": trig.get("v")}
    if isinstance(mode, dict) and mode.get("kind") in ("edit", "split", "new", "merge"):
        kind = mode["kind"]
        data = {"kind": kind, "code": mode.get("code"), "codes": mode.get("codes") or []}
        if kind != "merge":
            data["geometry"] = _drawn(drawn, kind)
            if data["geometry"] is None:
                return _BLANK
        return data
    return _BLANK


def _preview(
    settings: Settings, rules: Any, data: Any, follow: Any, name: Any, lang: str
) -> tuple[Any, ...]:
    """The proposal, its problems and its impact; the pending edit Save writes."""
    if data is NO:
        return (NO,) * 6
    if data is _BLANK:
        return _BLANK
    tx = i18n.t(lang)
    data["follow"] = isinstance(follow, list) and "follow" in follow
    with state.db(settings, need="plan") as conn:
        if data["kind"] == "new":
            edit = planning.edit_from_json(data)
            assert edit.geom is not None
            data["community"] = planning.community_at(conn=conn, geom=edit.geom)
            data["name"] = (name or "").strip() or tx["plan.new_default"]
        edit = planning.edit_from_json(data)
        p = planning.preview(conn=conn, edit=edit, rules=rules)
    pending = {"edit": planning.edit_to_json(edit), "base": p.base}
    return (
        plan_layers.proposal(p.proposal, p.before, p.names),
        plan_layers.problems(p.problems, lambda x: i18n.problem_text(x, i18n.current())),
        _problem_list(p, tx),
        _impact_table(p, tx),
        pending,
        not p.ok,
    )


def _upload(
    settings: Settings, rules: Any, contents: Any, filename: Any, lang: str,
    progress: Callable[[tuple[int, int]], None],
) -> tuple[Any, ...]:  # fmt: skip
    """A boundary set from a file: read and checked (nothing written), shown as a diff
    (a background job: ``progress`` moves its bar)."""
    tx = i18n.t(lang)
    progress((0, 2))
    rows = _read_upload(contents, filename, settings)
    progress((1, 2))  # read; now checked against the grids in force
    with state.db(settings, need="plan") as conn:
        d = planning_import.import_preview(conn=conn, grids=rows, rules=rules)
    p = d.preview
    diff = html.Div(
        [
            html.B(tx["plan.diff"]),
            html.Span(
                tx["plan.diff_counts"].format(
                    added=len(d.added), removed=len(d.removed), changed=len(d.changed),
                    unchanged=len(d.unchanged),
                )
            ),
        ],
        id="plan-diff-summary",
    )  # fmt: skip
    keep = set(d.unchanged)
    shown = dataclasses.replace(
        p,
        proposal=boundaries.Proposal(
            "import", {c: g for c, g in p.proposal.after.items() if c not in keep}
        ),
        impact=[r for r in p.impact if r.code not in keep],
    )
    pending = {"import": _as_features(rows), "base": p.base}
    return (
        plan_layers.proposal(shown.proposal, p.before, p.names),
        plan_layers.problems(p.problems, lambda x: i18n.problem_text(x, i18n.current())),
        _problem_list(p, tx),
        _impact_table(shown, tx),
        pending,
        not p.ok or not (d.added or d.removed or d.changed),
        diff,
    )


def _save(settings: Settings, rules: Any, pending: Any, reason: Any, lang: str) -> tuple[Any, ...]:
    """The previewed edit or import, written as new versions with the reason."""
    tx = i18n.t(lang)
    if not isinstance(pending, dict):
        return message(tx["plan.nothing"], ok=False), NO, NO, NO, NO, NO
    base = pending.get("base")
    if not isinstance(base, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in base.items()
    ):
        raise InvalidInput("The preview's versions are missing: preview again.")
    with state.db(settings, need="plan") as conn:
        if "import" in pending:
            saved = planning_import.save_import(
                conn=conn, grids=_from_features(pending["import"]),
                reason=str(reason or ""), base=base, rules=rules,
            )  # fmt: skip
        else:
            saved = planning.save(
                conn=conn, edit=planning.edit_from_json(pending.get("edit")),
                reason=str(reason or ""), base=base, rules=rules,
            )  # fmt: skip
    text = tx["plan.saved"].format(
        id=saved.change_id, codes=", ".join(saved.codes), rehomed=saved.rehomed
    )
    return message(text), saved.change_id, saved.change_id, None, True, plan_layers.EMPTY


def _history(settings: Settings, sel: Any, lang: str) -> Any:
    """The picked grid's versions (each but the current with Restore) and its community's
    last changes."""
    tx = i18n.t(lang)
    if not sel:
        return html.Div(tx["plan.history_hint"], className="gd-muted")
    with state.db(settings, need="plan") as conn:
        versions = planning_history.versions(conn=conn, code=str(sel))
        community = planning_history.community_of(conn=conn, code=str(sel), current=False)
        changes = (planning_history.history(conn=conn, community=community, limit=10)
                   if community else [])  # fmt: skip
    items = []
    for v in versions:
        when = clock.show(v.valid_from)
        current = v.valid_to is None
        items.append(
            html.Li(
                [
                    html.B(f"v{v.version}"),
                    f" {when} · {v.author or tx['plan.initial']} · {v.reason or ''}"
                    f" · {v.area_m2 / 10_000:,.2f} ha · {v.households:,} " + tx["plan.households"],
                    html.Span(tx["plan.current"], className="gd-muted")
                    if current
                    else html.Button(
                        tx["plan.restore"],
                        id={"type": "plan-restore", "v": v.version},
                        className="gd-btn gd-btn-small",
                    ),
                ],
                className="gd-version" + (" current" if current else ""),
            )
        )
    return [html.Ul(items, className="gd-history"), *_community_changes(tx, changes)]


def _community_changes(tx: dict[str, str], changes: list[Any]) -> list[Any]:
    items = [
        html.Li(
            f"#{c.id} {clock.show(c.at)} · {c.author} · "
            f"{tx['plan.kind.' + c.kind]} · {', '.join(x[-6:] for x in c.codes[:6])}"
            f"{' …' if len(c.codes) > 6 else ''} · {c.reason}",
            className="gd-version",
        )
        for c in changes
    ]
    return [
        html.H4(tx["plan.community_history"]),
        html.Ul(
            items or [html.Li(tx["plan.no_changes"])],
            className="gd-history",
            id="plan-community-history",
        ),  # fmt: skip
    ]


def _suggest(
    settings: Settings, rules: Any, sel: Any, lang: str, set_progress: Any
) -> tuple[Any, Any]:
    """Overloaded grids (in the picked grid's community, else the city) and a cut each (a
    background job: ``set_progress((done, total))`` moves its bar)."""
    tx = i18n.t(lang)
    with state.db(settings, need="plan") as conn:
        community = planning_history.community_of(conn=conn, code=str(sel)) if sel else None
        found = planning_suggest.suggestions(
            conn=conn, community=community, rules=rules,
            progress=lambda done, total: set_progress((done, max(total, 1))),
        )  # fmt: skip
    if not found:
        return message(tx["plan.suggest_none"]), None
    items = [
        html.Li(
            [
                html.B(x.code[-6:], title=x.code),
                f" {x.name} · {x.households:,} {tx['plan.households']} · "
                f"{x.last_year:,} {tx['plan.cases_year']} · ×{x.overload:.2f}",
                html.Button(
                    tx["plan.use"],
                    id={"type": "plan-use", "i": i},
                    className="gd-btn gd-btn-small",
                ),  # fmt: skip
            ]
        )
        for i, x in enumerate(found)
    ]
    data = [{"code": x.code, "geometry": shapely.geometry.mapping(x.line)} for x in found]
    return html.Ul(items, className="gd-history"), data


def _use_suggestion(trig: Any, pressed: bool, found: Any) -> tuple[Any, Any, Any]:
    """A suggestion's Use: its grid picked, in split mode, with its cut drawn."""
    if not pressed or not isinstance(trig, dict) or not isinstance(found, list):
        return NO, NO, NO
    i = trig.get("i")
    if not isinstance(i, int) or not 0 <= i < len(found):
        return NO, NO, NO
    code = str(found[i].get("code"))
    geometry = found[i].get("geometry")
    return code, {"kind": "split", "code": code}, {"geometry": geometry, "t": time.time()}


# ------------------------------------------------------------------------ the wiring


def register(app: dash.Dash, settings: Settings) -> None:
    rules = planning_rules(settings)
    _register_tools(app, settings)
    _register_preview(app, settings, rules)
    _register_save(app, settings, rules)
    planning_coverage.register(app, settings)


def _register_tools(app: dash.Dash, settings: Settings) -> None:
    """Picking a grid, the tool buttons, the mode's note and the preview button."""
    app.callback(
        Output("plan-sel", "data"),
        Output("plan-mode", "data", allow_duplicate=True),
        Input("layer-grids", "clickData"),
        State("plan-mode", "data"),
        prevent_initial_call=True,
    )(_pick)

    @app.callback(
        Output("plan-mode", "data", allow_duplicate=True),
        Output("plan-fg", "children"),
        Output("plan-armed", "data"),
        Output("plan-msg", "children", allow_duplicate=True),
        Input("plan-tool-edit", "n_clicks"),
        Input("plan-tool-split", "n_clicks"),
        Input("plan-tool-merge", "n_clicks"),
        Input("plan-tool-new", "n_clicks"),
        Input("plan-tool-cancel", "n_clicks"),
        Input("plan-saved", "data"),
        State("plan-sel", "data"),
        State("plan-mode", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=3)
    def tool(*args: Any) -> tuple[Any, ...]:
        which = str(ctx.triggered_id or "").removeprefix("plan-tool-")
        return _tool(settings, which, *args[-3:])

    # Edit mode is switched on once the polygon is on the map (the control edits the layers
    # its group holds at that moment).
    app.clientside_callback(
        "async function(armed) {"
        " if (!armed) { return window.dash_clientside.no_update; }"
        " await new Promise(function (r) { setTimeout(r, 200); });"
        " return {mode: 'edit', n_clicks: Date.now()}; }",
        Output("plan-edit", "editToolbar"),
        Input("plan-armed", "data"),
        prevent_initial_call=True,
    )
    app.callback(
        Output("plan-mode-note", "children"), Input("plan-mode", "data"), State("lang", "data")
    )(_mode_note)
    app.callback(
        Output("plan-edit", "editToolbar", allow_duplicate=True),
        Output("plan-go", "data"),
        Input("plan-preview-btn", "n_clicks"),
        State("plan-mode", "data"),
        prevent_initial_call=True,
    )(_commit)


def _register_preview(app: dash.Dash, settings: Settings, rules: Any) -> None:
    """The preview of an edit, and of an uploaded boundary set."""

    @app.callback(
        Output("plan-preview", "data"),
        Output("plan-problems", "data"),
        Output("plan-problems-list", "children"),
        Output("plan-impact", "children"),
        Output("plan-pending", "data"),
        Output("plan-save", "disabled"),
        Input("plan-drawn", "data"),
        Input("plan-go", "data"),
        Input("plan-follow", "value"),
        Input({"type": "plan-restore", "v": ALL}, "n_clicks"),
        State("plan-mode", "data"),
        State("plan-sel", "data"),
        State("plan-new-name", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=2, fill=_PREVIEW_FAILED)
    def preview(
        drawn: Any, _go: Any, follow: Any, _r: Any, mode: Any, sel: Any, name: Any, lang: str
    ) -> tuple[Any, ...]:
        data = _edit_data(ctx.triggered_id, clicked(None), drawn, mode, sel)
        return _preview(settings, rules, data, follow, name, lang)

    @app.callback(
        Output("plan-preview", "data", allow_duplicate=True),
        Output("plan-problems", "data", allow_duplicate=True),
        Output("plan-problems-list", "children", allow_duplicate=True),
        Output("plan-impact", "children", allow_duplicate=True),
        Output("plan-pending", "data", allow_duplicate=True),
        Output("plan-save", "disabled", allow_duplicate=True),
        Output("plan-diff", "children"),
        Input("plan-upload", "contents"),
        State("plan-upload", "filename"),
        State("lang", "data"),
        prevent_initial_call=True,
        on_error=backjobs.on_error(at=2, fill={**_PREVIEW_FAILED, 6: None}),
        **backjobs.options("plan-import"),
    )
    @backjobs.job(at=2, fill={**_PREVIEW_FAILED, 6: None})
    def upload(set_progress: Any, contents: Any, filename: Any, lang: str) -> tuple[Any, ...]:
        return _upload(settings, rules, contents, filename, lang, set_progress)

    backjobs.register_cancel_note(
        app, "plan-import", settings.tz, clear_on=Input("plan-upload", "contents")
    )


def _register_save(app: dash.Dash, settings: Settings, rules: Any) -> None:
    """Save, the version history and the workload suggestions."""

    @app.callback(
        Output("plan-msg", "children"),
        Output("plan-saved", "data"),
        Output("layers-rev", "data"),
        Output("plan-pending", "data", allow_duplicate=True),
        Output("plan-save", "disabled", allow_duplicate=True),
        Output("plan-preview", "data", allow_duplicate=True),
        Input("plan-save", "n_clicks"),
        State("plan-pending", "data"),
        State("plan-reason", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded(at=0)
    def save(_n: Any, pending: Any, reason: Any, lang: str) -> tuple[Any, ...]:
        return _save(settings, rules, pending, reason, lang)

    @app.callback(
        Output("plan-history", "children"),
        Input("plan-sel", "data"),
        Input("plan-saved", "data"),
        State("lang", "data"),
    )
    @guarded()
    def history(sel: Any, _saved: Any, lang: str) -> Any:
        return _history(settings, sel, lang)

    @app.callback(
        Output("plan-suggest-list", "children"),
        Output("plan-suggestions", "data"),
        Input("plan-suggest-btn", "n_clicks"),
        State("plan-sel", "data"),
        State("lang", "data"),
        prevent_initial_call=True,
        on_error=backjobs.on_error(at=0, fill={1: None}),
        **backjobs.options("plan-suggest", "plan-suggest-btn"),
    )
    @backjobs.job(at=0, fill={1: None})
    def suggest(set_progress: Any, _n: Any, sel: Any, lang: str) -> tuple[Any, Any]:
        return _suggest(settings, rules, sel, lang, set_progress)

    backjobs.register_cancel_note(app, "plan-suggest", settings.tz, "plan-suggest-btn")

    @app.callback(
        Output("plan-sel", "data", allow_duplicate=True),
        Output("plan-mode", "data", allow_duplicate=True),
        Output("plan-drawn", "data"),
        Input({"type": "plan-use", "i": ALL}, "n_clicks"),
        State("plan-suggestions", "data"),
        prevent_initial_call=True,
    )
    def use_suggestion(_n: Any, found: Any) -> tuple[Any, Any, Any]:
        return _use_suggestion(ctx.triggered_id, clicked(None), found)
