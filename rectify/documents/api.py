"""/api/v1/ for documents: 月通报 and 工作简报 (list, detail, generate or draft, edit, issue) and
the .docx/.pdf of notices, circulars and briefings. Scoped exactly like the pages (same
selectors and services); serializers live here. Wired into the API by `urlpatterns` below
(included under /api/v1/ in the "api" namespace by rectify/api/urls.py)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView

from . import briefing_series, compose, job_sources, jobs, selectors, services
from .models import Briefing, Circular, DocStatus
from .views import CONTENT_TYPES

# --- serializers -----------------------------------------------------------------------------


class UnitFiguresSerializer(serializers.Serializer):
    """One responsible unit's month — or a county's as a whole (`units` > 1) — counted from its own
    tasks (责任单位任务: one unit's share of one measure)."""

    unit_id = serializers.IntegerField()
    unit = serializers.CharField()
    rank = serializers.IntegerField()
    score = serializers.FloatField()
    units = serializers.IntegerField(help_text="计入的责任单位数（县（市、区）整体为其辖区内单位数）")
    shares = serializers.IntegerField(help_text="承担的责任单位任务数")
    completed = serializers.IntegerField(help_text="截止日已完成的任务数")
    on_time = serializers.IntegerField(help_text="按期完成的任务数")
    due = serializers.IntegerField(help_text="整改时限在截止日之前的任务数")
    due_done = serializers.IntegerField(help_text="其中已完成的任务数")
    overdue = serializers.IntegerField(help_text="逾期未完成的任务数")
    red = serializers.IntegerField(help_text="截止日处于红色预警的任务数（含逾期未完成）")
    reports_owed = serializers.IntegerField(allow_null=True, help_text="当月截止的应报送份数")
    reports_on_time = serializers.IntegerField(help_text="按期报送份数")
    reports_late = serializers.IntegerField(help_text="逾期补报份数")
    reports_missing = serializers.IntegerField(help_text="截止日仍未报送份数")
    missed_periods = serializers.IntegerField(help_text="未按时报送的期次")
    notices = serializers.DictField(child=serializers.IntegerField(), help_text="当月收到的督办文书，按类型")
    reopened = serializers.IntegerField(help_text="当月反弹重开的任务数")
    idle = serializers.BooleanField(help_text="应报送而一份未报、且没有已完成任务（只计报送得分）")
    named = serializers.BooleanField(help_text="在“存在的问题”中被点名")


class TotalsSerializer(serializers.Serializer):
    units = serializers.IntegerField()
    shares = serializers.IntegerField(help_text="责任单位任务数（各单位之和）")
    measures = serializers.IntegerField(help_text="涉及的整改措施数（不重复计）")
    completed = serializers.IntegerField()
    on_time = serializers.IntegerField()
    due = serializers.IntegerField()
    due_done = serializers.IntegerField()
    overdue = serializers.IntegerField()
    overdue_units = serializers.IntegerField()
    red = serializers.IntegerField()
    red_units = serializers.IntegerField()
    reports_owed = serializers.IntegerField()
    reports_on_time = serializers.IntegerField()
    reports_late = serializers.IntegerField()
    reports_missing = serializers.IntegerField()
    owing_units = serializers.IntegerField()
    missed_units = serializers.IntegerField()
    missed_periods = serializers.IntegerField()
    notices = serializers.DictField(child=serializers.IntegerField())
    notice_units = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopened_units = serializers.IntegerField()


class CircularSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Circular
        fields = [
            "id",
            "issuer",
            "issuer_name",
            "region_name",
            "year",
            "month",
            "status",
            "title",
            "number",
            "issued_on",
            "as_of",
            "computed_at",
            "version",
        ]


class CircularDetailSerializer(CircularSerializer):
    units = serializers.SerializerMethodField()
    counties = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()
    paragraphs = serializers.SerializerMethodField()
    scoring_rule = serializers.SerializerMethodField()

    class Meta(CircularSerializer.Meta):
        fields = [
            *CircularSerializer.Meta.fields,
            "intro",
            "closing",
            "units",
            "counties",
            "totals",
            "paragraphs",
            "scoring_rule",
        ]

    @staticmethod
    def _rows(rows: list[Any], named: set[int]) -> list[dict[str, Any]]:
        return [{**{k: v for k, v in f.as_json().items() if k != "path"}, "named": f.unit_id in named} for f in rows]

    @extend_schema_field(UnitFiguresSerializer(many=True))
    def get_units(self, obj: Circular) -> list[dict[str, Any]]:
        return self._rows(compose.figures_units(obj), compose.figures_named(obj))

    @extend_schema_field(UnitFiguresSerializer(many=True))
    def get_counties(self, obj: Circular) -> list[dict[str, Any]]:
        """各县（市、区）整体：辖区内全部责任单位合并计算（市级通报才有）。"""
        return self._rows(compose.figures_counties(obj), set())

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, obj: Circular) -> dict[str, Any]:
        return compose.figures_totals(obj).as_json()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_paragraphs(self, obj: Circular) -> list[str]:
        return compose.circular_paragraphs(obj)

    def get_scoring_rule(self, obj: Circular) -> str:
        return str(obj.figures.get("rule", ""))


class CircularGenerateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)


class CircularUpdateSerializer(serializers.Serializer):
    """Only what is sent changes (a partial update)."""

    version = serializers.IntegerField(
        min_value=1, required=False, help_text="所见的版本；省略时以读取草稿时的版本为准，此后被他人修改则 409"
    )
    title = serializers.CharField(max_length=200, required=False)
    intro = serializers.CharField(allow_blank=True, required=False)
    closing = serializers.CharField(allow_blank=True, required=False)


class IssueSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="所见的版本；草稿在此之后已被他人修改时拒绝印发（409）"
    )


# Patterns, not enums: the names "source" and "kind" carry other choice sets elsewhere in the schema.
PHOTO_SOURCE = r"^(visit|county)$"


class PhotoRefSerializer(serializers.Serializer):
    source = serializers.RegexField(  # type: ignore[assignment]  # DRF collects it as a field
        PHOTO_SOURCE, help_text="visit（现场督办的照片）或 county（县区动态稿件的照片）"
    )
    id = serializers.IntegerField(min_value=1)


class ItemSourceSerializer(serializers.Serializer):
    kind = serializers.RegexField(PHOTO_SOURCE, help_text="visit（现场督办）或 county（县区动态稿件）")
    id = serializers.IntegerField(min_value=1)


class BriefingItemSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, max_length=200)
    paragraphs = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="正文段落（纯文本）；给出 html 时由 html 生成，不必再给",
    )
    html = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text="正文（编辑器的 HTML：段落、加粗、列表、图片）；保存时净化，并以它为准生成段落",
    )
    photos = PhotoRefSerializer(
        many=True,
        required=False,
        help_text="稿件附的照片（见 GET /api/v1/briefings/{id}/photo-choices/），每篇最多 6 张；不可用的被略去",
    )
    source = ItemSourceSerializer(  # type: ignore[assignment]  # DRF collects it as a field
        required=False, help_text="稿件来自哪次现场督办或哪篇县区动态稿件"
    )


class BriefingSectionSerializer(serializers.Serializer):
    heading = serializers.CharField(allow_blank=True, max_length=60, help_text="栏目，如“县区动态”；头条为空")
    items = BriefingItemSerializer(many=True)


class BriefingSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Briefing
        fields = [
            "id",
            "issuer",
            "issuer_name",
            "region_name",
            "status",
            "year",
            "issue_no",
            "series_title",
            "date",
            "editor",
            "period_start",
            "period_end",
            "issued_on",
            "version",
        ]


class BriefingDetailSerializer(BriefingSerializer):
    sections = BriefingSectionSerializer(many=True, read_only=True)

    class Meta(BriefingSerializer.Meta):
        fields = [*BriefingSerializer.Meta.fields, "report_to", "copy_to", "send_to", "sections"]
        extra_kwargs = {
            "report_to": {"help_text": "版记“报”"},
            "copy_to": {"help_text": "版记“送”"},
            "send_to": {"help_text": "版记“发”"},
        }


class BriefingCreateSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class BriefingUpdateSerializer(serializers.Serializer):
    """Only what is sent changes (a partial update)."""

    version = serializers.IntegerField(
        min_value=1, required=False, help_text="所见的版本；省略时以读取草稿时的版本为准，此后被他人修改则 409"
    )
    sections = BriefingSectionSerializer(many=True, required=False, help_text="全部栏目（整体替换）")
    series_title = serializers.CharField(max_length=120, required=False)
    date = serializers.DateField(required=False)
    editor = serializers.CharField(max_length=60, required=False, allow_blank=True)
    report_to = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="版记“报”")
    copy_to = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="版记“送”")
    send_to = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="版记“发”")


# --- views -----------------------------------------------------------------------------------


