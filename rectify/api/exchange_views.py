"""/api/v1/exchange/: the ledger exchange with the level above (docs/exchange.md).

On a city's instance: GET exchange/ledger/ downloads the whole ledger as a "rectify-ledger" file
(the same document as `rectify export_exchange`). On the province's: exchange/mirrors/ loads such
files (POST, the same service as `rectify import_mirror` and the 各市对账 page) and lists each
city's figures counted from its read-only mirror rows; a city's rows page by page."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.audit.services import export_record
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError
from rectify.documents.exchange import exchange_build, exchange_bytes, exchange_filename
from rectify.ingestion.services import too_large_message
from rectify.mirror import selectors
from rectify.mirror.models import MirrorShare, MirrorSource
from rectify.mirror.selectors import CityFigures, ShareFilters
from rectify.mirror.services import mirror_import
from rectify.plans.models import ShareStatus

TAGS = ["exchange"]

# --- serializers -----------------------------------------------------------------------------


class FiguresSerializer(serializers.Serializer):
    plans = serializers.IntegerField(allow_null=True, help_text="方案数（文件所述）")
    problems = serializers.IntegerField(allow_null=True, help_text="问题数（文件所述）")
    measures = serializers.IntegerField(allow_null=True, help_text="整改措施数（文件所述）")
    shares = serializers.IntegerField(help_text="责任单位任务数（一个单位承担的一项措施）")
    done = serializers.IntegerField(help_text="已完成的任务数：申请销号、已完成、已销号、长期坚持")
    closed = serializers.IntegerField(help_text="已销号或长期坚持的任务数")
    overdue = serializers.IntegerField(help_text="导出之日逾期未完成的任务数")
    red = serializers.IntegerField(help_text="红色预警任务数（城市最近一次预警扫描）")
    yellow = serializers.IntegerField(help_text="黄色预警任务数")
    green = serializers.IntegerField(help_text="绿色任务数")
    unassessed = serializers.IntegerField(help_text="尚未评估预警的任务数")
    rate = serializers.FloatField(allow_null=True, help_text="完成率（%）：已完成 ÷ 任务数；无任务为空")
    progress = serializers.FloatField(
        allow_null=True, help_text="平均进度（%）：已完成验收的按 100、未报送的按 0 计；无人报送为空"
    )


class MirrorSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="source.pk")
    city = serializers.CharField(source="source.city", help_text="城市（导出方单位目录的市级单位）")
    doc_abbr = serializers.CharField(source="source.doc_abbr")
    format_version = serializers.IntegerField(source="source.format_version")
    exported_at = serializers.DateTimeField(source="source.exported_at", help_text="城市导出该文件的时间")
    as_of = serializers.DateField(source="source.as_of", help_text="数据截至（城市的日期）")
    sha256 = serializers.CharField(source="source.sha256", help_text="导入文件的 SHA-256")
    filename = serializers.CharField(source="source.filename")
    imported_by = serializers.SerializerMethodField()
    imported_at = serializers.DateTimeField(source="source.imported_at")
    figures = FiguresSerializer(help_text="由镜像明细统计的数字")
    file_totals = serializers.DictField(source="source.totals", help_text="文件所述的合计")
    matches_file = serializers.BooleanField(help_text="镜像统计与文件合计一致（对账）")

    def get_imported_by(self, obj: CityFigures) -> str:
        user = obj.source.imported_by
        return (user.get_full_name() or user.get_username()) if user else "命令行"


class ImportResultSerializer(MirrorSerializer):
    outcome = serializers.ChoiceField(
        choices=["created", "replaced", "unchanged"],
        help_text="created：首次导入该市；replaced：以较新的导出替换；unchanged：同一文件已导入过",
    )


class MirrorShareSerializer(serializers.ModelSerializer):
    class Meta:
        model = MirrorShare
        fields = [
            "id",
            "plan_title",
            "chapter_number",
            "problem_number",
            "problem_text",
            "measure_number",
            "measure_seq",
            "measure_text",
            "deadline_kind",
            "deadline_raw",
            "unit",
            "region",
            "role",
            "status",
            "progress",
            "warning_level",
            "due_on",
            "due_extended",
            "overdue",
            "closed_on",
            "reopened_count",
            "last_report_at",
        ]
        read_only_fields = fields


# --- views -----------------------------------------------------------------------------------


class ExchangeLedger(ScopedView):
    """The whole ledger as one exchange file (a download, not a page of JSON)."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="导出全市台账对账文件",
        description=(
            "整个台账的对账文件（format “rectify-ledger”，format_version 1）：方案 → 章节 → 问题 → 措施 → "
            "各责任单位任务的状态、进度、预警、时限与销号，及合计。字段见 docs/exchange.md。"
            "仅市整改办和市领导可导出；与命令 rectify export_exchange 相同。"
        ),
        tags=TAGS,
        responses={(200, "application/json"): OpenApiTypes.OBJECT, 403: None},
    )
    def get(self, request: Request) -> HttpResponse:
        doc = exchange_build(viewer=request.user)
        export_record(actor=request.user, what="对账文件 .json", rows=doc["totals"]["shares"], detail="API")
        response = HttpResponse(exchange_bytes(doc), content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exchange_filename(doc)}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class MirrorList(ScopedView):
    serializer_class = MirrorSerializer
    queryset = MirrorSource.objects.none()  # for the schema only: the list is mirror_list's
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="各市对账数字",
        description="已导入的各市（只读镜像）及由镜像明细统计的数字，与该市文件所述合计逐项核对。",
        tags=TAGS,
        responses={200: MirrorSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(MirrorSerializer(selectors.mirror_list(viewer=request.user), many=True).data)

    @extend_schema(
        summary="导入一个城市的对账文件",
        description=(
            "上传城市导出的对账文件（file）。首次导入该市为 201；同一城市较新的导出整体替换其镜像（200，"
            "outcome=replaced）；同一文件再次上传不变（200，unchanged）；较旧的导出、格式版本不符或文件有误时"
            "拒绝（400，中文说明），数据不变。仅整改办可导入。"
        ),
        tags=TAGS,
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        responses={201: ImportResultSerializer, 200: ImportResultSerializer},
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise DomainError("请上传城市导出的对账文件（.json）。")
        too_large = too_large_message(upload.size or 0)
        if too_large:
            raise DomainError(too_large)
        source, outcome = mirror_import(actor=request.user, content=upload.read(), filename=upload.name or "")
        figures = selectors.mirror_get(viewer=request.user, pk=source.pk)
        data = {**MirrorSerializer(figures).data, "outcome": outcome}
        code = status.HTTP_201_CREATED if outcome == "created" else status.HTTP_200_OK
        return Response(data, status=code)


class MirrorDetail(ScopedView):
    serializer_class = MirrorSerializer

    @extend_schema(summary="一个城市的对账数字", tags=TAGS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(MirrorSerializer(selectors.mirror_get(viewer=request.user, pk=pk)).data)


class MirrorShares(ScopedView):
    serializer_class = MirrorShareSerializer

    @extend_schema(
        summary="一个城市的镜像明细",
        description="该市对账文件中的责任单位任务，按文件顺序分页；只读。",
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=ShareStatus.values, description="任务状态"),
            OpenApiParameter(
                "level", OpenApiTypes.STR, enum=["red", "yellow", "green", "none"], description="预警；none 为未评估"
            ),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="只看逾期未完成的"),
            OpenApiParameter("region", OpenApiTypes.STR, description="所属行政区（县（市、区）名称）"),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        city = selectors.mirror_get(viewer=request.user, pk=pk)
        q = request.query_params
        filters = ShareFilters(
            status=q.get("status", "") if q.get("status") in ShareStatus.values else "",
            level=q.get("level", "") if q.get("level") in ("red", "yellow", "green", "none") else "",
            overdue=q.get("overdue", "").lower() in ("1", "true", "yes"),
            region=str(q.get("region", ""))[:120],
        )
        qs = selectors.mirror_shares(viewer=request.user, source=city.source, filters=filters)
        return self.paged(qs, MirrorShareSerializer)
