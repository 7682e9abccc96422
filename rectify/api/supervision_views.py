"""/api/v1/ for supervision (督办): notices and their replies, escalation and Rectify's
proposals, extension requests, on-site records and 挂牌督办/约谈 flags. Scoped exactly like the
pages; every write goes through rectify.supervision.notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import uploaded_files
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import FlagKind, Measure, Problem
from rectify.plans.selectors import problem_get
from rectify.supervision import extensions, flags, notices, proposals, selectors, visits
from rectify.supervision.models import (
    Attachment,
    ExtensionRequest,
    NoticeKind,
    NoticeStatus,
    SiteVisit,
    SupervisionFlag,
    SupervisionNotice,
)

from .fields import id_field, id_list


def _business(request: Request) -> None:
    if not viewer_scope(request.user).is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")


def _unit(request: Request, pk: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=pk, is_active=True).first()
    if unit is None or not viewer_scope(request.user).covers_unit(unit.pk):
        raise NotFound("单位不存在，或您无权查看。")
    return unit


def _measures(unit: OrgUnit, ids: list[int]) -> list[Measure]:
    found = list(Measure.objects.filter(pk__in=ids, assignments__unit=unit).distinct().select_related("problem"))
    if len(found) != len(set(ids)):
        raise DomainError("所选措施不属于该单位的整改任务。")
    return found


# --- serializers ------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "type_label", "content_type", "size", "sha256", "uploaded_at"]


class NoticeSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    measures: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    copy_to = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="抄送机关（印在版记）")

    class Meta:
        model = SupervisionNotice
        fields = [
            "id", "kind", "kind_label", "status", "status_label", "number", "year", "serial", "issuer",
            "issuer_name", "unit", "unit_name", "measures", "title", "body", "response_due", "issued_on",
            "copy_to", "escalated_from", "skip_reason", "proposal", "reply_text", "replied_at", "return_reason",
            "close_note", "closed_on", "attachments", "version",
        ]  # fmt: skip
        read_only_fields = fields


COPY_TO_HELP = (
    "抄送机关，与页面相同：每项一个机关名称，或用逗号、顿号、分号、换行分隔的多个名称；"
    "去重后最多 20 个，印在文书版记“抄送：…。”"
)


def copy_to_field(**kwargs: Any) -> serializers.ListField:
    # Blank items are skipped by clean_copy_to, like an empty "typed" box on the page.
    kwargs.setdefault("help_text", COPY_TO_HELP)
    return serializers.ListField(child=serializers.CharField(allow_blank=True), **kwargs)


class NoticeCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    unit = id_field()
    measures = id_list(required=False, default=list)
    title = serializers.CharField(required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    response_due = serializers.DateField(required=False, allow_null=True, default=None)
    copy_to = copy_to_field(required=False, default=list)
    issue = serializers.BooleanField(required=False, default=False, help_text="创建后立即印发")
    skip_reason = serializers.CharField(required=False, allow_blank=True, default="")


class NoticeUpdateSerializer(serializers.Serializer):
    """PATCH on a draft: every field is optional; a field not sent keeps the draft's value."""

    version = serializers.IntegerField(required=False, help_text="读取时的版本号；发送则校验，他人已修改时返回 409")
    # Blank is let through so the service refuses it with the page's message.
    title = serializers.CharField(required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True)
    response_due = serializers.DateField(required=False, allow_null=True, help_text="回复期限；null 即不设期限")
    measures = id_list(required=False)
    copy_to = copy_to_field(required=False, help_text=COPY_TO_HELP + "；发送空列表即取消抄送")
    skip_reason = serializers.CharField(required=False, allow_blank=True)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class ProposalShareSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    measure = serializers.IntegerField(source="measure_id")
    role = serializers.CharField()
    progress = serializers.IntegerField(allow_null=True, help_text="本单位报送进度（%），未报送为 null")
    warning_level = serializers.CharField()
    due_on = serializers.DateField(allow_null=True, help_text="本单位整改时限（经批准延期后为新日期）")
    due_extended = serializers.BooleanField()


class ProposalSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    unit = serializers.IntegerField(source="unit.pk")
    unit_name = serializers.CharField(source="unit.name")
    measures = serializers.SerializerMethodField()
    reason = serializers.CharField()
    notice = serializers.IntegerField(source="notice.pk", allow_null=True, default=None)

    shares = serializers.SerializerMethodField(help_text="主送单位自身承担部分（不是措施的汇总）")

    def get_measures(self, obj: proposals.Proposal) -> list[int]:
        return [m.pk for m in obj.measures]

    @extend_schema_field(ProposalShareSerializer(many=True))
    def get_shares(self, obj: proposals.Proposal) -> Any:
        return ProposalShareSerializer(obj.shares, many=True).data


class ExtensionSerializer(serializers.ModelSerializer):
    """A request for one unit's share: `old_due` is that share's date when asked, `approved_due`
    its new one; `unit_due_on` is the share's date now; the measure's own date never moves."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    unit_due_on = serializers.DateField(source="share_due", read_only=True, help_text="申请单位承担部分现在的整改时限")
    unit_due_extended = serializers.BooleanField(source="share_extended", read_only=True)
    measure_due_on = serializers.DateField(
        source="measure_due", read_only=True, help_text="措施的整改时限（不随延期变化）"
    )

    class Meta:
        model = ExtensionRequest
        fields = [
            "id", "measure", "unit", "unit_name", "status", "status_label", "reason", "old_due", "requested_due",
            "approved_due", "unit_due_on", "unit_due_extended", "measure_due_on", "decision_note", "created_at",
            "decided_at", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ExtensionCreateSerializer(serializers.Serializer):
    measure = id_field()
    unit = id_field()
    reason = serializers.CharField()
    requested_due = serializers.DateField()


class ExtensionDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    approved_due = serializers.DateField(required=False, allow_null=True, default=None)


class VisitTaskSerializer(serializers.Serializer):
    unit = id_field()
    text = serializers.CharField()
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class VisitTaskOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    unit = serializers.IntegerField(source="unit_id")
    unit_name = serializers.CharField(source="unit.name")
    text = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)


class VisitSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)
    problems: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    tasks = VisitTaskOutSerializer(many=True, read_only=True)
    photos = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = SiteVisit
        fields = [
            "id", "visited_on", "region", "region_name", "title", "leaders", "places", "problems", "cases",
            "findings", "tasks", "photos",
        ]  # fmt: skip
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    visited_on = serializers.DateField()
    region = id_field()
    title = serializers.CharField()
    leaders = serializers.CharField()
    places = serializers.CharField()
    findings = serializers.CharField()
    cases = serializers.CharField(required=False, allow_blank=True, default="")
    problems = id_list(required=False, default=list)
    tasks = VisitTaskSerializer(many=True, required=False, default=list)


class FlagSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = SupervisionFlag
        fields = ["id", "kind", "kind_label", "problem", "unit", "reason", "set_on", "lifted_on", "lift_reason"]
        read_only_fields = fields


class FlagCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FlagKind.choices)
    problem = id_field(required=False, allow_null=True, default=None)
    unit = id_field(required=False, allow_null=True, default=None)
    reason = serializers.CharField()


# --- notices ----------------------------------------------------------------------------------

NOTICE_FILTERS = [
    OpenApiParameter("kind", OpenApiTypes.STR, description="类型，可多值（逗号分隔）：" + ", ".join(NoticeKind.values)),
    OpenApiParameter("status", OpenApiTypes.STR, description="状态，可多值：" + ", ".join(NoticeStatus.values)),
    OpenApiParameter("unit", OpenApiTypes.INT, description="主送单位"),
    OpenApiParameter("q", OpenApiTypes.STR, description="标题或文号"),
    OpenApiParameter("page_size", OpenApiTypes.INT),
]


def _notice_response(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    notice = selectors.notice_get(viewer=request.user, pk=pk)
    return Response(NoticeSerializer(notice).data, status=code)


class NoticeList(ScopedView):
    serializer_class = NoticeSerializer

    @extend_schema(parameters=NOTICE_FILTERS, operation_id="notices_list")
    def get(self, request: Request) -> Response:
        _business(request)
        filters = selectors.NoticeFilters.from_query(request.query_params)
        qs = selectors.notice_list(viewer=request.user, filters=filters).prefetch_related("measures", "attachments")
        return self.paged(qs, NoticeSerializer)

    @extend_schema(request=NoticeCreateSerializer, responses={201: NoticeSerializer})
    def post(self, request: Request) -> Response:
        _business(request)
        body = NoticeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        unit = _unit(request, data["unit"])
        notice = notices.notice_draft(
            actor=request.user,
            data=notices.NoticeInput(
                kind=data["kind"],
                unit=unit,
                measures=_measures(unit, data["measures"]),
                title=data["title"],
                body=data["body"],
                response_due=data["response_due"],
                skip_reason=data["skip_reason"],
                copy_to=data["copy_to"],
            ),
        )
        if data["issue"]:
            notices.notice_issue(actor=request.user, notice=notice, skip_reason=data["skip_reason"])
        return _notice_response(request, notice.pk, status.HTTP_201_CREATED)


class NoticeDetail(ScopedView):
    serializer_class = NoticeSerializer

    def get(self, request: Request, pk: int) -> Response:
        _business(request)
        return _notice_response(request, pk)

    @extend_schema(request=NoticeUpdateSerializer, responses={200: NoticeSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        _business(request)
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        body = NoticeUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ids = data.get("measures")
        measures = _measures(notice.unit, ids) if ids is not None else list(notice.measures.all())
        # PATCH: what was not sent keeps the draft's value; the fields not sent were read with
        # this version, so a save in between is a 409, not a silent undo.
        notices.notice_update(
            actor=request.user,
            notice=notice,
            version=data.get("version", notice.version),
            data=notices.NoticeInput(
                kind=notice.kind,
                unit=notice.unit,
                measures=measures,
                title=data.get("title", notice.title),
                body=data.get("body", notice.body),
                response_due=data.get("response_due", notice.response_due),
                skip_reason=data.get("skip_reason", notice.skip_reason),
                copy_to=data.get("copy_to", notice.copy_to),
            ),
        )
        return _notice_response(request, pk)


class NoticeAction(ScopedView):
    """issue (text = 越级理由), return (text = 退回理由), close (text = 办结意见), cancel."""

    serializer_class = NoticeSerializer
    action = ""

    @extend_schema(request=TextSerializer, responses={200: NoticeSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        body = TextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        text = body.validated_data["text"]
        if self.action == "issue":
            notices.notice_issue(actor=request.user, notice=notice, skip_reason=text)
        elif self.action == "return":
            notices.notice_return_reply(actor=request.user, notice=notice, reason=text)
        elif self.action == "close":
            notices.notice_close(actor=request.user, notice=notice, note=text)
        elif self.action == "cancel":
            notices.notice_cancel(actor=request.user, notice=notice)
        return _notice_response(request, pk)


class NoticeReply(ScopedView):
    serializer_class = NoticeSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "text": {"type": "string"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
                "required": ["text"],
            }
        },
        responses={200: NoticeSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        files = uploaded_files(request.FILES, default_name="附件")
        notices.notice_reply(actor=request.user, notice=notice, text=str(request.data.get("text") or ""), files=files)
        return _notice_response(request, pk)


class NoticeEscalate(ScopedView):
    serializer_class = NoticeSerializer

    @extend_schema(request=TextSerializer, responses={201: NoticeSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        notice = selectors.notice_get(viewer=request.user, pk=pk)
        draft = notices.notice_escalate(actor=request.user, notice=notice, proposal=str(request.data.get("text") or ""))
        return _notice_response(request, draft.pk, status.HTTP_201_CREATED)


class ProposalList(ScopedView):
    serializer_class = ProposalSerializer

    queryset = SupervisionNotice.objects.none()  # for the schema generator only

    @extend_schema(responses={200: ProposalSerializer(many=True)}, operation_id="notice_proposals_list")
    def get(self, request: Request) -> Response:
        _business(request)
        return Response(ProposalSerializer(proposals.proposals(viewer=request.user), many=True).data)


# --- extensions -------------------------------------------------------------------------------


def _extension(request: Request, pk: int) -> ExtensionRequest:
    ext = extensions.with_share_due(selectors.extension_list(viewer=request.user)).filter(pk=pk).first()
    if ext is None:
        raise NotFound()
    return ext


class ExtensionList(ScopedView):
    serializer_class = ExtensionSerializer

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR), OpenApiParameter("page_size", int)])
    def get(self, request: Request) -> Response:
        _business(request)
        qs = selectors.extension_list(viewer=request.user, status=str(request.query_params.get("status") or ""))
        return self.paged(extensions.with_share_due(qs), ExtensionSerializer)

    @extend_schema(request=ExtensionCreateSerializer, responses={201: ExtensionSerializer})
    def post(self, request: Request) -> Response:
        _business(request)
        body = ExtensionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        measure = Measure.objects.select_related("problem").filter(pk=data["measure"]).first()
        if measure is None:
            raise NotFound()
        problem_get(viewer=request.user, problem_id=measure.problem_id)
        ext = extensions.extension_request(
            actor=request.user,
            measure=measure,
            unit=_unit(request, data["unit"]),
            reason=data["reason"],
            requested_due=data["requested_due"],
        )
        return Response(ExtensionSerializer(_extension(request, ext.pk)).data, status=status.HTTP_201_CREATED)


class ExtensionDecide(ScopedView):
    serializer_class = ExtensionSerializer

    @extend_schema(request=ExtensionDecideSerializer, responses={200: ExtensionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        ext = selectors.extension_get(viewer=request.user, pk=pk)
        body = ExtensionDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        extensions.extension_decide(
            actor=request.user, ext=ext, approve=data["approve"], note=data["note"], approved_due=data["approved_due"]
        )
        return Response(ExtensionSerializer(_extension(request, pk)).data)


# --- on-site visits ---------------------------------------------------------------------------


class VisitList(ScopedView):
    serializer_class = VisitSerializer

    @extend_schema(parameters=[OpenApiParameter("page_size", int)], operation_id="visits_list")
    def get(self, request: Request) -> Response:
        _business(request)
        return self.paged(
            selectors.visit_list(viewer=request.user).prefetch_related("problems", "photos"), VisitSerializer
        )

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer})
    def post(self, request: Request) -> Response:
        _business(request)
        body = VisitCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        problems = list(Problem.objects.filter(pk__in=data["problems"]))
        tasks: list[tuple[OrgUnit, str, dt.date | None]] = [
            (_unit(request, t["unit"]), t["text"], t["due_on"]) for t in data["tasks"]
        ]
        visit = visits.visit_record(
            actor=request.user,
            data=visits.VisitInput(
                visited_on=data["visited_on"],
                region=_unit(request, data["region"]),
                title=data["title"],
                leaders=data["leaders"],
                places=data["places"],
                findings=data["findings"],
                cases=data["cases"],
                problems=problems,
                tasks=tasks,
            ),
        )
        return Response(VisitSerializer(selectors.visit_get(viewer=request.user, pk=visit.pk)).data, status=201)


class VisitDetail(ScopedView):
    serializer_class = VisitSerializer

    def get(self, request: Request, pk: int) -> Response:
        _business(request)
        return Response(VisitSerializer(selectors.visit_get(viewer=request.user, pk=pk)).data)


class VisitPhotos(ScopedView):
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={201: AttachmentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        visit = selectors.visit_get(viewer=request.user, pk=pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("请选择要上传的照片。")
        photo = visits.visit_photo_add(
            actor=request.user, visit=visit, filename=upload.name or "照片", content=upload.read()
        )
        return Response(AttachmentSerializer(photo).data, status=status.HTTP_201_CREATED)


# --- flags ------------------------------------------------------------------------------------


class FlagList(ScopedView):
    serializer_class = FlagSerializer

    @extend_schema(parameters=[OpenApiParameter("all", OpenApiTypes.BOOL, description="含已解除")])
    def get(self, request: Request) -> Response:
        _business(request)
        active = str(request.query_params.get("all") or "") not in ("1", "true")
        return self.paged(selectors.flag_list(viewer=request.user, active=active), FlagSerializer)

    @extend_schema(request=FlagCreateSerializer, responses={201: FlagSerializer})
    def post(self, request: Request) -> Response:
        _business(request)
        body = FlagCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problem = problem_get(viewer=request.user, problem_id=data["problem"]) if data["problem"] else None
        unit = _unit(request, data["unit"]) if data["unit"] else None
        flag = flags.flag_set(actor=request.user, kind=data["kind"], reason=data["reason"], problem=problem, unit=unit)
        return Response(FlagSerializer(flag).data, status=status.HTTP_201_CREATED)


class FlagLift(ScopedView):
    serializer_class = FlagSerializer

    @extend_schema(request=TextSerializer, responses={200: FlagSerializer})
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        flag = selectors.flag_list(viewer=request.user).filter(pk=pk).first()
        if flag is None:
            raise NotFound()
        flag = flags.flag_lift(actor=request.user, flag=flag, reason=str(request.data.get("text") or ""))
        return Response(FlagSerializer(flag).data)
