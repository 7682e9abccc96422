"""/api/v1/dashboard/gantt/: the 挂图作战 rows as JSON, scoped and filtered exactly like the page
(rectify.dashboards.gantt builds them for both)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView

from . import gantt


class GanttMilestoneSerializer(serializers.Serializer):
    date = serializers.DateField()
    label = serializers.CharField(help_text="节点原文")  # type: ignore[assignment]
    reached = serializers.BooleanField(help_text="已完成（按单位查看时为该单位已完成）")
    overdue = serializers.BooleanField(help_text="已过节点日期而未完成")


class GanttRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        ["chapter", "problem", "measure", "unit", "share"],
        help_text="章节/问题/措施（按章节）；单位/单位任务（按单位）",
    )
    key = serializers.CharField()
    level = serializers.IntegerField(help_text="缩进层级")
    label = serializers.CharField(help_text="编号或名称")  # type: ignore[assignment]
    text = serializers.CharField(help_text="问题或措施内容（截取前80字）")
    start = serializers.DateField(allow_null=True, help_text="开始日：本项开始日，否则方案整改起始日")
    end = serializers.DateField(allow_null=True, help_text="到期日（单位任务为本单位时限）；无固定时限为空")
    open_ended = serializers.BooleanField(help_text="长期坚持、周期性、按年度或时限待定：画到图末")
    deadline = serializers.CharField(help_text="整改时限（原文）")
    deadline_kind = serializers.CharField()
    warning = serializers.ChoiceField(list(gantt.LEVELS), help_text="预警等级，none 为未评估")
    status = serializers.CharField()
    status_label = serializers.CharField()
    done = serializers.BooleanField()
    overdue = serializers.BooleanField()
    progress = serializers.FloatField(allow_null=True)
    extended = serializers.BooleanField(help_text="本单位时限已延期")
    unit = serializers.CharField(help_text="单位任务的责任单位")
    milestones = GanttMilestoneSerializer(many=True)
    ticks = serializers.ListField(child=serializers.DateField(), help_text="周期性/按年度时限的各期到期日")
    url = serializers.CharField(help_text="问题页面")
    problem_id = serializers.IntegerField(allow_null=True)
    measure_id = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(help_text="分组行包含的条目数")


class GanttSerializer(serializers.Serializer):
    group = serializers.ChoiceField(list(gantt.GROUPS))
    today = serializers.DateField()
    start = serializers.DateField(help_text="时间轴起点")
    end = serializers.DateField(help_text="时间轴终点")
    total = serializers.IntegerField(help_text="符合条件的措施（按单位时为单位任务）数")
    truncated = serializers.BooleanField(help_text=f"超过{gantt.MAX_ITEMS}项时只返回前{gantt.MAX_ITEMS}项")
    counts = serializers.DictField(child=serializers.IntegerField())
    notes = serializers.ListField(child=serializers.CharField())
    rows = GanttRowSerializer(many=True)


class GanttApi(ScopedView):
    """挂图作战: the Gantt's rows, scoped and filtered exactly like /dashboard/gantt/."""

    serializer_class = GanttSerializer

    @extend_schema(
        operation_id="dashboard_gantt",
        parameters=[
            OpenApiParameter(
                "group", OpenApiTypes.STR, enum=list(gantt.GROUPS), description="chapter 按章节；unit 按单位"
            ),
            OpenApiParameter("plan", OpenApiTypes.INT, description="整改方案"),
            OpenApiParameter("unit", OpenApiTypes.INT, description="责任单位（单位编号）"),
            OpenApiParameter("county", OpenApiTypes.INT, description="县（市、区）（单位编号）：含其下属单位"),
            OpenApiParameter(
                "warning", OpenApiTypes.STR, description="预警等级 red/yellow/green/none，可多值（逗号分隔）"
            ),
        ],
        responses=GanttSerializer,
    )
    def get(self, request: Request) -> Response:
        filters, errors = gantt.GanttFilters.from_query(
            request.query_params, default_group=gantt.default_group(request.user)
        )
        if errors:
            raise ValidationError({"detail": errors})
        chart = gantt.gantt_chart(viewer=request.user, filters=filters)
        return Response(chart.as_dict())
