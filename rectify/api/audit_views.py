"""/api/v1/ twins of the audit log pages (issue 17, parity), for the audit administrator only:
the events with the page's filters, each described in words as the page says it
(audit.describe), the filters' choices, and the chain's verifications — list, and run one now
(audit:verify). Anyone else gets the page's 403 message."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from django.utils.html import strip_tags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.audit.describe import Described, action_words, describe_events
from rectify.audit.models import AuditEvent, AuditVerification
from rectify.audit.policies import can_read_audit_log
from rectify.audit.selectors import LogFilters, audit_log, audit_log_choices
from rectify.audit.services import audit_verify_run
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden

# --- serializers ------------------------------------------------------------------------------


class AuditChangeSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="字段名称（中文）")  # type: ignore[assignment]  # DRF collects it as a field
    before = serializers.CharField(allow_null=True, help_text="变更前（文字）；null 为此前无值")
    after = serializers.CharField(allow_null=True, help_text="变更后（文字）；null 为已删除")


class AuditEventSerializer(serializers.Serializer):
    """One event as the audit log page shows it: who, the sentence, what changed, in words."""

    id = serializers.IntegerField(source="event.pk")
    seq = serializers.IntegerField(source="event.seq", help_text="留痕链中的序号")
    at = serializers.DateTimeField(source="event.at")
    who = serializers.CharField(help_text="操作人（姓名，或“系统”等程序名）")
    unit = serializers.CharField(help_text="操作人所在单位")
    actor = serializers.IntegerField(source="event.actor_id", allow_null=True, help_text="操作人账号编号")
    action = serializers.CharField(source="event.action", help_text="动作代码（筛选用）")
    action_label = serializers.SerializerMethodField(help_text="动作（文字）")
    object_type = serializers.CharField(source="event.object_type", help_text="事项类型代码（筛选用）")
    kind = serializers.CharField(help_text="事项类型（文字）")
    object_id = serializers.CharField(source="event.object_id")
    object_repr = serializers.CharField(source="event.object_repr", help_text="事项名称")
    sentence = serializers.SerializerMethodField(help_text="一句话说明（与审计日志页面相同的文字）")
    changes = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField(help_text="说明")

    def get_action_label(self, d: Described) -> str:
        return action_words(d.event.action)

    def get_sentence(self, d: Described) -> str:
        return html.unescape(strip_tags(str(d.sentence)))

    def get_note(self, d: Described) -> str:
        return d.note.full if d.note else ""

    @extend_schema_field(AuditChangeSerializer(many=True))
    def get_changes(self, d: Described) -> list[dict[str, Any]]:
        return [
            {
                "label": c.label,
                "before": c.before.full if c.before is not None else None,
                "after": c.after.full if c.after is not None else None,
            }
            for c in d.changes
        ]


class AuditVerificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditVerification
        fields = [
            "id", "at", "trigger", "ok", "events", "head_seq", "head_hash", "broken_seq", "broken_id",
            "broken_kind", "message", "seconds",
        ]  # fmt: skip
        read_only_fields = fields


class AuditChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="筛选时传入的值")
    label = serializers.CharField(help_text="文字")  # type: ignore[assignment]


class AuditChoiceGroupSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    choices = AuditChoiceSerializer(many=True)


class AuditChoicesSerializer(serializers.Serializer):
    people = AuditChoiceSerializer(many=True, help_text="操作人（参数 actor）")
    types = AuditChoiceSerializer(many=True, help_text="事项类型（参数 type）")
    actions = AuditChoiceGroupSerializer(many=True, help_text="操作，按类别分组（参数 action；以“.”结尾的为整个类别）")


# --- filters ----------------------------------------------------------------------------------

LOG_FILTERS = [
    OpenApiParameter("actor", OpenApiTypes.STR, description="操作人名称（见 choices 的 people）"),
    OpenApiParameter("type", OpenApiTypes.STR, description="事项类型代码（见 choices 的 types）"),
    OpenApiParameter("action", OpenApiTypes.STR, description="动作代码，或以“.”结尾的整个类别"),
    OpenApiParameter("since", OpenApiTypes.DATE, description="起始日期（含）"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="截止日期（含）"),
    OpenApiParameter("q", OpenApiTypes.STR, description="事项编号或名称"),
    OpenApiParameter("item", OpenApiTypes.STR, description="只看一个事项：类型代码:编号，如 plans.problem:12"),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


def log_filters(params: Any) -> LogFilters:
    """The page's filters (audit.views): a date that is not one is refused here (the page names it
    and leaves it out); dates in the wrong order are swapped, as on the page."""

    def text(name: str, *, fallback: str = "") -> str:
        return str(params.get(name) or params.get(fallback) or "").strip()[:120]

    dates: dict[str, dt.date | None] = {}
    for name, label in (("since", "起始日期"), ("until", "截止日期")):
        raw = text(name)
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise DomainError(f"{label}“{raw}”不是有效日期（应为 年-月-日）。") from None
    since, until = dates["since"], dates["until"]
    if since and until and since > until:
        since, until = until, since
    return LogFilters(
        actor=text("actor"),
        object_type=text("type", fallback="object_type"),
        action=text("action"),
        since=since,
        until=until,
        q=text("q"),
        item=text("item"),
    )


# --- views ------------------------------------------------------------------------------------


class AuditEventList(ScopedView):
    """审计日志（仅审计管理员）：筛选与页面相同，每条以文字说明。"""

    serializer_class = AuditEventSerializer
    queryset = AuditEvent.objects.none()  # for the schema generator only
    filter_backends: list[Any] = []

    @extend_schema(parameters=LOG_FILTERS, operation_id="audit_events_list", summary="审计日志")
    def get(self, request: Request) -> Response:
        events = audit_log(viewer=request.user, filters=log_filters(request.query_params))
        page = self.paginate_queryset(events)
        lines = describe_events(page or [], links="none")
        return self.get_paginated_response(AuditEventSerializer(lines, many=True).data)


class AuditChoices(ScopedView):
    """审计日志筛选项：有留痕的人员、事项类型与操作（文字）。"""

    serializer_class = AuditChoicesSerializer

    @extend_schema(responses={200: AuditChoicesSerializer}, summary="审计日志筛选项")
    def get(self, request: Request) -> Response:
        choices = audit_log_choices(viewer=request.user)
        return Response(AuditChoicesSerializer(choices).data)


class VerificationList(ScopedView):
    """防篡改校验：历次结果（最新在前），及立即校验一次。"""

    serializer_class = AuditVerificationSerializer
    queryset = AuditVerification.objects.none()  # for the schema generator only
    filter_backends: list[Any] = []

    @extend_schema(
        parameters=[OpenApiParameter("page_size", OpenApiTypes.INT)],
        operation_id="audit_verifications_list",
        summary="防篡改校验记录",
    )
    def get(self, request: Request) -> Response:
        if not can_read_audit_log(request.user):
            raise Forbidden("只有审计管理员可以查看审计日志。")
        return self.paged(AuditVerification.objects.order_by("-id"), AuditVerificationSerializer)

    @extend_schema(request=None, responses={201: AuditVerificationSerializer}, summary="立即校验留痕链")
    def post(self, request: Request) -> Response:
        if not can_read_audit_log(request.user):
            raise Forbidden("只有审计管理员可以校验审计日志。")
        run = audit_verify_run(trigger=f"审计管理员 {request.user.get_username()}")
        return Response(AuditVerificationSerializer(run).data, status=status.HTTP_201_CREATED)
