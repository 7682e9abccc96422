"""Close-out (整治一项、核查一项、销号一项), per share.

What an application covers:

* a **share** (`assignment` set: one unit's part of one measure) — the unit applies for its own
  share with a statement and evidence, no 会签 (it is the unit's own). Only counted shares
  apply (plans.rollup `counted`: the measure's lead shares; all shares when it has no lead).
* a **measure** or a whole **problem** — a lead unit applies for all the lead shares of the
  measure (or of every measure of the problem), the other lead units agreeing (会签) first.

The acceptance group accepts, returns with reasons or asks for an on-site check. While under
review the covered shares are 申请销号; returned or withdrawn they are 整改中 again; accepted they
are 已完成. A measure goes to 公示 when every counted share of it is done: a measure or problem
application at once on acceptance; share applications wait as `accepted` until the acceptance
that completes the measure's last counted share, and then every accepted share application of
the measure is published together, with one notice period. An objection during 公示 sends one
application back to review. The daily job closes (销号) each published application the day after
its period: its shares become 已销号 (长期坚持 for 立行立改、长期坚持 kinds) and the measure and the
problem roll up from their shares (plans.rollup). A closed share, measure or problem that relapses
(问题反弹) is reopened by a coordinator: its shares become 反弹 and report again; the close and the
reopen stay in the history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core import clock
from rectify.core.models import StoredFileFields, TimestampedModel
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Problem


class CloseoutStatus(models.TextChoices):
    CONSENTING = "consenting", "待牵头单位会签"
    SUBMITTED = "submitted", "待验收"
    SITE_CHECK = "site_check", "待现场核查"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "验收通过"
    PUBLISHED = "published", "公示中"
    CLOSED = "closed", "已销号"
    REOPENED = "reopened", "反弹重开"
    WITHDRAWN = "withdrawn", "已撤回"


CLOSEOUT_TRANSITIONS: dict[str, set[str]] = {
    CloseoutStatus.CONSENTING: {CloseoutStatus.SUBMITTED, CloseoutStatus.WITHDRAWN},
    CloseoutStatus.SUBMITTED: {
        CloseoutStatus.RETURNED,
        CloseoutStatus.SITE_CHECK,
        CloseoutStatus.ACCEPTED,
        CloseoutStatus.WITHDRAWN,
    },
    CloseoutStatus.SITE_CHECK: {CloseoutStatus.RETURNED, CloseoutStatus.ACCEPTED},
    CloseoutStatus.RETURNED: {CloseoutStatus.SUBMITTED, CloseoutStatus.CONSENTING, CloseoutStatus.WITHDRAWN},
    CloseoutStatus.ACCEPTED: {CloseoutStatus.PUBLISHED, CloseoutStatus.SUBMITTED},
    CloseoutStatus.PUBLISHED: {CloseoutStatus.CLOSED, CloseoutStatus.SUBMITTED},
    CloseoutStatus.CLOSED: {CloseoutStatus.REOPENED},
    CloseoutStatus.REOPENED: set(),
    CloseoutStatus.WITHDRAWN: set(),
}

# While an application is in one of these, the item has no other (a partial unique constraint).
OPEN_STATUSES = [
    CloseoutStatus.CONSENTING,
    CloseoutStatus.SUBMITTED,
    CloseoutStatus.SITE_CHECK,
    CloseoutStatus.RETURNED,
    CloseoutStatus.ACCEPTED,
    CloseoutStatus.PUBLISHED,
]


class CloseoutApplication(TimestampedModel):
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.PROTECT, related_name="closeout_applications"
    )
    problem = models.ForeignKey(
        Problem, null=True, blank=True, on_delete=models.PROTECT, related_name="closeout_applications"
    )
    # Set for a share application (measure is then the share's measure).
    assignment = models.ForeignKey(
        Assignment, verbose_name="责任分工", null=True, blank=True, on_delete=models.PROTECT,
        related_name="closeout_applications",
    )  # fmt: skip
    unit = models.ForeignKey(OrgUnit, verbose_name="申请单位", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=20, choices=CloseoutStatus.choices, default=CloseoutStatus.SUBMITTED)
    statement = models.TextField("整改完成情况")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    opinion = models.TextField("验收意见", blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField("验收时间", null=True, blank=True)
    visit = models.ForeignKey(
        "supervision.SiteVisit", verbose_name="现场核查记录", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    published_on = models.DateField("公示开始", null=True, blank=True)
    publish_until = models.DateField("公示截止", null=True, blank=True)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    # An item closed as 立行立改、长期坚持 stays on the periodic re-check list.
    ongoing = models.BooleanField("已完成、长期坚持", default=False)
    rounds = models.PositiveSmallIntegerField("申请轮次", default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(measure__isnull=False, problem__isnull=True) | Q(measure__isnull=True, problem__isnull=False)
                ),
                name="closeout_measure_or_problem",
            ),
            models.CheckConstraint(
                condition=Q(assignment__isnull=True) | Q(measure__isnull=False), name="closeout_share_has_measure"
            ),
            models.UniqueConstraint(
                fields=["measure"],
                condition=Q(status__in=OPEN_STATUSES, measure__isnull=False, assignment__isnull=True),
                name="closeout_one_open_per_measure",
            ),
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(status__in=OPEN_STATUSES, assignment__isnull=False),
                name="closeout_one_open_per_share",
            ),
            models.UniqueConstraint(
                fields=["problem"], condition=Q(status__in=OPEN_STATUSES, problem__isnull=False),
                name="closeout_one_open_per_problem",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["status", "publish_until"], name="closeout_status_until")]
        verbose_name = "销号申请"
        verbose_name_plural = "销号申请"

    def __str__(self) -> str:
        return f"销号申请：{self.item_label}"

    @property
    def is_share(self) -> bool:
        return self.assignment_id is not None

    @property
    def scope_label(self) -> str:
        return "本单位分工" if self.assignment_id else "整条措施" if self.measure_id else "整个问题"

    @property
    def item_label(self) -> str:
        if self.measure_id and self.measure is not None:
            label = f"（{self.measure.problem.number}）{self.measure.label}"
            return f"{label}（{self.unit.name}）" if self.assignment_id else label
        assert self.problem is not None
        return f"问题（{self.problem.number}）"

    @property
    def problem_id_of_item(self) -> int:
        if self.problem_id:
            return self.problem_id
        assert self.measure is not None
        return self.measure.problem_id


class Consent(models.Model):
    """A lead unit's agreement (会签) to an application made by another lead unit."""

    application = models.ForeignKey(CloseoutApplication, on_delete=models.CASCADE, related_name="consents")
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    agreed_at = models.DateTimeField("会签时间", null=True, blank=True)
    agreed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "unit"], name="consent_once")]
        verbose_name = "会签"
        verbose_name_plural = "会签"

    def __str__(self) -> str:
        return f"{self.unit} 会签"


