"""Notification: one message to one user, shown in the bell and (when mail is set up) emailed.

The table is also the mail outbox: a row waits with email_status "pending" until a sender run
delivers it, so a mail server that is down delays mail but never loses it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rectify.core import clock


class Notification(models.Model):
    class Kind(models.TextChoices):
        WARNING = "warning", "预警提醒"
        MISSING_REPORT = "missing_report", "未报送提醒"
        REPORT = "report", "进展报告"
        SUPERVISION = "supervision", "督办"
        SYSTEM = "system", "系统消息"

    class Category(models.TextChoices):
        ACTION = "action", "待办"
        INFO = "info", "知悉"

    class EmailStatus(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "发送失败"
        SKIPPED = "skipped", "未发送"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    url = models.CharField("链接", max_length=300, blank=True)
    # 待办: the reader has something to do (fix a returned report, reply to a notice, review an
    # application); 知悉: for information (warnings, digests, results). The bell counts 待办 first.
    category = models.CharField("类别", max_length=10, choices=Category.choices, default=Category.INFO)
    # A digest's figures as a small table (see notifications.digest): the page renders it compactly.
    data = models.JSONField("汇总数据", default=dict, blank=True)
    # The same event never notifies the same person twice (scans are re-run, requests retried).
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField("时间", default=clock.now, db_index=True)
    read_at = models.DateTimeField("已读", null=True, blank=True)
    email_status = models.CharField("邮件", max_length=10, choices=EmailStatus.choices)
    email_note = models.CharField("邮件说明", max_length=300, blank=True)
    emailed_at = models.DateTimeField("邮件发送时间", null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once")]
        indexes = [
            models.Index(
                fields=["recipient", "category"], condition=Q(read_at__isnull=True), name="notification_unread_cat"
            ),
            models.Index(fields=["email_status"], condition=Q(email_status="pending"), name="notification_outbox"),
        ]
        verbose_name = "通知"
        verbose_name_plural = "通知"

    def __str__(self) -> str:
        return self.subject
