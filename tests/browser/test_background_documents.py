"""Heavy documents off the request path, in a real browser against the test server and its
background worker (conftest.py starts `rectify db_worker` beside gunicorn): generating a 通报 and
downloading the public 一览表 PDF show progress (排队中/生成中) and then the file, which downloads
by itself: the request that starts the job answers with the progress page, not the file (its time,
printed as START_MS, is a figure for docs/benchmarks.md, not an assertion: the machine is shared)."""

from __future__ import annotations

import urllib.request
from pathlib import Path
from typing import Any

import pytest

from .conftest import login, rectify_command, shoot

pytestmark = pytest.mark.browser

# What the server took to answer the navigation (request sent → first byte), in the browser's own clock.
SERVER_MS = (
    "(() => { const n = performance.getEntriesByType('navigation')[0]; return n.responseStart - n.requestStart; })()"
)
PUBLISHED_BATCH = """
from rectify.complaints import selectors
print(selectors.published_batches().first().pk)
"""


def _progress_then_download(page: Any, selector: str, name: str) -> tuple[float, bytes, str]:
    """Click a download link: the progress page comes first, then the file downloads by itself."""
    with page.expect_download(timeout=90_000) as info:
        page.click(selector)
        page.wait_for_selector("[data-testid=job-status]")
        server_ms = float(page.evaluate(SERVER_MS))
        assert page.inner_text("[data-testid=job-state]") in ("排队中", "生成中", "已完成")
        shoot(page, f"{name}-progress")
        page.wait_for_selector("[data-testid=job-status][data-state=done]", timeout=90_000)
        assert page.locator("[data-testid=job-download]").count() == 1
    shoot(page, f"{name}-done")
    return server_ms, Path(info.value.path()).read_bytes(), info.value.suggested_filename


def test_the_public_list_pdf_shows_progress_then_downloads(browser: Any, server: str) -> None:
    rectify_command("load_demo_complaints")
    batch = rectify_command("shell", "-c", PUBLISHED_BATCH).split()[-1]
    context = browser.new_context(locale="zh-CN", base_url=server, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(f"/public/complaints/{batch}/")
        server_ms, content, filename = _progress_then_download(page, "a:has-text('下载 PDF')", "jobs-public-list")
        assert content.startswith(b"%PDF") and filename.endswith(".pdf")
        print(f"START_MS {server_ms:.0f}")
        # Unchanged data: the next reader gets the file itself (200, the same bytes), no progress page.
        with urllib.request.urlopen(f"{server}/public/complaints/{batch}.pdf", timeout=30) as response:
            assert response.status == 200 and response.read() == content
    finally:
        context.close()


def test_generating_a_circular_shows_progress_then_downloads_word_and_pdf(page: Any) -> None:
    login(page, "city_office")
    page.goto("/export/circulars/")
    years = page.locator("#g-year option").all_inner_texts()
    page.select_option("#g-year", years[-1].removesuffix("年"))  # a year no other browser test uses
    page.select_option("#g-month", "7")
    with page.expect_navigation():
        page.click("button:has-text('生成（或更新）本月通报草稿')")
    circular_url = page.url
    server_ms, content, filename = _progress_then_download(page, "a:has-text('下载 PDF')", "jobs-circular-pdf")
    assert content.startswith(b"%PDF") and filename.endswith("通报（草稿）.pdf")
    print(f"START_MS {server_ms:.0f}")
    page.goto(circular_url)
    _, word, name = _progress_then_download(page, "a:has-text('下载 Word')", "jobs-circular-docx")
    assert word.startswith(b"PK") and name.endswith(".docx")


FIRST_PROBLEM = """
from rectify.plans.models import Problem
print(Problem.objects.get(number="十八").pk)
"""


def test_a_problems_dossier_shows_progress_then_downloads_the_zip(page: Any) -> None:
    """The 一案一档 link starts a job and sends the browser to the export's progress page, which
    downloads the .zip by itself once the worker wrote it (issue 16)."""
    problem = rectify_command("shell", "-c", FIRST_PROBLEM).split()[-1]
    login(page, "city_office")
    page.goto(f"/problems/{problem}/")
    server_ms, content, filename = _progress_then_download(page, "a:has-text('一案一档')", "jobs-dossier")
    assert content.startswith(b"PK") and filename.endswith(".zip")
    assert "/exports/" in page.url  # the progress page, the requester's own
    print(f"START_MS {server_ms:.0f}")
