"""The dispatch desk (调度): layout and the pieces its callbacks render.

Left the queue, centre the map, right the intake form or the selected case with its
recommended units. Every user text goes into Dash components as text, never as HTML.
Countdowns tick in the browser (``griddispatch.js`` reads ``data-due``); keys N, 1-5, D, E,
R and Esc are handled there too and click the controls named here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import dash_leaflet as dl
from dash import dcc, html

from console.pages import clock as zone_clock
from geo import incidents, photos, units
from geo.casefile import CaseFile, IntakePreview
from geo.categories import Category
from geo.places import Area
from geo.plans import Filled
from geo.routing import NearestResult
from layers import routes
from layers.styles import PRIORITY_COLOURS, UNIT_TYPE_COLOURS

QUEUE_PAGE = 60  # cards per page; the header says how many more there are
DEADLINES = tuple(due for due, _ in incidents.CLOCKS)
DONE_AT = dict(incidents.CLOCKS)  # the step that stops each clock
REC_TYPES = (
    "patrol_car",
    "foot_patrol",
    "grid_worker",
    "fire_engine",
    "ambulance",
    "department_crew",
    "volunteer_team",
)


def iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat()


def clock(seconds: float) -> str:
    """``m:ss``, ``h:mm:ss`` or (two days and more) ``Nd Nh`` of a duration; negative
    durations get a ``+`` (overdue by). ``griddispatch.js`` ticks with the same format."""
    sign = "+" if seconds < 0 else ""
    s = int(abs(seconds))
    if s >= 48 * 3600:
        return f"{sign}{s // 86400}d {s % 86400 // 3600}h"
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def countdown(due: dt.datetime | None, now: dt.datetime, cls: str = "") -> html.Span:
    """A live countdown to ``due`` (the browser updates it every second)."""
    if due is None:
        return html.Span("–", className="gd-countdown")
    left = (due - now).total_seconds()
    return html.Span(
        clock(left),
        className=f"gd-countdown {'late' if left < 0 else ''} {cls}".strip(),
        **{"data-due": iso(due)},
    )


def who(actor: str | None) -> str | None:
    """A person as the desk names them: ``user:op1`` is op1."""
    return None if actor is None else actor.split(":", 1)[-1]


def age(seconds: float, tx: dict[str, str]) -> str:
    """How long ago, as a person says it: "刚刚", "3 分钟前", "2 小时前", "4 天前"."""
    s = max(0, int(seconds))
    if s < 60:
        return tx["age.now"]
    if s < 3600:
        return tx["age.min"].format(n=s // 60)
    if s < 86400:
        return tx["age.hour"].format(n=s // 3600)
    return tx["age.day"].format(n=s // 86400)


def local(t: dt.datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    """Time in the display zone (``GD_TZ``)."""
    return zone_clock.show(t, fmt)


def _options(tx: dict[str, str], prefix: str, values: Sequence[str]) -> list[dict[str, str]]:
    return [{"label": tx[f"{prefix}.{v}"], "value": v} for v in values]


def category_options(cats: Sequence[Category], lang: str) -> list[dict[str, str]]:
    return [{"label": c.name_en if lang == "en" else c.name_zh, "value": c.code} for c in cats]


# ------------------------------------------------------------------------------ layout
def layout(
    tx: dict[str, str],
    lang: str,
    cats: Sequence[Category],
    areas: Sequence[Area],
    map_view: Any,
    selected: int | None = None,
) -> list[Any]:
    """The desk's children below the top bar (``map_view`` is the shared map; ``selected``:
    the case named by ``?case=N``): left the queue, centre the map, right the place search,
    the message strip and the intake form or the selected case."""
    side = html.Div(
        [
            dcc.Input(
                id="place-search",
                type="text",
                placeholder=tx["search.placeholder"],
                debounce=True,
                maxLength=100,
                className="gd-search",
            ),
            html.Div(id="place-hits"),
            html.Div(id="desk-msg", className="gd-msg", role="status"),
            _intake_form(tx, lang, cats),
            _case_panel(tx),
            html.Div(tx["keys.help"], className="gd-muted gd-keys"),
        ],
        className="gd-desk-side",
        id="desk-side",
    )
    return [
        *_stores(selected),
        _hidden(),
        html.Div(
            [_queue_panel(tx, lang, cats, areas), html.Div(map_view, className="gd-desk-map"),
             side],
            className="gd-desk",
        ),  # fmt: skip
    ]


def _queue_panel(
    tx: dict[str, str], lang: str, cats: Sequence[Category], areas: Sequence[Area]
) -> html.Div:
    """The queue: its counts, case search, filters, the cards (drawn by griddispatch.js) and
    the unit status board."""
    return html.Div(
        [
            html.Div(
                [
                    html.B(tx["queue.title"]),
                    html.Button("♪", id="queue-mute", title=tx["queue.mute"],
                                className="gd-btn small gd-mute"),  # fmt: skip
                ],
                className="gd-row-between",
            ),
            html.Div(id="queue-count", className="gd-muted gd-qcounts"),
            dcc.Input(id="case-search", type="search", placeholder=tx["search.case"],
                      debounce=True, maxLength=100, className="gd-search"),  # fmt: skip
            html.Div(id="case-hits"),
            *_queue_filters(tx, lang, cats, areas),
            # Drawn by griddispatch.js from queue-data (no Dash children: see
            # queuecards.queue_rows), and a new case's card from the live push before that
            # (``data-live``: its words).
            html.Div(id="queue-list", className="gd-queue-list",
                     **{"data-empty": tx["queue.empty"], "data-live": _live_card_words(tx, lang)}),
            html.Div(
                [html.Span(id="queue-hidden", className="gd-muted"),
                 html.Button(id="queue-more", className="gd-btn small", n_clicks=0,
                             style={"display": "none"})],  # fmt: skip
                className="gd-row-between",
            ),
            html.Details([html.Summary(tx["board.title"]), html.Div(id="unit-board")],
                         open=True, className="gd-board-box"),  # fmt: skip
        ],
        className="gd-queue",
        id="queue-panel",
    )


def _live_card_words(tx: dict[str, str], lang: str) -> str:
    """What ``griddispatch.js`` needs to draw a new case's queue card from a live incident
    feature as ``queuecards.queue_rows`` would: colours, the status and stage words, the
    language."""
    return json.dumps({"lang": lang, "colours": PRIORITY_COLOURS,
                       "status": tx["status.reported"],
                       "stage": {s: tx[f"stage.{s}"] for s in ("respond", "close")}},
                      ensure_ascii=False)  # fmt: skip


def _queue_filters(
    tx: dict[str, str], lang: str, cats: Sequence[Category], areas: Sequence[Area]
) -> list[Any]:
    return [
        dcc.Dropdown(
            id="queue-filter-status",
            options=_options(tx, "status", incidents.STATUSES[:-1]),
            multi=True,
            placeholder=tx["filter.status"],
        ),
        dcc.Dropdown(
            id="queue-filter-priority",
            options=_options(tx, "priority", incidents.PRIORITIES),
            multi=True,
            placeholder=tx["filter.priority"],
        ),
        dcc.Dropdown(
            id="queue-filter-category",
            options=category_options(cats, lang),
            multi=True,
            placeholder=tx["filter.category"],
        ),
        dcc.Dropdown(
            id="queue-filter-area",
            options=[
                {"label": ("· " if a.level == "street" else "") + a.name, "value": a.path}
                for a in areas
            ],
            placeholder=tx["filter.area"],
        ),
        dcc.Checklist(id="queue-show-overdue", options=[{"label": tx["queue.show_overdue"],
                      "value": "overdue"}], value=[], className="gd-chips"),  # fmt: skip
    ]


def _intake_form(tx: dict[str, str], lang: str, cats: Sequence[Category]) -> html.Div:
    """The intake form, shown while a point is picked (the grid choice only near a boundary)."""
    return html.Div(
        [
            html.H3(tx["intake.title"]),
            html.Div(id="intake-where", className="gd-muted"),
            html.Div(
                [
                    html.Div(tx["intake.grid_pick"], className="gd-warn"),
                    dcc.RadioItems(id="intake-grid", className="gd-radio-col"),
                ],
                id="intake-grid-box",
                style={"display": "none"},
            ),
            *_intake_fields(tx, lang, cats),
            html.Div(
                [
                    dcc.Input(id="intake-name", placeholder=tx["intake.reporter"], maxLength=100),
                    dcc.Input(id="intake-phone", placeholder=tx["intake.phone"], maxLength=40),
                ],
                className="gd-row",
            ),
            dcc.Textarea(
                id="intake-desc",
                placeholder=tx["intake.description"],
                maxLength=4000,
                className="gd-textarea",
            ),
            html.Div(id="intake-dups"),
            html.Div(
                [
                    html.Button(
                        tx["intake.create"], id="intake-create", className="gd-btn primary"
                    ),
                    html.Button(tx["intake.cancel"], id="intake-cancel", className="gd-btn"),
                ],
                className="gd-row",
            ),
        ],
        id="intake",
        className="gd-panel",
        style={"display": "none"},
    )


def _intake_fields(tx: dict[str, str], lang: str, cats: Sequence[Category]) -> list[Any]:
    """Category, class, priority and source."""
    priorities = [
        {"label": html.Span(tx[f"priority.{p}"], className=f"gd-prio gd-prio-{p}"), "value": p}
        for p in incidents.PRIORITIES
    ]
    return [
        _field(
            tx["intake.category"],
            dcc.Dropdown(
                id="intake-category", options=category_options(cats, lang), clearable=False
            ),
        ),
        _field(
            tx["intake.class"],
            dcc.RadioItems(
                id="intake-class",
                options=_options(tx, "class", incidents.CLASSES),
                inline=True,
            ),
        ),
        _field(
            tx["intake.priority"],
            dcc.RadioItems(id="intake-priority", options=priorities, value="blue", inline=True),
        ),
        _field(
            tx["intake.source"],
            dcc.Dropdown(
                id="intake-source",
                options=_options(tx, "source", incidents.SOURCES),
                value="hotline_12345",
                clearable=False,
            ),
        ),
    ]


def _case_panel(tx: dict[str, str]) -> html.Div:
    """The selected case: its card (``case-body``), its response plan and the other units."""
    return html.Div(
        [
            html.Div(tx["case.hint"], id="case-body"),
            html.Div(
                [
                    html.Div(tx["case.plan"], className="gd-section"),
                    html.Div(id="case-plan"),
                    html.Button(tx["case.plan_send"], id="case-dispatch-plan",
                                className="gd-btn primary gd-plan-send"),  # fmt: skip
                    html.Div(tx["case.others"], className="gd-section"),
                    dcc.Checklist(
                        id="case-types",
                        options=_options(tx, "unit_type", REC_TYPES),
                        value=[],
                        inline=True,
                        className="gd-chips",
                    ),
                    html.Div(id="case-recs"),
                    html.Button(
                        tx["case.dispatch_checked"],
                        id="case-dispatch-checked",
                        className="gd-btn primary",
                    ),
                ],
                id="case-rec-box",
                style={"display": "none"},
            ),
        ],
        id="case",
        className="gd-panel",
    )


def _hidden() -> html.Div:
    """Controls the keys click (N, Esc) and outputs nobody sees."""
    return html.Div(
        [
            html.Button(id="key-new"),
            html.Button(id="key-clear"),
            html.Div(id="grid-card"),  # the shell's grid card callback writes here
            html.Div(id="case-url"),  # the clientside ?case=N writer's (unused) output
        ],
        style={"display": "none"},
    )


def _stores(selected: int | None) -> list[Any]:
    """The desk's state in the browser."""
    return [
        dcc.Store(id="desk-sel", data=selected),
        dcc.Store(id="desk-pick"),
        dcc.Store(id="desk-rev", data=0),
        dcc.Store(id="desk-etas"),
        dcc.Store(id="case-seen"),  # the case and version (changed_at) the card shows
        dcc.Store(id="case-live"),  # bumped when someone else changed the selected case
        dcc.Store(id="place-hits-data"),
        dcc.Store(id="queue-sig"),
        dcc.Store(id="queue-data"),
        dcc.Store(id="queue-page", data=1),  # pages of QUEUE_PAGE cards shown
        dcc.Store(id="queue-bands"),  # band titles with their counts
        dcc.Store(id="case-plan-ids"),  # the plan's units as the card shows them
        dcc.Store(id="case-drafts", data={}),  # typed notes by case, kept across redraws
        dcc.Interval(id="queue-tick", interval=5_000),
    ]


