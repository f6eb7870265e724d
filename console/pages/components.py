"""Small Dash building blocks of the shell: top bar and grid card (text only, never HTML)."""

from __future__ import annotations

from dash import dcc, html

from geo.counters import Counters
from geo.gridcard import GridCard
from layers.styles import PRIORITY_COLOURS

PAGES = (
    ("overview", "/"),
    ("dispatch", "/dispatch"),
    ("planning", "/planning"),
    ("supervision", "/supervision"),
    ("tasks", "/tasks"),
    ("replay", "/replay"),
    ("wall", "/wall"),
    ("admin", "/admin"),
)
# What a role must be allowed to do (geo.access.PERMISSIONS) to open each page.
PAGE_ACTION = {
    "overview": "view",
    "dispatch": "watch",
    "planning": "plan",
    "supervision": "supervise",
    "tasks": "supervise",
    "replay": "watch",
    "wall": "view",
    "admin": "audit",
}


def top_bar(
    page: str,
    lang: str,
    tx: dict[str, str],
    jurisdiction: str,
    counters: Counters | None,
    pages: frozenset[str] | None = None,
    user: str = "",
) -> html.Div:
    """The bar on every page; ``pages``: the pages the user may open (None: all)."""
    other = "en" if lang == "zh-CN" else "zh-CN"
    path = dict(PAGES)[page]
    return html.Div(
        [
            html.Span(tx["app.title"], className="gd-title"),
            html.Span(jurisdiction, className="gd-jur", id="jurisdiction"),
            html.Nav(
                [
                    html.A(
                        tx[f"nav.{name}"],
                        href=f"{href}?lang={lang}",
                        id=f"nav-{name}",
                        className="active" if name == page else "",
                    )
                    for name, href in PAGES
                    if pages is None or name in pages
                ],
                className="gd-nav",
            ),
            html.Div(counter_items(tx, counters), className="gd-counters", id="counters"),
            html.A(
                tx["lang.switch"],
                href=f"{path}?lang={other}",
                className="gd-lang",
                id="lang-switch",
            ),
            *(
                [
                    html.Span(user, className="gd-user", id="user-name"),
                    html.Form(
                        html.Button(tx["login.signout"], id="sign-out", className="gd-signout"),
                        method="post",
                        action="/logout",
                        className="gd-signout-form",
                    ),
                ]
                if user
                else []
            ),
        ],
        className="gd-topbar",
    )


def counter_items(tx: dict[str, str], c: Counters | None) -> list[html.Span]:
    def item(key: str, value: int | None, cls: str = "") -> html.Span:
        return html.Span(
            [tx[key], html.B("–" if value is None else f"{value:,}")],
            className=f"gd-counter {cls}",
            id=f"counter-{key.split('.')[1]}",
        )

    return [
        item("counter.open", c.open if c else None),
        item("counter.overdue", c.overdue if c else None, "overdue"),
        item("counter.units", c.units_available if c else None),
    ]


def grid_card(card: GridCard, tx: dict[str, str]) -> html.Div:
    rows = [
        (tx["card.code"], card.code),
        (tx["card.type"], tx[f"grid_type.{card.type}"]),
        (tx["card.zone"], tx[f"zone.{card.zone_class}"]),
        (tx["card.area"], f"{card.district} · {card.street} · {card.community}"),
        (tx["card.worker"], " ".join(x for x in (card.worker_name, card.worker_phone) if x)),
        (tx["card.leader"], card.leader_name or "–"),
        (tx["card.households"], f"{card.households:,}"),
        (tx["card.population"], f"{card.population:,}"),
        (tx["card.size"], f"{card.area_km2:.3f} km²"),
        (tx["card.open"], str(card.open_incidents)),
        (tx["card.year"], f"{card.incidents_365d:,}"),
    ]
    zh = tx["nav.dispatch"] == "调度"
    recent = (
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(
                            className="gd-pill", style={"background": PRIORITY_COLOURS[i.priority]}
                        ),
                        " · ".join(
                            (
                                i.category_zh if zh else i.category_en,
                                tx[f"status.{i.status}"],
                                i.reported,
                            )
                        ),
                    ]
                )
                for i in card.recent_open
            ]
        )
        if card.recent_open
        else html.Div(tx["card.none_open"], className="gd-page-note")
    )
    return html.Div(
        [
            html.H3(card.name, id="card-title"),
            html.Table(
                html.Tbody(
                    [
                        html.Tr([html.Td(k), html.Td(v, id=f"card-{i}")])
                        for i, (k, v) in enumerate(rows)
                    ]
                )
            ),
            recent,
        ],
        className="gd-card",
        id="grid-card-body",
    )


def number(label: str, id_: str, lo: int, hi: int, value: int) -> html.Label:
    """A labelled whole-number input (the browser keeps it within lo..hi; callbacks check
    again)."""
    return html.Label(
        [label, dcc.Input(id=id_, type="number", min=lo, max=hi, step=1, value=value,
                          className="gd-num")]
    )  # fmt: skip
