"""ImportJob: one uploaded plan between parse and commit (the human review happens here).

A file that is slow to read (a .doc/.wps LibreOffice converts, a scan read by OCR) starts in
READING: the upload is kept in storage and a background task reads it page by page
(progress_done of progress_total), then moves the job to REVIEWING, or to FAILED with a message."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rectify.core.models import TimestampedModel
from rectify.plans.models import Plan


class ImportJob(TimestampedModel):
    class Status(models.TextChoices):
        READING = "reading", "读取中"
        FAILED = "failed", "读取失败"
        REVIEWING = "reviewing", "待审核"
        COMMITTED = "committed", "已导入"
        DISCARDED = "discarded", "已放弃"

    # Allowed moves; services move a job with UPDATE … WHERE status = <current>.
    TRANSITIONS: dict[str, set[str]] = {
        "reading": {"reviewing", "failed", "discarded"},
        "failed": {"discarded"},
        "reviewing": {"committed", "discarded"},
        "committed": set(),
        "discarded": set(),
    }

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    filename = models.CharField("文件名", max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField("大小")
    source_format = models.CharField("格式", max_length=10)
    status = models.CharField("状态", max_length=20, choices=Status.choices, default=Status.REVIEWING)
    parsed = models.JSONField("解析结果", default=dict, blank=True)
    overrides = models.JSONField("审核修正", default=dict, blank=True)
    start_on = models.DateField("整改起始日")
    fingerprint = models.CharField(max_length=64, db_index=True, blank=True)
    duplicate_of = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs")
    # reading in the background (READING → REVIEWING / FAILED)
    upload_name = models.CharField("原件存储名", max_length=255, blank=True)
    progress_done = models.PositiveIntegerField("已读页数", default=0)
    progress_total = models.PositiveIntegerField("总页数", default=0)
    error = models.TextField("读取失败原因", blank=True)
    task_id = models.CharField("后台任务", max_length=64, blank=True)
    # a scan: {"pages": [{"number", "image", "seconds"}], "problems": {index: [first page, last page]}}
    ocr = models.JSONField("文字识别", default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"

    def __str__(self) -> str:
        return f"{self.filename}（{self.get_status_display()}）"
