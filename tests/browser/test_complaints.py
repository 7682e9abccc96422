"""交办件 in a real browser (issue 7): the city office imports a messy batch of 120 through the
review page, a 朔城区 case goes from 交办 to 办结 through the unit's form, the office publishes the
batch and the public 一览表 shows the result with no personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rectify.complaints.synthetic import batch_file, generate_cases

from .conftest import login, shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def clerk(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    login(page, "county_clerk")
    yield page
    context.close()


def test_a_batch_is_imported_a_case_is_closed_and_the_public_list_hides_personal_data(
    page: Any, clerk: Any, server: str, tmp_path: Path
) -> None:
    name, data = batch_file(120, batch_no=6, seed=11)
    path = tmp_path / name
    path.write_bytes(data)
    people = [c.cells for c in generate_cases(120, seed=11, batch_no=6)]
    secrets = {str(c.get(k)) for c in people for k in ("name", "phone", "id_number") if c.get(k)}
    assert len(secrets) > 100

    login(page, "city_office")
    page.goto("/complaints/")
    page.set_input_files("#c-file", str(path))
    with page.expect_navigation():
        page.click("button:has-text('解析并预览')")
    assert page.inner_text("[data-testid=new]") == "120"
    shoot(page, "40-complaints-review")
    eighteen = page.eval_on_selector("#r-problem", "s => [...s.options].find(o => o.text.startsWith('（十八）')).value")
    page.select_option("#r-problem", eighteen)
    with page.expect_navigation():
        page.click("[data-testid=commit]")
    assert "新增 120 件" in page.content()
    shoot(page, "41-complaints-batch")
    batch_url = page.url

    # The 朔城区 clerk closes one of the county's open cases of this batch (other journeys on this
    # server may have loaded the demo's 第3批).
    batch_pk = re.search(r"/batches/(\d+)/", batch_url)
    assert batch_pk, batch_url
    clerk.goto(f"/complaints/?status=open&batch={batch_pk.group(1)}")
    link = clerk.locator("#case-table tbody tr", has_text="朔城区").locator("a").first
    code = link.inner_text().strip()
    with clerk.expect_navigation():
        link.click()
    assert clerk.locator("[data-testid=complainant]").count() == 0
    assert not any(s in clerk.content() for s in secrets)
    clerk.fill("#h-inv", "经现场核查，反映问题属实。")
    clerk.select_option("#h-verdict", "substantiated")
    clerk.select_option("#h-status", "closed")
    clerk.fill("#h-handling", "已责令停产整治，设备已拆除。")
    clerk.fill("#h-filed", "1")
    clerk.fill("#h-fine", "5")
    with clerk.expect_navigation():
        clerk.click("[data-testid=save-handling]")
    assert clerk.inner_text("[data-testid=case-status]") == "办结"
    shoot(clerk, "42-complaint-closed")

    # Published: the public 一览表 shows the result, and no one's name, phone or ID number.
    page.goto(batch_url)
    with page.expect_navigation():
        page.click("[data-testid=publish]")
    anonymous = page.context.browser.new_context(locale="en-US", base_url=server).new_page()
    anonymous.goto("/public/complaints/")
    with anonymous.expect_navigation():
        anonymous.click("a:has-text('第6批')")
    table = anonymous.inner_text("#public-cases")
    row = anonymous.locator("#public-cases tr", has_text=code).inner_text()
    assert "已责令停产整治" in row and "属实" in row and "办结" in row
    leaked = [s for s in secrets if s in anonymous.content()]
    assert leaked == [] and len(table) > 1000
    shoot(anonymous, "43-public-complaints")
    anonymous.context.close()
