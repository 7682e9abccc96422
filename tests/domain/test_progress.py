"""Progress reports: the workflow, its guards, evidence storage and the roll-up to the ledger."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from PIL import Image

from rectify.audit.models import AuditEvent
from rectify.core import filetypes
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Milestone, Problem
from rectify.progress import periods, services
from rectify.progress.models import REPORT_TRANSITIONS, Evidence, ProgressReport, ReportStatus

from .test_state_machines import documented

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)  # 10:00 in Shanghai, a Saturday


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def png(color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, "PNG")
    return out.getvalue()


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def assignment_of(unit: str, problem: str = "一") -> Assignment:
    return (
        Assignment.objects.filter(unit__name=unit, problem__number=problem, measure__isnull=False)
        .select_related("unit", "measure")
        .order_by("measure__seq")
        .first()
    )


def week() -> periods.Period:
    return periods.week_of(dt.date(2022, 10, 8), services.calendar_rule())


def filed(user: Any, a: Assignment, *, percent: int = 40, submit: bool = True, **extra: Any) -> ProgressReport:
    data = services.ReportInput(progress_text="已完成排查", next_plan="下周整改", percent=percent, **extra)
    return services.report_save(actor=user, assignment=a, period=week(), data=data, submit=submit)


def test_the_report_table_matches_the_document() -> None:
    code = {(a, b) for a, targets in REPORT_TRANSITIONS.items() for b in targets}
    assert documented("ProgressReport") == code
    assert set(REPORT_TRANSITIONS) == set(ReportStatus.values)


def test_a_clerk_drafts_submits_is_returned_resubmits_and_is_accepted(users: Any, clock: Any) -> None:
    a = assignment_of("朔城区政府")
    report = filed(users["county_clerk"], a, submit=False)
    assert report.status == ReportStatus.DRAFT and report.submitted_at is None
    services.report_submit(actor=users["county_clerk"], report=report)
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by == users["county_clerk"]
    with pytest.raises(DomainError, match="退回理由"):
        services.report_return(actor=users["city_office"], report=report, reason="  ")
    services.report_return(actor=users["city_office"], report=report, reason="缺少现场照片")
    assert report.status == ReportStatus.RETURNED and report.return_reason == "缺少现场照片"
    report = filed(users["county_clerk"], a, percent=50)
    assert report.status == ReportStatus.SUBMITTED and report.percent == 50
    services.report_accept(actor=users["county_office"], report=report)
    assert report.status == ReportStatus.ACCEPTED
    actions = list(
        AuditEvent.objects.filter(object_type="progress.progressreport", object_id=str(report.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "report.drafted",
        "report.submitted",
        "report.returned",
        "report.edited",
        "report.resubmitted",
        "report.accepted",
    ]
    with pytest.raises(DomainError, match="不能再修改"):
        filed(users["county_clerk"], a, percent=60)


@pytest.mark.parametrize(
    ("start", "move"),
    [
        ("draft", "return"),
        ("draft", "accept"),
        ("returned", "accept"),
        ("returned", "return"),
        ("accepted", "return"),
        ("accepted", "accept"),
        ("accepted", "submit"),
        ("submitted", "submit"),
    ],
)
def test_a_forbidden_move_is_refused(users: Any, clock: Any, start: str, move: str) -> None:
    report = filed(users["county_clerk"], assignment_of("朔城区政府"), submit=False)
    ProgressReport.objects.filter(pk=report.pk).update(status=start)
    report.refresh_from_db()
    with pytest.raises(DomainError):
        if move == "return":
            services.report_return(actor=users["city_office"], report=report, reason="理由")
        elif move == "accept":
            services.report_accept(actor=users["city_office"], report=report)
        else:
            services.report_submit(actor=users["county_clerk"], report=report)
    report.refresh_from_db()
    assert report.status == start


def test_two_reviewers_deciding_at_once_get_one_success_and_a_clear_message(users: Any, clock: Any) -> None:
    report = filed(users["county_clerk"], assignment_of("朔城区政府"))
    stale = ProgressReport.objects.get(pk=report.pk)
    services.report_accept(actor=users["city_office"], report=report)
    with pytest.raises(ConcurrentChange, match="已被他人处理"):
        services.report_return(actor=users["county_office"], report=stale, reason="迟到的退回")
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.ACCEPTED


def test_only_the_units_clerk_files_and_only_its_coordinator_reviews(users: Any, clock: Any) -> None:
    a = assignment_of("朔城区政府")
    for who in ["dept_clerk", "city_office", "leader", "acceptance"]:
        with pytest.raises(Forbidden):
            filed(users[who], a)
    report = filed(users["county_clerk"], a)
    for who in ["county_clerk", "dept_clerk", "leader", "acceptance"]:
        with pytest.raises(Forbidden):
            services.report_accept(actor=users[who], report=report)
    other = filed(users["dept_clerk"], assignment_of("市生态环境局", "十"))
    with pytest.raises(Forbidden):
        services.report_accept(actor=users["county_office"], report=other)


def test_submitting_requires_progress_plan_and_percent_and_nothing_is_written_on_error(users: Any, clock: Any) -> None:
    a = assignment_of("朔城区政府")
    data = services.ReportInput(progress_text="", next_plan="", percent="120")
    with pytest.raises(DomainError) as err:
        services.report_save(actor=users["county_clerk"], assignment=a, period=week(), data=data, submit=True)
    assert (
        "本周工作进展" in err.value.message and "下周工作计划" in err.value.message and "0 至 100" in err.value.message
    )
    assert not ProgressReport.objects.filter(assignment=a).exists()


def test_progress_rolls_up_from_lead_units_counting_silent_units_as_zero(users: Any, clock: Any) -> None:
    a = assignment_of("朔城区政府")
    measure = Measure.objects.get(pk=a.measure_id)
    leads = measure.assignments.filter(role="lead", unit__isnull=False).count()
    assert leads > 1  # （一） binds the county party committees and governments
    filed(users["county_clerk"], a, percent=60)
    measure.refresh_from_db()
    assert measure.progress == round(60 / leads, 1)
    assert measure.last_report_at is not None
    problem = Problem.objects.get(pk=measure.problem_id)
    count = problem.measures.count()
    assert problem.progress == round(measure.progress / count, 1)


def test_a_returned_report_stops_counting(users: Any, clock: Any) -> None:
    a = assignment_of("市生态环境局", "十")
    report = filed(users["dept_clerk"], a, percent=80)
    assert Assignment.objects.get(pk=a.pk).progress == 80
    services.report_return(actor=users["city_office"], report=report, reason="数据有误")
    assert Assignment.objects.get(pk=a.pk).progress is None
    assert Measure.objects.get(pk=a.measure_id).progress is None


def test_accepting_records_the_milestones_the_report_marks_reached(users: Any, clock: Any) -> None:
    ms = Milestone.objects.filter(measure__problem__number="六").order_by("due_on").first()
    a = Assignment.objects.filter(measure=ms.measure, unit__isnull=False).select_related("unit").first()
    clerk = users["county_clerk"] if a.unit.name == "朔城区政府" else None
    if clerk is None:
        a = Assignment.objects.get(measure=ms.measure, unit__name="朔城区政府")
        clerk = users["county_clerk"]
    report = filed(clerk, a, milestones_reached=[ms.pk, 999999])
    assert report.milestones_reached == [ms.pk]
    services.report_accept(actor=users["city_office"], report=report)
    # Reached for this unit's share; the measure's node waits for its other counted units.
    a.refresh_from_db()
    assert a.milestones_reached == {str(ms.pk): "2022-10-08"}
    others = Assignment.objects.filter(measure=ms.measure, unit__isnull=False, role=a.role).exclude(pk=a.pk)
    assert Milestone.objects.get(pk=ms.pk).reached_on is None if others.exists() else dt.date(2022, 10, 8)
    assert not any(str(ms.pk) in (o.milestones_reached or {}) for o in others)


def test_a_milestone_is_reached_for_the_measure_when_every_counted_share_reached_it(users: Any, clock: Any) -> None:
    ms = Milestone.objects.filter(measure__problem__number="六").order_by("due_on").first()
    mine = Assignment.objects.get(measure=ms.measure, unit__name="朔城区政府")
    others = Assignment.objects.filter(measure=ms.measure, unit__isnull=False).exclude(pk=mine.pk)
    others.update(milestones_reached={str(ms.pk): "2022-09-30"})
    report = filed(users["county_clerk"], mine, milestones_reached=[ms.pk])
    services.report_accept(actor=users["city_office"], report=report)
    assert Milestone.objects.get(pk=ms.pk).reached_on == dt.date(2022, 10, 8)


# --- evidence ----------------------------------------------------------------------------------


def test_evidence_is_stored_by_its_hash_once_and_never_overwritten(users: Any, clock: Any) -> None:
    report = filed(users["county_clerk"], assignment_of("朔城区政府"), submit=False)
    first = services.evidence_add(actor=users["county_clerk"], report=report, filename="现场.png", content=png())
    second = services.evidence_add(actor=users["county_clerk"], report=report, filename="again.png", content=png())
    assert first.sha256 == second.sha256 and first.storage_name == second.storage_name
    assert first.storage_name == f"evidence/{first.sha256[:2]}/{first.sha256}.png"
    assert first.type_label == "照片（PNG）" and first.content_type == "image/png"
    with default_storage.open(first.storage_name, "rb") as f:
        assert f.read() == png()
    assert sorted(p.name for p in Path(default_storage.location, "evidence").rglob("*") if p.is_file()) == [
        f"{first.sha256}.png"
    ]


def test_evidence_type_is_decided_by_content_not_by_name(users: Any, clock: Any) -> None:
    report = filed(users["county_clerk"], assignment_of("朔城区政府"), submit=False)
    word = services.evidence_add(actor=users["county_clerk"], report=report, filename="报告.pdf", content=docx())
    assert word.type_label == "Word 文档" and word.storage_name.endswith(".docx")
    for name, content, message in [
        ("photo.jpg", b"this is not a photo", "不支持的文件类型"),
        ("photo.jpg", b"\xff\xd8\xff" + b"\0" * 100, "图片文件已损坏"),
        ("a.zip", _zip(), "压缩包"),
        ("run.exe", b"MZ\x90\x00", "不支持"),
        ("empty.png", b"", "文件为空"),
    ]:
        with pytest.raises(DomainError, match=message):
            services.evidence_add(actor=users["county_clerk"], report=report, filename=name, content=content)
    assert Evidence.objects.filter(report=report).count() == 1


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "x")
    return out.getvalue()


def test_an_oversized_file_is_refused_with_the_limit_named(users: Any, clock: Any, settings: Any) -> None:
    settings.RECTIFY_MAX_EVIDENCE_BYTES = 1024
    report = filed(users["county_clerk"], assignment_of("朔城区政府"), submit=False)
    with pytest.raises(DomainError, match="文件过大"):
        services.evidence_add(
            actor=users["county_clerk"], report=report, filename="big.png", content=png() + b"\0" * 2000
        )


def test_evidence_is_frozen_once_submitted_and_removal_keeps_the_file(users: Any, clock: Any) -> None:
    report = filed(users["county_clerk"], assignment_of("朔城区政府"), submit=False)
    e = services.evidence_add(actor=users["county_clerk"], report=report, filename="a.png", content=png())
    services.evidence_remove(actor=users["county_clerk"], evidence=e)
    assert Evidence.objects.get(pk=e.pk).removed_at is not None
    assert default_storage.exists(e.storage_name)
    services.report_submit(actor=users["county_clerk"], report=report)
    with pytest.raises(DomainError, match="已提交"):
        services.evidence_add(actor=users["county_clerk"], report=report, filename="b.png", content=png("blue"))


def test_sniff_knows_office_pdf_and_images() -> None:
    from tests.hostile.blocks import pdf_plain

    assert filetypes.sniff(pdf_plain()).kind == "pdf"
    # A PDF is opened to look for script (issue 14): bytes with no document in them are refused.
    with pytest.raises(filetypes.Rejected, match="损坏"):
        filetypes.sniff(b"%PDF-1.7\n...\n%%EOF\n")
    assert filetypes.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 50, "台账.xls").extension == ".xls"
    with pytest.raises(filetypes.Rejected, match="不完整"):
        filetypes.sniff(b"%PDF-1.7\n truncated")


# --- periods -----------------------------------------------------------------------------------


def test_a_week_runs_monday_to_sunday_and_is_due_on_the_calendar_day() -> None:
    rule = periods.CalendarRule()
    p = periods.week_of(dt.date(2022, 10, 8), rule)
    assert (p.start, p.end) == (dt.date(2022, 10, 3), dt.date(2022, 10, 9))
    assert p.due_at == dt.datetime(2022, 10, 7, 17, tzinfo=periods.SHANGHAI)
    assert p.label == "2022年第40周（10月03日—10月09日）"


def test_a_month_is_due_on_the_day_of_the_next_month_even_across_the_year() -> None:
    rule = periods.CalendarRule(monthly_day=5)
    dec = periods.month_of(dt.date(2022, 12, 31), rule)
    assert (dec.start, dec.end) == (dt.date(2022, 12, 1), dt.date(2022, 12, 31))
    assert dec.due_at.date() == dt.date(2023, 1, 5)
    feb = periods.month_of(dt.date(2024, 2, 10), rule)
    assert feb.end == dt.date(2024, 2, 29)


def test_periods_due_between_walks_every_deadline_it_skipped() -> None:
    rule = periods.CalendarRule()
    after = dt.datetime(2022, 9, 20, tzinfo=periods.SHANGHAI)
    upto = dt.datetime(2022, 10, 14, 18, tzinfo=periods.SHANGHAI)
    found = periods.periods_due_between(after, upto, rule)
    assert [(p.kind, p.start.isoformat()) for p in found] == [
        ("weekly", "2022-09-19"),
        ("weekly", "2022-09-26"),
        ("monthly", "2022-09-01"),
        ("weekly", "2022-10-03"),
        ("weekly", "2022-10-10"),
    ]
    # The deadline itself is the boundary: 17:00 is not yet late, 17:00 is in the range.
    just = periods.periods_due_between(upto - dt.timedelta(hours=1, seconds=1), upto - dt.timedelta(hours=1), rule)
    assert [p.start for p in just] == [dt.date(2022, 10, 10)]


def test_parse_key_rejects_malformed_periods() -> None:
    rule = periods.CalendarRule()
    assert periods.parse_key("weekly", "2022-10-04", rule) is None  # not a Monday
    assert periods.parse_key("weekly", "x", rule) is None
    assert periods.parse_key("monthly", "2022-13", rule) is None
    assert periods.parse_key("monthly", "2022-10", rule).start == dt.date(2022, 10, 1)


def test_unit_clerks_are_who_gets_reminders(users: Any) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")
    assert [u.username for u in services.unit_clerks([unit.pk])[unit.pk]] == ["county_clerk"]
