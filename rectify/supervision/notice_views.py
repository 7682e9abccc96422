"""Pages of supervision (督办): notices on the escalation ladder with Rectify's proposals, a
notice with its reply and actions, extension requests, on-site records, 挂牌督办/约谈 flags."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.downloads import checked_file_response
from rectify.audit.selectors import audit_timeline
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import uploaded_files
from rectify.core.http import (
    business_view,
    date_or_none,
    errors_as_messages,
    int_or_zero,
    paginate,
    post_int,
    query_without_page,
)
from rectify.orgs.models import OrgUnit, Role, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Measure, Problem, ShareStatus
from rectify.plans.selectors import problem_get

from . import extensions, flags, notices, policies, proposals, selectors, visits
from .issuer import official_name
from .models import (
    Attachment,
    ExtensionStatus,
    FlagKind,
    NoticeKind,
    NoticeStatus,
    VisitTask,
)
from .notice_copy import copy_to_form, posted_copy_to, typed_copy_to
from .services import deadline_text, share_due_text


def business_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """System and audit admins (三权分立) and users without a role see no supervision data."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not viewer_scope(request.user).is_business_user:
            raise Forbidden("您的账号没有业务数据的查看权限。")
        return view(request, *args, **kwargs)

    return wrapper


def _units_in_scope(user: Any) -> Any:
    scope = viewer_scope(user)
    units = OrgUnit.objects.filter(is_active=True).exclude(kind__in=[UnitKind.REGION, UnitKind.OFFICE])
    if not scope.everything:
        units = units.filter(pk__in=scope.unit_ids)
    return units.order_by("path")


def _unit_or_404(user: Any, pk: int) -> OrgUnit:
    unit = _units_in_scope(user).filter(pk=pk).first()
    if unit is None:
        raise NotFound()
    return unit


def _unit_shares(unit: OrgUnit) -> list[Assignment]:
    """The unit's own shares still open (what a notice can be about), one per measure, each with
    the unit's own progress, due date and warning."""
    shares = (
        Assignment.objects.filter(unit=unit, measure__isnull=False)
        .exclude(status=ShareStatus.CLOSED)
        .select_related("measure__problem")
        .order_by("measure__problem__plan_id", "measure__problem__index", "measure__seq", "role", "pk")
    )
    seen: set[int] = set()
    out = []
    for a in shares:
        if a.measure_id not in seen:
            seen.add(a.measure_id or 0)
            out.append(a)
    return out


def _unit_measures(unit: OrgUnit) -> list[Measure]:
    return [a.measure for a in _unit_shares(unit) if a.measure is not None]


def _share_rows(unit: OrgUnit, measures: list[Measure]) -> list[dict[str, Any]]:
    """Each measure a notice names with the unit's own share of it (never the measure's roll-up)."""
    shares = notices.unit_shares(unit, [m.pk for m in measures])
    rows = []
    for m in measures:
        share = shares.get(m.pk)
        due = share_due_text(share) if share is not None else deadline_text(m.deadline_raw, m.due_on)
        rows.append({"measure": m, "share": share, "due": due})
    return rows


def _require_coordinator(user: Any) -> None:
    if Role.COORDINATOR not in viewer_scope(user).region_roles:
        raise Forbidden("只有整改办可以办理督办事项。")


# --- notices ----------------------------------------------------------------------------------


@login_required
@business_view
@business_only
def notice_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.NoticeFilters.from_query(request.GET)
    page = paginate(request, selectors.notice_list(viewer=request.user, filters=filters))
    scope = viewer_scope(request.user)
    is_office = Role.COORDINATOR in scope.region_roles
    context = {
        "page": page,
        "filters": filters,
        "query": query_without_page(request),
        "kinds": NoticeKind.choices,
        "statuses": NoticeStatus.choices,
        "units": _units_in_scope(request.user).values_list("pk", "name"),
        "proposals": proposals.proposals(viewer=request.user) if is_office else [],
        "is_office": is_office,
    }
    return render(request, "supervision/notices.html", context)


