"""The hostile-input corpus (tests/hostile.py) through the real app: every case gets a 4xx,
never a 5xx, and nothing is written."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from fastapi.testclient import TestClient

from geo import tasks
from geo.db import connect, transaction
from tests.db.conftest import make_token
from tests.hostile import Case, corpus, send

SNAPSHOT = (
    "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM incident_events), "
    "(SELECT count(*) FROM unit_positions), (SELECT count(*) FROM dispatches), "
    "(SELECT count(*) FROM audit_log), (SELECT coalesce(sum(done), 0) FROM mass_task_grids), "
    "(SELECT md5(string_agg(status || coalesce(grid_code, ''), ',' ORDER BY id)) FROM incidents), "
    "(SELECT md5(string_agg(status || coalesce(position_time::text, ''), ',' ORDER BY id)) "
    " FROM units)"
)


def snapshot(conninfo: str) -> tuple[object, ...]:
    with psycopg.connect(conninfo) as c:
        return c.execute(SNAPSHOT).fetchone()  # type: ignore[return-value]


@pytest.fixture(scope="module")
def targets(db_conninfo: str, spot) -> tuple[list[Case], dict[str, str]]:  # type: ignore[no-untyped-def]
    with connect(db_conninfo) as c:
        incident = c.execute("SELECT max(id) FROM incidents WHERE status <> 'closed'").fetchone()
        unit = c.execute("SELECT min(id) FROM units WHERE status = 'available'").fetchone()
        community = c.execute("SELECT min(community_code) FROM grids").fetchone()
        soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
        with transaction(c, "supervisor:corpus") as t:
            task, _ = tasks.create(conn=t, title="corpus", target=5, deadline=soon,
                                   admin_codes=[community[0]])  # fmt: skip
    cases = corpus(spot[:2], incident[0], unit[0], task)  # type: ignore[index]
    token = make_token(db_conninfo, "incidents:read", "incidents:write", "units:read",
                       "units:write", "tasks:write", "open311")  # fmt: skip
    return cases, token


def test_the_corpus_is_large_and_varied(targets) -> None:  # type: ignore[no-untyped-def]
    cases, _ = targets
    assert len(cases) >= 200
    assert len({c.name for c in cases}) == len(cases)


def test_every_bad_request_gets_a_4xx_and_writes_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, db_conninfo: str, targets
) -> None:
    cases, token = targets
    wrong: list[str] = []
    for case in cases:
        before = snapshot(db_conninfo)
        r = send(client, case, token)
        if not 400 <= r.status_code < 500:
            wrong.append(f"{case.name}: {r.status_code} {r.text[:120]}")
        elif snapshot(db_conninfo) != before:
            wrong.append(f"{case.name}: {r.status_code} but something was written")
    assert not wrong, f"{len(wrong)} of {len(cases)}:\n" + "\n".join(wrong)
