"""Review fixes (issue 17): a complaint case's 回访 note and next step are masked wherever a unit
sees them; a coordinator who sees a case through a support unit cannot take it over; an id too big
for the database is a 400 in Chinese, not a server error; a 县区动态 submission is validated."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.complaints import importing
from rectify.complaints import services as complaint_services
from rectify.complaints.models import CaseStatus, ComplaintBatch, ComplaintCase
from rectify.complaints.synthetic import batch_file
from rectify.documents import services as documents
from rectify.ingestion.models import ImportJob
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans.models import Assignment, Measure, Problem
from tests.web.test_import_flow import other_plan_bytes
from tests.web.test_weekly_loop import api

pytestmark = pytest.mark.django_db
JSON = "application/json"
NAME, PHONE = "欧阳测试明", "13812345678"
HUGE = [10**30, 2**31]


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def case(users: Any) -> ComplaintCase:
    """A 朔城区 case (lead 朔城区政府, county_clerk's unit) whose complainant is NAME, PHONE."""
    name, data = batch_file(3, batch_no=5)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch: ComplaintBatch = importing.case_import_commit(actor=users["city_office"], job=job)
    return complaint_services.case_create(
        actor=users["city_office"],
        batch=batch,
        code="D140600REVIEW1",
        content=f"朔城区某洗煤厂夜间偷排废水。举报人{NAME}，电话{PHONE}。",
        region=unit("朔城区"),
        types=["水"],
        personal={"name": NAME, "phone": PHONE},
    )


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, body, content_type=JSON)


def leaked(text: str) -> list[str]:
    return [s for s in (NAME, PHONE) if s in text]


# --- 1. personal data in the 回访 note and the next step ----------------------------------------


def test_a_revisit_note_naming_the_complainant_is_masked_in_every_api_answer(
    users: Any, client_for: Any, case: ComplaintCase
) -> None:
    body = {"result": f"电话回访举报人{NAME}（{PHONE}），对处理结果满意", "satisfaction": "satisfied"}
    done = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/revisit/", body)
    assert done.status_code == 200, done.json()
    assert done.json()["revisit_result"] and not leaked(done.content.decode())
    ComplaintCase.objects.filter(pk=case.pk).update(
        status=CaseStatus.STAGE_CLOSED, next_step=f"再次联系{NAME}，电话{PHONE}", next_step_due=dt.date(2022, 12, 1)
    )
    for role in ("city_office", "county_clerk"):
        client = api(users, role)
        answer = client.get(f"/api/v1/complaints/{case.pk}/")
        assert answer.status_code == 200
        assert answer.json()["revisit_result"].startswith("电话回访")
        assert not leaked(answer.content.decode()), role
        listed = client.get("/api/v1/complaints/", {"q": case.code})
        assert listed.json()["results"] and not leaked(listed.content.decode()), role
    # The page: the office that called back reads its note as written; the lead unit does not.
    assert NAME in client_for("city_office").get(reverse("complaints:case", args=[case.pk])).content.decode()
    page = client_for("county_clerk").get(reverse("complaints:case", args=[case.pk]))
    assert page.status_code == 200 and "电话回访" in page.content.decode()
    assert not leaked(page.content.decode())  # nor in the timeline's note


# --- 2. who may move a case's lead ---------------------------------------------------------------


@pytest.fixture
def pinglu_office() -> User:
    """平鲁区整改办's coordinator (county B): sees 朔城区 cases that a 平鲁区 unit supports."""
    user = User.objects.create(username="pinglu_office", first_name="平鲁区整改办")
    Membership.objects.create(user=user, unit=unit("平鲁区整改办"), role=Role.COORDINATOR)
    return user


def test_a_coordinator_seeing_a_case_through_a_support_unit_cannot_take_its_lead(
    users: Any, case: ComplaintCase, pinglu_office: User
) -> None:
    shuocheng, pinglu = unit("朔城区政府"), unit("平鲁区政府")
    complaint_services.case_assign(actor=users["city_office"], case=case, lead=shuocheng, support=[pinglu.pk])
    _, raw = token_issue(actor=pinglu_office, name="测试")
    refused = post(
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}"), f"/api/v1/complaints/{case.pk}/assign/", {"lead": pinglu.pk}
    )
    assert refused.status_code == 403 and refused.json()["detail"] == "只有整改办可以分派交办件。"
    page = Client()
    page.force_login(pinglu_office)
    url = reverse("complaints:case_action", args=[case.pk, "assign"])
    assert page.post(url, {"lead": pinglu.pk}).status_code == 403
    assert ComplaintCase.objects.get(pk=case.pk).lead_unit == shuocheng


