"""/api/v1/ for editing by hand: POST /problems/ and /measures/, PATCH /measures/<id>/ (only what is
sent changes), a problem's 包联领导 — through the same services, scoped like the pages, with the same
Chinese messages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from rectify.orgs.models import OrgUnit
from rectify.plans import leaders
from rectify.plans.models import Assignment, Chapter, ItemSource, Measure, Plan, Problem, ProblemLeader
from rectify.progress.periods import SHANGHAI
from tests.web.test_permission_matrix import BUSINESS, MISSING, NO_BUSINESS, OTHER_PROBLEM, OWN_PROBLEM

pytestmark = pytest.mark.django_db
OFFICE = "city_office"
JSON = "application/json"


def unit(name: str) -> int:
    return OrgUnit.objects.get(name=name).pk


def seed_plan() -> Plan:
    return Plan.objects.order_by("pk").first()  # type: ignore[return-value]


def problem_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "plan": seed_plan().pk,
        "chapter": Chapter.objects.get(plan=seed_plan(), number="四").pk,
        "text": "群众举报：某危废经营单位超期贮存危险废物。",
        "goal": "依法处置，规范贮存。",
        "deadline": "2022年10月底前",
        "source": "public_report",
        "acceptance_unit": unit("市生态环境局"),
        "measures": [
            {"text": "立案查处并督促转移处置。", "units": [{"unit": unit("市生态环境局")}]},
            {
                "text": "举一反三排查全市危废经营单位。",
                "units": [{"unit": unit("市生态环境局")}, {"unit": unit("市工信局"), "role": "support"}],
                "deadline": "2022年12月底前",
                "source": "extrapolation",
            },
        ],
    }
    body.update(changes)
    return body


def test_a_problem_is_created_in_one_call(client_for: Any) -> None:
    response = client_for(OFFICE).post("/api/v1/problems/", problem_body(), content_type=JSON)
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["number"], data["index"], data["source"], data["chapter"]) == ("三十五", 35, "public_report", "四")
    assert data["deadline"]["due"] == "2022-10-31"
    problem = Problem.objects.get(pk=data["id"])
    first, second = problem.measures.order_by("seq")
    assert (first.source, first.due_on, second.source, second.due_on) == (
        ItemSource.PUBLIC_REPORT,
        dt.date(2022, 10, 31),
        ItemSource.EXTRAPOLATION,
        dt.date(2022, 12, 31),
    )
    assert set(Assignment.objects.filter(measure=second).values_list("unit__name", "role")) == {
        ("市生态环境局", "lead"),
        ("市工信局", "support"),
    }
    listed = client_for(OFFICE).get(f"/api/v1/problems/{problem.pk}/").json()
    assert listed["source"] == "public_report"


def test_bad_input_gets_chinese_messages_field_by_field(client_for: Any) -> None:
    office = client_for(OFFICE)
    body = problem_body(deadline="下次再说", measures=[{"text": "", "units": [{"unit": MISSING}]}])
    response = office.post("/api/v1/problems/", body, content_type=JSON)
    assert response.status_code == 400
    # DRF's own checks first (a blank text), in Chinese
    assert response.json()["measures"]["0"]["text"] == ["该字段不能为空。"]
    assert not Problem.objects.filter(number="三十五").exists()
    body = problem_body(
        deadline="下次再说", measures=[{"text": "整改", "units": [{"unit": unit("市工信局"), "role": "support"}]}]
    )
    response = office.post("/api/v1/problems/", body, content_type=JSON)
    errors = response.json()
    assert response.status_code == 400 and "无法识别整改时限“下次再说”" in errors["detail"]
    assert "请至少选择一个牵头单位" in errors["errors"]["measures.0.units"]
    unknown = office.post(
        "/api/v1/problems/", problem_body(measures=[{"text": "整改", "units": [{"unit": MISSING}]}]), content_type=JSON
    )
    assert unknown.status_code == 400 and unknown.json()["errors"] == {"measures.0.units": f"单位不存在：{MISSING}。"}
    wrong_chapter = office.post("/api/v1/problems/", problem_body(chapter=MISSING), content_type=JSON)
    assert wrong_chapter.json()["errors"]["chapter"] == "请选择本方案中的章节。"
    assert office.post("/api/v1/problems/", problem_body(plan=MISSING), content_type=JSON).status_code == 404
    assert not Problem.objects.filter(number="三十五").exists()


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_creates_and_edits(client_for: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    created = client.post("/api/v1/problems/", problem_body(), content_type=JSON).status_code
    assert created == (201 if role == OFFICE else 403)
    own = problems[OWN_PROBLEM.get(role, "十五")]
    body = {"problem": own.pk, "text": "新增措施", "units": [{"unit": unit("市能源局")}], "source": "self_check"}
    assert client.post("/api/v1/measures/", body, content_type=JSON).status_code == (201 if role == OFFICE else 403)
    measure = own.measures.order_by("seq").first()
    patch = client.patch(
        f"/api/v1/measures/{measure.pk}/", {"version": measure.version, "text": "改"}, content_type=JSON
    )
    assert patch.status_code == (200 if role == OFFICE else 403)
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]].measures.first()
        assert client.patch(f"/api/v1/measures/{other.pk}/", {"version": 1}, content_type=JSON).status_code == 404
        body["problem"] = problems[OTHER_PROBLEM[role]].pk
        assert client.post("/api/v1/measures/", body, content_type=JSON).status_code == 403  # the role, first
    missing = client.patch(f"/api/v1/measures/{MISSING}/", {"version": 1}, content_type=JSON).status_code
    assert missing == (403 if role in NO_BUSINESS else 404)


def test_patch_changes_only_what_is_sent(client_for: Any, problems: Any) -> None:
    office = client_for(OFFICE)
    measure = problems["十二"].measures.order_by("seq").first()
    units_before = set(Assignment.objects.filter(measure=measure).values_list("unit_id", "role"))
    deadline_before = (measure.deadline_raw, measure.due_on)
    response = office.patch(
        f"/api/v1/measures/{measure.pk}/", {"version": measure.version, "text": "只改内容"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["text"] == "只改内容"
    measure.refresh_from_db()
    assert set(Assignment.objects.filter(measure=measure).values_list("unit_id", "role")) == units_before
    assert (measure.deadline_raw, measure.due_on) == deadline_before
    # Units only: the whole list; the text and the deadline stay.
    new_units = [{"unit": u, "role": r} for u, r in units_before] + [{"unit": unit("市交通局"), "role": "support"}]
    with time_machine.travel(dt.datetime(2022, 10, 8, 10, tzinfo=SHANGHAI), tick=False):
        response = office.patch(
            f"/api/v1/measures/{measure.pk}/", {"version": measure.version, "units": new_units}, content_type=JSON
        )
    assert response.status_code == 200
    data = response.json()
    assert data["text"] == "只改内容" and (data["deadline"]["raw"], data["deadline"]["due"]) == (
        deadline_before[0],
        deadline_before[1].isoformat() if deadline_before[1] else None,
    )
    added = next(a for a in data["assignments"] if a["unit_name"] == "市交通局")
    # Re-assessed at once (the API sits above supervision): the new share has its level already.
    assert added["role"] == "support" and added["warning_level"] != ""
    # The deadline only.
    measure.refresh_from_db()
    response = office.patch(
        f"/api/v1/measures/{measure.pk}/", {"version": measure.version, "deadline": "2023年6月底前"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["deadline"]["due"] == "2023-06-30"
    assert {a["due_on"] for a in response.json()["assignments"] if not a["due_extended"]} == {"2023-06-30"}
    # A stale version: 409 with the Chinese message; nothing changes.
    stale = office.patch(f"/api/v1/measures/{measure.pk}/", {"version": 1, "text": "旧表单"}, content_type=JSON)
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    assert Measure.objects.get(pk=measure.pk).text == "只改内容"
    missing_version = office.patch(f"/api/v1/measures/{measure.pk}/", {"text": "x"}, content_type=JSON)
    assert missing_version.status_code == 400 and "version" in missing_version.json()


def test_a_share_with_a_history_cannot_be_dropped_through_the_api(client_for: Any, users: Any) -> None:
    from rectify.plans import editing
    from rectify.plans.editing import MeasureInput, UnitRole
    from rectify.progress import periods
    from rectify.progress import services as progress

    problem = editing.problem_create(
        actor=users[OFFICE], plan=seed_plan(), chapter=Chapter.objects.get(plan=seed_plan(), number="四"),
        text="自查问题", deadline="2022年12月底", source="self_check",
        measures=[MeasureInput(text="整改", units=[UnitRole(OrgUnit.objects.get(name="市生态环境局"))])],
    )  # fmt: skip
    measure = problem.measures.get()
    share = Assignment.objects.get(measure=measure)
    with time_machine.travel(dt.datetime(2022, 10, 8, 10, tzinfo=SHANGHAI), tick=False):
        week = periods.week_of(dt.date(2022, 10, 8), progress.calendar_rule())
        data = progress.ReportInput(progress_text="已开展", next_plan="继续", percent=20)
        progress.report_save(actor=users["dept_clerk"], assignment=share, period=week, data=data, submit=True)
    response = client_for(OFFICE).patch(
        f"/api/v1/measures/{measure.pk}/",
        {"version": measure.version, "units": [{"unit": unit("市能源局")}]},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "市生态环境局（状态为整改中，进展报告1项）" in response.json()["errors"]["units"]
    assert Assignment.objects.filter(pk=share.pk).exists()


def test_leaders_are_listed_added_and_removed(client_for: Any, users: Any, problems: Any) -> None:
    office = client_for(OFFICE)
    problem = problems["十八"]
    url = f"/api/v1/problems/{problem.pk}/leaders/"
    assert office.get(url).json() == []
    added = office.post(url, {"user": users["leader"].pk, "kind": "part", "title": "副市长"}, content_type=JSON)
    assert added.status_code == 201
    assert {k: added.json()[k] for k in ("user_name", "kind", "kind_label", "title")} == {
        "user_name": "市领导 周平",
        "kind": "part",
        "kind_label": "分包",
        "title": "副市长",
    }
    again = office.post(url, {"user": users["leader"].pk}, content_type=JSON)
    assert again.status_code == 400 and "已是问题（十八）的包联领导" in again.json()["detail"]
    not_leader = office.post(url, {"user": users["dept_clerk"].pk}, content_type=JSON)
    assert not_leader.status_code == 400 and "不是领导岗位的用户" in not_leader.json()["detail"]
    assert office.post(url, {"user": MISSING}, content_type=JSON).json()["errors"] == {"user": "用户不存在。"}
    listed = client_for("leader").get(url).json()
    assert [x["id"] for x in listed] == [added.json()["id"]]
    leader_id = added.json()["id"]
    assert client_for("leader").delete(f"{url}{leader_id}/").status_code == 403
    assert office.delete(f"{url}{MISSING}/").status_code == 404
    assert office.delete(f"{url}{leader_id}/").status_code == 204
    assert not ProblemLeader.objects.filter(problem=problem).exists()


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_leaders_endpoints_matrix(client_for: Any, users: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    own = problems[OWN_PROBLEM.get(role, "十五")]
    link = leaders.problem_leader_add(actor=users[OFFICE], problem=own, user=users["leader"])
    listed = client.get(f"/api/v1/problems/{own.pk}/leaders/")
    assert listed.status_code == (403 if role in NO_BUSINESS else 200)
    added = client.post(f"/api/v1/problems/{own.pk}/leaders/", {"user": users["leader"].pk}, content_type=JSON)
    assert added.status_code == (403 if role != OFFICE else 400)  # the office: already named
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]]
        assert client.get(f"/api/v1/problems/{other.pk}/leaders/").status_code == 404
    assert client.get(f"/api/v1/problems/{MISSING}/leaders/").status_code == (403 if role in NO_BUSINESS else 404)
    removed = client.delete(f"/api/v1/problems/{own.pk}/leaders/{link.pk}/")
    assert removed.status_code == (204 if role == OFFICE else 403)
