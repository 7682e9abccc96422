"""The viewer's notifications: list (待办 first; 全部/待办/未读), open (marks read and follows the
link), mark all read."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rectify.core.http import business_view, paginate, query_without_page

from . import selectors, services
from .models import Notification


def _show(value: object) -> str:
    show = str(value or "all")
    return show if show in selectors.SHOWS else "all"


@login_required
def notification_index(request: HttpRequest) -> HttpResponse:
    show = "unread" if request.GET.get("unread") == "1" else _show(request.GET.get("show"))
    notes = selectors.notification_list(viewer=request.user, show=show, pending_first=True)
    page = paginate(request, notes, per_page=20)
    unread = selectors.unread_counts(viewer=request.user)
    request.bell_counts = unread  # type: ignore[attr-defined]  # the bell reuses it: one query less
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "query": query_without_page(request),
            "show": show,
            "shows": [
                (key, label, reverse("notifications:list") + f"?show={key}") for key, label in selectors.SHOWS.items()
            ],
            "unread": unread,
            "action_total": Notification.objects.filter(
                recipient_id=request.user.pk, category=Notification.Category.ACTION
            ).count(),
        },
    )


@login_required
@business_view
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    n = selectors.notification_get(viewer=request.user, notification_id=notification_id)
    services.notifications_mark_read(actor=request.user, ids=[n.pk])  # type: ignore[arg-type]
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts=None):
        return redirect(n.url)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    """Mark all read: every notification, or one category's ("action" 待办 / "info" 知悉)."""
    category = str(request.POST.get("category") or "")
    count = services.notifications_mark_read(actor=request.user, category=category)  # type: ignore[arg-type]
    what = {"action": "待办", "info": "知悉类"}.get(category, "")
    messages.success(request, f"已将 {count} 条{what}通知标为已读。")
    show = _show(request.POST.get("show"))
    return redirect(reverse("notifications:list") + ("?" + urlencode({"show": show}) if show != "all" else ""))
