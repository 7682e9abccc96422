"""Close-out in a real browser (issue 6, per share since issue 11): a clerk applies for its unit's
own share with evidence, the acceptance group returns it, the clerk re-applies, it is accepted and
published, and it is closed at the end of the notice period (the nightly job run for a date 8 days
on); the ledger, its export and the public page show it; the 一案一档 dossier downloads and opens.
A problem with three lead units: one applies for the whole problem, the two others agree (会签)
each from its own account, from the notification's link, then 验收 → 公示 → 销号."""

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
    login(page, "dept_clerk")  # 市生态环境局: the only lead unit of （十八）'s measure
    page.goto("/closeout/")
    # The clerk picks its own share (本单位分工) of the measure it leads alone: accepted, the
    # measure goes to 公示 at once (with other lead units it would wait for their shares).
    options = page.eval_on_selector_all("#ap-share option", "os => os.map(o => [o.value, o.textContent])")
    value = next(v for v, text in options if text.startswith("（十八）"))
    page.select_option("#ap-share", value)
    with page.expect_navigation():
        page.click("button:has-text('申请销号')")
    assert page.get_attribute("[data-testid=leads]", "data-count") == "1"
    assert "市生态环境局承担的分工" in page.inner_text("[data-testid=apply-share]")
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
    for step in ["提交了本销号申请", "退回了本销号申请", "重新提交了本销号申请", "验收通过", "予以销号"]:
        assert step in timeline, step

    # The ledger and its export show it closed.
    with page.expect_navigation():
        page.click("a:has-text('" + measure_text.split("）")[0] + "）')")
    assert f"{closed_on} 已销号" in page.content()
    # The export button's download, as the user: a progress page (rendered by the worker), then the file.
    page.goto("/export/ledger/?format=json")
    page.wait_for_selector("[data-testid=job-status][data-state=done]", timeout=90_000)
    response = page.request.get(page.get_attribute("[data-testid=job-download]", "href"))
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


CO_LEADS = {"clerk_party": "朔城区党委", "clerk_industry": "市工信局"}
SETUP = """
from django.contrib.auth.models import User
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans.models import Problem
for username, unit in {co_leads!r}.items():
    user, _ = User.objects.get_or_create(username=username, defaults={{"first_name": unit + "联络员"}})
    user.set_password({password!r})
    user.save()
    Membership.objects.get_or_create(user=user, unit=OrgUnit.objects.get(name=unit), role=Role.CLERK)
print(Problem.objects.get(number="十四").pk)
"""


def test_a_problem_with_three_lead_units_is_agreed_by_each_from_its_own_account(
    page: Any, reviewer: Any, browser: Any, server: str, tmp_path: Path
) -> None:
    from .conftest import PASSWORD

    # Two more clerks: the co-lead units of （十四） (朔城区政府's clerk is in the demo cast).
    problem_id = int(rectify_command("shell", "-c", SETUP.format(co_leads=CO_LEADS, password=PASSWORD)).split()[-1])

    login(page, "county_clerk")  # 朔城区政府, one of the three lead units
    page.goto(f"/problems/{problem_id}/")
    with page.expect_navigation():
        page.click("a:has-text('整个问题申请销号')")
    assert page.get_attribute("[data-testid=leads]", "data-count") == "3"
    page.fill("#ap-statement", "问题（十四）各项措施均已完成整改，经自查达到整改目标。")
    page.set_input_files("#ap-files", str(_photo(tmp_path, "问题十四整改完成.png")))
    with page.expect_navigation():
        page.click("button:has-text('提交销号申请')")
    assert page.inner_text("[data-testid=closeout-status]") == "待牵头单位会签"
    application_url = page.url
    shoot(page, "33-closeout-problem-consenting")

    # Each co-lead: the 会签 request in its notifications opens the application; it agrees.
    for n, (username, unit) in enumerate(CO_LEADS.items()):
        context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
        co_lead = context.new_page()
        login(co_lead, username)
        co_lead.goto("/notifications/")
        with co_lead.expect_navigation():
            co_lead.click("a:has-text('【销号会签】问题（十四）')")
        assert co_lead.url.split("?")[0] == application_url
        assert co_lead.inner_text("[data-testid=closeout-status]") == "待牵头单位会签"
        co_lead.goto("/closeout/")
        assert "问题（十四）" in co_lead.inner_text("#closeout-table")
        co_lead.goto(application_url)
        with co_lead.expect_navigation():
            co_lead.click(f"button:has-text('以{unit}名义会签同意')")
        expected = "待验收" if n == len(CO_LEADS) - 1 else "待牵头单位会签"
        assert co_lead.inner_text("[data-testid=closeout-status]") == expected
        shoot(co_lead, f"34-closeout-consent-{n + 1}")
        context.close()

    # 验收 → 公示: every lead share of both measures is 已完成.
    reviewer.goto("/closeout/review/")
    with reviewer.expect_navigation():
        reviewer.click("#closeout-table a:has-text('问题（十四）')")
    reviewer.fill("#rv-text", "三个牵头单位均已完成整改，同意销号。")
    with reviewer.expect_navigation():
        reviewer.click("[data-testid=accept]")
    assert reviewer.inner_text("[data-testid=closeout-status]") == "公示中"
    statuses = reviewer.eval_on_selector_all("[data-share-status]", "rows => rows.map(r => r.dataset.shareStatus)")
    assert statuses == ["completed"] * 6
    assert reviewer.inner_text("[data-testid=breakdown]").count("已完成 3/3") == 2
    shoot(reviewer, "35-closeout-problem-published")

    # 销号 by the nightly job after the notice period; every lead unit sees it closed.
    today = dt.datetime.now(SHANGHAI).date()
    closed_on = (today + dt.timedelta(days=8)).isoformat()
    assert "销号 1 项" in rectify_command("closeout_finish", "--today", closed_on)
    page.goto(application_url)
    assert page.inner_text("[data-testid=closeout-status]") == "已销号"
    statuses = page.eval_on_selector_all("[data-share-status]", "rows => rows.map(r => r.dataset.shareStatus)")
    assert statuses == ["closed"] * 6
    shoot(page, "36-closeout-problem-closed")
    for username in CO_LEADS:
        context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900}, base_url=server)
        co_lead = context.new_page()
        login(co_lead, username)
        co_lead.goto("/notifications/")
        with co_lead.expect_navigation():
            co_lead.click("a:has-text('【已销号】问题（十四）')")
        assert co_lead.inner_text("[data-testid=closeout-status]") == "已销号"
        context.close()
    page.goto(f"/problems/{problem_id}/")
    assert f"{closed_on} 已销号" in page.content()