def test_the_countys_own_coordinator_and_the_city_office_still_assign_on_the_page(
    client_for: Any, case: ComplaintCase
) -> None:
    url = reverse("complaints:case_action", args=[case.pk, "assign"])
    party = unit("朔城区党委")
    assert (
        client_for("county_office").post(url, {"lead": party.pk, "support": [unit("朔城区政府").pk]}).status_code == 302
    )
    assert ComplaintCase.objects.get(pk=case.pk).lead_unit == party
    # the county office may not name another county's unit as support: refused, nothing changes
    answer = client_for("county_office").post(url, {"lead": party.pk, "support": [unit("平鲁区政府").pk]}, follow=True)
    assert "配合单位不存在、已停用或不在您可分派的范围内" in answer.content.decode()
    assert list(ComplaintCase.objects.get(pk=case.pk).support_units.all()) == [unit("朔城区政府")]
    assert client_for("city_office").post(url, {"lead": unit("平鲁区政府").pk}).status_code == 302
    assert ComplaintCase.objects.get(pk=case.pk).lead_unit == unit("平鲁区政府")


def test_unknown_or_inactive_support_units_are_refused_by_number(users: Any, case: ComplaintCase) -> None:
    gone = unit("市能源局")
    OrgUnit.objects.filter(pk=gone.pk).update(is_active=False)
    body = {"lead": unit("朔城区政府").pk, "support": [987654, gone.pk]}
    refused = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/assign/", body)
    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        f"配合单位不存在、已停用或不在您可分派的范围内：{min(gone.pk, 987654)}、{max(gone.pk, 987654)}。"
    )
    assert not ComplaintCase.objects.get(pk=case.pk).support_units.exists()


# --- 3. ids too big for the database -------------------------------------------------------------


def refused_in_chinese(response: Any) -> None:
    assert response.status_code == 400, response.content
    text = str(response.json())
    assert re.search(r"[\u4e00-\u9fff]", text) and "2147483647" in text, text


@pytest.mark.parametrize("big", HUGE)
def test_huge_ids_in_lists_are_a_400_in_chinese(users: Any, client_for: Any, case: ComplaintCase, big: int) -> None:
    office = api(users, "city_office")
    shuocheng = unit("朔城区政府")
    refused_in_chinese(post(office, f"/api/v1/complaints/{case.pk}/assign/", {"lead": shuocheng.pk, "support": [big]}))
    refused_in_chinese(post(office, f"/api/v1/complaints/{case.pk}/assign/", {"lead": big}))
    measure = Measure.objects.filter(assignments__unit=shuocheng).first()
    assert measure is not None
    notice = {"kind": "reminder", "unit": shuocheng.pk, "measures": [measure.pk, big]}
    refused_in_chinese(post(office, "/api/v1/notices/", notice))
    visit = {
        "visited_on": "2022-10-08", "region": unit("朔城区").pk, "title": "现场督办", "leaders": "王明",
        "places": "某厂", "findings": "发现问题", "problems": [big],
    }  # fmt: skip
    refused_in_chinese(post(office, "/api/v1/visits/", visit))
    proposal = {"kind": "reminder", "unit": shuocheng.pk, "measures": [big]}
    refused_in_chinese(post(office, "/api/v1/notices/proposals/confirm/", proposal))
    problem = Problem.objects.get(number="一")
    pending = Assignment.objects.get(problem=problem, needs_confirmation=True)
    confirm = f"/api/v1/problems/{problem.pk}/assignments/{pending.pk}/confirm/"
    refused_in_chinese(post(office, confirm, {"units": [big]}))
    with time_machine.travel(dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC), tick=False):
        draft = documents.briefing_draft(
            actor=users["city_office"], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8)
        )
        pick = f"/api/v1/briefings/{draft.pk}/county-items/pick/"
        refused_in_chinese(post(office, pick, {"version": draft.version, "items": [big]}))


@pytest.mark.parametrize("big", HUGE)
def test_a_huge_unit_id_in_a_plan_imports_corrections_is_a_400_in_chinese(client_for: Any, big: int) -> None:
    client = client_for("city_office")
    job = client.post("/api/v1/plan-imports/", {"file": _upload()}).json()
    body = {"version": job["version"], "units": {"市直相关部门": [big]}}
    refused_in_chinese(client.patch(f"/api/v1/plan-imports/{job['id']}/", body, content_type=JSON))
    assert ImportJob.objects.get(pk=job["id"]).overrides == {}


def _upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("plan.txt", other_plan_bytes())


# --- 4. a 县区动态 submission ----------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '"x"', "42"])
def test_a_county_item_body_that_is_not_an_object_is_a_400(client_for: Any, body: str) -> None:
    answer = client_for("county_office").post("/api/v1/county-items/", body, content_type=JSON)
    assert answer.status_code == 400
    assert answer.json() == {"detail": "请求内容应为一个对象（含 title、body）。"}


def test_a_county_item_title_over_200_characters_is_a_400(client_for: Any) -> None:
    county = client_for("county_office")
    too_long = post(county, "/api/v1/county-items/", {"title": "长" * 201, "body": "正文"})
    assert too_long.status_code == 400 and "200" in str(too_long.json()["title"])
    as_form = county.post("/api/v1/county-items/", {"title": "长" * 201, "body": "正文"})
    assert as_form.status_code == 400
    fits = post(county, "/api/v1/county-items/", {"title": "长" * 200, "body": "正文"})
    assert fits.status_code == 201, fits.json()
