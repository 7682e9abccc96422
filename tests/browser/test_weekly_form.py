"""The weekly form at 80+ measures in a real browser (issue 15), at 1366 × 768 and 390 × 844: the
page does not scroll sideways; a clerk types in one card and picks a photo (stored at once, with
the text), makes an error in another card and submits the whole page: the text and the photo are
still there; the second card is then fixed and submitted on its own, and the filter counts move."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import login, shoot

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def sized(request: Any, browser: Any, server: str) -> Any:
    width, height = SIZES[request.param]
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": height}, base_url=server)
    page = context.new_page()
    page.size_name = request.param
    yield page
    context.close()


# The elements whose right edge passes the window's, named so a failure says what overflows.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(-5).map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px: `
    + (e.innerText || '').slice(0, 60))"""


def _no_sideways_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, (width, inner, page.evaluate(OVERFLOWING))


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "清理后现场.png"
    Image.new("RGB", (64, 48), (30, 110, 60)).save(path, format="PNG")
    return path


def _count(page: Any, key: str) -> int:
    return int(page.locator(f"[data-testid=count-{key}]").inner_text())


@pytest.mark.parametrize("user", ["dept_clerk", "county_clerk"])
def test_typed_text_and_a_chosen_file_survive_an_error_elsewhere(sized: Any, user: str, tmp_path: Path) -> None:
    page = sized
    login(page, user)
    page.goto("/progress/")
    with page.expect_navigation():
        page.locator("a[href*='/weekly/']").first.click()
    page.wait_for_selector("[data-testid=weekly-form]")
    _no_sideways_scroll(page)
    shoot(page, f"30-weekly-form-{user}-{page.size_name}")
    # Grouped by problem, the first group open; the filters name what is still to file.
    assert page.locator("[data-testid=problem-group]").count() >= 1
    assert page.locator("[data-testid=filter-todo][aria-current=page]").count() == 1
    todo_before = _count(page, "todo")
    page.click("button:has-text('全部展开')")

    fresh = page.locator("[data-testid=report-row]").filter(
        has=page.locator("[data-testid=row-status]", has_text="未填报")
    )
    first_pk = str(fresh.nth(0).get_attribute("id")).removeprefix("row-")
    second_pk = str(fresh.nth(1).get_attribute("id")).removeprefix("row-")
    first, second = page.locator(f"#row-{first_pk}"), page.locator(f"#row-{second_pk}")

    # Card one: text typed, then a photo chosen: stored at once with the text, as a draft.
    text = "本周完成 3 处堆场苫盖，清理扬尘点位 12 个。"
    first.locator(f"#text-{first_pk}").fill(text)
    with page.expect_response(lambda r: "/shares/" in r.url):
        first.locator(f"#files-{first_pk}").set_input_files(str(_photo(tmp_path)))
    expect(first.locator("[data-testid=row-status]")).to_have_text("草稿")
    assert "清理后现场.png" in first.locator("[data-testid=uploaded]").inner_text()
    assert first.locator(f"#text-{first_pk}").input_value() == text

    # Card two: a figure out of range; the whole page is submitted.
    second.locator(f"#text-{second_pk}").fill("第二项的进展")
    second.locator(f"#percent-{second_pk}").fill("150")
    with page.expect_navigation():
        page.click("[data-testid=weekly-actions] button:has-text('全部提交')")
    assert page.locator(".alert-danger", has_text="有填报内容需要修改").is_visible()
    assert "0 至 100" in second.locator("[role=alert]").inner_text()
    assert second.locator(f"#text-{second_pk}").input_value() == "第二项的进展"
    assert second.locator(f"#percent-{second_pk}").input_value() == "150"
    assert first.locator(f"#text-{first_pk}").input_value() == text
    assert "清理后现场.png" in first.locator("[data-testid=uploaded]").inner_text()
    second.scroll_into_view_if_needed()
    _no_sideways_scroll(page)
    shoot(page, f"31-weekly-form-error-{user}-{page.size_name}")

    # Card two fixed and submitted on its own: only it is filed, the 未填报 count drops by one.
    second.locator(f"#percent-{second_pk}").fill("40")
    plan = second.locator(f"#plan-{second_pk}")
    if plan.count():
        plan.fill("下周继续清理")
    with page.expect_response(lambda r: f"/shares/{second_pk}/" in r.url):
        second.locator("[data-testid=card-submit]").click()
    expect(second.locator("[data-testid=row-status]")).to_have_text("已提交")
    expect(first.locator("[data-testid=row-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=count-todo]")).to_have_text(str(todo_before - 1))
    # Card one finished and submitted on its own too, its photo with it (and no draft left behind
    # for the other journeys on this server).
    first_plan = first.locator(f"#plan-{first_pk}")
    if first_plan.count():
        first_plan.fill("下周复查苫盖情况")
    first.locator(f"#percent-{first_pk}").fill("60")
    with page.expect_response(lambda r: f"/shares/{first_pk}/" in r.url):
        first.locator("[data-testid=card-submit]").click()
    expect(first.locator("[data-testid=row-status]")).to_have_text("已提交")
    expect(first).to_contain_text("佐证材料 1 份")
    expect(page.locator("[data-testid=count-todo]")).to_have_text(str(todo_before - 2))
    # The sticky bar stays on one line.
    bar = page.locator("[data-testid=weekly-actions]").bounding_box()
    assert bar is not None and bar["height"] < 70
    _no_sideways_scroll(page)
    shoot(page, f"32-weekly-form-card-submitted-{user}-{page.size_name}")
