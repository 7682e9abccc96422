"""Writes of the weekly loop: saving and submitting reports, evidence, review, roll-up, calendar.

Every transition goes through core.transitions (UPDATE … WHERE status = …), writes its audit
event in the same transaction and notifies on commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.files import file_refusal, file_store
from rectify.core.transitions import transition, versioned_update
from rectify.notifications.services import Message, notify, notify_many
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans import rollup as plan_rollup
from rectify.plans.models import SHARE_OPEN_STATUSES, Assignment, Milestone, ShareStatus

from .models import (
    COUNTED_STATUSES,
    EDITABLE_STATUSES,
    REPORT_TRANSITIONS,
    Evidence,
    MissedReport,
    ProgressReport,
    ReportingCalendar,
    ReportKind,
    ReportStatus,
)
from .periods import CalendarRule, Period
from .policies import can_file_for_unit, can_review_unit, can_set_calendar

# Shares whose units still report: being worked on, relapsed, and long-term items kept up (长期坚持).
REPORTING_SHARE_STATUSES = [*SHARE_OPEN_STATUSES, ShareStatus.ONGOING]
RACE_MESSAGE = "该报告已被他人处理，请刷新页面后查看最新状态。"


# --- calendar ----------------------------------------------------------------------------------


def calendar_get() -> ReportingCalendar:
    # Reporting obligations start from each plan's start (its issue date); the office may set a
    # later common start on the calendar (periods reported on paper before it are never "missed").
    calendar, _ = ReportingCalendar.objects.get_or_create(pk=1)
    return calendar


def calendar_rule() -> CalendarRule:
    return calendar_get().rule


@transaction.atomic
def calendar_update(*, actor: Any, version: int, values: dict[str, Any]) -> ReportingCalendar:
    if not can_set_calendar(actor):
        raise Forbidden("只有市整改办可以设置报送日历。")
    calendar = calendar_get()
    if not 1 <= int(values.get("monthly_day", calendar.monthly_day)) <= 28:
        raise DomainError("月度总结截止日应在 1 至 28 日之间（每个月都有这一天）。")
    if not 0 <= int(values.get("weekly_weekday", calendar.weekly_weekday)) <= 6:
        raise DomainError("周报截止日无效。")
    before = _calendar_snapshot(calendar)
    versioned_update(calendar, version=version, values=values, message="报送日历已被他人修改，请刷新页面后重试。")
    record(actor=actor, action="calendar.changed", obj=calendar, before=before, after=_calendar_snapshot(calendar))
    return calendar


def _calendar_snapshot(c: ReportingCalendar) -> dict[str, Any]:
    return {"rule": c.rule.describe(), "starts_on": c.starts_on.isoformat() if c.starts_on else None}


# --- which reports are owed --------------------------------------------------------------------


def required_assignments() -> Any:
    """Shares that owe reports: a concrete active unit on a measure whose own share is still being
    worked on (or kept up as 长期坚持). Support (配合) shares report too."""
    return Assignment.objects.filter(
        unit__isnull=False, unit__is_active=True, measure__isnull=False, status__in=REPORTING_SHARE_STATUSES
    )


def unit_assignments(unit: OrgUnit) -> list[Assignment]:
    return list(
        required_assignments()
        .filter(unit=unit)
        .select_related("measure", "measure__problem", "unit")
        .prefetch_related("measure__milestones")
        .order_by("measure__problem_id", "measure__seq", "id")
    )


# --- saving and submitting ---------------------------------------------------------------------


@dataclass
class ReportInput:
    """What a clerk typed for one measure; `errors` is filled by validation."""

    progress_text: str = ""
    next_plan: str = ""
    issues: str = ""
    percent: str | int | None = None
    milestones_reached: list[int] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    # Files refused before they were read (too large): reported with the other errors.
    upload_errors: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_blank(self) -> bool:
        typed = self.progress_text.strip() or self.next_plan.strip() or self.issues.strip()
        return not (typed or self.files or self.upload_errors) and self.percent in (None, "")

    def cleaned_percent(self) -> int | None:
        value = str(self.percent if self.percent is not None else "").strip().rstrip("%")
        if not value:
            return None
        if not (value.isascii() and value.isdigit()) or int(value) > 100:
            return -1
        return int(value)


def validate(kind: str, data: ReportInput, *, submit: bool) -> bool:
    data.errors = list(data.upload_errors)
    percent = data.cleaned_percent()
    if percent == -1:
        data.errors.append("完成进度应为 0 至 100 之间的整数。")
    if submit:
        label = "本月工作总结" if kind == ReportKind.MONTHLY else "本周工作进展"
        if not data.progress_text.strip():
            data.errors.append(f"请填写{label}。")
        if kind == ReportKind.WEEKLY and not data.next_plan.strip():
            data.errors.append("请填写下周工作计划。")
        if percent is None:
            data.errors.append("请填写完成进度。")
    for name, content in data.files:
        refusal = file_refusal(name, content)
        if refusal:
            data.errors.append(f"{name}：{refusal}")
    return not data.errors


def _values(kind: str, data: ReportInput) -> dict[str, Any]:
    return {
        "progress_text": data.progress_text.strip(),
        "next_plan": data.next_plan.strip() if kind == ReportKind.WEEKLY else "",
        "issues": data.issues.strip(),
        "percent": max(data.cleaned_percent() or 0, 0),
        "milestones_reached": sorted({int(i) for i in data.milestones_reached}),
    }


@transaction.atomic
def report_save(
    *,
    actor: Any,
    assignment: Assignment,
    period: Period,
    data: ReportInput,
    submit: bool,
    version: int | None = None,
) -> ProgressReport:
    """Create or edit the unit's report for `period`; submit it when asked. Invalid input raises
    DomainError with every problem listed, and nothing is written."""
    if assignment.unit is None or assignment.measure is None:
        raise DomainError("进展按措施填报：请选择本单位负责的某一项整改措施（问题层面的分工不单独填报）。")
    if not can_file_for_unit(actor, assignment.unit):
        raise Forbidden("只有本单位的联络员可以填报进展。")
    if not validate(period.kind, data, submit=submit):
        raise DomainError("；".join(data.errors))
    values = _values(period.kind, data)
    valid_milestones = set(Milestone.objects.filter(measure=assignment.measure).values_list("pk", flat=True))
    values["milestones_reached"] = [i for i in values["milestones_reached"] if i in valid_milestones]
    report = ProgressReport.objects.filter(assignment=assignment, kind=period.kind, period_start=period.start).first()
    if report is None:
        report = ProgressReport.objects.create(
            assignment=assignment,
            unit=assignment.unit,
            measure=assignment.measure,
            kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            created_by=actor,
            **values,
        )
        record(actor=actor, action="report.drafted", obj=report, parent=assignment.measure.problem, after=_snap(report))
    else:
        if report.status not in EDITABLE_STATUSES:
            raise DomainError(f"该报告{report.get_status_display()}，不能再修改。")
        before = _snap(report)
        versioned_update(
            report,
            version=version if version is not None else report.version,
            values=values,
            message="该报告已被他人修改，请刷新页面后重试（您填写的内容仍在表单中）。",
            status__in=EDITABLE_STATUSES,
        )
        if before != _snap(report):
            record(
                actor=actor,
                action="report.edited",
                obj=report,
                parent=report.measure.problem,
                before=before,
                after=_snap(report),
            )
    for name, content in data.files:
        evidence_add(actor=actor, report=report, filename=name, content=content)
    if submit:
        report_submit(actor=actor, report=report)
    return report


@transaction.atomic
def report_attach(
    *, actor: Any, assignment: Assignment, period: Period, data: ReportInput, version: int | None = None
) -> tuple[ProgressReport, list[str]]:
    """Evidence chosen on the weekly form, stored at once on the share's report for `period` (a
    draft is created when there is none) together with the typed fields as a draft, so choosing a
    file never discards text and a later error never drops the file. Returns the report and what
    the clerk must still see (refused files, a figure that is not a percentage: the saved figure is
    then left as it was); raises DomainError when no file could be kept."""
    refused = list(data.upload_errors)
    accepted: list[tuple[str, bytes]] = []
    for name, content in data.files:
        if refusal := file_refusal(name, content):
            refused.append(f"{name}：{refusal}")
        else:
            accepted.append((name, content))
    if not accepted:
        raise DomainError("；".join(refused) or "请选择要上传的文件。")
    report = ProgressReport.objects.filter(assignment=assignment, kind=period.kind, period_start=period.start).first()
    typed = ReportInput(
        progress_text=data.progress_text,
        next_plan=data.next_plan,
        issues=data.issues,
        percent=data.percent,
        milestones_reached=data.milestones_reached,
        files=accepted,
    )
    if typed.cleaned_percent() == -1:
        refused.append("完成进度应为 0 至 100 之间的整数（已保存文字和文件，完成进度未保存）。")
        typed.percent = report.percent if report is not None else None
    return report_save(
        actor=actor, assignment=assignment, period=period, data=typed, submit=False, version=version
    ), refused


def _snap(report: ProgressReport) -> dict[str, Any]:
    return {
        "status": report.status,
        "percent": report.percent,
        "progress_text": report.progress_text,
        "next_plan": report.next_plan,
        "issues": report.issues,
        "milestones_reached": report.milestones_reached,
    }


@transaction.atomic
def report_submit(*, actor: Any, report: ProgressReport) -> ProgressReport:
    if not can_file_for_unit(actor, report.unit):
        raise Forbidden("只有本单位的联络员可以提交进展。")
    if not report.progress_text.strip() or (report.kind == ReportKind.WEEKLY and not report.next_plan.strip()):
        raise DomainError("请先填写工作进展和下周工作计划再提交。")
    resubmit = report.status == ReportStatus.RETURNED
    now = clock.now()
    transition(
        report,
        table=REPORT_TRANSITIONS,
        target=ReportStatus.SUBMITTED,
        message=RACE_MESSAGE,
        values={
            "submitted_at": now,
            "first_submitted_at": report.first_submitted_at or now,
            "submitted_by": actor,
            "return_reason": report.return_reason,
        },
    )
    record(
        actor=actor,
        action="report.resubmitted" if resubmit else "report.submitted",
        obj=report,
        parent=report.measure.problem,
        after={"percent": report.percent},
    )
    rollup([report.assignment_id])
    _mark_filed(report)
    return report


@transaction.atomic
def report_return(*, actor: Any, report: ProgressReport, reason: str) -> ProgressReport:
    if not can_review_unit(actor, report.unit_id):
        raise Forbidden("只有整改办可以审核进展报告。")
    reason = reason.strip()
    if not reason:
        raise DomainError("退回时请填写退回理由，联络员据此修改。")
    transition(
        report,
        table=REPORT_TRANSITIONS,
        target=ReportStatus.RETURNED,
        message=RACE_MESSAGE,
        source=ReportStatus.SUBMITTED,
        values={"reviewed_at": clock.now(), "reviewed_by": actor, "return_reason": reason},
    )
    record(actor=actor, action="report.returned", obj=report, parent=report.measure.problem, note=reason)
    rollup([report.assignment_id])
    _notify_unit(
        report,
        subject=f"进展报告被退回：{report.unit.name} {report.measure.label}",
        body=f"{_describe(report)}\n退回理由：{reason}\n请修改后重新提交。",
        key="returned",
    )
    return report


@transaction.atomic
def report_accept(*, actor: Any, report: ProgressReport) -> ProgressReport:
    if not can_review_unit(actor, report.unit_id):
        raise Forbidden("只有整改办可以审核进展报告。")
    transition(
        report,
        table=REPORT_TRANSITIONS,
        target=ReportStatus.ACCEPTED,
        message=RACE_MESSAGE,
        source=ReportStatus.SUBMITTED,
        values={"reviewed_at": clock.now(), "reviewed_by": actor},
    )
    reached_raw = milestones_reach(report)
    record(
        actor=actor,
        action="report.accepted",
        obj=report,
        parent=report.measure.problem,
        after={"percent": report.percent, "milestones_reached": reached_raw},
    )
    rollup([report.assignment_id])
    _notify_unit(
        report,
        subject=f"进展报告已采纳：{report.unit.name} {report.measure.label}",
        body=_describe(report),
        key="accepted",
    )
    return report


def _describe(report: ProgressReport) -> str:
    measure = report.measure
    due = f"{measure.deadline_raw}" + (f"（{measure.due_on:%Y-%m-%d}）" if measure.due_on else "")
    return (
        f"责任单位：{report.unit.name}\n"
        f"整改措施：（{measure.problem.number}）{measure.label} {truncate(measure.text, 60)}\n"
        f"整改时限：{due}\n"
        f"报告期：{report.get_kind_display()} {report.period_start:%Y-%m-%d} 至 {report.period_end:%Y-%m-%d}，"
        f"进度 {report.percent}%"
    )


def truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _notify_unit(report: ProgressReport, *, subject: str, body: str, key: str) -> None:
    """The unit's clerks and the report's submitter hear of its review (at the end of a sitting)."""
    message = Message(
        kind="report",
        subject=subject,
        body=body,
        url=reverse("progress:report", args=[report.pk]),
        dedupe_key=f"report:{report.pk}:{key}:v{report.version}",
    )
    submitter = report.submitted_by if report.submitted_by_id else None
    sitting = _sitting.get()
    if sitting is not None:
        sitting.notes.append((report.unit_id, submitter, message))
        return
    recipients = {u.pk: u for u in unit_clerks([report.unit_id]).get(report.unit_id, [])}
    if submitter is not None:
        recipients[submitter.pk] = submitter
    notify(recipients=recipients.values(), message=message)


def unit_clerks(unit_ids: Iterable[int]) -> dict[int, list[User]]:
    """The clerks of each unit (who get its reminders)."""
    out: dict[int, list[User]] = defaultdict(list)
    for m in Membership.objects.filter(
        unit_id__in=list(unit_ids), role=Role.CLERK, user__is_active=True
    ).select_related("user"):
        out[m.unit_id].append(m.user)
    return out


def _mark_filed(report: ProgressReport) -> None:
    """A late report: the missed-report row keeps counting, and records when it was filed
    once the unit has no report missing for that period any more."""
    missed = MissedReport.objects.filter(
        unit_id=report.unit_id, kind=report.kind, period_start=report.period_start, filed_at__isnull=True
    ).first()
    if missed is None:
        return
    still_missing = (
        required_assignments()
        .filter(unit_id=report.unit_id)
        .exclude(
            pk__in=ProgressReport.objects.filter(
                unit_id=report.unit_id,
                kind=report.kind,
                period_start=report.period_start,
                first_submitted_at__isnull=False,
            ).values("assignment_id")
        )
        .exists()
    )
    if not still_missing:
        MissedReport.objects.filter(pk=missed.pk).update(filed_at=clock.now())


# --- evidence ----------------------------------------------------------------------------------


@transaction.atomic
def evidence_add(*, actor: Any, report: ProgressReport, filename: str, content: bytes) -> Evidence:
    if not can_file_for_unit(actor, report.unit):
        raise Forbidden("只有本单位的联络员可以上传佐证材料。")
    if report.status not in EDITABLE_STATUSES:
        raise DomainError("报告已提交，不能再添加佐证材料；如需补充，请联系整改办退回后修改。")
    stored = file_store(filename, content)
    evidence = Evidence.objects.create(report=report, uploaded_by=actor, **stored.fields())
    record(
        actor=actor,
        action="evidence.added",
        obj=report,
        parent=report.measure.problem,
        after={"file": stored.original_name, "sha256": stored.sha256, "size": stored.size, "type": stored.type_label},
    )
    return evidence


@transaction.atomic
def evidence_remove(*, actor: Any, evidence: Evidence) -> None:
    report = evidence.report
    if not can_file_for_unit(actor, report.unit):
        raise Forbidden("只有本单位的联络员可以移除佐证材料。")
    if report.status not in EDITABLE_STATUSES:
        raise DomainError("报告已提交，不能移除佐证材料。")
    if Evidence.objects.filter(pk=evidence.pk, removed_at__isnull=True).update(removed_at=clock.now()) != 1:
        raise ConcurrentChange("该材料已被移除。")
    record(
        actor=actor,
        action="evidence.removed",
        obj=report,
        parent=report.measure.problem,
        before={"file": evidence.original_name, "sha256": evidence.sha256},
    )


# --- roll-up -----------------------------------------------------------------------------------


def milestones_reach(report: ProgressReport) -> list[str]:
    """An accepted report's milestones are reached for its unit's share; a milestone is reached
    for the measure when every counted share (plans.rollup) has reached it."""
    if not report.milestones_reached:
        return []
    share = Assignment.objects.get(pk=report.assignment_id)
    when = min(report.period_end, clock.today())
    reached = dict(share.milestones_reached or {})
    named = list(Milestone.objects.filter(pk__in=report.milestones_reached, measure_id=report.measure_id))
    for m in named:
        reached.setdefault(str(m.pk), when.isoformat())
    Assignment.objects.filter(pk=share.pk).update(milestones_reached=reached)
    shares = plan_rollup.counted(
        list(
            Assignment.objects.filter(measure_id=report.measure_id, unit__isnull=False).values_list(
                "role", "milestones_reached"
            )
        )
    )
    for m in named:
        if all(str(m.pk) in (r[1] or {}) for r in shares):
            Milestone.objects.filter(pk=m.pk, reached_on__isnull=True).update(reached_on=when)
    return [m.raw for m in named]


@dataclass
class _Sitting:
    """What a sitting postpones to its end: roll-ups, and the notices to the units' clerks."""

    assignment_ids: set[int] = field(default_factory=set)
    notes: list[tuple[int, User | None, Message]] = field(default_factory=list)


