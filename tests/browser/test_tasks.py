"""Mass tasks in real Chromium: send a task to admin units and to a drawn area, grid workers
report through the API, the map's progress and late grids follow."""

from __future__ import annotations

import re

import psycopg

from tests.db.conftest import make_token


def progress(page) -> str:  # type: ignore[no-untyped-def]
    return page.inner_text("#task-progress")


def send(page, title: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    page.fill("#task-title", title)
    page.fill("#task-instructions", "Verify the returnees <script>alert(1)</script>")
    page.click("#task-create")
    page.wait_for_selector("#task-made:has-text('sent to')", timeout=20_000)
    m = re.search(r"Task #(\d+) sent to (\d+) grids", page.inner_text("#task-made"))
    assert m, page.inner_text("#task-made")
    return int(m.group(1)), int(m.group(2))


def test_send_a_task_watch_progress_and_late_grids(  # type: ignore[no-untyped-def]
    page, console_url: str, db_conninfo: str
) -> None:
    with psycopg.connect(db_conninfo) as c:
        code, name, n = c.execute(
            "SELECT a.code, a.name, count(*) FROM admin_units a JOIN grids g "
            "ON g.community_code = a.code AND g.valid_to IS NULL "
            "WHERE a.level = 'community' GROUP BY 1, 2 HAVING count(*) >= 2 ORDER BY 1 LIMIT 1"
        ).fetchone()  # type: ignore[misc]
    page.goto(f"{console_url}/tasks?lang=en")
    page.wait_for_selector("#task-summary:has-text('Pick a task')", timeout=30_000)
    # By admin unit: pick the community in the list.
    page.locator("#task-units").click()
    page.keyboard.type(name)
    page.get_by_role("option", name=re.compile(re.escape(name))).first.click()
    page.keyboard.press("Escape")
    page.fill("#task-target", "2")
    task, grids = send(page, "Verify returnees")
    assert grids == n
    page.wait_for_selector(f"#task-progress:has-text('0/{n} grids complete')", timeout=20_000)
    assert "<script>" in page.inner_text("#task-summary")  # shown as text, never run
    # A grid worker reports through the API; the page follows within its refresh.
    with psycopg.connect(db_conninfo) as c:
        first = c.execute(
            "SELECT grid_code FROM mass_task_grids WHERE task_id = %s ORDER BY 1 LIMIT 1", (task,)
        ).fetchone()[0]  # type: ignore[index]
    r = page.request.post(f"{console_url}/api/v1/tasks/{task}/progress",
                          data={"grid": first, "done": 2},
                          headers=make_token(db_conninfo, "tasks:write"))  # fmt: skip
    assert r.status == 200, r.text()
    page.wait_for_selector(f"#task-progress:has-text('1/{n} grids complete')", timeout=20_000)
    # The deadline passes: the unfinished grids are late and listed.
    with psycopg.connect(db_conninfo) as c:
        c.execute("UPDATE mass_tasks SET deadline = now() - interval '1 minute' WHERE id = %s",
                  (task,))  # fmt: skip
        c.execute("UPDATE mass_task_grids SET completed_at = now() - interval '2 minutes' "
                  "WHERE task_id = %s AND grid_code = %s", (task, first))  # fmt: skip
    page.wait_for_selector(f"#task-progress:has-text('{n - 1} late')", timeout=20_000)
    assert page.locator("#task-late li").count() == n - 1
    assert first not in page.inner_text("#task-late")


def test_a_task_for_a_drawn_area(page, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{console_url}/tasks?lang=en")
    page.wait_for_selector("#task-summary:has-text('Pick a task')", timeout=30_000)
    box = page.locator("#map").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.45
    page.click(".leaflet-draw-draw-rectangle")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y + 20, steps=4)
    page.mouse.move(x + 120, y + 80, steps=8)
    page.mouse.up()
    page.wait_for_selector("#task-area:has-text('1 area(s) drawn')", timeout=20_000)
    page.fill("#task-minutes", "120")
    task, grids = send(page, "Check the drawn blocks")
    assert grids >= 1
    with psycopg.connect(db_conninfo) as c:
        row = c.execute(
            "SELECT count(*), min(target) FROM mass_task_grids WHERE task_id = %s", (task,)
        ).fetchone()
        kind, mins = c.execute(
            "SELECT kind, extract(epoch FROM deadline - created_at) / 60 FROM mass_tasks "
            "WHERE id = %s",
            (task,),
        ).fetchone()  # type: ignore[misc]
    assert row == (grids, 1) and kind == "check" and 119 <= mins <= 121
    # The new task is picked and listed.
    page.wait_for_selector(f"#task-progress:has-text('0/{grids} grids complete')", timeout=20_000)
    assert f"#{task}" in page.inner_text("#task-pick")
