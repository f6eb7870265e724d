"""Tables of a run's figures: for the terminal, and the README's figures table (written by
``python -m tests.bench readme`` from the latest complete run, between two markers)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.bench._harness import ROOT, load_run, utc_now

README = ROOT / "README.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"

__all__ = ["console_table", "markdown", "write_readme", "readme_names", "utc_now"]


def fmt(v: float) -> str:
    if v != v:  # NaN
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _verdict(row: dict[str, Any]) -> str:
    met = row.get("meets_target")
    return "report" if met is None else ("met" if met else "MISSED")


def _spread(row: dict[str, Any]) -> str:
    s = row.get("spread")
    return "" if not s else f"{fmt(s['min'])}–{fmt(s['max'])} (n={int(s['n'])})"


def console_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'benchmark':32} {'value':>12} {'unit':9} {'min-max':22} {'target':26} result  "
             "baselines"]  # fmt: skip
    for r in rows:
        base = ", ".join(f"{k}={fmt(v)}" for k, v in r["baselines"].items())
        lines.append(f"{r['name']:32} {fmt(r['value']):>12} {r['unit']:9} {_spread(r):22} "
                     f"{r['target'] or '-':26} {_verdict(r):7} {base}")  # fmt: skip
        if r["notes"]:
            lines.append(f"{'':32} {r['notes']}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(run: dict[str, Any]) -> str:
    """The figures table of one run, with its stamp."""
    m = run["machine"]
    s = run["scale"]
    seconds = sum(mod["seconds"] for mod in run["modules"])
    head = (
        f"From one complete `make bench` run at commit `{run['commit'][:10]}` "
        f"({run['started_utc']}, {seconds / 60:.0f} min), on {m['cores']} cores "
        f"({m['cpu']}), {m['memory_gib']} GiB; the demo city of size `{s['size']}` (seed "
        f"{s['seed']}): "
        f"{s['grids']:,} grids, {s['units']:,} units, {s['platforms']} platforms, "
        f"{s['incidents']:,} incidents. Timings are medians over the repeats, with min–max."
    )
    columns = ("figure", "value", "min–max", "target", "met", "baselines (same run)", "measured")
    lines = [head, "", "| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for r in run["results"]:
        base = "; ".join(f"{k} {fmt(v)}" for k, v in r["baselines"].items())
        lines.append(
            f"| `{r['name']}` | {fmt(r['value'])} {r['unit']} | {_spread(r)} | "
            f"{_cell(r['target'] or '')} | {_verdict(r)} | {_cell(base)} | {_cell(r['notes'])} |"
        )
    return "\n".join(lines)


def readme_names(text: str | None = None) -> list[str]:
    """The figure names in the README's figures table."""
    text = README.read_text(encoding="utf-8") if text is None else text
    block = text.split(START, 1)[1].split(END, 1)[0] if START in text else ""
    return re.findall(r"^\| `([a-z0-9_]+)` \|", block, flags=re.M)


def write_readme(results: Path) -> int:
    """Put the table of ``results`` (a complete run) between the README's markers."""
    run = load_run(results)
    if not run.get("complete"):
        print(f"{results} is not a complete run", flush=True)
        return 1
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md has no {START} ... {END} block", flush=True)
        return 1
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    README.write_text(f"{before}{START}\n{markdown(run)}\n{END}{after}", encoding="utf-8")
    print(f"README.md: {len(run['results'])} figures from {results} ({run['commit'][:10]})")
    return 0
