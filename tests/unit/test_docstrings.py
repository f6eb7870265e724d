"""Every public function of geo/ has a numpy-style docstring (DESIGN.md, convention 7): a
summary, a Parameters section when it takes arguments, and a Returns (or Yields) section
unless it returns None. Private modules (``_name.py``) and private names are exempt."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def public_functions(path: Path) -> list[ast.FunctionDef]:
    """Module-level functions and the methods of module-level classes, public ones only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[ast.FunctionDef] = []
    for node in tree.body:
        fn = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if fn and not node.name.startswith("_"):
            out.append(node)  # type: ignore[arg-type]
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            out += [m for m in node.body if isinstance(m, ast.FunctionDef | ast.AsyncFunctionDef)
                    and not m.name.startswith("_")]  # type: ignore[misc]  # fmt: skip
    return out


def problems(path: Path) -> list[str]:
    """What is missing from the docstrings of ``path``."""
    out = []
    for f in public_functions(path):
        doc = ast.get_docstring(f) or ""
        args = [a.arg for a in [*f.args.posonlyargs, *f.args.args, *f.args.kwonlyargs]
                if a.arg not in ("self", "cls")]  # fmt: skip
        if f.args.vararg or f.args.kwarg:
            args.append("*")
        where = f"{path.relative_to(ROOT)}:{f.lineno} {f.name}"
        returns_none = f.returns is not None and ast.unparse(f.returns) == "None"
        if not doc:
            out.append(f"{where}: no docstring")
        elif args and "Parameters\n----------" not in doc:
            out.append(f"{where}: no Parameters section")
        elif not returns_none and not any(s in doc for s in ("Returns\n-------", "Yields\n------")):
            out.append(f"{where}: no Returns section")
    return out


def test_every_public_geo_function_has_a_numpy_docstring() -> None:
    files = [p for p in sorted((ROOT / "geo").rglob("*.py")) if not p.name.startswith("_")]
    found = [msg for p in files for msg in problems(p)]
    assert not found, f"{len(found)} public geo functions lack numpy docstrings:\n" + "\n".join(
        found
    )


def test_the_checker_sees_a_missing_section(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text('def a(x):\n    """Sum."""\n\n\ndef b() -> None:\n    """Nothing."""\n')
    assert [p.split(": ", 1)[1] for p in problems_of(f)] == ["no Parameters section"]


def problems_of(path: Path) -> list[str]:
    global ROOT
    saved, ROOT = ROOT, path.parent
    try:
        return problems(path)
    finally:
        ROOT = saved
