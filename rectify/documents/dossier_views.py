"""Downloads made in the background for their viewer (the ledger export and 一案一档, through
documents.export_jobs: the request that asks for one starts the job and sends the browser to its
progress page, documents:export_job, which serves the file once rendered) and the 交账 page: the
packages made, their downloads, the schedule form and "make this period's package now" for the
city office (a background task too; the page shows its progress).

`urlpatterns` is included into the documents app's urls (namespace "documents")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from rectify.audit.downloads import checked_file_response
from rectify.audit.services import export_record
from rectify.closeout import policies as closeout_policies
from rectify.closeout.models import HandoverPackage
from rectify.core import clock
from rectify.core.errors import Forbidden
from rectify.core.http import business_view, errors_as_messages, paginate
from rectify.orgs.scope import viewer_scope
from rectify.plans.selectors import problem_get

from . import export_jobs, jobs
from . import handover as handover_services

ZIP = "application/zip"


def _require_business(request: HttpRequest) -> None:
    if not viewer_scope(request.user).is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")


def export_started(request: HttpRequest, req: export_jobs.ExportRequest, obj: Any) -> HttpResponseBase:
    """Start the job of a new export request and send the browser to its progress page; when it is
    already rendered (tasks run in the request: the tests, a one-process trial) serve it here."""
    src, _, served = jobs.document_job(actor=request.user, source=req.source, pk=req.id, fmt=req.fmt, obj=obj)
    if served is None:
        return redirect("documents:export_job", req.id)
    export_jobs.export_audit(actor=request.user, req=req, src=src, obj=obj)
    return served


@login_required
@business_view
def export_job(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """An export's progress page (polled with ?job=status, ?job=retry), then its file; the
    requester's alone (anyone else: not found)."""
    _require_business(request)
    req, obj = export_jobs.request_owned(request.user, export_id)
    response = jobs.document_response(request, source=req.source, pk=req.id, fmt=req.fmt, obj=obj)
    if response.status_code == 200:
        src = jobs.source_load(req.source)(req.id, req.fmt)
        export_jobs.export_audit(actor=request.user, req=req, src=src, obj=obj)
    return response


@login_required
@business_view
def dossier_problem(request: HttpRequest, problem_id: int) -> HttpResponseBase:
    _require_business(request)
    problem = problem_get(viewer=request.user, problem_id=problem_id)
    return export_started(request, export_jobs.dossier_request(viewer=request.user, problem=problem), problem)


# --- 交账 -------------------------------------------------------------------------------------------


def _require_handover_viewer(request: HttpRequest) -> None:
    if not handover_services.can_view_handover(request.user):
        raise Forbidden("交账由市整改办办理，只有市整改办和市领导可以查看。")


def _next_day(days: list[int], today: dt.date) -> dt.date | None:
    for i in range(1, 62):
        day = today + dt.timedelta(days=i)
        if day.day in days:
            return day
    return None


@login_required
@business_view
def handover(request: HttpRequest) -> HttpResponse:
    _require_handover_viewer(request)
    schedule = handover_services.schedule_get()
    today = clock.today()
    packages = HandoverPackage.objects.select_related("created_by").order_by("-period_end", "-pk")
    last = packages.first()
    context = {
        "page": paginate(request, packages),
        "schedule": schedule,
        "days_text": "、".join(str(d) for d in schedule.days),
        "next_day": _next_day(schedule.days, today),
        "can_manage": closeout_policies.can_set_handover(request.user),
        "now_start": (last.period_end + dt.timedelta(days=1)) if last else None,
        # The last package already reaches today: pressing the button would make nothing new.
        "made_through": last.period_end if last and last.period_end >= today else None,
        "today": today,
        "job": handover_services.handover_job(),
    }
    return render(request, "documents/handover.html", context)


@login_required
@business_view
def handover_job(request: HttpRequest) -> HttpResponse:
    """The "make it now" task's state, polled by the 交账 page while it waits or runs."""
    _require_handover_viewer(request)
    job = handover_services.handover_job() or jobs.JobStatus(jobs.DONE)
    latest = HandoverPackage.objects.order_by("-period_end", "-pk").first() if job.state == jobs.DONE else None
    return render(request, "documents/_handover_job.html", {"job": job, "latest": latest}, status=200)


@login_required
@require_POST
@business_view
def handover_schedule(request: HttpRequest) -> HttpResponseBase:
    _require_handover_viewer(request)
    with errors_as_messages(request):
        days = handover_services.parse_days(str(request.POST.get("days") or ""))
        handover_services.schedule_update(
            actor=request.user, days=days, recipient=str(request.POST.get("recipient") or "")
        )
        messages.success(request, "交账日程已保存。")
    return redirect("documents:handover")


@login_required
@require_POST
@business_view
def handover_make(request: HttpRequest) -> HttpResponseBase:
    _require_handover_viewer(request)
    before = HandoverPackage.objects.count()
    with errors_as_messages(request):
        _, package = handover_services.handover_start(actor=request.user)
        if package is None:
            messages.info(request, "已开始在后台生成本期交账包，完成后出现在下方列表中。")
        elif HandoverPackage.objects.count() > before:
            messages.success(
                request,
                f"已生成 {package.period_start:%Y-%m-%d} 至 {package.period_end:%Y-%m-%d} 的交账包，"
                f"含销号事项 {package.items} 项。",
            )
        else:
            messages.info(request, f"截至 {package.period_end:%Y-%m-%d} 的交账包已生成，无需重复生成。")
    return redirect("documents:handover")


@login_required
@business_view
def handover_download(request: HttpRequest, package_id: int) -> HttpResponseBase:
    _require_handover_viewer(request)
    package = HandoverPackage.objects.filter(pk=package_id).first()
    if package is None:
        raise Http404("未找到该交账包。")
    response = checked_file_response(
        request,
        obj=package,
        sha256=package.sha256,
        storage_name=package.storage_name,
        filename=handover_services.package_filename(package),
        content_type=ZIP,
        inline=False,
    )
    if response.status_code == 200:
        export_record(actor=request.user, what="交账包", rows=package.items, obj=package)
    return response


urlpatterns = [
    path("dossiers/problems/<int:problem_id>.zip", dossier_problem, name="dossier_problem"),
    path("exports/<int:export_id>/", export_job, name="export_job"),
    path("handover/", handover, name="handover"),
    path("handover/job/", handover_job, name="handover_job"),
    path("handover/schedule/", handover_schedule, name="handover_schedule"),
    path("handover/make/", handover_make, name="handover_make"),
    path("handover/<int:package_id>.zip", handover_download, name="handover_download"),
]
