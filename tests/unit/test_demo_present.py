"""The demo's present: a live shift on a settled year (data/demo/_present.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from data.demo import generate
from geo.incidents import is_overdue
from tests.conftest import TEST_NOW

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 on a Monday in Zhuzhou


@pytest.fixture(scope="module")
def city():  # type: ignore[no-untyped-def]
    return generate("city", 20261122, NOW)


def _overdue(cases: pd.DataFrame, now: dt.datetime) -> int:
    rows = cases.astype(object).where(cases.notna(), None).to_dict("records")
    return sum(is_overdue(r, pd.Timestamp(now)) for r in rows)


def test_the_city_opens_at_a_live_shift(city) -> None:  # type: ignore[no-untyped-def]
    inc = city.incidents
    live = inc[inc["status"] != "closed"]
    assert 25 <= len(live) <= 45
    assert set(live["status"]) == {"reported", "dispatched", "accepted", "on_scene", "resolved"}
    new = live[live["claimed_at"].isna()]
    assert 1 <= len(new) <= 5 and (live["status"] == "reported").sum() > len(new)
    assert (pd.Timestamp(NOW) - new["reported_at"]).max() < pd.Timedelta(minutes=5)
    assert 3 <= _overdue(live, NOW) <= 8
    waiting = live[live["status"] == "resolved"]
    assert (waiting["close_due"] > pd.Timestamp(NOW)).sum() >= len(waiting) - 1
    # the history is settled: closed, claimed before the dispatch, reported back by the end
    old = inc[inc["status"] == "closed"]
    assert old[["claimed_at", "dispatched_at", "on_scene_at", "resolved_at"]].notna().all().all()
    assert (old["closed_at"] <= pd.Timestamp(NOW)).all()
    sent = inc[inc["dispatched_at"].notna()]
    assert (sent["claimed_at"] <= sent["dispatched_at"]).all()
    assert (sent["claimed_by"] == "operator").all()
    done = inc[inc["resolved_at"].notna()]
    assert (done["field_report_at"] <= done["resolved_at"]).all()
    quick = inc["arrive_due"].notna() & inc["on_scene_at"].notna()
    assert (inc.loc[quick, "report_due"] == inc.loc[quick, "on_scene_at"]
            + pd.Timedelta(minutes=10)).all()  # fmt: skip


def test_busy_units_are_the_live_cases_own(city) -> None:  # type: ignore[no-untyped-def]
    units, d, inc = city.units, city.dispatches, city.incidents.set_index("id")
    open_d = d[d["released_at"].isna()]
    busy = units[units["status"].isin(["dispatched", "en_route", "on_scene"])]
    assert sorted(busy["id"]) == sorted(open_d["unit_id"]) and open_d["unit_id"].is_unique
    step = {"dispatched": "dispatched", "accepted": "en_route", "on_scene": "on_scene"}
    status = units.set_index("id")["status"]
    for _, row in open_d.iterrows():
        assert step[inc.loc[row["incident_id"], "status"]] == status[row["unit_id"]]
    active = inc[inc["status"].isin(list(step))]
    assert set(active.index) == set(open_d["incident_id"])
    age = pd.Timestamp(NOW) - units["position_time"]
    assert age.max() <= pd.Timedelta(minutes=4) and age.min() >= pd.Timedelta(0)


def test_the_tiny_city_has_a_small_shift() -> None:
    tiny = generate("tiny", 7, TEST_NOW)
    live = tiny.incidents[tiny.incidents["status"] != "closed"]
    assert 5 <= len(live) <= 12 and _overdue(live, TEST_NOW) >= 1
    actions = set(tiny.incident_events["action"])
    assert actions == {"create", "claim", "status", "field_report"}
