"""Which unit a close-out application's timeline events speak for (plans.disclosure): the
applying unit. Its statement and its evidence file names are that unit's words."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Q

from rectify.audit.models import AuditEvent
from rectify.plans.disclosure import UNKNOWN_UNIT
from rectify.plans.models import Problem

from .models import CloseoutApplication

APPLICATION_TYPE = CloseoutApplication._meta.label_lower


def application_event_units(problem: Problem, events: Sequence[AuditEvent]) -> dict[int, list[int]]:
    mine = [e for e in events if e.object_type == APPLICATION_TYPE]
    if not mine:
        return {}
    apps = CloseoutApplication.objects.filter(Q(problem=problem) | Q(measure__problem=problem))
    units = {str(pk): unit_id for pk, unit_id in apps.values_list("pk", "unit_id")}
    return {e.pk: [units.get(e.object_id, UNKNOWN_UNIT)] for e in mine}
