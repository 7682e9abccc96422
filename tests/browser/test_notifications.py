"""我的通知 on a phone: short cards, 待办 first, a digest as a few counts whose links show exactly
the rows counted, an old long digest clamped with 展开; no sideways scroll at 390 × 844."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import login, rectify_command, shoot

pytestmark = pytest.mark.browser

# An old-style digest (one line per warning, as sent before digests were counts) and a page of
# report results, to the city office; then tonight's scan sends a new digest.
SETUP = """
from django.contrib.auth.models import User
from rectify.notifications.services import Message, notify
office = User.objects.get(username="city_office")
line = "【红色】市交通局：（六）措施17 科学规划运力运能。各县（市、区）于2022年4月底前制定方案；已过期未完成"
for i in range(30):
    notify(recipients=[office], message=Message(
        "report", f"进展报告已采纳：第{i}份", "责任单位：市交通局\\n进度 50%", "/progress/", f"browser-report-{i}"
    ))
notify(recipients=[office], message=Message(
    "supervision", "【督办回复】右玉县政府已回复", "请审阅回复。", "/supervision/notices/", "notice:999:replied:v1"
))
old = "\\n".join(f"{i}. {line}" for i in range(1, 201))
notify(recipients=[office], message=Message(
    "warning", "【预警汇总】新增红色预警 85 项", old, "/warnings/", "browser-old-digest"
))
print("ok")
"""


def find(page: Any, selector: str, text: str = "") -> Any:
    """The first card matching on any page of 我的通知 (newest first after the 待办)."""
    for n in range(1, 60):
        page.goto(f"/notifications/?page={n}")
        found = page.locator(selector, has_text=text) if text else page.locator(selector)
        if found.count():
            return found.first
        if not page.locator("a.page-link:has-text('下一页')").count():
            break
    raise AssertionError(f"no {selector} {text}")


MAX_PHONE_HEIGHT = 9000  # px: one page of 20 short cards (it was 53,000+ with one old digest)


def test_the_notifications_page_is_short_on_a_phone_and_action_comes_first(page: Any) -> None:
    rectify_command("scan_deadlines", "--no-mail")
    assert rectify_command("shell", "-c", SETUP).strip().endswith("ok")
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "city_office")
    page.goto("/notifications/")
    height, width = page.evaluate("[document.documentElement.scrollHeight, document.documentElement.scrollWidth]")
    shoot(page, "notifications-phone")
    assert width <= 390 and height <= MAX_PHONE_HEIGHT, (width, height)
    cards = page.locator("[data-testid=notification]")
    assert cards.first.get_attribute("data-category") == "action"
    assert "右玉县政府已回复" in cards.first.inner_text()
    # The bell: its label names the unread 待办 apart from the rest.
    label = page.get_attribute("[data-testid=bell]", "aria-label") or ""
    assert "待办" in label or "条未读" in label

    # The old long digest is clamped to a few lines; 展开 shows all of it.
    old = find(page, "[data-testid=notification]", "新增红色预警 85 项")
    body = old.locator(".note-body")
    clamped = body.evaluate("e => e.getBoundingClientRect().height")
    assert clamped < 120, clamped
    old.locator("[data-clamp-toggle]").click()
    assert body.evaluate("e => e.getBoundingClientRect().height") > 10 * clamped
    assert old.locator("[data-clamp-toggle]").inner_text() == "收起"

    # The new digest: counts by level and unit; each link shows exactly the counted rows.
    digest = find(page, "[data-testid=notification]:has([data-testid=digest])", "【预警汇总】")
    digest.scroll_into_view_if_needed()
    shoot(page, "notifications-phone-digest")
    links = digest.locator("a[data-testid=digest-total], a[data-testid=digest-cell]")
    targets = [
        (int(re.sub(r"\D", "", links.nth(i).inner_text())), links.nth(i).get_attribute("href"))
        for i in range(min(links.count(), 4))
    ]
    assert targets
    for count, href in targets:
        page.goto(href)
        assert f"共 {count} 条" in page.content(), (href, count)  # the board's pager counts its rows

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/notifications/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    shoot(page, "notifications-desk")
