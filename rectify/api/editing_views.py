"""/api/v1/ for editing the ledger by hand: POST /problems/ (a self-found problem with its measures,
in one call), POST /measures/, PATCH /measures/<id>/ (only what is sent changes) and a problem's
包联领导 (list, add, remove).

The same routes as the read-only ledger views (these classes extend them), the same services as
the pages (rectify.plans.editing, rectify.plans.leaders), the same scoping (404 outside it, 403
for a role that may not) and the same Chinese messages: 400 {"detail": "…", "errors": {field: "…"}}.
Moving units or the deadline re-assesses the measure's shares at once (warnings_refresh), as the
measure deadline endpoint does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit
from rectify.plans import editing, leaders, milestones, selectors
from rectify.plans.models import Assignment, Measure, ProblemLeader
from rectify.plans.policies import can_add_items, can_assign_leaders
from rectify.supervision.services import warnings_refresh

from . import serializers as s
from . import views

SOURCE_HELP = "来源：self_check 自查自纠 / extrapolation 举一反三 / lookback 回头看 / public_report 群众举报"
HAND_SOURCES = editing.HAND_SOURCES
MAX_MILESTONES = milestones.MAX_MILESTONES


class UnitRoleSerializer(serializers.Serializer):
    unit = serializers.IntegerField(help_text="单位编号（/api/v1/units/）")
    role = serializers.ChoiceField(
        choices=Assignment.RoleKind.choices, default=Assignment.RoleKind.LEAD, help_text="lead 牵头 / support 配合"
    )


class MilestoneWriteSerializer(serializers.Serializer):
    """A 阶段性节点 as the measure's answer shows it (raw, due_on); the date is read from the text
    when not given."""

    raw = serializers.CharField(max_length=100, help_text="节点内容，如“2023年6月底前完成全面排查”")
    due_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="节点日期；不填则从节点内容中读取"
    )


class MeasureWriteSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="整改措施")
    units = UnitRoleSerializer(many=True, help_text="责任单位及其角色，至少一个牵头单位")
    deadline = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="整改时限原文；留空则与问题相同"
    )
    due = serializers.DateField(required=False, allow_null=True, default=None, help_text="到期日（原文无日期时）")
    source = serializers.ChoiceField(  # type: ignore[assignment]  # DRF collects it as a field
        choices=HAND_SOURCES, required=False, allow_blank=True, default="", help_text=SOURCE_HELP + "；留空则同问题"
    )
    milestones = MilestoneWriteSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_MILESTONES,  # type: ignore[call-arg]  # DRF's ListSerializer takes it; the stubs lag
        help_text=f"阶段性节点（按时间顺序，最多{MAX_MILESTONES}个）",
    )


class ProblemCreateSerializer(serializers.Serializer):
    """A self-found problem and its measures in one call; numbered next in its plan."""

    plan = serializers.IntegerField(help_text="整改方案编号")
    chapter = serializers.IntegerField(help_text="章节编号（本方案的章节）")
    text = serializers.CharField(help_text="问题描述")
    goal = serializers.CharField(required=False, allow_blank=True, default="", help_text="整改目标")
    responsible_person = serializers.CharField(required=False, allow_blank=True, default="", help_text="责任人")
    acceptance_unit = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="验收单位编号")
    deadline = serializers.CharField(help_text="整改时限原文，如“2022年12月底前”“立行立改、长期坚持”")
    due = serializers.DateField(required=False, allow_null=True, default=None, help_text="到期日（原文无日期时）")
    source = serializers.ChoiceField(choices=HAND_SOURCES, help_text=SOURCE_HELP)  # type: ignore[assignment]
    measures = MeasureWriteSerializer(many=True, help_text="整改措施，至少一项")


class MeasureCreateSerializer(MeasureWriteSerializer):
    problem = serializers.IntegerField(help_text="问题编号")


class MeasurePatchSerializer(serializers.Serializer):
    """Only the fields sent change; `units` (when sent) is the measure's whole list of units."""

    version = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, help_text="读取措施时的 version（并发修改检查）"
    )
    text = serializers.CharField(required=False, help_text="整改措施")
    units = UnitRoleSerializer(many=True, required=False, help_text="责任单位的完整名单（替换现有名单）")
    deadline = serializers.CharField(required=False, help_text="对全部责任单位的整改时限原文")
    due = serializers.DateField(required=False, allow_null=True, default=None, help_text="到期日（原文无日期时）")
    milestones = MilestoneWriteSerializer(
        many=True,
        required=False,
        max_length=MAX_MILESTONES,  # type: ignore[call-arg]  # as above
        help_text="阶段性节点的完整名单（替换现有名单；内容和日期不变的节点保留其完成记录；[] 清空；"
        f"最多{MAX_MILESTONES}个）",
    )


