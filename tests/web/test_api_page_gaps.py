"""Three API operations that did less than their page (issue 17): PATCH on a complaint case changes
only what is sent; a notice takes 抄送 (`copy_to`) on create and edit and prints it in the 版记 like
the page's; the acceptance group's decision takes the on-site record (`visit`) like the page's."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from rectify.closeout import services as closeout
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.complaints import importing
from rectify.complaints import services as complaints
from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.complaints.synthetic import batch_file
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Measure
from rectify.supervision import visits
from rectify.supervision.models import SiteVisit, SupervisionNotice
from tests.domain.test_closeout import clerk_for, photo, single_lead_measure
from tests.web.test_weekly_loop import MISSING, api

pytestmark = pytest.mark.django_db
JSON = "application/json"
FROZEN = dt.datetime(2022, 11, 1, 2, tzinfo=dt.UTC)
NAME = "欧阳测试明"  # personal data in the stored text: the API shows it masked, a PATCH must keep it
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        yield t


def chinese(response: Any) -> bool:
    return bool(CHINESE.search(str(response.json())))


# --- 1. PATCH /api/v1/complaints/<pk>/ ------------------------------------------------------------

HANDLED = {
    "investigation": f"经核查部分属实，已联系举报人{NAME}。",
    "verdict": "partly",
    "handling": "责令停产整治。",
    "accountability": "约谈企业负责人。",
    "ordered": 1,
    "filed": 2,
    "fine": "3.50",
    "detained": 0,
    "interviewed": 4,
    "held_accountable": 5,
    "status": "stage_closed",
    "next_step": "复查整改效果",
    "next_step_due": dt.date(2022, 12, 31),
}
FIELDS = list(HANDLED)


@pytest.fixture
def case(users: Any) -> ComplaintCase:
    """A case of 朔城区 (handled by 朔城区政府, the county clerk's unit) with every field filled."""
    name, data = batch_file(3, batch_no=6)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(actor=users["city_office"], job=job, problem=None)
    made = complaints.case_create(
        actor=users["city_office"],
        batch=batch,
        code="D140600GAPS1",
        content="朔城区某洗煤厂夜间偷排废水。",
        region=OrgUnit.objects.get(name="朔城区"),
    )
    complaints.case_update(
        actor=users["city_office"], case=made, version=made.version, data=complaints.CaseInput(**HANDLED)
    )
    made.refresh_from_db()
    return made


def stored(pk: int) -> dict[str, Any]:
    row = ComplaintCase.objects.get(pk=pk)
    return {field: getattr(row, field) for field in FIELDS}


def test_a_case_patch_of_one_field_leaves_every_other_field_as_it_was(users: Any, case: ComplaintCase) -> None:
    before = stored(case.pk)
    assert before["fine"] == Decimal("3.50") and NAME in before["investigation"]
    clerk = api(users, "county_clerk")
    answer = clerk.patch(f"/api/v1/complaints/{case.pk}/", {"handling": "已停产，完成整改。"}, content_type=JSON)
    assert answer.status_code == 200, answer.json()
    after = stored(case.pk)
    assert after == {**before, "handling": "已停产，完成整改。"}
    # The stored text keeps the personal data the API never shows (not overwritten by the masked view).
    assert NAME in after["investigation"] and NAME not in str(answer.json())
    assert answer.json()["handling"] == "已停产，完成整改。" and answer.json()["status"] == "stage_closed"
    assert ComplaintCase.objects.get(pk=case.pk).version == case.version + 1


def test_the_fields_sent_are_changed_and_a_sent_version_is_checked(users: Any, case: ComplaintCase) -> None:
    clerk = api(users, "county_clerk")
    stale = case.version
    body = {"fine": "0.75", "ordered": 6, "next_step_due": None, "status": "closed", "version": stale}
    answer = clerk.patch(f"/api/v1/complaints/{case.pk}/", body, content_type=JSON)
    assert answer.status_code == 200, answer.json()
    after = stored(case.pk)
    assert (after["fine"], after["ordered"], after["next_step_due"], after["status"]) == (
        Decimal("0.75"),
        6,
        None,
        CaseStatus.CLOSED,
    )
    assert after["verdict"] == "partly" and after["interviewed"] == 4
    assert ComplaintCase.objects.get(pk=case.pk).closed_on == FROZEN.date()
    # A blank sent on purpose is written as blank.
    assert clerk.patch(f"/api/v1/complaints/{case.pk}/", {"accountability": ""}, content_type=JSON).status_code == 200
    assert stored(case.pk)["accountability"] == ""
    # The fields not sent were read at `stale`: someone else's save in between is a 409.
    conflict = clerk.patch(f"/api/v1/complaints/{case.pk}/", {"handling": "覆盖", "version": stale}, content_type=JSON)
    assert conflict.status_code == 409 and "他人" in conflict.json()["detail"]
    assert stored(case.pk)["handling"] == "责令停产整治。"


def test_editing_a_closed_case_later_keeps_the_day_it_was_closed(users: Any, case: ComplaintCase) -> None:
    clerk = api(users, "county_clerk")
    assert clerk.patch(f"/api/v1/complaints/{case.pk}/", {"status": "closed"}, content_type=JSON).status_code == 200
    closed_on = ComplaintCase.objects.get(pk=case.pk).closed_on
    with time_machine.travel(dt.datetime.combine(closed_on + dt.timedelta(days=3), dt.time(10)), tick=False):
        answer = clerk.patch(f"/api/v1/complaints/{case.pk}/", {"handling": "补充说明。"}, content_type=JSON)
    assert answer.status_code == 200, answer.json()
    assert ComplaintCase.objects.get(pk=case.pk).closed_on == closed_on


@pytest.mark.parametrize(
    "body",
    [
        {"ordered": -1},
        {"fine": "-2"},
        {"fine": "很多"},
        {"status": "nonsense"},
        {"verdict": "maybe"},
        {"next_step_due": "明天"},
        {"investigation": None},
        {"version": "x"},
    ],
)
def test_bad_values_are_refused_in_chinese_and_change_nothing(
    users: Any, case: ComplaintCase, body: dict[str, Any]
) -> None:
    before = stored(case.pk)
    answer = api(users, "county_clerk").patch(f"/api/v1/complaints/{case.pk}/", body, content_type=JSON)
    assert answer.status_code == 400 and chinese(answer), answer.json()
    assert stored(case.pk) == before


def test_the_merged_case_is_checked_by_the_pages_rules(users: Any, case: ComplaintCase) -> None:
    clerk = api(users, "county_clerk")
    # Stage-closed without a next step: the page's message, for the merged whole.
    answer = clerk.patch(f"/api/v1/complaints/{case.pk}/", {"next_step": " "}, content_type=JSON)
    assert answer.status_code == 400 and answer.json()["detail"] == "阶段性办结须填写下一步工作及完成时限。"
    # Closing is refused without a verdict, even when only the status is sent.
    clerk.patch(f"/api/v1/complaints/{case.pk}/", {"verdict": "", "status": "open"}, content_type=JSON)
    refused = clerk.patch(f"/api/v1/complaints/{case.pk}/", {"status": "closed"}, content_type=JSON)
    assert refused.status_code == 400 and "办结前请填写是否属实" in refused.json()["detail"]
    assert stored(case.pk)["status"] == CaseStatus.OPEN


def test_a_case_patch_is_scoped_like_the_page(users: Any, case: ComplaintCase) -> None:
    before = stored(case.pk)
    other = api(users, "dept_clerk").patch(f"/api/v1/complaints/{case.pk}/", {"handling": "x"}, content_type=JSON)
    missing = api(users, "city_office").patch(f"/api/v1/complaints/{MISSING}/", {"handling": "x"}, content_type=JSON)
    leader = api(users, "leader").patch(f"/api/v1/complaints/{case.pk}/", {"handling": "x"}, content_type=JSON)
    assert other.status_code == 404 and missing.status_code == 404
    assert leader.status_code == 403 and chinese(leader)
    assert stored(case.pk) == before


# --- 2. 抄送 on /api/v1/notices/ -------------------------------------------------------------------

COPIED = ["市委办公室", "市委督查室", "各县（市、区）政府"]


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)


