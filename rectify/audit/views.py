"""The audit log and the chain's last verification, for the audit admin only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.core.errors import Forbidden
from rectify.core.http import business_view, paginate, query_without_page

from .policies import can_read_audit_log
from .selectors import audit_log, last_verification
from .services import audit_verify_run


@login_required
@business_view
def log(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "").strip()[:80] for k in ("action", "actor", "object_type")}
    page = paginate(request, audit_log(viewer=request.user, filters=filters), per_page=100)
    context = {
        "page": page,
        "filters": filters,
        "query": query_without_page(request),
        "verification": last_verification(viewer=request.user),
    }
    return render(request, "audit/log.html", context)


@login_required
@require_POST
@business_view
def verify(request: HttpRequest) -> HttpResponseBase:
    if not can_read_audit_log(request.user):
        raise Forbidden("只有审计管理员可以校验审计日志。")
    run = audit_verify_run(trigger=f"审计管理员 {request.user.get_username()}")
    (messages.success if run.ok else messages.error)(request, run.message)
    return redirect("audit:log")
