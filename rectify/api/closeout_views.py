"""/api/v1/ for close-out: applications (apply for a share, a measure or a problem with evidence,
会签, resubmit, withdraw), the acceptance group's decisions, objections during 公示, reopening, and
indicators. Scoped like the pages (a co-lead asked to agree sees the application); every write
goes through rectify.closeout.services / rectify.indicators.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.closeout import selectors, services
from rectify.closeout.models import CloseoutApplication, CloseoutEvidence, CloseoutStatus, Consent, Decision
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, NotFound
from rectify.core.files import uploaded_files
from rectify.indicators import services as indicator_services
from rectify.indicators.models import Comparator, Indicator
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.plans.selectors import problem_get
from rectify.supervision import selectors as supervision_selectors

FILES_BODY = {
    "multipart/form-data": {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
}


class CloseoutEvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = CloseoutEvidence
        fields = ["id", "original_name", "type_label", "content_type", "size", "sha256", "round", "uploaded_at"]


class ConsentSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name")

    class Meta:
        model = Consent
        fields = ["unit", "unit_name", "agreed_at"]


class DecisionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Decision
        fields = ["kind", "kind_label", "opinion", "at", "evidence_name"]


class ShareLineSerializer(serializers.Serializer):
    """One counted share of a measure the application is about: which lead units are done."""

    assignment = serializers.IntegerField(source="share.pk")
    measure = serializers.IntegerField(source="share.measure_id")
    unit = serializers.IntegerField(source="share.unit_id")
    unit_name = serializers.CharField(source="share.unit.name")
    role = serializers.CharField(source="share.role")
    status = serializers.CharField(source="share.status")
    status_label = serializers.CharField(source="share.get_status_display")
    closed_on = serializers.DateField(source="share.closed_on", allow_null=True)
    reopened_count = serializers.IntegerField(source="share.reopened_count")
    covered = serializers.BooleanField(help_text="本申请所涉分工")


class ApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    scope = serializers.CharField(source="scope_label", read_only=True, help_text="本单位分工、整条措施或整个问题")
    item = serializers.CharField(source="item_label", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    evidence = CloseoutEvidenceSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = CloseoutApplication
        fields = [
            "id", "assignment", "measure", "problem", "scope", "item", "unit", "unit_name", "status", "status_label",
            "statement", "rounds", "submitted_at", "opinion", "reviewed_at", "published_on", "publish_until",
            "closed_on", "ongoing", "visit", "evidence", "consents", "decisions", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    shares = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "shares"]
        read_only_fields = fields

    @extend_schema_field(ShareLineSerializer(many=True))
    def get_shares(self, app: CloseoutApplication) -> list[dict[str, Any]]:
        lines = [line for b in selectors.share_breakdown(app) for line in b.lines]
        return list(ShareLineSerializer(lines, many=True).data)


class ApplyForm(serializers.Serializer):
    assignment = serializers.IntegerField(required=False, help_text="本单位分工（责任分工 id）：无需会签")
    measure = serializers.IntegerField(required=False)
    problem = serializers.IntegerField(required=False)
    unit = serializers.IntegerField(required=False, help_text="申请措施或问题销号的牵头单位")
    statement = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return", "site_check"])
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    seen = serializers.ChoiceField(
        choices=[CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK], required=False, help_text="页面所见状态"
    )
    visit = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="关联现场核查记录（/api/v1/visits/ 的 id，可选）：退回或要求现场核查时记入申请；无权查看的记录为 404",
    )


class UnitSerializer(serializers.Serializer):
    unit = serializers.IntegerField()


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class IndicatorSerializer(serializers.ModelSerializer):
    met = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Indicator
        fields = ["id", "problem", "measure", "name", "comparator", "target", "unit", "value", "measured_on", "source",
                  "met", "version"]  # fmt: skip
        read_only_fields = ["id", "met", "value", "measured_on", "source", "version"]


class IndicatorValueSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    value = serializers.FloatField()
    measured_on = serializers.DateField(required=False, allow_null=True, default=None)
    source = serializers.CharField(required=False, allow_blank=True, default="")  # type: ignore[assignment]


def _app_response(request: Request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    app = selectors.application_get(viewer=request.user, pk=pk)
    return Response(ApplicationDetailSerializer(app).data, status=code)


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() else None


class ApplicationList(ScopedView):
    serializer_class = ApplicationSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="状态，可多值：" + ", ".join(CloseoutStatus.values)
            ),
            OpenApiParameter("unit", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        operation_id="closeouts_list",
    )
    def get(self, request: Request) -> Response:
        filters = selectors.CloseoutFilters.from_query(request.query_params)
        qs = selectors.application_list(viewer=request.user, filters=filters).prefetch_related(
            "evidence", "consents__unit", "decisions"
        )
        return self.paged(qs, ApplicationSerializer)

    @extend_schema(request={"multipart/form-data": ApplyForm}, responses={201: ApplicationDetailSerializer})
    def post(self, request: Request) -> Response:
        selectors.application_list(viewer=request.user)  # 403 for users without a business role
        statement = str(request.data.get("statement") or "")
        files = uploaded_files(request.FILES)
        unit = None
        if _int(request.data.get("unit")):
            unit = OrgUnit.objects.filter(pk=_int(request.data.get("unit")) or 0).first()
            if unit is None:
                raise NotFound("单位不存在。")
        if _int(request.data.get("assignment")):
            share = (
                Assignment.objects.select_related("unit", "measure__problem")
                .filter(pk=_int(request.data.get("assignment")) or 0, measure__isnull=False, unit__isnull=False)
                .first()
            )
            if share is None:
                raise NotFound()
            problem_get(viewer=request.user, problem_id=share.problem_id)
            app = services.closeout_apply(
                actor=request.user, assignment=share, unit=unit, statement=statement, files=files
            )
            return _app_response(request, app.pk, status.HTTP_201_CREATED)
        measure = problem = None
        if _int(request.data.get("measure")):
            measure = (
                Measure.objects.select_related("problem").filter(pk=_int(request.data.get("measure")) or 0).first()
            )
            if measure is None:
                raise NotFound()
            problem_get(viewer=request.user, problem_id=measure.problem_id)
        elif _int(request.data.get("problem")):
            problem = problem_get(viewer=request.user, problem_id=_int(request.data.get("problem")) or 0)
        else:
            raise DomainError("请指定 assignment（本单位分工）、measure 或 problem。")
        if unit is None:
            raise DomainError("申请措施或问题销号时请指定申请单位 unit。")
        app = services.closeout_apply(
            actor=request.user, unit=unit, statement=statement, measure=measure, problem=problem, files=files
        )
        return _app_response(request, app.pk, status.HTTP_201_CREATED)


class ApplicationDetail(ScopedView):
    serializer_class = ApplicationDetailSerializer

    def get(self, request: Request, pk: int) -> Response:
        return _app_response(request, pk)


class ApplicationDecide(ScopedView):
    serializer_class = ApplicationSerializer

    @extend_schema(request=DecideSerializer, responses={200: ApplicationDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        app = selectors.application_get(viewer=request.user, pk=pk)
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        visit = None
        if data.get("visit") is not None:
            visit = supervision_selectors.visit_get(viewer=request.user, pk=data["visit"])
        services.closeout_decide(
            actor=request.user,
            app=app,
            decision=data["decision"],
            opinion=data["opinion"],
            visit=visit,
            seen=data.get("seen"),
        )
        return _app_response(request, pk)


class ApplicationConsent(ScopedView):
    serializer_class = ApplicationSerializer

    @extend_schema(request=UnitSerializer, responses={200: ApplicationDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        app = selectors.application_get(viewer=request.user, pk=pk)
        body = UnitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = OrgUnit.objects.filter(pk=body.validated_data["unit"]).first()
        if unit is None:
            raise NotFound()
        services.closeout_consent(actor=request.user, app=app, unit=unit)
        return _app_response(request, pk)


class ApplicationText(ScopedView):
    """resubmit (text = statement, files), object (text = 异议), reopen (text = 反弹情况, files), withdraw."""

    serializer_class = ApplicationSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    action = ""

    @extend_schema(request=FILES_BODY, responses={200: ApplicationDetailSerializer})
    def post(self, request: Request, pk: int) -> Response:
        app = selectors.application_get(viewer=request.user, pk=pk)
        text = str(request.data.get("text") or "")
        if self.action == "resubmit":
            services.closeout_resubmit(actor=request.user, app=app, statement=text, files=uploaded_files(request.FILES))
        elif self.action == "object":
            services.closeout_object(actor=request.user, app=app, opinion=text)
        elif self.action == "reopen":
            services.closeout_reopen(actor=request.user, app=app, reason=text, files=uploaded_files(request.FILES))
        elif self.action == "withdraw":
            services.closeout_withdraw(actor=request.user, app=app)
        return _app_response(request, pk)


class IndicatorList(ScopedView):
    serializer_class = IndicatorSerializer

    @extend_schema(parameters=[OpenApiParameter("problem", OpenApiTypes.INT, required=True)])
    def get(self, request: Request) -> Response:
        problem = problem_get(viewer=request.user, problem_id=_int(request.query_params.get("problem")) or 0)
        return self.paged(Indicator.objects.filter(problem=problem), IndicatorSerializer)

    @extend_schema(request=IndicatorSerializer, responses={201: IndicatorSerializer})
    def post(self, request: Request) -> Response:
        body = IndicatorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        problem = problem_get(viewer=request.user, problem_id=data["problem"].pk)
        indicator = indicator_services.indicator_define(
            actor=request.user,
            problem=problem,
            name=data["name"],
            comparator=data.get("comparator", Comparator.AT_LEAST),
            target=data["target"],
            unit=data.get("unit", ""),
            measure=data.get("measure"),
        )
        return Response(IndicatorSerializer(indicator).data, status=status.HTTP_201_CREATED)


class IndicatorValue(ScopedView):
    serializer_class = IndicatorSerializer

    @extend_schema(request=IndicatorValueSerializer, responses={200: IndicatorSerializer})
    def post(self, request: Request, pk: int) -> Response:
        indicator = Indicator.objects.select_related("problem").filter(pk=pk).first()
        if indicator is None:
            raise NotFound()
        problem_get(viewer=request.user, problem_id=indicator.problem_id)
        body = IndicatorValueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        indicator_services.indicator_report(
            actor=request.user,
            indicator=indicator,
            value=data["value"],
            measured_on=data["measured_on"],
            source=data["source"],
            version=data["version"],
        )
        return Response(IndicatorSerializer(indicator).data)