def draft(users: Any, **extra: Any) -> dict[str, Any]:
    unit = OrgUnit.objects.get(name="朔城区政府")
    measure = Measure.objects.filter(assignments__unit=unit).order_by("pk").first()
    assert measure is not None
    body = {"kind": "reminder", "unit": unit.pk, "measures": [measure.pk], "response_due": "2022-11-15", **extra}
    created = api(users, "city_office").post("/api/v1/notices/", body, content_type=JSON)
    assert created.status_code == 201, created.json()
    return dict(created.json())


def test_copy_to_is_stored_returned_and_printed_in_the_banji(users: Any) -> None:
    # As on the page: names chosen one by one and names typed together, split, trimmed, once each.
    notice = draft(users, copy_to=["市委办公室", "市委督查室、各县（市、区）政府\n市委督查室", " "])
    assert notice["copy_to"] == COPIED
    assert SupervisionNotice.objects.get(pk=notice["id"]).copy_to == COPIED
    office = api(users, "city_office")
    line = "抄送：市委办公室，市委督查室，各县（市、区）政府。"
    assert line in docx_text(office.get(f"/api/v1/notices/{notice['id']}/docx/").content)
    # The page prints the same line for the same notice.
    page = Client()
    page.force_login(users["city_office"])
    assert line in docx_text(page.get(reverse("documents:notice_docx", args=[notice["id"]])).content)
    assert line in page.get(reverse("supervision:notice", args=[notice["id"]])).content.decode()
    assert draft(users)["copy_to"] == []