@login_required
@require_POST
@business_view
@business_only
def proposal_confirm(request: HttpRequest) -> HttpResponse:
    """The coordinator takes up one of Rectify's proposals: it becomes a draft to edit."""
    _require_coordinator(request.user)
    unit = _unit_or_404(request.user, post_int(request, "unit"))
    kind = str(request.POST.get("kind") or "")
    measure_ids = [int(v) for v in request.POST.getlist("measure") if v.isascii() and v.isdigit()]
    measures = [m for m in _unit_measures(unit) if m.pk in measure_ids]
    source = None
    if request.POST.get("notice"):
        source = selectors.notice_get(viewer=request.user, pk=post_int(request, "notice"))
    with errors_as_messages(request):
        draft = proposals.proposal_confirm(
            actor=request.user,
            kind=kind,
            unit=unit,
            measures=measures,
            reason=str(request.POST.get("reason") or ""),
            notice=source,
        )
        messages.success(request, "已按建议起草，请核对正文后印发。")
        return redirect("supervision:notice", pk=draft.pk)
    return redirect("supervision:notices")


@login_required
@business_view
@business_only
def notice_new(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request.user)
    unit_id = post_int(request, "unit") if request.method == "POST" else int_or_zero(request.GET.get("unit"))
    unit = _units_in_scope(request.user).filter(pk=unit_id).first() if unit_id else None
    shares = _unit_shares(unit) if unit else []
    measures = [a.measure for a in shares if a.measure is not None]
    chosen = {int_or_zero(v) for v in (request.POST.getlist("measure") or request.GET.getlist("measure"))}
    kind = str(request.POST.get("kind") or request.GET.get("kind") or NoticeKind.REMINDER)
    if request.method == "POST" and unit is not None:
        data = notices.NoticeInput(
            kind=kind,
            unit=unit,
            measures=[m for m in measures if m.pk in chosen],
            title=str(request.POST.get("title") or ""),
            body=str(request.POST.get("body") or ""),
            response_due=date_or_none(request.POST.get("response_due")),
            copy_to=posted_copy_to(request),
        )
        try:
            draft = notices.notice_draft(actor=request.user, data=data)
        except DomainError as exc:
            if isinstance(exc, Forbidden | NotFound):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, "草稿已保存，请核对后印发。")
            return redirect("supervision:notice", pk=draft.pk)
    context = {
        "units": _units_in_scope(request.user).values_list("pk", "name"),
        "unit": unit,
        "shares": [(a, share_due_text(a)) for a in shares],
        "chosen": chosen,
        "kind": kind,
        "kinds": NoticeKind.choices,
        "title": request.POST.get("title", ""),
        "body": request.POST.get("body", ""),
        "response_due": request.POST.get("response_due", ""),
        **copy_to_form(typed_copy_to(request)),
    }
    return render(request, "supervision/notice_new.html", context)


@login_required
@business_view
@business_only
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get(viewer=request.user, pk=pk)
    can_issue = policies.can_issue_to(request.user, notice.unit)
    measures = list(notice.measures.select_related("problem").order_by("problem__index", "seq"))
    typed = request.POST if request.method == "POST" else {}
    context = {
        "notice": notice,
        "issuer_name": official_name(notice.issuer),
        "has_appendix": bool(measures) and notices.needs_appendix(len(measures), notice.body),
        "rows": _share_rows(notice.unit, measures),
        "unit_measures": _unit_measures(notice.unit) if can_issue and notice.status == NoticeStatus.DRAFT else [],
        "chosen": {m.pk for m in measures},
        "attachments": list(Attachment.objects.filter(notice=notice)),
        "can_issue": can_issue,
        "can_reply": policies.can_reply(request.user, notice) and notice.status == NoticeStatus.ISSUED,
        "skip_warning": notices.rung_warning(notice) if can_issue and notice.status == NoticeStatus.DRAFT else "",
        "next_kind": NoticeKind(k).label if (k := notices.next_rung(notice)) else "",
        "escalations": list(notice.escalations.exclude(status=NoticeStatus.CANCELLED)),
        "timeline": audit_timeline(notice),
        "typed": typed,
        **copy_to_form(typed_copy_to(request) if typed else list(notice.copy_to)),
    }
    return render(request, "supervision/notice_detail.html", context)


