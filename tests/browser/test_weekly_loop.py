"""The weekly loop in a real browser (issue 4): a clerk files the week's progress with a photo,
the city office returns it with a reason, the clerk is notified, fixes and resubmits, the city
office accepts; the timeline keeps every step. Also the warning board, 未报送, a fake photo."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import login, shoot

pytestmark = pytest.mark.browser

WEEKLY_URL = re.compile(r"/progress/units/(\d+)/weekly/(\d{4}-\d{2}-\d{2})/$")
REPORT_URL = re.compile(r"/progress/reports/(\d+)/$")
# Each timeline entry reads as a sentence: "<who>（<unit>） 提交了本进展报告".
TIMELINE_STEPS = [
    "填写了本进展报告",
    "提交了本进展报告",
    "退回了本进展报告",
    "重新提交了本进展报告",
    "采纳了本进展报告",
]


@pytest.fixture
def coordinator(browser: Any, server: str) -> Iterator[Any]:
    """A second person at another desk: the city office in its own browser context."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    login(page, "city_office")
    yield page
    context.close()


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "整改现场.png"
    image = Image.new("RGB", (160, 120), (46, 125, 50))
    for x in range(40, 120):
        for y in range(30, 90):
            image.putpixel((x, y), (250, 250, 250))
    image.save(path, format="PNG")
    return path


def _open_weekly_form(page: Any) -> None:
    """From 本周待办 to the bulk page of this week, through the link a clerk would click."""
    page.goto("/progress/")
    assert "本周待办" in page.locator("h1").first.inner_text()
    assert "朔城区政府" in page.locator("h1").first.inner_text()
    with page.expect_navigation():
        page.click("a:has-text('填报本周进展和下周计划')")
    match = WEEKLY_URL.search(page.url)
    assert match, page.url
    assert dt.date.fromisoformat(match.group(2)).weekday() == 0  # the week's Monday
    page.wait_for_selector("[data-testid=report-row]")


def _first_editable_row(page: Any) -> str:
    """The assignment id of the first measure still open for input (the first row on a fresh
    database; later tests in the same session skip the rows the journey already filed)."""
    textarea = page.locator("[data-testid=report-row] textarea[id^='text-']").first
    return str(textarea.get_attribute("id")).removeprefix("text-")


def _status(page: Any) -> str:
    return str(page.locator("[data-testid=report-status]").inner_text()).strip()


def _is_subsequence(wanted: list[str], seen: list[str]) -> bool:
    it = iter(seen)
    return all(any(label in s for s in it) for label in wanted)


