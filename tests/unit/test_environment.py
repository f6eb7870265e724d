"""environment.yml (conda-forge) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# PyPI name -> conda-forge name where they differ.
CONDA_NAMES = {
    "psycopg[binary]": "psycopg",
    "dash[fastapi]": "dash",
    "uvicorn[standard]": "uvicorn",
    "psycopg-pool": "psycopg-pool",
    "osmium": "pyosmium",
}


def _pins(reqs: list[str]) -> dict[str, str]:
    out = {}
    for r in reqs:
        name, version = re.split(r"==", r)
        out[CONDA_NAMES.get(name, name).lower()] = version
    return out


def test_environment_yml_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _pins(project["dependencies"] + project["optional-dependencies"]["dev"])
    text = (ROOT / "environment.yml").read_text()
    listed = dict(re.findall(r"^\s+- ([a-zA-Z0-9_.\-]+)==([0-9][^\s#]*)", text, re.M))
    listed = {k.lower(): v for k, v in listed.items()}
    assert listed == wanted
    assert re.search(r"^\s+- postgis", text, re.M), "PostGIS must come from conda-forge too"
    assert "conda-forge" in text
