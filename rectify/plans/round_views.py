"""督察轮次 pages: the list with its counts, a round (its plans, problems and links), creating and
editing a round, putting a plan in a round, and linking the same problem across rounds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, errors_as_messages, int_or_zero, paginate, post_int, query_without_page

from . import round_selectors as rs
from . import rounds, selectors
from .models import InspectionRound
from .policies import can_manage_rounds

FIELDS = ["name", "level", "kind", "round_no", "topic", "started_on", "ended_on", "feedback_on"]


@login_required
@business_view
def round_list(request: HttpRequest) -> HttpResponse:
    rows = rs.round_list(viewer=request.user)
    return render(request, "plans/rounds.html", {"rows": rows, "can_manage": can_manage_rounds(request.user)})


@login_required
@business_view
def round_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    r = rs.round_get(viewer=request.user, round_id=round_id)
    links = rs.round_links(viewer=request.user, round=r)
    linked: dict[int, int] = {}
    for link in links:
        for pk in (link.earlier_id, link.later_id):
            linked[pk] = linked.get(pk, 0) + 1
    page = paginate(request, rs.round_problems(viewer=request.user, round=r))
    for p in page:
        p.link_count = linked.get(p.pk, 0)
    can_manage = can_manage_rounds(request.user)
    context = {
        "round": r,
        "counts": rs.round_row(viewer=request.user, round=r).counts,
        "plans": rs.round_plans(viewer=request.user, round=r),
        "page": page,
        "query": query_without_page(request),
        "links": links,
        "can_manage": can_manage,
        "plans_outside": list(rs.plans_outside(round=r)) if can_manage else [],
    }
    return render(request, "plans/round.html", context)


def _form(request: HttpRequest, values: dict[str, Any], r: InspectionRound | None, status: int = 200) -> HttpResponse:
    context = {
        "round": r,
        "values": values,
        "levels": InspectionRound.Level.choices,
        "kinds": InspectionRound.Kind.choices,
    }
    return render(request, "plans/round_form.html", context, status=status)


def _values_of(r: InspectionRound) -> dict[str, Any]:
    """The form's values as text (dates as YYYY-MM-DD, as the date inputs want them)."""
    data = rounds.round_input_of(r)
    values = {k: getattr(data, k) for k in FIELDS}
    return {k: "" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in values.items()} | {
        "version": r.version
    }


@login_required
@business_view
def round_create(request: HttpRequest) -> HttpResponse:
    if not can_manage_rounds(request.user):
        raise Forbidden(rounds.MANAGE_MESSAGE)
    if request.method != "POST":
        initial = dict.fromkeys(FIELDS, "") | {"level": InspectionRound.Level.PROVINCIAL, "kind": "routine"}
        return _form(request, initial, None)
    values = {k: request.POST.get(k, "").strip() for k in FIELDS}
    try:
        r = rounds.round_create(actor=request.user, data=rounds.round_input(values))
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _form(request, values, None, status=400)
    messages.success(request, f"已新建督察轮次“{r.name}”。")
    return redirect("plans:round", round_id=r.pk)


@login_required
@business_view
def round_edit(request: HttpRequest, round_id: int) -> HttpResponse:
    r = rs.round_get(viewer=request.user, round_id=round_id)
    if not can_manage_rounds(request.user):
        raise Forbidden(rounds.MANAGE_MESSAGE)
    if request.method != "POST":
        return _form(request, _values_of(r), r)
    values = {k: request.POST.get(k, "").strip() for k in FIELDS}
    version = int_or_zero(request.POST.get("version"))
    try:
        rounds.round_update(actor=request.user, round=r, data=rounds.round_input(values), version=version)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return _form(request, {**values, "version": version}, r, status=400)
    messages.success(request, "督察轮次已保存。")
    return redirect("plans:round", round_id=r.pk)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
@business_view
def plan_round(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Put a plan in a round (`round` empty: take it out)."""
    plan = selectors.plan_ids(viewer=request.user).filter(pk=plan_id).select_related("round").first()
    if plan is None:
        raise NotFound()
    round_id = post_int(request, "round")
    target = None
    if round_id:
        target = InspectionRound.objects.filter(pk=round_id).first()
        if target is None:
            raise NotFound("督察轮次不存在。")
    with errors_as_messages(request):
        rounds.plan_set_round(actor=request.user, plan=plan, round=target)
        if target is None:
            messages.success(request, f"“{plan.title}”已移出督察轮次。")
        else:
            messages.success(request, f"“{plan.title}”已归入“{target.name}”。")
    return _back(request, reverse("plans:plans"))


@login_required
@require_POST
@business_view
def round_plan_add(request: HttpRequest, round_id: int) -> HttpResponse:
    """Put the chosen plan in this round (the round page's form)."""
    r = rs.round_get(viewer=request.user, round_id=round_id)
    if not can_manage_rounds(request.user):
        raise Forbidden(rounds.MANAGE_MESSAGE)
    plan = selectors.plan_ids(viewer=request.user).filter(pk=post_int(request, "plan")).select_related("round").first()
    back = reverse("plans:round", args=[r.pk])
    if plan is None:
        messages.error(request, "请选择要归入本轮次的整改方案。")
        return redirect(back)
    with errors_as_messages(request):
        rounds.plan_set_round(actor=request.user, plan=plan, round=r)
        messages.success(request, f"“{plan.title}”已归入“{r.name}”。")
    return redirect(back)


@login_required
@require_POST
@business_view
def problem_link(request: HttpRequest, problem_id: int) -> HttpResponse:
    """Link this problem (the later one) to the same problem of an earlier round."""
    later = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    back = reverse("plans:problem", args=[later.pk]) + "#problem-rounds"
    if not can_manage_rounds(request.user):
        raise Forbidden(rounds.LINK_MESSAGE)
    earlier_id = post_int(request, "earlier")
    if not earlier_id:
        messages.error(request, "请先选择前一轮次中的同一问题。")
        return redirect(back)
    earlier = selectors.problem_get(viewer=request.user, problem_id=earlier_id)
    with errors_as_messages(request):
        link = rounds.problem_link(actor=request.user, earlier=earlier, later=later, note=request.POST.get("note", ""))
        text = f"已关联前一轮的问题（{earlier.number}）。"
        if link.is_relapse:
            text += "该问题在前一轮已销号、本轮再次发现：两个问题均已标记为“反弹”，计入月通报的反弹扣分。"
        messages.success(request, text)
    return redirect(back)


@login_required
@require_POST
@business_view
def problem_unlink(request: HttpRequest, problem_id: int, link_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    link = rs.link_get(viewer=request.user, link_id=link_id)
    if problem.pk not in (link.earlier_id, link.later_id):
        raise NotFound()
    if not can_manage_rounds(request.user):
        raise Forbidden(rounds.LINK_MESSAGE)
    with errors_as_messages(request):
        rounds.problem_unlink(actor=request.user, link=link)
        messages.success(request, "已解除关联；两个问题的“反弹”标记已按其余关联重新计算。")
    return _back(request, reverse("plans:problem", args=[problem.pk]) + "#problem-rounds")
