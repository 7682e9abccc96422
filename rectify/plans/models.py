"""The ledger: InspectionRound → Plan → Chapter → Problem → Measure, Assignment, Milestone.

Deadlines are typed (kind + optional date + the raw text); `due_on` is stored and indexed so
deadline queries are range scans.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core import clock
from rectify.core.models import TimestampedModel
from rectify.orgs.models import OrgUnit

from . import warning_text


class DeadlineKind(models.TextChoices):
    DATE = "date", "限定日期"
    IMMEDIATE_ONGOING = "immediate_ongoing", "立行立改、长期坚持"
    IMMEDIATE = "immediate", "立行立改"
    ONGOING = "ongoing", "长期坚持"
    ANNUAL = "annual", "按年度完成"
    SCHEDULED = "scheduled", "按序时进度"
    EXTERNAL = "external", "按上级方案时间"
    RANGE = "range", "时间段"
    COMPOUND = "compound", "分项时限"
    COMPLETED = "completed", "已完成"
    RECURRING = "recurring", "周期性（每月/每季度/每半年/每年）"
    UNKNOWN = "unknown", "待确认"


class Recurrence(models.TextChoices):
    """The period of a RECURRING deadline: one due date at the end of every period."""

    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    HALF_YEARLY = "half_yearly", "每半年"
    YEARLY = "yearly", "每年"


class ItemSource(models.TextChoices):
    """Where a problem or measure came from: a plan import, or added by hand by the city office."""

    PLAN = "plan", "方案导入"
    SELF_CHECK = "self_check", "自查自纠"
    EXTRAPOLATION = "extrapolation", "举一反三"
    LOOKBACK = "lookback", "回头看"
    PUBLIC_REPORT = "public_report", "群众举报"


# Kinds that are never "overdue" by a date of their own. A recurring item's date is only its
# current period's end (a missed period is a red warning, not an overdue item).
UNDATED_KINDS = {DeadlineKind.IMMEDIATE_ONGOING, DeadlineKind.ONGOING, DeadlineKind.COMPLETED, DeadlineKind.RECURRING}


class ItemStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "整改中"
    COMPLETED = "completed", "已完成待验收"
    ONGOING = "ongoing", "已完成、长期坚持"
    CLOSED = "closed", "已销号"


OPEN_STATUSES = [ItemStatus.IN_PROGRESS, ItemStatus.COMPLETED]


class ShareStatus(models.TextChoices):
    """One unit's share of a measure (an `Assignment` with a measure and a unit)."""

    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "整改中"
    APPLYING = "applying", "申请销号"
    COMPLETED = "completed", "已完成"
    CLOSED = "closed", "已销号"
    ONGOING = "ongoing", "长期坚持"
    RELAPSED = "relapsed", "反弹"


# Shares still being worked on (they report, they can be warned and extended).
SHARE_OPEN_STATUSES = [ShareStatus.NOT_STARTED, ShareStatus.IN_PROGRESS, ShareStatus.RELAPSED]
# Shares whose unit has done its part (waiting for acceptance, accepted, closed).
SHARE_DONE_STATUSES = [ShareStatus.APPLYING, ShareStatus.COMPLETED, ShareStatus.CLOSED, ShareStatus.ONGOING]


class FlagKind(models.TextChoices):
    """督办标记 on a problem or unit (set and lifted by supervision.services)."""

    LISTED = "listed", "挂牌督办"
    INTERVIEW = "interview", "约谈"


class WarningLevel(models.TextChoices):
    """预警等级, set by the deadline scan (supervision.rules); blank until the first scan."""

    GREEN = "green", "绿色"
    YELLOW = "yellow", "黄色"
    RED = "red", "红色"


