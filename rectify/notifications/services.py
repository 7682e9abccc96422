"""Sending notifications: in-app rows (deduplicated) and the mail outbox."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from rectify.core import clock

from .categories import category_of
from .models import Notification

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
CHUNK = 900  # keys per IN (…): under SQLite's variable limit


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str
    url: str
    dedupe_key: str
    # "action" (待办) or "info" (知悉); empty: told by the dedupe key (notifications.categories).
    category: str = ""
    # A digest's figures (notifications.digest.Table.as_data()); the page renders them as a table.
    data: dict[str, Any] = field(default_factory=dict, hash=False)


def notify(*, recipients: Iterable[User], message: Message) -> int:
    """Queue `message` for each recipient once; returns how many new notifications were made.

    Mail goes out after the transaction commits (never for a rolled-back change)."""
    return notify_many([(recipients, message)])


def notify_many(batch: Iterable[tuple[Iterable[User], Message]]) -> int:
    """`notify` for many messages at once: a few queries however many there are (the daily scan)."""
    wanted: dict[tuple[int, str], tuple[User, Message]] = {}
    for recipients, message in batch:
        key = message.dedupe_key[:200]
        for user in recipients:
            if user is not None and user.is_active:
                wanted.setdefault((user.pk, key), (user, message))
    if not wanted:
        return 0
    keys = sorted({key for _, key in wanted})
    existing: set[tuple[int, str]] = set()
    for i in range(0, len(keys), CHUNK):
        existing.update(
            Notification.objects.filter(dedupe_key__in=keys[i : i + CHUNK]).values_list("recipient_id", "dedupe_key")
        )
    rows = [
        Notification(
            recipient=user,
            kind=message.kind,
            subject=message.subject[:200],
            body=message.body,
            url=message.url,
            dedupe_key=key,
            category=message.category or category_of(key),
            data=message.data,
            **_email_fields(user),
        )
        for (pk, key), (user, message) in wanted.items()
        if (pk, key) not in existing
    ]
    Notification.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    if any(r.email_status == Notification.EmailStatus.PENDING for r in rows):
        transaction.on_commit(send_pending)
    return len(rows)


def _email_fields(user: User) -> dict[str, Any]:
    if not settings.RECTIFY_EMAIL_ENABLED:
        return {"email_status": Notification.EmailStatus.SKIPPED, "email_note": "系统未配置邮件服务"}
    if not user.email:
        return {"email_status": Notification.EmailStatus.SKIPPED, "email_note": "账号未登记邮箱"}
    return {"email_status": Notification.EmailStatus.PENDING}


def send_pending(limit: int = 500) -> int:
    """Deliver queued mail; a failure is kept for the next run (up to MAX_ATTEMPTS)."""
    if not settings.RECTIFY_EMAIL_ENABLED:
        return 0
    pending = list(
        Notification.objects.filter(email_status=Notification.EmailStatus.PENDING)
        .select_related("recipient")
        .order_by("id")[:limit]
    )
    if not pending:
        return 0
    sent = 0
    try:
        connection = get_connection(fail_silently=False)
        connection.open()
    except OSError as exc:
        log.warning("mail server unavailable: %s", exc)
        _failed(pending, f"邮件服务器不可用：{exc}")
        return 0
    try:
        for n in pending:
            mail = EmailMessage(
                subject=f"【督察整改】{n.subject}",
                body=_mail_body(n),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[n.recipient.email],
                connection=connection,
            )
            try:
                mail.send()
            except Exception as exc:
                _failed([n], f"发送失败：{exc}")
                continue
            Notification.objects.filter(pk=n.pk).update(
                email_status=Notification.EmailStatus.SENT,
                emailed_at=clock.now(),
                email_attempts=n.email_attempts + 1,
                email_note="",
            )
            sent += 1
    finally:
        connection.close()
    return sent


def _failed(rows: list[Notification], note: str) -> None:
    for n in rows:
        attempts = n.email_attempts + 1
        status = Notification.EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else Notification.EmailStatus.PENDING
        Notification.objects.filter(pk=n.pk).update(email_attempts=attempts, email_status=status, email_note=note[:300])


def _mail_body(n: Notification) -> str:
    link = f"\n\n查看详情：{settings.RECTIFY_SITE_URL.rstrip('/')}{n.url}" if n.url else ""
    return f"{n.body}{link}\n\n（此邮件由督察整改调度平台自动发送，请勿直接回复。）"


def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None, category: str = "") -> int:
    """Mark the actor's own notifications read (all of them when `ids` is None; only one
    category's when `category` is "action" or "info")."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    if category in Notification.Category.values:
        qs = qs.filter(category=category)
    return qs.update(read_at=clock.now())
