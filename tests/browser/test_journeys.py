"""Main journeys in a real browser: login → ledger → problem page; plan import with review."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import login, rectify_command, shoot

pytestmark = pytest.mark.browser
SEED = Path(__file__).resolve().parents[2] / "rectify" / "ingestion" / "samples" / "shuozhou_2022_plan.txt"


def test_coordinator_logs_in_filters_the_ledger_and_opens_a_problem(page: Any) -> None:
    page.goto("/")
    assert "/accounts/login/" in page.url
    shoot(page, "01-login")
    login(page, "city_office")
    # Offices and leaders land on the dashboard; the ledger is one click away.
    assert page.locator("h1").first.inner_text() == "领导驾驶舱"
    # Other browser tests add plans and measures to the same server: count what is there now.
    total, annual = (
        int(n)
        for n in rectify_command(
            "shell",
            "-c",
            "from rectify.plans.models import Measure as M; "
            "print(M.objects.count(), M.objects.filter(deadline_kind='annual').count())",
        ).split()[-2:]
    )
    page.goto("/")
    assert page.locator("h1").first.inner_text() == "整改台账"
    assert f"共 {total} 条" in page.content()
    shoot(page, "02-ledger")
    page.select_option("#f-kind", "annual")
    page.click("#ledger-filters button[type=submit]")
    page.wait_for_load_state()
    assert f"共 {annual} 条" in page.content() and annual >= 5
    page.click("#ledger-table a:has-text('（三十一）')")
    page.wait_for_load_state()
    assert "问题（三十一）" in page.locator("h1").first.inner_text()
    assert "按年度完成任务" in page.locator("#problem-deadline").inner_text()
    assert "朔城区政府" in page.locator("#problem-units").inner_text()
    shoot(page, "03-problem")


def test_a_county_clerk_sees_only_its_units_work(page: Any) -> None:
    login(page, "county_clerk")
    text = page.content()
    assert "朔城区政府" in text
    page.goto("/?q=煤炭消费底数不清")
    assert "共 0 条" in page.content()
    shoot(page, "04-clerk-ledger")


def test_coordinator_imports_a_plan_through_review(page: Any, tmp_path: Path) -> None:
    plan = tmp_path / "另一方案.txt"
    text = SEED.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", "朔城区贯彻落实整改方案"
    )
    plan.write_bytes(text.encode("gbk"))
    login(page, "city_office")
    page.click("[data-testid=nav-admin]")
    page.click("text=导入方案")
    page.set_input_files("#plan-file", str(plan))
    page.click("text=解析并预览")
    page.wait_for_selector("#review-counts")
    assert page.locator("#count-problems").inner_text() == "34"
    assert page.locator("#count-measures").inner_text() == "92"
    shoot(page, "05-import-review")
    page.fill("input[name='deadline::5']", "2022年12月底")
    page.click("text=保存修正并重新预览")
    page.wait_for_selector("text=审核修正已保存")
    with page.expect_navigation():
        page.click("#commit-btn")
    shoot(page, "06-imported")
    page.wait_for_selector("text=已导入")
    assert "朔城区贯彻落实整改方案" in page.content()


def test_bad_upload_shows_a_chinese_message(page: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    login(page, "city_office")
    page.goto("/import/")
    page.set_input_files("#plan-file", str(empty))
    page.click("text=解析并预览")
    message = page.locator("#upload-error").inner_text()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    shoot(page, "07-bad-upload")
