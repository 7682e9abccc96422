"""交办件 pages: batches and cases (scoped), import with review, a case's handling, 回访,
assignment and a notice about overdue cases. Personal data only on the city office's pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.selectors import audit_timeline
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, date_or_none, int_or_zero, paginate, post_int, query_without_page
from rectify.ingestion.services import too_large_message
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Problem

from . import importing, policies, selectors, services
from .models import CaseStatus, Satisfaction, Verdict


@login_required
@business_view
def case_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.CaseFilters.from_query(request.GET)
    page = paginate(request, selectors.case_list(viewer=request.user, filters=filters))
    context = {
        "page": page,
        "filters": filters,
        "query": query_without_page(request),
        "batches": selectors.batch_list(viewer=request.user),
        "statuses": CaseStatus.choices,
        "regions": OrgUnit.objects.filter(kind=UnitKind.REGION, is_active=True).order_by("path"),
        "can_manage": policies.can_manage(request.user),
    }
    return render(request, "complaints/cases.html", context)


@login_required
@business_view
def import_upload(request: HttpRequest) -> HttpResponseBase:
    if not policies.can_manage(request.user):
        raise Forbidden("只有市整改办可以导入交办件。")
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        error = ""
        if uploaded is None:
            error = "请选择交办件文件（.xlsx 或 .csv）。"
        elif too_large_message(uploaded.size or 0):
            error = too_large_message(uploaded.size or 0) or ""
        else:
            try:
                job = importing.case_import_prepare(
                    actor=request.user,
                    data=uploaded.read(),
                    filename=uploaded.name or "交办件.xlsx",
                    source=str(request.POST.get("source") or ""),
                    batch_no=int_or_zero(request.POST.get("batch_no")) or None,
                )
            except (Forbidden, NotFound):
                raise
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("complaints:import_review", pk=job.pk)
        messages.error(request, error)
    return redirect("complaints:cases")


@login_required
@business_view
def import_review(request: HttpRequest, pk: int) -> HttpResponseBase:
    job = selectors.import_get(viewer=request.user, pk=pk)
    if request.method == "POST" and job.status == "reviewing":
        action = request.POST.get("action")
        try:
            if action == "discard":
                importing.case_import_discard(actor=request.user, job=job)
                messages.success(request, "已放弃本次导入。")
                return redirect("complaints:cases")
            if request.POST.get("batch_no"):
                job.batch_no = int_or_zero(request.POST.get("batch_no")) or None
                job.save(update_fields=["batch_no"])
            problem = Problem.objects.filter(pk=int_or_zero(request.POST.get("problem"))).first()
            batch = importing.case_import_commit(actor=request.user, job=job, problem=problem)
            job.refresh_from_db()
            messages.success(request, f"已导入：新增 {job.summary['new']} 件，更新 {job.summary['updated']} 件。")
            return redirect("complaints:batch", pk=batch.pk)
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
    rows = importing.import_review(job)
    context = {
        "job": job,
        "rows": rows,
        "new": sum(1 for r in rows if r.existing is None),
        "updating": sum(1 for r in rows if r.existing is not None),
        "unresolved": sum(1 for r in rows if r.region is None),
        "problems": Problem.objects.order_by("plan_id", "index").values_list("pk", "number", "text"),
    }
    return render(request, "complaints/import_review.html", context)


@login_required
@business_view
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = selectors.batch_get(viewer=request.user, pk=pk)
    cases = selectors.case_list(viewer=request.user, filters=selectors.CaseFilters(batch=batch.pk))
    context = {
        "batch": batch,
        "stats": selectors.batch_stats(cases),
        "page": paginate(request, cases),
        "query": "",
        "can_manage": policies.can_manage(request.user),
        "problems": Problem.objects.order_by("plan_id", "index").values_list("pk", "number", "text"),
        "regions": OrgUnit.objects.filter(kind=UnitKind.REGION, is_active=True).order_by("path"),
        "published": batch.cases.exclude(public_text={}).exists(),
    }
    return render(request, "complaints/batch.html", context)


@login_required
@require_POST
@business_view
def batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    batch = selectors.batch_get(viewer=request.user, pk=pk)
    try:
        if action == "attach":
            problem = Problem.objects.filter(pk=int_or_zero(request.POST.get("problem"))).first()
            services.batch_attach(actor=request.user, batch=batch, problem=problem)
            messages.success(request, f"已关联：{problem}" if problem else "已取消关联。")
        elif action == "publish":
            leftovers = services.batch_publish(actor=request.user, batch=batch)
            if leftovers:
                messages.warning(request, "公开内容中仍检出疑似个人信息，请核对：" + "、".join(c for c, _ in leftovers))
            else:
                messages.success(request, "已公开办理结果（个人信息已脱敏）。")
        elif action == "case":
            region = OrgUnit.objects.filter(pk=int_or_zero(request.POST.get("region")), kind=UnitKind.REGION).first()
            case = services.case_create(
                actor=request.user,
                batch=batch,
                code=str(request.POST.get("code") or ""),
                content=str(request.POST.get("content") or ""),
                region=region,
                types=[t.strip() for t in str(request.POST.get("types") or "").replace("，", "、").split("、")],
                assigned_on=date_or_none(request.POST.get("assigned_on")),
                personal={k: str(request.POST.get(k) or "").strip() for k in ("name", "phone", "id_number", "address")},
            )
            messages.success(request, f"已登记交办件 {case.code}。")
        else:
            raise NotFound()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("complaints:batch", pk=batch.pk)


def _case_input(request: HttpRequest) -> services.CaseInput:
    p = request.POST
    return services.CaseInput(
        investigation=str(p.get("investigation") or ""),
        verdict=str(p.get("verdict") or ""),
        handling=str(p.get("handling") or ""),
        accountability=str(p.get("accountability") or ""),
        ordered=int_or_zero(p.get("ordered")),
        filed=int_or_zero(p.get("filed")),
        fine=str(p.get("fine") or "0"),
        detained=int_or_zero(p.get("detained")),
        interviewed=int_or_zero(p.get("interviewed")),
        held_accountable=int_or_zero(p.get("held_accountable")),
        status=str(p.get("status") or CaseStatus.OPEN),
        next_step=str(p.get("next_step") or ""),
        next_step_due=date_or_none(p.get("next_step_due")),
    )


@login_required
@business_view
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(viewer=request.user, pk=pk)
    typed: Any = {}
    status = 200
    if request.method == "POST":
        try:
            services.case_update(
                actor=request.user, case=case, version=post_int(request, "version"), data=_case_input(request)
            )
            messages.success(request, "办理情况已保存。")
            return redirect("complaints:case", pk=case.pk)  # type: ignore[return-value]
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
            typed, status = request.POST, 400
    scope = viewer_scope(request.user)
    units = OrgUnit.objects.filter(is_active=True).exclude(kind=UnitKind.REGION)
    if not scope.everything:
        units = units.filter(pk__in=scope.unit_ids)
    context = {
        "case": case,
        "view": selectors.case_view(viewer=request.user, case=case),
        "complainant": selectors.complainant_for(viewer=request.user, case=case),
        "can_handle": policies.can_handle(request.user, case.lead_unit) or policies.can_manage(request.user),
        "can_assign": policies.can_manage(request.user) or policies.can_coordinate(request.user, case.lead_unit_id),
        "can_manage": policies.can_manage(request.user),
        "units": units.order_by("path").values_list("pk", "name"),
        "support": list(case.support_units.all()),
        "verdicts": Verdict.choices,
        "statuses": CaseStatus.choices,
        "satisfactions": Satisfaction.choices,
        "repeats": list(case.repeats.all()),
        "notices": list(case.notices.all()),
        "timeline": audit_timeline(case),
        "typed": typed,
    }
    return render(request, "complaints/case.html", context, status=status)


@login_required
@require_POST
@business_view
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = selectors.case_get(viewer=request.user, pk=pk)
    try:
        if action == "assign":
            lead = OrgUnit.objects.filter(pk=int_or_zero(request.POST.get("lead")), is_active=True).first()
            if lead is None:
                raise DomainError("请选择牵头单位。")
            services.case_assign(
                actor=request.user,
                case=case,
                lead=lead,
                support=[int_or_zero(v) for v in request.POST.getlist("support")],
                due_on=date_or_none(request.POST.get("due_on")),
            )
            messages.success(request, "已分派。")
        elif action == "revisit":
            services.case_revisit(
                actor=request.user,
                case=case,
                result=str(request.POST.get("result") or ""),
                satisfaction=str(request.POST.get("satisfaction") or ""),
                on=date_or_none(request.POST.get("revisit_on")),
            )
            messages.success(request, "已登记回访。")
        elif action == "notice":
            if not (policies.can_manage(request.user) or policies.can_coordinate(request.user, case.lead_unit_id)):
                raise Forbidden("只有整改办可以督办。")
            draft = services.cases_notice(actor=request.user, cases=[case])
            messages.success(request, "已起草提醒函，请核对后印发。")
            return redirect("supervision:notice", pk=draft.pk)
        else:
            raise NotFound()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("complaints:case", pk=case.pk)
