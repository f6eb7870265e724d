"""Signing in through the real form: a street operator gets the desk of their street only,
pages outside their role are refused, an admin reads the audit trail, signing out ends it."""

from __future__ import annotations

import psycopg

from tests._auth import PASSWORD, ensure_user

SHOTS = "console/assets/readme"


def sign_in(page, url: str, user: str, target: str = "/dispatch") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}{target}?lang=en")
    page.wait_for_url("**/login?**")
    page.fill("#login-user", user)
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("#gd-root", timeout=30_000)


def test_a_street_operator_signs_in_to_their_street(
    browser, console_url: str, db_conninfo: str
) -> None:  # type: ignore[no-untyped-def]
    ensure_user(db_conninfo, "op.form", "operator", "430202001")
    with psycopg.connect(db_conninfo) as c:
        street = c.execute("SELECT name FROM admin_units WHERE code = '430202001'").fetchone()[0]
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(f"{console_url}/login?lang=en")
        page.fill("#login-user", "op.form")
        page.fill("#login-password", "wrong password here")
        page.click("#login-submit")
        assert "Wrong user name" in page.locator("#login-msg").inner_text()
        sign_in(page, console_url, "op.form")
        assert page.url.endswith("/dispatch?lang=en")
        page.wait_for_selector("#user-name")
        assert page.locator("#jurisdiction").inner_text() == street
        nav = page.locator(".gd-nav a").all_inner_texts()
        assert "Dispatch" in nav and "Planning" not in nav and "Admin" not in nav
        # the live channel sends this desk its street's open cases and no other
        page.wait_for_function("() => window.griddispatch.liveSeq >= 0", timeout=30_000)
        shown = set(page.evaluate("(window.griddispatch.liveIncidents || []).map(f => f.id)"))
        with psycopg.connect(db_conninfo) as c:
            ours = {r[0] for r in c.execute(
                "SELECT id FROM incidents WHERE status <> 'closed' "
                "AND path <@ '430200.430202.430202001'")}  # fmt: skip
            others = c.execute(
                "SELECT count(*) FROM incidents WHERE status <> 'closed' "
                "AND NOT path <@ '430200.430202.430202001'"
            ).fetchone()[0]
        assert shown == ours and others > 0
        cookie = next(c for c in ctx.cookies() if c["name"] == "gd_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie").find("gd_session") == -1  # not readable by JS
        page.goto(f"{console_url}/planning?lang=en")
        page.wait_for_selector("#page-forbidden")
        page.click("#sign-out")
        page.wait_for_url("**/login")
        page.goto(f"{console_url}/dispatch?lang=en")
        page.wait_for_url("**/login?**")
    finally:
        ctx.close()


def test_an_admin_reads_the_audit_trail(browser, console_url: str, db_conninfo: str) -> None:  # type: ignore[no-untyped-def]
    ensure_user(db_conninfo, "admin.form", "admin")
    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
    page = ctx.new_page()
    try:
        page.goto(f"{console_url}/login?lang=en")
        page.screenshot(path=f"{SHOTS}/login.png")
        sign_in(page, console_url, "admin.form", "/admin")
        page.wait_for_selector("#audit-rows")
        page.locator("#audit-actor input, input#audit-actor").first.fill("admin.form")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "() => { const r = [...document.querySelectorAll('#audit-rows tbody tr')];"
            " return r.length && r.every(x => x.innerText.includes('admin.form'))"
            " && r.some(x => x.innerText.includes('sign_in')); }",
            timeout=15_000,
        )
        assert page.locator("#user-rows tbody tr").count() >= 1
        page.screenshot(path=f"{SHOTS}/admin.png")
    finally:
        ctx.close()
