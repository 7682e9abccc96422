"""Which unit a progress report's timeline events speak for (plans.disclosure): the report's
own unit. Its text, next week's plan and its evidence file names are that unit's words."""

from __future__ import annotations

from collections.abc import Sequence

from rectify.audit.models import AuditEvent
from rectify.plans.disclosure import UNKNOWN_UNIT
from rectify.plans.models import Problem

from .models import ProgressReport

REPORT_TYPE = ProgressReport._meta.label_lower


def report_event_units(problem: Problem, events: Sequence[AuditEvent]) -> dict[int, list[int]]:
    mine = [e for e in events if e.object_type == REPORT_TYPE]
    if not mine:
        return {}
    units = {
        str(pk): unit_id
        for pk, unit_id in ProgressReport.objects.filter(measure__problem=problem).values_list("pk", "unit_id")
    }
    return {e.pk: [units.get(e.object_id, UNKNOWN_UNIT)] for e in mine}
