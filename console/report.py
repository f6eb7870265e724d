"""``python -m console.report --period week --out FILE``: a report from the command line.

The format follows the file's extension: ``.html`` (one self-contained page that opens
offline), ``.xlsx`` or ``.csv``. ``--at`` sets "now" (ISO date or time; default: now).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import psycopg

from console import settings as settings_mod
from console import state
from geo import kpis, reports
from geo.errors import GeoError
from layers import report as render


def build(
    conn: psycopg.Connection,
    period: str,
    at: dt.datetime,
    out: Path,
    lang: str,
    weights: dict[str, float] = kpis.WEIGHTS,
) -> Path:
    """Write the report of ``period`` before ``at`` to ``out``; returns ``out``."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".xlsx", ".csv"):
        raise ValueError("the output must end in .html, .xlsx or .csv")
    data = reports.gather(conn=conn, period=period, at=at, weights=weights)
    if suffix == ".html":
        out.write_text(render.to_html(data, lang), encoding="utf-8")
    elif suffix == ".xlsx":
        out.write_bytes(render.to_xlsx(data))
    else:
        out.write_text(render.to_csv(data), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m console.report", description=__doc__)
    p.add_argument("--period", choices=reports.PERIODS, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--at", help="report 'now' (ISO date/time, local time if no zone)")
    p.add_argument("--lang", choices=("zh-CN", "en"), default=None)
    a = p.parse_args(argv)
    st = settings_mod.load()
    at = dt.datetime.now(dt.UTC)
    if a.at:
        at = dt.datetime.fromisoformat(a.at)
        if at.tzinfo is None:
            at = at.replace(tzinfo=reports.LOCAL)
    try:
        with psycopg.connect(state.conninfo(st)) as conn:
            weights = kpis.parse_weights(st.assessment_weights)
            out = build(conn, a.period, at, a.out, a.lang or st.lang, weights)
    except (GeoError, ValueError) as exc:
        print(f"report: {getattr(exc, 'user_message', exc)}", file=sys.stderr)
        return 2
    except psycopg.OperationalError as exc:
        print(f"report: the database cannot be reached ({exc})", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