def test_weekly_report_is_filed_returned_resubmitted_and_accepted(page: Any, coordinator: Any, tmp_path: Path) -> None:
    photo = _photo(tmp_path)
    text = "已完成朔城区散煤治理入户排查，共排查 1,236 户。"
    plan = "下周完成剩余 3 个村的清洁取暖改造验收。"

    # The clerk fills the first measure of the week, attaches a photo and submits.
    login(page, "county_clerk")
    _open_weekly_form(page)
    weekly_url = page.url
    pk = _first_editable_row(page)
    row = page.locator(f"#row-{pk}")
    row.locator(f"#text-{pk}").fill(text)
    row.locator(f"#plan-{pk}").fill(plan)
    row.locator(f"#percent-{pk}").fill("40")
    # The photo is stored the moment it is chosen (with the card's text, as a draft).
    with page.expect_response(lambda r: "/shares/" in r.url):
        row.locator(f"#files-{pk}").set_input_files(str(photo))
    expect(row.locator("[data-testid=uploaded]")).to_contain_text("整改现场.png")
    shoot(page, "10-weekly-form")
    with page.expect_navigation():
        page.click("button:has-text('全部提交')")
    assert page.url.startswith(weekly_url)  # the filter kept, the card just filed still in view
    assert "已提交 1 项措施的周报" in page.locator(".alert-success").inner_text()
    badge = row.locator(".card-header a.badge")
    assert badge.inner_text().strip() == "已提交"
    assert "佐证材料 1 份" in row.inner_text()
    # Only that row was filled: the next measure is untouched and still open for input.
    following = page.locator(f"#row-{pk} + [data-testid=report-row]")
    assert "未填报" in following.locator(".card-header").inner_text()
    assert following.locator("textarea[id^='text-']").count() == 1

    # The report: submitted, with the photo shown (really loaded, not a broken image).
    with page.expect_navigation():
        badge.click()
    match = REPORT_URL.search(page.url)
    assert match, page.url
    report_url = f"/progress/reports/{match.group(1)}/"
    assert _status(page) == "已提交"
    body = page.locator(".card-body dl").inner_text()
    assert text in body and plan in body and "40%" in body
    evidence = page.locator("[data-testid=evidence]")
    assert evidence.count() == 1
    assert "整改现场.png" in evidence.inner_text()
    assert "PNG" in evidence.inner_text()
    thumb = evidence.locator("img.evidence-thumb")
    thumb.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") == 160
    assert page.locator("#edit-form").count() == 0  # submitted: no longer editable
    assert page.locator("button:has-text('采纳')").count() == 0  # the clerk does not review
    shoot(page, "11-report-submitted")

    # The city office finds it in the review queue and returns it with a reason.
    reviewer = coordinator
    reviewer.goto("/progress/review/")
    assert "进展审核" in reviewer.locator("h1").inner_text()
    queued = reviewer.locator(f"a[href='{report_url}']").first
    assert queued.count() == 1
    assert "已完成朔城区散煤治理" in reviewer.locator("tr", has=queued).inner_text()
    shoot(reviewer, "16-review-queue")
    with reviewer.expect_navigation():
        queued.click()
    assert _status(reviewer) == "已提交"
    reason = "照片未显示整改前后对比，请补充户数明细。"
    reviewer.fill("#return-reason", reason)
    with reviewer.expect_navigation():
        reviewer.click("button:has-text('退回')")
    assert _status(reviewer) == "已退回"
    assert "已退回该报告" in reviewer.locator(".alert-success").inner_text()
    assert reviewer.locator("#return-reason").count() == 0  # nothing left to review
    shoot(reviewer, "12-report-returned")

    # The clerk sees the bell, reads the notification and lands on the report.
    page.goto("/progress/")
    unread = int(page.locator("[data-testid=bell] .bell-count").inner_text())
    assert unread > 0
    returned = page.locator("[data-testid=returned-reports]")
    assert reason in returned.inner_text()
    shoot(page, "15-todo")
    with page.expect_navigation():
        page.click("[data-testid=bell]")
    assert "/notifications/" in page.url
    notice = page.locator("[data-testid=notification][data-category=action]", has_text="进展报告被退回").first
    assert "朔城区政府" in notice.inner_text()
    assert reason in notice.inner_text()
    shoot(page, "17-notifications")
    with page.expect_navigation():
        notice.locator("a:has-text('进展报告被退回')").click()
    assert page.url.endswith(report_url)
    assert _status(page) == "已退回"
    assert page.locator("[data-testid=return-reason]").inner_text().strip() == reason
    bell = page.locator("[data-testid=bell] .bell-count")
    assert bell.count() == 0 or int(bell.inner_text()) < unread  # opening it marked it read

    # The clerk fixes the text and resubmits from the report page.
    form = page.locator("#edit-form")
    assert form.locator(f"#text-{pk}").input_value() == text
    fixed = text + "其中已改造 1,102 户，明细见附件。"
    form.locator(f"#text-{pk}").fill(fixed)
    with page.expect_navigation():
        form.locator("button:has-text('重新提交')").click()
    assert _status(page) == "已提交"
    assert "报告已重新提交" in page.locator(".alert-success").inner_text()
    assert fixed in page.locator(".card-body dl").inner_text()

    # The city office accepts it.
    reviewer.goto(report_url)
    assert _status(reviewer) == "已提交"
    assert fixed in reviewer.locator(".card-body dl").inner_text()
    with reviewer.expect_navigation():
        reviewer.click("button:has-text('采纳')")
    assert _status(reviewer) == "已采纳"
    # The earlier return stays visible for the record, but not as the report's current state.
    assert reviewer.locator("[data-testid=return-reason]").count() == 0
    assert reviewer.locator("[data-testid=previous-return-reason]").inner_text().strip() == reason

    # The clerk sees the outcome and the whole history.
    page.goto(report_url)
    assert _status(page) == "已采纳"
    assert page.locator("#edit-form").count() == 0
    steps = page.locator("[data-testid=timeline] .event .audit-who").all_inner_texts()
    assert _is_subsequence(TIMELINE_STEPS, steps), steps
    timeline = page.locator("[data-testid=timeline]").inner_text()
    assert reason in timeline
    assert any("上传了佐证材料" in s for s in steps), steps
    shoot(page, "13-report-accepted")

    # Back on the week's page (all measures, not only those still to file) the row is read-only and accepted.
    page.goto(weekly_url + "?show=all")
    page.click("button:has-text('全部展开')")  # the row's problem group need not be the first, open one
    row = page.locator(f"#row-{pk}")
    assert row.locator(".card-header a.badge").inner_text().strip() == "已采纳"
    assert row.locator("textarea").count() == 0
    assert fixed in row.inner_text()


