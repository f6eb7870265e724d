from __future__ import annotations

from pathlib import Path

import pytest

from console import settings as s

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_environment() -> None:
    cfg = s.load({"GD_PORT": "9001", "GD_LANG": "en", "DATABASE_URL": "postgresql://x/y"})
    assert cfg.port == 9001 and cfg.lang == "en"
    assert not cfg.embedded
    assert s.load({}).embedded


@pytest.mark.parametrize(
    "env",
    [{"GD_PORT": "abc"}, {"GD_LANG": "fr"}, {"GD_DEMO_SIZE": "huge"}],
)
def test_bad_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(s.SettingsError):
        s.load(env)


def test_routing_settings() -> None:
    cfg = s.routing_config(
        s.load({"GD_ROUTING_RES": "11", "GD_ROUTING_SPEEDS": '{"car": {"primary": 55}}'})
    )
    assert cfg.res == 11 and cfg.speeds["car"]["primary"] == 55
    assert cfg.speeds["car"]["secondary"] == 34  # untouched defaults stay
    for bad in ('{"boat": {}}', '{"car": {"primary": -1}}', "not json", "[1]"):
        with pytest.raises(s.SettingsError):
            s.load({"GD_ROUTING_SPEEDS": bad})


def test_readme_settings_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert s.markdown_table() in readme, "regenerate with: python -m console settings-table"


def test_every_setting_is_documented() -> None:
    table = s.markdown_table()
    for f in s.fields(s.Settings):
        assert f"`{f.metadata['env']}`" in table
        assert len(f.metadata["help"]) > 10


def test_dispatch_settings_defaults() -> None:
    cfg = s.load({})
    assert (cfg.boundary_m, cfg.duplicate_m, cfg.duplicate_min) == (30, 200, 60)
    assert cfg.escalation_every_s == 30 and cfg.photo_max_kb == 5120
    assert s.escalation_steps_s(cfg) == (300, 900, 1800)


@pytest.mark.parametrize(
    "text,steps",
    [("5,15,30", (300, 900, 1800)), (" 2 , 4 ", (120, 240)), ("10", (600,))],
)
def test_escalation_steps(text: str, steps: tuple[int, ...]) -> None:
    assert s.escalation_steps_s(s.load({"GD_ESCALATION_MIN": text})) == steps


@pytest.mark.parametrize(
    "env",
    [
        {"GD_ESCALATION_MIN": "5,15,30,60"},
        {"GD_ESCALATION_MIN": "15,5"},
        {"GD_ESCALATION_MIN": "5,5"},
        {"GD_ESCALATION_MIN": "0,5"},
        {"GD_ESCALATION_MIN": "-5,10"},
        {"GD_ESCALATION_MIN": "5,,30"},
        {"GD_ESCALATION_MIN": "5.5"},
        {"GD_ESCALATION_MIN": "five"},
        {"GD_ESCALATION_MIN": "５"},
        {"GD_ESCALATION_EVERY_S": "-1"},
        {"GD_PHOTO_MAX_KB": "0"},
        {"GD_BOUNDARY_M": "-3"},
        {"GD_DUPLICATE_M": "x"},
    ],
)
def test_bad_dispatch_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(s.SettingsError):
        s.load(env)


def test_assessment_weights_must_parse() -> None:
    with pytest.raises(s.SettingsError, match="GD_ASSESSMENT_WEIGHTS"):
        s.load({"GD_ASSESSMENT_WEIGHTS": "closure=abc"})
    assert s.load({"GD_ASSESSMENT_WEIGHTS": "closure=1"}).assessment_weights == "closure=1"
