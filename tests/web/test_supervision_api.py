"""/api/v1/ for supervision: scoped like the pages, whole objects in one call, the same rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Problem
from rectify.supervision.models import SupervisionNotice
from rectify.supervision.services import deadlines_scan
from tests.web.test_weekly_loop import BUSINESS, NO_BUSINESS, api, png

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        deadlines_scan(send_mail=False)
        yield t


def shuocheng() -> OrgUnit:
    return OrgUnit.objects.get(name="朔城区政府")


def red_ids() -> list[int]:
    """Measures on which 朔城区政府's own share is red."""
    return list(
        Measure.objects.filter(assignments__unit=shuocheng(), assignments__warning_level="red")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@pytest.mark.parametrize("path", ["/api/v1/notices/", "/api/v1/extensions/", "/api/v1/visits/", "/api/v1/flags/"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_lists_are_for_business_roles(users: Any, client_for: Any, role: str, path: str) -> None:
    client = client_for(role) if role == "outsider" else api(users, role)  # no token for a user without a role
    assert client.get(path).status_code == (200 if role in BUSINESS else 403)


def test_a_notice_is_drafted_issued_replied_escalated_and_closed(users: Any, frozen: Any) -> None:
    office, clerk, other = api(users, "city_office"), api(users, "county_clerk"), api(users, "dept_clerk")
    body = {"kind": "reminder", "unit": shuocheng().pk, "measures": red_ids()[:2], "issue": True}
    created = office.post("/api/v1/notices/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    notice = created.json()
    assert notice["number"] == "朔整改办函〔2022〕1号" and notice["status"] == "issued" and len(notice["measures"]) == 2
    assert other.get(f"/api/v1/notices/{notice['id']}/").status_code == 404
    mine = clerk.get("/api/v1/notices/?status=issued").json()
    assert mine["count"] == 1
    photo = SimpleUploadedFile("现场.png", png(), content_type="image/png")
    replied = clerk.post(f"/api/v1/notices/{notice['id']}/reply/", {"text": "已整改", "files": [photo]})
    assert replied.status_code == 200 and replied.json()["status"] == "replied"
    assert replied.json()["attachments"][0]["type_label"]
    assert clerk.post(f"/api/v1/notices/{notice['id']}/close/", {"text": "x"}).status_code == 403
    urge = office.post(f"/api/v1/notices/{notice['id']}/escalate/", {}, content_type="application/json")
    assert urge.status_code == 201 and urge.json()["kind"] == "urge" and urge.json()["status"] == "draft"
    patched = office.patch(
        f"/api/v1/notices/{urge.json()['id']}/",
        {"version": urge.json()["version"], "title": "督办通知", "body": "请于十日内整改到位。"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["body"] == "请于十日内整改到位。"
    stale = office.patch(
        f"/api/v1/notices/{urge.json()['id']}/",
        {"version": urge.json()["version"], "title": "旧", "body": "旧"},
        content_type="application/json",
    )
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    issued = office.post(f"/api/v1/notices/{urge.json()['id']}/issue/", {}, content_type="application/json")
    assert issued.json()["number"] == "朔整改办督〔2022〕1号"
    assert office.get(f"/api/v1/notices/{notice['id']}/").json()["status"] == "escalated"


def test_a_skipped_rung_is_refused_without_a_reason(users: Any, frozen: Any) -> None:
    office = api(users, "city_office")
    body = {"kind": "report", "unit": shuocheng().pk, "measures": red_ids()[:1], "issue": True}
    refused = office.post("/api/v1/notices/", body, content_type="application/json")
    assert refused.status_code == 400 and "属越级" in refused.json()["detail"]
    assert not SupervisionNotice.objects.exclude(status="draft").exists()


def test_measures_of_another_unit_are_refused(users: Any, frozen: Any) -> None:
    dept = OrgUnit.objects.get(name="市生态环境局")
    body = {"kind": "reminder", "unit": dept.pk, "measures": red_ids()[:1]}
    response = api(users, "city_office").post("/api/v1/notices/", body, content_type="application/json")
    assert response.status_code == 400 and "不属于该单位" in response.json()["detail"]


def test_proposals_through_the_api(users: Any, frozen: Any) -> None:
    with time_machine.travel(dt.datetime(2022, 10, 16, 2, tzinfo=dt.UTC), tick=False):
        deadlines_scan(send_mail=False)
        proposals = api(users, "city_office").get("/api/v1/notices/proposals/").json()
        assert api(users, "county_clerk").get("/api/v1/notices/proposals/").json() == []
    mine = next(p for p in proposals if p["unit_name"] == "朔城区政府" and p["kind"] == "reminder")
    # Each proposal carries the unit's own shares, read back here from the database.
    assert [s["measure"] for s in mine["shares"]] == mine["measures"]
    for s in mine["shares"]:
        own = Assignment.objects.get(pk=s["id"])
        assert own.unit_id == shuocheng().pk and own.measure_id == s["measure"] and own.warning_level == "red"
        assert (s["progress"], s["warning_level"], s["due_on"]) == (
            own.progress,
            "red",
            own.due_on.isoformat() if own.due_on else None,
        )


def test_an_extension_through_the_api_moves_one_share_and_says_so(users: Any) -> None:
    measure = Measure.objects.get(problem__number="二十", number="47")
    unit, dept = shuocheng(), OrgUnit.objects.get(name="市生态环境局")
    with time_machine.travel(dt.datetime(2022, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        mine = api(users, "county_clerk").post(
            "/api/v1/extensions/",
            {"measure": measure.pk, "unit": unit.pk, "reason": "冬季停工", "requested_due": "2023-06-30"},
            content_type="application/json",
        )
        theirs = api(users, "dept_clerk").post(
            "/api/v1/extensions/",
            {"measure": measure.pk, "unit": dept.pk, "reason": "设备采购", "requested_due": "2023-02-28"},
            content_type="application/json",
        )
        assert mine.status_code == theirs.status_code == 201  # one pending request per share, not per measure
        county = api(users, "county_office")
        assert county.post(
            f"/api/v1/extensions/{theirs.json()['id']}/decide/", {"approve": True}, content_type="application/json"
        ).status_code in {403, 404}
        approved = county.post(
            f"/api/v1/extensions/{mine.json()['id']}/decide/",
            {"approve": True, "approved_due": "2023-03-31"},
            content_type="application/json",
        ).json()
    assert (approved["old_due"], approved["approved_due"], approved["unit_due_on"]) == (
        "2022-12-31",
        "2023-03-31",
        "2023-03-31",
    )
    assert approved["unit_due_extended"] and approved["measure_due_on"] == "2022-12-31"
    own = Assignment.objects.get(measure=measure, unit=unit)
    assert own.due_on == dt.date(2023, 3, 31) and own.due_extended
    others = Assignment.objects.filter(measure=measure).exclude(pk=own.pk)
    assert set(others.values_list("due_on", "due_extended")) == {(dt.date(2022, 12, 31), False)}
    assert Measure.objects.get(pk=measure.pk).due_on == dt.date(2022, 12, 31)
    listed = api(users, "dept_clerk").get("/api/v1/extensions/").json()["results"]
    assert [(e["unit_name"], e["status"], e["unit_due_on"]) for e in listed] == [
        ("市生态环境局", "pending", "2022-12-31")
    ]


def test_extensions_visits_and_flags(users: Any) -> None:
    unit = shuocheng()
    measure = Measure.objects.filter(assignments__unit=unit, due_on=dt.date(2022, 12, 31), deadline_kind="date").first()
    with time_machine.travel(dt.datetime(2022, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        body = {"measure": measure.pk, "unit": unit.pk, "reason": "冬季停工", "requested_due": "2023-06-30"}
        ext = api(users, "county_clerk").post("/api/v1/extensions/", body, content_type="application/json")
        assert ext.status_code == 201 and ext.json()["old_due"] == "2022-12-31"
        decided = api(users, "city_office").post(
            f"/api/v1/extensions/{ext.json()['id']}/decide/",
            {"approve": False, "note": "理由不充分"},
            content_type="application/json",
        )
        assert decided.json()["status"] == "refused"
        assert decided.json()["unit_due_on"] == "2022-12-31" and not decided.json()["unit_due_extended"]
        region = OrgUnit.objects.get(name="平鲁区")
        task = {"unit": OrgUnit.objects.get(name="平鲁区政府").pk, "text": "补植", "due_on": "2022-12-31"}
        visit = api(users, "city_office").post(
            "/api/v1/visits/",
            {
                "visited_on": "2022-11-26", "region": region.pk, "title": "现场督办", "leaders": "区长",
                "places": "东平太村", "findings": "补植林木", "tasks": [task],
            },
            content_type="application/json",
        )  # fmt: skip
        assert visit.status_code == 201 and visit.json()["tasks"][0]["text"] == "补植"
        photo = SimpleUploadedFile("p.png", png(), content_type="image/png")
        added = api(users, "city_office").post(f"/api/v1/visits/{visit.json()['id']}/photos/", {"file": photo})
        assert added.status_code == 201
    problem = Problem.objects.get(number="十二")
    flag = api(users, "city_office").post(
        "/api/v1/flags/",
        {"kind": "listed", "problem": problem.pk, "reason": "进展缓慢"},
        content_type="application/json",
    )
    assert flag.status_code == 201
    assert (
        api(users, "county_office")
        .post(
            "/api/v1/flags/", {"kind": "listed", "problem": problem.pk, "reason": "x"}, content_type="application/json"
        )
        .status_code
        == 403
    )
    lifted = api(users, "city_office").post(
        f"/api/v1/flags/{flag.json()['id']}/lift/", {"text": "整改到位"}, content_type="application/json"
    )
    assert lifted.json()["lifted_on"]
