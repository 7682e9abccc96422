"""Warnings (预警) raised by the deadline scan, the record of each scan run and of each daily
job's run (the once-a-day lock, supervision.daily); supervision notices (提醒函 → 督办通知 → 通报
→ 专题报告 → 问责移交, and 约谈), 挂牌督办/约谈 flags, extension requests (延期申请) and on-site
supervision records (现场督办).

A Warning is one reason a unit's share of a measure is yellow or red (overdue, due soon, behind
序时进度, a milestone, a long-term item not re-checked). `key` identifies the reason while it
holds, so a re-run of the scan finds the row it made before: one warning, one reminder.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core import clock
from rectify.core.models import StoredFileFields, TimestampedModel
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, FlagKind, Measure, Problem, WarningLevel


class Warning(models.Model):
    # The share warned; measure and unit are copied from it so lists filter without a join.
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="warnings")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="warnings")
    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="warnings")
    level = models.CharField("等级", max_length=10, choices=WarningLevel.choices)
    code = models.CharField("原因", max_length=30)
    key = models.CharField(max_length=120)
    message = models.CharField("说明", max_length=300)
    raised_on = models.DateField("预警日期")
    resolved_on = models.DateField("解除日期", null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-raised_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["assignment", "key"], name="warning_once_per_share_reason")]
        indexes = [
            models.Index(fields=["measure"], condition=Q(resolved_on__isnull=True), name="warning_open"),
            models.Index(fields=["unit", "level"], condition=Q(resolved_on__isnull=True), name="warning_open_unit"),
        ]
        verbose_name = "预警"
        verbose_name_plural = "预警"

    def __str__(self) -> str:
        return f"{WarningLevel(self.level).label}：{self.message}"


class ScanRun(models.Model):
    """One run of scan_deadlines: what it covered and what it found."""

    today = models.DateField("扫描日期")
    started_at = models.DateTimeField("开始", default=clock.now)
    finished_at = models.DateTimeField("结束", null=True, blank=True)
    measures = models.PositiveIntegerField("措施数", default=0)
    raised = models.PositiveIntegerField("新预警", default=0)
    resolved = models.PositiveIntegerField("解除", default=0)
    missed = models.PositiveIntegerField("新增未报送", default=0)
    reminders = models.PositiveIntegerField("提醒", default=0)
    # Deadlines of reporting periods are checked up to here; the next run starts from it.
    checked_until = models.DateTimeField("报送检查至", null=True, blank=True)
    # What the next run needs to assess only what may have changed (supervision.incremental): the
    # last audit event seen, the thresholds and each plan's start and horizon assessed with, and
    # whether every measure was assessed (`measures` counts those assessed).
    audit_seq = models.PositiveBigIntegerField("留痕序号", null=True, blank=True)
    basis = models.JSONField("评估依据", default=dict, blank=True)
    full = models.BooleanField("全量评估", default=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "预警扫描"
        verbose_name_plural = "预警扫描"

    def __str__(self) -> str:
        return f"{self.today:%Y-%m-%d} 扫描"

    @property
    def assessed_words(self) -> str:
        """How many measures the run assessed, in words: an incremental run (supervision.incremental)
        assessed only those whose warnings could have changed since the last scan."""
        if self.full:
            return f"评估全部措施 {self.measures} 项（按各责任单位逐一评估）"
        return f"评估措施 {self.measures} 项（自上次扫描以来预警可能变化的，按各责任单位逐一评估；其余不变）"


class DailyRun(models.Model):
    """One daily job (the deadline scan, or one of settings.RECTIFY_DAILY_JOBS) on one day: the row
    is the lock that makes it run once however many schedulers and workers there are (see
    supervision.daily). It is inserted when a worker claims the job, and then says how it went."""

    class Status(models.TextChoices):
        RUNNING = "running", "运行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    job = models.CharField("任务", max_length=200)  # the callable's dotted path
    label = models.CharField("名称", max_length=100)
    day = models.DateField("日期")
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=1)
    # The current claim: only its holder may record the outcome (a run taken over as lost cannot
    # overwrite the one that took it over).
    claim = models.UUIDField()
    worker = models.CharField("进程", max_length=120)
    # Real time (the library's timestamps are too): how long a job took is not the instance's date.
    claimed_at = models.DateTimeField("开始")
    finished_at = models.DateTimeField("结束", null=True, blank=True)
    items = models.PositiveIntegerField("处理项数", null=True, blank=True)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        ordering = ["-day", "id"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="daily_run_once_per_day")]
        verbose_name = "每日任务运行"
        verbose_name_plural = "每日任务运行"

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.label}：{self.get_status_display()}"


# --- supervision notices (督办) -------------------------------------------------------------------


class NoticeKind(models.TextChoices):
    REMINDER = "reminder", "提醒函"
    URGE = "urge", "督办通知"
    CIRCULAR = "circular", "通报"
    REPORT = "report", "专题报告"
    ACCOUNTABILITY = "accountability", "问责移交"
    INTERVIEW = "interview", "约谈"


# The escalation ladder of seed 000 五（三）; 约谈 stands beside it and may be used at any time.
LADDER = [NoticeKind.REMINDER, NoticeKind.URGE, NoticeKind.CIRCULAR, NoticeKind.REPORT, NoticeKind.ACCOUNTABILITY]


def rung(kind: str) -> int | None:
    """The kind's step on the ladder (0 = 提醒函), None for 约谈."""
    return LADDER.index(NoticeKind(kind)) if kind in LADDER else None


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    ISSUED = "issued", "已印发待回复"
    REPLIED = "replied", "已回复"
    CLOSED = "closed", "已办结"
    ESCALATED = "escalated", "已升级"
    CANCELLED = "cancelled", "已作废"


