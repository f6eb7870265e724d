"""Reports as files: the supervision page's export, and ``python -m console report --period
week --out FILE`` on the command line.

The format follows the file's extension: ``.html`` (one self-contained page that opens
offline), ``.xlsx`` or ``.csv``. ``--at`` sets "now" (ISO date or time; default: now).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from console.pages import clock
from console.server import state
from console.settings import Settings
from geo import kpis, reports
from geo.db import Connection, connect
from geo.errors import DatabaseUnavailable, GeoError
from layers import report as render

FORMATS = ("html", "xlsx", "csv")


def content(
    conn: Connection,
    period: str,
    at: dt.datetime,
    fmt: str,
    lang: str,
    weights: dict[str, float] = kpis.WEIGHTS,
    tz: str = "Asia/Shanghai",
) -> tuple[bytes, str]:
    """The report of ``period`` before ``at`` as ``fmt`` (html, xlsx or csv): its bytes and
    a file name such as ``griddispatch-week-2026-11-16.html``. The periods run in ``tz``
    (GD_TZ), and its times are shown in it."""
    if fmt not in FORMATS:
        raise ValueError("the output must end in .html, .xlsx or .csv")
    data = reports.gather(conn=conn, period=period, at=at, weights=weights, tz=tz)
    if fmt == "html":
        body = render.to_html(data, lang).encode()
    elif fmt == "xlsx":
        body = render.to_xlsx(data)
    else:
        body = render.to_csv(data).encode()
    day = data.start.date().isoformat()  # the period's first day, in tz
    return body, f"griddispatch-{period}-{day}.{fmt}"


def build(
    conn: Connection,
    period: str,
    at: dt.datetime,
    out: Path,
    lang: str,
    weights: dict[str, float] = kpis.WEIGHTS,
    tz: str = "Asia/Shanghai",
) -> Path:
    """Write the report of ``period`` before ``at`` to ``out``; returns ``out``."""
    body, _ = content(conn, period, at, out.suffix.lower().lstrip("."), lang, weights, tz)
    out.write_bytes(body)
    return out


def arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``python -m console report``."""
    p.add_argument("--period", choices=reports.PERIODS, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--at", help="report 'now' (ISO date/time, in GD_TZ if no zone)")
    p.add_argument("--lang", choices=("zh-CN", "en"), default=None)


def command(st: Settings, a: argparse.Namespace) -> int:
    """``python -m console report``: write the report, print its path."""
    clock.use(st.tz)
    at = clock.local(a.at) if a.at else dt.datetime.now(dt.UTC)
    try:
        with connect(state.conninfo(st)) as conn:
            weights = kpis.parse_weights(st.assessment_weights)
            out = build(conn, a.period, at, a.out, a.lang or st.lang, weights, st.tz)
    except DatabaseUnavailable as exc:
        print(f"report: {exc.user_message} ({exc.detail})", file=sys.stderr)
        return 1
    except (GeoError, ValueError) as exc:
        print(f"report: {getattr(exc, 'user_message', exc)}", file=sys.stderr)
        return 2
    print(out)
    return 0
