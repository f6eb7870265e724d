"""Imports go one way: console -> layers -> geo, and data -> geo; console's rooms keep to
their jobs (pages and APIs never touch the database driver, and no SQL is written in
console/)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "geo": ("dash", "dash_leaflet", "console", "layers", "data", "fastapi", "flask"),
    "layers": ("psycopg", "psycopg_pool", "console", "data"),
    "data": ("dash", "dash_leaflet", "console", "layers"),
    "console/pages": ("psycopg", "psycopg_pool"),
    "console/api": ("psycopg", "psycopg_pool"),
}
ROOMS = ("console/server", "console/api", "console/pages")
SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\b.+\bSET|DELETE\s+FROM)\b", re.S)


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


def sql_strings(path: Path) -> list[str]:
    """String constants of ``path`` that read like SQL statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = (n.value for n in ast.walk(tree) if isinstance(n, ast.Constant))
    return [v[:60] for v in found if isinstance(v, str) and SQL.search(v)]


def test_no_sql_in_console() -> None:
    bad = [f"{f.relative_to(ROOT)}: {q!r}" for f in sorted((ROOT / "console").rglob("*.py"))
           for q in sql_strings(f)]  # fmt: skip
    assert not bad, "SQL belongs in geo/:\n" + "\n".join(bad)


def test_console_has_its_three_rooms_and_entry_points_on_top() -> None:
    top = {p.name for p in (ROOT / "console").glob("*.py")}
    assert top == {"__init__.py", "__main__.py", "app.py", "asgi.py", "settings.py",
                   "worker.py"}  # the Celery worker's entry point (GD_JOBS=redis://)
    assert (ROOT / "console" / "i18n" / "__init__.py").exists()
    for room in ROOMS:
        assert (ROOT / room / "__init__.py").exists(), room


def test_checker_sees_sql(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text('q = "SELECT a FROM b"\nt = "select the unit"\nu = "UPDATE units SET x = 1"\n')
    assert sql_strings(f) == ["SELECT a FROM b", "UPDATE units SET x = 1"]
