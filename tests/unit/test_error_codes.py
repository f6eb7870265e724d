"""Every error the domain core raises carries a code, and every code has its texts.

The raises are read from the source with ``ast`` (no database, nothing runs): each ``raise X(...)``
of ``geo.errors.GeoError`` or a subclass names ``code=``; the text ``err.<code>`` of
``console.i18n.errors`` exists in zh-CN and English with the same placeholders, and each of them
is a keyword parameter of that raise. The same holds for the kinds of ``geo.boundaries.Problem``
(``err.problem.<kind>``, filled from its ``params``). No text is left that nothing uses.
"""

from __future__ import annotations

import ast
import inspect
import re
import string
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely

from console.i18n.errors import ERROR_PAIRS
from geo import errors
from geo.boundaries import Problem, Proposal, check

ROOT = Path(__file__).resolve().parents[2]

# Modules whose raises are still being given codes (their literal codes are checked already).
PENDING: set[str] = set()

# Texts that no raise names: the console uses them itself (console/server/errors.py).
CONSOLE_KEYS = {"err.db_away", "err.db.read_only", "err.job.lost"}  # also state.py, backjobs.py

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_PARAMS = {"code", "detail"}


@dataclass(frozen=True)
class Raise:
    """One ``raise`` of a domain error: where, its code (None: none, or not a literal), the
    names of its keyword parameters, and whether it passes ``**something``."""

    where: str
    code: str | None
    has_code: bool
    params: frozenset[str]
    spread: bool


def _error_names(trees: dict[str, ast.Module]) -> set[str]:
    """GeoError and its subclasses: those of geo.errors and any a geo module derives."""
    names = {
        n for n, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.GeoError)
    }
    grew = True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in names:
                    if any(_name(b) in names for b in node.bases):
                        names.add(node.name)
                        grew = True
    return names


