"""The 领导驾驶舱 and a county page in Chromium: the office lands on the dashboard, every chart box
is drawn by ECharts (a canvas, or "暂无数据" when it has nothing to show), no script error, the
page fits a phone, and printing hides the navigation; screenshots are kept as CI artifacts."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import login, shoot

pytestmark = pytest.mark.browser


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
    )
    return errors


def charts_drawn(page: Any) -> int:
    """Every chart box is drawn: a canvas, or the words 暂无数据; returns how many have a canvas."""
    page.wait_for_function("window.echarts && document.querySelectorAll('[data-chart]').length > 0")
    boxes = page.locator("[data-chart]")
    drawn = 0
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if box.locator("canvas").count():
            drawn += 1
        else:
            assert box.inner_text().strip() == "暂无数据", box.get_attribute("data-chart")
    return drawn


def test_an_office_lands_on_the_dashboard_and_opens_a_county(page: Any) -> None:
    errors = watch_errors(page)
    login(page, "city_office")
    page.wait_for_url("**/dashboard/")
    assert page.locator("h1").first.inner_text() == "领导驾驶舱"
    assert charts_drawn(page) >= 3
    assert page.locator("[data-testid=kpis] [data-figure=measures-total]").inner_text() == "92"
    shoot(page, "dashboard-01-home")
    page.locator("[data-testid=counties-table] a:has-text('朔城区')").first.click()
    page.wait_for_url("**/dashboard/counties/*/")
    assert page.locator("h1").first.inner_text() == "朔城区"
    assert "第" in page.locator("[data-testid=county-rank]").inner_text()
    assert charts_drawn(page) >= 3
    shoot(page, "dashboard-02-county")
    # A figure opens the list behind it: the county's shares on the warning board.
    with page.expect_navigation():
        page.locator("[data-testid=levels] [data-figure=level-total]").click()
    assert "/warnings/" in page.url and "county=" in page.url
    assert not errors, errors


def test_the_dashboard_fits_a_phone_and_prints_without_the_navigation(page: Any) -> None:
    errors = watch_errors(page)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "county_office")
    page.wait_for_url("**/dashboard/")
    charts_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "dashboard-03-phone")
    page.goto("/dashboard/counties/")
    assert page.locator("[data-testid=counties-table] tbody tr").count() == 1  # its own county only
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/dashboard/")
    charts_drawn(page)
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("[data-print]").first.is_visible()
    shoot(page, "dashboard-04-print")
    assert not errors, errors
