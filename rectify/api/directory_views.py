"""/api/v1/ for the unit directory, a problem's deadline and units, and the reporting calendar: the
twins of the pages orgs:rename, orgs:merge, plans:problem_deadline, plans:assignment_confirm (with
the list of plans:pending) and progress:calendar. Each calls the page's service (orgs.services,
plans.services, progress.services) with the page's checks in the page's order, so a refusal has the
same status and the same Chinese words; a stale `version` is 409.

Adding a unit (orgs:add) is POST /api/v1/units/ (rectify.api.views.UnitList), already there.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs import selectors as org_selectors
from rectify.orgs import services as org_services
from rectify.orgs.models import OrgUnit
from rectify.orgs.policies import can_manage_units
from rectify.plans import selectors as plan_selectors
from rectify.plans import services as plan_services
from rectify.plans.models import Assignment
from rectify.progress import selectors as progress_selectors
from rectify.progress import services as progress_services
from rectify.progress.models import ReportingCalendar
from rectify.progress.policies import can_set_calendar

from . import serializers as s
from .fields import ID_MAX, id_field, id_list

VERSION_MAX = ID_MAX
BAD_TIME = "请填写有效的日期和时间（如 17:00）。"  # progress:calendar's words


def _active_units(ids: list[int], field: str) -> list[OrgUnit]:
    """The units named by id, all of them active: an unknown id is refused by name, not dropped."""
    units = list(OrgUnit.objects.filter(pk__in=ids, is_active=True).order_by("path"))
    missing = sorted(set(ids) - {u.pk for u in units})
    if missing:
        raise ValidationError({field: f"单位不存在或已停用：{'、'.join(str(i) for i in missing)}。"})
    return units


# --- the unit directory (orgs:rename, orgs:merge) ---------------------------------------------------


class DirectoryUnitSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(read_only=True, help_text="版本号：更名时原样带回（并发修改检查）")
    depth = serializers.IntegerField(read_only=True, help_text="层级（0 为市）")

    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind", "parent", "aliases", "is_active", "merged_into", "depth", "version"]
        read_only_fields = fields
        extra_kwargs = {"merged_into": {"help_text": "已并入的单位（合并后）"}}


class UnitRenameSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=120, allow_blank=True, help_text="新名称；原名称保留为别名，用原名称写的方案仍能匹配"
    )
    version = serializers.IntegerField(min_value=1, max_value=VERSION_MAX, help_text="读取单位时的 version")


class UnitMergeSerializer(serializers.Serializer):
    target = id_field(help_text="并入的目标单位编号：本单位的任务与账号随之转移")


class UnitMergeResultSerializer(serializers.Serializer):
    source = DirectoryUnitSerializer(help_text="被并入的单位（已停用）")  # type: ignore[assignment]  # a field
    target = DirectoryUnitSerializer(help_text="目标单位（原名称已加入其别名）")


def _manager_only(user: Any) -> None:
    if not can_manage_units(user):
        raise Forbidden("只有市整改办可以维护单位目录。")


def _unit_or_404(unit_id: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


class UnitDetail(ScopedView):
    """One unit with its version (the directory page lists it); outside the viewer's scope it is 404."""

    serializer_class = DirectoryUnitSerializer

    @extend_schema(summary="单位详情（含版本号）", operation_id="unit_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(DirectoryUnitSerializer(org_selectors.unit_get(viewer=request.user, unit_id=pk)).data)


class UnitRename(ScopedView):
    """orgs:rename"""

    serializer_class = DirectoryUnitSerializer

    @extend_schema(summary="单位更名", request=UnitRenameSerializer, responses={200: DirectoryUnitSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _manager_only(request.user)
        unit = _unit_or_404(pk)
        body = UnitRenameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        org_services.unit_rename(
            actor=request.user, unit=unit, name=body.validated_data["name"], version=body.validated_data["version"]
        )
        unit.refresh_from_db()
        return Response(DirectoryUnitSerializer(unit).data)


class UnitMerge(ScopedView):
    """orgs:merge"""

    serializer_class = UnitMergeResultSerializer

    @extend_schema(summary="合并单位", request=UnitMergeSerializer, responses={200: UnitMergeResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _manager_only(request.user)
        source = _unit_or_404(pk)
        body = UnitMergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        target = OrgUnit.objects.filter(pk=body.validated_data["target"]).first()
        if target is None:
            raise ValidationError({"target": "目标单位不存在。"})  # as POST /units/ says of a parent
        org_services.unit_merge(actor=request.user, source=source, target=target)
        source.refresh_from_db()
        target.refresh_from_db()
        result = {"source": DirectoryUnitSerializer(source).data, "target": DirectoryUnitSerializer(target).data}
        return Response(result)


# --- a problem's deadline and its units still to confirm -------------------------------------------


class ProblemDeadlineStateSerializer(s.ProblemSerializer):
    version = serializers.IntegerField(read_only=True, help_text="问题的版本号：修改整改时限时原样带回")

    class Meta(s.ProblemSerializer.Meta):
        fields = [*s.ProblemSerializer.Meta.fields, "version"]


class ProblemDeadlineChangeSerializer(serializers.Serializer):
    raw = serializers.CharField(
        max_length=300, allow_blank=True, help_text="整改时限原文，如“2023年6月底前”“每季度”“立行立改、长期坚持”"
    )
    due = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="到期日（原文无法确定日期时填写；周期性时限不填）",
        error_messages={"invalid": "到期日格式应为 YYYY-MM-DD。"},
    )
    version = serializers.IntegerField(min_value=1, max_value=VERSION_MAX, help_text="读取问题时的 version")


class ProblemDeadline(ScopedView):
    """plans:problem_deadline — measures that kept the problem's deadline follow it."""

    serializer_class = ProblemDeadlineStateSerializer

    @extend_schema(summary="问题的整改时限（含版本号）")
    def get(self, request: Request, pk: int) -> Response:
        problem = plan_selectors.problem_get(viewer=request.user, problem_id=pk)
        return Response(ProblemDeadlineStateSerializer(problem).data)

    @extend_schema(
        summary="修改问题的整改时限",
        request=ProblemDeadlineChangeSerializer,
        responses={200: ProblemDeadlineStateSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        problem = plan_selectors.problem_get(viewer=request.user, problem_id=pk)
        body = ProblemDeadlineChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan_services.problem_update_deadline(
            actor=request.user,
            problem=problem,
            raw=body.validated_data["raw"],
            version=body.validated_data["version"],
            due=body.validated_data["due"],
        )
        problem = plan_selectors.problem_get(viewer=request.user, problem_id=pk)
        return Response(ProblemDeadlineStateSerializer(problem).data)


class DirectoryUnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="单位编号")
    name = serializers.CharField(help_text="单位名称")


class PendingAssignmentSerializer(serializers.ModelSerializer):
    problem_number = serializers.CharField(source="problem.number", read_only=True, help_text="问题编号")
    plan = serializers.IntegerField(source="problem.plan_id", read_only=True, help_text="方案编号")
    role = serializers.CharField(read_only=True, help_text="lead 牵头 / support 配合")
    candidates = serializers.SerializerMethodField(help_text="解析时的候选单位（可为空：未知单位）")

    class Meta:
        model = Assignment
        fields = ["id", "problem", "problem_number", "plan", "phrase", "role", "candidates"]
        read_only_fields = fields

    @extend_schema_field(DirectoryUnitRefSerializer(many=True))
    def get_candidates(self, obj: Assignment) -> list[dict[str, Any]]:
        names: dict[int, str] = self.context.get("names", {})
        return [{"id": pk, "name": names[pk]} for pk in obj.candidates or [] if pk in names]


class PendingAssignments(ScopedView):
    """plans:pending — the phrases still waiting for a coordinator, with their candidates."""

    serializer_class = PendingAssignmentSerializer

    @extend_schema(summary="待确认的责任单位称谓", operation_id="pending_assignments_list")
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(plan_selectors.pending_assignments(viewer=request.user))
        rows = list(page or [])
        ids = {pk for row in rows for pk in row.candidates or []}
        names = dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
        data = PendingAssignmentSerializer(rows, many=True, context={"names": names}).data
        return self.get_paginated_response(data)


class AssignmentConfirmSerializer(serializers.Serializer):
    units = id_list(help_text="确认为这些单位（可多个，须在本辖区内）")


class AssignmentConfirmResultSerializer(serializers.Serializer):
    problem = serializers.IntegerField(help_text="问题编号")
    phrase = serializers.CharField(help_text="已确认的称谓")
    units = DirectoryUnitRefSerializer(many=True, help_text="确认的单位")
    created = s.AssignmentSerializer(many=True, help_text="新建的问题责任分工（各措施的分工随之建立）")


class AssignmentConfirm(ScopedView):
    """plans:assignment_confirm"""

    serializer_class = AssignmentConfirmResultSerializer

    @extend_schema(
        summary="确认待确认的责任单位",
        request=AssignmentConfirmSerializer,
        responses={200: AssignmentConfirmResultSerializer},
    )
    def post(self, request: Request, pk: int, assignment_id: int) -> Response:
        problem = plan_selectors.problem_get(viewer=request.user, problem_id=pk)
        assignment = Assignment.objects.filter(pk=assignment_id, problem=problem).first()
        if assignment is None:
            raise NotFound()
        body = AssignmentConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        units = _active_units(body.validated_data["units"], "units")
        created = plan_services.assignment_confirm(actor=request.user, assignment=assignment, units=units)
        result = {
            "problem": problem.pk,
            "phrase": assignment.phrase,
            "units": DirectoryUnitRefSerializer(units, many=True).data,
            "created": s.AssignmentSerializer(created, many=True).data,
        }
        return Response(result)


# --- the reporting calendar (progress:calendar) -----------------------------------------------------


class ReportingCalendarSerializer(serializers.ModelSerializer):
    description = serializers.SerializerMethodField(help_text="报送日历的中文说明")
    can_edit = serializers.SerializerMethodField(help_text="当前用户能否修改（市整改办）")
    version = serializers.IntegerField(read_only=True, help_text="版本号：修改时原样带回")

    class Meta:
        model = ReportingCalendar
        fields = [
            "weekly_weekday", "weekly_time", "monthly_day", "monthly_time", "starts_on", "description", "can_edit",
            "version",
        ]  # fmt: skip
        read_only_fields = fields

    def get_description(self, obj: ReportingCalendar) -> str:
        return obj.rule.describe()

    def get_can_edit(self, obj: ReportingCalendar) -> bool:
        return can_set_calendar(self.context["user"])


class ReportingCalendarPutSerializer(serializers.Serializer):
    """The whole calendar, as the page's form sends it (starts_on left out = none). Days are not
    bounded here: the service refuses one out of range in the page's words."""

    weekly_weekday = serializers.IntegerField(
        help_text="周报截止日：0 周一 … 4 周五 … 6 周日", error_messages={"invalid": BAD_TIME}
    )
    weekly_time = serializers.TimeField(help_text="周报截止时间，如 17:00", error_messages={"invalid": BAD_TIME})
    monthly_day = serializers.IntegerField(
        help_text="月度总结截止日（次月的第几日，1–28）", error_messages={"invalid": BAD_TIME}
    )
    monthly_time = serializers.TimeField(help_text="月度总结截止时间，如 17:00", error_messages={"invalid": BAD_TIME})
    starts_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="开始报送日期：此日期之前的报告期不计未报送；null 为不设",
        error_messages={"invalid": BAD_TIME},
    )
    version = serializers.IntegerField(
        min_value=1, max_value=VERSION_MAX, help_text="读取日历时的 version（必填，PATCH 也须带上）"
    )


class ReportingCalendarPatchSerializer(ReportingCalendarPutSerializer):
    """Only what is sent changes (the version is always sent)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name != "version":
                field.required = False
        self.fields["starts_on"].default = serializers.empty


def _calendar_out(request: Request, calendar: ReportingCalendar) -> Response:
    return Response(ReportingCalendarSerializer(calendar, context={"user": request.user}).data)


class Calendar(ScopedView):
    """progress:calendar — every business user reads it; the city office sets it."""

    serializer_class = ReportingCalendarSerializer

    @extend_schema(summary="报送日历")
    def get(self, request: Request) -> Response:
        progress_selectors.business_scope(request.user)
        return _calendar_out(request, progress_services.calendar_get())

    def _update(self, request: Request, body: serializers.Serializer) -> Response:
        progress_selectors.business_scope(request.user)
        if not can_set_calendar(request.user):
            raise Forbidden("只有市整改办可以设置报送日历。")
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        version = values.pop("version")
        calendar = progress_services.calendar_update(actor=request.user, version=version, values=values)
        calendar.refresh_from_db()
        return _calendar_out(request, calendar)

    @extend_schema(
        summary="设置报送日历（整体）",
        request=ReportingCalendarPutSerializer,
        responses={200: ReportingCalendarSerializer},
    )
    def put(self, request: Request) -> Response:
        return self._update(request, ReportingCalendarPutSerializer(data=request.data))

    @extend_schema(
        summary="修改报送日历（只改所发送的字段）",
        request=ReportingCalendarPatchSerializer,
        responses={200: ReportingCalendarSerializer},
    )
    def patch(self, request: Request) -> Response:
        return self._update(request, ReportingCalendarPatchSerializer(data=request.data))
