"""/api/v1/ for close-out: applications (apply with evidence, 会签, resubmit, withdraw), the
acceptance group's decisions, objections during 公示, reopening, and indicators. Scoped like the
pages; every write goes through rectify.closeout.services / rectify.indicators.services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
from rectify.plans.models import Measure
from rectify.plans.selectors import problem_get

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


class ApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    item = serializers.CharField(source="item_label", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    evidence = CloseoutEvidenceSerializer(many=True, read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    decisions = DecisionSerializer(many=True, read_only=True)

    class Meta:
        model = CloseoutApplication
        fields = [
            "id", "measure", "problem", "item", "unit", "unit_name", "status", "status_label", "statement", "rounds",
            "submitted_at", "opinion", "reviewed_at", "published_on", "publish_until", "closed_on", "ongoing",
            "evidence", "consents", "decisions", "version",
        ]  # fmt: skip
        read_only_fields = fields


class ApplyForm(serializers.Serializer):
    measure = serializers.IntegerField(required=False)
    problem = serializers.IntegerField(required=False)
    unit = serializers.IntegerField()
    statement = serializers.CharField()
    files = serializers.ListField(child=serializers.FileField(), required=False)


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["accept", "return", "site_check"])
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    seen = serializers.ChoiceField(
        choices=[CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK], required=False, help_text="页面所见状态"
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
    return Response(ApplicationSerializer(app).data, status=code)


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

    @extend_schema(request={"multipart/form-data": ApplyForm}, responses={201: ApplicationSerializer})
    def post(self, request: Request) -> Response:
        selectors.application_list(viewer=request.user)  # 403 for users without a business role
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
            raise DomainError("请指定 measure 或 problem。")
        unit = OrgUnit.objects.filter(pk=_int(request.data.get("unit")) or 0).first()
        if unit is None:
            raise NotFound("单位不存在。")
        app = services.closeout_apply(
            actor=request.user,
            unit=unit,
            statement=str(request.data.get("statement") or ""),
            measure=measure,
            problem=problem,
            files=uploaded_files(request.FILES),
        )
        return _app_response(request, app.pk, status.HTTP_201_CREATED)


class ApplicationDetail(ScopedView):
    serializer_class = ApplicationSerializer

    def get(self, request: Request, pk: int) -> Response:
        return _app_response(request, pk)


class ApplicationDecide(ScopedView):
    serializer_class = ApplicationSerializer

    @extend_schema(request=DecideSerializer, responses={200: ApplicationSerializer})
    def post(self, request: Request, pk: int) -> Response:
        app = selectors.application_get(viewer=request.user, pk=pk)
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.closeout_decide(
            actor=request.user, app=app, decision=data["decision"], opinion=data["opinion"], seen=data.get("seen")
        )
        return _app_response(request, pk)


class ApplicationConsent(ScopedView):
    serializer_class = ApplicationSerializer

    @extend_schema(request=UnitSerializer, responses={200: ApplicationSerializer})
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

    @extend_schema(request=FILES_BODY, responses={200: ApplicationSerializer})
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