def _field(label: str, control: Any) -> html.Div:
    return html.Div([html.Label(label, className="gd-label"), control], className="gd-field")


def overlays() -> list[Any]:
    """Map layers of the desk: routes of the recommended units and the picked point."""
    return [
        dl.GeoJSON(
            id="layer-routes",
            data=routes.EMPTY,
            style={"variable": "griddispatch.routeStyle"},
            pointToLayer={"variable": "griddispatch.routePoint"},
            interactive=False,
        ),
        dl.GeoJSON(
            id="layer-pick",
            data=routes.EMPTY,
            pointToLayer={"variable": "griddispatch.routePoint"},
            interactive=False,
        ),
    ]


# -------------------------------------------------------------------------------- intake
def intake_parts(
    p: IntakePreview, tx: dict[str, str], now: dt.datetime
) -> tuple[str, list[dict[str, str]], str | None, bool, list[Any]]:
    """(where, grid options, grid value, show the grid choice, duplicate rows)."""
    where = f"{tx['intake.where']}: {p.lon:.6f}, {p.lat:.6f}"
    inside = [g for g in p.grids if g["distance_m"] == 0]
    first = (inside or p.grids)[0] if p.grids else None
    if first is not None:
        where += f" · {tx['intake.grid']} {first['name']} ({first['code']})"
    options = [
        {"label": f"{g['name']} ({g['code']}) {g['distance_m']:.0f} m", "value": g["code"]}
        for g in p.grids
    ]
    dups: list[Any] = []
    if p.duplicates:
        dups.append(html.Div(tx["intake.duplicates"], className="gd-warn"))
        for d in p.duplicates:
            text = tx["intake.dup_row"].format(
                number=d["number"],
                status=tx[f"status.{d['status']}"],
                m=f"{d['distance_m']:.0f}",
                min=f"{(now - d['reported_at']).total_seconds() / 60:.0f}",
            )
            dups.append(
                html.Div(
                    [
                        html.Span(text),
                        html.Button(
                            tx["intake.link"],
                            id={"type": "dup-link", "id": d["id"]},
                            className="gd-btn small",
                            n_clicks=0,
                        ),
                    ],
                    className="gd-row-between gd-dup",
                )
            )
    return where, options, first["code"] if first else None, len(p.grids) > 1, dups


