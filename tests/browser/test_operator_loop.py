"""An operator's shift in real Chromium, in Chinese, on a database of its own: a new red case
among 300 old overdue ones is on top; a fire's response plan goes out with one key; two desks
claim the same case and one wins; a case is found by its number; a reload and a language
switch keep the selection; a photo upload keeps the note being typed."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from console.server.auth import COOKIE
from geo import intake, units
from geo.db import transaction
from tests._auth import session_for
from tests.browser.conftest import free_port, start_console
from tests.conftest import fresh_database

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def shift_db(cluster, tiny_city, db_conninfo: str) -> str:  # type: ignore[no-untyped-def]
    """A database of its own: these tests add hundreds of cases and send units for good."""
    if cluster is None:
        return db_conninfo
    from data.demo.load import load
    from geo.db import connect

    conninfo = fresh_database(cluster, "griddispatch_test_shift")
    with connect(conninfo) as conn:
        load(conn, tiny_city)
    return conninfo


@pytest.fixture(scope="module")
def shift_url(shift_db: str) -> Iterator[str]:
    port = free_port()
    proc = start_console(shift_db, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def desk(browser, url: str, conninfo: str, user: str, size=(1366, 768)):  # type: ignore[no-untyped-def]
    """A page of ``user``'s dispatch desk (an operator), in Chinese."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    ctx.add_cookies([{"name": COOKIE, "value": session_for(conninfo, user, "operator"),
                      "url": url}])  # fmt: skip
    page = ctx.new_page()
    return ctx, page


def open_case(conninfo: str, category: str, offset: int = 0, **extra: Any) -> dict[str, Any]:
    """A case from the 110/119 feed at a grid's inner point (the ``offset``-th grid)."""
    with psycopg.connect(conninfo) as c, transaction(c, "api:feed", scope="all",
                                                     role="system") as t:  # fmt: skip
        lon, lat = t.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT id, ST_PointOnSurface(geom) p FROM grids "
            "WHERE valid_to IS NULL) g ORDER BY id LIMIT 1 OFFSET %(o)s",
            {"o": offset},
        ).fetchone()
        row, _ = intake.open_case(
            conn=t,
            report=intake.Report(category=category, priority=extra.pop("priority", None),
                                 source="transfer_110", lon=lon, lat=lat, **extra),
            boundary_m=30,
        )  # fmt: skip
    return dict(row)


def test_new_red_case_tops_300_old_overdue_ones(browser, shift_url: str, shift_db: str) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(shift_db) as c:  # 300 open cases a month old and long out of time
        c.execute(
            "INSERT INTO incidents (number, reported_at, source, category, class, priority, "
            " geom, h3, grid_id, grid_code, path, status, respond_due, close_due, claimed_by, "
            " claimed_at) "
            "SELECT 'OLD' || lpad(g::text, 6, '0'), now() - interval '30 days', source, "
            " category, class, (ARRAY['red', 'yellow', 'blue'])[1 + g % 3], geom, h3, grid_id,"
            " grid_code, path, 'reported', now() - interval '30 days' + interval '1 minute',"
            " now() - interval '29 days', CASE WHEN g % 2 = 0 THEN 'user:old' END,"
            " CASE WHEN g % 2 = 0 THEN now() - interval '30 days' END "
            "FROM generate_series(1, 300) g, (SELECT * FROM incidents LIMIT 1) i"
        )
    ctx, page = desk(browser, shift_url, shift_db, "op_queue")
    try:
        page.goto(f"{shift_url}/dispatch")
        page.locator("#queue-count", has_text="挂单 3").wait_for(timeout=30_000)  # 300+
        assert page.locator(".gd-qitem[data-band=overdue]").count() == 0  # apart, on demand
        case = open_case(shift_db, "criminal_case", offset=3, description="持刀威胁")
        assert case["priority"] == "red"  # the category's default
        first = page.locator("#queue-list .gd-qitem").first
        page.wait_for_function(
            "id => { const c = document.querySelector('#queue-list .gd-qitem');"
            " return c && c.getAttribute('data-id') === String(id); }",
            arg=case["id"],
            timeout=15_000,
        )
        assert first.get_attribute("data-band") == "new"
        assert page.locator(".gd-qband-new").inner_text().startswith("待签收")
        assert page.evaluate("window.griddispatchAlerts") >= 1  # the alert went off
        page.locator("#queue-show-overdue input").check()
        page.locator(".gd-qitem[data-band=overdue]").first.wait_for(timeout=15_000)
        assert first.get_attribute("data-id") == str(case["id"])  # still on top
        page.screenshot(path="/tmp/gd_queue_1366.png")
    finally:
        ctx.close()


