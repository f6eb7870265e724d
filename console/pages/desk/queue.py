"""The desk's queue of open cases, patched card by card, with the unit status board; finding
any case by number, phone, grid or address.

The callbacks' bodies are plain functions (what the browser sent in, what the desk shows out);
errors are raised and ``guarded`` (in ``register``) shows them in the message output.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx

from console import i18n
from console.pages.actions import an_id, clicked, guarded, strings, text
from console.pages.desk import queuecards as cards
from console.pages.desk import render as desk
from console.pages.desk.common import NO
from console.server import state
from console.settings import Settings
from geo import access, caselists, units
from geo.errors import InvalidInput


# ------------------------------------------------------------------ the callbacks' bodies
def _queue(
    settings: Settings, st: Any, pr: Any, ca: Any, area: Any, overdue: Any, page: Any,
    sel: Any, sig: Any, lang: str,
) -> tuple[Any, ...]:  # fmt: skip
    """The queue in bands (new, quick under way, other, and the overdue on demand), a page
    at a time with how many are not shown; unchanged cards are not sent again (the
    browser ticks the clocks). The unit status board comes along."""
    tx = i18n.t(lang)
    pages = page if isinstance(page, int) and 0 < page <= 20 else 1
    bands = caselists.BANDS if overdue == ["overdue"] else caselists.BANDS[:-1]
    with state.db(settings, need="watch") as conn:
        q = caselists.queue(
            conn=conn,
            statuses=strings(st),
            priorities=strings(pr),
            categories=strings(ca),
            path=area if isinstance(area, str) and area else None,
            bands=bands,
            limit=desk.QUEUE_PAGE * pages,
        )
        board = cards.unit_board(units.board(conn=conn), tx)
    rows = q.rows
    hidden = sum(q.counts[b] for b in bands) - len(rows)
    more = (tx["queue.more"].format(n=min(hidden, desk.QUEUE_PAGE)),
            {"display": "inline-block" if hidden > 0 else "none"})  # fmt: skip
    note = tx["queue.hidden"].format(n=hidden) if hidden > 0 else ""
    tail = (cards.queue_header(q.counts, tx), note, *more, board)
    counts = tx["queue.counts"].format(**q.counts)
    keys = cards.queue_keys(rows, sel, lang)
    if keys == sig:
        return NO, counts, NO, *tail
    patch = cards.queue_patch(
        sig if isinstance(sig, list) else [],
        keys,
        lambda j: cards.queue_rows([rows[j]], tx, lang, sel, [keys[j]])[0],
    )
    if patch is None:
        return cards.queue_rows(rows, tx, lang, sel, keys), counts, keys, *tail
    return patch, counts, keys, *tail


def _find(settings: Settings, value: Any, lang: str) -> Any:
    """Any case, closed ones too, by number, reporter phone (masked unless the role may
    see it), grid code or address."""
    tx = i18n.t(lang)
    q = text(value)
    if not q:
        return None
    with state.db(settings, need="watch") as conn:
        rows = caselists.search(conn=conn, text=q)
    if not state.principal().may("see_phone"):
        rows = [{**r, "reporter_phone": access.mask_phone(r["reporter_phone"])} for r in rows]
    return cards.case_hits(rows, tx, lang)


def _pick_case(trig: Any) -> tuple[Any, Any]:
    """A search hit clicked (``trig``: its button's id) is selected."""
    try:
        return an_id(trig["id"]), None
    except (KeyError, TypeError, InvalidInput):
        return NO, NO


# ------------------------------------------------------------------------ the wiring
def register(app: dash.Dash, settings: Settings) -> None:
    """The queue and its pages; the case search."""

    @app.callback(
        Output("queue-data", "data"),
        Output("queue-count", "children"),
        Output("queue-sig", "data"),
        Output("queue-bands", "data"),
        Output("queue-hidden", "children"),
        Output("queue-more", "children"),
        Output("queue-more", "style"),
        Output("unit-board", "children"),
        Input("desk-rev", "data"),
        Input("queue-tick", "n_intervals"),
        Input("live-cases", "data"),
        Input("queue-filter-status", "value"),
        Input("queue-filter-priority", "value"),
        Input("queue-filter-category", "value"),
        Input("queue-filter-area", "value"),
        Input("queue-show-overdue", "value"),
        Input("queue-page", "data"),
        Input("desk-sel", "data"),
        State("queue-sig", "data"),
        State("lang", "data"),
    )
    @guarded(at=1, fill={0: [], 2: None})
    def queue(_r: Any, _t: Any, _live: Any, *values: Any) -> tuple[Any, ...]:
        return _queue(settings, *values)

    # The filters, known in the browser too: a new case's card drawn from the live push
    # before the queue is read again must pass them (``griddispatch.queueFilter``).
    app.clientside_callback(
        "function(st, pr, ca, area) { return window.griddispatch.queueFilter(st, pr, ca, area); }",
        Output("queue-list", "title"),
        Input("queue-filter-status", "value"),
        Input("queue-filter-priority", "value"),
        Input("queue-filter-category", "value"),
        Input("queue-filter-area", "value"),
    )

    app.clientside_callback(
        "function(n, page) { return (typeof page === 'number' ? page : 1) + 1; }",
        Output("queue-page", "data"),
        Input("queue-more", "n_clicks"),
        State("queue-page", "data"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("case-hits", "children"),
        Input("case-search", "value"),
        State("lang", "data"),
        prevent_initial_call=True,
    )
    @guarded()
    def find(value: Any, lang: str) -> Any:
        return _find(settings, value, lang)

    @app.callback(
        Output("desk-sel", "data", allow_duplicate=True),
        Output("case-hits", "children", allow_duplicate=True),
        Input({"type": "case-hit", "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def pick_case(clicks: Any) -> tuple[Any, Any]:
        if not clicked(clicks):
            return NO, NO
        return _pick_case(ctx.triggered_id)