# ---------------------------------------------------------------------------------- case
def case_body(
    cf: CaseFile, tx: dict[str, str], lang: str, drafts: dict[str, str] | None = None
) -> html.Div:
    """The selected case: facts, deadlines, units sent with their status buttons, actions."""
    i = cf.incident
    now = cf.now
    level = i["escalation_level"] or "grid"
    facts = [
        (tx["case.reported"], f"{local(i['reported_at'])} · {tx['source.' + i['source']]}"),
        (tx["case.grid"], i["grid_code"] or "–"),
        (tx["case.status"], tx[f"status.{i['status']}"]),
        (tx["case.level"], tx[f"level.{level}"]),
        (
            tx["case.reporter"],
            " ".join(x for x in (i["reporter_name"], i["reporter_phone"]) if x) or "–",
        ),
        (tx["case.description"], i["description"] or "–"),
    ]
    if cf.linked_reports:
        facts.append((tx["case.linked"], str(cf.linked_reports)))
    if i["mediation_failures"]:
        facts.append((tx["case.mediation"], str(i["mediation_failures"])))
    facts.insert(3, (tx["case.claimed_by"], who(i["claimed_by"]) or tx["case.unclaimed"]))
    if i["field_report"]:
        facts.append((tx["case.field_report"],
                      f"{local(i['field_report_at'], '%H:%M')} {i['field_report']}"))  # fmt: skip
    if i["resolution_note"] and i["resolution_note"] != i["field_report"]:
        facts.append((tx["case.note"], i["resolution_note"]))
    sla = []
    working = (incidents.current_deadline(dict(i)) or (None,))[0]
    for name in DEADLINES:
        due = i.get(name)
        if due is None:
            continue
        done = i.get(DONE_AT[name])
        value: Any = (
            html.Span(
                f"{tx['sla.done']} {local(done, '%H:%M:%S')}",
                className="gd-done late" if done > due else "gd-done",
            )
            if done is not None
            else countdown(due, now)
        )
        sla.append(
            html.Tr(
                [html.Td(tx[f"sla.{name}"]), html.Td(local(due, "%m-%d %H:%M")), html.Td(value)],
                className="gd-sla-now" if name == working else None,
                **{"data-clock": name.removesuffix("_due")},
            )
        )
    title = html.Div(
        [
            html.Span(className="gd-pill", style={"background": PRIORITY_COLOURS[i["priority"]]}),
            html.B(cf.category_en if lang == "en" else cf.category_zh),
            html.Span(" " + tx[f"class.{i['class']}"], className="gd-muted"),
            html.Span(tx["case.overdue"], className="gd-badge late") if cf.overdue else None,
            html.Span(tx["case.flagged"].format(reason=tx[f"stage.{i['flag_reason']}"]),
                      className="gd-badge flag") if i["flagged_at"] else None,  # fmt: skip
        ],
        className="gd-case-title",
    )
    return html.Div(
        [
            title,
            html.Div(i["number"], className="gd-muted", id="case-number"),
            html.Table(
                html.Tbody([html.Tr([html.Td(k), html.Td(v)]) for k, v in facts]),
                className="gd-facts",
            ),
            html.Div(tx["case.sla"], className="gd-section"),
            html.Table(html.Tbody(sla), className="gd-sla"),
            html.Div(tx["case.assigned"], className="gd-section"),
            assigned(cf.assignments, tx),
            actions(cf, tx, drafts or {}),
            photos_strip(cf.photo_ids, tx),
            history(cf.events, tx),
        ],
        className="gd-case",
        **{"data-status": i["status"], "data-id": str(i["id"])},
    )


