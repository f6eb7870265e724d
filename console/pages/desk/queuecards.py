"""The desk queue's cards and board as the server sends them: each card as plain data (drawn
by ``griddispatch.js``), with a digest per card so an unchanged one is not sent again and a
Patch for the few that changed; the band titles, the unit status board and the search hits."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Sequence
from typing import Any

from dash import Patch, html

from console.pages.desk.render import REC_TYPES, iso, who
from geo import units
from layers.styles import PRIORITY_COLOURS

QUEUE_FIELDS = ("id", "status", "priority", "due", "overdue", "escalation_level", "grid_code",
                "band", "stage", "claimed_by", "flagged_at")  # fmt: skip


def queue_keys(rows: Sequence[dict[str, Any]], selected: Any, lang: str) -> list[str]:
    """A digest per card of what it shows: a card whose digest is unchanged is not sent
    again (the browser ticks the clocks)."""
    out = []
    for r in rows:
        h = hashlib.blake2b(digest_size=8)
        h.update(repr((r["id"] == selected, lang, *(r.get(f) for f in QUEUE_FIELDS))).encode())
        out.append(h.hexdigest())
    return out


def queue_patch(old: Sequence[str], new: Sequence[str], card: Any, max_ops: int = 40) -> Any:
    """A Dash Patch turning the cards keyed ``old`` into those keyed ``new`` (``card(j)``
    builds the j-th new card), or None when a full redraw is simpler."""
    ops = [
        op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]  # fmt: skip
    if not old or not new or sum(max(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in ops) > max_ops:
        return None
    p = Patch()
    for _, i1, i2, j1, j2 in reversed(ops):  # from the end, so earlier indices hold
        for k in range(i2 - 1, i1 - 1, -1):
            del p[k]
        for off, j in enumerate(range(j1, j2)):
            p.insert(i1 + off, card(j))
    return p


def queue_rows(
    rows: Sequence[dict[str, Any]],
    tx: dict[str, str],
    lang: str,
    selected: int | None,
    keys: Sequence[str],
) -> list[dict[str, Any]]:
    """What each queue card shows, as plain data: ``griddispatch.js`` (``queueRender``) draws
    the cards (priority bar, category, number, status, grid, countdown) as DOM text.

    The cards are not Dash components: at 200 cards (~1,600 components) every change in the
    renderer's store ran a selector per component (~14 ms a dispatch, ~1 s of main thread per
    new case on a city desk)."""
    out = []
    for r, k in zip(rows, keys, strict=True):
        level = r.get("escalation_level") or "grid"
        out.append(
            {
                "k": k,
                "id": r["id"],
                "cls": "gd-qitem"
                + (" overdue" if r["overdue"] else "")
                + (" selected" if r["id"] == selected else ""),
                "colour": PRIORITY_COLOURS[r["priority"]],
                "label": r.get("category_en" if lang == "en" else "category_zh") or r["category"],
                "due": iso(r.get("due")),
                "number": r["number"],
                "status": tx[f"status.{r['status']}"],
                "grid": r["grid_code"] or "",
                "esc": "↑ " + tx[f"level.{level}"] if level != "grid" else None,
                "band": r["band"],
                "p": r["priority"],
                "stage": tx[f"stage.{r['stage']}"],
                "claimed": tx["queue.claimed"].format(who=who(r["claimed_by"]))
                if r.get("claimed_by") else None,
                "flag": tx["queue.flag"] if r.get("flagged_at") else None,
            }
        )
    return out


def queue_header(counts: dict[str, int], tx: dict[str, str]) -> dict[str, str]:
    """The band titles with their counts, for the cards' band headings (griddispatch.js)."""
    return {b: f"{tx['queue.band.' + b]} ({n})" for b, n in counts.items()}


def unit_board(board: dict[tuple[str, str], dict[str, int]], tx: dict[str, str]) -> html.Table:
    """Units by type and agency (rows; 消防 · 消防车) and status (columns): available,
    dispatched, en route, on scene, returning, off duty."""
    head = html.Tr([html.Th("")] + [html.Th(tx[f"unit_status.{st}"]) for st in units.UNIT_STATUSES])
    order = {t: i for i, t in enumerate(REC_TYPES)}
    rows = [
        html.Tr([html.Td(f"{tx[f'agency.{a}']} · {tx[f'unit_type.{t}']}")]
                + [html.Td(str(n[st]) if n[st] else "·",
                           className=f"gd-board-{st}") for st in units.UNIT_STATUSES],
                **{"data-type": t, "data-agency": a})
        for (t, a), n in sorted(board.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0]))
    ]  # fmt: skip
    return html.Table([html.Thead(head), html.Tbody(rows)], className="gd-board", id="board")


def case_hits(rows: Sequence[dict[str, Any]], tx: dict[str, str], lang: str) -> list[Any]:
    """Cases found by the search; a click selects one (``case-hit`` buttons)."""
    if not rows:
        return [html.Div(tx["search.no_case"], className="gd-muted")]
    out: list[Any] = []
    for r in rows:
        status = tx[f"status.{r['status']}"]
        label = r.get("category_en" if lang == "en" else "category_zh") or r["category"]
        phone = f" · {r['reporter_phone']}" if r.get("reporter_phone") else ""
        out.append(html.Button(
            f"{r['number']} · {label} · {status} · {r['grid_code'] or ''}{phone}",
            id={"type": "case-hit", "id": r["id"]}, className="gd-hit", n_clicks=0,
        ))  # fmt: skip
    return out