def test_coordinator_sees_the_warning_board_and_the_missing_list(page: Any) -> None:
    login(page, "city_office")
    page.goto("/warnings/")
    assert "预警看板" in page.locator("h1").inner_text()
    counts = page.locator("[data-testid=level-counts]")
    counts.wait_for()
    for level in ("red", "yellow", "green"):
        value = counts.locator(f"[data-level={level}]").inner_text().strip()
        assert value.isdigit(), (level, value)
    assert "合计" in counts.inner_text()
    shoot(page, "14-warning-board")

    page.goto("/progress/missing/")
    assert "未报送单位" in page.locator("h1").inner_text()
    totals = page.locator("[data-testid=missing-totals]").inner_text()
    assert "应报单位" in totals
    assert page.locator("#missing-table").is_visible()
    if "应报单位 0" in totals:  # the calendar starts today: nothing was owed, nobody "reported on time"
        assert "本期没有需要报送的单位" in page.locator("#missing-table").inner_text()
    shoot(page, "18-missing")


def test_a_fake_photo_is_refused_in_chinese_and_the_typed_input_stays(page: Any, tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes("这不是照片，只是一段文字。\n".encode() * 20)
    login(page, "county_clerk")
    _open_weekly_form(page)
    weekly_url = page.url
    # A measure with milestones: a ticked 阶段性节点 must survive the error as well as the text.
    row = page.locator("[data-testid=report-row]", has=page.locator("input[name^='ms-']")).first
    pk = str(row.get_attribute("id")).removeprefix("row-")
    row.evaluate("card => { card.closest('details').open = true; }")
    milestone = str(row.locator("input[name^='ms-']").first.get_attribute("id"))
    text = "本周完成燃煤锅炉拆改 12 台。"
    plan = "下周开展拆改后复查。"
    row.locator(f"#text-{pk}").fill(text)
    row.locator(f"#plan-{pk}").fill(plan)
    row.locator(f"#percent-{pk}").fill("25")
    row.locator(f"#issues-{pk}").fill("部分锅炉业主联系不上")
    row.locator(f"#{milestone}").check()
    # Chosen: uploaded at once, refused by its content; the card comes back with everything typed.
    with page.expect_response(lambda r: "/shares/" in r.url):
        row.locator(f"#files-{pk}").set_input_files(str(fake))
    row = page.locator(f"#row-{pk}")
    expect(row.locator("[role=alert]")).to_contain_text("photo.jpg")
    error = row.locator("[role=alert]").inner_text()
    assert "photo.jpg" in error
    assert "不支持的文件类型" in error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error)
    assert row.locator(f"#text-{pk}").input_value() == text
    assert row.locator(f"#plan-{pk}").input_value() == plan
    assert row.locator(f"#percent-{pk}").input_value() == "25"
    assert row.locator(f"#issues-{pk}").input_value() == "部分锅炉业主联系不上"
    assert row.locator(f"#{milestone}").is_checked()
    # Nothing was saved: the row is still 未填报.
    assert "未填报" in row.locator(".card-header").inner_text()
    row.scroll_into_view_if_needed()
    shoot(page, "19-bad-evidence")
    page.goto(weekly_url)
    assert "未填报" in str(page.locator(f"#row-{pk} .card-header").text_content())  # its group may be closed
