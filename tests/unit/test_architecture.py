"""Imports go one way: console -> layers -> geo, and data -> geo."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "geo": ("dash", "dash_leaflet", "console", "layers", "data", "fastapi", "flask"),
    "layers": ("psycopg", "psycopg_pool", "console", "data"),
    "data": ("dash", "dash_leaflet", "console", "layers"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_direction(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no python files under {package}/"
    bad = []
    for f in files:
        for mod in imported_modules(f):
            top = mod.split(".")[0]
            if top in FORBIDDEN[package]:
                bad.append(f"{f.relative_to(ROOT)} imports {mod}")
    assert not bad, "\n".join(bad)


def test_checker_sees_violations(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("import dash\nfrom psycopg import sql\nfrom . import y\n")
    assert imported_modules(f) == {"dash", "psycopg"}
