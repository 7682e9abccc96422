"""/api/v1/ for complaint cases: batches, cases (the masked text — never personal data), the
lead unit's handling update, import (parse → review → commit) and the public 一览表."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.complaints import importing, selectors, services
from rectify.complaints.models import CaseImport, CaseStatus, ComplaintBatch, ComplaintCase, Verdict
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, NotFound
from rectify.ingestion.services import too_large_message
from rectify.plans.models import Problem


class BatchSerializer(serializers.ModelSerializer):
    total = serializers.IntegerField(read_only=True)
    closed = serializers.IntegerField(read_only=True)

    class Meta:
        model = ComplaintBatch
        fields = ["id", "source", "batch_no", "title", "received_on", "reply_days", "problem", "total", "closed"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """Personal data is not a field here at all; the free text is the viewer's masked view."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    verdict_label = serializers.CharField(source="get_verdict_display", read_only=True)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default=None)
    content = serializers.SerializerMethodField()
    investigation = serializers.SerializerMethodField()
    handling = serializers.SerializerMethodField()
    accountability = serializers.SerializerMethodField()
    next_step = serializers.SerializerMethodField(help_text="下一步工作（已脱敏）")
    revisit_result = serializers.SerializerMethodField(help_text="回访情况（已脱敏：回访记录常含举报人姓名、电话）")

    class Meta:
        model = ComplaintCase
        fields = [
            "id", "batch", "seq", "code", "assigned_on", "region", "region_text", "types", "content", "investigation",
            "verdict", "verdict_label", "handling", "accountability", "ordered", "filed", "fine", "detained",
            "interviewed", "held_accountable", "status", "status_label", "next_step", "next_step_due", "due_on",
            "closed_on", "lead_unit", "lead_unit_name", "problem", "repeat_of", "revisit_on", "revisit_result",
            "satisfaction", "warning_level", "version",
        ]  # fmt: skip
        read_only_fields = fields

    def _view(self, obj: ComplaintCase) -> Any:
        # Masked for every caller, the city office too: personal data never leaves by the API.
        cache = self.context.setdefault("views", {})
        if obj.pk not in cache:
            cache[obj.pk] = selectors.masked_view(obj)
        return cache[obj.pk]

    def get_content(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).content)

    def get_investigation(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).investigation)

    def get_handling(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).handling)

    def get_accountability(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).accountability)

    def get_next_step(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).next_step)

    def get_revisit_result(self, obj: ComplaintCase) -> str:
        return str(self._view(obj).revisit_result)


class CaseUpdateSerializer(serializers.Serializer):
    """PATCH: every field is optional; a field not sent keeps the case's value."""

    version = serializers.IntegerField(required=False, help_text="读取时的版本号；发送则校验，他人已修改时返回 409")
    investigation = serializers.CharField(required=False, allow_blank=True, help_text="调查核实情况")
    verdict = serializers.ChoiceField(
        choices=[("", "核查中"), *Verdict.choices], required=False, help_text="是否属实（空 = 核查中）"
    )
    handling = serializers.CharField(required=False, allow_blank=True, help_text="处理和整改情况")
    accountability = serializers.CharField(required=False, allow_blank=True, help_text="问责情况")
    ordered = serializers.IntegerField(min_value=0, required=False, help_text="责令整改（家）")
    filed = serializers.IntegerField(min_value=0, required=False, help_text="立案处罚（起）")
    fine = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False, help_text="罚款（万元）"
    )
    detained = serializers.IntegerField(min_value=0, required=False, help_text="拘留（人）")
    interviewed = serializers.IntegerField(min_value=0, required=False, help_text="约谈（人）")
    held_accountable = serializers.IntegerField(min_value=0, required=False, help_text="问责（人）")
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False, help_text="办理状态")
    next_step = serializers.CharField(required=False, allow_blank=True, help_text="下一步工作（阶段性办结时必填）")
    next_step_due = serializers.DateField(
        required=False, allow_null=True, help_text="下一步完成时限（阶段性办结时必填）"
    )


# What the handling form edits: the fields of services.CaseInput, read back from the case.
CASE_PATCHABLE = tuple(f.name for f in dataclasses.fields(services.CaseInput))


class ImportSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseImport
        fields = ["id", "status", "filename", "source", "batch_no", "title", "warnings", "headers", "summary"]
        read_only_fields = fields


class ImportCommitSerializer(serializers.Serializer):
    batch_no = serializers.IntegerField(required=False, allow_null=True, default=None)
    problem = serializers.IntegerField(required=False, allow_null=True, default=None)


class PublicRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    region = serializers.CharField()
    types = serializers.CharField()
    content = serializers.CharField()
    verdict = serializers.CharField()
    handling = serializers.CharField()
    accountability = serializers.CharField()
    status = serializers.CharField()


CASE_FILTERS = [
    OpenApiParameter("batch", OpenApiTypes.INT),
    OpenApiParameter("status", OpenApiTypes.STR, description="可多值：" + ", ".join(CaseStatus.values)),
    OpenApiParameter("region", OpenApiTypes.INT),
    OpenApiParameter("unit", OpenApiTypes.INT, description="牵头单位"),
    OpenApiParameter("problem", OpenApiTypes.INT),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("q", OpenApiTypes.STR),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


class BatchList(ScopedView):
    serializer_class = BatchSerializer

    @extend_schema(operation_id="complaint_batches_list")
    def get(self, request: Request) -> Response:
        return self.paged(selectors.batch_list(viewer=request.user), BatchSerializer)


class CaseList(ScopedView):
    serializer_class = CaseSerializer

    @extend_schema(parameters=CASE_FILTERS, operation_id="complaint_cases_list")
    def get(self, request: Request) -> Response:
        filters = selectors.CaseFilters.from_query(request.query_params)
        qs = selectors.case_list(viewer=request.user, filters=filters)
        page = self.paginate_queryset(qs)
        data = CaseSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


class CaseDetail(ScopedView):
    serializer_class = CaseSerializer

    def get(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(viewer=request.user, pk=pk)
        return Response(CaseSerializer(case, context={"request": request}).data)

    @extend_schema(
        request=CaseUpdateSerializer,
        responses={200: CaseSerializer},
        summary="填报办理情况（只改所发送的字段）",
    )
    def patch(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(viewer=request.user, pk=pk)
        body = CaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = dict(body.validated_data)
        # PATCH: what was not sent keeps the case's value; the service checks the merged whole
        # exactly as it checks the page's form.
        merged = {**{name: getattr(case, name) for name in CASE_PATCHABLE}, **sent}
        merged["fine"] = str(merged["fine"])
        # The fields not sent were read with this version: a save in between is a 409, not a
        # silent undo of someone else's change.
        version = merged.pop("version", case.version)
        services.case_update(actor=request.user, case=case, version=version, data=services.CaseInput(**merged))
        case.refresh_from_db()
        return Response(CaseSerializer(case, context={"request": request}).data)


class ImportCreate(ScopedView):
    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "source": {"type": "string"},
                    "batch_no": {"type": "integer"},
                },
                "required": ["file"],
            }
        },
        responses={201: ImportSerializer},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("请上传交办件文件（.xlsx 或 .csv）。")
        too_large = too_large_message(upload.size or 0)
        if too_large:
            raise DomainError(too_large)
        number = str(request.data.get("batch_no") or "")
        job = importing.case_import_prepare(
            actor=request.user,
            data=upload.read(),
            filename=upload.name or "交办件.xlsx",
            source=str(request.data.get("source") or ""),
            batch_no=int(number) if number.isdigit() else None,
        )
        return Response(ImportSerializer(job).data, status=status.HTTP_201_CREATED)


class ImportCommit(ScopedView):
    serializer_class = BatchSerializer

    @extend_schema(request=ImportCommitSerializer, responses={201: BatchSerializer})
    def post(self, request: Request, pk: int) -> Response:
        job = selectors.import_get(viewer=request.user, pk=pk)
        body = ImportCommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["batch_no"]:
            CaseImport.objects.filter(pk=job.pk).update(batch_no=body.validated_data["batch_no"])
            job.refresh_from_db()
        problem = None
        if body.validated_data["problem"]:
            problem = Problem.objects.filter(pk=body.validated_data["problem"]).first()
            if problem is None:
                raise NotFound()
        batch = importing.case_import_commit(actor=request.user, job=job, problem=problem)
        return Response(BatchSerializer(selectors.batch_get(viewer=request.user, pk=batch.pk)).data, status=201)


class PublicList(ScopedView):
    """The published 一览表 of a batch; no login needed, like the public page."""

    serializer_class = PublicRowSerializer
    queryset = ComplaintBatch.objects.none()  # for the schema generator only
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(responses={200: PublicRowSerializer(many=True)}, operation_id="public_complaints_list")
    def get(self, request: Request, pk: int) -> Response:
        batch = selectors.published_batches().filter(pk=pk).first()
        if batch is None:
            raise NotFound("该批次的办理结果尚未公开。")
        return Response(PublicRowSerializer(selectors.public_rows(batch), many=True).data)
