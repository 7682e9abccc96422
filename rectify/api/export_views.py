"""/api/v1/ downloads that take a while, as background jobs (issue 17): the ledger export (the page
documents:ledger_export) and a problem's 一案一档 (documents:dossier_problem).

A client asks for one with a POST and gets 202 with the job: its state (排队中 → 生成中 → 已完成,
or 失败) at `status_url` and, once rendered, the file at `download_url`. The rendering is the
documents app's (documents.jobs): one task per request on django-tasks, the file stored
content-addressed and re-hashed when served; this module only adds the request it renders.

Unlike a 月通报, what these files hold depends on who asked (the viewer's scope, the ledger's
filters) and on the day, and a job's source is called with an object's key only. So each request
is kept as a small JSON record in the default storage (the one every app machine and worker
shares), under a random id: the job's key is that id, its source reads the record and renders as
that viewer would see it. The record names its viewer; anyone else gets 404 for it. The export is
audited (export.downloaded) when the file leaves the system, as on the pages."""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from zipfile import ZipFile

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.http import HttpResponse, QueryDict
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.audit.services import export_record
from rectify.core import clock
from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden, NotFound
from rectify.core.files import stored_file_bytes
from rectify.documents import jobs
from rectify.documents.dossier import build_dossier, dossier_filename
from rectify.documents.ledger import FORMATS, export_stream
from rectify.documents.ledger_writers import write_export
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Problem
from rectify.plans.selectors import LedgerFilters, measure_list, problem_get

from .views import LEDGER_FILTERS

REQUESTS = "api-exports"
LEDGER, DOSSIER = "ledger", "dossier"
LEDGER_SOURCE = "rectify.api.export_views.ledger_source"
DOSSIER_SOURCE = "rectify.api.export_views.dossier_source"
SOURCES = {LEDGER: LEDGER_SOURCE, DOSSIER: DOSSIER_SOURCE}
ZIP = "application/zip"
# Paging is not a filter: an export holds every row the filters select.
NOT_FILTERS = {"page", "page_size"}

# --- the request a job renders ---------------------------------------------------------------


@dataclass(frozen=True)
class ExportRequest:
    id: int
    kind: str  # LEDGER or DOSSIER
    fmt: str
    viewer: int
    requested_at: str
    as_of: str = ""  # the ledger's date (the day it was asked for)
    query: str = ""  # the ledger's filters, as a query string
    rows: int = 0  # the ledger's measures when it was asked for
    problem: int = 0  # the dossier's problem


def _record_name(pk: int) -> str:
    return f"{REQUESTS}/{pk % 256:02x}/{pk}.json"


def request_save(**fields: Any) -> ExportRequest:
    """Keep a new request under a fresh random id (below 2**52: exact in any JSON client)."""
    while True:
        pk = secrets.randbits(52) or 1
        if not default_storage.exists(_record_name(pk)):
            break
    request = ExportRequest(id=pk, requested_at=clock.now().isoformat(), **fields)
    default_storage.save(_record_name(pk), ContentFile(json.dumps(asdict(request), ensure_ascii=False).encode()))
    return request


def request_load(pk: int) -> ExportRequest | None:
    data = stored_file_bytes(_record_name(pk))
    try:
        return ExportRequest(**json.loads(data)) if data is not None else None
    except (ValueError, TypeError):
        return None


def _request_or_gone(pk: int) -> ExportRequest:
    found = request_load(pk)
    if found is None:
        # "所依据的数据已不存在" (documents.jobs.FAILURES) for a job whose record is gone.
        raise ObjectDoesNotExist(f"export request {pk}")
    return found


# --- the sources (called by the request to learn the key, by the worker to render) --------------


@jobs.job_source
def ledger_source(pk: int, fmt: str) -> jobs.Source:
    """The ledger as the viewer's filters selected it, dated the day it was asked for."""
    req = _request_or_gone(pk)

    def render() -> bytes:
        viewer = get_user_model().objects.get(pk=req.viewer)
        filters = LedgerFilters.from_query(QueryDict(req.query))
        export = export_stream(measure_list(viewer=viewer, filters=filters), as_of=dt.date.fromisoformat(req.as_of))
        with tempfile.TemporaryDirectory() as tmpdir:
            path = Path(tmpdir) / f"ledger.{fmt}"
            write_export(export, fmt, path)  # written as it is read (flat memory for the rows)
            return path.read_bytes()

    day = req.as_of.replace("-", "")
    return jobs.Source(
        fingerprint=jobs.text_fingerprint(json.dumps(asdict(req), sort_keys=True)),
        filename=f"整改台账_{day}.{fmt}",
        fallback=f"ledger-{day}.{fmt}",
        content_type=FORMATS[fmt],
        render=render,
    )