@login_required
@require_POST
@business_view
@business_only
def notice_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    notice = selectors.notice_get(viewer=request.user, pk=pk)
    user = request.user
    text = str(request.POST.get("text") or "")
    try:
        if action == "edit":
            notice_action_edit(request, notice)
            messages.success(request, "草稿已保存。")
        elif action == "issue":
            if "title" in request.POST:  # issued from the edit form: save what is typed first
                notice_action_edit(request, notice)
            notices.notice_issue(actor=user, notice=notice, skip_reason=str(request.POST.get("skip_reason") or ""))
            messages.success(request, f"已印发：{notice.number}，已通知{notice.unit.name}。")
        elif action == "reply":
            files = uploaded_files(request.FILES, default_name="附件")
            notices.notice_reply(actor=user, notice=notice, text=text, files=files)
            messages.success(request, "回复已提交，整改办将审核。")
        elif action == "return":
            notices.notice_return_reply(actor=user, notice=notice, reason=text)
            messages.success(request, "已退回回复，主送单位将收到通知。")
        elif action == "close":
            notices.notice_close(actor=user, notice=notice, note=text)
            messages.success(request, "已办结。")
        elif action == "escalate":
            draft = notices.notice_escalate(actor=user, notice=notice, proposal=text)
            messages.success(request, f"已起草{draft.get_kind_display()}，核对后印发即完成升级。")
            return redirect("supervision:notice", pk=draft.pk)
        elif action == "cancel":
            notices.notice_cancel(actor=user, notice=notice)
            messages.success(request, "草稿已作废。")
        else:
            raise NotFound()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        if action in ("edit", "reply", "issue"):
            # Keep what the user typed: render the page again with it.
            return notice_detail(request, pk)
    return redirect("supervision:notice", pk=notice.pk)


def notice_action_edit(request: HttpRequest, notice: Any) -> None:
    chosen = {int_or_zero(v) for v in request.POST.getlist("measure")}
    data = notices.NoticeInput(
        kind=notice.kind,
        unit=notice.unit,
        measures=[m for m in _unit_measures(notice.unit) if m.pk in chosen],
        title=str(request.POST.get("title") or ""),
        body=str(request.POST.get("body") or ""),
        response_due=date_or_none(request.POST.get("response_due")),
        skip_reason=str(request.POST.get("skip_reason") or ""),
        copy_to=posted_copy_to(request),
    )
    notices.notice_update(actor=request.user, notice=notice, version=post_int(request, "version"), data=data)


@login_required
@business_view
@business_only
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    attachment = Attachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise NotFound()
    if attachment.notice_id:
        selectors.notice_get(viewer=request.user, pk=attachment.notice_id)
    else:
        selectors.visit_get(viewer=request.user, pk=attachment.visit_id or 0)
    inline = request.GET.get("inline") == "1" and (attachment.is_image or attachment.content_type == "application/pdf")
    return checked_file_response(
        request,
        obj=attachment,
        sha256=attachment.sha256,
        storage_name=attachment.storage_name,
        filename=attachment.original_name,
        content_type=attachment.content_type,
        inline=inline,
    )


# --- extensions -------------------------------------------------------------------------------


@login_required
@business_view
@business_only
def extension_list(request: HttpRequest) -> HttpResponse:
    status = str(request.GET.get("status") or "")
    page = paginate(request, extensions.with_share_due(selectors.extension_list(viewer=request.user, status=status)))
    context = {
        "page": page,
        "status": status,
        "statuses": ExtensionStatus.choices,
        "query": query_without_page(request),
        "decidable": {e.pk for e in page if policies.can_decide_extension(request.user, e)},
    }
    return render(request, "supervision/extensions.html", context)


