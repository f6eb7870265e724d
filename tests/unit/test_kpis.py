"""KPI maths on a hand-checked fixture of five cases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo import kpis

T0 = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=5)


def at(minutes: float | None) -> pd.Timestamp | None:
    return None if minutes is None else pd.Timestamp(T0 + dt.timedelta(minutes=minutes))


def case(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {c: None for c in kpis.COLUMNS}
    base |= {
        "reported_at": at(0),
        "status": "reported",
        "overdue": False,
        "path": "430200.430202.430202001.430202001001",
        "grid_code": "430202001001001",
    }
    return base | kw


FIXTURE = pd.DataFrame(
    [
        # 1: quick case, all on time, closed on time, rated 5
        case(
            status="closed",
            accepted_at=at(0.5),
            respond_due=at(1),
            on_scene_at=at(4),
            arrive_due=at(5),
            resolved_at=at(9),
            report_due=at(10),
            closed_at=at(60),
            close_due=at(1440),
            satisfaction=5,
        ),
        # 2: quick case, accepted late (2 min), arrived late (7), closed late, rated 2
        case(
            status="closed",
            accepted_at=at(2),
            respond_due=at(1),
            on_scene_at=at(7),
            arrive_due=at(5),
            resolved_at=at(20),
            report_due=at(10),
            closed_at=at(2000),
            close_due=at(1440),
            satisfaction=2,
        ),
        # 3: open, never accepted, respond deadline passed: a miss; close due passed: due
        case(status="reported", respond_due=at(1), close_due=at(1440), overdue=True),
        # 4: open, close due in the future: not due yet; accepted in 30 s
        case(
            status="accepted",
            accepted_at=at(0.5),
            respond_due=at(1),
            close_due=at(20000),
            path="430200.430203.430203001.430203001001",
            grid_code="430203001001001",
        ),
        # 5: ordinary case closed on time, no quick-response deadlines
        case(
            status="closed",
            accepted_at=at(10),
            resolved_at=at(100),
            closed_at=at(200),
            close_due=at(1440),
            path="430200.430203.430203001.430203001001",
            grid_code="430203001001001",
        ),
    ]
)
for col in ("reported_at", "closed_at", "close_due", "accepted_at", "respond_due", "on_scene_at",
            "arrive_due", "resolved_at", "report_due"):  # fmt: skip
    FIXTURE[col] = pd.to_datetime(FIXTURE[col], utc=True)
FIXTURE["satisfaction"] = pd.to_numeric(FIXTURE["satisfaction"])


def test_counts_and_rates() -> None:
    k = kpis.compute(FIXTURE, NOW)
    assert (k.reported, k.closed) == (5, 3)
    assert k.closure_rate == pytest.approx(60.0)
    assert (k.due, k.on_time) == (4, 2)  # 1, 2, 3 and 5 are due; 1 and 5 on time
    assert k.on_time_rate == pytest.approx(50.0)
    assert k.overdue == 1
    assert (k.satisfaction, k.rated) == (pytest.approx(3.5), 2)


def test_times_and_sla_shares() -> None:
    k = kpis.compute(FIXTURE, NOW)
    # respond: accepted after 30 s, 120 s, 30 s, 600 s; settled deadlines: 1 met, 2 missed,
    # 3 missed (passed, never accepted), 4 met
    assert k.respond.n == 4
    assert k.respond.p50_s == pytest.approx(75.0)
    assert k.respond.within_pct == pytest.approx(50.0)
    assert k.arrive.n == 2 and k.arrive.within_pct == pytest.approx(50.0)
    assert k.arrive.p50_s == pytest.approx(330.0)
    assert k.report.n == 3 and k.report.within_pct == pytest.approx(50.0)


def test_by_admin_level_and_grid() -> None:
    districts = kpis.by(FIXTURE, kpis.admin_key(FIXTURE, 1), NOW)
    assert set(districts) == {"430200.430202", "430200.430203"}
    assert districts["430200.430202"].reported == 3
    assert districts["430200.430203"].closure_rate == pytest.approx(50.0)
    grids = kpis.by(FIXTURE, kpis.admin_key(FIXTURE, 4), NOW)
    assert grids["430203001001001"].closed == 1


def test_an_empty_window_has_no_rates() -> None:
    k = kpis.compute(FIXTURE.iloc[0:0], NOW)
    assert k.reported == 0 and k.closure_rate is None and k.respond.p50_s is None


def test_assessment_scores_by_the_weighted_formula() -> None:
    f = FIXTURE.assign(
        worker=["W1", "W1", "W1", "W2", "W2"],
        platform=["P1", "P1", "P2", "P2", None],
        source=["grid_worker", "sensor", "operator", "sensor", "operator"],
    )
    a = kpis.assessment(f, "worker", NOW)
    assert list(a["worker"]) == ["W2", "W1"] and list(a["rank"]) == [1, 2]
    w1 = a.set_index("worker").loc["W1"]
    assert w1["closure"] == pytest.approx(200 / 3) and w1["on_time"] == pytest.approx(100 / 3)
    assert w1["satisfaction"] == pytest.approx(62.5) and w1["reports"] == pytest.approx(100)
    assert w1["score"] == pytest.approx(62.5)
    # W2 has no rating: its score is the mean of the other terms by their weights
    assert a.set_index("worker").loc["W2", "score"] == pytest.approx(68.75)
    platforms = kpis.assessment(f, "platform", NOW, kpis.parse_weights("closure=1,on_time=1"))
    assert set(platforms["platform"]) == {"P1", "P2"} and platforms["reports"].isna().all()
    with pytest.raises(kpis.InvalidInput, match="Unknown"):
        kpis.parse_weights("speed=3")


@pytest.mark.parametrize("level", [1, 4])
def test_table_agrees_with_the_per_group_kpis(level: int) -> None:
    key = kpis.admin_key(FIXTURE, level)
    t = kpis.table(FIXTURE, key, NOW)
    per = kpis.by(FIXTURE, key, NOW)
    assert list(t.index) == sorted(per, key=lambda k: -per[k].reported)
    for k, row in t.iterrows():
        want = per[str(k)]
        assert row["reported"] == want.reported and row["closed"] == want.closed
        assert row["overdue"] == want.overdue
        for col, value in (("closure", want.closure_rate), ("on_time", want.on_time_rate),
                           ("respond_within", want.respond.within_pct),
                           ("arrive_within", want.arrive.within_pct),
                           ("respond_p50_s", want.respond.p50_s),
                           ("arrive_p50_s", want.arrive.p50_s),
                           ("satisfaction", want.satisfaction)):  # fmt: skip
            if value is None:
                assert pd.isna(row[col]), (k, col)
            else:
                assert row[col] == pytest.approx(value), (k, col)


def test_group_by_unit_and_department_leaves_out_cases_without_one() -> None:
    f = FIXTURE.assign(unit=["C1", "C1", None, "F1", None],
                       department=["police", "police", None, "fire", None])  # fmt: skip
    t = kpis.table(f, kpis.group_key(f, "department"), NOW)
    assert dict(t["reported"]) == {"police": 2, "fire": 1}
    assert t.loc["police", "closure"] == pytest.approx(100.0)
    with pytest.raises(kpis.InvalidInput):
        kpis.group_key(f, "planet")


def test_trend_by_day_and_hour() -> None:
    f = FIXTURE.assign(reported_at=[at(0), at(30), at(60 * 20), at(60 * 20), at(60 * 30)])
    daily = kpis.trend(f, NOW, "D", tz="UTC")
    # T0 is 08:00 UTC: 0 and 30 min on day 1, 20 h later is day 2 (04:00), 30 h is day 2 too
    assert list(daily["reported"]) == [2, 3]
    assert daily["reported"].sum() == len(f)
    assert list(daily["closed"]) == [2, 1]
    assert daily["on_time"].iloc[0] == pytest.approx(50.0)
    hourly = kpis.trend(f, NOW, "h", tz="UTC")
    assert list(hourly["reported"]) == [2, 2, 1]
    with pytest.raises(kpis.InvalidInput):
        kpis.trend(f, NOW, "W")
