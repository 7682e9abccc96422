"""Complaint cases (交办件): batches handed over by an inspection team (第N批), each case handled
by a lead unit to 办结, published with personal data masked, and followed up (回访). The
complainant's personal data lives in its own table (`Complainant`), read only through
`selectors.complainant_for` by the roles that need it: never on unit-facing pages, the API,
exports, public pages or generated documents.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core.models import TimestampedModel
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem, WarningLevel
from rectify.supervision.models import SupervisionNotice


class Verdict(models.TextChoices):
    SUBSTANTIATED = "substantiated", "属实"
    PARTLY = "partly", "部分属实"
    UNSUBSTANTIATED = "unsubstantiated", "不属实"


class CaseStatus(models.TextChoices):
    OPEN = "open", "未办结"
    STAGE_CLOSED = "stage_closed", "阶段性办结"
    CLOSED = "closed", "办结"


CASE_TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.OPEN: {CaseStatus.STAGE_CLOSED, CaseStatus.CLOSED},
    CaseStatus.STAGE_CLOSED: {CaseStatus.CLOSED, CaseStatus.OPEN},
    CaseStatus.CLOSED: {CaseStatus.OPEN},
}


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    FAIRLY = "fairly", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class ComplaintBatch(TimestampedModel):
    source = models.CharField("交办单位", max_length=120, default="中央生态环境保护督察组")
    batch_no = models.PositiveIntegerField("批次")
    title = models.CharField("标题", max_length=200, blank=True)
    received_on = models.DateField("交办日期", null=True, blank=True)
    reply_days = models.PositiveSmallIntegerField("首次反馈时限（天）", default=7)
    problem = models.ForeignKey(
        Problem, verbose_name="关联整改问题", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-batch_no", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "batch_no"], name="batch_once")]
        verbose_name = "交办批次"
        verbose_name_plural = "交办批次"

    def __str__(self) -> str:
        return self.title or f"第{self.batch_no}批交办件"


class ComplaintCase(TimestampedModel):
    batch = models.ForeignKey(ComplaintBatch, on_delete=models.PROTECT, related_name="cases")
    seq = models.CharField("序号", max_length=20, blank=True)
    code = models.CharField("受理编号", max_length=60, unique=True)
    assigned_on = models.DateField("交办时间", null=True, blank=True)
    region = models.ForeignKey(OrgUnit, verbose_name="行政区域", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")  # fmt: skip
    region_text = models.CharField("行政区域（原文）", max_length=60, blank=True)
    types = models.JSONField("污染类型", default=list, blank=True)
    content = models.TextField("举报内容")
    place = models.CharField("地点/对象", max_length=200, blank=True, help_text="用于识别重复举报")
    investigation = models.TextField("调查核实情况", blank=True)
    verdict = models.CharField("是否属实", max_length=20, choices=Verdict.choices, blank=True)
    handling = models.TextField("处理和整改情况", blank=True)
    accountability = models.TextField("问责情况", blank=True)
    ordered = models.PositiveIntegerField("责令整改（家）", default=0)
    filed = models.PositiveIntegerField("立案处罚（起）", default=0)
    fine = models.DecimalField("罚款（万元）", max_digits=12, decimal_places=2, default=0)
    detained = models.PositiveIntegerField("拘留（人）", default=0)
    interviewed = models.PositiveIntegerField("约谈（人）", default=0)
    held_accountable = models.PositiveIntegerField("问责（人）", default=0)
    status = models.CharField("办理状态", max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    next_step = models.TextField("下一步工作", blank=True)
    next_step_due = models.DateField("下一步完成时限", null=True, blank=True)
    due_on = models.DateField("办理时限", null=True, blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    lead_unit = models.ForeignKey(OrgUnit, verbose_name="牵头单位", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")  # fmt: skip
    support_units = models.ManyToManyField(OrgUnit, verbose_name="配合单位", blank=True, related_name="+")
    problem = models.ForeignKey(Problem, verbose_name="关联整改问题", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="complaint_cases")  # fmt: skip
    repeat_of = models.ForeignKey("self", verbose_name="重复举报（原案件）", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="repeats")  # fmt: skip
    revisit_on = models.DateField("回访日期", null=True, blank=True)
    revisit_result = models.TextField("回访情况", blank=True)
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    notices = models.ManyToManyField(SupervisionNotice, verbose_name="督办文书", blank=True, related_name="+")
    warning_level = models.CharField("预警", max_length=10, choices=WarningLevel.choices, blank=True, default="")
    public_text = models.JSONField("公开内容（已脱敏）", default=dict, blank=True)

    class Meta:
        ordering = ["batch", "id"]
        indexes = [
            models.Index(fields=["lead_unit", "status"], name="case_unit_status"),
            models.Index(fields=["status", "due_on"], name="case_status_due"),
            models.Index(fields=["problem"], condition=Q(problem__isnull=False), name="case_problem"),
        ]
        verbose_name = "交办件"
        verbose_name_plural = "交办件"

    def __str__(self) -> str:
        return f"{self.code}"

    @property
    def types_text(self) -> str:
        return "、".join(self.types)


class Complainant(models.Model):
    """The complainant's personal data, kept apart: 姓名、电话、身份证号、住址."""

    case = models.OneToOneField(ComplaintCase, on_delete=models.CASCADE, related_name="complainant")
    name = models.CharField("姓名", max_length=60, blank=True)
    phone = models.CharField("电话", max_length=40, blank=True)
    id_number = models.CharField("身份证号", max_length=30, blank=True)
    address = models.CharField("住址", max_length=200, blank=True)

    class Meta:
        verbose_name = "举报人信息"
        verbose_name_plural = "举报人信息"

    def __str__(self) -> str:
        return "举报人信息"


class CaseImport(TimestampedModel):
    """A batch file parsed and waiting for review; committed in one transaction."""

    class Status(models.TextChoices):
        REVIEWING = "reviewing", "待确认"
        COMMITTED = "committed", "已导入"
        DISCARDED = "discarded", "已放弃"

    TRANSITIONS: dict[str, set[str]] = {
        "reviewing": {"committed", "discarded"},
        "committed": set(),
        "discarded": set(),
    }

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REVIEWING)
    filename = models.CharField("文件名", max_length=255)
    source = models.CharField("交办单位", max_length=120, default="中央生态环境保护督察组")
    batch_no = models.PositiveIntegerField("批次", null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    # The parsed rows, personal data included (the review page is for the city office only).
    rows = models.JSONField(default=list)
    warnings = models.JSONField(default=list)
    headers = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    batch = models.ForeignKey(ComplaintBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "交办件导入"
        verbose_name_plural = "交办件导入"

    def __str__(self) -> str:
        return self.filename
