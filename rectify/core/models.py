"""Base models without domain meaning."""

from __future__ import annotations

from django.db import models

from . import clock


class TimestampedModel(models.Model):
    """Created/updated stamps from the project clock, and a version for optimistic locking."""

    created_at = models.DateTimeField("创建时间", default=clock.now, editable=False)
    updated_at = models.DateTimeField("更新时间", default=clock.now)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        abstract = True


class Counter(models.Model):
    """A gapless number series (发文字号, 简报期数): one row per scope and year, incremented by
    an UPDATE inside the caller's transaction so a rollback also returns the number."""

    scope = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "year"], name="counter_scope_year")]

    def __str__(self) -> str:
        return f"{self.scope} {self.year}: {self.value}"