def test_a_new_case_shows_from_the_live_push_while_the_queue_read_is_held(  # type: ignore[no-untyped-def]
    browser, shift_url: str, shift_db: str
) -> None:
    """The new case's card comes with the live push: the desk's queue reads are held here
    (as a busy console can hold them for seconds), and the red case still shows in the new
    band, in the desk's words; the blue one, which the desk's filter leaves out, does not."""
    ctx, page = desk(browser, shift_url, shift_db, "op_live")
    held: list[Any] = []
    holding = [True]

    def hold_queue_reads(route: Any) -> None:
        if holding[0] and "queue-data.data" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    try:
        page.goto(f"{shift_url}/dispatch")
        page.locator("#queue-count", has_text="待签收").wait_for(timeout=30_000)
        page.wait_for_function("() => window.griddispatch.liveSeq >= 0")  # live channel up
        page.route(lambda url: "_dash-update-component" in url, hold_queue_reads)
        with page.expect_request(lambda r: "queue-data.data" in (r.post_data or "")):
            page.evaluate("() => window.dash_clientside.set_props('queue-filter-priority',"
                          " {value: ['red']})")  # fmt: skip
        blue = open_case(shift_db, "neighbor_dispute", offset=5, description="楼上噪音")
        red = open_case(shift_db, "criminal_case", offset=6, description="持刀威胁")
        assert (blue["priority"], red["priority"]) == ("blue", "red")
        page.wait_for_function(  # both came live (the map has them)
            "ids => ids.every(i => (window.griddispatch.liveIncidents || []).some("
            " f => f.id === i))",
            arg=[blue["id"], red["id"]],
            timeout=15_000,
        )
        card = page.locator(f"#queue-list .gd-qitem[data-id='{red['id']}'][data-band=new]")
        card.wait_for(timeout=15_000)
        assert held, "the queue's read was not held: the card may be the server's"
        assert red["number"] in card.inner_text() and "刑事案件" in card.inner_text()
        assert card.locator(".gd-countdown[data-due]").count() == 1  # its respond clock
        assert page.locator(f".gd-qitem[data-id='{blue['id']}']").count() == 0  # filtered
        assert page.evaluate("window.griddispatchAlerts") >= 1  # the alert went off
        holding[0] = False
        for route in held:
            route.continue_()
        page.wait_for_function(  # the server's list now holds it: one card, still new
            "id => document.querySelectorAll(`#queue-list .gd-qitem[data-id='${id}']`)"
            ".length === 1 && !document.querySelector('[data-dash-is-loading]')",
            arg=red["id"],
            timeout=15_000,
        )
        assert page.locator(f".gd-qitem[data-id='{blue['id']}']").count() == 0
    finally:
        ctx.close()


def test_a_fire_plan_goes_out_with_one_key(browser, shift_url: str, shift_db: str) -> None:  # type: ignore[no-untyped-def]
    case = open_case(shift_db, "fire", offset=12, description="居民楼起火，有人被困")
    ctx, page = desk(browser, shift_url, shift_db, "op_fire")
    try:
        page.goto(f"{shift_url}/dispatch?case={case['id']}")
        page.locator(".gd-plan-row[data-type=fire_engine]").wait_for(timeout=30_000)
        planned = [e.get_attribute("data-unit") for e in page.locator(".gd-plan-unit").all()]
        types = [e.get_attribute("data-type") for e in page.locator(".gd-plan-row").all()]
        assert types[:3] == ["fire_engine", "ambulance", "patrol_car"]
        assert page.locator("#case-dispatch-plan").is_visible()  # no scrolling at 1366x768
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("Shift+D")
        page.locator("#desk-msg .gd-msg-ok", has_text="已派出").wait_for(timeout=15_000)
        page.locator(".gd-case[data-status=dispatched]").wait_for(timeout=15_000)
        with psycopg.connect(shift_db) as c:
            sent = c.execute(
                "SELECT u.id::text, u.type FROM dispatches d JOIN units u ON u.id = d.unit_id "
                "WHERE d.incident_id = %s AND d.released_at IS NULL ORDER BY u.type",
                (case["id"],),
            ).fetchall()
            claimed = c.execute("SELECT claimed_by FROM incidents WHERE id = %s",
                                (case["id"],)).fetchone()  # fmt: skip
        assert sorted(t for _, t in sent) == ["ambulance", "fire_engine", "fire_engine",
                                              "patrol_car"]  # fmt: skip
        assert sorted(u for u, _ in sent) == sorted(u for u in planned if u)
        assert claimed == ("user:op_fire",)  # dispatching claimed it
    finally:
        ctx.close()


