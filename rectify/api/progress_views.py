"""/api/v1/ for the weekly loop: reports, their review and evidence, warnings, missed reports and
the caller's notifications. Scoped exactly like the pages; writes go through the same services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.audit.downloads import file_refusal
from rectify.core import clock
from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden, NotFound
from rectify.notifications import selectors as notification_selectors
from rectify.notifications import services as notification_services
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, WarningLevel
from rectify.plans.selectors import LedgerFilters, measure_get
from rectify.progress import compliance, periods, selectors, services
from rectify.progress.models import ReportKind
from rectify.supervision import selectors as warning_selectors
from rectify.supervision.services import warnings_refresh

from . import serializers as s
from .views import LEDGER_FILTERS

REPORT_FILTERS = [
    OpenApiParameter("unit", OpenApiTypes.INT, description="责任单位（单位编号）"),
    OpenApiParameter("measure", OpenApiTypes.INT),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=ReportKind.values),
    OpenApiParameter("status", OpenApiTypes.STR, description="状态，可多值：draft, submitted, returned, accepted"),
    OpenApiParameter("period", OpenApiTypes.DATE, description="报告期起始日（周一或月初）"),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


def _report_response(report_id: int, request: Request, code: int = status.HTTP_200_OK) -> Response:
    report = selectors.report_get(viewer=request.user, report_id=report_id)
    return Response(s.ReportSerializer(report).data, status=code)


PATCHABLE = ("progress_text", "next_plan", "issues", "percent", "milestones_reached")


def _input(data: dict[str, Any]) -> services.ReportInput:
    return services.ReportInput(
        progress_text=data["progress_text"],
        next_plan=data["next_plan"],
        issues=data["issues"],
        percent=data["percent"],
        milestones_reached=data["milestones_reached"],
    )


class ReportList(ScopedView):
    serializer_class = s.ReportSerializer

    @extend_schema(parameters=REPORT_FILTERS, operation_id="reports_list")
    def get(self, request: Request) -> Response:
        filters = selectors.ReportFilters.from_query(request.query_params)
        qs = selectors.report_list(viewer=request.user, filters=filters).prefetch_related("evidence")
        return self.paged(qs, s.ReportSerializer)

    @extend_schema(request=s.ReportCreateSerializer, responses={201: s.ReportSerializer})
    def post(self, request: Request) -> Response:
        body = s.ReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = (
            Assignment.objects.select_related("unit", "measure")
            .filter(pk=data["assignment"], unit__isnull=False)
            .first()
        )
        if assignment is None or not viewer_scope(request.user).covers_unit(assignment.unit_id):
            raise NotFound("责任分工不存在，或您无权查看。")
        period = periods.period_of(data["kind"], data["period_start"], services.calendar_rule())
        report = services.report_save(
            actor=request.user, assignment=assignment, period=period, data=_input(data), submit=data["submit"]
        )
        warnings_refresh(measure_ids=[report.measure_id])
        return _report_response(report.pk, request, status.HTTP_201_CREATED)


class ReportDetail(ScopedView):
    serializer_class = s.ReportSerializer

    def get(self, request: Request, pk: int) -> Response:
        return _report_response(pk, request)

    @extend_schema(request=s.ReportUpdateSerializer, responses={200: s.ReportSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        body = s.ReportUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # PATCH: what was not sent keeps the report's value.
        current = {field: getattr(report, field) for field in PATCHABLE}
        period = periods.period_of(report.kind, report.period_start, services.calendar_rule())
        services.report_save(
            actor=request.user,
            assignment=report.assignment,
            period=period,
            data=_input({**current, **{k: v for k, v in data.items() if k in PATCHABLE}}),
            submit=data["submit"],
            # The fields not sent were read with this version: a save in between is a 409, not
            # a silent undo of someone else's change.
            version=data.get("version", report.version),
        )
        warnings_refresh(measure_ids=[report.measure_id])
        return _report_response(pk, request)


class ReportSubmit(ScopedView):
    serializer_class = s.ReportSerializer

    @extend_schema(request=None, responses={200: s.ReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        services.report_submit(actor=request.user, report=report)
        warnings_refresh(measure_ids=[report.measure_id])
        return _report_response(pk, request)


class ReportReturn(ScopedView):
    serializer_class = s.ReportSerializer

    @extend_schema(request=s.ReturnSerializer, responses={200: s.ReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        body = s.ReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.report_return(actor=request.user, report=report, reason=body.validated_data["reason"])
        warnings_refresh(measure_ids=[report.measure_id])
        return _report_response(pk, request)


class ReportAccept(ScopedView):
    serializer_class = s.ReportSerializer

    @extend_schema(request=None, responses={200: s.ReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        services.report_accept(actor=request.user, report=report)
        warnings_refresh(measure_ids=[report.measure_id])
        return _report_response(pk, request)


class EvidenceList(ScopedView):
    serializer_class = s.EvidenceSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        return Response(s.EvidenceSerializer(selectors.report_evidence(report), many=True).data)

    @extend_schema(request={"multipart/form-data": s.EvidenceUploadSerializer}, responses={201: s.EvidenceSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = selectors.report_get(viewer=request.user, report_id=pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "请上传文件（表单字段 file）。"})
        if upload.size is not None and upload.size > settings.RECTIFY_MAX_EVIDENCE_BYTES:
            raise ValidationError(
                {"file": f"文件过大，单个佐证材料上限为 {settings.RECTIFY_MAX_EVIDENCE_BYTES // 1024 // 1024} MB。"}
            )
        with transaction.atomic():
            evidence = services.evidence_add(
                actor=request.user, report=report, filename=upload.name or "佐证材料", content=upload.read()
            )
        return Response(s.EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceFile(ScopedView):
    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: None, 410: None})
    def get(self, request: Request, pk: int) -> FileResponse | Response:
        evidence = selectors.evidence_get(viewer=request.user, evidence_id=pk)
        damage = file_refusal(
            actor=request.user, obj=evidence, storage_name=evidence.storage_name, sha256=evidence.sha256
        )
        if damage is not None:
            return Response({"detail": damage.message}, status=damage.status)
        response = FileResponse(
            default_storage.open(evidence.storage_name, "rb"),
            as_attachment=True,
            filename=evidence.original_name,
            content_type=evidence.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# On the board these are the share's own (本单位), not its measure's as on the ledger
# (supervision.selectors.share_list); plan, chapter, problem, kind and q select measures.
BOARD_SHARE_FILTERS = [
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        description="本单位任务的状态，可多值。台账的状态值按单项任务理解：in_progress 整改中＝未开始、整改中、反弹"
        "（not_started, in_progress, relapsed）；completed 已完成待验收＝申请销号、已完成（applying, completed）；"
        "ongoing 长期坚持；closed 已销号。也可直接用 not_started、applying、relapsed；其他值不匹配任何任务",
    ),
    OpenApiParameter(
        "overdue", OpenApiTypes.BOOL, description="本单位已逾期：本单位时限（含已批准的延期）已过且本单位未完成"
    ),
    OpenApiParameter("due_after", OpenApiTypes.DATE, description="本单位时限（含已批准的延期）不早于该日"),
    OpenApiParameter("due_before", OpenApiTypes.DATE, description="本单位时限（含已批准的延期）不晚于该日"),
]
_SHARE_NAMES = {p.name for p in BOARD_SHARE_FILTERS}
WARNING_FILTERS = [
    *(p for p in LEDGER_FILTERS if p.name not in _SHARE_NAMES),
    *BOARD_SHARE_FILTERS,
    OpenApiParameter("warning", OpenApiTypes.STR, description="预警等级，可多值：red, yellow, green"),
]


class WarningList(ScopedView):
    serializer_class = s.WarningSerializer

    @extend_schema(parameters=WARNING_FILTERS, operation_id="warnings_list")
    def get(self, request: Request) -> Response:
        filters = LedgerFilters.from_query(request.query_params)
        if "warning" not in request.query_params:
            filters.warnings = [WarningLevel.RED, WarningLevel.YELLOW]
        board: Any = warning_selectors.warning_board(viewer=request.user, filters=filters)  # a list, not a QuerySet
        page = self.paginate_queryset(board)
        rows = warning_selectors.annotate_reasons(list(page or []), today=clock.today())
        reasons = {share.pk: [r.message for r in a.reasons] for share, a in rows}
        return self.get_paginated_response(s.WarningSerializer(page, many=True, context={"reasons": reasons}).data)


class WarningSummary(ScopedView):
    @extend_schema(
        parameters=[p for p in WARNING_FILTERS if p.name not in ("warning", "page_size")],
        responses=inline_serializer(
            "WarningCounts",
            {
                "red": serializers.IntegerField(),
                "yellow": serializers.IntegerField(),
                "green": serializers.IntegerField(),
                "none": serializers.IntegerField(),
                "total": serializers.IntegerField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        filters = LedgerFilters.from_query(request.query_params)
        return Response(warning_selectors.warning_counts(viewer=request.user, filters=filters))


class MeasureWarnings(ScopedView):
    @extend_schema(
        responses=inline_serializer(
            "MeasureAssessment",
            {
                "level": serializers.CharField(),
                "reasons": serializers.ListField(child=serializers.CharField()),
                "shares": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    def get(self, request: Request, pk: int) -> Response:
        """The measure's rolled-up level and, per unit the viewer may see, its own share's level,
        reasons, 序时进度 and due date."""
        measure = measure_get(viewer=request.user, measure_id=pk)
        shares = warning_selectors.measure_shares(measure, viewer=request.user, today=clock.today())
        return Response(
            {
                "level": measure.warning_level,
                "reasons": [f"{share.unit.name}：{r.message}" for share, a in shares for r in a.reasons if share.unit],
                "shares": [
                    {
                        "id": share.pk,
                        "unit": share.unit_id,
                        "unit_name": share.unit.name if share.unit else "",
                        "role": share.role,
                        "status": share.status,
                        "progress": share.progress,
                        "level": str(a.level),
                        "reasons": [r.message for r in a.reasons],
                        "expected": a.expected,
                        "due": a.due,
                    }
                    for share, a in shares
                ],
            }
        )


class MissingReports(ScopedView):
    serializer_class = s.ComplianceSerializer
    filter_backends: list[Any] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=ReportKind.values),
            OpenApiParameter("period", OpenApiTypes.DATE, description="报告期内任一日期，默认最近一个已截止的报告期"),
        ],
        responses=s.ComplianceSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        scope = viewer_scope(request.user)
        if not scope.is_business_user:
            raise Forbidden("您的账号没有业务数据的查看权限。")
        rule = services.calendar_rule()
        kind = request.query_params.get("kind") or ReportKind.WEEKLY
        if kind not in ReportKind.values:
            raise ValidationError({"kind": "应为 weekly 或 monthly。"})
        try:
            day = dt.date.fromisoformat(request.query_params.get("period") or "")
            period = periods.period_of(kind, day, rule)
        except ValueError:
            period = periods.period_of(kind, clock.today(), rule)
            while period.due_at > clock.now():
                period = periods.period_of(kind, period.start - dt.timedelta(days=1), rule)
        rows = compliance.period_compliance(period, unit_ids=None if scope.everything else scope.unit_ids)
        names = dict(OrgUnit.objects.filter(pk__in=[r.unit_id for r in rows]).values_list("pk", "name"))
        return Response(
            [
                {
                    "unit": r.unit_id,
                    "unit_name": names[r.unit_id],
                    "required": r.required,
                    "on_time": r.on_time,
                    "late": r.late,
                    "missing": r.missing,
                }
                for r in rows
                if r.missed
            ]
        )


class NotificationList(ScopedView):
    serializer_class = s.NotificationSerializer

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)], operation_id="notifications_list")
    def get(self, request: Request) -> Response:
        unread = request.query_params.get("unread") in {"1", "true"}
        return self.paged(
            notification_selectors.notification_list(viewer=request.user, unread_only=unread), s.NotificationSerializer
        )


class NotificationsRead(ScopedView):
    @extend_schema(
        request=inline_serializer(
            "MarkRead", {"ids": serializers.ListField(child=serializers.IntegerField(), required=False)}
        ),
        responses=inline_serializer("MarkedRead", {"marked": serializers.IntegerField()}),
    )
    def post(self, request: Request) -> Response:
        ids = request.data.get("ids") if isinstance(request.data, dict) else None
        marked = notification_services.notifications_mark_read(
            actor=request.user,  # type: ignore[arg-type]
            ids=[int(i) for i in ids if str(i).isdigit()] if isinstance(ids, list) else None,
        )
        return Response({"marked": marked})