class TrackedFields(models.Model):
    """What the weekly loop writes back onto the ledger: rolled-up progress, the last report and
    the warning level. Stored (not computed per page) so the ledger filters and counts by them."""

    progress = models.FloatField("进度（%）", null=True, blank=True)
    last_report_at = models.DateTimeField("最近报送", null=True, blank=True)
    warning_level = models.CharField("预警", max_length=10, choices=WarningLevel.choices, blank=True, default="")
    # Close-out (closeout app): the 销号 date while closed, and how often the item relapsed.
    closed_on = models.DateField("销号日期", null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField("反弹重开次数", default=0)

    class Meta:
        abstract = True


class InspectionRound(TimestampedModel):
    """督察轮次: 中央 / 省级, 第N轮, 例行 / 回头看 / 专项督察. Plans belong to a round."""

    class Level(models.TextChoices):
        CENTRAL = "central", "中央"
        PROVINCIAL = "provincial", "省级"

    class Kind(models.TextChoices):
        ROUTINE = "routine", "例行督察"
        LOOKBACK = "lookback", "回头看"
        SPECIAL = "special", "专项督察"

    name = models.CharField("督察轮次", max_length=200)
    level = models.CharField("层级", max_length=20, choices=Level.choices)
    round_no = models.PositiveSmallIntegerField("轮次", null=True, blank=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.ROUTINE)
    topic = models.CharField("专项督察主题", max_length=200, blank=True)
    started_on = models.DateField("进驻日期", null=True, blank=True)
    ended_on = models.DateField("结束日期", null=True, blank=True)
    feedback_on = models.DateField("反馈日期", null=True, blank=True)

    class Meta:
        verbose_name = "督察轮次"
        verbose_name_plural = "督察轮次"

    def __str__(self) -> str:
        return self.name

    @property
    def is_lookback(self) -> bool:
        return self.kind == self.Kind.LOOKBACK


class Plan(TimestampedModel):
    round = models.ForeignKey(
        InspectionRound, verbose_name="督察轮次", null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    # 信息公开: the city office chooses which plans (and problems) the public portal shows.
    is_public = models.BooleanField("公开", default=False)
    title = models.CharField("方案名称", max_length=300)
    start_on = models.DateField("整改起始日", help_text="序时进度的起点")
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    # Hash of the parsed content: the same plan imported from .docx and .txt is one plan.
    fingerprint = models.CharField(max_length=64, unique=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "整改方案"
        verbose_name_plural = "整改方案"

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="chapters")
    number = models.CharField("编号", max_length=10)
    index = models.PositiveSmallIntegerField()
    title = models.CharField("标题", max_length=500)

    class Meta:
        ordering = ["plan", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "index"], name="chapter_plan_index")]

    def __str__(self) -> str:
        return f"{self.number}、{self.title}"


class DeadlineFields(models.Model):
    deadline_kind = models.CharField("时限类型", max_length=20, choices=DeadlineKind.choices)
    deadline_raw = models.CharField("整改时限（原文）", max_length=300, blank=True)
    due_on = models.DateField("到期日", null=True, blank=True, db_index=True)
    start_on = models.DateField("开始日", null=True, blank=True)
    deadline_parts = models.JSONField("分项时限", default=list, blank=True)
    # Only for RECURRING: the period; due_on is then the end of the current period.
    recurrence = models.CharField("周期", max_length=20, choices=Recurrence.choices, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def deadline_kind_label(self) -> str:
        return DeadlineKind(self.deadline_kind).label if self.deadline_kind else ""


class Problem(TimestampedModel, DeadlineFields, TrackedFields):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="problems")
    chapter = models.ForeignKey(Chapter, on_delete=models.PROTECT, related_name="problems")
    number = models.CharField("编号", max_length=10)
    index = models.PositiveSmallIntegerField("序号")
    text = models.TextField("问题")
    goal = models.TextField("整改目标", blank=True)
    responsible_person = models.CharField("责任人", max_length=200, blank=True)
    acceptance_unit_name = models.CharField("验收单位（原文）", max_length=200, blank=True)
    acceptance_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="accepted_problems"
    )
    status = models.CharField("状态", max_length=20, choices=ItemStatus.choices, default=ItemStatus.IN_PROGRESS)
    # 挂牌督办 / 约谈 while in force, kept by supervision.services so every list can show them.
    flags = models.JSONField("督办标记", default=list, blank=True)
    # 交办件 attached to the problem (as （十八） tracks 140 群众举报), kept by complaints.services.
    cases_total = models.PositiveIntegerField("交办件数", default=0)
    cases_closed = models.PositiveIntegerField("交办件办结数", default=0)
    source = models.CharField("来源", max_length=20, choices=ItemSource.choices, default=ItemSource.PLAN)
    # Shown on the public portal (the city office chooses; a problem of a public plan only).
    is_public = models.BooleanField("公开", default=False)
    # 反弹: closed in one round and found again in a later one (kept by plans.rounds on both ends).
    recurred = models.BooleanField("反弹（再次发现）", default=False)

    class Meta:
        ordering = ["plan", "index"]
        constraints = [models.UniqueConstraint(fields=["plan", "index"], name="problem_plan_index")]
        indexes = [
            models.Index(fields=["status", "due_on"], name="problem_status_due"),
            models.Index(fields=["warning_level"], name="problem_warning"),
        ]
        verbose_name = "问题"
        verbose_name_plural = "问题"

    def __str__(self) -> str:
        return f"（{self.number}）{self.text[:40]}"

    @property
    def label(self) -> str:
        return f"（{self.number}）"


