"""/api/v1/ twins of page actions that had none (issue 17, parity), each beside the page view it
mirrors: the warning scan run now (supervision:scan), a proposal taken up as a draft
(supervision:proposal_confirm), an on-site task done (supervision:visit_task_done), all
notifications marked read (notifications:read_all), evidence removed from a report
(progress:evidence_remove) and a unit's reports of one period saved or submitted together, all
or none (progress:unit_period). Same services, scoping and Chinese messages as the pages."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from rectify.core.api import ScopedView
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.notifications import services as notification_services
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit, Role, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Measure, ShareStatus
from rectify.progress import periods
from rectify.progress import selectors as progress_selectors
from rectify.progress import services as progress_services
from rectify.progress.models import ProgressReport, ReportKind
from rectify.progress.policies import can_file_for_unit
from rectify.supervision import proposals, selectors, services, visits
from rectify.supervision.models import NoticeKind, ScanRun, VisitTask
from rectify.supervision.policies import can_run_scan
from rectify.supervision.services import warnings_refresh

from . import serializers as s
from .fields import id_field, id_list
from .supervision_views import NoticeSerializer, VisitTaskOutSerializer


def _business(request: Request) -> None:
    if not viewer_scope(request.user).is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")


# --- supervision:scan -------------------------------------------------------------------------


class WarningScanRunSerializer(serializers.ModelSerializer):
    detail = serializers.SerializerMethodField(help_text="结果说明（与页面提示相同）")

    class Meta:
        model = ScanRun
        fields = ["id", "today", "started_at", "finished_at", "measures", "raised", "resolved", "missed", "reminders",
                  "detail"]  # fmt: skip
        read_only_fields = fields

    def get_detail(self, run: ScanRun) -> str:
        return (
            f"预警扫描完成：{run.assessed_words}，新预警 {run.raised} 条，"
            f"解除 {run.resolved} 条，提醒 {run.reminders} 条。"
        )


class WarningScan(ScopedView):
    """立即运行预警扫描（市整改办），不必等到夜间任务。"""

    serializer_class = WarningScanRunSerializer

    @extend_schema(request=None, responses={201: WarningScanRunSerializer}, summary="立即运行预警扫描")
    def post(self, request: Request) -> Response:
        if not can_run_scan(request.user):
            raise Forbidden("只有市整改办可以立即运行预警扫描。")
        run = services.deadlines_scan()
        return Response(WarningScanRunSerializer(run).data, status=status.HTTP_201_CREATED)


# --- supervision:proposal_confirm -------------------------------------------------------------


class ProposalConfirmSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices, help_text="建议的文书类型（见 notices/proposals/）")
    unit = id_field(help_text="主送单位")
    measures = id_list(required=False, default=list, help_text="涉及的措施（本单位未完成的分工）")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="建议理由")
    notice = id_field(required=False, allow_null=True, default=None, help_text="升级建议所依据的文书：给出时按升级起草")


def _open_measure_ids(unit: OrgUnit) -> set[int]:
    """The measures the unit still has an open share of (what a notice can be about)."""
    shares = Assignment.objects.filter(unit=unit, measure__isnull=False).exclude(status=ShareStatus.CLOSED)
    return set(shares.values_list("measure_id", flat=True))


class ProposalConfirm(ScopedView):
    """采纳系统的督办建议：生成草稿（核对后用 notices/{id}/issue/ 印发）。"""

    serializer_class = NoticeSerializer

    @extend_schema(request=ProposalConfirmSerializer, responses={201: NoticeSerializer}, summary="采纳督办建议")
    def post(self, request: Request) -> Response:
        _business(request)
        if Role.COORDINATOR not in viewer_scope(request.user).region_roles:
            raise Forbidden("只有整改办可以办理督办事项。")
        body = ProposalConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        scope = viewer_scope(request.user)
        unit = (
            OrgUnit.objects.filter(pk=data["unit"], is_active=True)
            .exclude(kind__in=[UnitKind.REGION, UnitKind.OFFICE])
            .first()
        )
        if unit is None or not (scope.everything or unit.pk in scope.unit_ids):
            raise NotFound("单位不存在，或您无权查看。")
        wanted = set(data["measures"])
        if not wanted <= _open_measure_ids(unit):
            raise DomainError("所选措施不属于该单位的整改任务。")
        measures = list(
            Measure.objects.filter(pk__in=wanted).select_related("problem").order_by("problem__index", "seq")
        )
        source = selectors.notice_get(viewer=request.user, pk=data["notice"]) if data["notice"] else None
        draft = proposals.proposal_confirm(
            actor=request.user, kind=data["kind"], unit=unit, measures=measures, reason=data["reason"], notice=source
        )
        notice = selectors.notice_get(viewer=request.user, pk=draft.pk)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


# --- supervision:visit_task_done --------------------------------------------------------------


class VisitTaskDone(ScopedView):
    """现场督办交办的任务标记完成（整改办或该任务的责任单位）。"""

    serializer_class = VisitTaskOutSerializer

    @extend_schema(request=None, responses={200: VisitTaskOutSerializer}, summary="现场督办任务标记完成")
    def post(self, request: Request, pk: int) -> Response:
        _business(request)
        task = VisitTask.objects.select_related("visit__region", "unit").filter(pk=pk).first()
        if task is None:
            raise NotFound()
        selectors.visit_get(viewer=request.user, pk=task.visit_id)
        task = visits.visit_task_done(actor=request.user, task=task)
        return Response(VisitTaskOutSerializer(task).data)


# --- notifications:read_all -------------------------------------------------------------------


class NotificationReadAllSerializer(serializers.Serializer):
    category = serializers.ChoiceField(
        choices=[("", "全部"), *Notification.Category.choices],
        required=False,
        default="",
        help_text="只标记一类：action（待办）或 info（知悉）；不填为全部",
    )


class NotificationReadAllResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="本次标为已读的条数")
    detail = serializers.CharField(help_text="结果说明（与页面提示相同）")


class NotificationsReadAll(ScopedView):
    """把本人的通知全部标为已读（或只标一类）。"""

    serializer_class = NotificationReadAllResultSerializer

    @extend_schema(
        request=NotificationReadAllSerializer,
        responses={200: NotificationReadAllResultSerializer},
        summary="通知全部标为已读",
    )
    def post(self, request: Request) -> Response:
        body = NotificationReadAllSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        category = body.validated_data["category"]
        count = notification_services.notifications_mark_read(actor=request.user, category=category)  # type: ignore[arg-type]
        what = {"action": "待办", "info": "知悉类"}.get(category, "")
        return Response({"marked": count, "detail": f"已将 {count} 条{what}通知标为已读。"})


# --- progress:evidence_remove -----------------------------------------------------------------


class EvidenceRemove(ScopedView):
    """从草稿或被退回的报告中移除一份佐证材料（文件留档备查）。"""

    @extend_schema(request=None, responses={204: None}, summary="移除佐证材料")
    def delete(self, request: Request, pk: int) -> Response:
        evidence = progress_selectors.evidence_get(viewer=request.user, evidence_id=pk)
        progress_services.evidence_remove(actor=request.user, evidence=evidence)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- progress:unit_period ---------------------------------------------------------------------


class UnitPeriodRowSerializer(serializers.Serializer):
    """One card of the weekly form: the unit's share of a measure and its report for the period."""

    assignment = serializers.IntegerField(source="assignment.pk", help_text="责任分工")
    measure = serializers.IntegerField(source="assignment.measure_id")
    measure_label = serializers.CharField(source="measure.label")
    role = serializers.CharField(source="assignment.role")
    report = s.ReportSerializer(allow_null=True, help_text="本期报告；null 为尚未填报")