# Buttons each unit status offers in the "units sent" list.
UNIT_NEXT = {
    "dispatched": ("en_route", "on_scene", "available"),
    "en_route": ("on_scene", "available"),
    "on_scene": ("returning", "available"),
    "returning": ("available",),
}


def assigned(rows: Sequence[units.Assignment], tx: dict[str, str]) -> html.Div:
    if not rows:
        return html.Div(tx["case.none_assigned"], className="gd-muted")
    items = []
    for a in rows:
        open_ = a.released_at is None
        buttons = [
            html.Button(
                tx["ustat.cancel"]
                if to == "available" and a.status in ("dispatched", "en_route")
                else tx[f"ustat.{to}"],
                id={"type": "unit-act", "unit": a.unit_id, "to": to},
                className=f"gd-btn small gd-ustat-{to}",
                n_clicks=0,
            )
            for to in (UNIT_NEXT.get(a.status, ()) if open_ else ())
        ]
        status = tx[f"unit_status.{a.status}"] if open_ else tx["case.released"]
        items.append(
            html.Div(
                [
                    html.Span(
                        className="gd-pill",
                        style={"background": UNIT_TYPE_COLOURS.get(a.type, "#555")},
                    ),
                    html.B(a.call_sign),
                    html.Span(f" {tx['unit_type.' + a.type]} · {status}", className="gd-muted"),
                    html.Span(buttons, className="gd-unit-buttons"),
                ],
                className="gd-assigned" + ("" if open_ else " released"),
                **{"data-unit": str(a.unit_id), "data-status": a.status if open_ else "released"},
            )
        )
    return html.Div(items, id="case-assigned")


