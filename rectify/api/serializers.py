"""API representations (no business rules here: writes go through services)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rectify.orgs.models import OrgUnit, UnitKind
from rectify.plans.models import Assignment, Measure, Milestone, Plan, Problem


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
        fields = ["id", "unit", "unit_name", "phrase", "role", "needs_confirmation"]

    def get_unit_name(self, obj: Assignment) -> str | None:
        return obj.unit.name if obj.unit else None


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["raw", "due_on", "precision"]


class DeadlineSerializer(serializers.Serializer):
    raw = serializers.CharField()
    kind = serializers.CharField()
    due = serializers.DateField(allow_null=True)
    start = serializers.DateField(allow_null=True)
    parts = serializers.ListField(child=serializers.DictField())


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
        ]
