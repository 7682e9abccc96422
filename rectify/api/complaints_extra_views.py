"""/api/v1/ twins of the 交办件 page actions (issue 17, parity): a case's assignment, 回访 and
督办 notice (complaints:case_action); a batch's link to a plan problem, publication and a case
entered by hand (complaints:batch_action); an import's review and discard
(complaints:import_review). Same services, same scoping (selectors.case_get / batch_get /
import_get), same Chinese messages as the pages. Personal data may be written (a case entered by
hand, as on the page) but is never part of an answer: free text is the masked view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.complaints import importing, policies, privacy, selectors, services
from rectify.complaints.models import CaseImport, ComplaintBatch, ComplaintCase, Satisfaction
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.plans.models import Problem
from rectify.supervision import selectors as supervision_selectors

from .complaints_views import BatchSerializer, CaseSerializer, ImportSerializer
from .fields import id_field, id_list
from .supervision_views import NoticeSerializer

# --- serializers ------------------------------------------------------------------------------


class ComplaintCaseFullSerializer(CaseSerializer):
    """A case as the API shows it, with its 配合单位 (support units) as well."""

    support_units: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True, help_text="配合单位（单位编号）")

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "support_units"]
        read_only_fields = fields


class ComplaintAssignSerializer(serializers.Serializer):
    lead = id_field(help_text="牵头单位（单位编号）")
    support = id_list(required=False, default=list, help_text="配合单位（单位编号），可多个；须为可分派的在用单位")
    due_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="办理时限；不填则不变")


class ComplaintRevisitSerializer(serializers.Serializer):
    result = serializers.CharField(help_text="回访情况")
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, help_text="群众满意度")
    revisit_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="回访日期，默认今天")


class ComplaintBatchAttachSerializer(serializers.Serializer):
    problem = id_field(allow_null=True, help_text="整改方案中的问题编号；null 为取消关联")


class ComplaintLeftoverSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="受理编号")
    kind = serializers.CharField(help_text="检出的疑似个人信息类型")


class ComplaintPublishedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="结果说明（与页面提示相同）")
    batch = BatchSerializer()
    leftovers = ComplaintLeftoverSerializer(many=True, help_text="脱敏后仍检出疑似个人信息的交办件，请核对")


class ComplaintCaseCreateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="受理编号")
    content = serializers.CharField(help_text="举报内容")
    region = id_field(required=False, allow_null=True, default=None, help_text="行政区域（单位编号）")
    types = serializers.ListField(child=serializers.CharField(), required=False, default=list, help_text="污染类型")
    assigned_on = serializers.DateField(required=False, allow_null=True, default=None, help_text="交办时间，默认今天")
    name = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, help_text="举报人姓名")
    phone = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, help_text="联系电话")
    id_number = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, help_text="身份证号"
    )
    address = serializers.CharField(required=False, allow_blank=True, default="", write_only=True, help_text="住址")


class ComplaintReviewRowSerializer(serializers.Serializer):
    """One row of the file as committing will treat it (the page's review table); the content is
    masked and the complainant's details are left out."""

    line = serializers.IntegerField(help_text="文件中的行号")
    seq = serializers.CharField()
    code = serializers.CharField(help_text="受理编号")
    assigned_on = serializers.DateField(allow_null=True)
    region_text = serializers.CharField(help_text="行政区域（原文）")
    region = serializers.IntegerField(allow_null=True, help_text="识别出的行政区域；null 为未能识别（导入后手工分派）")
    lead = serializers.IntegerField(allow_null=True, help_text="导入后的牵头单位")
    lead_name = serializers.CharField(allow_null=True)
    types = serializers.ListField(child=serializers.CharField())
    content = serializers.CharField(help_text="举报内容（已脱敏）")
    verdict = serializers.CharField()
    status = serializers.CharField()
    existing = serializers.IntegerField(allow_null=True, help_text="将被更新的已有交办件；null 为新增")
    repeat_of_code = serializers.CharField(allow_null=True, help_text="疑似重复的交办件受理编号")


class ComplaintImportReviewSerializer(ImportSerializer):
    # Plain text here: the enum stays one component (ImportStatusEnum) in the schema.
    status = serializers.CharField(read_only=True, help_text="reviewing 待确认 / committed 已导入 / discarded 已放弃")
    new = serializers.IntegerField(read_only=True, help_text="新增件数")
    updating = serializers.IntegerField(read_only=True, help_text="更新已有件数")
    unresolved = serializers.IntegerField(read_only=True, help_text="未能识别行政区域的件数")
    review = ComplaintReviewRowSerializer(many=True, read_only=True)

    class Meta(ImportSerializer.Meta):
        fields = [*ImportSerializer.Meta.fields, "new", "updating", "unresolved", "review"]
        read_only_fields = fields


def _review_rows(job: CaseImport) -> list[dict[str, Any]]:
    rows = []
    for r in importing.import_review(job):
        row = r.row
        rows.append(
            {
                "line": row.get("line") or 0,
                "seq": row.get("seq") or "",
                "code": row.get("code") or "",
                "assigned_on": row.get("assigned_on"),
                "region_text": row.get("region") or "",
                "region": r.region.pk if r.region else None,
                "lead": r.lead.pk if r.lead else None,
                "lead_name": r.lead.name if r.lead else None,
                "types": list(row.get("types") or []),
                "content": privacy.mask_text(row.get("content") or ""),
                "verdict": row.get("verdict") or "",
                "status": row.get("status") or "",
                "existing": r.existing.pk if r.existing else None,
                "repeat_of_code": r.repeat_of.code if r.repeat_of else None,
            }
        )
    return rows


def _case(request: Request, pk: int) -> Response:
    case = selectors.case_get(viewer=request.user, pk=pk)
    return Response(ComplaintCaseFullSerializer(case, context={"request": request}).data)


def _batch_of(request: Request, pk: int) -> ComplaintBatch:
    return selectors.batch_get(viewer=request.user, pk=pk)


# --- a case (complaints:case_action) ------------------------------------------------------------


class CaseAssign(ScopedView):
    """分派：牵头单位、配合单位与办理时限（页面“分派”）。"""

    serializer_class = ComplaintCaseFullSerializer

    @extend_schema(
        request=ComplaintAssignSerializer, responses={200: ComplaintCaseFullSerializer}, summary="分派交办件"
    )
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(viewer=request.user, pk=pk)
        body = ComplaintAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        lead = OrgUnit.objects.filter(pk=data["lead"], is_active=True).first()
        if lead is None:
            raise DomainError("请选择牵头单位。")
        services.case_assign(
            actor=request.user,
            case=case,
            lead=lead,
            support=data["support"],
            due_on=data["due_on"],
        )
        return _case(request, pk)


class CaseRevisit(ScopedView):
    """登记回访（市整改办）。"""

    serializer_class = ComplaintCaseFullSerializer

    @extend_schema(request=ComplaintRevisitSerializer, responses={200: ComplaintCaseFullSerializer}, summary="登记回访")
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(viewer=request.user, pk=pk)
        body = ComplaintRevisitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.case_revisit(
            actor=request.user,
            case=case,
            result=data["result"],
            satisfaction=data["satisfaction"],
            on=data["revisit_on"],
        )
        return _case(request, pk)


class CaseNotice(ScopedView):
    """就该交办件起草提醒函（草稿，核对后用 notices/{id}/issue/ 印发）。"""

    serializer_class = NoticeSerializer

    @extend_schema(request=None, responses={201: NoticeSerializer}, summary="就交办件起草提醒函")
    def post(self, request: Request, pk: int) -> Response:
        case = selectors.case_get(viewer=request.user, pk=pk)
        if not (policies.can_manage(request.user) or policies.can_coordinate(request.user, case.lead_unit_id)):
            raise Forbidden("只有整改办可以督办。")
        draft = services.cases_notice(actor=request.user, cases=[case])
        notice = supervision_selectors.notice_get(viewer=request.user, pk=draft.pk)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


# --- a batch (complaints:batch_action) ----------------------------------------------------------


class BatchAttach(ScopedView):
    """关联整改方案中的问题（或取消关联）；批次内各件随之关联。"""

    serializer_class = BatchSerializer

    @extend_schema(request=ComplaintBatchAttachSerializer, responses={200: BatchSerializer}, summary="批次关联整改问题")
    def post(self, request: Request, pk: int) -> Response:
        batch = _batch_of(request, pk)
        body = ComplaintBatchAttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        problem = None
        if body.validated_data["problem"] is not None:
            problem = Problem.objects.filter(pk=body.validated_data["problem"]).first()
            if problem is None:
                raise NotFound("整改问题不存在。")
        services.batch_attach(actor=request.user, batch=batch, problem=problem)
        return Response(BatchSerializer(_batch_of(request, pk)).data)


class BatchPublish(ScopedView):
    """公开办理结果：各件的公开文本脱敏后冻结；仍检出的疑似个人信息逐件列出。"""

    serializer_class = ComplaintPublishedSerializer

    @extend_schema(request=None, responses={200: ComplaintPublishedSerializer}, summary="公开批次办理结果")
    def post(self, request: Request, pk: int) -> Response:
        batch = _batch_of(request, pk)
        leftovers = services.batch_publish(actor=request.user, batch=batch)
        detail = (
            "公开内容中仍检出疑似个人信息，请核对：" + "、".join(c for c, _ in leftovers)
            if leftovers
            else "已公开办理结果（个人信息已脱敏）。"
        )
        return Response(
            {
                "detail": detail,
                "batch": BatchSerializer(_batch_of(request, pk)).data,
                "leftovers": [{"code": code, "kind": kind} for code, kind in leftovers],
            }
        )


class BatchCases(ScopedView):
    """在批次中登记一件交办件（如电话转交的）；举报人信息只写入，任何回答都不返回。"""

    serializer_class = ComplaintCaseFullSerializer

    @extend_schema(
        request=ComplaintCaseCreateSerializer, responses={201: ComplaintCaseFullSerializer}, summary="登记交办件"
    )
    def post(self, request: Request, pk: int) -> Response:
        batch = _batch_of(request, pk)
        body = ComplaintCaseCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        region = None
        if data["region"] is not None:
            region = OrgUnit.objects.filter(pk=data["region"], kind=UnitKind.REGION).first()
            if region is None:
                raise NotFound("行政区域不存在。")
        case = services.case_create(
            actor=request.user,
            batch=batch,
            code=data["code"],
            content=data["content"],
            region=region,
            types=[t.strip() for t in data["types"]],
            assigned_on=data["assigned_on"],
            personal={k: str(data[k]).strip() for k in ("name", "phone", "id_number", "address")},
        )
        found = ComplaintCase.objects.select_related("batch", "lead_unit", "region").get(pk=case.pk)
        return Response(
            ComplaintCaseFullSerializer(found, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


# --- an import (complaints:import_review) -------------------------------------------------------


class ImportReview(ScopedView):
    """确认页：导入后每行的去向（新增或更新、牵头单位、疑似重复）。"""

    serializer_class = ComplaintImportReviewSerializer

    @extend_schema(responses={200: ComplaintImportReviewSerializer}, summary="查看交办件导入（确认页）")
    def get(self, request: Request, pk: int) -> Response:
        job = selectors.import_get(viewer=request.user, pk=pk)
        rows = _review_rows(job)
        job.new = sum(1 for r in rows if r["existing"] is None)  # type: ignore[attr-defined]
        job.updating = len(rows) - job.new  # type: ignore[attr-defined]
        job.unresolved = sum(1 for r in rows if r["region"] is None)  # type: ignore[attr-defined]
        job.review = rows  # type: ignore[attr-defined]
        return Response(ComplaintImportReviewSerializer(job).data)


class ImportDiscard(ScopedView):
    """放弃本次导入。"""

    serializer_class = ImportSerializer

    @extend_schema(request=None, responses={200: ImportSerializer}, summary="放弃交办件导入")
    def post(self, request: Request, pk: int) -> Response:
        job = selectors.import_get(viewer=request.user, pk=pk)
        importing.case_import_discard(actor=request.user, job=job)
        job.refresh_from_db()
        return Response(ImportSerializer(job).data)
