"""A user's own notifications: nobody reads anyone else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from rectify.core.errors import NotFound

from .models import Notification


def notification_list(*, viewer: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=viewer.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def notification_get(*, viewer: Any, notification_id: int) -> Notification:
    found = Notification.objects.filter(recipient_id=viewer.pk, pk=notification_id).first()
    if found is None:
        raise NotFound()
    return found


def unread_count(*, viewer: Any) -> int:
    return Notification.objects.filter(recipient_id=viewer.pk, read_at__isnull=True).count()
