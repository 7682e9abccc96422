"""Issue 17, parity: the API twins of page actions that had none — 交办件 assignment, 回访, notice,
a batch's link, publication and hand entry, an import's review and discard; the audit log and its
verification for the audit admin; the warning scan, a proposal taken up, a visit task done; all
notifications read; evidence removed; a unit's week filed all or none. Each runs the page's
service with the page's scoping (404 outside it) and the page's Chinese messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditVerification
from rectify.complaints import importing
from rectify.complaints import services as complaint_services
from rectify.complaints.models import Complainant, ComplaintBatch, ComplaintCase
from rectify.complaints.synthetic import batch_file
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Problem, ShareStatus
from rectify.progress import services as progress_services
from rectify.progress.models import ProgressReport
from rectify.supervision import visits
from tests.web.test_weekly_loop import BUSINESS, MISSING, api, png, week

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
NAME, PHONE = "欧阳测试明", "13812345678"
JSON = "application/json"


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        yield t


@pytest.fixture
def batch(users: Any) -> ComplaintBatch:
    name, data = batch_file(6, batch_no=5)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    return importing.case_import_commit(actor=users["city_office"], job=job)


@pytest.fixture
def case(users: Any, batch: ComplaintBatch) -> ComplaintCase:
    """A 朔城区 case (its lead is 朔城区政府, county_clerk's unit) carrying personal data."""
    return complaint_services.case_create(
        actor=users["city_office"],
        batch=batch,
        code="D140600PARITY1",
        content=f"朔城区某洗煤厂夜间偷排废水。举报人{NAME}，电话{PHONE}。",
        region=OrgUnit.objects.get(name="朔城区"),
        types=["水"],
        personal={"name": NAME, "phone": PHONE},
    )


def read_only(users: Any, role: str) -> Client:
    _, raw = token_issue(actor=users[role], name="只读", read_only=True)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body or {}, content_type=JSON)


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


# --- complaints:case_action -------------------------------------------------------------------


def test_the_office_assigns_a_case_with_support_units_and_a_due_date(users: Any, case: ComplaintCase) -> None:
    lead, support = unit("平鲁区政府"), unit("朔城区政府")
    body = {"lead": lead.pk, "support": [support.pk], "due_on": "2022-12-31"}
    done = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/assign/", body)
    assert done.status_code == 200, done.json()
    answer = done.json()
    assert answer["lead_unit"] == lead.pk and answer["support_units"] == [support.pk]
    assert answer["due_on"] == "2022-12-31"
    assert NAME not in done.content.decode() and PHONE not in done.content.decode()


@pytest.mark.parametrize(
    ("role", "code"),
    [("county_clerk", 403), ("dept_clerk", 404), ("acceptance", 403), ("leader", 403)],
)
def test_only_the_office_assigns_and_others_see_the_pages_answers(
    users: Any, case: ComplaintCase, role: str, code: int
) -> None:
    refused = post(api(users, role), f"/api/v1/complaints/{case.pk}/assign/", {"lead": unit("朔城区政府").pk})
    assert refused.status_code == code
    if code == 403:
        assert refused.json()["detail"] == "只有整改办可以分派交办件。"


def test_assigning_names_the_missing_lead_and_a_missing_case_is_404(users: Any, case: ComplaintCase) -> None:
    office = api(users, "city_office")
    no_lead = post(office, f"/api/v1/complaints/{case.pk}/assign/", {"lead": MISSING})
    assert no_lead.status_code == 400 and no_lead.json()["detail"] == "请选择牵头单位。"
    assert post(office, f"/api/v1/complaints/{MISSING}/assign/", {"lead": unit("朔城区政府").pk}).status_code == 404


def test_a_read_only_token_may_not_assign(users: Any, case: ComplaintCase) -> None:
    refused = post(read_only(users, "city_office"), f"/api/v1/complaints/{case.pk}/assign/", {"lead": 1})
    assert refused.status_code == 403 and refused.json()["detail"] == "只读令牌只能查询，不能修改数据。"