class UnitPeriodWriteRowSerializer(serializers.Serializer):
    assignment = id_field(help_text="责任分工（本单位本期应填报的）")
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="读取时报告的 version；尚无报告时填 0 或不填"
    )
    progress_text = serializers.CharField(allow_blank=True, default="", max_length=5000)
    next_plan = serializers.CharField(allow_blank=True, default="", max_length=3000)
    issues = serializers.CharField(allow_blank=True, default="", max_length=2000)
    percent = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True, default=None)
    milestones_reached = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class UnitPeriodWriteSerializer(serializers.Serializer):
    submit = serializers.BooleanField(default=False, help_text="全部提交；否则保存为草稿")
    rows = UnitPeriodWriteRowSerializer(many=True, help_text="各项措施本期填报内容")


def _unit_period(request: Request, unit_id: int, kind: str, key: str) -> tuple[OrgUnit, periods.Period]:
    unit = progress_selectors.unit_get_for_reports(viewer=request.user, unit_id=unit_id)
    if kind not in ReportKind.values:
        raise NotFound()
    period = periods.parse_key(kind, key, progress_services.calendar_rule())
    if period is None:
        raise NotFound("报告期无效。")
    return unit, period


def _rows_response(unit: OrgUnit, period: periods.Period, code: int = status.HTTP_200_OK) -> Response:
    rows = progress_selectors.unit_period_rows(unit, period)
    return Response(UnitPeriodRowSerializer(rows, many=True).data, status=code)