class Measure(TimestampedModel, DeadlineFields, TrackedFields):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="measures")
    number = models.CharField("编号", max_length=10, blank=True)
    seq = models.PositiveSmallIntegerField("顺序")
    text = models.TextField("整改措施")
    status = models.CharField("状态", max_length=20, choices=ItemStatus.choices, default=ItemStatus.IN_PROGRESS)
    source = models.CharField("来源", max_length=20, choices=ItemSource.choices, default=ItemSource.PLAN)
    # The first day the daily scan must assess the measure's shares again when nothing is written
    # to them meanwhile (supervision.rules.next_change, the earliest of its shares'); NULL before
    # its first assessment, 9999-12-31 when the date alone never changes their warnings.
    next_assess_on = models.DateField("下次预警评估日", null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["problem__plan", "problem__index", "seq"]
        constraints = [models.UniqueConstraint(fields=["problem", "seq"], name="measure_problem_seq")]
        indexes = [
            models.Index(fields=["status", "due_on"], name="measure_status_due"),
            models.Index(fields=["warning_level", "problem"], name="measure_warning"),
            # Cover the ledger's overdue and due-window filters, so the pager's COUNT(*) reads the
            # index only (100k measures, SQLite: 77 → 7 ms and 21 → 1 ms; docs/benchmarks.md).
            models.Index(fields=["status", "due_on", "deadline_kind"], name="measure_overdue_cover"),
            models.Index(fields=["due_on", "deadline_kind"], name="measure_due_kind"),
        ]
        verbose_name = "整改措施"
        verbose_name_plural = "整改措施"

    def __str__(self) -> str:
        prefix = f"{self.number}." if self.number else "（无编号）"
        return f"{prefix}{self.text[:40]}"

    @property
    def label(self) -> str:
        return f"措施{self.number}" if self.number else "措施（无编号）"


class ProblemLink(TimestampedModel):
    """The same finding in two rounds: `later` (a later round's problem) repeats `earlier`."""

    earlier = models.ForeignKey(
        Problem, verbose_name="前一轮问题", on_delete=models.CASCADE, related_name="links_later"
    )
    later = models.ForeignKey(
        Problem, verbose_name="后一轮问题", on_delete=models.CASCADE, related_name="links_earlier"
    )
    note = models.CharField("说明", max_length=300, blank=True)
    # True when `earlier` had been closed (销号) when `later` was found: a 反弹 on both.
    is_relapse = models.BooleanField("反弹", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["earlier", "later"], name="problem_link_unique"),
            models.CheckConstraint(condition=~Q(earlier=models.F("later")), name="problem_link_not_self"),
        ]
        verbose_name = "同一问题关联"
        verbose_name_plural = "同一问题关联"


class ProblemLeader(models.Model):
    """包联领导: a leader who answers for a problem (包联) or one part of it (分包)."""

    class Kind(models.TextChoices):
        LEAD = "lead", "包联"
        PART = "part", "分包"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="leaders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="领导", on_delete=models.PROTECT, related_name="problems_led"
    )
    kind = models.CharField("方式", max_length=10, choices=Kind.choices, default=Kind.LEAD)
    title = models.CharField("职务", max_length=100, blank=True)

    class Meta:
        ordering = ["problem", "kind", "id"]
        constraints = [models.UniqueConstraint(fields=["problem", "user"], name="problem_leader_unique")]
        verbose_name = "包联领导"
        verbose_name_plural = "包联领导"

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{self.title}{name}（{self.get_kind_display()}）"


