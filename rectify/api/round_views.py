"""/api/v1/ for 督察轮次: rounds (list with the caller's counts, detail, create, update), a plan's
round, and the links between the same problem in two rounds (list, create, delete). Scoped like
the pages and written through the same services (rectify.plans.rounds): the same rules and the
same Chinese messages (400 {"detail": "…"}), 403 for a role that may not, 404 outside the scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.plans import round_selectors as rs
from rectify.plans import rounds, selectors
from rectify.plans.models import InspectionRound, Plan, Problem, ProblemLink
from rectify.plans.policies import can_manage_rounds


class RoundCountsSerializer(serializers.Serializer):
    plans = serializers.IntegerField(help_text="本轮次中调用者有权查看的整改方案数")
    problems = serializers.IntegerField(help_text="其中调用者有权查看的问题数")
    closed = serializers.IntegerField(help_text="已销号（含“已完成、长期坚持”）的问题数")
    recurred = serializers.IntegerField(help_text="反弹（前后轮次再次发现）的问题数")


class RoundSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    counts = serializers.SerializerMethodField()

    class Meta:
        model = InspectionRound
        fields = [
            "id", "name", "level", "level_label", "round_no", "kind", "kind_label", "topic", "started_on",
            "ended_on", "feedback_on", "version", "counts",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(RoundCountsSerializer)
    def get_counts(self, r: InspectionRound) -> dict[str, int]:
        counts = self.context.get("counts", {}).get(r.pk, rs.RoundCounts())
        return dict(RoundCountsSerializer(counts).data)


class RoundPlanSerializer(serializers.ModelSerializer):
    problems = serializers.IntegerField(source="visible_problems", read_only=True, help_text="调用者有权查看的问题数")

    class Meta:
        model = Plan
        fields = ["id", "title", "start_on", "problems"]
        read_only_fields = fields


class RoundDetailSerializer(RoundSerializer):
    plans = serializers.SerializerMethodField()

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "plans"]
        read_only_fields = fields

    @extend_schema_field(RoundPlanSerializer(many=True))
    def get_plans(self, r: InspectionRound) -> list[dict[str, Any]]:
        return list(RoundPlanSerializer(self.context.get("plans", []), many=True).data)


class RoundWriteSerializer(serializers.Serializer):
    """The body of a create (name and level required) or an update (any fields, and version)."""

    name = serializers.CharField(required=False, help_text="如“第二轮中央生态环境保护督察”")
    level = serializers.ChoiceField(choices=InspectionRound.Level.choices, required=False)
    kind = serializers.ChoiceField(choices=InspectionRound.Kind.choices, required=False)
    round_no = serializers.IntegerField(required=False, allow_null=True, help_text="第几轮（1–99），可为空")
    topic = serializers.CharField(required=False, allow_blank=True, help_text="专项督察主题（专项督察必填）")
    started_on = serializers.DateField(required=False, allow_null=True, help_text="进驻日期")
    ended_on = serializers.DateField(required=False, allow_null=True, help_text="结束日期")
    feedback_on = serializers.DateField(required=False, allow_null=True, help_text="反馈日期")
    version = serializers.IntegerField(required=False, help_text="修改时必填：读取时的版本号")


class PlanRoundSerializer(serializers.Serializer):
    round = serializers.IntegerField(allow_null=True, help_text="督察轮次编号；null 表示移出督察轮次")


class PlanWithRoundSerializer(serializers.ModelSerializer):
    round_name = serializers.CharField(source="round.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Plan
        fields = ["id", "title", "round", "round_name"]
        read_only_fields = fields


class LinkedProblemSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    round = serializers.IntegerField(source="plan.round_id", read_only=True, allow_null=True)
    round_name = serializers.CharField(source="plan.round.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Problem
        fields = ["id", "number", "text", "status", "status_label", "closed_on", "recurred", "round", "round_name"]
        read_only_fields = fields


class LinkSerializer(serializers.ModelSerializer):
    earlier = LinkedProblemSerializer(read_only=True)
    later = LinkedProblemSerializer(read_only=True)
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ProblemLink
        fields = ["id", "earlier", "later", "note", "is_relapse", "created_at", "created_by_name"]
        read_only_fields = fields

    def get_created_by_name(self, link: ProblemLink) -> str:
        user = link.created_by
        return (user.get_full_name() or user.get_username()) if user else ""


class LinkCreateSerializer(serializers.Serializer):
    earlier = serializers.IntegerField(
        help_text="前一督察轮次中的同一问题（问题编号 id）；路径中的问题为后一轮次的问题"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="说明（可选，300字以内）")


def _int(value: Any) -> int | None:
    text = str(value if value is not None else "")
    return int(text) if text.isascii() and text.isdigit() else None


def _body(request: Request) -> Mapping[str, Any]:
    """The request body as a mapping; a JSON list or scalar is refused in Chinese, not a 500."""
    if not isinstance(request.data, Mapping):
        raise DomainError('请求体应为 JSON 对象（如 {"name": "…"}）。')
    return request.data


def _manager(request: Request, message: str) -> None:
    if not can_manage_rounds(request.user):
        raise Forbidden(message)


def _round_response(request: Request, r: InspectionRound, code: int = status.HTTP_200_OK) -> Response:
    context = {
        "counts": {r.pk: rs.round_row(viewer=request.user, round=r).counts},
        "plans": rs.round_plans(viewer=request.user, round=r),
    }
    return Response(RoundDetailSerializer(r, context=context).data, status=code)


class RoundList(ScopedView):
    serializer_class = RoundSerializer
    queryset = InspectionRound.objects.none()  # for the schema generator only
    pagination_class = None

    @extend_schema(operation_id="rounds_list", responses={200: RoundSerializer(many=True)})
    def get(self, request: Request) -> Response:
        rows = rs.round_list(viewer=request.user)
        counts = {row.round.pk: row.counts for row in rows}
        return Response(RoundSerializer([row.round for row in rows], many=True, context={"counts": counts}).data)

    @extend_schema(request=RoundWriteSerializer, responses={201: RoundDetailSerializer})
    def post(self, request: Request) -> Response:
        rs.round_list(viewer=request.user)  # 403 for a caller without business data
        r = rounds.round_create(actor=request.user, data=rounds.round_input(_body(request)))
        return _round_response(request, r, status.HTTP_201_CREATED)


class RoundDetail(ScopedView):
    serializer_class = RoundDetailSerializer
    queryset = InspectionRound.objects.none()  # for the schema generator only

    def get(self, request: Request, pk: int) -> Response:
        return _round_response(request, rs.round_get(viewer=request.user, round_id=pk))

    @extend_schema(request=RoundWriteSerializer, responses={200: RoundDetailSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        r = rs.round_get(viewer=request.user, round_id=pk)
        _manager(request, rounds.MANAGE_MESSAGE)
        body = _body(request)
        version = _int(body.get("version"))
        if version is None:
            raise DomainError("请提供读取时的版本号 version（防止覆盖他人的修改）。")
        data = rounds.round_input_merge(r, body)
        rounds.round_update(actor=request.user, round=r, data=data, version=version)
        return _round_response(request, r)


class PlanRound(ScopedView):
    """Put a plan in a round, or take it out (round null)."""

    serializer_class = PlanWithRoundSerializer
    queryset = Plan.objects.none()  # for the schema generator only

    @extend_schema(request=PlanRoundSerializer, responses={200: PlanWithRoundSerializer})
    def post(self, request: Request, pk: int) -> Response:
        plan = selectors.plan_ids(viewer=request.user).filter(pk=pk).select_related("round").first()
        if plan is None:
            raise NotFound()
        _manager(request, rounds.MANAGE_MESSAGE)
        body = _body(request)
        if "round" not in body:
            raise DomainError("请提供 round（督察轮次编号，或 null 表示移出督察轮次）。")
        target = None
        if body.get("round") not in (None, ""):
            round_id = _int(body.get("round"))
            target = InspectionRound.objects.filter(pk=round_id or 0).first()
            if target is None:
                raise DomainError("督察轮次不存在。")
        rounds.plan_set_round(actor=request.user, plan=plan, round=target)
        return Response(PlanWithRoundSerializer(plan).data)


class ProblemLinks(ScopedView):
    """The problem's links both ways (GET); link it, as the later round's problem, to the same
    problem of an earlier round (POST)."""

    serializer_class = LinkSerializer
    queryset = Problem.objects.none()  # for the schema generator only
    pagination_class = None

    @extend_schema(operation_id="problem_links_list", responses={200: LinkSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        problem = selectors.problem_get(viewer=request.user, problem_id=pk)
        links = rs.problem_links(viewer=request.user, problem=problem)
        return Response(LinkSerializer([*links.earlier, *links.later], many=True).data)

    @extend_schema(request=LinkCreateSerializer, responses={201: LinkSerializer})
    def post(self, request: Request, pk: int) -> Response:
        later = selectors.problem_get(viewer=request.user, problem_id=pk)
        _manager(request, rounds.LINK_MESSAGE)
        body = _body(request)
        earlier_id = _int(body.get("earlier"))
        if not earlier_id:
            raise DomainError("请提供 earlier（前一督察轮次中的同一问题的编号）。")
        earlier = selectors.problem_get(viewer=request.user, problem_id=earlier_id)
        link = rounds.problem_link(actor=request.user, earlier=earlier, later=later, note=str(body.get("note") or ""))
        link = rs.link_get(viewer=request.user, link_id=link.pk)
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class LinkDetail(ScopedView):
    serializer_class = LinkSerializer
    queryset = ProblemLink.objects.none()  # for the schema generator only

    def get(self, request: Request, pk: int) -> Response:
        return Response(LinkSerializer(rs.link_get(viewer=request.user, link_id=pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        link = rs.link_get(viewer=request.user, link_id=pk)
        rounds.problem_unlink(actor=request.user, link=link)
        return Response(status=status.HTTP_204_NO_CONTENT)
