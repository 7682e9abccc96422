"""Supervision pages: the permission matrix, the ladder journey through the forms (draft → issue
→ reply with a photo → escalate → issue), a concurrent edit of a draft, extensions, on-site
records, flags shown in the ledger, and query budgets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans.models import Assignment, Measure, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.supervision import notices
from rectify.supervision.models import NoticeKind, NoticeStatus, SupervisionNotice
from rectify.supervision.services import deadlines_scan
from tests.web.test_documents import docx_text
from tests.web.test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS, SEES_SHUOCHENG, png

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


def own_reds(unit: OrgUnit) -> list[Measure]:
    """Measures on which the unit's own share is red."""
    return list(
        Measure.objects.filter(assignments__unit=unit, assignments__warning_level="red").order_by("pk").distinct()
    )


def issued(users: Any, kind: str = NoticeKind.REMINDER) -> SupervisionNotice:
    unit = shuocheng()
    measures = own_reds(unit)
    d = notices.notice_draft(
        actor=users["city_office"], data=notices.NoticeInput(kind=kind, unit=unit, measures=measures)
    )
    return notices.notice_issue(actor=users["city_office"], notice=d)


LISTS = ["supervision:notices", "supervision:extensions", "supervision:visits", "supervision:flags"]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_list_pages_open_to_business_roles_only(client_for: Any, role: str, name: str) -> None:
    assert client_for(role).get(reverse(name)).status_code == (200 if role in BUSINESS else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_draft_form_and_visit_form_are_for_offices(client_for: Any, role: str) -> None:
    office = role in {"city_office", "county_office"}
    for name in ["supervision:notice_new", "supervision:visit_new"]:
        assert client_for(role).get(reverse(name)).status_code == (200 if office else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_notice_own_other_missing(client_for: Any, users: Any, role: str, frozen: Any) -> None:
    notice = issued(users)
    client = client_for(role)
    expected = 200 if role in SEES_SHUOCHENG else 403 if role in NO_BUSINESS else 404
    assert client.get(reverse("supervision:notice", args=[notice.pk])).status_code == expected
    if role in BUSINESS:
        assert client.get(reverse("supervision:notice", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", BUSINESS)
def test_a_draft_is_seen_only_by_the_offices_that_may_issue_it(client_for: Any, users: Any, role: str) -> None:
    d = notices.notice_draft(
        actor=users["city_office"], data=notices.NoticeInput(kind="reminder", unit=shuocheng(), measures=[])
    )
    response = client_for(role).get(reverse("supervision:notice", args=[d.pk]))
    assert response.status_code == (200 if role in {"city_office", "county_office"} else 404)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_unit_replies_and_only_the_office_closes(client_for: Any, users: Any, role: str, frozen: Any) -> None:
    notice = issued(users)
    client = client_for(role)
    reply = client.post(reverse("supervision:notice_action", args=[notice.pk, "reply"]), {"text": "已整改"})
    notice.refresh_from_db()
    if role == "county_clerk":
        assert reply.status_code == 302 and notice.status == NoticeStatus.REPLIED
    else:
        assert reply.status_code in {403, 404} and notice.status == NoticeStatus.ISSUED
    close = client.post(reverse("supervision:notice_action", args=[notice.pk, "close"]), {"text": "办结"})
    notice.refresh_from_db()
    if role in {"city_office", "county_office"}:
        assert close.status_code == 302 and notice.status == NoticeStatus.CLOSED
    else:
        assert close.status_code in {403, 404} and notice.status != NoticeStatus.CLOSED


def test_the_ladder_journey_through_the_forms(client_for: Any, users: Any, frozen: Any) -> None:
    office, clerk = client_for("city_office"), client_for("county_clerk")
    unit = shuocheng()
    reds = own_reds(unit)
    form = office.get(reverse("supervision:notice_new") + f"?kind=reminder&unit={unit.pk}").content.decode()
    assert f'value="{reds[0].pk}"' in form and "红色预警" in form
    created = office.post(
        reverse("supervision:notice_new"),
        {"kind": "reminder", "unit": unit.pk, "measure": [m.pk for m in reds[:2]], "response_due": "2022-10-15"},
    )
    notice = SupervisionNotice.objects.get()
    assert created.url == reverse("supervision:notice", args=[notice.pk])
    page = office.get(created.url).content.decode()
    assert "（草稿，印发时编号）" in page and "关于朔城区政府督察整改任务推进滞后的提醒函" in page
    # Issue from the edit form: what is typed is saved first.
    office.post(
        reverse("supervision:notice_action", args=[notice.pk, "issue"]),
        {
            "version": notice.version,
            "title": "关于加快推进整改的提醒函",
            "body": "请加快推进。",
            "measure": [reds[0].pk],
            "response_due": "2022-10-15",
        },
    )
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ISSUED and notice.number == "朔整改办函〔2022〕1号"
    assert notice.title == "关于加快推进整改的提醒函" and list(notice.measures.all()) == [reds[0]]
    todo = clerk.get(reverse("progress:todo")).content.decode()
    assert "待回复的督办文书" in todo and "朔整改办函〔2022〕1号" in todo
    photo = SimpleUploadedFile("现场.png", png(), content_type="image/png")
    clerk.post(
        reverse("supervision:notice_action", args=[notice.pk, "reply"]), {"text": "已完成排查", "files": [photo]}
    )
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.REPLIED
    attachment = notice.attachments.get()
    assert clerk.get(reverse("supervision:attachment", args=[attachment.pk])).status_code == 200
    assert client_for("dept_clerk").get(reverse("supervision:attachment", args=[attachment.pk])).status_code == 404
    escalated = office.post(reverse("supervision:notice_action", args=[notice.pk, "escalate"]))
    urge = SupervisionNotice.objects.get(kind=NoticeKind.URGE)
    assert escalated.url == reverse("supervision:notice", args=[urge.pk])
    office.post(reverse("supervision:notice_action", args=[urge.pk, "issue"]))
    urge.refresh_from_db()
    notice.refresh_from_db()
    assert urge.number == "朔整改办督〔2022〕1号" and notice.status == NoticeStatus.ESCALATED
    detail = office.get(reverse("supervision:notice", args=[notice.pk])).content.decode()
    assert "已升级为" in detail and "印发了本提醒函" in detail and "回复了本提醒函" in detail


def test_a_skipped_rung_asks_for_a_reason_and_keeps_the_text(client_for: Any, users: Any, frozen: Any) -> None:
    office = client_for("city_office")
    d = notices.notice_draft(
        actor=users["city_office"], data=notices.NoticeInput(kind="circular", unit=shuocheng(), measures=[])
    )
    page = office.get(reverse("supervision:notice", args=[d.pk])).content.decode()
    assert 'data-testid="skip-warning"' in page
    response = office.post(
        reverse("supervision:notice_action", args=[d.pk, "issue"]),
        {"version": d.version, "title": "通报", "body": "我改过的正文", "skip_reason": ""},
    )
    text = response.content.decode()
    assert response.status_code == 200 and "属越级" in text and "我改过的正文" in text
    d.refresh_from_db()
    assert d.status == NoticeStatus.DRAFT and d.number == ""


def test_a_concurrent_edit_of_a_draft_is_refused_and_keeps_the_text(client_for: Any, users: Any) -> None:
    d = notices.notice_draft(
        actor=users["city_office"], data=notices.NoticeInput(kind="reminder", unit=shuocheng(), measures=[])
    )
    url = reverse("supervision:notice_action", args=[d.pk, "edit"])
    client_for("city_office").post(url, {"version": d.version, "title": "甲的标题", "body": "甲"})
    late = client_for("county_office").post(url, {"version": d.version, "title": "乙的标题", "body": "乙写的正文"})
    text = late.content.decode()
    assert "已被他人修改" in text and "乙写的正文" in text
    d.refresh_from_db()
    assert d.title == "甲的标题"


def test_extension_request_and_approval_pages(client_for: Any, users: Any) -> None:
    unit = shuocheng()
    measure = Measure.objects.get(problem__number="二十", number="47")  # 15 lead units, due 2022年12月底
    with time_machine.travel(dt.datetime(2022, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        problem_page = client_for("county_clerk").get(reverse("plans:problem", args=[measure.problem_id])).content
        assert "申请延期".encode() in problem_page
        form = client_for("county_clerk").get(reverse("supervision:extension_new") + f"?measure={measure.pk}")
        assert "朔城区政府现整改时限：2022年12月底" in form.content.decode()
        url = reverse("supervision:extension_new")
        bad = client_for("county_clerk").post(url, {"measure": measure.pk, "unit": unit.pk, "reason": "冬季停工"})
        assert "请填写申请延至的日期" in bad.content.decode() and "冬季停工" in bad.content.decode()
        client_for("county_clerk").post(
            url, {"measure": measure.pk, "unit": unit.pk, "reason": "冬季停工", "requested_due": "2023-06-30"}
        )
        ext = measure.extensions.get()
        listing = client_for("city_office").get(reverse("supervision:extensions")).content.decode()
        assert "冬季停工" in listing and "批准" in listing
        client_for("city_office").post(
            reverse("supervision:extension_decide", args=[ext.pk]),
            {"decision": "approve", "approved_due": "2023-03-31", "note": "同意"},
        )
        listing = client_for("county_clerk").get(reverse("supervision:extensions")).content.decode()
    # The share's old and new date on the list; the measure's own date unchanged beside it.
    assert "2022-12-31" in listing and "延至 2023-03-31" in listing and "现时限 2023-03-31（已延期）" in listing
    assert "措施时限 2022-12-31" in listing
    dues = dict(Assignment.objects.filter(measure=measure).values_list("unit__name", "due_on"))
    assert dues.pop("朔城区政府") == dt.date(2023, 3, 31)
    assert set(dues.values()) == {dt.date(2022, 12, 31)} and len(dues) == 14
    measure.refresh_from_db()
    assert measure.due_on == dt.date(2022, 12, 31)


def test_the_county_office_is_not_offered_and_cannot_decide_a_city_departments_extension(
    client_for: Any, users: Any
) -> None:
    measure = Measure.objects.get(problem__number="二十", number="47")
    dept = OrgUnit.objects.get(name="市生态环境局")
    with time_machine.travel(dt.datetime(2022, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        client_for("dept_clerk").post(
            reverse("supervision:extension_new"),
            {"measure": measure.pk, "unit": dept.pk, "reason": "设备采购", "requested_due": "2023-02-28"},
        )
        ext = measure.extensions.get(unit=dept)
        county = client_for("county_office")
        assert (
            f"/supervision/extensions/{ext.pk}/decide/"
            not in county.get(reverse("supervision:extensions")).content.decode()
        )
        refused = county.post(
            reverse("supervision:extension_decide", args=[ext.pk]), {"decision": "approve", "note": "同意"}
        )
        assert refused.status_code in {403, 404}
    ext.refresh_from_db()
    assert ext.status == "pending"
    assert Assignment.objects.get(measure=measure, unit=dept).due_on == dt.date(2022, 12, 31)


def test_a_notice_page_and_its_document_show_the_units_own_share(client_for: Any, users: Any) -> None:
    """市水利局 reported 30 % on （七）措施21, shared by 16 units: the letter, the page and the
    .docx say 30 %, never the measure's average."""
    measure = Measure.objects.get(problem__number="七", number="21")
    water = OrgUnit.objects.get(name="市水利局")
    clerk = User.objects.create(username="water-clerk")
    Membership.objects.create(user=clerk, unit=water, role=Role.CLERK)
    a = Assignment.objects.get(measure=measure, unit=water)
    with time_machine.travel(dt.datetime(2022, 10, 5, 2, tzinfo=dt.UTC), tick=False):
        period = periods.week_of(dt.date(2022, 10, 5), progress.calendar_rule())
        data = progress.ReportInput(progress_text="已完成排查", next_plan="下周整改", percent=30)
        progress.report_save(actor=clerk, assignment=a, period=period, data=data, submit=True)
    with time_machine.travel(FROZEN, tick=False):
        deadlines_scan(send_mail=False)
        office = client_for("city_office")
        form = office.get(reverse("supervision:notice_new") + f"?kind=reminder&unit={water.pk}").content.decode()
        assert "本单位时限：2022年12月底；进度：30%" in form
        office.post(reverse("supervision:notice_new"), {"kind": "reminder", "unit": water.pk, "measure": [measure.pk]})
        notice = SupervisionNotice.objects.get(unit=water)
        page = office.get(reverse("supervision:notice", args=[notice.pk])).content.decode()
        docx = office.get(reverse("documents:notice_docx", args=[notice.pk]))
    own = Assignment.objects.get(pk=a.pk)
    measure.refresh_from_db()
    assert own.progress == 30 and measure.progress is not None and measure.progress < 10
    average = f"{measure.progress:g}%"
    assert f"你单位目前报送进度{own.progress}%" in notice.body and average not in notice.body
    assert "本单位进度：30%" in page and "整改时限：2022年12月底" in page and average not in page
    text = docx_text(docx.content)
    assert "你单位目前报送进度30%" in text and average not in text
    # Once, in the body: a single task is set out there in full, with no 附件 table (issue 15).
    assert text.count("2022年12月底") == 1 and "2022年12月31日" not in text


def test_an_on_site_record_through_the_form(client_for: Any, users: Any) -> None:
    region = OrgUnit.objects.get(name="平鲁区")
    unit = OrgUnit.objects.get(name="平鲁区政府")
    photo = SimpleUploadedFile("现场.png", png(), content_type="image/png")
    with time_machine.travel(dt.datetime(2022, 11, 27, 2, tzinfo=dt.UTC), tick=False):
        response = client_for("city_office").post(
            reverse("supervision:visit_new"),
            {
                "visited_on": "2022-11-26",
                "region": region.pk,
                "title": "平鲁区区长深入现场督导交办案件整改工作",
                "leaders": "区委副书记、区长马占文",
                "places": "中煤平朔能源化工有限公司、向阳堡乡东平太村",
                "findings": "依法依规处置危险废物。",
                "task_unit": [unit.pk, "", ""],
                "task_text": ["督促企业整改", "", ""],
                "task_due": ["2022-12-10", "", ""],
                "photos": [photo],
            },
        )
    page = client_for("city_office").get(response.url).content.decode()
    assert "督促企业整改" in page and "现场.png" in page
    visit_pk = int(response.url.rstrip("/").split("/")[-1])
    assert client_for("county_clerk").get(reverse("supervision:visit", args=[visit_pk])).status_code == 404
    assert client_for("leader").get(reverse("supervision:visit", args=[visit_pk])).status_code == 200


def test_flags_show_in_the_ledger_and_on_the_problem(client_for: Any, users: Any) -> None:
    problem = Problem.objects.get(number="十二")
    client_for("city_office").post(
        reverse("supervision:flag_set"),
        {"kind": "listed", "target": "problem", "problem": problem.pk, "reason": "进展缓慢"},
    )
    assert (
        'data-flag="listed"' in client_for("leader").get(reverse("plans:problem", args=[problem.pk])).content.decode()
    )
    ledger = client_for("city_office").get(reverse("plans:ledger") + f"?problem={problem.pk}").content.decode()
    assert 'data-flag="listed"' in ledger
    denied = client_for("county_office").post(
        reverse("supervision:flag_set"), {"kind": "listed", "target": "problem", "problem": problem.pk, "reason": "x"}
    )
    assert denied.status_code == 403


@pytest.mark.parametrize(("url", "budget"), [("/supervision/notices/", 16), ("/supervision/extensions/", 12)])
def test_page_query_budgets(client_for: Any, users: Any, url: str, budget: int, frozen: Any) -> None:
    for _ in range(3):
        issued(users)
    client = client_for("city_office")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= budget, [q["sql"][:100] for q in ctx.captured_queries]


def test_an_oversize_reply_file_is_refused_unread_and_the_text_is_kept(
    client_for: Any, users: Any, frozen: Any, settings: Any
) -> None:
    notice = issued(users)
    settings.RECTIFY_MAX_EVIDENCE_BYTES = 1024
    big = SimpleUploadedFile("现场.png", png() + b"\0" * 4096, content_type="image/png")
    response = client_for("county_clerk").post(
        reverse("supervision:notice_action", args=[notice.pk, "reply"]), {"text": "我写的回复", "files": [big]}
    )
    text = response.content.decode()
    assert "现场.png：文件过大" in text and "我写的回复" in text
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ISSUED
