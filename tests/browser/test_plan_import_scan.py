"""A scanned plan in a real browser (issue 18): the city office uploads a sealed scan, watches the
background worker read it page by page, then checks each problem's fields beside the scanned pages
on the review page, on a desk (1366×768) and on a phone (390×844), and discards the import (other
journeys expect the ledger to hold the seed plan only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rectify.ingestion.parsers.ocr import ocr_available
from tests.parsers.scan_builder import build_official_pdf, first_problems, image_pdf, official_font, scan_pages

from .conftest import login, shoot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not ocr_available(), reason="the OCR package is not installed (pip install .[ocr])"),
]
SEED = Path(__file__).resolve().parents[2] / "rectify" / "ingestion" / "samples" / "shuozhou_2022_plan.txt"
TITLE = "某县贯彻落实省生态环境保护督察反馈意见整改方案"


def short_scan(folder: Path) -> Path:
    """The seed under another title, cut to its first two problems, printed, sealed and scanned."""
    plan = first_problems(
        SEED.read_text(encoding="utf-8").replace("朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", TITLE)
    )
    font = official_font("\n".join(plan), folder / "fang.ttf")
    path = folder / "扫描件.pdf"
    path.write_bytes(image_pdf(scan_pages(build_official_pdf(plan, font))))
    return path


def test_a_scan_is_read_in_the_background_and_checked_beside_its_pages(
    browser: Any, server: str, tmp_path: Path
) -> None:
    scan = short_scan(tmp_path)
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, base_url=server)
    try:
        page = desk.new_page()
        login(page, "city_office")
        page.goto("/import/")
        page.set_input_files("#plan-file", str(scan))
        page.click("button:has-text('解析并预览')")
        page.wait_for_selector("#reading-progress, #review-counts", timeout=30_000)
        if page.locator("#reading-progress").count():
            assert "页" in page.inner_text("#reading-progress")
            shoot(page, "import-scan-reading")
        # the page refreshes itself every 2 s until the worker has read every page
        page.wait_for_selector("#review-counts", timeout=180_000)
        assert "文字识别" in page.inner_text("#ocr-notice")
        assert page.locator(".ocr-mark").count() == 2
        assert page.inner_text("#count-problems") == "2"
        # the second problem's comparison opens beside the images of its pages, which load
        page.click("#ocr-2 summary")
        image = page.locator("#ocr-2 .ocr-pages img").first
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        assert "整改措施" in page.inner_text("#ocr-2 .ocr-fields")
        page.evaluate("document.getElementById('ocr-2').scrollIntoView({block: 'start'})")
        shoot(page, "import-scan-review-desk")
        url = page.url
        phone = browser.new_context(
            locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=server, storage_state=desk.storage_state()
        )
        try:
            mobile = phone.new_page()
            mobile.goto(url)
            mobile.wait_for_selector("#ocr-notice")
            assert mobile.evaluate("document.documentElement.scrollWidth") <= 390
            mobile.evaluate("document.getElementById('ocr-1').scrollIntoView({block: 'start'})")
            shoot(mobile, "import-scan-review-phone")
        finally:
            phone.close()
        page.click("button:has-text('放弃')")
        page.wait_for_url("**/import/")
        assert "已放弃" in page.inner_text("main") or "已放弃" in page.content()
    finally:
        desk.close()
