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