def test_two_desks_claim_the_same_case(browser, shift_url: str, shift_db: str) -> None:  # type: ignore[no-untyped-def]
    case = open_case(shift_db, "fight", offset=20, description="两人斗殴")
    desks = [desk(browser, shift_url, shift_db, u) for u in ("op_a", "op_b")]
    try:
        for _, page in desks:
            page.goto(f"{shift_url}/dispatch?case={case['id']}")
            page.locator(".gd-act-claim").wait_for(timeout=30_000)
        for _, page in desks:
            page.locator("body").click(position={"x": 5, "y": 5})
        for _, page in desks:  # both press C, one right after the other (the race itself is
            page.keyboard.press("c")  # tests/db/test_operator_loop.py's, on two connections)
        answers = []
        for _, page in desks:
            page.locator("#desk-msg .gd-msg-ok, #desk-msg .gd-msg-err").wait_for(timeout=15_000)
            answers.append(page.locator("#desk-msg").inner_text())
        with psycopg.connect(shift_db) as c:
            holder = c.execute("SELECT claimed_by FROM incidents WHERE id = %s",
                               (case["id"],)).fetchone()[0]  # type: ignore[index]  # fmt: skip
            claims = c.execute("SELECT count(*) FROM incident_events WHERE incident_id = %s "
                               "AND action = 'claim'", (case["id"],)).fetchone()[0]  # type: ignore[index]  # fmt: skip
        assert holder in ("user:op_a", "user:op_b") and claims == 1
        won = [a for a in answers if "已签收事件" in a]
        lost = [a for a in answers if "已由" in a and "签收" in a]
        assert len(won) == 1 and len(lost) == 1, answers
        name = holder.split(":")[1]
        for _, page in desks:  # every desk shows who has it
            page.locator("#case-body", has_text=name).wait_for(timeout=15_000)
            page.locator(f".gd-qitem[data-id='{case['id']}'] .gd-claimed",
                         has_text=name).wait_for(timeout=15_000)  # fmt: skip
    finally:
        for ctx, _ in desks:
            ctx.close()


def test_find_a_case_by_number_and_keep_it_through_reload_and_language(  # type: ignore[no-untyped-def]
    browser, shift_url: str, shift_db: str
) -> None:
    case = open_case(shift_db, "missing_person", offset=30, reporter_phone="13800138000")
    ctx, page = desk(browser, shift_url, shift_db, "op_find", size=(1920, 1080))
    try:
        page.goto(f"{shift_url}/dispatch")
        page.locator("#queue-list .gd-qitem").first.wait_for(timeout=30_000)
        page.fill("#case-search", case["number"][-7:])
        page.keyboard.press("Enter")
        hit = page.locator("#case-hits .gd-hit", has_text=case["number"])
        hit.wait_for(timeout=15_000)
        hit.click()
        page.locator("#case-number", has_text=case["number"]).wait_for(timeout=15_000)
        page.wait_for_function("id => location.search.includes('case=' + id)", arg=case["id"],
                               timeout=10_000)  # fmt: skip
        page.reload()
        page.locator("#case-number", has_text=case["number"]).wait_for(timeout=30_000)
        page.locator("#lang-switch").click()
        page.locator("#case-number", has_text=case["number"]).wait_for(timeout=30_000)
        assert "lang=en" in page.url and f"case={case['id']}" in page.url
        page.locator("#case-body", has_text="Claimed by").wait_for(timeout=10_000)
    finally:
        ctx.close()