class ProblemLeaderSerializer(serializers.ModelSerializer):
    user_name = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ProblemLeader
        fields = ["id", "problem", "user", "user_name", "kind", "kind_label", "title"]
        read_only_fields = fields

    def get_user_name(self, obj: ProblemLeader) -> str:
        return leaders.person(obj.user)


class LeaderAddSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="领导的用户编号（须为领导岗位）")  # type: ignore[assignment]
    kind = serializers.ChoiceField(
        choices=ProblemLeader.Kind.choices, default=ProblemLeader.Kind.LEAD, help_text="lead 包联 / part 分包"
    )
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=100, help_text="职务")


class EditingErrors(ScopedView):
    """Field-by-field refusals keep their fields: {"detail": all of them, "errors": {field: message}}."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, editing.Invalid):
            exc = ValidationError({"detail": exc.message, "errors": exc.errors})
        return super().handle_exception(exc)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


def _unit_roles(rows: list[dict[str, Any]], field: str) -> list[editing.UnitRole]:
    ids = [row["unit"] for row in rows]
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids)}
    missing = [str(i) for i in ids if i not in units]
    if missing:
        raise editing.Invalid({field: f"单位不存在：{'、'.join(missing)}。"})
    return [editing.UnitRole(units[row["unit"]], row["role"]) for row in rows]


def _nodes(rows: list[dict[str, Any]]) -> list[milestones.MilestoneInput]:
    return [milestones.MilestoneInput(raw=row["raw"], due=row["due_on"]) for row in rows]


def _measure_out(measure: Measure) -> dict[str, Any]:
    """The measure as GET /measures/<id>/ shows it, read again (a PATCH's re-assessment moved it)."""
    fresh = selectors.with_ledger_relations(Measure.objects.select_related("problem").filter(pk=measure.pk)).get()
    return dict(s.represent(s.MeasureSerializer, fresh))


class ProblemListCreate(EditingErrors, views.ProblemList):
    @extend_schema(
        request=ProblemCreateSerializer,
        responses={201: s.ProblemSerializer, 400: OpenApiResponse(description="输入有误（中文说明，逐项）")},
        operation_id="problems_create",
        description="市整改办手工添加自查自纠、举一反三、回头看、群众举报发现的问题（连同整改措施），编号接续方案。",
    )
    def post(self, request: Request) -> Response:
        selectors.plan_ids(viewer=request.user)  # a role without business data: 403
        _require(can_add_items(request.user), "只有市整改办可以手工添加整改问题。")
        data = ProblemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        plan = selectors.plan_ids(viewer=request.user).filter(pk=v["plan"]).first()
        if plan is None:
            raise NotFound()
        acceptance = None
        if v["acceptance_unit"] is not None:
            acceptance = OrgUnit.objects.filter(pk=v["acceptance_unit"]).first()
            if acceptance is None:
                raise editing.Invalid({"acceptance_unit": "验收单位不存在。"})
        problem = editing.problem_create(
            actor=request.user,
            plan=plan,
            chapter=plan.chapters.filter(pk=v["chapter"]).order_by().first(),  # by its key: no sort
            text=v["text"],
            goal=v["goal"],
            responsible_person=v["responsible_person"],
            acceptance_unit=acceptance,
            deadline=v["deadline"],
            due=v["due"],
            source=v["source"],
            measures=[
                editing.MeasureInput(
                    text=m["text"],
                    units=_unit_roles(m["units"], f"measures.{i}.units"),
                    deadline=m["deadline"],
                    due=m["due"],
                    source=m["source"],
                    milestones=_nodes(m["milestones"]),
                )
                for i, m in enumerate(v["measures"])
            ],
        )
        # Built from what was just written (the service's rows are what a GET reads back).
        return Response(s.represent(s.ProblemSerializer, problem), status=status.HTTP_201_CREATED)


class MeasureListCreate(EditingErrors, views.MeasureList):
    @extend_schema(
        request=MeasureCreateSerializer,
        responses={201: s.MeasureSerializer, 400: OpenApiResponse(description="输入有误（中文说明，逐项）")},
        operation_id="measures_create",
        description="市整改办为问题手工添加整改措施（可带阶段性节点）；不填时限则与问题相同。",
    )
    def post(self, request: Request) -> Response:
        selectors.plan_ids(viewer=request.user)
        _require(can_add_items(request.user), "只有市整改办可以手工添加整改措施。")
        data = MeasureCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        problem = selectors.problem_get(viewer=request.user, problem_id=v["problem"])
        measure = editing.measure_create(
            actor=request.user,
            problem=problem,
            text=v["text"],
            units=_unit_roles(v["units"], "units"),
            deadline=v["deadline"],
            due=v["due"],
            source=v["source"],
            milestones=_nodes(v["milestones"]),
        )
        # Built from what was just written: the service hands the measure back with its shares
        # and milestones (plans.editing._fetched), as a GET would read them.
        return Response(s.represent(s.MeasureSerializer, measure), status=status.HTTP_201_CREATED)


class MeasureDetailEdit(EditingErrors, views.MeasureDetail):
    @extend_schema(
        request=MeasurePatchSerializer,
        responses={
            200: s.MeasureSerializer,
            400: OpenApiResponse(description="输入有误（中文说明，逐项）"),
            409: OpenApiResponse(description="措施已被他人修改（version 已变），请重新读取"),
        },
        operation_id="measures_partial_update",
        description="市整改办修改措施内容、责任单位（完整名单）、整改时限或阶段性节点（完整名单）；只改变所发送的字段。"
        "有工作记录的单位不能移除（可改为配合）。",
    )
    def patch(self, request: Request, pk: int) -> Response:
        selectors.plan_ids(viewer=request.user)  # a role without business data: 403, found or not
        measure = selectors.measure_get(viewer=request.user, measure_id=pk)
        _require(can_add_items(request.user), "只有市整改办可以修改整改措施。")
        data = MeasurePatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        with transaction.atomic():
            changed = editing.measure_update(
                actor=request.user,
                measure=measure,
                version=v["version"],
                text=v.get("text"),
                units=_unit_roles(v["units"], "units") if "units" in v else None,
                deadline=v.get("deadline"),
                due=v.get("due"),
                milestones=_nodes(v["milestones"]) if "milestones" in v else None,
            )
            if {"责任单位", "整改时限", "阶段性节点"} & set(changed):  # what the warning rules read
                warnings_refresh(measure_ids=[measure.pk])
        return Response(_measure_out(measure))


class ProblemLeaders(EditingErrors):
    serializer_class = ProblemLeaderSerializer
    queryset = ProblemLeader.objects.none()
    pagination_class = None

    @extend_schema(responses={200: ProblemLeaderSerializer(many=True)}, operation_id="problem_leaders_list")
    def get(self, request: Request, pk: int) -> Response:
        problem = selectors.problem_get(viewer=request.user, problem_id=pk)
        return Response(ProblemLeaderSerializer(leaders.problem_leaders(problem), many=True).data)

    @extend_schema(
        request=LeaderAddSerializer,
        responses={201: ProblemLeaderSerializer, 400: OpenApiResponse(description="输入有误（中文说明）")},
        operation_id="problem_leaders_create",
        description="市整改办指定问题的包联领导（包联 / 分包）；须为领导岗位且问题在其辖区内。",
    )
    def post(self, request: Request, pk: int) -> Response:
        problem = selectors.problem_get(viewer=request.user, problem_id=pk)
        _require(can_assign_leaders(request.user), "只有市整改办可以指定包联领导。")
        data = LeaderAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = User.objects.filter(pk=v["user"]).first()
        if user is None:
            raise editing.Invalid({"user": "用户不存在。"})
        leader = leaders.problem_leader_add(
            actor=request.user, problem=problem, user=user, kind=v["kind"], title=v["title"]
        )
        return Response(ProblemLeaderSerializer(leader).data, status=status.HTTP_201_CREATED)


class ProblemLeaderDetail(EditingErrors):
    serializer_class = ProblemLeaderSerializer
    queryset = ProblemLeader.objects.none()

    @extend_schema(responses={204: None}, operation_id="problem_leaders_destroy")
    def delete(self, request: Request, pk: int, leader_id: int) -> Response:
        problem = selectors.problem_get(viewer=request.user, problem_id=pk)
        _require(can_assign_leaders(request.user), "只有市整改办可以调整包联领导。")
        leader = ProblemLeader.objects.filter(pk=leader_id, problem=problem).select_related("user").first()
        if leader is None:
            raise NotFound()
        leaders.problem_leader_remove(actor=request.user, leader=leader)
        return Response(status=status.HTTP_204_NO_CONTENT)
