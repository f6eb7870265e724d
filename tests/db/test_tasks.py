"""Mass tasks: created for an area or admin units, progress through the API, late grids."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
import shapely
from starlette.testclient import TestClient

from geo import analytics, tasks
from geo.db import transaction
from geo.errors import Conflict, InvalidInput, NotFound
from tests.db.conftest import make_token

SOON = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)


def community(conn: psycopg.Connection) -> tuple[str, int]:
    row = conn.execute(
        "SELECT community_code, count(*) FROM grids WHERE valid_to IS NULL "
        "GROUP BY 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def test_a_task_for_admin_units_or_an_area(conn: psycopg.Connection) -> None:
    code, n = community(conn)
    with transaction(conn, "supervisor:test") as c:
        task, grids = tasks.create(conn=c, title="Verify returnees", deadline=SOON, target=3,
                                   admin_codes=[code])  # fmt: skip
    assert grids == n
    area = conn.execute(
        "SELECT ST_AsBinary(geom) FROM admin_units WHERE code = %s", (code,)
    ).fetchone()
    with transaction(conn, "supervisor:test") as c:
        _, by_area = tasks.create(conn=c, title="Same, drawn", deadline=SOON, target=1,
                                  area=shapely.from_wkb(area[0]))  # type: ignore[index]  # fmt: skip
    assert by_area == n
    p = tasks.progress(conn=conn, task_id=task)
    assert len(p) == n and tasks.summary(p) == {"grids": n, "complete": 0, "late": 0,
                                                "completion": 0.0}  # fmt: skip


@pytest.mark.parametrize(
    "kw,words",
    [
        ({"title": ""}, "title"),
        ({"deadline": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "future"),
        ({"target": 0}, "target"),
        ({"admin_codes": []}, "Pick the grids"),
        ({"admin_codes": ["999999"]}, "No grid"),
    ],
)
def test_bad_tasks_are_refused(conn: psycopg.Connection, kw: dict, words: str) -> None:  # type: ignore[type-arg]
    code, _ = community(conn)
    args = {"title": "t", "deadline": SOON, "target": 1, "admin_codes": [code]} | kw
    with pytest.raises(InvalidInput, match=words):
        tasks.create(conn=conn, **args)


def test_progress_goes_up_and_late_grids_are_flagged(conn: psycopg.Connection) -> None:
    code, n = community(conn)
    task, _ = tasks.create(conn=conn, title="t", deadline=SOON, target=2, admin_codes=[code])
    grid = tasks.progress(conn=conn, task_id=task)[0].grid_code
    assert tasks.report(conn=conn, task_id=task, grid_code=grid, done=2).share == 1.0
    with pytest.raises(Conflict, match="cannot go down"):
        tasks.report(conn=conn, task_id=task, grid_code=grid, done=1)
    with pytest.raises(NotFound):
        tasks.report(conn=conn, task_id=task, grid_code="000000000000000", done=1)
    # the deadline passes (the first grid had finished five minutes before it)
    conn.execute("UPDATE mass_tasks SET deadline = now() - interval '1 minute' WHERE id = %s",
                 (task,))  # fmt: skip
    conn.execute("UPDATE mass_task_grids SET completed_at = now() - interval '6 minutes' "
                 "WHERE task_id = %s AND grid_code = %s", (task, grid))  # fmt: skip
    s = tasks.summary(tasks.progress(conn=conn, task_id=task))
    assert s["complete"] == 1 and s["late"] == n - 1
    # a grid that reaches its target after the deadline is done, and stays late
    other = tasks.progress(conn=conn, task_id=task)[1].grid_code
    assert tasks.report(conn=conn, task_id=task, grid_code=other, done=2).late
    s = tasks.summary(tasks.progress(conn=conn, task_id=task))
    assert s["complete"] == 2 and s["late"] == n - 1
    listed = next(t for t in tasks.listing(conn=conn) if t.id == task)
    assert (listed.grids, listed.complete, listed.late, listed.kind) == (n, 2, n - 1, "check")
    assert listed.completion == pytest.approx(4 / (2 * n))


def test_a_hotspot_becomes_a_patrol_task_for_the_grids_that_cover_it(
    conn: psycopg.Connection,
) -> None:
    import h3

    lng, lat, code = conn.execute(
        "SELECT ST_X(c), ST_Y(c), code FROM (SELECT ST_PointOnSurface(geom) c, code FROM grids "
        "WHERE valid_to IS NULL ORDER BY code LIMIT 1) g"
    ).fetchone()  # type: ignore[misc]
    cell = h3.str_to_int(h3.latlng_to_cell(lat, lng, 9))
    task, n = tasks.from_cells(conn=conn, cells=[cell], title="Patrol", deadline=SOON, target=2)
    covering = conn.execute(
        "SELECT count(*) FROM grids WHERE valid_to IS NULL AND ST_Intersects(geom, ST_SetSRID("
        "ST_MakePolygon(ST_MakeLine(ARRAY(SELECT ST_MakePoint(x, y) FROM "
        "unnest(%s::float8[], %s::float8[]) AS t(x, y)))), 4326))",
        ([p[0] for p in analytics.ring(cell)], [p[1] for p in analytics.ring(cell)]),
    ).fetchone()[0]  # type: ignore[index]
    codes = {p.grid_code for p in tasks.progress(conn=conn, task_id=task)}
    assert code in codes and n == len(codes) == covering >= 1
    assert next(t for t in tasks.listing(conn=conn) if t.id == task).kind == "patrol"
    for bad in ([], [12345], [2**70]):
        with pytest.raises(InvalidInput):
            tasks.from_cells(conn=conn, cells=bad, title="t", deadline=SOON, target=1)


def test_progress_through_the_api(client: TestClient, db_conninfo: str) -> None:
    with psycopg.connect(db_conninfo) as c:
        code, _ = community(c)
        with transaction(c, "supervisor:test") as t:
            task, _ = tasks.create(conn=t, title="api", deadline=SOON, target=4, admin_codes=[code])
        grid = tasks.progress(conn=c, task_id=task)[0].grid_code
    writer = make_token(db_conninfo, "tasks:write")
    r = client.post(f"/api/v1/tasks/{task}/progress", json={"grid": grid, "done": 3},
                    headers=writer)  # fmt: skip
    assert r.status_code == 200 and r.json() == {"task": task, "grid": grid, "target": 4,
                                                 "done": 3, "late": False}  # fmt: skip
    assert client.post(f"/api/v1/tasks/{task}/progress", json={"grid": grid, "done": 1},
                       headers=writer).status_code == 409  # fmt: skip
    bad = client.post(f"/api/v1/tasks/{task}/progress", json={"grid": "x", "done": 1},
                      headers=writer)  # fmt: skip
    assert bad.status_code in (400, 422)
    over = client.post(f"/api/v1/tasks/{task}/progress", json={"grid": grid, "done": 5},
                       headers=writer)  # fmt: skip
    assert over.status_code == 400 and "target of 4" in over.json()["error"]
    with psycopg.connect(db_conninfo) as c:
        assert tasks.progress(conn=c, task_id=task)[0].done == 3  # nothing written
    reader = make_token(db_conninfo, "incidents:read")
    assert client.post(f"/api/v1/tasks/{task}/progress", json={"grid": grid, "done": 4},
                       headers=reader).status_code == 403  # fmt: skip
