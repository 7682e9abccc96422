"""The bell on every page (one indexed count): `unread_notifications` is the unread 待办 (what needs
the reader's action, the badge), `unread_other` the unread 知悉 (a muted second figure)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .selectors import unread_counts


def bell(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    unread = getattr(request, "bell_counts", None) or unread_counts(viewer=request.user)
    if unread.action and unread.other:
        label = f"我的通知：{unread.action} 条待办未读，另有 {unread.other} 条其他未读"
    elif unread.action:
        label = f"我的通知：{unread.action} 条待办未读"
    elif unread.other:
        label = f"我的通知：无待办，{unread.other} 条其他未读"
    else:
        label = "我的通知：没有未读通知"
    return {
        "unread_notifications": unread.action,
        "unread_other": unread.other,
        "bell_label": label,
    }
