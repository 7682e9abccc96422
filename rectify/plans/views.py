"""Ledger pages: the 台账, plans, a problem (with its timeline), a unit's items."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.selectors import audit_timeline
from rectify.core.errors import NotFound
from rectify.core.formats import format_cn_date, format_rate
from rectify.core.http import business_view, errors_as_messages, paginate, query_without_page
from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import viewer_scope
from rectify.orgs.selectors import unit_get, unit_memberships

from . import selectors, services
from .disclosure import disclose
from .ledger_page import ledger_page
from .models import SHARE_OPEN_STATUSES, Assignment, DeadlineKind, ItemStatus, Measure, WarningLevel
from .policies import can_change_deadline_for_all, can_edit_problem

# The HTML ledger counts its matches up to this many (past it: "超过 10000 条", and the page links
# on); the API's count stays exact. Counting 48k overdue measures was most of a coordinator's page.
LEDGER_COUNT_LIMIT = 10_000


@login_required
@business_view
def ledger(request: HttpRequest) -> HttpResponse:
    filters = selectors.LedgerFilters.from_query(request.GET)
    per_page = settings.RECTIFY_PAGE_SIZE
    page_param = request.GET.get("page") or ""
    asked = int(page_param) if page_param.isascii() and page_param.isdigit() and len(page_param) < 9 else 0
    if asked < 1:  # not a page number: the first page (Django's "last page" needs the whole count)
        asked, page_param = 1, "1"
    # Counted at least to the end of the page asked for, so its rows and "下一页" stay true.
    pager = selectors.MeasurePager(
        viewer=request.user,
        filters=filters,
        read=ledger_page,
        count_limit=max(LEDGER_COUNT_LIMIT, asked * per_page),
    )
    page = Paginator(cast(Any, pager), per_page).get_page(page_param)  # the pager answers slices only
    scope = viewer_scope(request.user)
    # The unit filter's units (in scope, not regions) and the county filter's regions (as
    # orgs.selectors.counties: active regions right under the root), in one query.
    units_in_scope = ~Q(kind="region") if scope.everything else ~Q(kind="region") & Q(id__in=scope.unit_ids)
    choices = (
        OrgUnit.objects.filter(Q(is_active=True) & (units_in_scope | Q(kind="region", depth=1)))
        .order_by("path")
        .values_list("pk", "name", "kind")
    )
    chapters = [
        (pk, f"{number}、{title[:24]}")
        for pk, number, title in selectors.chapters_for(viewer=request.user).values_list("pk", "number", "title")
    ]
    context = {
        "page": page,
        "count_exact": pager.exact,
        "count_limit": pager.count() - 1,
        "query": query_without_page(request),
        "filters": filters,
        # Measures or chapters mean plans: ask the database only when there are neither.
        "has_plans": pager.count() > 0 or bool(chapters) or selectors.plan_ids(viewer=request.user).exists(),
        "chapters": chapters,
        "units": [(pk, name) for pk, name, kind in choices if kind != "region"],
        "counties": [(pk, name) for pk, name, kind in choices if kind == "region"],
        "kinds": DeadlineKind.choices,
        "statuses": ItemStatus.choices,
        "warning_levels": WarningLevel.choices,
        "pending_count": selectors.pending_assignments(
            viewer=request.user, visible_problems=pager.visible_problems
        ).count(),
    }
    return render(request, "plans/ledger.html", context)


@login_required
@business_view
def plan_index(request: HttpRequest) -> HttpResponse:
    plans = selectors.plan_list(viewer=request.user)
    return render(request, "plans/plans.html", {"plans": plans})


@login_required
@business_view
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    pending = [a for a in selectors.problem_assignments(problem) if a.needs_confirmation]
    candidate_ids = {i for a in pending for i in a.candidates}
    candidates = {u.pk: u for u in OrgUnit.objects.filter(pk__in=candidate_ids)}
    for a in pending:
        a.candidate_units = [candidates[i] for i in a.candidates if i in candidates]  # type: ignore[attr-defined]
    # Other units' report text, evidence names and visits are counts only (plans.disclosure).
    timeline, withheld = disclose(viewer=request.user, problem=problem, events=audit_timeline(problem))
    context = {
        "problem": problem,
        "assignments": [a for a in selectors.problem_assignments(problem) if not a.needs_confirmation],
        "pending": pending,
        "all_units": OrgUnit.objects.filter(is_active=True).exclude(kind="region").order_by("path"),
        # The newest 200 events the viewer may read, oldest first; the history page has all of them.
        "timeline": timeline[-200:],
        "withheld": withheld,
        "can_edit": can_edit_problem(request.user, problem),
        # Clerks may ask for more time on a dated measure (supervision's 延期申请).
        "is_clerk": Role.CLERK in viewer_scope(request.user).roles,
    }
    context["can_change_all"] = context["can_edit"] and can_change_deadline_for_all(request.user)
    changes = selectors.measure_deadline_changes(problem)
    measures: list[Measure] = list(selectors.problem_measures(problem))
    scope = viewer_scope(request.user)
    clerk = Role.CLERK in scope.roles
    own_units = {ms.unit_id for ms in scope.memberships}
    for m in measures:
        m.deadline_change = changes.get(m.pk)  # type: ignore[attr-defined]
        # The clerk's own share of the measure (its own unit first): what it may extend, and —
        # when the share counts in the roll-up (lead, or any share of a measure without lead) —
        # apply to close.
        shares = [a for a in m.assignments.all() if a.unit_id]
        leads = [a for a in shares if a.role == Assignment.RoleKind.LEAD]
        mine = sorted(
            (a for a in shares if a.unit_id in scope.unit_ids and a.status in SHARE_OPEN_STATUSES),
            key=lambda a: (a.unit_id not in own_units, a.unit.path if a.unit else ""),
        )
        m.my_share = mine[0] if clerk and mine else None  # type: ignore[attr-defined]
        m.my_share_counted = m.my_share is not None and (m.my_share in leads or not leads)  # type: ignore[attr-defined]
    done = sum(1 for m in measures if m.status != ItemStatus.IN_PROGRESS or (m.progress or 0) >= 100)
    context["measures"] = measures
    context["completion"] = format_rate(done, len(measures))
    return render(request, "plans/problem_detail.html", context)


@login_required
@business_view
def problem_history(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    events, withheld = disclose(viewer=request.user, problem=problem, events=audit_timeline(problem))
    page = paginate(request, events)
    context = {"object": problem, "page": page, "query": "", "withheld": withheld}
    return render(request, "plans/history.html", context)


@login_required
@require_POST
@business_view
def problem_deadline_edit(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    due = None
    if request.POST.get("due"):
        try:
            due = dt.date.fromisoformat(request.POST["due"])
        except ValueError:
            messages.error(request, "到期日格式应为 YYYY-MM-DD。")
            return redirect("plans:problem", problem_id=problem.pk)
    version = request.POST.get("version", "")
    if not version.isdigit():
        messages.error(request, "表单已过期，请刷新页面后重试。")
        return redirect("plans:problem", problem_id=problem.pk)
    with errors_as_messages(request):
        services.problem_update_deadline(
            actor=request.user, problem=problem, raw=request.POST.get("raw", ""), version=int(version), due=due
        )
        kind = problem.deadline_kind_label
        if problem.deadline_kind == DeadlineKind.RECURRING and problem.due_on:
            # 周期性: say the period and the date it falls due now, which the scan will move on.
            kind = f"周期性（{problem.get_recurrence_display()}，本期至{format_cn_date(problem.due_on)}）"
        messages.success(
            request,
            f"整改时限已更新（{kind}）。预警等级在下次预警扫描时更新（市整改办可在预警看板“立即重新扫描”）。",
        )
    return redirect("plans:problem", problem_id=problem.pk)


@login_required
@require_POST
@business_view
def assignment_confirm(request: HttpRequest, problem_id: int, assignment_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    assignment = Assignment.objects.filter(pk=assignment_id, problem=problem).first()
    if assignment is None:
        raise NotFound()
    ids = [int(i) for i in request.POST.getlist("units") if i.isdigit()]
    units = list(OrgUnit.objects.filter(pk__in=ids, is_active=True))
    with errors_as_messages(request):
        services.assignment_confirm(actor=request.user, assignment=assignment, units=units)
        messages.success(request, f"“{assignment.phrase}”已确认为：{'、'.join(u.name for u in units)}。")
    return redirect("plans:problem", problem_id=problem.pk)


@login_required
@business_view
def pending_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.pending_assignments(viewer=request.user))
    return render(request, "plans/pending.html", {"page": page, "query": ""})


@login_required
@business_view
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = unit_get(viewer=request.user, unit_id=unit_id)
    problems = selectors.unit_problems(viewer=request.user, unit=unit)
    page = paginate(request, problems)
    context = {
        "unit": unit,
        "page": page,
        "query": query_without_page(request),
        "shares": selectors.unit_shares(viewer=request.user, unit=unit),
        "summary": selectors.unit_assignment_summary(unit=unit),
        "members": unit_memberships(unit),
        "children": unit.children.filter(is_active=True),
    }
    return render(request, "plans/unit_detail.html", context)
