"""API representations (no business rules here: writes go through services)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import ReturnDict

from rectify.core import clock
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.plans import warning_text
from rectify.plans.models import Assignment, Measure, Milestone, Plan, Problem, Recurrence
from rectify.progress.models import Evidence, ProgressReport, ReportKind


class UnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "name", "kind", "parent", "aliases", "is_active", "depth"]


class UnitCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(choices=UnitKind.choices)
    parent = serializers.IntegerField()  # type: ignore[assignment]  # DRF collects it as a field
    aliases = serializers.ListField(child=serializers.CharField(max_length=120), required=False, default=list)


class PlanSerializer(serializers.ModelSerializer):
    problem_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Plan
        fields = ["id", "title", "start_on", "source_name", "created_at", "problem_count"]


class AssignmentSerializer(serializers.ModelSerializer):
    unit_name = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "unit",
            "unit_name",
            "phrase",
            "role",
            "needs_confirmation",
            "status",
            "progress",
            "due_on",
            "due_extended",
            "warning_level",
            "warning_reasons",
            "last_report_at",
            "closed_on",
            "reopened_count",
        ]

    def get_unit_name(self, obj: Assignment) -> str | None:
        return obj.unit.name if obj.unit else None

    def to_representation(self, instance: Assignment) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Stored without the day's words (days left, 序时进度): in words as of today.
        data["warning_reasons"] = warning_text.reasons_render(instance.warning_reasons, clock.today())
        return data


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "raw", "due_on", "precision", "reached_on"]


class DeadlineSerializer(serializers.Serializer):
    raw = serializers.CharField()
    kind = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    start = serializers.DateField(allow_null=True)
    parts = serializers.ListField(child=serializers.DictField())
    recurrence = serializers.ChoiceField(
        choices=Recurrence.choices,
        allow_null=True,
        help_text="周期性时限的周期（monthly 每月 / quarterly 每季度 / half_yearly 每半年 / yearly 每年）；"
        "其他时限为 null。周期性时限的 due 为本期截止日，每期结束后自动顺延",
    )


class DeadlineFieldsMixin(serializers.Serializer):
    deadline = serializers.SerializerMethodField()

    @extend_schema_field(DeadlineSerializer)
    def get_deadline(self, obj: Problem | Measure) -> dict[str, object]:
        return {
            "raw": obj.deadline_raw,
            "kind": obj.deadline_kind,
            "due": obj.due_on.isoformat() if obj.due_on else None,
            "start": obj.start_on.isoformat() if obj.start_on else None,
            "parts": obj.deadline_parts,
            "recurrence": obj.recurrence or None,
        }


class MeasureSerializer(DeadlineFieldsMixin, serializers.ModelSerializer):
    problem_number = serializers.CharField(source="problem.number", read_only=True)
    # Explicit so the schema does not depend on the database backend's integer limits.
    seq = serializers.IntegerField(read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = Measure
        fields = [
            "id",
            "problem",
            "problem_number",
            "number",
            "seq",
            "text",
            "status",
            "due_on",
            "deadline",
            "milestones",
            "assignments",
            "progress",
            "warning_level",
            "last_report_at",
            "closed_on",
            "reopened_count",
            "version",
            "source",
        ]


class ProblemSerializer(DeadlineFieldsMixin, serializers.ModelSerializer):
    chapter = serializers.CharField(source="chapter.number", read_only=True)
    index = serializers.IntegerField(read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "plan",
            "chapter",
            "number",
            "index",
            "text",
            "goal",
            "responsible_person",
            "acceptance_unit_name",
            "status",
            "due_on",
            "deadline",
            "progress",
            "warning_level",
            "last_report_at",
            "source",
        ]


# One instance per serializer class, its fields built once (see `represent`).
_SHARED: dict[type[serializers.Serializer], serializers.Serializer] = {}


def represent(serializer_class: type[serializers.Serializer], instance: Any) -> ReturnDict:
    """`serializer_class(instance).data`, said by one shared instance of the class: DRF builds a
    ModelSerializer's fields (and its nested serializers' fields) anew for every instance — for a
    measure 1.9 ms of CPU against 0.14 ms (docs/benchmarks.md). For the read-only answers here
    (measure, problem): their fields keep nothing of the object they say and read no context."""
    shared = _SHARED.get(serializer_class)
    if shared is None:
        shared = _SHARED[serializer_class] = serializer_class()
    # With a serializer of the instance, as `.data` gives it (the browsable API reads it).
    return ReturnDict(shared.to_representation(instance), serializer=serializer_class(instance))


class EvidenceSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "type_label", "content_type", "size", "sha256", "uploaded_at", "download_url"]

    def get_download_url(self, obj: Evidence) -> str:
        return reverse("api:evidence_file", args=[obj.pk])


class ReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    percent = serializers.IntegerField(read_only=True)
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "assignment",
            "unit",
            "unit_name",
            "measure",
            "kind",
            "period_start",
            "period_end",
            "progress_text",
            "next_plan",
            "issues",
            "percent",
            "milestones_reached",
            "status",
            "submitted_at",
            "reviewed_at",
            "return_reason",
            "version",
            "evidence",
        ]

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, obj: ProgressReport) -> list[dict[str, object]]:
        return EvidenceSerializer(obj.evidence.filter(removed_at__isnull=True), many=True).data  # type: ignore[return-value]


class ReportWriteSerializer(serializers.Serializer):
    """A whole report in one call; `submit` sends it for review at once."""

    progress_text = serializers.CharField(allow_blank=True, default="", max_length=5000)
    next_plan = serializers.CharField(allow_blank=True, default="", max_length=3000)
    issues = serializers.CharField(allow_blank=True, default="", max_length=2000)
    percent = serializers.IntegerField(min_value=0, max_value=100)
    milestones_reached = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    submit = serializers.BooleanField(default=False)


class ReportCreateSerializer(ReportWriteSerializer):
    assignment = serializers.IntegerField()  # type: ignore[assignment]
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    period_start = serializers.DateField(help_text="报告期内任一日期（周报按所在周，月度总结按所在月）")


class ReportUpdateSerializer(serializers.Serializer):
    """A partial update: only the fields sent change (the rest keep the report's values)."""

    progress_text = serializers.CharField(allow_blank=True, required=False, max_length=5000)
    next_plan = serializers.CharField(allow_blank=True, required=False, max_length=3000)
    issues = serializers.CharField(allow_blank=True, required=False, max_length=2000)
    percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    milestones_reached = serializers.ListField(child=serializers.IntegerField(), required=False)
    submit = serializers.BooleanField(default=False, help_text="保存后即提交审核")
    version = serializers.IntegerField(
        min_value=0,
        max_value=2_147_483_647,
        required=False,
        help_text="读取报告时的 version（可选）：其后已被他人修改则拒绝保存（409）；不填时以本次请求读到的为准",
    )


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class WarningSerializer(serializers.ModelSerializer):
    """A row of the warning board: one unit's share of one measure, with its own figures."""

    unit_name = serializers.CharField(source="unit.name")
    measure = serializers.IntegerField(source="measure_id")
    measure_label = serializers.CharField(source="measure.label")
    measure_text = serializers.CharField(source="measure.text")
    problem = serializers.IntegerField(source="measure.problem_id")
    problem_number = serializers.CharField(source="measure.problem.number")
    deadline_raw = serializers.CharField(source="measure.deadline_raw")
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "unit",
            "unit_name",
            "role",
            "measure",
            "measure_label",
            "measure_text",
            "problem",
            "problem_number",
            "status",
            "progress",
            "deadline_raw",
            "due_on",
            "due_extended",
            "warning_level",
            "reasons",
            "last_report_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reasons(self, obj: Assignment) -> list[str]:
        return list(self.context.get("reasons", {}).get(obj.pk, []))


class ComplianceSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    required = serializers.IntegerField()  # type: ignore[assignment]  # DRF collects it as a field
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField()


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "url", "created_at", "read_at", "email_status", "emailed_at"]


class DeadlineChangeSerializer(serializers.Serializer):
    raw = serializers.CharField(max_length=300, help_text="整改时限原文，如“2023年6月底前”")
    due = serializers.DateField(required=False, allow_null=True, help_text="到期日（原文无法确定日期时填写）")
    version = serializers.IntegerField(min_value=1, max_value=2_147_483_647, help_text="措施的版本号（并发修改检查）")
