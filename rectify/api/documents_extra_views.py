"""/api/v1/ twins of the documents pages that rectify/documents/api.py and publishing_views.py do
not have yet (issue 17, parity): refreshing and cancelling a 月通报 draft, cancelling a 工作简报
draft, the office's 简报 numbering (上一期为第N期), 县区动态 稿件 (a county office submits them; the
city office picks or declines them from its draft), the photos a draft may carry, and 交账 (the
schedule, "make this period's package now" as a background task with its state to poll, the
packages and their downloads, streamed once their SHA-256 is checked).

Each calls the service the page calls, scoped the same way (out of scope: 404), with the same
Chinese messages (rectify.core.api.ScopedView turns them into 400/403/409)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.audit.downloads import file_refusal
from rectify.audit.services import export_record
from rectify.closeout.models import HandoverPackage, HandoverSchedule
from rectify.core import clock
from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.files import stored_file_open, uploaded_files
from rectify.documents import briefing_county, briefing_photos, briefing_series, jobs, policies, selectors, services
from rectify.documents import handover as handover_services
from rectify.documents.api import BriefingDetailSerializer, CircularDetailSerializer, JobStateSerializer
from rectify.documents.models import CountyItem, CountyItemPhoto, CountyItemStatus, DocStatus
from rectify.supervision.notices import issuer_for

from .fields import id_list

ZIP = "application/zip"


def checked_file(
    request: Request, *, obj: Any, filename: str, content_type: str, inline: bool
) -> HttpResponseBase | Response:
    """A stored file whose bytes still give its SHA-256 (hashed in chunks first, then streamed: a
    交账 package of hundreds of MB never sits in memory); otherwise the refusal, audited
    (audit.downloads), as JSON."""
    opened = stored_file_open(obj.storage_name, obj.sha256)
    if opened is None:
        damage = file_refusal(actor=request.user, obj=obj, storage_name=obj.storage_name, sha256=obj.sha256)
        if damage is not None:
            return Response({"detail": damage.message}, status=damage.status)
        return Response({"detail": "文件暂时无法读取，请稍后重试。"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    response = FileResponse(opened, content_type=content_type)
    response.block_size = 1024 * 1024
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename, safe='')}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


def _circular_answer(request: Request, pk: int) -> Response:
    return Response(CircularDetailSerializer(selectors.circular_get(viewer=request.user, circular_id=pk)).data)


def _briefing_answer(request: Request, pk: int) -> Response:
    return Response(BriefingDetailSerializer(selectors.briefing_get(viewer=request.user, briefing_id=pk)).data)


# --- 月通报 and 工作简报 drafts --------------------------------------------------------------------


class CircularRefresh(ScopedView):
    serializer_class = CircularDetailSerializer

    @extend_schema(
        request=None,
        responses={200: CircularDetailSerializer},
        summary="按最新数据重新统计月通报草稿",
        description="与页面上的“更新数据”相同：重新统计各责任单位的数据，已修改的文字保留。",
    )
    def post(self, request: Request, pk: int) -> Response:
        circular = selectors.circular_get(viewer=request.user, circular_id=pk)
        services.circular_refresh(actor=request.user, circular=circular)
        return _circular_answer(request, pk)


class CircularCancel(ScopedView):
    serializer_class = CircularDetailSerializer

    @extend_schema(
        request=None,
        responses={200: CircularDetailSerializer},
        summary="作废月通报草稿",
    )
    def post(self, request: Request, pk: int) -> Response:
        circular = selectors.circular_get(viewer=request.user, circular_id=pk)
        services.circular_cancel(actor=request.user, circular=circular)
        return _circular_answer(request, pk)


class BriefingCancel(ScopedView):
    serializer_class = BriefingDetailSerializer

    @extend_schema(
        request=None,
        responses={200: BriefingDetailSerializer},
        summary="作废工作简报草稿",
    )
    def post(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        services.briefing_cancel(actor=request.user, briefing=briefing)
        return _briefing_answer(request, pk)


class SeriesSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    last_no = serializers.IntegerField(help_text="上一期的期数（下一期印发时为 last_no + 1）")
    issued_max = serializers.IntegerField(help_text="本系统该年已印发的最大期数（上一期不能设得比它小）")


class SeriesChangeSerializer(serializers.Serializer):
    year = serializers.IntegerField(help_text="年度")
    last_no = serializers.IntegerField(help_text="上一期为第几期（如 28，则下一期为第29期）")


def _series(request: Request, year: int) -> dict[str, Any]:
    issuer = issuer_for(request.user)
    return {
        "year": year,
        "last_no": briefing_series.last_issue_no(issuer, year),
        "issued_max": briefing_series.issued_max(issuer, year),
    }


class BriefingSeries(ScopedView):
    """本整改办工作简报的期数：上一期为第N期。"""

    serializer_class = SeriesSerializer

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="年度，默认今年")],
        responses={200: SeriesSerializer},
        summary="工作简报期数",
    )
    def get(self, request: Request) -> Response:
        if not policies.can_compile(request.user):
            raise Forbidden("只有整改办可以设置工作简报期数。")
        raw = str(request.query_params.get("year", ""))
        year = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else clock.today().year
        return Response(SeriesSerializer(_series(request, year)).data)

    @extend_schema(
        request=SeriesChangeSerializer,
        responses={200: SeriesSerializer},
        summary="设置工作简报期数（上一期为第N期）",
    )
    def post(self, request: Request) -> Response:
        body = SeriesChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        year = body.validated_data["year"]
        briefing_series.briefing_series_set(actor=request.user, year=year, last_no=body.validated_data["last_no"])
        return Response(SeriesSerializer(_series(request, year)).data)


class PhotoChoiceSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="如 visit-12：在稿件的 photos 中写作 {source, id}")
    source = serializers.CharField(  # type: ignore[assignment]  # DRF collects it as a field
        help_text="visit（现场督办的照片）或 county（县区动态稿件的照片）"
    )
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="原文件名")
    origin = serializers.CharField(help_text="来自哪次现场督办或哪篇稿件")


class BriefingPhotoChoices(ScopedView):
    serializer_class = PhotoChoiceSerializer
    filter_backends: list[Any] = []  # a plain list, not a filtered queryset

    @extend_schema(
        responses={200: PhotoChoiceSerializer(many=True)},
        summary="草稿可用的照片",
        description="编辑草稿时可放入稿件的照片：本期内辖区现场督办的照片和已采用稿件的照片。"
        "不能编辑（已印发、非本整改办）时为空。",
    )
    def get(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        editable = briefing.status == DocStatus.DRAFT and policies.can_edit(request.user, briefing)
        found = briefing_photos.choices(briefing) if editable else []
        rows = [{"key": c.key, "source": c.source, "id": c.id, "name": c.name, "origin": c.origin} for c in found]
        return Response(PhotoChoiceSerializer(rows, many=True).data)


# --- 县区动态 稿件 ---------------------------------------------------------------------------------


class CountyItemPhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = CountyItemPhoto
        fields = ["id", "original_name", "content_type", "size"]


class CountyItemSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    photos = CountyItemPhotoSerializer(many=True, read_only=True)

    class Meta:
        model = CountyItem
        fields = [
            "id",
            "unit",
            "unit_name",
            "region_name",
            "title",
            "body",
            "status",
            "status_label",
            "briefing",
            "note",
            "photos",
            "created_at",
            "version",
        ]
        extra_kwargs = {
            "body": {"help_text": "正文（经净化的 HTML）"},
            "briefing": {"help_text": "采用于哪期简报草稿"},
            "note": {"help_text": "未采用时市整改办的说明"},
        }


class CountyItemSubmitSerializer(serializers.Serializer):
    # Blank is let through so the service refuses it with the page's message.
    title = serializers.CharField(max_length=200, allow_blank=True, help_text="标题（不超过 200 字）")
    body = serializers.CharField(allow_blank=True, help_text="正文（纯文本，空行分段）")
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, help_text=f"照片（JPG、PNG），最多{briefing_county.MAX_PHOTOS}张"
    )


class CountyItemList(ScopedView):
    serializer_class = CountyItemSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=CountyItemStatus.values),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        operation_id="county_items_list",
        summary="本县区整改办报送的稿件",
    )
    def get(self, request: Request) -> Response:
        items = briefing_county.own_items(viewer=request.user)
        if request.query_params.get("status") in CountyItemStatus.values:
            items = items.filter(status=request.query_params["status"])
        return self.paged(items.select_related("unit", "region"), CountyItemSerializer)

    @extend_schema(
        request={"multipart/form-data": CountyItemSubmitSerializer},
        responses={201: CountyItemSerializer},
        summary="报送县区动态稿件",
        description="县（市、区）整改办向市整改办报送工作简报“县区动态”稿件（标题、正文、照片）。",
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):  # a JSON list or string; a form is a QueryDict
            raise DomainError("请求内容应为一个对象（含 title、body）。")
        # The photos are read from the upload by uploaded_files (its own checks and messages).
        text = {name: request.data[name] for name in ("title", "body") if name in request.data}
        body = CountyItemSubmitSerializer(data=text)
        body.is_valid(raise_exception=True)
        item = briefing_county.county_item_submit(
            actor=request.user,
            title=body.validated_data["title"],
            body=body.validated_data["body"],
            files=uploaded_files(request.FILES, "photos", "照片"),
        )
        item = briefing_county.item_get(viewer=request.user, pk=item.pk)
        return Response(CountyItemSerializer(item).data, status=status.HTTP_201_CREATED)


class CountyItemDetail(ScopedView):
    serializer_class = CountyItemSerializer

    @extend_schema(
        summary="一篇县区动态稿件",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(CountyItemSerializer(briefing_county.item_get(viewer=request.user, pk=pk)).data)


class CountyItemPhotoFile(ScopedView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)  # the body is a file

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 409: None, 410: None},
        summary="稿件的照片",
    )
    def get(self, request: Request, pk: int, photo_id: int) -> HttpResponseBase | Response:
        item = briefing_county.item_get(viewer=request.user, pk=pk)
        photo = item.photos.filter(pk=photo_id).first()
        if photo is None:
            raise NotFound()
        return checked_file(
            request, obj=photo, filename=photo.original_name, content_type=photo.content_type, inline=photo.is_image
        )


class BriefingOfferedItems(ScopedView):
    serializer_class = CountyItemSerializer
    filter_backends: list[Any] = []  # a plain list, not a filtered queryset

    @extend_schema(
        responses={200: CountyItemSerializer(many=True)},
        summary="草稿可采用的县区动态稿件",
        description="各县（市、区）报送、待采用的稿件，以及已采用到本草稿的稿件（市整改办编辑草稿时）。",
    )
    def get(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        if not briefing_county.can_pick(request.user, briefing):
            raise Forbidden("只有市整改办可以在简报草稿中采用县区动态稿件。")
        offered = briefing_county.offered_items(briefing=briefing)
        return Response(CountyItemSerializer(offered, many=True).data)


class PickSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="所见的草稿版本；此后已被他人修改时拒绝（409）")
    items = id_list(
        min_length=1,
        help_text="要采用的稿件 id，按在“县区动态”栏目中的顺序",
    )


class BriefingCountyPick(ScopedView):
    serializer_class = BriefingDetailSerializer

    @extend_schema(
        request=PickSerializer,
        responses={200: BriefingDetailSerializer},
        summary="采用县区动态稿件",
        description="把选中的稿件按给定顺序加到草稿“县区动态”栏目末尾（已采用）。",
    )
    def post(self, request: Request, pk: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        body = PickSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        briefing_county.county_items_pick(
            actor=request.user,
            briefing=briefing,
            version=body.validated_data["version"],
            item_ids=body.validated_data["items"],
        )
        return _briefing_answer(request, pk)


class DeclineSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="未采用的原因（给县区看）")


class BriefingCountyDecline(ScopedView):
    serializer_class = CountyItemSerializer

    @extend_schema(
        request=DeclineSerializer,
        responses={200: CountyItemSerializer},
        summary="不采用县区动态稿件",
    )
    def post(self, request: Request, pk: int, item_id: int) -> Response:
        briefing = selectors.briefing_get(viewer=request.user, briefing_id=pk)
        item = briefing_county.item_get(viewer=request.user, pk=item_id)
        body = DeclineSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = briefing_county.county_item_decline(
            actor=request.user, briefing=briefing, item=item, note=body.validated_data.get("note", "")
        )
        return Response(CountyItemSerializer(briefing_county.item_get(viewer=request.user, pk=item.pk)).data)


# --- 交账 ------------------------------------------------------------------------------------------


def _handover_viewer(request: Request) -> None:
    if not handover_services.can_view_handover(request.user):
        raise Forbidden("交账由市整改办办理，只有市整改办和市领导可以查看。")


class ScheduleSerializer(serializers.ModelSerializer):
    class Meta:
        model = HandoverSchedule
        fields = ["days", "recipient", "version", "updated_at"]
        read_only_fields = ["version", "updated_at"]
        extra_kwargs = {"days": {"help_text": "每月的交账日（1 至 28），如 [10, 25]"}}


class ScheduleChangeSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(), help_text="每月的交账日（1 至 28），如 [10, 25]")
    recipient = serializers.CharField(allow_blank=True, help_text="报送对象")


class HandoverScheduleView(ScopedView):
    serializer_class = ScheduleSerializer

    @extend_schema(
        summary="交账日程",
    )
    def get(self, request: Request) -> Response:
        _handover_viewer(request)
        return Response(ScheduleSerializer(handover_services.schedule_get()).data)

    @extend_schema(
        request=ScheduleChangeSerializer,
        responses={200: ScheduleSerializer},
        summary="设置交账日程",
    )
    def put(self, request: Request) -> Response:
        _handover_viewer(request)
        body = ScheduleChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        schedule = handover_services.schedule_update(actor=request.user, **body.validated_data)
        return Response(ScheduleSerializer(schedule).data)


class PackageSerializer(serializers.ModelSerializer):
    created_by_name = serializers.SerializerMethodField()
    filename = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = HandoverPackage
        fields = [
            "id",
            "period_start",
            "period_end",
            "items",
            "size",
            "sha256",
            "created_at",
            "created_by_name",
            "filename",
            "download_url",
        ]
        extra_kwargs = {"items": {"help_text": "销号事项数"}, "size": {"help_text": "字节数"}}

    def get_created_by_name(self, obj: HandoverPackage) -> str:
        """生成人；按日程自动生成的为空。"""
        user = obj.created_by
        return (user.get_full_name() or user.get_username()) if user is not None else ""

    def get_filename(self, obj: HandoverPackage) -> str:
        return handover_services.package_filename(obj)

    def get_download_url(self, obj: HandoverPackage) -> str:
        request = self.context.get("request")
        url = reverse("api:handover_package_file", args=[obj.pk])
        return request.build_absolute_uri(url) if request is not None else url


class HandoverJobSerializer(JobStateSerializer):
    state = serializers.ChoiceField(
        choices=[(k, v) for k, v in jobs.LABELS.items()],
        help_text="queued 排队中、running 生成中、done 已完成（或没有进行中的任务）、failed 失败",
    )
    status_url = serializers.CharField(help_text="查询状态（GET）")
    package = PackageSerializer(allow_null=True, help_text="已完成时：最新的交账包；否则为 null")


def _handover_job_body(request: Request, job: jobs.JobStatus) -> dict[str, Any]:
    latest = None
    if job.state == jobs.DONE:
        latest = HandoverPackage.objects.select_related("created_by").order_by("-period_end", "-pk").first()
    return {
        "state": job.state,
        "label": job.label,
        "message": job.message if job.state != jobs.DONE else "本期交账包已生成。",
        "status_url": request.build_absolute_uri(reverse("api:handover_job")),
        "package": latest,
    }


def _handover_job_data(request: Request, job: jobs.JobStatus) -> Any:
    return HandoverJobSerializer(_handover_job_body(request, job), context={"request": request}).data


class HandoverJob(ScopedView):
    serializer_class = HandoverJobSerializer

    @extend_schema(
        responses={200: HandoverJobSerializer},
        summary="立即生成交账包的任务状态",
        description="排队中、生成中、已完成（附最新的交账包）或失败（附原因）。",
    )
    def get(self, request: Request) -> Response:
        _handover_viewer(request)
        job = handover_services.handover_job() or jobs.JobStatus(jobs.DONE)
        return Response(_handover_job_data(request, job))


class HandoverPackages(ScopedView):
    serializer_class = PackageSerializer

    @extend_schema(
        parameters=[OpenApiParameter("page_size", OpenApiTypes.INT)],
        operation_id="handover_packages_list",
        summary="已生成的交账包",
    )
    def get(self, request: Request) -> Response:
        _handover_viewer(request)
        packages = HandoverPackage.objects.select_related("created_by").order_by("-period_end", "-pk")
        page = self.paginate_queryset(packages)
        return self.get_paginated_response(PackageSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(HandoverJobSerializer, description="已在后台开始生成：轮询 status_url"),
            201: PackageSerializer,
            200: PackageSerializer,
        },
        summary="立即生成本期交账包",
        description="与页面上的“立即生成”相同：从上一个交账包的次日到今天，在后台生成，返回 202 和任务状态"
        "（轮询 status_url，完成后附交账包）。后台任务在请求内执行的部署直接返回交账包：新生成 201，"
        "今天的已生成 200。",
    )
    def post(self, request: Request) -> Response:
        _handover_viewer(request)
        before = HandoverPackage.objects.count()
        job, package = handover_services.handover_start(actor=request.user)
        if package is None:
            body = _handover_job_data(request, job)
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})
        code = status.HTTP_201_CREATED if HandoverPackage.objects.count() > before else status.HTTP_200_OK
        return Response(PackageSerializer(package, context={"request": request}).data, status=code)


class HandoverPackageFile(ScopedView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)  # the body is a file

    @extend_schema(
        responses={(200, ZIP): OpenApiTypes.BINARY, 409: None, 410: None},
        summary="下载交账包（.zip）",
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase | Response:
        _handover_viewer(request)
        package = HandoverPackage.objects.filter(pk=pk).first()
        if package is None:
            raise NotFound("未找到该交账包。")
        response = checked_file(
            request, obj=package, filename=handover_services.package_filename(package), content_type=ZIP, inline=False
        )
        if response.status_code == 200:
            export_record(actor=request.user, what="交账包", rows=package.items, obj=package)
        return response
