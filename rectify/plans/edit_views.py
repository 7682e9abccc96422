"""Pages for editing the ledger by hand: a self-found problem, a measure added or edited, a
problem's 包联领导, and a leader's own list of the problems they 包联 / 分包.

Thin: read the form, call one service of plans.editing / plans.leaders, show its Chinese messages
beside the fields and keep everything typed. The object is found through the viewer's scope first
(outside it: 404), then the policy decides (not the city office: 403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, date_or_none, errors_as_messages, post_int
from rectify.orgs.models import OrgUnit, UnitKind

from . import editing, leaders, selectors
from .milestones import MilestoneInput
from .models import Assignment, ItemSource, Measure, Milestone, ProblemLeader
from .policies import can_add_items, can_assign_leaders


def unit_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """The directory for a unit picker: 市直单位 first, then each 县（市、区） with its subtree
    (~600 units, grouped so a county's units are found together)."""
    units = list(
        OrgUnit.objects.filter(is_active=True)
        .exclude(kind=UnitKind.REGION)
        .order_by("path")
        .values_list("pk", "name", "path")
    )
    regions = dict(OrgUnit.objects.filter(kind=UnitKind.REGION, depth=1).values_list("path", "name"))
    groups: dict[str, list[tuple[int, str]]] = {"市直单位": []}
    for pk, name, path in units:
        groups.setdefault(regions.get(path[:10], "市直单位"), []).append((pk, name))
    return [(label, rows) for label, rows in groups.items() if rows]


def _ids(values: Iterable[str]) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit()]


def _unit_roles(request: HttpRequest, lead: str, support: str) -> list[editing.UnitRole]:
    """Lead and support units picked in the form (unknown ids are dropped: the service then says
    what is missing)."""
    lead_ids, support_ids = _ids(request.POST.getlist(lead)), _ids(request.POST.getlist(support))
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=[*lead_ids, *support_ids])}
    return [editing.UnitRole(units[i], Assignment.RoleKind.LEAD) for i in dict.fromkeys(lead_ids) if i in units] + [
        editing.UnitRole(units[i], Assignment.RoleKind.SUPPORT) for i in dict.fromkeys(support_ids) if i in units
    ]


def _due(request: HttpRequest, name: str, errors: dict[str, str], key: str) -> dt.date | None:
    raw = str(request.POST.get(name) or "").strip()
    due = date_or_none(raw)
    if raw and due is None:
        errors[key] = "到期日格式应为 YYYY-MM-DD。"
    return due


def _milestone_lines(request: HttpRequest, measure: Measure) -> list[MilestoneInput] | None:
    """The edit form's 阶段性节点, one a line, in order (None when the form has no such field: the
    nodes stay). A line that is an existing node's text keeps that node's date (and so the node);
    a new line is dated from its words ("2023年6月底前…")."""
    if "milestones" not in request.POST:
        return None
    dates = {m.raw: m.due_on for m in Milestone.objects.filter(measure=measure)}
    lines = (line.strip() for line in str(request.POST.get("milestones") or "").splitlines())
    return [MilestoneInput(raw=line, due=dates.get(line)) for line in lines if line]


def _require_office(user: Any, message: str) -> None:
    if not can_add_items(user):
        raise Forbidden(message)


def _form_context(request: HttpRequest, errors: dict[str, str], **extra: Any) -> dict[str, Any]:
    typed = request.POST if request.method == "POST" else request.GET
    return {
        "errors": errors,
        "typed": typed,
        "lead_ids": {int(i) for i in _ids(typed.getlist("lead_units"))},
        "support_ids": {int(i) for i in _ids(typed.getlist("support_units"))},
        "unit_groups": unit_groups(),
        "sources": editing.HAND_SOURCES,
        **extra,
    }


