"""The viewer's notifications: list, open (marks read and follows the link), mark all read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rectify.core.http import business_view, paginate, query_without_page

from . import selectors, services


@login_required
def notification_index(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, selectors.notification_list(viewer=request.user, unread_only=unread_only))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "query": query_without_page(request), "unread_only": unread_only},
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
    count = services.notifications_mark_read(actor=request.user)  # type: ignore[arg-type]
    messages.success(request, f"已将 {count} 条通知标为已读。")
    return redirect("notifications:list")