NOTICE_TRANSITIONS: dict[str, set[str]] = {
    NoticeStatus.DRAFT: {NoticeStatus.ISSUED, NoticeStatus.CANCELLED},
    NoticeStatus.ISSUED: {NoticeStatus.REPLIED, NoticeStatus.CLOSED, NoticeStatus.ESCALATED},
    NoticeStatus.REPLIED: {NoticeStatus.CLOSED, NoticeStatus.ESCALATED, NoticeStatus.ISSUED},
    NoticeStatus.CLOSED: set(),
    NoticeStatus.ESCALATED: set(),
    NoticeStatus.CANCELLED: set(),
}


class SupervisionNotice(TimestampedModel):
    """A 提醒函/督办通知/通报/专题报告/问责移交/约谈 from a coordinator's office to one unit about
    one or more measures. Numbered (发文字号) when issued, never before: a draft has no number."""

    kind = models.CharField("类型", max_length=20, choices=NoticeKind.choices)
    status = models.CharField("状态", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    issuer = models.ForeignKey(OrgUnit, verbose_name="发文机关", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(OrgUnit, verbose_name="主送单位", on_delete=models.PROTECT, related_name="notices")
    measures = models.ManyToManyField(Measure, verbose_name="涉及措施", related_name="notices", blank=True)
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    response_due = models.DateField("回复期限", null=True, blank=True)
    # 抄送机关 printed in the 版记 ("抄送：…。"), full names in the order given.
    copy_to = models.JSONField("抄送", default=list, blank=True)
    number = models.CharField("发文字号", max_length=60, blank=True)
    year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    serial = models.PositiveIntegerField("序号", null=True, blank=True)
    issued_on = models.DateField("印发日期", null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    escalated_from = models.ForeignKey(
        "self", verbose_name="升级自", null=True, blank=True, on_delete=models.PROTECT, related_name="escalations"
    )
    # Why a rung was skipped (required when the kind is more than one step above the last one).
    skip_reason = models.TextField("越级理由", blank=True)
    proposal = models.CharField("系统建议依据", max_length=300, blank=True)
    reply_text = models.TextField("回复内容", blank=True)
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    return_reason = models.TextField("退回理由", blank=True)
    close_note = models.TextField("办结意见", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="notice_number_once"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="notice_unit_status")]
        verbose_name = "督办文书"
        verbose_name_plural = "督办文书"

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()}（草稿）"

    @property
    def rung(self) -> int | None:
        return rung(self.kind)

    @property
    def is_open(self) -> bool:
        return self.status in (NoticeStatus.ISSUED, NoticeStatus.REPLIED)


class Attachment(StoredFileFields):
    """A file on a notice reply or an on-site record (stored like progress evidence)."""

    notice = models.ForeignKey(
        SupervisionNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    visit = models.ForeignKey("SiteVisit", null=True, blank=True, on_delete=models.PROTECT, related_name="photos")

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(notice__isnull=False, visit__isnull=True) | Q(notice__isnull=True, visit__isnull=False),
                name="attachment_one_owner",
            )
        ]
        verbose_name = "附件"
        verbose_name_plural = "附件"