@login_required
@business_view
def problem_create(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.plan_ids(viewer=request.user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    _require_office(request.user, "只有市整改办可以手工添加整改问题。")
    errors: dict[str, str] = {}
    chapters = list(plan.chapters.order_by("index"))
    if request.method == "POST":
        due = _due(request, "due", errors, "deadline")
        measure_due = _due(request, "measure_due", errors, "measure_deadline")
        chapter = next((c for c in chapters if c.pk == post_int(request, "chapter")), None)
        acceptance = OrgUnit.objects.filter(pk=post_int(request, "acceptance_unit")).first()
        if not errors:
            try:
                problem = editing.problem_create(
                    actor=request.user,
                    plan=plan,
                    chapter=chapter,
                    text=str(request.POST.get("text") or ""),
                    goal=str(request.POST.get("goal") or ""),
                    responsible_person=str(request.POST.get("responsible_person") or ""),
                    acceptance_unit=acceptance,
                    deadline=str(request.POST.get("deadline") or ""),
                    due=due,
                    source=str(request.POST.get("source") or ""),
                    measures=[
                        editing.MeasureInput(
                            text=str(request.POST.get("measure_text") or ""),
                            units=_unit_roles(request, "lead_units", "support_units"),
                            deadline=str(request.POST.get("measure_deadline") or ""),
                            due=measure_due,
                        )
                    ],
                )
            except editing.Invalid as exc:
                # the form has one measure: measures.0.text → measure_text (a name a template can read)
                errors.update(
                    {
                        k.replace("measures.0.", "measure_").replace("measures", "measure_text"): v
                        for k, v in exc.errors.items()
                    }
                )
            else:
                messages.success(
                    request,
                    f"已添加问题{problem.label}（{problem.get_source_display()}），责任单位按周报送进展、"
                    "预警和验收销号与方案中的问题相同。可继续添加整改措施。",
                )
                return redirect("plans:problem", problem_id=problem.pk)
    context = _form_context(
        request,
        errors,
        plan=plan,
        chapters=chapters,
        next_label=f"（{editing.next_problem_number(plan)[1]}）",
        acceptance_units=[(pk, name) for _, rows in unit_groups() for pk, name in rows],
    )
    return render(request, "plans/problem_form.html", context, status=400 if errors else 200)


@login_required
@business_view
def measure_create(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    _require_office(request.user, "只有市整改办可以手工添加整改措施。")
    errors: dict[str, str] = {}
    if request.method == "POST":
        due = _due(request, "due", errors, "deadline")
        if not errors:
            try:
                measure = editing.measure_create(
                    actor=request.user,
                    problem=problem,
                    text=str(request.POST.get("text") or ""),
                    units=_unit_roles(request, "lead_units", "support_units"),
                    deadline=str(request.POST.get("deadline") or ""),
                    due=due,
                    source=str(request.POST.get("source") or ""),
                )
            except editing.Invalid as exc:
                errors.update(exc.errors)
            else:
                messages.success(request, f"已添加{measure.label}（{measure.get_source_display()}）。")
                return redirect(reverse("plans:problem", args=[problem.pk]) + f"#measure-{measure.pk}")
    default_source = problem.source if problem.source != ItemSource.PLAN else ""
    context = _form_context(
        request,
        errors,
        problem=problem,
        source=str((request.POST.get("source") if request.method == "POST" else None) or default_source),
        next_label=editing.next_measure_number(problem),
    )
    return render(request, "plans/measure_form.html", context, status=400 if errors else 200)


@login_required
@business_view
def measure_edit(request: HttpRequest, measure_id: int) -> HttpResponse:
    selectors.plan_ids(viewer=request.user)  # a role without business data: 403, found or not
    measure = selectors.measure_get(viewer=request.user, measure_id=measure_id)
    _require_office(request.user, "只有市整改办可以修改整改措施。")
    errors: dict[str, str] = {}
    if request.method == "POST":
        due = _due(request, "due", errors, "deadline")
        version = str(request.POST.get("version") or "")
        if not version.isdigit():
            errors["version"] = "表单已过期，请刷新页面后重试。"
        if not errors:
            try:
                changed = editing.measure_update(
                    actor=request.user,
                    measure=measure,
                    version=int(version),
                    text=str(request.POST.get("text") or ""),
                    units=_unit_roles(request, "lead_units", "support_units"),
                    deadline=str(request.POST.get("deadline") or ""),
                    due=due,
                    milestones=_milestone_lines(request, measure),
                )
            except editing.Invalid as exc:
                errors.update(exc.errors)
            except DomainError as exc:
                if isinstance(exc, Forbidden | NotFound):
                    raise
                errors["version"] = exc.message  # someone else saved first: nothing typed is lost
            else:
                if not changed:
                    messages.info(request, f"{measure.label}没有修改。")
                else:
                    note = (
                        "各责任单位的预警将在下次预警扫描时按新时限重新评估（市整改办可在预警看板“立即重新扫描”）。"
                        if "整改时限" in changed
                        else ""
                    )
                    messages.success(request, f"{measure.label}已修改：{'、'.join(changed)}。{note}")
                return redirect(reverse("plans:problem", args=[measure.problem_id]) + f"#measure-{measure.pk}")
    shares = list(
        Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit").order_by("role", "id")
    )
    current = {
        "lead_units": [str(a.unit_id) for a in shares if a.role == Assignment.RoleKind.LEAD],
        "support_units": [str(a.unit_id) for a in shares if a.role == Assignment.RoleKind.SUPPORT],
    }
    context = _form_context(request, errors, measure=measure, problem=measure.problem, shares=shares)
    if request.method != "POST":
        context["lead_ids"] = {int(i) for i in current["lead_units"]}
        context["support_ids"] = {int(i) for i in current["support_units"]}
        nodes = "\n".join(m.raw for m in Milestone.objects.filter(measure=measure).order_by("seq"))
        context["typed"] = {
            "text": measure.text,
            "deadline": measure.deadline_raw,
            "version": measure.version,
            "milestones": nodes,
        }
    for share in shares:
        share.on_record = editing.share_record(share)  # type: ignore[attr-defined]
    return render(request, "plans/measure_edit.html", context, status=400 if errors else 200)


# --- 包联领导 -------------------------------------------------------------------------------------


@login_required
@require_POST
@business_view
def leader_add(request: HttpRequest, problem_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    if not can_assign_leaders(request.user):
        raise Forbidden("只有市整改办可以指定包联领导。")
    user = User.objects.filter(pk=post_int(request, "user")).first()
    with errors_as_messages(request):
        if user is None:
            raise DomainError("请选择包联领导。")
        leader = leaders.problem_leader_add(
            actor=request.user,
            problem=problem,
            user=user,
            kind=str(request.POST.get("kind") or ProblemLeader.Kind.LEAD),
            title=str(request.POST.get("title") or ""),
        )
        messages.success(request, f"已指定{leaders.leader_label(leader)}为问题{problem.label}的包联领导。")
    return redirect(reverse("plans:problem", args=[problem.pk]) + "#problem-leaders")


@login_required
@require_POST
@business_view
def leader_remove(request: HttpRequest, problem_id: int, leader_id: int) -> HttpResponse:
    problem = selectors.problem_get(viewer=request.user, problem_id=problem_id)
    if not can_assign_leaders(request.user):
        raise Forbidden("只有市整改办可以调整包联领导。")
    leader = ProblemLeader.objects.filter(pk=leader_id, problem=problem).select_related("user").first()
    if leader is None:
        messages.error(request, "该包联领导已被移除，请刷新页面。")
    else:
        with errors_as_messages(request):
            leaders.problem_leader_remove(actor=request.user, leader=leader)
            messages.success(request, f"已移除问题{problem.label}的包联领导{leaders.leader_label(leader)}。")
    return redirect(reverse("plans:problem", args=[problem.pk]) + "#problem-leaders")


@login_required
@business_view
def led_problems(request: HttpRequest) -> HttpResponse:
    rows = leaders.led_problems(viewer=request.user)
    return render(request, "plans/led_problems.html", {"rows": rows, "summary": leaders.led_summary(rows)})
