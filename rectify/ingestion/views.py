"""Upload → review → commit of a plan in the browser."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, errors_as_messages, post_int
from rectify.orgs.models import OrgUnit
from rectify.plans.models import DeadlineKind, Plan
from rectify.plans.policies import can_import_plan

from . import reading, services
from .models import ImportJob


def _job_for(request: HttpRequest, job_id: int) -> ImportJob:
    if not can_import_plan(request.user):
        raise Forbidden("只有整改办可以导入整改方案。")
    job = ImportJob.objects.filter(pk=job_id, created_by_id=request.user.pk).first()
    if job is None:
        raise NotFound()
    return reading.expire_if_stale(job)


@login_required
@business_view
def upload(request: HttpRequest) -> HttpResponse:
    if not can_import_plan(request.user):
        raise Forbidden("只有整改办可以导入整改方案。")
    error = None
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            error = "请选择要上传的方案文件。"
        elif services.too_large_message(uploaded.size or 0):
            # Refused before reading: a huge upload is never loaded into memory.
            error = services.too_large_message(uploaded.size or 0)
        else:
            try:
                data, name = uploaded.read(), uploaded.name or ""
                if reading.reads_in_background(data, name):
                    # a .doc/.wps to convert or a scan to OCR: read by a worker, progress on the review page
                    job = reading.import_start(actor=request.user, data=data, filename=name)
                else:
                    job = services.import_prepare(actor=request.user, data=data, filename=name)
                return redirect("ingestion:review", job_id=job.pk)
            except (Forbidden, NotFound):
                raise
            except DomainError as exc:
                error = exc.message
    jobs = ImportJob.objects.filter(created_by_id=request.user.pk).select_related("plan")[:20]
    return render(request, "ingestion/upload.html", {"error": error, "jobs": jobs}, status=400 if error else 200)


@login_required
@business_view
def review(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.status in (ImportJob.Status.READING, ImportJob.Status.FAILED) or not job.parsed:
        return render(request, "ingestion/reading.html", {"job": job})
    result = services.build_review(job.parsed, job.overrides, job.ocr)
    context = {
        "job": job,
        "review": result,
        "units": OrgUnit.objects.filter(is_active=True).exclude(kind="region").order_by("path"),
        "kinds": DeadlineKind,
    }
    return render(request, "ingestion/review.html", context)


@login_required
@business_view
def page_image(request: HttpRequest, job_id: int, number: int) -> HttpResponse:
    """A scanned page as read by OCR, shown beside the fields taken from it."""
    job = _job_for(request, job_id)
    data = reading.page_image(job, number)
    if data is None:
        raise NotFound()
    return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


@login_required
@require_POST
@business_view
def review_update(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.status != ImportJob.Status.REVIEWING:
        messages.error(request, "该导入任务不在待审核状态，不能修正。")
        return redirect("ingestion:review", job_id=job.pk)
    unit_overrides: dict[str, list[int]] = {}
    for key in request.POST:
        if key.startswith("map::"):
            ids = [int(v) for v in request.POST.getlist(key) if v.isdigit()]
            if ids:
                unit_overrides[key[5:]] = ids
    deadline_overrides = {
        key[10:]: str(value).strip()
        for key, value in request.POST.items()
        if key.startswith("deadline::") and str(value).strip()
    }
    original = {str(p["index"]): p["deadline"]["raw"] for p in job.parsed["problems"]}
    deadline_overrides = {
        k: v for k, v in deadline_overrides.items() if original.get(k) != v or k in job.overrides.get("deadlines", {})
    }
    start_on = None
    if request.POST.get("start_on"):
        try:
            start_on = dt.date.fromisoformat(request.POST["start_on"])
        except ValueError:
            messages.error(request, "整改起始日格式应为 YYYY-MM-DD。")
            return redirect("ingestion:review", job_id=job.pk)
    with errors_as_messages(request):
        services.import_update_review(
            actor=request.user,
            job=job,
            unit_overrides=unit_overrides,
            deadline_overrides=deadline_overrides,
            start_on=start_on,
            version=post_int(request, "version"),
        )
        messages.success(request, "审核修正已保存。")
    return redirect("ingestion:review", job_id=job.pk)


@login_required
@require_POST
@business_view
def commit(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    plan: Plan | None = None
    with errors_as_messages(request):
        plan = services.import_commit(actor=request.user, job=job)
    if plan is None:
        return redirect("ingestion:review", job_id=job.pk)
    messages.success(request, f"已导入“{plan.title}”：{plan.problems.count()} 个问题。")
    return redirect(f"/?plan={plan.pk}")


@login_required
@require_POST
@business_view
def discard(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request, job_id)
    with errors_as_messages(request):
        services.import_discard(actor=request.user, job=job)
        messages.info(request, "已放弃本次导入，台账未作任何改动。")
    return redirect("ingestion:upload")
