"""督察轮次 in a real browser: the city office creates the seed plan's round and puts the plan in
it, links the seed's （十七） (桑干河自然保护区) to the same problem closed in an earlier 中央督察
“回头看”, and both problems show 反弹; the rounds list, a round and both problem pages, at 1366×768
and on a phone (390×844), with screenshots.

The earlier round's small plan is written with the ORM through `rectify shell` (the test server has
only the seed plan); everything the city office does goes through the pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import login, rectify_command, shoot

pytestmark = pytest.mark.browser

EARLIER = "中央生态环境保护督察“回头看”（2018年）"
SEED_ROUND = "省生态环境保护督察（省第三生态环境保护督察组，2021年）"
SETUP = f"""
import datetime as dt, sys
sys.path.insert(0, ".")
from tests.domain.rounds_helpers import close, make_plan, make_round
r = make_round("{EARLIER}", level="central", kind="lookback", round_no=1,
               started_on=dt.date(2018, 10, 30), ended_on=dt.date(2018, 11, 30), feedback_on=dt.date(2019, 5, 6))
plan = make_plan("朔州市贯彻落实中央生态环境保护督察“回头看”反馈意见整改方案（示例）", [
    ("桑干河自然保护区内违法开发问题未整改到位。", ["市规划和自然资源局"]),
    ("市区清洁取暖改造推进缓慢。", ["朔城区政府"]),
], round=r, start_on=dt.date(2019, 6, 1))
close(plan.problems.get(index=1), dt.date(2020, 12, 31))
print(plan.problems.get(index=1).pk)
"""


def seventeen(page: Any) -> int:
    """The seed's （十七）, found as a user would: a word of it in the ledger's search."""
    page.goto("/?q=时至今日不但有")
    href = page.locator("#ledger-table a:has-text('（十七）')").first.get_attribute("href")
    return int(re.findall(r"/problems/(\d+)/", href or "")[0])


def test_a_problem_found_again_in_a_later_round_shows_relapse_on_both(page: Any) -> None:
    earlier_id = int(rectify_command("shell", "-c", SETUP).strip().splitlines()[-1])
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, "city_office")

    # The seed plan's round, through the form (a bad date first: a message, not a 500).
    page.goto("/rounds/new/")
    page.fill("#r-name", SEED_ROUND)
    page.select_option("#r-level", "provincial")
    page.fill("#r-no", "第三")
    page.click("#round-form button[type=submit]")
    assert "轮次应为 1 至 99 之间的整数" in page.locator(".alert-danger").inner_text()
    page.fill("#r-no", "")
    page.fill("#r-start", "2021-11-30")
    page.fill("#r-end", "2021-12-28")
    page.fill("#r-feedback", "2022-02-25")
    page.click("#round-form button[type=submit]")
    page.wait_for_url("**/rounds/*/")
    assert page.locator("h1").inner_text() == SEED_ROUND

    # Put the seed plan in it from the plan index.
    page.goto("/plans/")
    row = page.locator("tr", has_text="朔州市贯彻落实省生态环境保护督察").first
    row.locator("summary:has-text('归入督察轮次')").click()
    row.locator("select[name=round]").select_option(label=SEED_ROUND)
    row.locator("button:has-text('归入')").click()
    page.wait_for_load_state()
    assert SEED_ROUND in page.locator("tr", has_text="朔州市贯彻落实省生态环境保护督察").first.inner_text()
    shoot(page, "rounds-01-plans")

    # On （十七）: choose the earlier round, find the problem by a word, link it.
    later_id = seventeen(page)
    page.goto(f"/problems/{later_id}/")
    section = page.locator("#problem-rounds")
    section.scroll_into_view_if_needed()
    page.select_option("#pl-round", page.locator("#pl-round option", has_text=EARLIER).get_attribute("value"))
    page.fill("#pl-search", "桑干河")
    assert "可选 1 / 2 个问题" in page.locator("#pl-count").inner_text()
    page.select_option("#pl-earlier", str(earlier_id))
    page.fill("#pl-note", "同一保护区，回头看后已销号，本轮再次发现")
    page.click("#problem-link-form button[type=submit]")
    page.wait_for_load_state()
    assert "两个问题均已标记为“反弹”" in page.locator(".alert-success").inner_text()
    section = page.locator("#problem-rounds")
    assert section.locator("[data-testid=links-earlier] [data-relapse]").count() == 1
    assert "反弹" in section.locator("[data-testid=relapse-note]").inner_text()
    section.scroll_into_view_if_needed()
    shoot(page, "rounds-02-later-problem")

    # The earlier problem says it was found again.
    page.goto(f"/problems/{earlier_id}/#problem-rounds")
    later = page.locator("#problem-rounds [data-testid=links-later]")
    assert "（十七）" in later.inner_text() and later.locator("[data-relapse]").count() == 1
    page.locator("#problem-rounds").scroll_into_view_if_needed()
    shoot(page, "rounds-03-earlier-problem")

    # The rounds list: both rounds, their counts, 反弹 on each.
    page.goto("/rounds/")
    rows = {r.locator("a").first.inner_text(): r for r in page.locator("#rounds-table tbody tr").all()}
    earlier_row, seed_row = rows[EARLIER], rows[SEED_ROUND]
    assert earlier_row.locator("[data-count=problems]").inner_text() == "2"
    assert earlier_row.locator("[data-count=closed]").inner_text() == "1"
    assert earlier_row.locator("[data-count=recurred]").inner_text() == "1"
    count = (
        "from rectify.plans.models import Problem; "
        f"print(Problem.objects.filter(plan__round__name='{SEED_ROUND}').count())"
    )
    assert seed_row.locator("[data-count=problems]").inner_text() == rectify_command("shell", "-c", count).split()[-1]
    assert seed_row.locator("[data-count=recurred]").inner_text() == "1"
    assert "回头看" in earlier_row.inner_text() and "第1轮" in earlier_row.inner_text()
    shoot(page, "rounds-04-list")

    # A round: its plan, problems with the 反弹 badge, and the link.
    earlier_row.locator("a").first.click()
    page.wait_for_load_state()
    assert page.locator("#round-counts [data-count=recurred]").inner_text() == "1"
    assert page.locator("#round-problems [data-relapse]").count() == 1
    link = page.locator("#round-links tbody tr").first
    assert "（十七）" in link.inner_text() and link.locator("[data-relapse]").count() == 1
    shoot(page, "rounds-05-round")

    # The ledger marks the problem beside its number.
    page.goto(f"/?problem={later_id}")
    assert page.locator("#ledger-table [data-relapse]").count() >= 1

    # On a phone: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/rounds/")
    assert page.locator("#rounds-cards [data-round-card]").count() >= 2  # cards, not the wide table
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "rounds-06-phone-list")
    page.goto(f"/problems/{later_id}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#problem-rounds").scroll_into_view_if_needed()
    shoot(page, "rounds-07-phone-problem")