def test_a_notice_patch_sets_copy_to_and_keeps_what_is_not_sent(users: Any) -> None:
    notice = draft(users, copy_to=COPIED, title="关于加快整改的提醒函")
    office = api(users, "city_office")
    path = f"/api/v1/notices/{notice['id']}/"
    titled = office.patch(path, {"title": "新标题"}, content_type=JSON)
    assert titled.status_code == 200, titled.json()
    kept = titled.json()
    assert kept["title"] == "新标题" and kept["copy_to"] == COPIED
    assert (kept["body"], kept["response_due"], kept["measures"]) == (
        notice["body"],
        "2022-11-15",
        notice["measures"],
    )
    changed = office.patch(path, {"copy_to": ["市政府办公室"], "version": kept["version"]}, content_type=JSON)
    assert changed.status_code == 200 and changed.json()["copy_to"] == ["市政府办公室"]
    assert changed.json()["title"] == "新标题"
    assert "抄送：市政府办公室。" in docx_text(office.get(f"{path}docx/").content)
    stale = office.patch(path, {"copy_to": [], "version": kept["version"]}, content_type=JSON)
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    cleared = office.patch(path, {"copy_to": []}, content_type=JSON)
    assert cleared.status_code == 200 and cleared.json()["copy_to"] == []
    assert "抄送" not in docx_text(office.get(f"{path}docx/").content)


