"""Progress reports (进展报告), their evidence (佐证材料), the reporting calendar and the record
of units that missed a reporting deadline (未按时报送)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core import clock
from rectify.core.models import StoredFileFields, TimestampedModel
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure

from .periods import CalendarRule


class ReportKind(models.TextChoices):
    WEEKLY = "weekly", "周报"
    MONTHLY = "monthly", "月度总结"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已采纳"


# The report workflow; docs/state-machines.md shows this table and a test keeps them equal.
REPORT_TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.RETURNED, ReportStatus.ACCEPTED},
    ReportStatus.RETURNED: {ReportStatus.SUBMITTED},
    ReportStatus.ACCEPTED: set(),
}
# Reports that count: progress rolls up from these, and a unit that filed one has reported.
COUNTED_STATUSES = [ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]
EDITABLE_STATUSES = [ReportStatus.DRAFT, ReportStatus.RETURNED]


class ProgressReport(TimestampedModel):
    """One unit's report on one measure for one week (or month)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="reports")
    # Copied from the assignment: the lists filter by unit and measure without a join.
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="progress_reports")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField("类型", max_length=10, choices=ReportKind.choices)
    period_start = models.DateField("报告期起")
    period_end = models.DateField("报告期止")
    progress_text = models.TextField("工作进展")
    next_plan = models.TextField("下周工作计划", blank=True)
    issues = models.TextField("存在问题", blank=True)
    percent = models.PositiveSmallIntegerField("完成进度（%）")
    # Milestones this report says were reached; recorded on the milestone when accepted.
    milestones_reached = models.JSONField("已完成节点", default=list, blank=True)
    status = models.CharField("状态", max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="填报人"
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    # The first submission decides "on time": a report returned and resubmitted stays on time.
    first_submitted_at = models.DateTimeField("首次提交时间", null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    return_reason = models.TextField("退回理由", blank=True)

    class Meta:
        ordering = ["-period_start", "measure_id"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "kind", "period_start"], name="report_once_per_period"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="report_percent_range"),
        ]
        indexes = [
            models.Index(fields=["unit", "kind", "period_start"], name="report_unit_period"),
            models.Index(fields=["status", "unit"], name="report_status_unit"),
            models.Index(fields=["measure", "period_start"], name="report_measure_period"),
        ]
        verbose_name = "进展报告"
        verbose_name_plural = "进展报告"

    def __str__(self) -> str:
        return f"{self.unit.name} {self.get_kind_display()} {self.period_start:%Y-%m-%d}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def progress_label(self) -> str:
        return "本月工作总结" if self.kind == ReportKind.MONTHLY else "本周工作进展"


class Evidence(StoredFileFields):
    """A file attached to a report. Content-addressed (`evidence/ab/<sha256>`): a file is
    written once and never overwritten; removing it from a report only marks the row."""

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="evidence")
    removed_at = models.DateTimeField("移除时间", null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"


class ReportingCalendar(TimestampedModel):
    """The reporting days the coordinator sets (one calendar for the whole deployment)."""

    weekly_weekday = models.PositiveSmallIntegerField(
        "周报截止日",
        default=4,
        choices=[(0, "周一"), (1, "周二"), (2, "周三"), (3, "周四"), (4, "周五"), (5, "周六"), (6, "周日")],
    )
    weekly_time = models.TimeField("周报截止时间", default=dt.time(17, 0))
    monthly_day = models.PositiveSmallIntegerField("月度总结截止日（次月）", default=5)
    monthly_time = models.TimeField("月度总结截止时间", default=dt.time(17, 0))
    starts_on = models.DateField("开始报送日期", null=True, blank=True, help_text="此日期之前的报告期不计未报送")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(monthly_day__gte=1, monthly_day__lte=28), name="calendar_day")
        ]
        verbose_name = "报送日历"
        verbose_name_plural = "报送日历"

    def __str__(self) -> str:
        return self.rule.describe()

    @property
    def rule(self) -> CalendarRule:
        return CalendarRule(self.weekly_weekday, self.weekly_time, self.monthly_day, self.monthly_time)


class MissedReport(models.Model):
    """A unit that had not reported by a period's deadline (counts in the monthly ranking even
    if the report arrives later: `filed_at` then records when)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="missed_reports")
    kind = models.CharField("类型", max_length=10, choices=ReportKind.choices)
    period_start = models.DateField("报告期起")
    period_end = models.DateField("报告期止")
    due_at = models.DateTimeField("截止时间")
    missing = models.PositiveIntegerField("未报措施数")
    required = models.PositiveIntegerField("应报措施数")
    detected_at = models.DateTimeField("发现时间", default=clock.now)
    filed_at = models.DateTimeField("补报时间", null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "period_start"], name="missed_once")]
        indexes = [models.Index(fields=["kind", "period_start"], name="missed_period")]
        verbose_name = "未按时报送"
        verbose_name_plural = "未按时报送"

    def __str__(self) -> str:
        return f"{self.unit.name} {self.get_kind_display()} {self.period_start:%Y-%m-%d}"