def actions(cf: CaseFile, tx: dict[str, str], drafts: dict[str, str]) -> html.Div:
    """Case actions fitting its status (pattern ids ``{"type": "inc-act", "act": ...}``).
    Text fields show what was typed (``drafts``), so a redraw (a photo uploaded, someone
    else's change) never loses it."""
    status = cf.incident["status"]
    report_text = drafts.get("report", cf.incident["field_report"] or "")

    def button(act: str, label: str, cls: str = "") -> html.Button:
        return html.Button(
            label,
            id={"type": "inc-act", "act": act},
            className=f"gd-btn gd-act-{act} {cls}",
            n_clicks=0,
        )

    children: list[Any] = []
    if status == "reported" and cf.incident["claimed_by"] is None:
        children.append(button("claim", tx["act.claim"], "primary"))
    elif status == "reported":
        children.append(button("unclaim", tx["act.unclaim"]))
    if status in ("on_scene", "resolved"):
        children += [
            dcc.Textarea(id={"type": "case-report", "id": 0}, value=report_text,
                         placeholder=tx["case.report_hint"], maxLength=4000,
                         className="gd-textarea gd-report"),  # fmt: skip
            button("report", tx["act.report"], "small"),
        ]
    if status == "on_scene":
        children += [
            dcc.Textarea(
                id={"type": "case-note", "id": 0},
                value=drafts.get("note", ""),
                placeholder=tx["case.note"],
                maxLength=4000,
                className="gd-textarea gd-note",
            ),
            button("resolve", tx["act.resolve"], "primary"),
        ]
    if status == "resolved":
        children.append(button("close", tx["act.close"], "primary"))
    if status != "closed":
        if (cf.incident["escalation_level"] or "grid") != "district":
            children.append(button("escalate", tx["act.escalate"]))
        if cf.dispute:
            children.append(button("mediation", tx["act.mediation"]))
        children.append(
            dcc.Upload(
                html.Span(tx["case.photo"]),
                id={"type": "case-photo", "id": 0},
                accept="image/jpeg,image/png,image/webp",
                className="gd-upload",
                multiple=False,
            )
        )
    if status == "closed" and cf.incident["satisfaction"] is None:
        children.append(html.Div(tx["case.feedback"], className="gd-section"))
        children += [button(f"fb{n}", str(n), "small") for n in range(1, 6)]
    return html.Div(children, className="gd-actions")