@login_required
@business_view
@business_only
def extension_new(request: HttpRequest) -> HttpResponse:
    measure_id = post_int(request, "measure") if request.method == "POST" else int_or_zero(request.GET.get("measure"))
    measure = Measure.objects.select_related("problem").filter(pk=measure_id).first()
    if measure is None:
        raise NotFound()
    problem_get(viewer=request.user, problem_id=measure.problem_id)  # 404 outside the viewer's scope
    scope = viewer_scope(request.user)
    # The clerk's own units' shares of the measure: each asks for its own date.
    shares: dict[int, Assignment] = {}
    for a in (
        Assignment.objects.filter(measure=measure, unit__isnull=False)
        .select_related("unit", "measure")
        .order_by("unit__path", "role", "pk")
    ):
        if a.unit is not None and a.unit_id not in shares and policies.can_file(request.user, a.unit):
            shares[a.unit.pk] = a
    if not shares or not scope.is_business_user:
        raise Forbidden("只有该措施责任单位的联络员可以申请延期。")
    units = [a.unit for a in shares.values() if a.unit is not None]
    if request.method == "POST":
        unit = next((u for u in units if u.pk == post_int(request, "unit")), units[0])
        due = date_or_none(request.POST.get("requested_due"))
        with errors_as_messages(request):
            if due is None:
                raise DomainError("请填写申请延至的日期。")
            extensions.extension_request(
                actor=request.user,
                measure=measure,
                unit=unit,
                reason=str(request.POST.get("reason") or ""),
                requested_due=due,
            )
            messages.success(request, "延期申请已提交，等待整改办审批。")
            return redirect("supervision:extensions")
    context = {
        "measure": measure,
        "shares": [(a, share_due_text(a)) for a in shares.values()],
        "typed": request.POST,
        "chosen": post_int(request, "unit") if request.method == "POST" else 0,
        "today": clock.today(),
    }
    return render(request, "supervision/extension_new.html", context)


@login_required
@require_POST
@business_view
@business_only
def extension_decide(request: HttpRequest, pk: int) -> HttpResponse:
    ext = selectors.extension_get(viewer=request.user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    with errors_as_messages(request):
        extensions.extension_decide(
            actor=request.user,
            ext=ext,
            approve=approve,
            note=str(request.POST.get("note") or ""),
            approved_due=date_or_none(request.POST.get("approved_due")),
        )
        messages.success(request, "已批准延期，整改时限已更新，预警已重新评估。" if approve else "已不予批准。")
    return redirect("supervision:extensions")


# --- on-site visits ---------------------------------------------------------------------------


def _regions(user: Any) -> Any:
    scope = viewer_scope(user)
    regions = OrgUnit.objects.filter(kind=UnitKind.REGION, is_active=True)
    if not scope.everything:
        regions = regions.filter(pk__in=scope.unit_ids)
    return regions.order_by("path")


@login_required
@business_view
@business_only
def visit_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.visit_list(viewer=request.user))
    can_record = Role.COORDINATOR in viewer_scope(request.user).region_roles
    return render(request, "supervision/visits.html", {"page": page, "can_record": can_record, "query": ""})


@login_required
@business_view
@business_only
def visit_new(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request.user)
    regions = list(_regions(request.user))
    units = list(_units_in_scope(request.user).values_list("pk", "name"))
    problems = list(Problem.objects.select_related("plan").order_by("plan_id", "index"))
    if request.method == "POST":
        p = request.POST
        region = next((r for r in regions if r.pk == post_int(request, "region")), None)
        unit_map = {u.pk: u for u in _units_in_scope(request.user)}
        tasks = []
        for unit_id, text, due in zip(
            p.getlist("task_unit"), p.getlist("task_text"), p.getlist("task_due"), strict=False
        ):
            if text.strip() and unit_id.isdigit() and int(unit_id) in unit_map:
                tasks.append((unit_map[int(unit_id)], text, date_or_none(due)))
        chosen = {int(v) for v in p.getlist("problem") if v.isdigit()}
        try:
            if region is None:
                raise DomainError("请选择县区。")
            visited_on = date_or_none(p.get("visited_on"))
            if visited_on is None:
                raise DomainError("请填写督办日期。")
            visit = visits.visit_record(
                actor=request.user,
                data=visits.VisitInput(
                    visited_on=visited_on,
                    region=region,
                    title=str(p.get("title") or ""),
                    leaders=str(p.get("leaders") or ""),
                    places=str(p.get("places") or ""),
                    findings=str(p.get("findings") or ""),
                    cases=str(p.get("cases") or ""),
                    problems=[pr for pr in problems if pr.pk in chosen],
                    tasks=tasks,
                    files=uploaded_files(request.FILES, "photos", "照片"),
                ),
            )
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "现场督办记录已保存。")
            return redirect("supervision:visit", pk=visit.pk)
    context = {
        "regions": regions,
        "units": units,
        "problems": problems,
        "typed": request.POST,
        "today": clock.today(),
        "task_rows": range(3),
    }
    return render(request, "supervision/visit_new.html", context)


