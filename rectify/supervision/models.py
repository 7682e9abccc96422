"""Warnings (预警) raised by the deadline scan, and the record of each scan run.

A Warning is one reason a measure is yellow or red (overdue, due soon, behind 序时进度, a
milestone, a long-term item not re-checked). `key` identifies the reason while it holds, so a
re-run of the scan finds the row it made before: one warning, one reminder.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from rectify.core import clock
from rectify.plans.models import Measure, WarningLevel


class Warning(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="warnings")
    level = models.CharField("等级", max_length=10, choices=WarningLevel.choices)
    code = models.CharField("原因", max_length=30)
    key = models.CharField(max_length=120)
    message = models.CharField("说明", max_length=300)
    raised_on = models.DateField("预警日期")
    resolved_on = models.DateField("解除日期", null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-raised_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["measure", "key"], name="warning_once_per_reason")]
        indexes = [models.Index(fields=["measure"], condition=Q(resolved_on__isnull=True), name="warning_open")]
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

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "预警扫描"
        verbose_name_plural = "预警扫描"

    def __str__(self) -> str:
        return f"{self.today:%Y-%m-%d} 扫描"