def photos_strip(ids: Sequence[int], tx: dict[str, str]) -> html.Div | None:
    if not ids:
        return None
    return html.Div(
        [html.Div(tx["case.photos"], className="gd-section")]
        + [
            html.A(
                html.Img(src=photos.ref(p), className="gd-thumb"),
                href=photos.ref(p),
                target="_blank",
            )
            for p in ids[-6:]
        ]
    )


def history(events: Sequence[dict[str, Any]], tx: dict[str, str]) -> html.Details:
    rows = []
    for e in events:
        after = e.get("after") or {}
        what = e["action"]
        if isinstance(after, dict):
            detail = after.get("status") or after.get("level") or ""
            what += f" {detail}" if detail else ""
        rows.append(html.Li(f"{local(e['at'], '%H:%M:%S')} {e['actor']} · {what}"))
    return html.Details([html.Summary(tx["case.events"]), html.Ul(rows)], className="gd-history")


def recommendations(res: NearestResult, tx: dict[str, str]) -> list[Any]:
    """One row per recommended unit: check box (keys 1-5), ETA, distance, status, fix age,
    and its own dispatch button."""
    if not res.recommendations:
        return [html.Div(tx["case.no_recs"].format(reason=res.reason or "–"), className="gd-warn")]
    rows: list[Any] = []
    for rank, r in enumerate(res.recommendations, start=1):
        colour = routes.RANK_COLOURS[(rank - 1) % len(routes.RANK_COLOURS)]
        badges = []
        if r.own_grid_worker:
            badges.append(html.Span(tx["case.own_worker"], className="gd-badge"))
        if r.stale:
            badges.append(html.Span(tx["case.stale"], className="gd-badge late"))
        rows.append(
            html.Div(
                [
                    dcc.Checklist(
                        id={"type": "rec-check", "unit": r.unit_id},
                        options=[{"label": "", "value": r.unit_id}],
                        value=[],
                        className="gd-rec-check",
                    ),
                    html.Span(str(rank), className="gd-rank", style={"background": colour}),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.B(r.call_sign),
                                    html.Span(
                                        f" {tx['unit_type.' + r.type]}", className="gd-muted"
                                    ),
                                    *badges,
                                ]
                            ),
                            html.Div(
                                f"{tx['case.eta']} {clock(r.eta_s)} · "
                                f"{r.network_m / 1000:.1f} km ({r.straight_m / 1000:.1f} km) · "
                                f"{tx['unit_status.' + r.status]} · "
                                f"{tx['case.age']} {age(r.position_age_s, tx)}",
                                className="gd-muted",
                            ),
                        ],
                        className="gd-rec-info",
                    ),
                    html.Button(
                        tx["case.dispatch"],
                        id={"type": "rec-dispatch", "unit": r.unit_id},
                        className="gd-btn small primary",
                        n_clicks=0,
                    ),
                ],
                className="gd-rec",
                **{"data-unit": str(r.unit_id), "data-rank": str(rank)},
            )
        )
    if res.reason:
        rows.append(html.Div(res.reason, className="gd-muted"))
    return rows