@login_required
@business_view
@business_only
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_get(viewer=request.user, pk=pk)
    tasks = list(visit.tasks.select_related("unit"))
    context = {
        "visit": visit,
        "tasks": tasks,
        "doable": {
            t.pk
            for t in tasks
            if policies.can_record_visit(request.user, visit.region) or policies.can_file(request.user, t.unit)
        },
        "photos": list(visit.photos.all()),
        "problems": list(visit.problems.order_by("index")),
        "timeline": audit_timeline(visit),
    }
    return render(request, "supervision/visit_detail.html", context)


@login_required
@require_POST
@business_view
@business_only
def visit_task_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = VisitTask.objects.select_related("visit__region", "unit").filter(pk=pk).first()
    if task is None:
        raise NotFound()
    selectors.visit_get(viewer=request.user, pk=task.visit_id)
    with errors_as_messages(request):
        visits.visit_task_done(actor=request.user, task=task)
        messages.success(request, "任务已标记完成。")
    return redirect("supervision:visit", pk=task.visit_id)


# --- flags ------------------------------------------------------------------------------------


@login_required
@business_view
@business_only
def flag_list(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("all") == "1"
    flags = list(selectors.flag_list(viewer=request.user, active=not show_all)[:500])
    scope = viewer_scope(request.user)
    context = {
        "flags": flags,
        "show_all": show_all,
        "kinds": FlagKind.choices,
        "can_flag": Role.COORDINATOR in scope.region_roles,
        "can_flag_problems": Role.COORDINATOR in scope.city_roles,
        "units": _units_in_scope(request.user).values_list("pk", "name"),
        "problems": Problem.objects.order_by("plan_id", "index").values_list("pk", "number", "text"),
        "preset_problem": request.GET.get("problem", ""),
        "liftable": {f.pk for f in flags if policies.can_flag(request.user, problem=f.problem, unit=f.unit)},
    }
    return render(request, "supervision/flags.html", context)


@login_required
@require_POST
@business_view
@business_only
def flag_set(request: HttpRequest) -> HttpResponse:
    _require_coordinator(request.user)
    problem = unit = None
    if request.POST.get("target") == "problem":
        problem = problem_get(viewer=request.user, problem_id=post_int(request, "problem"))
    else:
        unit = _unit_or_404(request.user, post_int(request, "unit"))
    with errors_as_messages(request):
        flag = flags.flag_set(
            actor=request.user,
            kind=str(request.POST.get("kind") or ""),
            reason=str(request.POST.get("reason") or ""),
            problem=problem,
            unit=unit,
        )
        messages.success(request, f"已{flag.get_kind_display()}：{problem or unit}")
    return redirect("supervision:flags")


@login_required
@require_POST
@business_view
@business_only
def flag_lift(request: HttpRequest, pk: int) -> HttpResponse:
    flag = selectors.flag_list(viewer=request.user).filter(pk=pk).first()
    if flag is None:
        raise NotFound()
    with errors_as_messages(request):
        flags.flag_lift(actor=request.user, flag=flag, reason=str(request.POST.get("reason") or ""))
        messages.success(request, f"已解除{flag.get_kind_display()}。")
    return redirect("supervision:flags")