class Milestone(models.Model):
    class Precision(models.TextChoices):
        DAY = "day", "日"
        MONTH = "month", "月"
        YEAR = "year", "年"

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField()
    raw = models.CharField("原文", max_length=100)
    due_on = models.DateField("节点日期", db_index=True)
    precision = models.CharField(max_length=10, choices=Precision.choices)
    # Set when the coordinator accepts a report that says the node was reached.
    reached_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        ordering = ["measure", "seq"]
        verbose_name = "阶段性节点"
        verbose_name_plural = "阶段性节点"

    def __str__(self) -> str:
        return f"{self.raw}（{self.due_on:%Y-%m-%d}）"


class Assignment(TimestampedModel):
    """A responsible unit on a problem (measure is null) or on one measure.

    `unit` is null while a group phrase or unknown name still waits for a coordinator to confirm
    which concrete units it means (`candidates` lists the directory's suggestions).
    """

    class RoleKind(models.TextChoices):
        LEAD = "lead", "牵头"
        SUPPORT = "support", "配合"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="assignments")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments")
    phrase = models.CharField("原文称谓", max_length=200)
    role = models.CharField("角色", max_length=10, choices=RoleKind.choices, default=RoleKind.LEAD)
    needs_confirmation = models.BooleanField("待确认", default=False)
    candidates = models.JSONField("候选单位", default=list, blank=True)
    # The share (a measure and a unit): the unit's own figures; the measure's are roll-ups of
    # these (plans.rollup). Problem-level rows (measure null) carry none of them.
    progress = models.PositiveSmallIntegerField("进度（%）", null=True, blank=True)
    last_report_at = models.DateTimeField("最近报送", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=ShareStatus.choices, default=ShareStatus.NOT_STARTED)
    # The measure's due date, unless an approved extension for this unit moved it (due_extended).
    due_on = models.DateField("到期日", null=True, blank=True)
    due_extended = models.BooleanField("已延期", default=False)
    warning_level = models.CharField("预警", max_length=10, choices=WarningLevel.choices, blank=True, default="")
    # [{"level", "code", "message"}] as of the last scan or refresh, worst first.
    warning_reasons = models.JSONField("预警原因", default=list, blank=True)
    # Milestone ids this unit reached (from its accepted reports): {"<id>": "YYYY-MM-DD"}.
    milestones_reached = models.JSONField("已完成节点", default=dict, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField("反弹重开次数", default=0)

    class Meta:
        ordering = ["problem", "measure", "id"]
        indexes = [
            models.Index(fields=["unit", "problem"], name="assignment_unit_problem"),
            models.Index(fields=["unit", "measure"], name="assignment_unit_measure"),
            # The "待确认" list and its count on every ledger page read only these few rows.
            models.Index(fields=["problem"], condition=Q(needs_confirmation=True), name="assignment_pending"),
            # The warning board (supervision.selectors): a level's shares in the board's order are a
            # range of share_board_walk (with the due window or "overdue": a narrower range of it),
            # read with the measure, unit and status from the index itself (the API's count per
            # level, also by the share's status, reads no row); the counts per unit and level, also
            # filtered by the share's status, due window or overdue, are one pass over
            # share_unit_level_state without reading a row (a clerk's: one range).
            models.Index(
                fields=["warning_level", "due_on", "problem", "measure", "unit", "status"], name="share_board_walk"
            ),
            models.Index(
                fields=["unit", "warning_level", "status", "due_on", "measure"], name="share_unit_level_state"
            ),
            models.Index(fields=["status", "due_on"], name="share_status_due"),
            # "Overdue for my units" and "due within a window for my units": a range per unit.
            models.Index(fields=["unit", "due_on"], name="share_unit_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(needs_confirmation=True), name="assignment_unit_or_pending"
            ),
        ]
        verbose_name = "责任分工"
        verbose_name_plural = "责任分工"

    def __str__(self) -> str:
        return f"{self.unit.name if self.unit else self.phrase}（{self.get_role_display()}）"

    @property
    def is_share(self) -> bool:
        return self.measure_id is not None and self.unit_id is not None

    @property
    def warning_summary(self) -> str:
        """The stored reasons in words as of today (day counts and 序时进度 from today)."""
        return warning_text.reasons_summary(self.warning_reasons, clock.today())