def test_a_photo_upload_keeps_the_note(browser, shift_url: str, shift_db: str) -> None:  # type: ignore[no-untyped-def]
    case = open_case(shift_db, "noise", offset=40, description="深夜噪音")
    with psycopg.connect(shift_db) as c, transaction(c, "user:op_photo", scope="all",
                                                     role="operator") as t:  # fmt: skip
        unit = t.execute("SELECT id FROM units WHERE status = 'available' AND type = "
                         "'grid_worker' ORDER BY id LIMIT 1").fetchone()[0]  # type: ignore[index]  # fmt: skip
        units.dispatch(conn=t, incident_id=case["id"], unit_ids=[unit])
        units.set_status(conn=t, unit_id=unit, target="on_scene")
    ctx, page = desk(browser, shift_url, shift_db, "op_photo")
    try:
        page.goto(f"{shift_url}/dispatch?case={case['id']}")
        page.locator(".gd-case[data-status=on_scene] .gd-note").wait_for(timeout=30_000)
        note = "已劝导住户调低音量，邻里和解。"
        page.locator(".gd-note").fill(note)
        page.locator(".gd-report").fill("到场时音响仍在播放")
        page.locator(".gd-upload input[type=file]").set_input_files(
            files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}]
        )
        page.locator("#desk-msg .gd-msg-ok", has_text="照片已上传").wait_for(timeout=15_000)
        page.locator(".gd-thumb").first.wait_for(timeout=15_000)  # the card was drawn again
        assert page.locator(".gd-note").input_value() == note
        assert page.locator(".gd-report").input_value() == "到场时音响仍在播放"
        page.locator(".gd-act-report").click()
        page.locator("#desk-msg .gd-msg-ok", has_text="现场反馈").wait_for(timeout=15_000)
        with psycopg.connect(shift_db) as c:
            row = c.execute("SELECT field_report, field_report_at <= now() FROM incidents "
                            "WHERE id = %s", (case["id"],)).fetchone()  # fmt: skip
        assert row == ("到场时音响仍在播放", True)
        assert page.locator(".gd-note").input_value() == note
    finally:
        ctx.close()


def test_an_admin_edits_a_response_plan(browser, shift_url: str, shift_db: str) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    ctx.add_cookies([{"name": COOKIE, "value": session_for(shift_db, "plan_admin", "admin"),
                      "url": shift_url}])  # fmt: skip
    page = ctx.new_page()
    try:
        page.goto(f"{shift_url}/admin")
        table = page.locator("#plans-table")
        box = table.locator("th.dash-filter[data-dash-column=name] input[type=text]")
        box.wait_for(timeout=30_000)
        box.fill("医疗急救")  # medical emergency
        page.keyboard.press("Enter")
        table.locator("td[data-dash-column=name]", has_text="医疗急救").first.wait_for()
        assert table.locator("td[data-dash-column=name]").count() == 3  # red, yellow, blue
        cell = table.locator("td[data-dash-column=patrol_car]").first  # red comes first
        cell.wait_for(timeout=15_000)
        cell.click()
        page.keyboard.type("2")
        page.keyboard.press("Enter")
        page.locator("#plans-msg .gd-msg-ok", has_text="已保存 1 条预案").wait_for(timeout=15_000)
        with psycopg.connect(shift_db) as c:
            now = dict(c.execute(
                "SELECT unit_type, count FROM response_plans "
                "WHERE category = 'medical' AND priority = 'red'"
            ).fetchall())  # fmt: skip
            who = c.execute(
                "SELECT actor FROM audit_log WHERE entity = 'response_plan' "
                "AND entity_id = 'medical:red' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        assert now == {"ambulance": 1, "patrol_car": 2}
        assert who == ("user:plan_admin",)
        cell.click()  # a count the plan cannot hold is refused, in Chinese, and undone
        page.keyboard.type("11")
        page.keyboard.press("Enter")
        page.locator("#plans-msg .gd-msg-err", has_text="0 至 10").wait_for(timeout=15_000)
        page.locator("#plans-table td[data-dash-column=patrol_car]", has_text="2").first.wait_for(
            timeout=15_000
        )
    finally:
        ctx.close()
