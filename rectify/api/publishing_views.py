"""/api/v1/ for 信息公开: which plan and which of its problems the public portal shows, and
whether an issued 月通报 or 工作简报 is on the portal. The city office only (403 for any other
role); written through rectify.plans.publishing and rectify.documents.publishing, with the same
rules and Chinese messages as the pages (409 when someone else changed the plan's setting first)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.documents import publishing as document_publishing
from rectify.documents import selectors as document_selectors
from rectify.plans import publishing
from rectify.plans.models import Plan


class PublishingProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="问题编号，如“一”")
    is_public = serializers.BooleanField(help_text="问题本身已选公开（方案也公开时才在门户网站显示）")


class PublishingSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    title = serializers.CharField()
    is_public = serializers.BooleanField(help_text="方案公开")
    version = serializers.IntegerField(help_text="方案版本，修改时回传以防覆盖他人的修改")
    public_problems = serializers.IntegerField(help_text="已选公开的问题数")
    problems = PublishingProblemSerializer(many=True)


class PublishingChangeSerializer(serializers.Serializer):
    is_public = serializers.BooleanField(help_text="方案是否公开")
    public_problems = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text="公开的问题 id（完整集合：未列出的问题不公开）；省略则问题的公开设置不变",
    )
    version = serializers.IntegerField(required=False, help_text="读取时的方案版本")


class PublishingResultSerializer(PublishingSerializer):
    published = serializers.ListField(child=serializers.CharField(), help_text="本次新公开的问题")
    withdrawn = serializers.ListField(child=serializers.CharField(), help_text="本次撤回公开的问题")


def _state(plan: Plan) -> dict[str, Any]:
    problems = list(publishing.publishing_problems(plan))
    return {
        "plan": plan.pk,
        "title": plan.title,
        "is_public": plan.is_public,
        "version": plan.version,
        "public_problems": sum(1 for p in problems if p.is_public),
        "problems": [{"id": p.pk, "number": p.number, "is_public": p.is_public} for p in problems],
    }


class PlanPublishing(ScopedView):
    serializer_class = PublishingSerializer

    @extend_schema(responses={200: PublishingSerializer})
    def get(self, request: Request, pk: int) -> Response:
        plan = publishing.publishing_plan_get(viewer=request.user, plan_id=pk)
        return Response(PublishingSerializer(_state(plan)).data)

    @extend_schema(request=PublishingChangeSerializer, responses={200: PublishingResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        plan = publishing.publishing_plan_get(viewer=request.user, plan_id=pk)
        body = PublishingChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        changes = publishing.plan_publishing_save(
            actor=request.user,
            plan=plan,
            plan_public=data["is_public"],
            public_problem_ids=data.get("public_problems"),
            version=data.get("version"),
        )
        plan.refresh_from_db()
        return Response(PublishingResultSerializer({**_state(plan), **changes}).data)


class DocumentPublishingChangeSerializer(serializers.Serializer):
    is_public = serializers.BooleanField(help_text="在门户网站公开（true）或撤下（false）")


class DocumentPublishingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    is_public = serializers.BooleanField()
    published_on = serializers.DateField(allow_null=True, help_text="公开日期")


class DocumentPublishing(ScopedView):
    """An issued 月通报 (kind "circular") or 工作简报 (kind "briefing") on the portal, or off it."""

    serializer_class = DocumentPublishingSerializer
    kind = "circular"

    @extend_schema(request=DocumentPublishingChangeSerializer, responses={200: DocumentPublishingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        doc: Any
        if self.kind == "circular":
            doc = document_selectors.circular_get(viewer=request.user, circular_id=pk)
        else:
            doc = document_selectors.briefing_get(viewer=request.user, briefing_id=pk)
        body = DocumentPublishingChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        doc = document_publishing.document_publish(actor=request.user, doc=doc, public=body.validated_data["is_public"])
        data = {"id": doc.pk, "is_public": doc.published_on is not None, "published_on": doc.published_on}
        return Response(DocumentPublishingSerializer(data).data)