class CircularList(ScopedView):
    serializer_class = CircularSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT),
            OpenApiParameter("status", OpenApiTypes.STR, enum=DocStatus.values),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        operation_id="circulars_list",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.circular_list(viewer=request.user)
        year = str(request.query_params.get("year", ""))
        if year.isascii() and year.isdigit():
            qs = qs.filter(year=int(year))
        if request.query_params.get("status") in DocStatus.values:
            qs = qs.filter(status=request.query_params["status"])
        return self.paged(qs, CircularSerializer)

    @extend_schema(
        request=CircularGenerateSerializer,
        responses={201: CircularDetailSerializer, 200: CircularDetailSerializer},
        description="生成该月的月通报草稿（本整改办）；已有草稿时按最新数据重新统计（200）。",
    )
    def post(self, request: Request) -> Response:
        body = CircularGenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        circular, created = services.circular_generate(actor=request.user, **body.validated_data)
        circular = selectors.circular_get(viewer=request.user, circular_id=circular.pk)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(CircularDetailSerializer(circular).data, status=code)


class CircularDetail(ScopedView):
    serializer_class = CircularDetailSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(CircularDetailSerializer(selectors.circular_get(viewer=request.user, circular_id=pk)).data)

    @extend_schema(request=CircularUpdateSerializer, responses={200: CircularDetailSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        circular = selectors.circular_get(viewer=request.user, circular_id=pk)
        body = CircularUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = body.validated_data
        services.circular_update(
            actor=request.user,
            circular=circular,
            version=sent.get("version", circular.version),
            **{f: sent.get(f, getattr(circular, f)) for f in ("title", "intro", "closing")},
        )
        return Response(CircularDetailSerializer(circular).data)


class CircularIssue(ScopedView):
    serializer_class = CircularDetailSerializer

    @extend_schema(request=IssueSerializer, responses={200: CircularDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        circular = selectors.circular_get(viewer=request.user, circular_id=pk)
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.circular_issue(actor=request.user, circular=circular, version=body.validated_data.get("version"))
        return Response(CircularDetailSerializer(circular).data)


class BriefingList(ScopedView):
    serializer_class = BriefingSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=DocStatus.values),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        operation_id="briefings_list",
    )
    def get(self, request: Request) -> Response:
        qs = selectors.briefing_list(viewer=request.user)
        if request.query_params.get("status") in DocStatus.values:
            qs = qs.filter(status=request.query_params["status"])
        return self.paged(qs, BriefingSerializer)

    @extend_schema(
        request=BriefingCreateSerializer,
        responses={201: BriefingDetailSerializer},
        description="按时间范围内的数据起草一期工作简报（本整改办），印发时才编期数。",
    )
    def post(self, request: Request) -> Response:
        body = BriefingCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        briefing = services.briefing_draft(actor=request.user, **body.validated_data)
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=briefing.pk)
        return Response(BriefingDetailSerializer(briefing).data, status=status.HTTP_201_CREATED)


class BriefingDetail(ScopedView):
    serializer_class = BriefingDetailSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(BriefingDetailSerializer(selectors.briefing_get(viewer=request.user, briefing_id=pk)).data)

    @extend_schema(request=BriefingUpdateSerializer, responses={200: BriefingDetailSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        body = BriefingUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = body.validated_data
        lines = {f: sent[f] for f in briefing_series.LINE_FIELDS if f in sent}
        services.briefing_update(
            actor=request.user,
            briefing=briefing,
            version=sent.get("version", briefing.version),
            sections=sent.get("sections", briefing.sections),
            series_title=sent.get("series_title"),
            date=sent.get("date"),
            editor=sent.get("editor"),
            lines=lines or None,
        )
        return Response(BriefingDetailSerializer(briefing).data)


class BriefingIssue(ScopedView):
    serializer_class = BriefingDetailSerializer

    @extend_schema(request=IssueSerializer, responses={200: BriefingDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.briefing_issue(actor=request.user, briefing=briefing, version=body.validated_data.get("version"))
        return Response(BriefingDetailSerializer(briefing).data)


FILE_RESPONSES: dict[Any, Any] = {
    (200, CONTENT_TYPES["docx"]): OpenApiTypes.BINARY,
    (200, CONTENT_TYPES["pdf"]): OpenApiTypes.BINARY,
}


# A background job's state as every status answer gives it (documents.jobs.JobStatus); a comment,
# not a docstring, so the schema's components keep their own descriptions.
class JobStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[(k, v) for k, v in jobs.LABELS.items()],
        help_text="queued 排队中、running 生成中、done 已完成、failed 失败",
    )
    label = serializers.CharField(help_text="状态的中文名称")  # type: ignore[assignment]  # DRF collects it as a field
    message = serializers.CharField(help_text="给用户看的说明（失败时含原因）")


class DocumentJobSerializer(JobStateSerializer):
    format = serializers.CharField(help_text="docx 或 pdf")
    filename = serializers.CharField(help_text="下载文件名")
    status_url = serializers.CharField(help_text="查询状态（GET，不返回文件）")
    retry_url = serializers.CharField(help_text="失败后重新生成（GET）")
    download_url = serializers.CharField(help_text="下载地址（GET）：已完成时返回文件，否则返回本状态（202）")


class DocumentFile(ScopedView):
    """A generated .docx or .pdf (the `fmt` of the URL pattern), rendered in the background like
    the pages' (documents.jobs): the file (200) when it was rendered from the same data, otherwise
    202 with the job's state, which `?job=status` reports (200) and `?job=retry` starts again."""

    source = ""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The body is a file, not JSON: an Accept of application/pdf must not end in 406.
        return super().perform_content_negotiation(request, force=True)

    def answer(self, request: Request, obj: Any, fmt: str) -> HttpResponseBase:
        mode = str(request.query_params.get("job", ""))
        mode = mode if mode in ("status", "retry") else ""
        src, job, served = jobs.document_job(
            actor=request.user, source=self.source, pk=obj.pk, fmt=fmt, obj=obj, mode=mode
        )
        if served is not None:
            return served
        url = request.build_absolute_uri(request.path)
        body = {
            "format": fmt,
            "filename": src.filename,
            "state": job.state,
            "label": job.label,
            "message": job.message,
            "status_url": f"{url}?job=status",
            "retry_url": f"{url}?job=retry",
            "download_url": url,
        }
        code = status.HTTP_200_OK if mode == "status" else status.HTTP_202_ACCEPTED
        return Response(DocumentJobSerializer(body).data, status=code)


FILE_RESPONSES = {
    (200, CONTENT_TYPES["docx"]): OpenApiTypes.BINARY,
    (200, CONTENT_TYPES["pdf"]): OpenApiTypes.BINARY,
    202: OpenApiResponse(DocumentJobSerializer, description="尚未生成完成（后台生成）：返回任务状态"),
}
JOB_PARAMETER = OpenApiParameter(
    "job", OpenApiTypes.STR, enum=["status", "retry"], description="status：只查询生成状态；retry：失败后重新生成"
)


class NoticeFile(DocumentFile):
    source = job_sources.NOTICE

    @extend_schema(
        parameters=[JOB_PARAMETER],
        responses=FILE_RESPONSES,
        description="督办文书的 .docx/.pdf（草稿印“草稿”，无文号）。后台生成：未完成时返回 202 和任务状态。",
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponseBase:
        return self.answer(request, selectors.notice_get(viewer=request.user, notice_id=pk), fmt)


class CircularFile(DocumentFile):
    source = job_sources.CIRCULAR

    @extend_schema(
        parameters=[JOB_PARAMETER],
        responses=FILE_RESPONSES,
        description="月通报的 .docx/.pdf，附各责任单位排名表。后台生成：未完成时返回 202 和任务状态。",
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponseBase:
        return self.answer(request, selectors.circular_get(viewer=request.user, circular_id=pk), fmt)


class BriefingFile(DocumentFile):
    source = job_sources.BRIEFING

    @extend_schema(
        parameters=[JOB_PARAMETER],
        responses=FILE_RESPONSES,
        description="工作简报的 .docx/.pdf（第N期；草稿印“草稿”）。后台生成：未完成时返回 202 和任务状态。",
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponseBase:
        return self.answer(request, selectors.briefing_get(viewer=request.user, briefing_id=pk), fmt)


# Included by rectify/api/urls.py under /api/v1/ (namespace "api").
urlpatterns = [
    path("circulars/", CircularList.as_view(), name="circulars"),
    path("circulars/<int:pk>/", CircularDetail.as_view(), name="circular"),
    path("circulars/<int:pk>/issue/", CircularIssue.as_view(), name="circular_issue"),
    path("circulars/<int:pk>/docx/", CircularFile.as_view(), {"fmt": "docx"}, name="circular_docx"),
    path("circulars/<int:pk>/pdf/", CircularFile.as_view(), {"fmt": "pdf"}, name="circular_pdf"),
    path("briefings/", BriefingList.as_view(), name="briefings"),
    path("briefings/<int:pk>/", BriefingDetail.as_view(), name="briefing"),
    path("briefings/<int:pk>/issue/", BriefingIssue.as_view(), name="briefing_issue"),
    path("briefings/<int:pk>/docx/", BriefingFile.as_view(), {"fmt": "docx"}, name="briefing_docx"),
    path("briefings/<int:pk>/pdf/", BriefingFile.as_view(), {"fmt": "pdf"}, name="briefing_pdf"),
    path("notices/<int:pk>/docx/", NoticeFile.as_view(), {"fmt": "docx"}, name="notice_docx"),
    path("notices/<int:pk>/pdf/", NoticeFile.as_view(), {"fmt": "pdf"}, name="notice_pdf"),
]