def _name(node: ast.expr) -> str | None:
    """``X`` of ``X`` or ``errors.X`` (any ``<module>.errors.X``)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (
        (isinstance(node.value, ast.Name) and node.value.id == "errors")
        or (isinstance(node.value, ast.Attribute) and node.value.attr == "errors")
    ):
        return node.attr
    return None


def _trees() -> dict[str, ast.Module]:
    return {
        p.relative_to(ROOT).as_posix(): ast.parse(p.read_text(encoding="utf-8"), str(p))
        for p in sorted((ROOT / "geo").rglob("*.py"))
    }


def _raises() -> list[Raise]:
    trees = _trees()
    names = _error_names(trees)
    out: list[Raise] = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            exc = node.exc
            call = exc if isinstance(exc, ast.Call) else None
            if _name(call.func if call else exc) not in names:
                continue
            kw = {k.arg: k.value for k in call.keywords} if call else {}
            code = kw.get("code")
            literal = code.value if isinstance(code, ast.Constant) else None
            out.append(
                Raise(
                    where=f"{path}:{node.lineno}",
                    code=literal if isinstance(literal, str) else None,
                    has_code=code is not None
                    and not (isinstance(code, ast.Constant) and code.value is None),
                    params=frozenset(k for k in kw if k is not None) - _NOT_PARAMS,
                    spread=None in kw,
                )
            )
    return out


def _problems() -> dict[str, list[tuple[str, frozenset[str]]]]:
    """Each kind of Problem built in geo/boundaries.py: where, and the keys of its params."""
    path = "geo/boundaries.py"
    out: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for node in ast.walk(_trees()[path]):
        if not (isinstance(node, ast.Call) and _name(node.func) == "Problem"):
            continue
        kind = node.args[0] if node.args else None
        assert isinstance(kind, ast.Constant) and isinstance(kind.value, str), (
            f"{path}:{node.lineno}: a Problem's kind must be a literal"
        )
        given = [k.value for k in node.keywords if k.arg == "params"] + node.args[4:5]
        keys: set[str] = set()
        for d in given:
            assert isinstance(d, ast.Dict), f"{path}:{node.lineno}: params must be a dict literal"
            for k in d.keys:
                assert isinstance(k, ast.Constant) and isinstance(k.value, str), (
                    f"{path}:{node.lineno}: the keys of params must be literal strings"
                )
                keys.add(k.value)
        out.setdefault(kind.value, []).append((f"{path}:{node.lineno}", frozenset(keys)))
    return out


def _placeholders(text: str) -> set[str]:
    """The parameter names a text formats (``{name!r}`` and ``{name}`` alike)."""
    return {
        re.split(r"[.\[]", field)[0]
        for _, field, _, _ in string.Formatter().parse(text)
        if field is not None
    }


def _text_faults(key: str, given: frozenset[str], where: str) -> list[str]:
    """What is wrong with the texts of ``key`` for a raise at ``where`` passing ``given``."""
    if key not in ERROR_PAIRS:
        return [f"{where}: no text {key} in console/i18n/errors.py"]
    zh, en = ERROR_PAIRS[key]
    faults: list[str] = []
    if not zh.strip() or not en.strip():
        faults.append(f"{key}: an empty text")
    if not _CJK.search(zh):
        faults.append(f"{key}: the zh-CN text has no Chinese characters")
    if _placeholders(zh) != _placeholders(en):
        faults.append(f"{key}: zh-CN names {_placeholders(zh)}, English {_placeholders(en)}")
    missing = (_placeholders(zh) | _placeholders(en)) - given
    if missing:
        faults.append(f"{where}: {key} names {sorted(missing)}, not passed there")
    return faults


def test_every_domain_raise_names_a_code() -> None:
    found = _raises()
    assert len(found) > 200, "the scan found too few raises: is it still reading geo/?"
    missing = [r.where for r in found if not r.has_code and r.where.split(":")[0] not in PENDING]
    assert not missing, "raises without code=:\n" + "\n".join(missing)


def test_every_code_has_both_texts_with_its_parameters() -> None:
    faults: list[str] = []
    for r in _raises():
        if r.code is None:
            continue
        if r.spread:
            faults.append(f"{r.where}: pass the parameters of a coded error by name, not **")
        faults += _text_faults(f"err.{r.code}", r.params, r.where)
    assert not faults, "\n".join(faults)


def test_every_problem_kind_has_both_texts_with_its_parameters() -> None:
    kinds = _problems()
    assert {"invalid", "not_polygon", "outside", "overlap", "gap", "too_small", "sliver"} <= set(
        kinds
    )
    faults: list[str] = []
    for kind, sites in kinds.items():
        for where, keys in sites:
            faults += _text_faults(f"err.problem.{kind}", keys, where)
    assert not faults, "\n".join(faults)


def test_no_error_text_is_left_unused() -> None:
    used = {f"err.{r.code}" for r in _raises() if r.code}
    used |= {f"err.problem.{k}" for k in _problems()}
    unused = sorted(k for k in ERROR_PAIRS if k.startswith("err.") and k not in used | CONSOLE_KEYS)
    assert not unused, "texts no raise uses: " + ", ".join(unused)
    for key in CONSOLE_KEYS:  # the console's own: still used there (as a key or a code)
        assert any(
            key in p.read_text(encoding="utf-8") or f'code="{key[4:]}"' in p.read_text("utf-8")
            for p in (ROOT / "console").rglob("*.py")
            if p.name != "errors.py" or p.parent.name != "i18n"
        ), key


def test_a_problem_is_built_as_before_and_carries_params() -> None:
    p = Problem("gap", ("A",), "The edit leaves a gap.", None)
    assert p.params == {} and p.where is None
    q = Problem("overlap", ("A", "B"), "m", None, {"a": "A", "b": "B", "area": 12})
    assert q.params["area"] == 12


@pytest.mark.parametrize("lang", [0, 1])  # zh-CN, English
def test_problem_texts_format_with_the_params_of_a_real_check(lang: int) -> None:
    a = shapely.box(0, 0, 0.01, 0.01)
    b = shapely.box(0.005, 0, 0.015, 0.01)  # overlaps a by half
    found = check(Proposal("edit", {"A": a, "B": b}), {}, {}, {})
    assert found and all(x.kind == "overlap" for x in found)
    text = ERROR_PAIRS[f"err.problem.{found[0].kind}"][lang].format(**found[0].params)
    assert "A" in text and "B" in text
