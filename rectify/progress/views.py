"""Pages of the weekly loop: 本周待办, a unit's reports for a week or month (all measures on one
page), a report with its evidence and timeline, the review queue, 未报送, the reporting calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.downloads import checked_file_response
from rectify.audit.selectors import audit_timeline
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import file_refusal
from rectify.core.http import (
    business_view,
    errors_as_messages,
    int_or_zero,
    paginate,
    post_int,
    query_without_page,
)
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import subtree_ids, viewer_scope
from rectify.supervision import selectors as supervision_selectors
from rectify.supervision.services import warnings_refresh

from . import compliance, periods, selectors, services
from .models import ReportKind, ReportStatus
from .office_todo import office_todo_context
from .policies import can_file_for_unit, can_review_unit, can_set_calendar, filing_units
from .weekly_views import posted_text, row_input


@login_required
@business_view
def todo(request: HttpRequest) -> HttpResponse:
    """本周待办: what the unit must report now, what falls due soon, its warnings."""
    selectors.business_scope(request.user)
    unit_id = request.GET.get("unit", "")
    mine = filing_units(request.user)
    if unit_id.isdigit():
        unit = selectors.unit_get_for_reports(viewer=request.user, unit_id=int(unit_id))
    elif len(mine) >= 1:
        unit = mine[0]
    else:
        # An office (or a leader): each unit's reported / returned / missing state for the period.
        context = office_todo_context(viewer=request.user, units=_units_in_scope(request), params=request.GET)
        return render(request, "progress/todo_office.html", context)
    today = clock.today()
    rule = services.calendar_rule()
    context = {
        "unit": unit,
        "my_units": mine,
        "today": today,
        "calendar": rule.describe(),
        "statuses": [selectors.unit_period_status(unit, p) for p in periods.open_periods(today, rule)],
        "returned": selectors.returned_reports(unit),
        "due_soon": selectors.unit_due_soon(unit, today=today, days=settings.RECTIFY_WARNING_DUE_SOON_DAYS),
        "due_days": settings.RECTIFY_WARNING_DUE_SOON_DAYS,
        "warnings": selectors.unit_warnings(unit)[:100],
        "can_file": can_file_for_unit(request.user, unit),
        "notices": list(supervision_selectors.unit_open_notices(unit_ids=[unit.pk])[:50]),
    }
    return render(request, "progress/todo.html", context)


def _units_in_scope(request: HttpRequest) -> Any:
    scope = viewer_scope(request.user)
    qs = OrgUnit.objects.filter(is_active=True, pk__in=services.required_assignments().values("unit_id"))
    if not scope.everything:
        qs = qs.filter(pk__in=scope.unit_ids)
    return qs.order_by("path")


@login_required
@business_view
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(viewer=request.user, report_id=report_id)
    return render(request, "progress/report_detail.html", _detail_context(request, report))


def _detail_context(request: HttpRequest, report: Any, typed: services.ReportInput | None = None) -> dict[str, Any]:
    return {
        "typed": typed,
        "report": report,
        "evidence": selectors.report_evidence(report),
        "timeline": audit_timeline(report, include_children=False),
        "can_file": can_file_for_unit(request.user, report.unit) and report.is_editable,
        "can_review": can_review_unit(request.user, report.unit_id) and report.status == ReportStatus.SUBMITTED,
        "period_key": periods.period_of(report.kind, report.period_start, services.calendar_rule()).key,
        "milestones": report.measure.milestones.all(),
        "plan_short": selectors.plan_short_if_many(report.measure.problem.plan_id),
        "max_mb": settings.RECTIFY_MAX_EVIDENCE_BYTES // 1024 // 1024,
    }


@login_required
@require_POST
@business_view
def report_edit(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(viewer=request.user, report_id=report_id)
    data = row_input(request, report.assignment_id)
    submit = request.POST.get("action") == "submit"
    period = periods.period_of(report.kind, report.period_start, services.calendar_rule())
    was_returned = report.status == ReportStatus.RETURNED
    try:
        services.report_save(
            actor=request.user,
            assignment=report.assignment,
            period=period,
            data=data,
            submit=submit,
            version=post_int(request, "version"),
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        # Shown again with what was typed: an error never loses the clerk's text.
        messages.error(request, f"{exc.message}（您填写的内容仍在下方表单中）")
        report.refresh_from_db()
        return render(request, "progress/report_detail.html", _detail_context(request, report, data), status=400)
    warnings_refresh(measure_ids=[report.measure_id])
    messages.success(request, ("报告已重新提交。" if was_returned else "报告已提交。") if submit else "报告已保存。")
    return redirect("progress:report", report_id=report.pk)


@login_required
@require_POST
@business_view
def report_review(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(viewer=request.user, report_id=report_id)
    decision = request.POST.get("decision")
    with errors_as_messages(request):
        if decision == "accept":
            services.report_accept(actor=request.user, report=report)
            messages.success(request, "已采纳该报告。")
        elif decision == "return":
            services.report_return(actor=request.user, report=report, reason=request.POST.get("reason", ""))
            messages.success(request, "已退回该报告，联络员将收到通知。")
        else:
            raise DomainError("请选择采纳或退回。")
        warnings_refresh(measure_ids=[report.measure_id])
    next_url = request.POST.get("next", "")
    if next_url == "review":
        return redirect("progress:review")
    return redirect("progress:report", report_id=report.pk)


@login_required
@require_POST
@business_view
def evidence_upload(request: HttpRequest, report_id: int) -> HttpResponse:
    """上传 on a report's page. The edit form's fields come along (the file input belongs to that
    form): the typed text is saved as a draft with the files, so uploading never discards it. A
    post that carries the file alone (an API-like client, an old page) just adds the evidence."""
    report = selectors.report_get(viewer=request.user, report_id=report_id)
    pk = report.assignment_id
    data = row_input(request, pk)
    if not data.files and not data.upload_errors:
        messages.error(request, "请选择要上传的文件。")
    elif posted_text(request, pk):
        period = periods.period_of(report.kind, report.period_start, services.calendar_rule())
        try:
            _, problems = services.report_attach(
                actor=request.user,
                assignment=report.assignment,
                period=period,
                data=data,
                version=post_int(request, "version"),
            )
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            # Shown again with what was typed: the text is never lost to a refused file.
            messages.error(request, f"{exc.message}（您填写的内容仍在下方表单中）")
            report.refresh_from_db()
            return render(request, "progress/report_detail.html", _detail_context(request, report, data), status=400)
        names = "、".join(name for name, content in data.files if not file_refusal(name, content))
        messages.success(request, f"已上传：{names}（填写的内容已一并保存）")
        for problem in problems:
            messages.error(request, problem)
        if problems:
            report.refresh_from_db()
            return render(request, "progress/report_detail.html", _detail_context(request, report, data), status=400)
    else:
        for error in data.upload_errors:
            messages.error(request, error)
        with errors_as_messages(request):
            for name, content in data.files:
                services.evidence_add(actor=request.user, report=report, filename=name, content=content)
                messages.success(request, f"已上传：{name}")
    return redirect("progress:report", report_id=report.pk)


@login_required
@require_POST
@business_view
def evidence_remove(request: HttpRequest, evidence_id: int) -> HttpResponse:
    evidence = selectors.evidence_get(viewer=request.user, evidence_id=evidence_id)
    with errors_as_messages(request):
        services.evidence_remove(actor=request.user, evidence=evidence)
        messages.success(request, f"已移除：{evidence.original_name}（文件留档备查）")
    return redirect("progress:report", report_id=evidence.report_id)


@login_required
@business_view
def evidence_download(request: HttpRequest, evidence_id: int) -> HttpResponseBase:
    evidence = selectors.evidence_get(viewer=request.user, evidence_id=evidence_id)
    inline = request.GET.get("inline") == "1" and (evidence.is_image or evidence.content_type == "application/pdf")
    return checked_file_response(
        request,
        obj=evidence,
        sha256=evidence.sha256,
        storage_name=evidence.storage_name,
        filename=evidence.original_name,
        content_type=evidence.content_type,
        inline=inline,
    )


@login_required
@business_view
def review_list(request: HttpRequest) -> HttpResponse:
    scope = viewer_scope(request.user)
    if "coordinator" not in scope.region_roles:
        raise Forbidden("只有整改办审核进展报告。")
    filters = selectors.ReportFilters.from_query(request.GET)
    if not filters.statuses:
        filters.statuses = [ReportStatus.SUBMITTED]
    reports = selectors.report_list(viewer=request.user, filters=filters).order_by("submitted_at", "id")
    page = paginate(request, reports)
    return render(
        request,
        "progress/review.html",
        {
            "page": page,
            "query": query_without_page(request),
            "filters": filters,
            "statuses": ReportStatus.choices,
            "kinds": ReportKind.choices,
            "units": _units_in_scope(request).values_list("pk", "name"),
        },
    )


@login_required
@business_view
def missing(request: HttpRequest) -> HttpResponse:
    """未报送: per unit, reports owed for a period, on time, late and still missing."""
    scope = selectors.business_scope(request.user)
    rule = services.calendar_rule()
    kind = str(request.GET.get("kind") or "")
    if kind not in ReportKind.values:
        kind = ReportKind.WEEKLY
    period = periods.parse_key(kind, request.GET.get("period", ""), rule) if request.GET.get("period") else None
    if period is None:
        # The latest period whose deadline has passed: the one a coordinator chases now.
        now = clock.now()
        period = periods.period_of(kind, clock.today(), rule)
        while period.due_at > now:
            period = periods.period_of(kind, period.start - dt.timedelta(days=1), rule)
    unit_ids: set[int] | None = None if scope.everything else set(scope.unit_ids)
    # ?county=: the units of one 县（市、区） (its whole subtree), as the dashboard's county figures link here.
    county = OrgUnit.objects.filter(pk=int_or_zero(request.GET.get("county")), kind=UnitKind.REGION).first()
    if county is not None:
        inside = subtree_ids(county)
        unit_ids = inside if unit_ids is None else unit_ids & inside
    rows = compliance.period_compliance(period, unit_ids=unit_ids)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=[r.unit_id for r in rows])}
    only_missing = request.GET.get("all") != "1"
    shown = [(units[r.unit_id], r) for r in rows if r.missed or not only_missing]
    shown.sort(key=lambda x: (-x[1].missing, -x[1].missed, x[0].path))
    context = {
        "period": period,
        "kind": kind,
        "county": county,
        "county_query": f"&county={county.pk}" if county else "",
        "kinds": ReportKind.choices,
        "rows": shown,
        "only_missing": only_missing,
        "totals": {
            "units": len(rows),
            "missed": sum(1 for r in rows if r.missed),
            "still": sum(1 for r in rows if r.missing),
        },
        "passed": clock.now() > period.due_at,
        "prev_key": periods.period_of(kind, period.start - dt.timedelta(days=1), rule).key,
        "next_key": periods.period_of(kind, period.end + dt.timedelta(days=1), rule).key,
        "calendar": rule.describe(),
    }
    return render(request, "progress/missing.html", context)


@login_required
@business_view
def calendar_edit(request: HttpRequest) -> HttpResponse:
    selectors.business_scope(request.user)
    calendar = services.calendar_get()
    can_edit = can_set_calendar(request.user)
    if request.method == "POST":
        if not can_edit:
            raise Forbidden("只有市整改办可以设置报送日历。")
        with errors_as_messages(request):
            try:
                values = {
                    "weekly_weekday": int(request.POST.get("weekly_weekday", "")),
                    "weekly_time": dt.time.fromisoformat(request.POST.get("weekly_time", "")),
                    "monthly_day": int(request.POST.get("monthly_day", "")),
                    "monthly_time": dt.time.fromisoformat(request.POST.get("monthly_time", "")),
                    "starts_on": dt.date.fromisoformat(request.POST["starts_on"])
                    if request.POST.get("starts_on")
                    else None,
                }
            except ValueError as exc:
                raise DomainError("请填写有效的日期和时间（如 17:00）。") from exc
            services.calendar_update(actor=request.user, version=post_int(request, "version"), values=values)
            messages.success(request, "报送日历已更新。")
            return redirect("progress:calendar")
    return render(
        request,
        "progress/calendar.html",
        {"calendar": calendar, "can_edit": can_edit, "weekdays": list(enumerate(periods.WEEKDAY_LABELS))},
    )
