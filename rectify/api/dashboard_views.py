"""/api/v1/dashboard/: the 领导驾驶舱's figures, the counties side by side and one county as a
whole — the same selectors as the pages (rectify.dashboards), scoped the same way: 403 for the
roles the pages refuse, 404 for a county outside the viewer's scope."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.dashboards import selectors
from rectify.dashboards.selectors import Dashboard, DashboardFilters

PLAN = OpenApiParameter("plan", OpenApiTypes.INT, description="只统计该整改方案（方案编号）")


class ShareCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="单位任务数（一个责任单位在一项措施上的任务）")
    done = serializers.IntegerField(help_text="已完成：申请销号、已完成、已销号、长期坚持")
    closed = serializers.IntegerField(help_text="已销号或长期坚持")
    rate = serializers.FloatField(allow_null=True, help_text="完成率（%），无任务时为 null")
    progress = serializers.FloatField(allow_null=True, help_text="平均进度（%）：未报送计 0，已验收计 100")
    red = serializers.IntegerField()
    yellow = serializers.IntegerField()
    green = serializers.IntegerField()
    unassessed = serializers.IntegerField(help_text="尚未评估预警")
    overdue = serializers.IntegerField(help_text="本单位时限已过且未完成")


class MeasureCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="已完成待验收、已销号、已完成·长期坚持")
    closed = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    overdue = serializers.IntegerField()
    red = serializers.IntegerField()


class ReportingSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="报告期（周一日期）")
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    due_at = serializers.DateTimeField()
    owed = serializers.IntegerField(help_text="应报送份数")
    on_time = serializers.IntegerField(help_text="截止时间前首次提交的份数")
    late = serializers.IntegerField()
    missing = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="按时报送率（%）")
    units = serializers.IntegerField()
    units_missed = serializers.IntegerField()


class ReportingPairSerializer(serializers.Serializer):
    last = ReportingSerializer(help_text="最近一个已截止的周报期")
    current = ReportingSerializer(help_text="本周")


class RowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    measures = MeasureCountsSerializer()
    shares = ShareCountsSerializer()


class LeaderRefSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()


class ProblemRowSerializer(RowSerializer):
    number = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.FloatField(allow_null=True)
    warning_level = serializers.CharField()
    recurred = serializers.BooleanField()
    leaders = LeaderRefSerializer(many=True)


class UnitRowSerializer(ShareCountsSerializer):
    unit = serializers.IntegerField()
    name = serializers.CharField()


class CountyRowSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    name = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True, help_text="在全部县（市、区）中的排名；无任务为 null")
    shares = ShareCountsSerializer()
    reporting = ReportingSerializer()
    cases_total = serializers.IntegerField()
    cases_closed = serializers.IntegerField()


class CountyWarningsSerializer(serializers.Serializer):
    county = serializers.IntegerField(allow_null=True, help_text="null：市直部门及其他")
    name = serializers.CharField()
    red = serializers.IntegerField()
    yellow = serializers.IntegerField()
    green = serializers.IntegerField()
    none = serializers.IntegerField()
    total = serializers.IntegerField()


class TrendSerializer(serializers.Serializer):
    week = serializers.DateField()
    end = serializers.DateField()
    measures_due = serializers.IntegerField()
    measures_done = serializers.IntegerField()
    measures_new = serializers.IntegerField()
    shares_due = serializers.IntegerField()
    shares_done = serializers.IntegerField()
    shares_new = serializers.IntegerField()


class CaseStatusSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    n = serializers.IntegerField()


class CaseRegionSerializer(serializers.Serializer):
    region = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    total = serializers.IntegerField()
    closed = serializers.IntegerField()
    open = serializers.IntegerField()


class ComplaintsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_status = CaseStatusSerializer(many=True)
    by_region = CaseRegionSerializer(many=True)


class RelapsesSerializer(serializers.Serializer):
    recurred = serializers.ListField(child=serializers.IntegerField(), help_text="再次发现（反弹）的问题编号")
    reopened = serializers.IntegerField(help_text="反弹重开过的单位任务数")
    relapsed_now = serializers.IntegerField(help_text="仍处于反弹状态的单位任务数")


class LeaderProblemSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named label
    kind = serializers.CharField()


class LeaderSerializer(serializers.Serializer):
    user = serializers.IntegerField()
    name = serializers.CharField()
    title = serializers.CharField()
    problems = LeaderProblemSerializer(many=True)
    measures = MeasureCountsSerializer()
    shares = ShareCountsSerializer()


class OverdueShareSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    measure = serializers.IntegerField()
    problem = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    progress = serializers.IntegerField(allow_null=True)
    warning_level = serializers.CharField()
    status = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    today = serializers.DateField()
    plan = serializers.IntegerField(allow_null=True)
    measures = MeasureCountsSerializer()
    shares = ShareCountsSerializer()
    reporting = ReportingPairSerializer()
    chapters = RowSerializer(many=True)
    problems = ProblemRowSerializer(many=True)
    units = UnitRowSerializer(many=True)
    overdue_units = UnitRowSerializer(many=True)
    counties = CountyRowSerializer(many=True)
    warnings_by_county = CountyWarningsSerializer(many=True)
    trend = TrendSerializer(many=True)
    complaints = ComplaintsSerializer()
    relapses = RelapsesSerializer()
    leaders = LeaderSerializer(many=True)


class CountyDetailSerializer(serializers.Serializer):
    today = serializers.DateField()
    plan = serializers.IntegerField(allow_null=True)
    county = CountyRowSerializer()
    counties_ranked = serializers.IntegerField(help_text="参与排名的县（市、区）数")
    measures = MeasureCountsSerializer()
    shares = ShareCountsSerializer()
    reporting = ReportingPairSerializer()
    chapters = RowSerializer(many=True)
    problems = ProblemRowSerializer(many=True)
    units = UnitRowSerializer(many=True)
    overdue_units = UnitRowSerializer(many=True)
    overdue_shares = OverdueShareSerializer(many=True, help_text="逾期未完成的单位任务（按时限先后，前 30 项）")
    trend = TrendSerializer(many=True)
    complaints = ComplaintsSerializer()
    relapses = RelapsesSerializer()


class CountyListSerializer(serializers.Serializer):
    period = serializers.CharField(help_text="按时报送率所用的周报期（周一日期）")
    ranked = serializers.IntegerField()
    results = CountyRowSerializer(many=True)


def _common(d: Dashboard) -> dict[str, Any]:
    c = d.complaints
    return {
        "today": d.today,
        "plan": d.filters.plan,
        "measures": d.measures.as_dict(),
        "shares": d.shares.as_dict(),
        "reporting": {"last": d.reporting_last.as_dict(), "current": d.reporting_current.as_dict()},
        "chapters": [r.as_dict() for r in d.chapters],
        "problems": [r.as_dict() for r in d.problems],
        "units": [u.as_dict() for u in d.units],
        "overdue_units": [u.as_dict() for u in d.overdue_units],
        "trend": [p.as_dict() for p in d.trend],
        "complaints": {"total": c.total, "by_status": c.by_status, "by_region": c.by_region},
        "relapses": {
            "recurred": [p.pk for p in d.relapses.recurred],
            "reopened": d.relapses.reopened_count,
            "relapsed_now": d.relapses.relapsed_now,
        },
    }


class DashboardView(ScopedView):
    """The 领导驾驶舱's figures (coordinators, leaders, the acceptance group; their region)."""

    serializer_class = DashboardSerializer
    pagination_class = None

    @extend_schema(parameters=[PLAN], responses=DashboardSerializer, operation_id="dashboard_retrieve")
    def get(self, request: Request) -> Response:
        d = selectors.dashboard_get(viewer=request.user, filters=DashboardFilters.from_query(request.query_params))
        data = _common(d) | {
            "counties": [c.as_dict() for c in d.counties],
            "warnings_by_county": [
                {k: row[k] for k in ("name", "red", "yellow", "green", "none", "total")} | {"county": row["pk"]}
                for row in d.warnings_by_county
            ],
            "leaders": [x.as_dict() for x in d.leaders],
        }
        return Response(DashboardSerializer(data).data)


