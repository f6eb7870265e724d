"""The supervision page in real Chromium: hexbins, filters, modes and the time slider."""

from __future__ import annotations

import re


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
