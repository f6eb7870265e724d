"""The supervision page in real Chromium: hexbins, filters, modes and the time slider."""

from __future__ import annotations

import re
from pathlib import Path


def cases(page) -> int:  # type: ignore[no-untyped-def]
    m = re.search(r"([\d,]+) cases in", page.inner_text("#sup-summary"))
    assert m, page.inner_text("#sup-summary")
    return int(m.group(1).replace(",", ""))


def changed(page, selector: str, before: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "([s, t]) => document.querySelector(s).innerText !== t", arg=[selector, before],
        timeout=20_000,
    )  # fmt: skip


def test_filters_modes_and_slider(page, console_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{console_url}/supervision?lang=en")
    page.locator("#sup-kpis .gd-kpi").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => /cases in/.test(document.querySelector('#sup-summary').innerText)"
    )
    every = cases(page)
    assert every > 0
    assert re.search(r"Reported\s+[\d,]+", page.inner_text("#sup-kpis"))
    ranks = page.locator("#sup-assessment tbody tr")
    assert ranks.count() > 0 and ranks.first.inner_text().startswith("1")
    # Filter: red cases only.
    before = page.inner_text("#sup-summary")
    page.locator("#sup-f-priority").click()
    page.get_by_text("Red · urgent", exact=True).click()
    changed(page, "#sup-summary", before)
    page.keyboard.press("Escape")  # close the list
    red = cases(page)
    assert 0 < red < every
    # Hotspots: the legend turns into significance levels.
    page.locator("#sup-mode label:has-text('Hotspots')").click()
    page.wait_for_selector("#sup-legend:has-text('hot 99%')", timeout=20_000)
    page.locator("#sup-mode label:has-text('Counts')").click()
    page.wait_for_selector("#sup-legend:not(:has-text('hot 99%'))", timeout=20_000)
    # The slider moves the window back in time.
    label = page.inner_text("#sup-window")
    handle = page.locator("#sup-end [role=slider]")
    handle.focus()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    changed(page, "#sup-window", label)
    assert page.inner_text("#sup-window") != label


def test_groups_trend_hotspot_task_and_export(  # type: ignore[no-untyped-def]
    page, console_url: str, db_conninfo: str
) -> None:
    import psycopg

    page.goto(f"{console_url}/supervision?lang=en")
    page.locator("#sup-kpis .gd-kpi").first.wait_for(timeout=30_000)
    # Each tile says how it moved against the window before.
    assert "vs before" in page.inner_text("#sup-kpis")
    # The trend chart is drawn (Plotly ships with Dash: no CDN).
    page.wait_for_selector("#sup-trend .main-svg", timeout=20_000)
    assert page.locator("#sup-trend .bars path").count() > 0
    # KPIs by department: the agencies of the units sent.
    page.wait_for_selector("#sup-group-table th:has-text('District')", timeout=20_000)
    page.locator("#sup-by").click()
    page.get_by_role("option", name="Department").click()
    page.wait_for_selector("#sup-group-table th:has-text('Department')", timeout=20_000)
    assert "Police" in page.inner_text("#sup-group-table")
    # Hotspots become a patrol task for the grids under them.
    page.locator("#sup-mode label:has-text('Hotspots')").click()
    page.wait_for_selector("#sup-hot-box", state="visible", timeout=20_000)
    page.click("#sup-hot-task")
    page.wait_for_selector("#sup-hot-link", timeout=20_000)
    task = int(page.inner_text("#sup-hot-link").split("#")[1].split()[0])
    with psycopg.connect(db_conninfo) as c:
        kind, grids = c.execute(
            "SELECT t.kind, count(g.*) FROM mass_tasks t JOIN mass_task_grids g "
            "ON g.task_id = t.id WHERE t.id = %s GROUP BY 1",
            (task,),
        ).fetchone()  # type: ignore[misc]
    assert kind == "patrol" and f"for {grids} grids" in page.inner_text("#sup-hot-link")
    # The weekly report from the page: one offline HTML file.
    with page.expect_download(timeout=30_000) as dl:
        page.click("#sup-export-html")
    path = dl.value.path()
    text = Path(path).read_text(encoding="utf-8")
    assert dl.value.suggested_filename.startswith("griddispatch-week-")
    assert "<html" in text and "L.map(" in text
    assert re.search(r"<script[^>]*\ssrc=", text) is None  # every script is inline
    assert re.search(r"<link[^>]*href=[\"']?https?:", text) is None


def test_long_windows_are_background_jobs(page, console_url: str) -> None:  # type: ignore[no-untyped-def]
    """A window of 30 days or more is worked out as a background job (its bar and cancel
    button shown meanwhile); a shorter one at once, with no job."""
    page.add_init_script("""
        window.jobShown = 0;
        new MutationObserver(() => {
            const j = document.getElementById('sup-fig-job');
            if (j && j.style.display === 'flex') { window.jobShown += 1; }
        }).observe(document, {subtree: true, attributes: true, attributeFilter: ['style']});
    """)
    page.goto(f"{console_url}/supervision?lang=zh-CN")  # 30 days by default
    page.locator("#sup-kpis .gd-kpi").first.wait_for(timeout=30_000)
    page.wait_for_function("() => window.jobShown > 0")
    page.locator("#sup-fig-job").wait_for(state="hidden")
    assert "已取消" not in page.inner_text("#sup-fig-note")
    label = page.inner_text("#sup-window")
    page.evaluate("() => { window.jobShown = 0; }")
    page.locator("#sup-len input[value='7']").check()
    changed(page, "#sup-window", label)
    assert page.evaluate("() => window.jobShown") == 0
    label = page.inner_text("#sup-window")
    page.locator("#sup-len input[value='90']").check()
    changed(page, "#sup-window", label)
    assert page.evaluate("() => window.jobShown") > 0