# --- 挂牌督办 and 约谈 flags ------------------------------------------------------------------------


class SupervisionFlag(models.Model):
    """挂牌督办 or 约谈 on a problem or a unit, from when it is set until it is lifted."""

    kind = models.CharField("类型", max_length=20, choices=FlagKind.choices)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由")
    notice = models.ForeignKey(SupervisionNotice, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    set_on = models.DateField("标记日期")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lifted_on = models.DateField("解除日期", null=True, blank=True)
    lift_reason = models.TextField("解除理由", blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-set_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(problem__isnull=False, unit__isnull=True) | Q(problem__isnull=True, unit__isnull=False),
                name="flag_problem_or_unit",
            ),
            models.UniqueConstraint(
                fields=["kind", "problem"],
                condition=Q(lifted_on__isnull=True, problem__isnull=False),
                name="flag_open_once_problem",
            ),
            models.UniqueConstraint(
                fields=["kind", "unit"],
                condition=Q(lifted_on__isnull=True, unit__isnull=False),
                name="flag_open_once_unit",
            ),
        ]
        verbose_name = "督办标记"
        verbose_name_plural = "督办标记"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.problem or self.unit}"


# --- 延期申请 ------------------------------------------------------------------------------------


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


EXTENSION_TRANSITIONS: dict[str, set[str]] = {
    ExtensionStatus.PENDING: {ExtensionStatus.APPROVED, ExtensionStatus.REFUSED},
    ExtensionStatus.APPROVED: set(),
    ExtensionStatus.REFUSED: set(),
}


class ExtensionRequest(TimestampedModel):
    """A unit asks, before its share's deadline, for a later one; the old date is kept here.
    Approval moves that unit's share only (the measure and the other units keep theirs)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(OrgUnit, verbose_name="申请单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=20, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    reason = models.TextField("延期理由")
    old_due = models.DateField("原整改时限")
    requested_due = models.DateField("申请延至")
    approved_due = models.DateField("批准延至", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "unit"], condition=Q(status="pending"), name="extension_one_pending_per_share"
            )
        ]
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"

    def __str__(self) -> str:
        return f"延期申请：{self.measure}"


# --- 现场督办 ------------------------------------------------------------------------------------


class SiteVisit(TimestampedModel):
    """An on-site supervision record: the raw material of a briefing's 县区动态."""

    visited_on = models.DateField("督办日期")
    region = models.ForeignKey(OrgUnit, verbose_name="县区", on_delete=models.PROTECT, related_name="+")
    title = models.CharField("标题", max_length=200, help_text="如：平鲁区区长深入现场督导交办案件整改工作")
    leaders = models.CharField("带队领导及参加人员", max_length=500)
    places = models.CharField("督办地点", max_length=500)
    problems = models.ManyToManyField(Problem, verbose_name="涉及问题", related_name="visits", blank=True)
    cases = models.TextField("督办案件", blank=True, help_text="交办件编号或内容，每行一件")
    findings = models.TextField("发现问题及督办要求")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = "现场督办记录"
        verbose_name_plural = "现场督办记录"

    def __str__(self) -> str:
        return f"{self.visited_on:%Y-%m-%d} {self.title}"


class VisitTask(models.Model):
    """A follow-up task from an on-site visit (后续整改要求), for one unit with a date."""

    visit = models.ForeignKey(SiteVisit, on_delete=models.CASCADE, related_name="tasks")
    unit = models.ForeignKey(OrgUnit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    text = models.TextField("任务")
    due_on = models.DateField("完成时限", null=True, blank=True)
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "督办任务"
        verbose_name_plural = "督办任务"

    def __str__(self) -> str:
        return self.text[:40]
