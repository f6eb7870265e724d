"""The README tells the truth where a test can tell (datasette's way): the API scopes, the
command line, the make targets and the layout it names exist, and nothing exists that it
leaves out. (The settings table and the figures table have tests of their own.)"""

from __future__ import annotations

import re
from pathlib import Path

from console.__main__ import parser
from geo.access import tokens

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_every_scope_and_only_those() -> None:
    listed = re.search(r"^Scopes: (.+?)\. Bad input", section("Integration API"), re.M | re.S)
    assert listed, "the Integration API section has no 'Scopes:' sentence"
    named = re.findall(r"`([a-z0-9:]+)`", listed.group(1))
    assert sorted(named) == sorted(tokens.SCOPES)


def test_every_cli_command_is_named() -> None:
    sub = next(a for a in parser()._actions if a.dest == "command")  # noqa: SLF001 - argparse's
    commands = set(sub.choices)
    named = set(re.findall(r"python -m console ([a-z-]+)", README))
    assert named <= commands, f"the README names commands that do not exist: {named - commands}"
    layout = re.search(r"python -m console ([a-z|-]+)\)", section("Layout"))
    assert layout and set(layout.group(1).split("|")) == commands


def test_every_make_target_is_named() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = set(re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split())  # type: ignore[union-attr]
    internal = {"sysdeps", "browserdeps", "venv"}
    named = set(re.findall(r"`make ([a-z]+)", README))
    assert named <= phony, named - phony
    assert phony - internal <= named, f"targets the README leaves out: {phony - internal - named}"


def test_the_layout_names_real_paths() -> None:
    block = section("Layout").split("```")[1]
    tops = re.findall(r"^([a-z]+)/ ", block, re.M)
    assert set(tops) == {"console", "layers", "geo", "data", "tests"}
    files = {p.name for p in ROOT.glob("[cgldt]*/**/*.py")}
    named = set(re.findall(r"\b([a-z_0-9]+\.py)\b", block))
    assert named <= files, f"the layout names files that do not exist: {named - files}"
    rooms = {d.name + "/" for d in (ROOT / "console").iterdir() if d.is_dir()} - {"__pycache__/"}
    assert rooms <= set(re.findall(r"\b([a-z0-9_]+/)", block)), rooms
    for path in re.findall(r"`((?:console|geo|layers|data|tests)/[a-z_/]+\.py)`", README):
        assert (ROOT / path).exists(), f"the README names {path}, which does not exist"
    assert "../shared" not in README, "the README links outside the repository"