def test_the_office_records_a_revisit_and_a_county_office_may_not(users: Any, case: ComplaintCase) -> None:
    body = {"result": "电话回访，群众认可处理结果", "satisfaction": "satisfied", "revisit_on": "2022-11-01"}
    done = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/revisit/", body)
    assert done.status_code == 200, done.json()
    assert done.json()["satisfaction"] == "satisfied" and done.json()["revisit_on"] == "2022-11-01"
    refused = post(api(users, "county_office"), f"/api/v1/complaints/{case.pk}/revisit/", body)
    assert refused.status_code == 403 and refused.json()["detail"] == "只有市整改办可以登记回访。"
    blank = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/revisit/", {**body, "result": " "})
    assert blank.status_code == 400


def test_a_case_notice_is_a_draft_for_the_lead_unit(users: Any, case: ComplaintCase) -> None:
    drafted = post(api(users, "city_office"), f"/api/v1/complaints/{case.pk}/notice/")
    assert drafted.status_code == 201, drafted.json()
    notice = drafted.json()
    assert notice["status"] == "draft" and notice["kind"] == "reminder" and notice["unit"] == case.lead_unit_id
    assert PHONE not in notice["body"]
    refused = post(api(users, "county_clerk"), f"/api/v1/complaints/{case.pk}/notice/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有整改办可以督办。"


# --- complaints:batch_action ------------------------------------------------------------------


def test_a_batch_is_attached_to_a_problem_and_detached(users: Any, batch: ComplaintBatch) -> None:
    office, problem = api(users, "city_office"), Problem.objects.get(number="十八")
    attached = post(office, f"/api/v1/complaint-batches/{batch.pk}/attach/", {"problem": problem.pk})
    assert attached.status_code == 200 and attached.json()["problem"] == problem.pk
    assert set(batch.cases.values_list("problem_id", flat=True)) == {problem.pk}
    detached = post(office, f"/api/v1/complaint-batches/{batch.pk}/attach/", {"problem": None})
    assert detached.status_code == 200 and detached.json()["problem"] is None
    refused = post(api(users, "county_office"), f"/api/v1/complaint-batches/{batch.pk}/attach/", {"problem": None})
    assert refused.status_code == 403 and refused.json()["detail"] == "只有市整改办可以关联整改问题。"
    assert post(office, f"/api/v1/complaint-batches/{MISSING}/attach/", {"problem": None}).status_code == 404


def test_publishing_a_batch_masks_it_and_opens_the_public_list(users: Any, case: ComplaintCase) -> None:
    path = f"/api/v1/complaint-batches/{case.batch_id}/publish/"
    refused = post(api(users, "county_office"), path)
    assert refused.status_code == 403 and refused.json()["detail"] == "只有市整改办可以公开交办件办理结果。"
    done = post(api(users, "city_office"), path)
    assert done.status_code == 200, done.json()
    assert done.json()["detail"] == "已公开办理结果（个人信息已脱敏）。" and done.json()["leftovers"] == []
    public = Client().get(f"/api/v1/complaint-batches/{case.batch_id}/public/")
    assert public.status_code == 200 and any(r["code"] == case.code for r in public.json())
    assert NAME not in public.content.decode() and PHONE not in public.content.decode()


def test_a_case_is_entered_by_hand_and_its_personal_data_is_kept_but_never_answered(
    users: Any, batch: ComplaintBatch
) -> None:
    office, path = api(users, "city_office"), f"/api/v1/complaint-batches/{batch.pk}/cases/"
    body = {
        "code": "D140600BYHAND", "content": f"朔城区某砖厂扬尘。举报人{NAME}电话{PHONE}", "region": unit("朔城区").pk,
        "types": ["大气"], "assigned_on": "2022-10-01", "name": NAME, "phone": PHONE,
    }  # fmt: skip
    created = post(office, path, body)
    assert created.status_code == 201, created.json()
    assert created.json()["lead_unit_name"] == "朔城区政府" and created.json()["types"] == ["大气"]
    assert NAME not in created.content.decode() and PHONE not in created.content.decode()
    assert Complainant.objects.get(case_id=created.json()["id"]).phone == PHONE
    again = post(office, path, body)
    assert again.status_code == 400 and again.json()["detail"] == "受理编号 D140600BYHAND 已存在。"
    refused = post(api(users, "county_office"), path, {**body, "code": "D140600OTHER"})
    assert refused.status_code == 403 and refused.json()["detail"] == "只有市整改办可以登记交办件。"


# --- complaints:import_review -----------------------------------------------------------------


def test_an_import_is_reviewed_masked_and_discarded(users: Any) -> None:
    office = api(users, "city_office")
    name, data = batch_file(4, batch_no=9)
    uploaded = office.post("/api/v1/complaint-imports/", {"file": SimpleUploadedFile(name, data)})
    assert uploaded.status_code == 201, uploaded.json()
    pk = uploaded.json()["id"]
    review = office.get(f"/api/v1/complaint-imports/{pk}/")
    assert review.status_code == 200
    job = review.json()
    assert job["status"] == "reviewing" and len(job["review"]) == 4 and job["new"] == 4 and job["updating"] == 0
    assert all(r["lead"] for r in job["review"] if r["region"])
    assert "personal" not in review.content.decode()
    assert api(users, "county_office").get(f"/api/v1/complaint-imports/{pk}/").status_code == 403
    discarded = post(office, f"/api/v1/complaint-imports/{pk}/discard/")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    late = post(office, f"/api/v1/complaint-imports/{pk}/commit/", {"batch_no": 9})
    assert late.status_code in (400, 409) and late.json()["detail"] == "该导入已被处理（已导入或已放弃）。"
    assert post(office, f"/api/v1/complaint-imports/{MISSING}/discard/").status_code == 404


# --- audit:log, audit:verify ------------------------------------------------------------------


def test_the_audit_admin_reads_the_log_in_words_with_the_pages_filters(users: Any, case: ComplaintCase) -> None:
    auditor = api(users, "auditor")
    listed = auditor.get("/api/v1/audit-events/?action=complaint.created&page_size=5")
    assert listed.status_code == 200, listed.json()
    events = listed.json()["results"]
    assert events and all(e["action"] == "complaint.created" for e in events)
    first = events[0]
    assert first["sentence"] and "<" not in first["sentence"] and first["kind"] and first["action_label"]
    assert first["who"]
    by_item = auditor.get(f"/api/v1/audit-events/?item=complaints.complaintcase:{case.pk}").json()
    assert by_item["count"] >= 1 and {e["object_id"] for e in by_item["results"]} == {str(case.pk)}
    bad = auditor.get("/api/v1/audit-events/?since=2022-13-01")
    assert bad.status_code == 400 and bad.json()["detail"] == "起始日期“2022-13-01”不是有效日期（应为 年-月-日）。"
    choices = auditor.get("/api/v1/audit-events/choices/").json()
    assert choices["people"] and choices["types"] and choices["actions"]


@pytest.mark.parametrize("role", [*BUSINESS, "sysadmin"])
def test_only_the_audit_admin_reads_the_log(users: Any, role: str) -> None:
    refused = api(users, role).get("/api/v1/audit-events/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有审计管理员可以查看审计日志。"


def test_the_audit_admin_verifies_the_chain_and_others_may_not(users: Any) -> None:
    run = post(api(users, "auditor"), "/api/v1/audit-verifications/")
    assert run.status_code == 201, run.json()
    assert run.json()["ok"] is True and run.json()["message"].startswith("留痕链完整")
    assert run.json()["trigger"] == "审计管理员 auditor"
    listed = api(users, "auditor").get("/api/v1/audit-verifications/").json()
    assert listed["results"][0]["id"] == run.json()["id"]
    count = AuditVerification.objects.count()
    refused = post(api(users, "sysadmin"), "/api/v1/audit-verifications/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有审计管理员可以校验审计日志。"
    assert AuditVerification.objects.count() == count


# --- supervision:scan, proposal_confirm, visit_task_done --------------------------------------


def test_the_city_office_runs_the_scan_now(users: Any, frozen: Any) -> None:
    refused = post(api(users, "county_office"), "/api/v1/warnings/scan/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有市整改办可以立即运行预警扫描。"
    run = post(api(users, "city_office"), "/api/v1/warnings/scan/")
    assert run.status_code == 201, run.json()
    assert run.json()["measures"] > 0 and run.json()["detail"].startswith("预警扫描完成：")


def open_measures(name: str) -> list[int]:
    shares = Assignment.objects.filter(unit__name=name, measure__isnull=False).exclude(status=ShareStatus.CLOSED)
    return sorted(set(shares.values_list("measure_id", flat=True)))


def test_a_proposal_taken_up_becomes_a_draft_with_its_reason(users: Any, frozen: Any) -> None:
    body = {
        "kind": "reminder",
        "unit": unit("朔城区政府").pk,
        "measures": open_measures("朔城区政府")[:2],
        "reason": "连续两周未报送",
    }
    drafted = post(api(users, "city_office"), "/api/v1/notices/proposals/confirm/", body)
    assert drafted.status_code == 201, drafted.json()
    assert drafted.json()["status"] == "draft" and drafted.json()["proposal"] == "连续两周未报送"
    assert drafted.json()["measures"] == body["measures"]
    foreign = list(Measure.objects.exclude(assignments__unit__name="朔城区政府").values_list("pk", flat=True)[:1])
    assert foreign
    wrong = post(api(users, "city_office"), "/api/v1/notices/proposals/confirm/", {**body, "measures": foreign})
    assert wrong.status_code == 400 and wrong.json()["detail"] == "所选措施不属于该单位的整改任务。"
    refused = post(api(users, "county_clerk"), "/api/v1/notices/proposals/confirm/", body)
    assert refused.status_code == 403 and refused.json()["detail"] == "只有整改办可以办理督办事项。"
    outside = post(
        api(users, "county_office"), "/api/v1/notices/proposals/confirm/", {**body, "unit": unit("平鲁区政府").pk}
    )
    assert outside.status_code == 404


def test_a_visit_task_is_done_once_by_its_unit(users: Any, frozen: Any) -> None:
    visit = visits.visit_record(
        actor=users["city_office"],
        data=visits.VisitInput(
            visited_on=dt.date(2022, 10, 7), region=unit("朔城区"), title="现场督办", leaders="区长", places="某村",
            findings="补植林木", tasks=[(unit("朔城区政府"), "补植", dt.date(2022, 12, 31))],
        ),
    )  # fmt: skip
    task = visit.tasks.get()
    assert post(api(users, "dept_clerk"), f"/api/v1/visit-tasks/{task.pk}/done/").status_code == 404
    done = post(api(users, "county_clerk"), f"/api/v1/visit-tasks/{task.pk}/done/")
    assert done.status_code == 200 and done.json()["done_on"] == "2022-10-08"
    again = post(api(users, "county_clerk"), f"/api/v1/visit-tasks/{task.pk}/done/")
    assert again.status_code == 409 and again.json()["detail"] == "该任务已被标记完成。"
    assert post(api(users, "city_office"), f"/api/v1/visit-tasks/{MISSING}/done/").status_code == 404


# --- notifications:read_all -------------------------------------------------------------------


def test_read_all_marks_one_category_or_every_notification_of_the_caller_only(users: Any) -> None:
    me, other = users["county_clerk"], users["dept_clerk"]
    for n, (who, category) in enumerate([(me, "action"), (me, "info"), (me, "info"), (other, "info")]):
        Notification.objects.create(
            recipient=who, kind="warning", subject="s", body="b", category=category, dedupe_key=f"parity:{n}"
        )
    unread = Notification.objects.filter(recipient=me, read_at__isnull=True)
    infos = unread.filter(category="info").count()
    done = post(api(users, "county_clerk"), "/api/v1/notifications/read-all/", {"category": "info"})
    assert done.json() == {"marked": infos, "detail": f"已将 {infos} 条知悉类通知标为已读。"}
    assert unread.filter(category="action").exists()
    rest = unread.count()
    everything = post(api(users, "county_clerk"), "/api/v1/notifications/read-all/")
    assert everything.json()["marked"] == rest and not unread.exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()


# --- progress:evidence_remove -----------------------------------------------------------------


def a_draft_with_evidence(users: Any) -> tuple[ProgressReport, int]:
    share = progress_services.required_assignments().filter(unit__name="朔城区政府").first()
    data = progress_services.ReportInput(progress_text="排查", next_plan="整改", percent=20)
    report = progress_services.report_save(
        actor=users["county_clerk"], assignment=share, period=week(), data=data, submit=False
    )
    evidence = progress_services.evidence_add(
        actor=users["county_clerk"], report=report, filename="现场.png", content=png()
    )
    return report, evidence.pk


def test_evidence_is_removed_from_a_draft_by_its_units_clerk(users: Any, frozen: Any) -> None:
    report, evidence = a_draft_with_evidence(users)
    assert api(users, "dept_clerk").delete(f"/api/v1/evidence/{evidence}/").status_code == 404
    refused = api(users, "city_office").delete(f"/api/v1/evidence/{evidence}/")
    assert refused.status_code == 403 and refused.json()["detail"] == "只有本单位的联络员可以移除佐证材料。"
    assert api(users, "county_clerk").delete(f"/api/v1/evidence/{evidence}/").status_code == 204
    assert api(users, "county_clerk").get(f"/api/v1/reports/{report.pk}/").json()["evidence"] == []
    assert api(users, "county_clerk").delete(f"/api/v1/evidence/{evidence}/").status_code == 404


def test_evidence_of_a_submitted_report_stays(users: Any, frozen: Any) -> None:
    report, evidence = a_draft_with_evidence(users)
    progress_services.report_submit(actor=users["county_clerk"], report=report)
    refused = api(users, "county_clerk").delete(f"/api/v1/evidence/{evidence}/")
    assert refused.status_code == 400 and refused.json()["detail"] == "报告已提交，不能移除佐证材料。"


# --- progress:unit_period ---------------------------------------------------------------------


def test_a_units_week_is_filed_all_or_none(users: Any, frozen: Any) -> None:
    clerk, shuocheng = api(users, "county_clerk"), unit("朔城区政府")
    path = f"/api/v1/units/{shuocheng.pk}/periods/weekly/{week().key}/reports/"
    rows = clerk.get(path).json()
    assert len(rows) >= 2 and all(r["report"] is None for r in rows)
    good = {"assignment": rows[0]["assignment"], "progress_text": "进展", "next_plan": "计划", "percent": 30}
    bad = {"assignment": rows[1]["assignment"], "progress_text": "进展", "percent": 30}
    refused = post(clerk, path, {"submit": True, "rows": [good, bad]})
    assert refused.status_code == 400, refused.json()
    assert refused.json()["rows"] == {str(bad["assignment"]): ["请填写下周工作计划。"]}
    assert not ProgressReport.objects.filter(assignment_id__in=[good["assignment"], bad["assignment"]]).exists()
    filed = post(clerk, path, {"submit": True, "rows": [good, {**bad, "next_plan": "计划"}]})
    assert filed.status_code == 200, filed.json()
    statuses = {r["assignment"]: (r["report"] or {}).get("status") for r in filed.json()}
    assert statuses[good["assignment"]] == statuses[bad["assignment"]] == "submitted"
    again = post(clerk, path, {"rows": [good]})
    assert again.status_code == 400 and "不能再修改" in again.json()["rows"][str(good["assignment"])][0]


def test_a_units_week_is_filed_by_its_own_clerk_only(users: Any, frozen: Any) -> None:
    shuocheng = unit("朔城区政府")
    path = f"/api/v1/units/{shuocheng.pk}/periods/weekly/{week().key}/reports/"
    assert api(users, "dept_clerk").get(path).status_code == 404
    refused = post(api(users, "city_office"), path, {"rows": []})
    assert refused.status_code == 403 and refused.json()["detail"] == "只有本单位的联络员可以填报进展。"
    assert api(users, "county_clerk").get(path.replace("weekly", "yearly")).status_code == 404
    assert api(users, "county_clerk").get(path.replace(week().key, "2022-10-04")).status_code == 404
