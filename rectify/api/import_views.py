"""/api/v1/plan-imports/: a plan imported as on the pages (rectify.ingestion.views) — upload → review
(read, correct) → commit or discard — with the same services underneath (ingestion.services,
ingestion.reading), the same refusals in the same Chinese words and the same access: only a
coordinator who may import (can_import_plan, else 403) and only the job's own creator (another's
job is 404, as on the review page).

A .doc/.wps or a scan is read in the background (reading.import_start): the job answers with
status "reading" and progress_done of progress_total until a worker moves it to "reviewing", or
to "failed" with `error`; a client polls GET /api/v1/plan-imports/<id>/.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.ingestion import reading, services
from rectify.ingestion.models import ImportJob
from rectify.orgs.models import OrgUnit
from rectify.plans.policies import can_import_plan
from rectify.plans.services import parts_as_json

from . import serializers as s
from .fields import ID_MAX, id_list

FORBIDDEN = "只有整改办可以导入整改方案。"  # the pages' words (ingestion.views)
NO_FILE = "请选择要上传的方案文件。"
# A job's review is shown once its parse is there, as the review page does (reading.html before).
REVIEWED = (ImportJob.Status.REVIEWING, ImportJob.Status.COMMITTED, ImportJob.Status.DISCARDED)


def job_for(user: Any, pk: int) -> ImportJob:
    """The pages' _job_for: a role that may not import is refused, another user's job is not found."""
    if not can_import_plan(user):
        raise Forbidden(FORBIDDEN)
    job = ImportJob.objects.filter(pk=pk, created_by_id=user.pk).first()
    if job is None:
        raise NotFound()
    return reading.expire_if_stale(job)  # a job whose worker died says so, as on the page


# --- serializers ----------------------------------------------------------------------------------


class ImportUnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="单位编号（/api/v1/units/）")
    name = serializers.CharField(help_text="单位名称")


class ImportUnitReviewSerializer(serializers.Serializer):
    phrase = serializers.CharField(help_text="方案原文中的单位称谓")
    role = serializers.CharField(help_text="lead 牵头 / support 配合")
    status = serializers.SerializerMethodField(
        help_text="resolved 已匹配（分组称谓已展开）/ pending 待确认（units 为候选）/ unknown 未知单位"
    )
    status_label = serializers.CharField(
        source="status", help_text="审核页的中文状态：已匹配、展开、待确认（候选）、未知单位"
    )
    units = ImportUnitRefSerializer(many=True, help_text="已匹配的单位；待确认时为候选单位")
    group = serializers.BooleanField(help_text="分组称谓（如“各县（市、区）政府”）展开为多个单位")
    overridden = serializers.BooleanField(help_text="审核时已手工指定对应单位")

    def get_status(self, obj: services.UnitReview) -> str:
        if obj.units and obj.exact:
            return "resolved"
        return "pending" if obj.units else "unknown"


class ImportDoubtSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="字段名")
    label = serializers.CharField(help_text="字段中文名")  # type: ignore[assignment]  # DRF collects it as a field
    reason = serializers.CharField(help_text="为何是推断而非从字段标签读出")


class ImportReviewMeasureSerializer(serializers.Serializer):
    number = serializers.CharField(allow_null=True, help_text="措施编号（无编号为 null）")
    text = serializers.CharField(help_text="整改措施")


class ImportProblemReviewSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="问题序号：修正整改时限时用作 deadlines 的键")
    number = serializers.CharField(help_text="问题编号，如“五”")
    number_raw = serializers.CharField(allow_null=True, help_text="原文编号（与规范化编号不同时）")
    chapter = serializers.CharField(help_text="所属章节编号")
    text = serializers.CharField(help_text="问题描述")
    goal = serializers.CharField(help_text="整改目标")
    responsible_person = serializers.CharField(help_text="责任人")
    deadline = serializers.SerializerMethodField(help_text="导入后的整改时限（含审核修正）")
    deadline_overridden = serializers.BooleanField(help_text="整改时限已在审核时修正")
    deadline_flags = serializers.ListField(child=serializers.CharField(), help_text="解析对时限的提示")
    units = ImportUnitReviewSerializer(many=True, help_text="责任单位：解析出的称谓 → 单位目录")
    acceptance_phrase = serializers.CharField(help_text="验收单位原文")
    acceptance_unit = ImportUnitRefSerializer(allow_null=True, help_text="匹配到的验收单位；未匹配为 null")
    measure_count = serializers.IntegerField(help_text="措施数")
    milestone_count = serializers.IntegerField(help_text="阶段节点数")
    measures = ImportReviewMeasureSerializer(many=True, help_text="整改措施")
    doubts = ImportDoubtSerializer(many=True, help_text="需核对的推断")
    status_label = serializers.CharField(allow_null=True, help_text="方案所写的整改状态")
    completed_on = serializers.CharField(allow_null=True, help_text="方案所写的完成日期")
    progress_text = serializers.CharField(help_text="方案所写的整改进展")
    ocr_pages = serializers.ListField(
        child=serializers.IntegerField(), help_text="扫描件：该问题所在的原件页码（GET …/pages/<页码>/ 取图）"
    )

    @extend_schema_field(s.DeadlineSerializer)
    def get_deadline(self, obj: services.ProblemReview) -> dict[str, Any]:
        d = obj.deadline
        return {
            "raw": d.raw,
            "kind": str(d.kind),
            "due": d.due.isoformat() if d.due else None,
            "start": d.start.isoformat() if d.start else None,
            "parts": parts_as_json(d),
            "recurrence": str(d.recurrence) if d.recurrence else None,
        }


class ImportReviewCountsSerializer(serializers.Serializer):
    chapters = serializers.IntegerField(help_text="章节")
    problems = serializers.IntegerField(help_text="问题")
    measures = serializers.IntegerField(help_text="措施")
    numbered_measures = serializers.IntegerField(help_text="有编号的措施")
    unnumbered_measures = serializers.IntegerField(help_text="无编号的措施")
    milestones = serializers.IntegerField(help_text="阶段节点")
    assignments = serializers.IntegerField(help_text="责任分工")
    unknown_units = serializers.IntegerField(help_text="未知单位称谓")
    pending_units = serializers.IntegerField(help_text="待确认称谓")
    warnings = serializers.IntegerField(help_text="解析提示")
    doubts = serializers.IntegerField(help_text="需核对的推断")
    doubtful_problems = serializers.IntegerField(help_text="含推断的问题")


class ImportPlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    title = serializers.CharField()


class ImportReviewSerializer(serializers.Serializer):
    """What committing would create (ingestion.services.build_review), as the review page shows it."""

    title = serializers.CharField(help_text="方案标题")
    counts = ImportReviewCountsSerializer()
    problems = ImportProblemReviewSerializer(many=True)
    unknown_phrases = serializers.ListField(child=serializers.CharField(), help_text="未知单位称谓")
    pending_phrases = serializers.ListField(child=serializers.CharField(), help_text="待确认称谓（有候选）")
    warnings = serializers.ListField(child=serializers.DictField(), help_text="解析提示：{line, message}")
    duplicate_of = ImportPlanRefSerializer(allow_null=True, help_text="已导入过的同一方案：此时不能导入")
    plan_year = serializers.IntegerField(allow_null=True, help_text="方案年份（“年内”等按此计）")
    plan_year_source = serializers.CharField(allow_null=True, help_text="方案年份的来源")


class ImportOcrPageSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="原件页码")
    seconds = serializers.FloatField(help_text="该页文字识别用时（秒）")
    image = serializers.CharField(help_text="该页图片的地址")


class ImportOcrSerializer(serializers.Serializer):
    pages = ImportOcrPageSerializer(many=True, help_text="扫描件的各页")
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="问题序号 → [首页, 末页]"
    )


class PlanImportJobSerializer(serializers.ModelSerializer):
    status = serializers.CharField(
        read_only=True,
        help_text="reading 读取中 / failed 读取失败 / reviewing 待审核 / committed 已导入 / discarded 已放弃",
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    version = serializers.IntegerField(read_only=True, help_text="版本号：修正审核内容时原样带回（并发修改检查）")
    progress_done = serializers.IntegerField(read_only=True, help_text="后台读取：已读页数")
    progress_total = serializers.IntegerField(read_only=True, help_text="后台读取：总页数")
    size = serializers.IntegerField(read_only=True, help_text="文件大小（字节）")

    class Meta:
        model = ImportJob
        fields = [
            "id", "filename", "size", "sha256", "source_format", "status", "status_label", "progress_done",
            "progress_total", "error", "start_on", "version", "created_at", "updated_at", "duplicate_of", "plan",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "error": {"help_text": "读取失败的原因（status 为 failed 时）"},
            "start_on": {"help_text": "整改起始日（序时进度起点）"},
            "duplicate_of": {"help_text": "已导入过的同一方案"},
            "plan": {"help_text": "导入后生成的方案"},
        }


class PlanImportJobDetailSerializer(PlanImportJobSerializer):
    review = serializers.SerializerMethodField(
        help_text="待审核（及已导入、已放弃）时的审核内容；读取中或失败时为 null"
    )
    ocr = serializers.SerializerMethodField(help_text="扫描件经文字识别读出时的原件页面；否则为 null")

    class Meta(PlanImportJobSerializer.Meta):
        fields = [*PlanImportJobSerializer.Meta.fields, "review", "ocr"]
        read_only_fields = fields

    @extend_schema_field(ImportReviewSerializer(allow_null=True))
    def get_review(self, job: ImportJob) -> dict[str, Any] | None:
        if job.status not in REVIEWED or not job.parsed:
            return None
        return dict(ImportReviewSerializer(services.build_review(job.parsed, job.overrides, job.ocr)).data)

    @extend_schema_field(ImportOcrSerializer(allow_null=True))
    def get_ocr(self, job: ImportJob) -> dict[str, Any] | None:
        if not job.ocr.get("pages"):
            return None
        pages = [
            {
                "number": page["number"],
                "seconds": page.get("seconds", 0),
                "image": reverse("api:plan_import_page", args=[job.pk, page["number"]]),
            }
            for page in job.ocr["pages"]
        ]
        return {"pages": pages, "problems": job.ocr.get("problems", {})}


class ImportReviewUpdateSerializer(serializers.Serializer):
    """Only what is sent changes; corrections sent before are kept (as the review form does)."""

    version = serializers.IntegerField(
        min_value=1, max_value=ID_MAX, help_text="导入任务的版本号（必填；GET 所得，并发修改检查）"
    )
    units = serializers.DictField(
        child=id_list(allow_empty=False),
        required=False,
        default=dict,
        help_text='称谓 → 单位编号列表，如 {"市直相关部门": [12, 15]}：把未知或待确认的称谓对应到单位目录',
    )
    deadlines = serializers.DictField(
        child=serializers.CharField(max_length=300),
        required=False,
        default=dict,
        help_text='问题序号（review.problems[].index）→ 整改时限原文，如 {"5": "2022年12月底"}',
    )
    start_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="整改起始日（序时进度起点），YYYY-MM-DD",
        error_messages={"invalid": "整改起始日格式应为 YYYY-MM-DD。"},
    )


class ImportCommitResultSerializer(serializers.Serializer):
    plan = s.PlanSerializer(help_text="导入生成的方案（/api/v1/plans/）")
    job = PlanImportJobSerializer(help_text="导入任务（已导入）")


UPLOAD_BODY = {
    "multipart/form-data": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary", "description": "整改方案文件"}},
        "required": ["file"],
    }
}


# --- views ----------------------------------------------------------------------------------------


def _detail(job: ImportJob) -> dict[str, Any]:
    job.refresh_from_db()
    return dict(PlanImportJobDetailSerializer(job).data)


class ImportList(ScopedView):
    """ingestion:upload — the upload and the list of one's own recent imports."""

    serializer_class = PlanImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="我的方案导入任务", operation_id="plan_imports_list")
    def get(self, request: Request) -> Response:
        if not can_import_plan(request.user):
            raise Forbidden(FORBIDDEN)
        jobs = ImportJob.objects.filter(created_by_id=request.user.pk).order_by("-created_at", "-pk")
        return self.paged(jobs, PlanImportJobSerializer)

    @extend_schema(
        summary="上传整改方案（解析后待审核；.doc/.wps 与扫描件在后台读取）",
        request=UPLOAD_BODY,
        responses={201: PlanImportJobDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        if not can_import_plan(request.user):
            raise Forbidden(FORBIDDEN)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise DomainError(NO_FILE)
        too_large = services.too_large_message(uploaded.size or 0)
        if too_large:
            raise DomainError(too_large)  # refused before reading, as the page does
        data, name = uploaded.read(), uploaded.name or ""
        if reading.reads_in_background(data, name):
            job = reading.import_start(actor=request.user, data=data, filename=name)
        else:
            job = services.import_prepare(actor=request.user, data=data, filename=name)
        return Response(_detail(job), status=status.HTTP_201_CREATED)


def _parsed_phrases(job: ImportJob) -> set[str]:
    phrases: set[str] = set()
    for p in job.parsed.get("problems", []):
        for key in ("lead_units", "support_units", "responsible_units"):
            phrases.update(p.get(key) or [])
    return phrases


def _checked_corrections(job: ImportJob, data: dict[str, Any]) -> tuple[dict[str, list[int]], dict[str, str]]:
    """The corrections the review form could have sent: phrases of this plan, units it offers
    (active, not a region), problems it has. A deadline equal to the parsed text is no correction
    (the form sends every deadline back), unless it undoes one made before."""
    units: dict[str, list[int]] = data["units"]
    raws: dict[str, str] = {k: v.strip() for k, v in data["deadlines"].items() if v.strip()}
    if job.status != ImportJob.Status.REVIEWING:
        return units, raws  # the service refuses with its own message (409)
    unknown = sorted(set(units) - _parsed_phrases(job))
    if unknown:
        raise ValidationError({"units": f"方案中没有这些单位称谓：{'、'.join(unknown)}。"})
    ids = {i for chosen in units.values() for i in chosen}
    offered = set(
        OrgUnit.objects.filter(pk__in=ids, is_active=True).exclude(kind="region").values_list("pk", flat=True)
    )
    if ids - offered:
        missing = "、".join(str(i) for i in sorted(ids - offered))
        raise ValidationError({"units": f"单位不存在或已停用：{missing}。"})
    original = {str(p["index"]): p["deadline"]["raw"] for p in job.parsed["problems"]}
    absent = sorted(set(raws) - set(original), key=lambda k: (len(k), k))
    if absent:
        raise ValidationError({"deadlines": f"方案中没有这些问题序号：{'、'.join(absent)}。"})
    done = job.overrides.get("deadlines", {})
    raws = {k: v for k, v in raws.items() if original.get(k) != v or k in done}
    return units, raws


class ImportDetail(ScopedView):
    """ingestion:review (GET) and ingestion:review_update (PATCH)."""

    serializer_class = PlanImportJobDetailSerializer
    parser_classes = [JSONParser]

    @extend_schema(summary="导入任务：读取进度或审核内容")
    def get(self, request: Request, pk: int) -> Response:
        return Response(_detail(job_for(request.user, pk)))

    @extend_schema(
        summary="修正审核内容（单位对应、整改时限、整改起始日）",
        request=ImportReviewUpdateSerializer,
        responses={200: PlanImportJobDetailSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        job = job_for(request.user, pk)
        body = ImportReviewUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        units, raws = _checked_corrections(job, body.validated_data)
        services.import_update_review(
            actor=request.user,
            job=job,
            unit_overrides=units,
            deadline_overrides=raws,
            start_on=body.validated_data["start_on"],
            version=body.validated_data["version"],
        )
        return Response(_detail(job))


class ImportCommit(ScopedView):
    """ingestion:commit — the reviewed plan into the ledger, in one transaction."""

    serializer_class = ImportCommitResultSerializer

    @extend_schema(summary="确认导入台账", request=None, responses={201: ImportCommitResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        job = job_for(request.user, pk)
        plan = services.import_commit(actor=request.user, job=job)
        plan.problem_count = plan.problems.count()  # type: ignore[attr-defined]  # as plan_list annotates
        result = {"plan": s.PlanSerializer(plan).data, "job": PlanImportJobSerializer(job).data}
        return Response(result, status=status.HTTP_201_CREATED)


class ImportDiscard(ScopedView):
    """ingestion:discard — the job is dropped (a reading job stops being read); the ledger is untouched."""

    serializer_class = PlanImportJobSerializer

    @extend_schema(summary="放弃导入", request=None, responses={200: PlanImportJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        job = job_for(request.user, pk)
        services.import_discard(actor=request.user, job=job)
        return Response(PlanImportJobSerializer(job).data)


class ImportPage(ScopedView):
    """ingestion:page — a scanned page as OCR read it, to check the fields against."""

    @extend_schema(summary="扫描件的原件页面（JPEG）", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, number: int) -> HttpResponse:
        job = job_for(request.user, pk)
        data = reading.page_image(job, number)
        if data is None:
            raise NotFound()
        return HttpResponse(data, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
