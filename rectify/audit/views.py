"""The audit log and the chain's last verification, for the audit admin only."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.core.errors import Forbidden
from rectify.core.http import business_view, paginate, query_without_page

from .describe import describe_events, type_words
from .policies import can_read_audit_log
from .selectors import LogFilters, audit_log, audit_log_choices, last_verification
from .services import audit_verify_run


@login_required
@business_view
def log(request: HttpRequest) -> HttpResponse:
    filters, problems = _filters(request)
    page = paginate(request, audit_log(viewer=request.user, filters=filters), per_page=100)
    item = filters.item.split(":", 1) if ":" in filters.item else None
    context = {
        "page": page,
        "lines": describe_events(page, links="log"),
        "filters": filters,
        "item_words": f"{type_words(item[0])} {item[1]} 号" if item else "",
        "choices": audit_log_choices(viewer=request.user),
        "problems": problems,
        "query": query_without_page(request),
        "verification": last_verification(viewer=request.user),
    }
    return render(request, "audit/log.html", context)


def _filters(request: HttpRequest) -> tuple[LogFilters, list[str]]:
    """The chosen filters; a date that is not one is named and left out, the rest still apply."""
    get = request.GET

    def text(name: str, *, fallback: str = "") -> str:
        return (get.get(name) or get.get(fallback) or "").strip()[:120]

    problems: list[str] = []
    dates: dict[str, dt.date | None] = {}
    for name, label in (("since", "起始日期"), ("until", "截止日期")):
        raw = text(name)
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[name] = None
            problems.append(f"{label}“{raw}”不是有效日期（应为 年-月-日），已忽略。")
    since, until = dates["since"], dates["until"]
    if since and until and since > until:
        problems.append("起始日期晚于截止日期，已对调。")
        since, until = until, since
    filters = LogFilters(
        actor=text("actor"),
        object_type=text("type", fallback="object_type"),
        action=text("action"),
        since=since,
        until=until,
        q=text("q"),
        item=text("item"),
    )
    return filters, problems


@login_required
@require_POST
@business_view
def verify(request: HttpRequest) -> HttpResponseBase:
    if not can_read_audit_log(request.user):
        raise Forbidden("只有审计管理员可以校验审计日志。")
    run = audit_verify_run(trigger=f"审计管理员 {request.user.get_username()}")
    (messages.success if run.ok else messages.error)(request, run.message)
    return redirect("audit:log")