def test_copy_to_is_refused_like_the_page(users: Any) -> None:
    too_many = ["、".join(f"单位{i}" for i in range(25))]
    unit = OrgUnit.objects.get(name="朔城区政府")
    office = api(users, "city_office")
    refused = office.post(
        "/api/v1/notices/", {"kind": "reminder", "unit": unit.pk, "copy_to": too_many}, content_type=JSON
    )
    assert refused.status_code == 400 and refused.json()["detail"] == "抄送机关最多20个，请精简。"
    assert not SupervisionNotice.objects.exists()
    notice = draft(users, copy_to=["市委办公室"])
    path = f"/api/v1/notices/{notice['id']}/"
    assert office.patch(path, {"copy_to": too_many}, content_type=JSON).status_code == 400
    not_a_list = office.patch(path, {"copy_to": {"a": 1}}, content_type=JSON)
    assert not_a_list.status_code == 400 and chinese(not_a_list)
    blank_title = office.patch(path, {"title": " "}, content_type=JSON)
    assert blank_title.status_code == 400 and blank_title.json()["detail"] == "标题和正文不能为空。"
    assert SupervisionNotice.objects.get(pk=notice["id"]).copy_to == ["市委办公室"]
    # Drafts are seen only by the offices that may issue them: for anyone else it is not found.
    for role in ("county_clerk", "leader"):
        assert api(users, role).patch(path, {"copy_to": []}, content_type=JSON).status_code == 404
    assert SupervisionNotice.objects.get(pk=notice["id"]).copy_to == ["市委办公室"]


# --- 3. visit on POST /api/v1/closeouts/<pk>/decide/ ---------------------------------------------


def applied() -> CloseoutApplication:
    measure = single_lead_measure()
    unit = closeout.lead_units(measure=measure)[0]
    return closeout.closeout_apply(
        actor=clerk_for(unit), unit=unit, statement="已完成。", measure=measure, files=[photo()]
    )


def site_visit(users: Any, title: str) -> SiteVisit:
    return visits.visit_record(
        actor=users["city_office"],
        data=visits.VisitInput(
            visited_on=dt.date(2022, 10, 30),
            region=OrgUnit.objects.get(name="朔城区"),
            title=title,
            leaders="副市长",
            places="东平太村",
            findings="现场核实整改情况",
        ),
    )


def test_the_decision_records_the_site_visit_like_the_page(users: Any) -> None:
    app = applied()
    first, second = site_visit(users, "第一次核查"), site_visit(users, "第二次核查")
    reviewer = api(users, "acceptance")
    path = f"/api/v1/closeouts/{app.pk}/decide/"
    body = {"decision": "site_check", "opinion": "需现场核查", "seen": "submitted"}
    answer = reviewer.post(path, {**body, "visit": first.pk}, content_type=JSON)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "site_check" and answer.json()["visit"] == first.pk
    app.refresh_from_db()
    assert (app.status, app.visit_id) == (CloseoutStatus.SITE_CHECK, first.pk)
    # The page records its own choice on the same field, through the same service.
    page = Client()
    page.force_login(users["acceptance"])
    form = {"text": "缺监测报告", "seen": "site_check", "visit": second.pk}
    page.post(reverse("closeout:action", args=[app.pk, "return"]), form)
    app.refresh_from_db()
    assert (app.status, app.visit_id) == (CloseoutStatus.RETURNED, second.pk)
    assert reviewer.get(f"/api/v1/closeouts/{app.pk}/").json()["visit"] == second.pk


def test_without_a_visit_the_decision_is_as_before(users: Any) -> None:
    app = applied()
    body = {"decision": "return", "opinion": "材料不全", "visit": None}
    answer = api(users, "acceptance").post(f"/api/v1/closeouts/{app.pk}/decide/", body, content_type=JSON)
    assert answer.status_code == 200 and answer.json()["visit"] is None and answer.json()["status"] == "returned"


def test_a_missing_or_bad_visit_is_refused_before_anything_changes(users: Any) -> None:
    app = applied()
    reviewer = api(users, "acceptance")
    path = f"/api/v1/closeouts/{app.pk}/decide/"
    body = {"decision": "site_check", "opinion": "需现场核查"}
    assert reviewer.post(path, {**body, "visit": MISSING}, content_type=JSON).status_code == 404
    bad = reviewer.post(path, {**body, "visit": "第一次"}, content_type=JSON)
    assert bad.status_code == 400 and chinese(bad)
    app.refresh_from_db()
    assert (app.status, app.visit_id) == (CloseoutStatus.SUBMITTED, None)
    assert not app.decisions.exists()