class UnitPeriodReports(ScopedView):
    """一个单位一个报告期（周：该周周一，如 2022-10-03；月：如 2022-10）的全部填报，同页面的周报表。"""

    serializer_class = UnitPeriodRowSerializer
    queryset = ProgressReport.objects.none()  # for the schema generator only

    @extend_schema(responses={200: UnitPeriodRowSerializer(many=True)}, summary="单位本期填报")
    def get(self, request: Request, unit_id: int, kind: str, key: str) -> Response:
        unit, period = _unit_period(request, unit_id, kind, key)
        return _rows_response(unit, period)

    @extend_schema(
        request=UnitPeriodWriteSerializer,
        responses={200: UnitPeriodRowSerializer(many=True)},
        summary="单位本期填报：保存草稿或全部提交（全部成功或全部不保存）",
    )
    def post(self, request: Request, unit_id: int, kind: str, key: str) -> Response:
        unit, period = _unit_period(request, unit_id, kind, key)
        if not can_file_for_unit(request.user, unit):
            raise Forbidden("只有本单位的联络员可以填报进展。")
        body = UnitPeriodWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submit = body.validated_data["submit"]
        rows = {r.assignment.pk: r for r in progress_selectors.unit_period_rows(unit, period)}
        todo: list[tuple[Any, progress_services.ReportInput, int | None]] = []
        errors: dict[str, list[str]] = {}
        for item in body.validated_data["rows"]:
            row = rows.get(item["assignment"])
            if row is None:
                raise NotFound("责任分工不存在，或不属于该单位本期应填报的措施。")
            data = progress_services.ReportInput(
                progress_text=item["progress_text"],
                next_plan=item["next_plan"],
                issues=item["issues"],
                percent=item["percent"],
                milestones_reached=item["milestones_reached"],
            )
            if row.report is not None and not row.report.is_editable:
                errors[str(row.assignment.pk)] = [f"该报告{row.report.get_status_display()}，不能再修改。"]
            elif not progress_services.validate(period.kind, data, submit=submit):
                errors[str(row.assignment.pk)] = list(data.errors)
            todo.append((row, data, item["version"]))
        if errors:
            raise ValidationError({"detail": "有填报内容需要修改，请查看各项措施的问题（均未保存）。", "rows": errors})
        if not todo:
            raise DomainError("没有需要保存的内容。")
        with transaction.atomic(), progress_services.rollups_deferred():
            for row, data, version in todo:
                progress_services.report_save(
                    actor=request.user, assignment=row.assignment, period=period, data=data, submit=submit,
                    version=version,
                )  # fmt: skip
        warnings_refresh(measure_ids=[row.assignment.measure_id for row, _, _ in todo if row.assignment.measure_id])
        return _rows_response(unit, period)
