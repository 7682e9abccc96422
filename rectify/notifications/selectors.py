"""A user's own notifications: nobody reads anyone else's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, When

from rectify.core.errors import NotFound

from .models import Notification

SHOWS = {"all": "全部", "action": "待办", "unread": "未读"}

# 待办 not yet read comes first, then everything else newest first.
_PENDING_FIRST = Case(
    When(category=Notification.Category.ACTION, read_at__isnull=True, then=0),
    default=1,
    output_field=IntegerField(),
)


def notification_list(
    *, viewer: Any, show: str = "all", unread_only: bool = False, pending_first: bool = False
) -> QuerySet[Notification]:
    """The viewer's notifications, newest first (unread 待办 before everything else when
    `pending_first`: the page). `show`: "all", "action" (待办 only) or "unread"."""
    qs = Notification.objects.filter(recipient_id=viewer.pk)
    if unread_only or show == "unread":
        qs = qs.filter(read_at__isnull=True)
    if show == "action":
        qs = qs.filter(category=Notification.Category.ACTION)
    if pending_first:
        return qs.annotate(pending=_PENDING_FIRST).order_by("pending", "-created_at", "-id")
    return qs.order_by("-created_at", "-id")


def notification_get(*, viewer: Any, notification_id: int) -> Notification:
    found = Notification.objects.filter(recipient_id=viewer.pk, pk=notification_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class Unread:
    action: int  # unread 待办: what the bell's badge shows
    other: int  # unread 知悉

    @property
    def total(self) -> int:
        return self.action + self.other


def unread_counts(*, viewer: Any) -> Unread:
    """Unread notifications by category, in one query over the unread index."""
    row = Notification.objects.filter(recipient_id=viewer.pk, read_at__isnull=True).aggregate(
        action=Count("pk", filter=Q(category=Notification.Category.ACTION)),
        other=Count("pk", filter=~Q(category=Notification.Category.ACTION)),
    )
    return Unread(action=row["action"] or 0, other=row["other"] or 0)


def unread_count(*, viewer: Any) -> int:
    return unread_counts(viewer=viewer).total