def plan_box(filled: Filled, tx: dict[str, str]) -> list[Any]:
    """The case's response plan filled: per need its units (ETA, own grid worker), what is
    missing, and the plan's ETA (its slowest unit)."""
    if not filled.needs:
        done = tx["case.plan_sent"] if filled.planned else tx["case.plan_none"]
        return [html.Div(done, className="gd-muted")]
    rows: list[Any] = []
    for need in filled.needs:
        picks = filled.picks.get(need.unit_type, [])
        name = tx[f"unit_type.{need.unit_type}"]
        units_ = [
            html.Span(
                [html.B(r.call_sign), f" {clock(r.eta_s)}",
                 html.Span(tx["case.own_worker"], className="gd-badge") if r.own_grid_worker
                 else None],
                className="gd-plan-unit", **{"data-unit": str(r.unit_id)},
            )
            for r in picks
        ]  # fmt: skip
        missing = filled.unmet.get(need.unit_type)
        if missing:
            units_.append(html.Span(tx["case.plan_unmet"].format(n=missing, type=name),
                                    className="gd-badge late"))  # fmt: skip
        rows.append(html.Div(
            [html.Span(f"{name} ×{need.count}", className="gd-plan-need"), *units_],
            className="gd-plan-row" + (" unmet" if missing else ""),
            **{"data-type": need.unit_type},
        ))  # fmt: skip
    if filled.eta_s is not None:
        rows.append(html.Div(tx["case.plan_eta"].format(eta=clock(filled.eta_s)),
                             className="gd-plan-eta"))  # fmt: skip
    return rows
