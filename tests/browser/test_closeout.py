"""Close-out in a real browser (issue 6): a clerk applies with evidence, the acceptance group
returns it, the clerk re-applies, it is accepted and published, and it is closed at the end of the
notice period (the nightly job run for a date 8 days on); the ledger, its export and the public
page show it; the 一案一档 dossier downloads and opens."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from rectify.progress.periods import SHANGHAI

from .conftest import login, rectify_command, shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def reviewer(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
    page = context.new_page()
    login(page, "acceptance")
    yield page
    context.close()


def _photo(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 100, 160)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return path


def _download(page: Any, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return Path(info.value.path()).read_bytes()


def test_apply_return_reapply_accept_publish_close_and_the_dossier(
    page: Any, reviewer: Any, tmp_path: Path, server: str
) -> None:
    login(page, "dept_clerk")  # 市生态环境局: the lead unit of one measure on its own
    page.goto("/closeout/")
    options = page.eval_on_selector_all("#ap-measure option", "os => os.map(o => o.value)")
    # The measure 市生态环境局 leads on its own (most seed measures have several lead units, who
    # would all have to agree first).
    for value in options:
        page.select_option("#ap-measure", value)
        with page.expect_navigation():
            page.click("button:has-text('申请销号')")
        if "须全部会签" not in page.content():
            break
        page.go_back()
    measure_text = page.inner_text(".card-body strong")
    page.fill("#ap-statement", "已完成整治，周边水体监测达标。")
    page.set_input_files("#ap-files", str(_photo(tmp_path, "整治后.png")))
    shoot(page, "30-closeout-apply")
    with page.expect_navigation():
        page.click("button:has-text('提交销号申请')")
    assert page.inner_text("[data-testid=closeout-status]") == "待验收"
    application_url = page.url

    # The acceptance group returns it with a reason.
    reviewer.goto("/closeout/review/")
    with reviewer.expect_navigation():
        reviewer.click(f"#closeout-table a:has-text('{measure_text}')")
    reviewer.fill("#rv-text", "请补充第三方检测报告。")
    with reviewer.expect_navigation():
        reviewer.click("[data-testid=return]")
    assert reviewer.inner_text("[data-testid=closeout-status]") == "已退回"

    # The clerk completes it and applies again.
    page.goto(application_url)
    assert "请补充第三方检测报告" in page.inner_text("[data-testid=opinion]")
    page.fill("#rs-text", "已补充第三方检测报告，水质达标。")
    page.set_input_files("#rs-files", str(_photo(tmp_path, "检测报告.png")))
    with page.expect_navigation():
        page.click("[data-testid=resubmit]")
    assert page.inner_text("[data-testid=closeout-status]") == "待验收"

    # Accepted: 公示 starts and the public page (no login) shows it.
    reviewer.goto(application_url)
    reviewer.fill("#rv-text", "经核查整改到位，同意销号。")
    with reviewer.expect_navigation():
        reviewer.click("[data-testid=accept]")
    assert reviewer.inner_text("[data-testid=closeout-status]") == "公示中"
    shoot(reviewer, "31-closeout-accepted")
    anonymous = page.context.browser.new_context(locale="en-US", base_url=server).new_page()
    anonymous.goto("/public/closeouts/")
    assert measure_text in anonymous.inner_text("#public-publishing")

    # The nightly job, a day after the 7-day notice period: 销号 dated the day after the period.
    today = dt.datetime.now(SHANGHAI).date()
    out = rectify_command("closeout_finish", "--today", (today + dt.timedelta(days=8)).isoformat())
    assert "销号 1 项" in out
    closed_on = (today + dt.timedelta(days=8)).isoformat()
    anonymous.goto("/public/closeouts/")
    assert measure_text in anonymous.inner_text("#public-closed") and closed_on in anonymous.inner_text(
        "#public-closed"
    )
    shoot(anonymous, "32-public-closeouts")
    anonymous.context.close()
    page.goto(application_url)
    assert page.inner_text("[data-testid=closeout-status]") == "已销号"
    timeline = page.inner_text("[data-testid=timeline]")
    for step in ["申请销号", "退回销号申请", "重新申请销号", "验收通过", "销号"]:
        assert step in timeline, step

    # The ledger and its export show it closed.
    with page.expect_navigation():
        page.click("a:has-text('" + measure_text.split("）")[0] + "）')")
    assert f"{closed_on} 已销号" in page.content()
    response = page.request.get("/export/ledger/?format=json")  # the export button's download, as the user
    assert response.ok
    exported = json.loads(response.body())
    closed = [m for p in exported["plans"][0]["problems"] for m in p["measures"] if m["status"] == "closed"]
    assert closed and closed[0]["closed_on"] == closed_on

    # The 一案一档 dossier downloads and opens.
    page.goto(application_url)
    data = _download(page, "[data-testid=dossier]")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert any(n.startswith("00_封面与目录") for n in names)
        assert any("整治后.png" in n for n in names) and any("检测报告.png" in n for n in names)