class CloseoutEvidence(StoredFileFields):
    application = models.ForeignKey(CloseoutApplication, on_delete=models.PROTECT, related_name="evidence")
    round = models.PositiveSmallIntegerField("申请轮次", default=1)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = "销号佐证材料"
        verbose_name_plural = "销号佐证材料"


class Decision(models.Model):
    """One decision of the acceptance group or the office, in order: the application's record."""

    class Kind(models.TextChoices):
        ACCEPT = "accept", "验收通过"
        RETURN = "return", "退回"
        SITE_CHECK = "site_check", "现场核查"
        OBJECTION = "objection", "公示异议"
        CLOSE = "close", "销号"
        REOPEN = "reopen", "反弹重开"

    application = models.ForeignKey(CloseoutApplication, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    opinion = models.TextField("意见", blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=clock.now)
    evidence_name = models.CharField("附件", max_length=255, blank=True)
    evidence_storage = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = "验收销号记录"
        verbose_name_plural = "验收销号记录"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d}"


class HandoverSchedule(TimestampedModel):
    """交账: the days of the month on which the package for the province is made."""

    days = models.JSONField("交账日", default=list, help_text="每月的日期，如 [10, 25]")
    recipient = models.CharField("报送对象", max_length=120, default="省生态环境保护督察整改工作领导小组办公室")

    class Meta:
        verbose_name = "交账日程"
        verbose_name_plural = "交账日程"

    def __str__(self) -> str:
        return "、".join(f"{d}日" for d in self.days)


class HandoverPackage(models.Model):
    """One 交账 package: the items closed in the period, their dossiers and a summary table."""

    period_start = models.DateField("起")
    period_end = models.DateField("止")
    items = models.PositiveIntegerField("销号事项", default=0)
    storage_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-period_end", "-id"]
        constraints = [models.UniqueConstraint(fields=["period_end"], name="handover_once_per_day")]
        verbose_name = "交账包"
        verbose_name_plural = "交账包"

    def __str__(self) -> str:
        return f"交账 {self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"
