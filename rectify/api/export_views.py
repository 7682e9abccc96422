"""/api/v1/ downloads that take a while, as background jobs (issue 17): the ledger export (the page
documents:ledger_export) and a problem's 一案一档 (documents:dossier_problem).

A client asks for one with a POST and gets 202 with the job: its state (排队中 → 生成中 → 已完成,
or 失败) at `status_url` and, once rendered, the file at `download_url`. The request records, the
sources and the audit are the documents app's (documents.export_jobs), shared with the pages; the
rendering is documents.jobs (one task per request on django-tasks, the file stored
content-addressed, re-hashed when served and streamed when large)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden
from rectify.documents import jobs
from rectify.documents.api import JobStateSerializer
from rectify.documents.export_jobs import (
    ExportRequest,
    dossier_request,
    export_audit,
    ledger_request,
    request_owned,
)
from rectify.documents.ledger import FORMATS
from rectify.orgs.scope import viewer_scope
from rectify.plans.selectors import problem_get

from .views import LEDGER_FILTERS

# Paging is not a filter: an export holds every row the filters select.
NOT_FILTERS = {"page", "page_size"}


# --- serializers -----------------------------------------------------------------------------


class LedgerExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=sorted(FORMATS), default="xlsx", help_text="文件格式：xlsx（Excel）、csv 或 json"
    )


class ExportJobSerializer(JobStateSerializer):
    id = serializers.IntegerField(help_text="导出编号（只有申请人可以查看）")
    kind = serializers.CharField(help_text="ledger（整改台账）或 dossier（一案一档）")
    format = serializers.CharField(help_text="xlsx、csv、json 或 zip")
    filename = serializers.CharField(help_text="下载文件名")
    requested_at = serializers.DateTimeField()
    problem = serializers.IntegerField(allow_null=True, help_text="一案一档所属的问题")
    status_url = serializers.CharField(help_text="查询状态（GET）")
    download_url = serializers.CharField(allow_null=True, help_text="已完成时的下载地址（GET）；未完成时为 null")


def _job_body(request: Request, req: ExportRequest, src: jobs.Source, job: jobs.JobStatus) -> dict[str, Any]:
    return {
        "id": req.id,
        "kind": req.kind,
        "format": req.fmt,
        "filename": src.filename,
        "state": job.state,
        "label": job.label,
        "message": job.message,
        "requested_at": req.requested_at,
        "problem": req.problem or None,
        "status_url": request.build_absolute_uri(reverse("api:export", args=[req.id])),
        "download_url": (
            request.build_absolute_uri(reverse("api:export_file", args=[req.id])) if job.state == jobs.DONE else None
        ),
    }


# --- views -------------------------------------------------------------------------------------


def _answer(request: Request, req: ExportRequest, obj: Any, mode: str, code: int) -> Response:
    """The job's state (starting it when there is none, or again for "retry") with `code`."""
    src, job, _ = jobs.document_job(actor=request.user, source=req.source, pk=req.id, fmt=req.fmt, obj=obj, mode=mode)
    body = ExportJobSerializer(_job_body(request, req, src, job)).data
    return Response(body, status=code, headers={"Location": body["status_url"]} if code == 202 else None)


ACCEPTED = {202: ExportJobSerializer}


class LedgerExport(ScopedView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        parameters=[p for p in LEDGER_FILTERS if p.name != "page_size"],
        request=LedgerExportSerializer,
        responses=ACCEPTED,
        summary="导出整改台账（后台生成）",
        description="按与 GET /api/v1/measures/ 相同的筛选条件（查询参数）导出本人可见的整改台账，"
        "与台账页面的“导出”相同。返回 202 和导出任务：轮询 status_url，完成后从 download_url 下载。",
    )
    def post(self, request: Request) -> Response:
        body = LedgerExportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        params = request.query_params.copy()
        for name in NOT_FILTERS:
            params.pop(name, None)
        req = ledger_request(viewer=request.user, fmt=body.validated_data["format"], query=params)
        return _answer(request, req, request.user, "status", status.HTTP_202_ACCEPTED)


class ProblemDossier(ScopedView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        request=None,
        responses=ACCEPTED,
        summary="一案一档（后台生成）",
        description="问题的一案一档（.zip），内容与页面下载的相同（只含本人可见的报告、文书和记录）。"
        "返回 202 和导出任务：轮询 status_url，完成后从 download_url 下载。",
    )
    def post(self, request: Request, pk: int) -> Response:
        if not viewer_scope(request.user).is_business_user:
            raise Forbidden("您的账号没有业务数据的查看权限。")
        problem = problem_get(viewer=request.user, problem_id=pk)
        req = dossier_request(viewer=request.user, problem=problem)
        return _answer(request, req, problem, "status", status.HTTP_202_ACCEPTED)


class ExportStatus(ScopedView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        responses={200: ExportJobSerializer},
        summary="导出任务状态",
        description="排队中、生成中、已完成（附 download_url）或失败（附原因）。任务丢失时重新开始生成。",
    )
    def get(self, request: Request, pk: int) -> Response:
        req, obj = request_owned(request.user, pk)
        return _answer(request, req, obj, "status", status.HTTP_200_OK)


class ExportRetry(ScopedView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        request=None,
        responses=ACCEPTED,
        summary="重新生成导出文件",
        description="与页面上的“重新生成”相同：失败（或长时间没有完成）时重新排队。",
    )
    def post(self, request: Request, pk: int) -> Response:
        req, obj = request_owned(request.user, pk)
        return _answer(request, req, obj, "retry", status.HTTP_202_ACCEPTED)


class ExportFile(ScopedView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is a file, not JSON: an Accept of application/zip must not end in 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            202: OpenApiResponse(ExportJobSerializer, description="尚未生成完成：返回任务状态"),
        },
        summary="下载导出文件",
        description="已完成时返回文件（200）；尚未完成时返回 202 和任务状态；失败的任务在此重新开始生成。",
    )
    def get(self, request: Request, pk: int) -> Response | HttpResponseBase:
        req, obj = request_owned(request.user, pk)
        src, job, served = jobs.document_job(actor=request.user, source=req.source, pk=req.id, fmt=req.fmt, obj=obj)
        if served is None:
            body = ExportJobSerializer(_job_body(request, req, src, job)).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})
        export_audit(actor=request.user, req=req, src=src, obj=obj)  # as the pages audit it
        return served
