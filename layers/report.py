"""Reports as one self-contained HTML file (opens offline) and as CSV / XLSX tables.

The map is a folium map whose Leaflet comes from ``layers/vendor`` and is written into the
page itself: no script, style or font is fetched from anywhere.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import folium
import pandas as pd
from branca.element import Figure

from geo.reports import ReportData
from layers.heatmap import COUNT_RAMP, hexagons

VENDOR = Path(__file__).resolve().parent / "vendor" / "leaflet-1.9.4"
TITLES = {
    "day": ("日点评", "Daily review"),
    "week": ("周研判", "Weekly analysis"),
    "month": ("月考核", "Monthly assessment"),
}


class _OfflineMap(folium.Map):
    """A folium map that asks for no CDN script or style (Leaflet is inlined instead)."""

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []


def _vendored() -> str:
    js = (VENDOR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")
    return f"<style>{css}</style><script>{js}</script>"


def map_html(data: ReportData) -> str:
    """The hexbin map as an HTML fragment (an iframe-free div and its script)."""
    h = data.hexbins
    top = max(int(h.counts.max()), 1) if len(h.counts) else 1
    feats: list[dict[str, Any]] = hexagons(h.cells, h.counts)["features"]
    if feats:
        xs = [p[0] for f in feats for p in f["geometry"]["coordinates"][0]]
        ys = [p[1] for f in feats for p in f["geometry"]["coordinates"][0]]
        centre = [(min(ys) + max(ys)) / 2, (min(xs) + max(xs)) / 2]
    else:
        centre = [27.83, 113.13]
    m = _OfflineMap(location=centre, zoom_start=11, tiles=None, attribution_control=False)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        f = (feature["properties"]["n"] / top) ** 0.5
        colour = COUNT_RAMP[min(len(COUNT_RAMP) - 1, int(f * len(COUNT_RAMP)))]
        return {"fillColor": colour, "fillOpacity": 0.75, "color": "#666", "weight": 0.4}

    if feats:  # (folium refuses a tooltip over an empty layer: a quiet day has no map layer)
        folium.GeoJson({"type": "FeatureCollection", "features": feats}, style_function=style,
                       tooltip=folium.GeoJsonTooltip(["n"], aliases=["#"])).add_to(m)  # fmt: skip
        m.fit_bounds([[min(ys), min(xs)], [max(ys), max(xs)]])
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(folium.Element(_vendored()), name="leaflet_inline")
    return root.render()


def _times(col: pd.Series, tz: str, fmt: str | None) -> pd.Series:
    """Times in zone ``tz`` as text: ``fmt`` for reading, or ISO 8601 with the offset."""
    t = pd.to_datetime(col, utc=True).dt.tz_convert(tz)
    return t.dt.strftime(fmt) if fmt else t.map(lambda v: v.isoformat(timespec="seconds"))


def _pct(v: Any) -> str:
    return "—" if v is None or pd.isna(v) else f"{v:.1f}%"


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for t in columns.values())
    body = []
    for _, r in frame.iterrows():
        cells = []
        for c in columns:
            v = r[c]
            text = (_pct(v) if c.endswith(("_rate", "_sla")) else
                    "—" if v is None or (isinstance(v, float) and pd.isna(v)) else
                    f"{v:,.1f}" if isinstance(v, float) else str(v))  # fmt: skip
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _bars(frame: pd.DataFrame, label: str) -> str:
    """Counts by category as an inline SVG bar chart (this period, and the one before)."""
    rows = frame.head(12)
    top = max(int(rows["count"].max()), int(rows["previous"].max()), 1) if len(rows) else 1
    out = []
    for i, (_, r) in enumerate(rows.iterrows()):
        y = i * 22
        w_now, w_before = 300 * r["count"] / top, 300 * r["previous"] / top
        out.append(
            f'<text x="0" y="{y + 14}" font-size="12">{html.escape(str(r[label]))}</text>'
            f'<rect x="150" y="{y + 2}" width="{w_before:.1f}" height="8" fill="#bbb"/>'
            f'<rect x="150" y="{y + 10}" width="{w_now:.1f}" height="8" fill="#e31a1c"/>'
            f'<text x="{155 + max(w_now, w_before):.1f}" y="{y + 17}" font-size="11">'
            f"{int(r['count'])}</text>"
        )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="520" height="{22 * len(rows) + 4}">'
            + "".join(out) + "</svg>")  # fmt: skip


def to_html(data: ReportData, lang: str = "zh-CN") -> str:
    """The whole report as one HTML document that needs nothing from the network."""
    en = lang == "en"
    title = TITLES[data.period][1 if en else 0]
    zone = ZoneInfo(data.tz)
    span = (f"{data.start.astimezone(zone):%Y-%m-%d} – "
            f"{(data.end.astimezone(zone)):%Y-%m-%d %H:%M}")  # fmt: skip
    t, p = data.total, data.previous

    def delta(a: float | None, b: float | None, unit: str = "") -> str:
        if a is None or b is None:
            return ""
        return f" <small>({a - b:+.1f}{unit})</small>"

    def tile(en_zh: tuple[str, str], shown: str, now: Any = None, was: Any = None,
             unit: str = "") -> tuple[str, str, str]:  # fmt: skip
        return en_zh[0] if en else en_zh[1], shown, delta(now, was, unit)

    tiles = [
        tile(("Reported", "上报"), f"{t.reported:,}", t.reported, p.reported),
        tile(("Closed", "办结"), f"{t.closed:,}", t.closed, p.closed),
        tile(("Closure rate", "办结率"), _pct(t.closure_rate), t.closure_rate,
             p.closure_rate, "%"),
        tile(("On-time closure", "按期办结率"), _pct(t.on_time_rate), t.on_time_rate,
             p.on_time_rate, "%"),
        tile(("Response in SLA", "响应达标"), _pct(t.respond.within_pct), t.respond.within_pct,
             p.respond.within_pct, "%"),
        tile(("Arrival in SLA", "到场达标"), _pct(t.arrive.within_pct), t.arrive.within_pct,
             p.arrive.within_pct, "%"),
        tile(("Overdue now", "当前超期"), f"{t.overdue:,}"),
        tile(("Satisfaction", "满意度"),
             "—" if t.satisfaction is None else f"{t.satisfaction:.2f}", t.satisfaction,
             p.satisfaction),
    ]  # fmt: skip
    tile_html = "".join(
        f'<div class="tile"><div>{html.escape(a)}</div><b>{html.escape(b)}</b>{c}</div>'
        for a, b, c in tiles
    )
    cols = {"name": "District" if en else "区县", "reported": "Reported" if en else "上报",
            "closed": "Closed" if en else "办结", "closure_rate": "Closure" if en else "办结率",
            "on_time_rate": "On time" if en else "按期", "respond_in_sla": "Response in SLA"
            if en else "响应达标", "overdue": "Overdue" if en else "超期",
            "satisfaction": "Satisfaction" if en else "满意度"}  # fmt: skip
    districts = _table(data.districts, cols) if len(data.districts) else ""
    shown = _times(data.overdue["reported_at"], data.tz, "%Y-%m-%d %H:%M")
    overdue = _table(data.overdue.assign(reported_at=shown),
                     {c: c for c in data.overdue.columns}) if len(data.overdue) else ""  # fmt: skip
    bars = _bars(data.categories, "name_en" if en else "name_zh")
    the_map = map_html(data)
    body_start = the_map.index("<body>") + len("<body>")
    page_css = (
        "body{font-family:sans-serif;margin:16px;color:#222}"
        ".tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{background:#f3f5fa;padding:6px 10px;"
        "border-radius:4px;min-width:120px}.tile b{font-size:20px;display:block}"
        "table{border-collapse:collapse;font-size:13px;margin:8px 0}td,th{border-bottom:1px "
        "solid #ddd;padding:3px 8px;text-align:left}.folium-map{height:460px!important;"
        "position:relative!important;width:100%!important}"
    )
    report = (
        f"<h1>{html.escape(title)}</h1><p>{html.escape(span)}</p>"
        f'<div class="tiles">{tile_html}</div>'
        f"<h2>{'Where' if en else '事件分布'}</h2>"
    )
    score_cols = {"rank": "#", "cases": "Cases" if en else "事件", "closure": "Closure %"
                  if en else "办结率", "on_time": "On time %" if en else "按期率",
                  "satisfaction": "Rating (0-100)" if en else "满意度(0-100)",
                  "score": "Score" if en else "得分"}  # fmt: skip
    workers = _table(data.workers.head(20), {"worker": "Grid worker" if en else "网格员"}
                     | score_cols) if len(data.workers) else ""  # fmt: skip
    platforms = _table(data.platforms, {"platform": "Platform" if en else "平台"}
                       | score_cols) if len(data.platforms) else ""  # fmt: skip
    after_map = (
        f"<h2>{'By category' if en else '事件类别'}</h2>{bars}"
        f"<h2>{'By district' if en else '各区县'}</h2>{districts}"
        f"<h2>{'Assessment: grid workers (top 20)' if en else '考核：网格员（前 20）'}</h2>"
        f"{workers}"
        f"<h2>{'Assessment: platforms' if en else '考核：快警平台'}</h2>{platforms}"
        f"<h2>{'Oldest overdue cases' if en else '超期未结（最早）'}</h2>{overdue}"
    )
    doc = the_map[:body_start] + report + the_map[body_start:]
    doc = doc.replace("</body>", after_map + "</body>", 1)
    doc = doc.replace(
        "</head>", f"<style>{page_css}</style><title>{html.escape(title)}</title></head>", 1
    )
    return doc


def to_xlsx(data: ReportData) -> bytes:
    """The report's tables, one sheet each (times as ISO 8601 text with their offset)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        data.districts.to_excel(xl, sheet_name="districts", index=False)
        data.categories.to_excel(xl, sheet_name="categories", index=False)
        data.workers.to_excel(xl, sheet_name="workers", index=False)
        data.platforms.to_excel(xl, sheet_name="platforms", index=False)
        over = data.overdue.assign(reported_at=_times(data.overdue["reported_at"], data.tz, None))
        over.to_excel(xl, sheet_name="overdue", index=False)
    return buf.getvalue()


def to_csv(data: ReportData) -> str:
    """The district table as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    return "\ufeff" + data.districts.to_csv(index=False)