class CountyListView(ScopedView):
    """Every county the viewer's scope covers, with its rank among all counties."""

    serializer_class = CountyListSerializer
    pagination_class = None

    @extend_schema(parameters=[PLAN], responses=CountyListSerializer, operation_id="dashboard_counties_list")
    def get(self, request: Request) -> Response:
        rows, ranked, period = selectors.counties_get(
            viewer=request.user, filters=DashboardFilters.from_query(request.query_params)
        )
        data = {"period": period.period.key, "ranked": ranked, "results": [r.as_dict() for r in rows]}
        return Response(CountyListSerializer(data).data)


class CountyDetailView(ScopedView):
    """One 县（市、区） as a whole: everything in its subtree the viewer may see (404 outside it)."""

    serializer_class = CountyDetailSerializer
    pagination_class = None

    @extend_schema(parameters=[PLAN], responses=CountyDetailSerializer, operation_id="dashboard_county_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        _, d = selectors.county_get(
            viewer=request.user, unit_id=pk, filters=DashboardFilters.from_query(request.query_params)
        )
        assert d.county is not None
        data = _common(d) | {
            "county": d.county.as_dict(),
            "counties_ranked": d.counties_total,
            "overdue_shares": [
                {
                    "id": a.pk,
                    "unit": a.unit_id,
                    "unit_name": a.unit.name if a.unit else "",
                    "measure": a.measure_id,
                    "problem": a.problem_id,
                    "due_on": a.due_on,
                    "progress": a.progress,
                    "warning_level": a.warning_level,
                    "status": a.status,
                }
                for a in d.overdue_shares
            ],
        }
        return Response(CountyDetailSerializer(data).data)
