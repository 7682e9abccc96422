"""Base models without domain meaning."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from . import clock


class TimestampedModel(models.Model):
    """Created/updated stamps from the project clock, and a version for optimistic locking."""

    created_at = models.DateTimeField("创建时间", default=clock.now, editable=False)
    updated_at = models.DateTimeField("更新时间", default=clock.now)
    version = models.PositiveIntegerField("版本", default=1)

    class Meta:
        abstract = True


class StoredFileFields(models.Model):
    """A file kept in the content-addressed store (`evidence/ab/<sha256><ext>`), checked by its
    content: progress evidence, notice replies, on-site photos."""

    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField("大小")
    content_type = models.CharField(max_length=120)
    type_label = models.CharField("类型", max_length=40)
    original_name = models.CharField("文件名", max_length=255)
    storage_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=clock.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


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
