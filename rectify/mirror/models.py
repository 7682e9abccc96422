"""The read-only mirror of other instances' ledgers: one `MirrorSource` per city (the file last
loaded from it) and its shares as flat `MirrorShare` rows.

Nothing edits these rows: `services.mirror_import` replaces a city's rows as a whole, in one
transaction, from a newer exchange file of that city (documents.exchange, docs/exchange.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rectify.core import clock
from rectify.plans.models import Assignment, DeadlineKind, ShareStatus, WarningLevel


class MirrorSource(models.Model):
    """A city whose ledger is mirrored here, with the file it was last loaded from."""

    city = models.CharField("城市", max_length=120, unique=True)
    doc_abbr = models.CharField("发文机关代字", max_length=30, blank=True)
    format_version = models.PositiveSmallIntegerField("格式版本")
    exported_at = models.DateTimeField("导出时间")
    as_of = models.DateField("数据截至")
    sha256 = models.CharField("文件 SHA-256", max_length=64)
    filename = models.CharField("文件名", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("文件大小", default=0)
    # The counts the file stated (documents.exchange.COUNTED + rate/progress), checked on import.
    totals = models.JSONField("文件合计", default=dict)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField("导入时间", default=clock.now)

    class Meta:
        ordering = ["city"]
        verbose_name = "对账镜像"
        verbose_name_plural = "对账镜像"

    def __str__(self) -> str:
        return self.city


class MirrorShare(models.Model):
    """One responsible unit's share of one measure, as the city's file gave it."""

    source = models.ForeignKey(MirrorSource, on_delete=models.CASCADE, related_name="shares")
    plan_title = models.CharField("方案", max_length=300)
    chapter_number = models.CharField("章节编号", max_length=10, blank=True)
    problem_number = models.CharField("问题编号", max_length=10)
    problem_text = models.TextField("问题")
    measure_number = models.CharField("措施编号", max_length=10, blank=True)
    measure_seq = models.PositiveSmallIntegerField("措施顺序")
    measure_text = models.TextField("整改措施")
    deadline_kind = models.CharField("时限类型", max_length=20, choices=DeadlineKind.choices)
    deadline_raw = models.CharField("整改时限（原文）", max_length=300, blank=True)
    unit = models.CharField("责任单位", max_length=120)
    region = models.CharField("所属行政区", max_length=120, blank=True)
    role = models.CharField("角色", max_length=10, choices=Assignment.RoleKind.choices)
    status = models.CharField("状态", max_length=20, choices=ShareStatus.choices)
    progress = models.PositiveSmallIntegerField("进度（%）", null=True, blank=True)
    warning_level = models.CharField("预警", max_length=10, choices=WarningLevel.choices, blank=True)
    due_on = models.DateField("到期日", null=True, blank=True)
    due_extended = models.BooleanField("已延期", default=False)
    overdue = models.BooleanField("逾期", default=False)
    closed_on = models.DateField("销号日期", null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField("反弹重开次数", default=0)
    last_report_at = models.DateTimeField("最近报送", null=True, blank=True)

    class Meta:
        ordering = ["source", "id"]
        indexes = [
            models.Index(fields=["source", "status"], name="mirror_share_status"),
            models.Index(fields=["source", "warning_level"], name="mirror_share_level"),
        ]
        verbose_name = "镜像责任单位任务"
        verbose_name_plural = "镜像责任单位任务"

    def __str__(self) -> str:
        return f"{self.unit}：（{self.problem_number}）{self.measure_number or self.measure_seq}"