_sitting: ContextVar[_Sitting | None] = ContextVar("progress_sitting", default=None)


@contextmanager
def rollups_deferred() -> Iterator[None]:
    """Collect the roll-ups and notices of a sitting (a clerk filing a whole week, an office
    reviewing a queue) and run them once at the end, inside the caller's transaction: the shares,
    measures and problems are rolled up once each instead of once per report, and the clerks of a
    unit are looked up once."""
    if _sitting.get() is not None:
        yield
        return
    sitting = _Sitting()
    token = _sitting.set(sitting)
    try:
        yield
    finally:
        _sitting.reset(token)
    if sitting.assignment_ids:
        rollup(sorted(sitting.assignment_ids))
    if sitting.notes:
        clerks = unit_clerks({unit_id for unit_id, _, _ in sitting.notes})
        notify_many(
            [
                ([*clerks.get(unit_id, []), *([submitter] if submitter else [])], message)
                for unit_id, submitter, message in sitting.notes
            ]
        )


def rollup(assignment_ids: Sequence[int]) -> None:
    """A share's progress from its unit's latest counted report, its last report, and 未开始 →
    整改中 once the unit has reported; then the measures' and problems' roll-ups (plans.rollup).
    Inside `rollups_deferred()` the work waits for the end of the sitting."""
    sitting = _sitting.get()
    if sitting is not None:
        sitting.assignment_ids.update(assignment_ids)
        return
    ids = list(assignment_ids)
    latest: dict[int, int] = {}
    last: dict[int, dt.datetime] = {}
    for chunk in (ids[i : i + 900] for i in range(0, len(ids), 900)):
        for assignment_id, percent in (
            ProgressReport.objects.filter(assignment_id__in=chunk, status__in=COUNTED_STATUSES)
            .order_by("assignment_id", "-period_start", "-submitted_at")
            .values_list("assignment_id", "percent")
        ):
            latest.setdefault(assignment_id, percent)
        # A returned report was still a report: the unit did report, only its figure is not counted.
        last.update(
            ProgressReport.objects.filter(assignment_id__in=chunk, first_submitted_at__isnull=False)
            .order_by()
            .values("assignment_id")
            .annotate(m=Max("first_submitted_at"))
            .values_list("assignment_id", "m")
        )
    assignments = list(Assignment.objects.filter(pk__in=ids).only("pk", "measure_id"))
    for a in assignments:
        a.progress = latest.get(a.pk)
        a.last_report_at = last.get(a.pk)
    Assignment.objects.bulk_update(assignments, ["progress", "last_report_at"], batch_size=500)
    # Guarded, never written back from what was read: a close-out step may have moved a share meanwhile.
    Assignment.objects.filter(
        pk__in=[a.pk for a in assignments if a.last_report_at], status=ShareStatus.NOT_STARTED
    ).update(status=ShareStatus.IN_PROGRESS)
    measure_rollup({a.measure_id for a in assignments if a.measure_id})


def measure_rollup(measure_ids: Iterable[int]) -> None:
    plan_rollup.measures_rollup(measure_ids)


def problem_rollup(problem_ids: Iterable[int]) -> None:
    plan_rollup.problems_rollup(problem_ids)


mean_progress = plan_rollup.mean_progress
