"""/api/v1/: the ledger and the unit directory, scoped exactly like the pages."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden
from rectify.orgs import selectors as org_selectors
from rectify.orgs import services as org_services
from rectify.orgs.models import OrgUnit
from rectify.plans import selectors
from rectify.supervision import services as supervision_services

from . import serializers as s
from .ledger_rows import ledger_rows

LEDGER_FILTERS = [
    OpenApiParameter("plan", OpenApiTypes.INT),
    OpenApiParameter("chapter", OpenApiTypes.INT),
    OpenApiParameter("problem", OpenApiTypes.INT),
    OpenApiParameter("unit", OpenApiTypes.INT, description="责任单位（单位编号）"),
    OpenApiParameter("county", OpenApiTypes.INT, description="县（市、区）（单位编号）"),
    OpenApiParameter("kind", OpenApiTypes.STR, description="时限类型，可多值（逗号分隔或重复参数）"),
    OpenApiParameter("status", OpenApiTypes.STR, description="状态，可多值"),
    OpenApiParameter("due_before", OpenApiTypes.DATE),
    OpenApiParameter("due_after", OpenApiTypes.DATE),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("q", OpenApiTypes.STR),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


class PlanList(ScopedView):
    serializer_class = s.PlanSerializer

    def get(self, request: Request) -> Response:
        return self.paged(selectors.plan_list(viewer=request.user), s.PlanSerializer)


class MeasureList(ScopedView):
    serializer_class = s.MeasureSerializer

    @extend_schema(parameters=LEDGER_FILTERS, operation_id="measures_list")
    def get(self, request: Request) -> Response:
        filters = selectors.LedgerFilters.from_query(request.query_params)
        # Flat rows (ledger_rows): the same objects as MeasureSerializer, without building models;
        # the pager counts exactly, then reads the page by the cheaper walk for that count.
        pager = selectors.MeasurePager(
            viewer=request.user,
            filters=filters,
            read=lambda measures, start, stop: list(selectors.ledger_values(measures)[start:stop]),
        )
        page: list[dict[str, Any]] | None = self.paginate_queryset(cast(Any, pager))  # it answers slices only
        return self.get_paginated_response(ledger_rows(page or []))


class MeasureDetail(ScopedView):
    serializer_class = s.MeasureSerializer

    def get(self, request: Request, pk: int) -> Response:
        # The scoped read (with its problem, whose number the answer shows), then its shares and
        # milestones: the measure is not read twice.
        measure = selectors.ledger_relations_load(selectors.measure_get(viewer=request.user, measure_id=pk))
        return Response(s.represent(s.MeasureSerializer, measure))


class MeasureDeadline(ScopedView):
    """The city office moves one measure's deadline for all its units (an extension moves one unit's)."""

    serializer_class = s.MeasureSerializer

    @extend_schema(request=s.DeadlineChangeSerializer, responses={200: s.MeasureSerializer})
    def post(self, request: Request, pk: int) -> Response:
        data = s.DeadlineChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        measure = selectors.measure_get(viewer=request.user, measure_id=pk)
        supervision_services.measure_deadline_change(
            actor=request.user,
            measure=measure,
            raw=data.validated_data["raw"],
            version=data.validated_data["version"],
            due=data.validated_data.get("due"),
        )
        measure = selectors.with_ledger_relations(type(measure).objects.filter(pk=measure.pk)).get()
        return Response(s.represent(s.MeasureSerializer, measure))


class ProblemList(ScopedView):
    serializer_class = s.ProblemSerializer

    @extend_schema(parameters=[OpenApiParameter("plan", OpenApiTypes.INT)], operation_id="problems_list")
    def get(self, request: Request) -> Response:
        qs = selectors.problem_list(viewer=request.user)
        plan = request.query_params.get("plan")
        if plan and plan.isdigit():
            qs = qs.filter(plan_id=int(plan))
        return self.paged(qs, s.ProblemSerializer)


class ProblemDetail(ScopedView):
    serializer_class = s.ProblemSerializer

    def get(self, request: Request, pk: int) -> Response:
        return Response(s.represent(s.ProblemSerializer, selectors.problem_get(viewer=request.user, problem_id=pk)))


class UnitList(ScopedView):
    serializer_class = s.UnitSerializer

    @extend_schema(parameters=[OpenApiParameter("q", OpenApiTypes.STR), OpenApiParameter("kind", OpenApiTypes.STR)])
    def get(self, request: Request) -> Response:
        if not org_selectors.viewer_scope(request.user).is_business_user:
            raise Forbidden("您的账号没有业务数据的查看权限。")
        qs = org_selectors.unit_list(
            viewer=request.user, query=request.query_params.get("q", ""), kind=request.query_params.get("kind", "")
        )
        return self.paged(qs, s.UnitSerializer)

    @extend_schema(request=s.UnitCreateSerializer, responses={201: s.UnitSerializer})
    def post(self, request: Request) -> Response:
        data = s.UnitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        parent = OrgUnit.objects.filter(pk=data.validated_data["parent"]).first()
        if parent is None:
            raise ValidationError({"parent": "上级单位不存在。"})
        unit = org_services.unit_create(
            actor=request.user,
            name=data.validated_data["name"],
            kind=data.validated_data["kind"],
            parent=parent,
            aliases=data.validated_data["aliases"],
        )
        return Response(s.UnitSerializer(unit).data, status=status.HTTP_201_CREATED)