@jobs.job_source
def dossier_source(pk: int, fmt: str) -> jobs.Source:
    """The problem's 一案一档 holding what the pages show its viewer (documents.dossier)."""
    req = _request_or_gone(pk)
    problem = Problem.objects.get(pk=req.problem)

    def render() -> bytes:
        viewer = get_user_model().objects.get(pk=req.viewer)
        return build_dossier(Problem.objects.get(pk=req.problem), viewer=viewer)

    return jobs.Source(
        fingerprint=jobs.text_fingerprint(json.dumps(asdict(req), sort_keys=True)),
        filename=dossier_filename(problem),
        fallback=f"problem-{problem.pk}-dossier.zip",
        content_type=ZIP,
        render=render,
    )


# --- serializers -----------------------------------------------------------------------------


class LedgerExportSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=sorted(FORMATS), default="xlsx", help_text="文件格式：xlsx（Excel）、csv 或 json"
    )


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="导出编号（只有申请人可以查看）")
    kind = serializers.CharField(help_text="ledger（整改台账）或 dossier（一案一档）")
    format = serializers.CharField(help_text="xlsx、csv、json 或 zip")
    filename = serializers.CharField(help_text="下载文件名")
    state = serializers.ChoiceField(
        choices=[(k, v) for k, v in jobs.LABELS.items()],
        help_text="queued 排队中、running 生成中、done 已完成、failed 失败",
    )
    label = serializers.CharField(help_text="状态的中文名称")  # type: ignore[assignment]  # DRF collects it as a field
    message = serializers.CharField(help_text="给用户看的说明（失败时含原因）")
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


def _owned(request: Request, pk: int) -> tuple[ExportRequest, models.Model]:
    """The viewer's own export request and the object a refused file is recorded against (the
    problem, checked again: a viewer who lost it no longer downloads its dossier)."""
    req = request_load(pk)
    if req is None or req.viewer != request.user.pk or req.kind not in SOURCES:
        raise NotFound()
    if req.kind == DOSSIER:
        return req, problem_get(viewer=request.user, problem_id=req.problem)
    return req, _user(request)


def _user(request: Request) -> models.Model:
    assert isinstance(request.user, models.Model)  # signed in: the API needs it
    return request.user


def _answer(request: Request, req: ExportRequest, obj: models.Model, mode: str, code: int) -> Response:
    """The job's state (starting it when there is none, or again for "retry") with `code`."""
    src, job, _ = jobs.document_job(
        actor=request.user, source=SOURCES[req.kind], pk=req.id, fmt=req.fmt, obj=obj, mode=mode
    )
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
        query = params.urlencode()
        rows = measure_list(viewer=request.user, filters=LedgerFilters.from_query(params)).count()
        fmt = body.validated_data["format"]
        req = request_save(
            kind=LEDGER, fmt=fmt, viewer=request.user.pk, as_of=clock.today().isoformat(), query=query, rows=rows
        )
        return _answer(request, req, _user(request), "status", status.HTTP_202_ACCEPTED)


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
        req = request_save(kind=DOSSIER, fmt="zip", viewer=request.user.pk, problem=problem.pk)
        return _answer(request, req, problem, "status", status.HTTP_202_ACCEPTED)


class ExportStatus(ScopedView):
    serializer_class = ExportJobSerializer

    @extend_schema(
        responses={200: ExportJobSerializer},
        summary="导出任务状态",
        description="排队中、生成中、已完成（附 download_url）或失败（附原因）。任务丢失时重新开始生成。",
    )
    def get(self, request: Request, pk: int) -> Response:
        req, obj = _owned(request, pk)
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
        req, obj = _owned(request, pk)
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
    def get(self, request: Request, pk: int) -> Response | HttpResponse:
        req, obj = _owned(request, pk)
        src, job, served = jobs.document_job(
            actor=request.user, source=SOURCES[req.kind], pk=req.id, fmt=req.fmt, obj=obj, mode=""
        )
        if served is None:
            body = ExportJobSerializer(_job_body(request, req, src, job)).data
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})
        # Audited as the pages audit it, when the file leaves the system.
        if req.kind == LEDGER:
            export_record(actor=request.user, what=f"整改台账 .{req.fmt}", rows=req.rows, detail=req.query[:500])
        else:
            files = len(ZipFile(io.BytesIO(served.content)).namelist())
            export_record(actor=request.user, what="一案一档", rows=files, obj=obj)
        return served
