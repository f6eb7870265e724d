"""GD_TZ: one display zone, checked at start, used by the console's one time formatter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from console import settings as s
from console.pages import clock

T = dt.datetime(2026, 11, 22, 2, 5, 9, tzinfo=dt.UTC)


@pytest.fixture()
def zone() -> Iterator[None]:
    yield
    clock.use(clock.DEFAULT)


def test_default_zone_and_bad_zones_refused() -> None:
    assert s.load({}).tz == "Asia/Shanghai"
    assert s.load({"GD_TZ": "Asia/Urumqi"}).tz == "Asia/Urumqi"
    for bad in ("Mars/Olympus", "../../etc/passwd", "+08:00", "asia/shanghai"):
        with pytest.raises(s.SettingsError, match="GD_TZ"):
            s.load({"GD_TZ": bad})


def test_show_iso_and_local_follow_the_zone(zone: None) -> None:
    assert clock.show(T) == "2026-11-22 10:05"
    assert clock.show(T.replace(tzinfo=None), "%H:%M:%S") == "10:05:09"  # naive: UTC
    assert clock.show(None) == "–"
    assert clock.iso(T) == "2026-11-22T10:05:09+08:00"
    assert clock.local("2026-11-22T10:05") == dt.datetime(2026, 11, 22, 2, 5, tzinfo=dt.UTC)
    clock.use("UTC")
    assert clock.name() == "UTC"
    assert clock.show(T, "%H:%M") == "02:05"
    assert clock.iso(T) == "2026-11-22T02:05:09+00:00"
    assert clock.local("2026-11-22T10:05+08:00") == T.replace(second=0)
    with pytest.raises(ValueError):
        clock.local("yesterday")
