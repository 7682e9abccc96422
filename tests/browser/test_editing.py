"""Editing by hand in a real browser (issue 12): the city office adds a 举一反三 problem with its first
measure (units picked from the whole directory through the filter box), adds a second measure, names
a 包联领导, edits the measure; the leader finds the problem on their own page. Screenshots at a
desktop (1366×768) and a phone (390×844) width are kept in artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import login, shoot

pytestmark = pytest.mark.browser
PROBLEM_URL = re.compile(r"/problems/(\d+)/(#.*)?$")


@pytest.fixture
def desk(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768}, base_url=server)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(
        locale="en-US", viewport={"width": 390, "height": 844}, base_url=server, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    yield page
    context.close()


def pick_units(page: Any, select: str, words: str, labels: list[str]) -> None:
    """Filter the picker by `words`, then choose `labels` among what is left."""
    picker = page.locator(f"[data-unit-picker]:has({select})")
    picker.locator("[data-unit-filter]").fill(words)
    visible = page.eval_on_selector(select, "s => [...s.options].filter(o => !o.hidden).map(o => o.textContent)")
    assert all(label in visible for label in labels) and len(visible) < 100
    page.select_option(select, label=labels)
    assert "已选" in picker.locator("[data-unit-chosen]").inner_text()


def test_the_city_office_adds_a_problem_and_a_measure_by_hand(desk: Any, phone: Any) -> None:
    page = desk
    login(page, "city_office")
    page.goto("/")
    with page.expect_navigation():
        page.locator("#ledger-table a[href^='/problems/']").first.click()
    with page.expect_navigation():
        page.click("a:has-text('添加问题')")
    assert "将编为问题（三十五）" in page.content()
    # Bad input first: the Chinese messages, and nothing typed is lost.
    page.fill("#p-text", "举一反三排查发现，应县部分砖瓦企业脱硫设施不正常运行。")
    page.fill("#p-deadline", "等通知")
    with page.expect_navigation():
        page.click("button:has-text('保存问题')")
    errors = page.locator("[data-testid=form-errors]").inner_text()
    assert errors.count("请选择来源") == 1 and "无法识别整改时限“等通知”" in errors
    assert page.input_value("#p-text").startswith("举一反三排查发现")
    shoot(page, "90-editing-problem-form-errors")
    page.select_option("#p-chapter", index=3)
    page.select_option("#p-source", "extrapolation")
    page.fill("#p-deadline", "2022年11月底前")
    page.fill("#m-text", "开展砖瓦行业专项执法检查，督促完成提标改造。")
    pick_units(page, "#m-lead", "应县", ["应县政府"])
    pick_units(page, "#m-support", "生态环境", ["市生态环境局"])
    shoot(page, "91-editing-problem-form")
    with page.expect_navigation():
        page.click("button:has-text('保存问题')")
    assert PROBLEM_URL.search(page.url), page.url
    assert "已添加问题（三十五）（举一反三）" in page.content()
    assert page.locator("[data-testid=source-badge]").first.inner_text().strip() == "举一反三"
    problem_url = page.url

    # A second measure, then a 包联领导.
    with page.expect_navigation():
        page.click("[data-testid=measure-add]")
    page.fill("#m-text", "举一反三：全市砖瓦企业在线监测设备联网。")
    pick_units(page, "#m-lead", "生态环境", ["市生态环境局"])
    page.fill("#m-deadline", "2022年10月底前")
    with page.expect_navigation():
        page.click("button:has-text('保存措施')")
    assert "已添加措施" in page.content()
    page.click("summary:has-text('指定包联领导')")
    page.select_option("#leader-user", label="市领导 周平")
    page.fill("#leader-title", "常务副市长")
    with page.expect_navigation():
        page.click("button:has-text('指定')")
    assert page.locator("[data-testid=problem-leader]").count() == 1
    shoot(page, "92-editing-problem-page")

    # Edit the first measure: a support unit becomes lead.
    page.click("[data-testid=measure-edit-menu]")
    with page.expect_navigation():
        page.locator(".dropdown-menu.show a").first.click()
    assert "无工作记录，可移除" in page.content()
    shoot(page, "93-editing-measure-edit")
    page.fill("#m-text", "开展砖瓦行业专项执法检查，依法查处，督促完成提标改造。")
    with page.expect_navigation():
        page.click("button:has-text('保存修改')")
    assert "已修改：措施内容" in page.content()

    # The leader's own page, and the same pages on a phone.
    login(phone, "leader")
    phone.goto("/problems/led/")
    assert phone.locator("[data-problem-card]").count() == 1 and phone.locator("[data-problem-card]").is_visible()
    shoot(phone, "94-editing-led-problems-phone")
    # Nothing on the leader's page is wider than the phone (the table scrolls inside its frame).
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.goto(problem_url)
    panel = phone.locator("[data-testid=problem-editing]")
    assert phone.locator("[data-testid=problem-leader]").count() == 1 and panel.bounding_box()["width"] <= 390
    panel.scroll_into_view_if_needed()
    shoot(phone, "95-editing-problem-phone")
