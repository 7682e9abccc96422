"""The weekly loop's pages and API: every role × own / other / missing, the bulk report form,
evidence download scoping, review, 未报送, the warning board, notifications and query budgets."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from rectify.accounts.services import token_issue
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.progress import compliance, periods, services
from rectify.progress.models import ProgressReport, ReportStatus
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db
BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
MISSING = 987654
# Whose report it is: 朔城区政府 (county_clerk). Who sees it: the city-wide roles and the county office.
SEES_SHUOCHENG = {"city_office", "county_office", "county_clerk", "acceptance", "leader"}
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        yield t


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "green").save(out, "PNG")
    return out.getvalue()


def shuocheng() -> OrgUnit:
    return OrgUnit.objects.get(name="朔城区政府")


def week() -> periods.Period:
    return periods.week_of(dt.date(2022, 10, 8), services.calendar_rule())


def a_report(
    users: Any, *, submit: bool = True, unit: str = "朔城区政府", clerk: str = "county_clerk"
) -> ProgressReport:
    a = services.required_assignments().filter(unit__name=unit).select_related("unit", "measure").first()
    data = services.ReportInput(progress_text="完成排查", next_plan="继续整改", percent=30)
    report = services.report_save(actor=users[clerk], assignment=a, period=week(), data=data, submit=submit)
    services.evidence_add(actor=users[clerk], report=report, filename="现场.png", content=png()) if not submit else None
    return report


# --- permission matrix: pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["progress:todo", "progress:missing", "progress:calendar", "supervision:board", "notifications:list"]
)
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_list_pages_open_to_business_roles(client_for: Any, role: str, name: str) -> None:
    response = client_for(role).get(reverse(name))
    if name == "notifications:list":
        assert response.status_code == 200  # everyone has their own notifications
    else:
        assert response.status_code == (200 if role in BUSINESS else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_review_queue_is_for_coordinators(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("progress:review"))
    assert response.status_code == (200 if role in {"city_office", "county_office"} else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_units_report_page_own_other_missing(client_for: Any, role: str, frozen: Any) -> None:
    client = client_for(role)
    url = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", week().key])
    expected = 200 if role in SEES_SHUOCHENG else 403 if role in NO_BUSINESS else 404
    assert client.get(url).status_code == expected
    if role in BUSINESS:
        assert client.get(reverse("progress:unit_period", args=[MISSING, "weekly", week().key])).status_code == 404
        bad = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", "2022-10-04"])
        assert client.get(bad).status_code in {404}


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_report_and_its_evidence_own_other_missing(client_for: Any, users: Any, role: str, frozen: Any) -> None:
    report = a_report(users, submit=False)
    evidence = report.evidence.get()
    client = client_for(role)
    expected = 200 if role in SEES_SHUOCHENG else 403 if role in NO_BUSINESS else 404
    assert client.get(reverse("progress:report", args=[report.pk])).status_code == expected
    download = client.get(reverse("progress:evidence", args=[evidence.pk]))
    assert download.status_code == expected
    if expected == 200:
        assert b"".join(download.streaming_content) == png()
        assert download["X-Content-Type-Options"] == "nosniff"
    if role in BUSINESS:
        assert client.get(reverse("progress:report", args=[MISSING])).status_code == 404
        assert client.get(reverse("progress:evidence", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", ["city_office", "county_office", "dept_clerk", "leader", "acceptance", "county_clerk"])
def test_only_the_units_coordinators_review_it(client_for: Any, users: Any, role: str, frozen: Any) -> None:
    report = a_report(users)
    response = client_for(role).post(reverse("progress:report_review", args=[report.pk]), {"decision": "accept"})
    report.refresh_from_db()
    if role in {"city_office", "county_office"}:
        assert response.status_code == 302 and report.status == ReportStatus.ACCEPTED
    else:
        assert response.status_code in {403, 404} and report.status == ReportStatus.SUBMITTED


@pytest.mark.parametrize("role", BUSINESS)
def test_only_the_city_office_changes_the_calendar(client_for: Any, role: str) -> None:
    calendar = services.calendar_get()
    data = {
        "weekly_weekday": "3",
        "weekly_time": "16:00",
        "monthly_day": "3",
        "monthly_time": "12:00",
        "version": calendar.version,
    }
    response = client_for(role).post(reverse("progress:calendar"), data)
    calendar.refresh_from_db()
    if role == "city_office":
        assert response.status_code == 302 and calendar.weekly_weekday == 3 and calendar.monthly_day == 3
    else:
        assert response.status_code == 403 and calendar.weekly_weekday == 4


# --- the bulk report page ---------------------------------------------------------------------


def _form(rows: list[Assignment], action: str, **per_row: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action}
    for a in rows:
        data[f"text-{a.pk}"] = per_row.get("text", "完成现场排查")
        data[f"plan-{a.pk}"] = per_row.get("plan", "下周完成整改")
        data[f"percent-{a.pk}"] = per_row.get("percent", "40")
    return data


def test_a_unit_files_every_measure_from_one_page(client_for: Any, frozen: Any) -> None:
    client = client_for("county_clerk")
    url = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", week().key])
    page = client.get(url).content.decode()
    rows = list(services.required_assignments().filter(unit=shuocheng()))
    assert page.count('data-testid="report-row"') == len(rows) > 10
    response = client.post(url, _form(rows, "submit"))
    assert response.status_code == 302
    assert ProgressReport.objects.filter(unit=shuocheng(), status=ReportStatus.SUBMITTED).count() == len(rows)


def test_an_error_keeps_everything_typed_and_saves_nothing(client_for: Any, frozen: Any) -> None:
    client = client_for("county_clerk")
    url = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", week().key])
    rows = list(services.required_assignments().filter(unit=shuocheng()))[:2]
    data = _form(rows, "submit", text="这是我写了很久的进展")
    data[f"percent-{rows[1].pk}"] = "150"
    data[f"files-{rows[0].pk}"] = SimpleUploadedFile("photo.jpg", b"not really a photo", content_type="image/jpeg")
    page = client.post(url, data).content.decode()
    assert "这是我写了很久的进展" in page
    assert "0 至 100" in page and "不支持的文件类型" in page
    assert not ProgressReport.objects.filter(unit=shuocheng()).exists()


def test_an_oversized_upload_is_refused_before_it_is_read(client_for: Any, settings: Any, frozen: Any) -> None:
    settings.RECTIFY_MAX_EVIDENCE_BYTES = 100
    client = client_for("county_clerk")
    url = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", week().key])
    rows = list(services.required_assignments().filter(unit=shuocheng()))[:1]
    data = _form(rows, "save")
    data[f"files-{rows[0].pk}"] = SimpleUploadedFile("big.png", png() + b"\0" * 500, content_type="image/png")
    page = client.post(url, data).content.decode()
    assert "文件过大" in page and "完成现场排查" in page
    assert not ProgressReport.objects.exists()


def test_a_stale_form_does_not_overwrite_a_newer_edit(client_for: Any, users: Any, frozen: Any) -> None:
    report = a_report(users, submit=False)
    url = reverse("progress:report_edit", args=[report.pk])
    pk = report.assignment_id
    stale = {"version": report.version, f"text-{pk}": "第一次修改", f"plan-{pk}": "计划", f"percent-{pk}": "50"}
    client = client_for("county_clerk")
    client.post(url, stale)
    response = client.post(url, {**stale, f"text-{pk}": "旧表单的修改"}, follow=True)
    assert "已被他人修改" in response.content.decode()
    report.refresh_from_db()
    assert report.progress_text == "第一次修改"


def test_returning_notifies_the_clerk_and_the_todo_lists_it(client_for: Any, users: Any, frozen: Any) -> None:
    report = a_report(users)
    client_for("city_office").post(
        reverse("progress:report_review", args=[report.pk]), {"decision": "return", "reason": "请补充照片"}
    )
    note = Notification.objects.get(recipient=users["county_clerk"], kind="report")
    assert "被退回" in note.subject and "请补充照片" in note.body and "朔城区政府" in note.body
    todo = client_for("county_clerk").get(reverse("progress:todo")).content.decode()
    assert "请补充照片" in todo
    bell = client_for("county_clerk").get(reverse("plans:ledger"))
    unread = Notification.objects.filter(recipient=users["county_clerk"], read_at__isnull=True)
    # A returned report is 待办: the bell's badge counts it apart from the rest (test_notifications.py).
    assert note.category == "action" and 'data-testid="bell"' in bell.content.decode()
    assert bell.context["unread_notifications"] == unread.filter(category="action").count() >= 1
    assert bell.context["unread_other"] == unread.exclude(category="action").count()
    opened = client_for("county_clerk").get(reverse("notifications:open", args=[note.pk]))
    assert opened.status_code == 302 and opened["Location"] == reverse("progress:report", args=[report.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    assert client_for("dept_clerk").get(reverse("notifications:open", args=[note.pk])).status_code == 404


def test_the_missing_list_names_units_that_did_not_report(client_for: Any, users: Any, frozen: Any) -> None:
    Assignment.objects.update(created_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC))
    services.calendar_get()
    services.calendar_update(
        actor=users["city_office"], version=services.calendar_get().version, values={"starts_on": dt.date(2022, 9, 1)}
    )
    a_report(users)  # 朔城区政府 reports one measure, after the Friday deadline (Saturday)
    page = client_for("city_office").get(reverse("progress:missing") + f"?kind=weekly&period={week().key}")
    text = page.content.decode()
    assert "朔城区政府" in text and "市生态环境局" in text
    county = client_for("county_office").get(reverse("progress:missing") + f"?kind=weekly&period={week().key}")
    assert "市生态环境局" not in county.content.decode()


def test_the_warning_board_counts_levels_and_filters_by_county(client_for: Any, frozen: Any) -> None:
    deadlines_scan()
    page = client_for("city_office").get(reverse("supervision:board")).content.decode()
    assert 'data-level="red"' in page and "已超过整改时限（2022-09-30）" in page
    county = OrgUnit.objects.get(name="平鲁区")
    filtered = client_for("city_office").get(reverse("supervision:board") + f"?county={county.pk}&warning=red")
    assert filtered.status_code == 200
    ledger = client_for("city_office").get(reverse("plans:ledger") + "?warning=red").content.decode()
    assert "红色" in ledger and "共 " in ledger


@pytest.mark.parametrize(
    ("url", "role", "budget"),
    [
        ("/warnings/", "city_office", 20),
        ("/progress/review/?status=submitted", "city_office", 14),
        ("/progress/", "county_clerk", 18),
        ("/progress/missing/", "city_office", 14),
        ("/notifications/", "county_clerk", 10),
    ],
)
def test_page_query_budgets(client_for: Any, users: Any, url: str, role: str, budget: int, frozen: Any) -> None:
    deadlines_scan()
    a_report(users)
    client = client_for(role)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= budget, [q["sql"][:100] for q in ctx.captured_queries]


def test_the_bulk_page_query_count_does_not_grow_with_reports(client_for: Any, users: Any, frozen: Any) -> None:
    client = client_for("county_clerk")
    url = reverse("progress:unit_period", args=[shuocheng().pk, "weekly", week().key])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    rows = list(services.required_assignments().filter(unit=shuocheng()))
    client.post(url, _form(rows, "save"))
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after.captured_queries) <= len(before.captured_queries) + 2


# --- API ---------------------------------------------------------------------------------------


def api(users: Any, role: str) -> Client:
    _, raw = token_issue(actor=users[role], name="测试")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_api_a_report_goes_from_create_to_accept(users: Any, frozen: Any) -> None:
    clerk, office = api(users, "county_clerk"), api(users, "city_office")
    a = services.required_assignments().filter(unit=shuocheng()).first()
    body = {"assignment": a.pk, "kind": "weekly", "period_start": "2022-10-05", "progress_text": "进展", "percent": 20}
    created = clerk.post("/api/v1/reports/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    report = created.json()
    assert report["status"] == "draft" and report["period_start"] == "2022-10-03"
    upload = clerk.post(f"/api/v1/reports/{report['id']}/evidence/", {"file": SimpleUploadedFile("a.png", png())})
    assert upload.status_code == 201 and upload.json()["type_label"] == "照片（PNG）"
    bad = clerk.post(f"/api/v1/reports/{report['id']}/evidence/", {"file": SimpleUploadedFile("a.png", b"nope")})
    assert bad.status_code == 400 and "不支持" in bad.json()["detail"]
    refused = clerk.post(f"/api/v1/reports/{report['id']}/submit/")
    assert refused.status_code == 400 and "下周工作计划" in refused.json()["detail"]
    patch = {"version": report["version"], "progress_text": "进展", "next_plan": "计划", "percent": 25, "submit": True}
    assert (
        clerk.patch(f"/api/v1/reports/{report['id']}/", patch, content_type="application/json").json()["status"]
        == "submitted"
    )
    assert clerk.post(f"/api/v1/reports/{report['id']}/accept/").status_code == 403
    returned = office.post(
        f"/api/v1/reports/{report['id']}/return/", {"reason": "补充"}, content_type="application/json"
    )
    assert returned.json()["status"] == "returned"
    again = clerk.patch(
        f"/api/v1/reports/{report['id']}/",
        {**patch, "version": returned.json()["version"]},
        content_type="application/json",
    )
    assert again.json()["status"] == "submitted"
    accepted = office.post(f"/api/v1/reports/{report['id']}/accept/")
    assert accepted.json()["status"] == "accepted" and len(accepted.json()["evidence"]) == 1
    file = office.get(accepted.json()["evidence"][0]["download_url"])
    assert file.status_code == 200 and b"".join(file.streaming_content) == png()


@pytest.mark.parametrize("role", BUSINESS)
def test_api_reports_are_scoped_like_the_pages(users: Any, role: str, frozen: Any) -> None:
    report = a_report(users)
    client = api(users, role)
    listed = {r["id"] for r in client.get("/api/v1/reports/?page_size=500").json()["results"]}
    detail = client.get(f"/api/v1/reports/{report.pk}/")
    if role in SEES_SHUOCHENG:
        assert report.pk in listed and detail.status_code == 200
    else:
        assert report.pk not in listed and detail.status_code == 404
    assert client.get(f"/api/v1/reports/{MISSING}/").status_code == 404


@pytest.mark.parametrize("role", NO_BUSINESS[:2])
def test_api_weekly_endpoints_refuse_roles_without_business_data(users: Any, role: str) -> None:
    client = api(users, role)
    for url in ["/api/v1/reports/", "/api/v1/warnings/", "/api/v1/warnings/summary/", "/api/v1/missing-reports/"]:
        assert client.get(url).status_code == 403, url


def test_api_a_clerk_cannot_file_for_another_unit(users: Any, frozen: Any) -> None:
    other = services.required_assignments().filter(unit__name="市能源局").first()
    body = {"assignment": other.pk, "kind": "weekly", "period_start": "2022-10-05", "progress_text": "x", "percent": 1}
    assert api(users, "county_clerk").post("/api/v1/reports/", body, content_type="application/json").status_code == 404
    mine_but_not_clerk = services.required_assignments().filter(unit=shuocheng()).first()
    body["assignment"] = mine_but_not_clerk.pk
    assert (
        api(users, "county_office").post("/api/v1/reports/", body, content_type="application/json").status_code == 403
    )


def test_api_warnings_list_counts_and_missing_reports(users: Any, frozen: Any) -> None:
    deadlines_scan()
    client = api(users, "city_office")
    summary = client.get("/api/v1/warnings/summary/").json()
    # The board counts shares (a unit's part of a measure), not measures.
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    assert summary["total"] == shares.count()
    assert summary["red"] == shares.filter(warning_level="red").count() > 0
    red = client.get("/api/v1/warnings/?warning=red&page_size=100").json()
    assert red["count"] == summary["red"]
    assert all(m["warning_level"] == "red" and m["reasons"] for m in red["results"])
    clerk = api(users, "county_clerk").get("/api/v1/warnings/summary/").json()
    assert clerk["total"] == shares.filter(unit__memberships__user=users["county_clerk"]).count() < summary["total"]
    measure = red["results"][0]["measure"]
    assert client.get(f"/api/v1/measures/{measure}/warning/").json()["level"] == "red"
    assert client.get("/api/v1/missing-reports/?kind=weekly&period=2022-10-03").status_code == 200
    assert client.get("/api/v1/missing-reports/?kind=daily").status_code == 400


def test_api_notifications_are_the_callers_own(users: Any, frozen: Any) -> None:
    deadlines_scan()
    mine = api(users, "city_office").get("/api/v1/notifications/?unread=1").json()
    assert mine["count"] == Notification.objects.filter(recipient=users["city_office"]).count() > 0
    marked = api(users, "city_office").post("/api/v1/notifications/read/", {}, content_type="application/json")
    assert marked.json()["marked"] == mine["count"]
    assert api(users, "auditor").get("/api/v1/notifications/").json()["count"] == 0


@pytest.mark.parametrize("role", BUSINESS)
def test_only_the_city_office_runs_the_scan_by_hand(client_for: Any, role: str, frozen: Any) -> None:
    response = client_for(role).post(reverse("supervision:scan"))
    if role == "city_office":
        assert response.status_code == 302
        assert Measure.objects.filter(warning_level="red").exists()
    else:
        assert response.status_code == 403
        assert not Measure.objects.exclude(warning_level="").exists()


def test_an_error_on_the_report_page_keeps_the_typed_text(client_for: Any, users: Any, frozen: Any) -> None:
    report = a_report(users, submit=False)
    pk = report.assignment_id
    data = {
        "version": report.version,
        "action": "submit",
        f"text-{pk}": "很长的一段进展",
        f"plan-{pk}": "",
        f"percent-{pk}": "5",
    }
    response = client_for("county_clerk").post(reverse("progress:report_edit", args=[report.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "很长的一段进展" in page and "下周工作计划" in page
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.progress_text == "完成排查"


def test_a_report_returned_and_resubmitted_late_still_counts_as_on_time(client_for: Any, users: Any) -> None:
    Assignment.objects.update(created_at=dt.datetime(2022, 3, 1, tzinfo=dt.UTC))
    with time_machine.travel(dt.datetime(2022, 10, 7, 1, tzinfo=dt.UTC), tick=False):  # Friday 09:00
        report = a_report(users)
        services.report_return(actor=users["city_office"], report=report, reason="补充")
    with time_machine.travel(FROZEN, tick=False):  # Saturday, after the deadline
        report.refresh_from_db()
        services.report_submit(actor=users["county_clerk"], report=report)
        (row,) = compliance.period_compliance(week(), unit_ids=[shuocheng().pk])
    assert (row.on_time, row.late) == (1, 0)
    assert Assignment.objects.get(pk=report.assignment_id).last_report_at is not None
