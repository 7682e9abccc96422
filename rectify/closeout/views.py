"""Close-out pages: apply (for the unit's own share, a measure or a problem, with evidence), the
application with its record and its per-unit breakdown, the acceptance queue, 会签, objections and
reopening; the public 公示/销号 list lives in the portal app."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.downloads import checked_file_response
from rectify.audit.selectors import audit_timeline
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import uploaded_files
from rectify.core.http import business_view, int_or_zero, paginate, post_int, query_without_page
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.plans.selectors import problem_get
from rectify.supervision import selectors as supervision_selectors

from . import policies, selectors, services, shares
from .models import CloseoutEvidence, CloseoutStatus, Consent, Decision


@login_required
@business_view
def application_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.CloseoutFilters.from_query(request.GET)
    page = paginate(request, selectors.application_list(viewer=request.user, filters=filters))
    context = {
        "page": page,
        "filters": filters,
        "statuses": CloseoutStatus.choices,
        "query": query_without_page(request),
        "shares": list(selectors.applicable_shares(viewer=request.user)[:300]),
    }
    return render(request, "closeout/applications.html", context)


@login_required
@business_view
def review_queue(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.review_queue(viewer=request.user))
    return render(request, "closeout/review.html", {"page": page, "query": ""})


def _share_of(request: HttpRequest, pk: int) -> Assignment:
    share = (
        Assignment.objects.select_related("unit", "measure__problem")
        .filter(pk=pk, measure__isnull=False, unit__isnull=False)
        .first()
    )
    if share is None:
        raise NotFound()
    problem_get(viewer=request.user, problem_id=share.problem_id)
    return share


@login_required
@business_view
def apply(request: HttpRequest) -> HttpResponseBase:
    """Apply for a share (?assignment=), a measure (?measure=: the unit's own share of it or, as a
    lead unit, the whole measure) or a whole problem (?problem=)."""
    source = request.POST if request.method == "POST" else request.GET
    share = measure = problem = None
    if source.get("assignment"):
        share = _share_of(request, int_or_zero(source.get("assignment")))
        measure = share.measure
    elif source.get("measure"):
        measure = Measure.objects.select_related("problem").filter(pk=int_or_zero(source.get("measure"))).first()
        if measure is None:
            raise NotFound()
        problem_get(viewer=request.user, problem_id=measure.problem_id)
    elif source.get("problem"):
        problem = problem_get(viewer=request.user, problem_id=int_or_zero(source.get("problem")))
    else:
        raise NotFound()
    leads = services.lead_units(measure=measure, problem=problem)
    if share is not None:
        my_shares = [share] if policies.can_apply_for(request.user, share.unit) else []  # type: ignore[arg-type]
        mine: list[OrgUnit] = []
    else:
        my_shares = (
            [
                a
                for a in Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit")
                if a.unit is not None and policies.can_apply_for(request.user, a.unit) and shares.is_counted(a)
            ]
            if measure is not None
            else []
        )
        mine = [u for u in leads if policies.can_apply_for(request.user, u)]
    if not my_shares and not mine:
        raise Forbidden("只有该事项牵头单位的联络员可以申请销号。")
    units = list({u.pk: u for u in [*(a.unit for a in my_shares if a.unit), *mine]}.values())
    scope = str(source.get("scope") or ("share" if my_shares else "item"))
    if request.method == "POST":
        unit = next((u for u in units if u.pk == post_int(request, "unit")), units[0])
        try:
            if scope == "share" and measure is not None:
                chosen = share or next((a for a in my_shares if a.unit_id == unit.pk), None)
                if chosen is None:
                    raise DomainError("本单位在该措施没有可申请销号的分工，请选择“整条措施”。")
                app = services.closeout_apply(
                    actor=request.user,
                    assignment=chosen,
                    statement=str(request.POST.get("statement") or ""),
                    files=uploaded_files(request.FILES),
                )
            else:
                app = services.closeout_apply(
                    actor=request.user,
                    unit=unit,
                    statement=str(request.POST.get("statement") or ""),
                    measure=measure,
                    problem=problem,
                    files=uploaded_files(request.FILES),
                )
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "销号申请已提交。" if app.status == "submitted" else "已提交，等待其他牵头单位会签。"
            )
            return redirect("closeout:application", pk=app.pk)
    context = {
        "share": share,
        "measure": measure,
        "problem": problem,
        "units": units,
        "my_shares": my_shares,
        "lead_units": mine,
        "leads": leads,
        "scope": scope,
        "typed": request.POST,
    }
    return render(request, "closeout/apply.html", context)


@login_required
@business_view
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get(viewer=request.user, pk=pk)
    consents = list(Consent.objects.filter(application=app).select_related("unit", "agreed_by"))
    context = {
        "app": app,
        "breakdown": selectors.share_breakdown(app),
        "evidence": list(CloseoutEvidence.objects.filter(application=app)),
        "decisions": list(Decision.objects.filter(application=app).select_related("actor")),
        "consents": consents,
        "my_consents": [c for c in consents if c.agreed_at is None and policies.can_apply_for(request.user, c.unit)],
        "can_review": policies.can_review(request.user, app)
        and app.status in (CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK),
        "can_resubmit": policies.can_apply_for(request.user, app.unit) and app.status == CloseoutStatus.RETURNED,
        "can_withdraw": policies.can_apply_for(request.user, app.unit)
        and app.status in (CloseoutStatus.CONSENTING, CloseoutStatus.SUBMITTED, CloseoutStatus.RETURNED),
        "can_object": (policies.can_manage(request.user, app.unit_id) or policies.can_review(request.user, app))
        and (app.status == CloseoutStatus.PUBLISHED or (app.is_share and app.status == CloseoutStatus.ACCEPTED)),
        "can_reopen": policies.can_manage(request.user, app.unit_id) and app.status == CloseoutStatus.CLOSED,
        "shortfalls": services.indicator_shortfalls(app)
        if app.status in (CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK)
        else [],
        "visits": list(supervision_selectors.visit_list(viewer=request.user)[:50])
        if policies.can_review(request.user, app)
        else [],
        "timeline": audit_timeline(app),
        "typed": request.POST if request.method == "POST" else {},
    }
    return render(request, "closeout/application.html", context)


@login_required
@require_POST
@business_view
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponseBase:
    app = selectors.application_get(viewer=request.user, pk=pk)
    user = request.user
    text = str(request.POST.get("text") or "")
    try:
        if action in ("accept", "return", "site_check"):
            visit = None
            if request.POST.get("visit"):
                visit = supervision_selectors.visit_get(viewer=user, pk=post_int(request, "visit"))
            services.closeout_decide(
                actor=user, app=app, decision=action, opinion=text, visit=visit, seen=request.POST.get("seen") or None
            )
            messages.success(
                request, {"accept": "验收通过，已进入公示。", "return": "已退回。"}.get(action, "已要求现场核查。")
            )
        elif action == "consent":
            unit = OrgUnit.objects.filter(pk=post_int(request, "unit")).first()
            if unit is None:
                raise NotFound()
            services.closeout_consent(actor=user, app=app, unit=unit)
            messages.success(request, "已会签同意。")
        elif action == "resubmit":
            services.closeout_resubmit(actor=user, app=app, statement=text, files=uploaded_files(request.FILES))
            messages.success(request, "已重新提交。")
        elif action == "withdraw":
            services.closeout_withdraw(actor=user, app=app)
            messages.success(request, "已撤回。")
        elif action == "object":
            services.closeout_object(actor=user, app=app, opinion=text)
            messages.success(request, "已登记异议，重新进入验收。")
        elif action == "reopen":
            services.closeout_reopen(actor=user, app=app, reason=text, files=uploaded_files(request.FILES))
            messages.success(request, "已重新打开，事项回到整改台账。")
        else:
            raise NotFound()
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        if action in ("resubmit", "reopen", "return", "site_check", "object"):
            return application_detail(request, pk)
    return redirect("closeout:application", pk=app.pk)


@login_required
@business_view
def evidence_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    evidence = CloseoutEvidence.objects.filter(pk=pk).first()
    if evidence is None:
        raise NotFound()
    selectors.application_get(viewer=request.user, pk=evidence.application_id)
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
