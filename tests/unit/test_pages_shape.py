"""The pages stay thin: no function in console/pages is longer than 80 lines (a callback's
body is a module-level function, register() only wires), and a blind ``except Exception``
is written only in actions.py, the callbacks' one guard (``guarded``). Elsewhere one is
allowed only with its reason on its line, and only when it re-raises or logs:

- ``# noqa: BLE001 - <reason>`` when the handler does not log the traceback;
- ``# <reason>`` when it does (``log.exception`` or ``exc_info=``): ruff then does not report
  BLE001, and RUF100 refuses a noqa that silences nothing.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = "console/pages"
GUARD = "console/pages/actions.py"
# Packages not yet split: none (the desk was the last).
EXEMPT: set[str] = set()
MAX_LINES = 80
BLIND = {"Exception", "BaseException"}
NOQA = re.compile(r"noqa: BLE001 - \S")
REASON = re.compile(r"#\s*(?!noqa\b)\S")


def _files() -> list[str]:
    out = []
    for f in sorted((ROOT / PAGES).rglob("*.py")):
        rel = f.relative_to(ROOT).as_posix()
        if not any(rel == e or rel.startswith(e + "/") for e in EXEMPT):
            out.append(rel)
    return out


def long_functions(source: str, limit: int = MAX_LINES) -> list[str]:
    """Functions (nested ones too) longer than ``limit`` lines, from ``def`` to the end."""
    return [
        f"{node.name} (line {node.lineno}): {node.end_lineno - node.lineno + 1} lines"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > limit
    ]


def _is_blind(kind: ast.expr | None) -> bool:
    if kind is None:  # a bare except
        return True
    if isinstance(kind, ast.Tuple):
        return any(_is_blind(k) for k in kind.elts)
    return isinstance(kind, ast.Name) and kind.id in BLIND


def _logs_traceback(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(handler):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "exception":
                return True
            if any(k.arg == "exc_info" for k in node.keywords):
                return True
    return False


def _raises(handler: ast.ExceptHandler) -> bool:
    return any(isinstance(node, ast.Raise) for node in ast.walk(handler))


def _logs(handler: ast.ExceptHandler) -> bool:
    levels = {"debug", "info", "warning", "error", "critical", "exception"}
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in levels
        for n in ast.walk(handler)
    )


def blind_excepts(source: str) -> list[str]:
    """Blind handlers without their reason, or that neither re-raise nor log."""
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string
    bad = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ExceptHandler) or not _is_blind(node.type):
            continue
        comment = comments.get(node.lineno, "")
        if _logs_traceback(node):
            if not REASON.search(comment):
                bad.append(f"line {node.lineno}: a logged blind except without its reason")
        elif not NOQA.search(comment):
            bad.append(f"line {node.lineno}: no '# noqa: BLE001 - <reason>'")
        if not (_raises(node) or _logs(node)):
            bad.append(f"line {node.lineno}: a blind except that neither re-raises nor logs")
    return bad


@pytest.mark.parametrize("path", _files())
def test_no_long_function(path: str) -> None:
    long = long_functions((ROOT / path).read_text(encoding="utf-8"))
    assert not long, f"{path}: split into module-level functions:\n" + "\n".join(long)


@pytest.mark.parametrize("path", [f for f in _files() if f != GUARD])
def test_errors_go_through_the_guard(path: str) -> None:
    bad = blind_excepts((ROOT / path).read_text(encoding="utf-8"))
    assert not bad, f"{path}: use console.pages.actions.guarded:\n" + "\n".join(bad)


def test_the_guard_is_where_it_is_said_to_be() -> None:
    assert (ROOT / GUARD).is_file()
    assert "def guarded(" in (ROOT / GUARD).read_text(encoding="utf-8")
    assert all((ROOT / e).is_dir() for e in EXEMPT), "an exempt path that no longer exists"


def test_the_checkers_see_violations() -> None:
    body = "\n".join(f"    x = {i}" for i in range(MAX_LINES))
    assert long_functions(f"def f():\n{body}\n")
    assert not long_functions(f"def f():\n{body[: body.rindex(chr(10))]}\n")
    swallowed = "try:\n    f()\nexcept Exception:\n    pass\n"
    assert len(blind_excepts(swallowed)) == 2  # no reason, and nothing logged or raised
    bare = "try:\n    f()\nexcept:  # noqa: BLE001 - why\n    return g(exc)\n"
    assert blind_excepts(bare)
    assert blind_excepts("try:\n    f()\nexcept (ValueError, Exception):  # x\n    raise\n")
    reasoned = (
        "try:\n    f()\nexcept Exception as exc:  # noqa: BLE001 - why\n    raise E() from exc\n"
    )
    assert not blind_excepts(reasoned)
    logged = "try:\n    f()\nexcept Exception:  # the page renders\n    log.exception('x')\n"
    assert not blind_excepts(logged)
    unreasoned = "try:\n    f()\nexcept Exception:\n    log.exception('x')\n"
    assert blind_excepts(unreasoned)
    assert not blind_excepts("try:\n    f()\nexcept (KeyError, ValueError):\n    pass\n")
