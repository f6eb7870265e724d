"""The closed loop, SLA clocks and escalation as pure rules (a fake clock, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.errors import Conflict, InvalidInput
from geo.incidents import (
    Policy,
    check_transition,
    current_deadline,
    deadlines,
    escalation_target,
)
from geo.units import check_unit_transition

T0 = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)
QUICK = Policy(quick=True, respond_s=60, arrive_s=300, report_s=600, close_s=86400)
SLOW = Policy(quick=False, respond_s=1800, arrive_s=None, report_s=None, close_s=259200)


@pytest.mark.parametrize(
    "path",
    [
        ["reported", "dispatched", "accepted", "on_scene", "resolved", "closed"],
        ["reported", "dispatched", "on_scene", "resolved", "on_scene", "resolved", "closed"],
        ["reported", "dispatched", "reported", "dispatched"],
        ["closed", "reported"],
    ],
)
def test_allowed_paths(path: list[str]) -> None:
    for a, b in zip(path, path[1:], strict=False):
        check_transition(a, b)


@pytest.mark.parametrize(
    "a,b",
    [
        ("reported", "resolved"),
        ("reported", "closed"),
        ("on_scene", "closed"),
        ("closed", "resolved"),
        ("resolved", "dispatched"),
    ],
)
def test_forbidden_moves(a: str, b: str) -> None:
    with pytest.raises(Conflict):
        check_transition(a, b)
    with pytest.raises(InvalidInput):
        check_transition(a, "teleported")


def test_quick_response_clock() -> None:
    """The seed's three clocks: respond 1 min and arrive 5 min after the report, report back
    10 min after the arrival (no report-back clock before anyone is there)."""
    assert deadlines(QUICK, T0)["report_due"] is None
    arrived = T0 + dt.timedelta(minutes=4)
    due = deadlines(QUICK, T0, arrived)
    assert due["respond_due"] == T0 + dt.timedelta(minutes=1)
    assert due["arrive_due"] == T0 + dt.timedelta(minutes=5)
    assert due["report_due"] == arrived + dt.timedelta(minutes=10)
    row = {**due, "status": "reported"}
    assert current_deadline(row) == ("respond_due", due["respond_due"])
    # claiming stops the respond clock: a claimed case works against its arrival
    claimed = {**row, "claimed_at": T0 + dt.timedelta(seconds=30)}
    assert current_deadline(claimed) == ("arrive_due", due["arrive_due"])
    assert current_deadline({**row, "status": "dispatched"}) == ("arrive_due", due["arrive_due"])
    assert current_deadline({**row, "status": "on_scene"}) == ("report_due", due["report_due"])
    reported = {**row, "status": "on_scene", "field_report_at": T0}  # the report stops it
    assert current_deadline(reported) == ("close_due", due["close_due"])
    assert current_deadline({**row, "status": "resolved"}) == ("close_due", due["close_due"])
    assert current_deadline({**row, "status": "closed"}) is None


def test_slow_case_clock_falls_back_to_closing() -> None:
    due = deadlines(SLOW, T0)
    assert due["arrive_due"] is None
    row = {**due, "status": "dispatched"}
    assert current_deadline(row) == ("close_due", T0 + dt.timedelta(days=3))


def test_escalation_ladder_with_a_fake_clock() -> None:
    steps = (300, 900, 1800)
    row = {"status": "reported", "reported_at": T0, "accepted_at": None, "escalation_level": "grid"}
    at = lambda minutes: T0 + dt.timedelta(minutes=minutes)  # noqa: E731 - a one-line helper
    assert escalation_target(row, at(4), steps) == "grid"
    assert escalation_target(row, at(5), steps) == "community"
    assert escalation_target(row, at(16), steps) == "street"
    assert escalation_target(row, at(31), steps) == "district"
    assert escalation_target(row, at(600), steps) == "district"
    # Accepted cases stop climbing; a level once reached is never lowered.
    assert escalation_target({**row, "accepted_at": at(1)}, at(60), steps) == "grid"
    assert escalation_target({**row, "escalation_level": "street"}, at(6), steps) == "street"


@pytest.mark.parametrize(
    "a,b,ok",
    [
        ("dispatched", "en_route", True),
        ("en_route", "on_scene", True),
        ("on_scene", "returning", True),
        ("returning", "available", True),
        ("available", "off_duty", True),
        ("off_duty", "available", True),
        ("available", "on_scene", False),
        ("off_duty", "dispatched", False),
        ("returning", "on_scene", False),
        ("available", "dispatched", False),
    ],
)
def test_unit_status_model(a: str, b: str, ok: bool) -> None:
    if ok:
        check_unit_transition(a, b)
    else:
        with pytest.raises(Conflict):
            check_unit_transition(a, b)
