"""The audit log, for the audit admin only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rectify.core.http import business_view, paginate, query_without_page

from .selectors import audit_log


@login_required
@business_view
def log(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k, "").strip()[:80] for k in ("action", "actor", "object_type")}
    page = paginate(request, audit_log(viewer=request.user, filters=filters), per_page=100)
    return render(request, "audit/log.html", {"page": page, "filters": filters, "query": query_without_page(request)})
