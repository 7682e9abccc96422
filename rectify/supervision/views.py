"""The coordinator's warning board (预警看板): filter by level, unit, county and the share's own
status, overdue and due window; counts by level."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rectify.core import clock
from rectify.core.errors import Forbidden
from rectify.core.http import business_view, date_or_none, errors_as_messages, paginate, query_without_page
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import WarningLevel
from rectify.plans.selectors import LedgerFilters, measure_get, plan_ids

from . import selectors, services
from .policies import can_run_scan


@login_required
@business_view
def board(request: HttpRequest) -> HttpResponse:
    filters = LedgerFilters.from_query(request.GET)
    if "warning" not in request.GET:
        # The board opens on what needs attention; "全部" shows green too.
        filters.warnings = [WarningLevel.RED, WarningLevel.YELLOW]
    summary = selectors.board_summary(viewer=request.user, filters=filters)
    page = paginate(request, summary.shares)
    scope = viewer_scope(request.user)
    units = [
        (u["pk"], u["name"])
        for u in summary.directory.units
        if u["is_active"] and u["kind"] != "region" and scope.covers_unit(u["pk"])
    ]
    context = {
        "page": page,
        "rows": selectors.annotate_reasons(list(page), today=clock.today()),
        "query": query_without_page(request),
        "filters": filters,
        "counts": summary.counts,
        "by_county": summary.by_county,
        "levels": WarningLevel.choices,
        "filter_notes": selectors.board_filter_notes(filters),
        "units": units,
        "counties": [(c["pk"], c["name"]) for c in summary.directory.counties()],
        "plans": plan_ids(viewer=request.user).values_list("pk", "title"),
        "last_scan": selectors.last_scan(),
        "today": clock.today(),
        "due_days": settings.RECTIFY_WARNING_DUE_SOON_DAYS,
        "can_scan": can_run_scan(request.user),
    }
    return render(request, "supervision/board.html", context)


@login_required
@require_POST
@business_view
def scan_now(request: HttpRequest) -> HttpResponse:
    """Run the daily scan now (after correcting deadlines, say), instead of waiting for tonight."""
    if not can_run_scan(request.user):
        raise Forbidden("只有市整改办可以立即运行预警扫描。")
    run = services.deadlines_scan()
    messages.success(
        request,
        f"预警扫描完成：{run.assessed_words}，新预警 {run.raised} 条，"
        f"解除 {run.resolved} 条，提醒 {run.reminders} 条。",
    )
    return redirect("supervision:board")


@login_required
@require_POST
@business_view
def measure_deadline_edit(request: HttpRequest, measure_id: int) -> HttpResponse:
    """The city office moves one measure's deadline for all its units (an extension moves one unit's)."""
    measure = measure_get(viewer=request.user, measure_id=measure_id)
    anchor = reverse("plans:problem", args=[measure.problem_id]) + f"#measure-{measure.pk}"
    due = date_or_none(request.POST.get("due"))
    if request.POST.get("due") and due is None:
        messages.error(request, "到期日格式应为 YYYY-MM-DD。")
        return redirect(anchor)
    version = request.POST.get("version", "")
    if not version.isdigit():
        messages.error(request, "表单已过期，请刷新页面后重试。")
        return redirect(anchor)
    with errors_as_messages(request):
        services.measure_deadline_change(
            actor=request.user, measure=measure, raw=request.POST.get("raw", ""), version=int(version), due=due
        )
        messages.success(
            request,
            f"{measure.label}的整改时限已对全部责任单位调整（已批准延期且更晚的单位保留其延期），预警已重新评估。",
        )
    return redirect(anchor)
