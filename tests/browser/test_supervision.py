"""Supervision in a real browser (issue 5): the city office issues a 提醒函 for a red measure and
downloads it as .docx and .pdf, the unit replies, the office escalates to a 督办通知; the month's
月通报 and a 工作简报 are generated and list it. Screenshots of the pages and of the rendered PDF
pages are kept in artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from rectify.progress.periods import SHANGHAI

from .conftest import ARTIFACTS, login, shoot

pytestmark = pytest.mark.browser
NOTICE_URL = re.compile(r"/supervision/notices/(\d+)/$")


@pytest.fixture
def clerk(browser: Any, server: str) -> Iterator[Any]:
    """The unit's clerk at another desk."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    login(page, "county_clerk")
    yield page
    context.close()


def _keep_pdf_pages(pdf: bytes, name: str, pages: int = 1) -> None:
    from rectify.documents.renderers.raster import pdf_page_png

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        (ARTIFACTS / f"{name}-page{i + 1}.png").write_bytes(pdf_page_png(pdf, i))


def _download(page: Any, selector: str) -> bytes:
    """Documents render in the background: the link may lead to a progress page that downloads the
    file when it is ready; come back to the page the link was on."""
    url = page.url
    with page.expect_download(timeout=90_000) as info:
        page.click(selector)
    data = Path(info.value.path()).read_bytes()
    if page.url != url:
        page.goto(url)
    return data


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "整改现场.png"
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 110, 60)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def test_a_reminder_is_issued_downloaded_replied_to_and_escalated(page: Any, clerk: Any, tmp_path: Path) -> None:
    from docx import Document

    login(page, "city_office")
    # Today's warnings first (the nightly scan, run by hand).
    page.goto("/warnings/")
    with page.expect_navigation():
        page.click("button:has-text('立即重新扫描')")
    assert "预警扫描完成" in page.content()

    # Draft a 提醒函 to 朔城区政府 about its red measures.
    page.goto("/supervision/notices/")
    with page.expect_navigation():
        page.click("a:has-text('起草督办文书')")
    page.select_option("#n-kind", "reminder")
    page.select_option("#n-unit", label="朔城区政府")
    with page.expect_navigation():
        page.click("button:has-text('选择涉及措施')")
    red = page.locator("label:has-text('红色预警')").first
    red.click()
    shoot(page, "20-notice-draft-form")
    with page.expect_navigation():
        page.click("button:has-text('保存草稿')")
    assert NOTICE_URL.search(page.url), page.url
    assert "（草稿，印发时编号）" in page.inner_text("[data-testid=notice-number]")
    with page.expect_navigation():
        page.click("[data-testid=issue]")
    number = page.inner_text("[data-testid=notice-number]").strip()
    assert re.fullmatch(r"朔整改办函〔\d{4}〕\d+号", number), number
    assert page.inner_text("[data-testid=notice-status]") == "已印发待回复"
    shoot(page, "21-notice-issued")
    # The letter and its task list speak of 朔城区政府's own share (issue 11), never of the measure's
    # average over every unit.
    shares = page.inner_text("[data-testid=notice-shares]")
    assert "本单位进度：" in shares and "红色" in shares, shares
    preview = page.inner_text(".official-preview")
    assert "你单位至今未报送进展" in preview or "你单位目前报送进度" in preview, preview
    reminder_url = page.url

    # The official document, as .docx and .pdf.
    docx = Document(io.BytesIO(_download(page, "[data-testid=download-docx]")))
    texts = [p.text for p in docx.paragraphs]
    assert number in texts and "朔城区政府：" in texts
    pdf = _download(page, "[data-testid=download-pdf]")
    assert pdf.startswith(b"%PDF")
    _keep_pdf_pages(pdf, "22-reminder-pdf")

    # The unit sees it in 本周待办 and replies with a photo.
    clerk.goto("/progress/")
    assert number in clerk.inner_text("[data-testid=open-notices]")
    with clerk.expect_navigation():
        clerk.click(f"[data-testid=open-notices] a:has-text('{number}')")
    clerk.fill("#reply-text", "已制定整改方案，正在组织施工。")
    clerk.set_input_files("#reply-files", str(_photo(tmp_path)))
    with clerk.expect_navigation():
        clerk.click("button:has-text('提交回复')")
    assert clerk.inner_text("[data-testid=notice-status]") == "已回复"
    shoot(clerk, "23-notice-replied")

    # The office escalates to a 督办通知 and issues it.
    page.goto(reminder_url)
    assert "已制定整改方案" in page.inner_text("[data-testid=reply-text]")
    with page.expect_navigation():
        page.click("[data-testid=escalate]")
    assert "督办通知" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.click("[data-testid=issue]")
    urge_number = page.inner_text("[data-testid=notice-number]").strip()
    assert re.fullmatch(r"朔整改办督〔\d{4}〕\d+号", urge_number), urge_number
    shoot(page, "24-urge-issued")
    page.goto(reminder_url)
    assert page.inner_text("[data-testid=notice-status]") == "已升级"
    timeline = page.inner_text("[data-testid=timeline]")
    for step in ["起草了本提醒函", "印发了本提醒函", "回复了本提醒函", "将本提醒函升级督办"]:
        assert step in timeline, step

    # The month's 月通报 names the unit and counts its notices; issue it and keep its PDF pages.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/export/circulars/")
    today = dt.datetime.now(SHANGHAI).date()
    page.select_option("#g-year", str(today.year))
    page.select_option("#g-month", str(today.month))
    with page.expect_navigation():
        page.click("button:has-text('生成（或更新）本月通报草稿')")
    row = page.locator("[data-testid=ranking-row]", has_text="朔城区政府")
    assert "提醒函" in row.inner_text() and "督办通知" in row.inner_text(), row.inner_text()
    page.wait_for_selector("#circular-chart canvas, #circular-chart svg")
    shoot(page, "25-circular")
    with page.expect_navigation():
        page.click("[data-testid=issue]")
    circular_number = page.inner_text("[data-testid=circular-number]")
    assert re.fullmatch(r"朔整改办通〔\d{4}〕\d+号", circular_number), circular_number
    circular_pdf = _download(page, "a:has-text('下载 PDF')")
    _keep_pdf_pages(circular_pdf, "26-circular-pdf", pages=2)

    # A 工作简报 for the period lists both notices.
    page.goto("/export/briefings/")
    with page.expect_navigation():
        page.click("button:has-text('新建一期简报')")
    preview = page.inner_text("[data-testid=preview]")
    assert number in preview and urge_number in preview, preview
    shoot(page, "27-briefing-draft")
    with page.expect_navigation():
        page.click("[data-testid=issue]")
    assert "第" in page.inner_text("[data-testid=issue-no]")
    briefing_pdf = _download(page, "a:has-text('下载 PDF')")
    _keep_pdf_pages(briefing_pdf, "28-briefing-pdf")
