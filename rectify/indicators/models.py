"""量化指标: a problem's (or measure's) quantitative target — 合格率 ≥ 95 %, 煤炭消费总量 ≤ 2864
万吨/年 — and its latest measured value. Acceptance checks them before an item can close."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core.models import TimestampedModel
from rectify.plans.models import Measure, Problem


class Comparator(models.TextChoices):
    AT_LEAST = "ge", "≥"
    AT_MOST = "le", "≤"


class Indicator(TimestampedModel):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="indicators")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField("指标", max_length=120)
    comparator = models.CharField("比较", max_length=2, choices=Comparator.choices, default=Comparator.AT_LEAST)
    target = models.FloatField("目标值")
    unit = models.CharField("单位", max_length=30, blank=True)
    value = models.FloatField("当前值", null=True, blank=True)
    measured_on = models.DateField("测定日期", null=True, blank=True)
    source = models.CharField("数据来源", max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["problem", "id"]
        constraints = [models.UniqueConstraint(fields=["problem", "measure", "name"], name="indicator_once")]
        indexes = [models.Index(fields=["problem"], condition=Q(value__isnull=True), name="indicator_unmeasured")]
        verbose_name = "量化指标"
        verbose_name_plural = "量化指标"

    def __str__(self) -> str:
        return f"{self.name} {self.get_comparator_display()} {self.target:g}{self.unit}"

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.comparator == Comparator.AT_LEAST else self.value <= self.target
