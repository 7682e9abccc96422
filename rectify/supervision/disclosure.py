"""Which units supervision's timeline events speak for (plans.disclosure): an on-site visit is
its region's and its task units' (the units that see it on the visit pages); an extension
request is the requesting unit's; a notice (and its reply) the unit it was sent to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from rectify.audit.models import AuditEvent
from rectify.plans.disclosure import UNKNOWN_UNIT
from rectify.plans.models import Problem

from .models import ExtensionRequest, SiteVisit, SupervisionNotice, VisitTask

VISIT_TYPE = SiteVisit._meta.label_lower
NOTICE_TYPE = SupervisionNotice._meta.label_lower
PROBLEM_TYPE = Problem._meta.label_lower


def _visit_units(visit_ids: set[int]) -> dict[int, set[int]]:
    units: dict[int, set[int]] = defaultdict(set)
    for pk, region_id in SiteVisit.objects.filter(pk__in=visit_ids).values_list("pk", "region_id"):
        units[pk].add(region_id)
    for visit_id, unit_id in VisitTask.objects.filter(visit_id__in=visit_ids).values_list("visit_id", "unit_id"):
        units[visit_id].add(unit_id)
    return units


def supervision_event_units(problem: Problem, events: Sequence[AuditEvent]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    # Visits: their own events, and the line on each problem they concern ("2022-10-13 <title>").
    on_problem = [e for e in events if e.object_type == PROBLEM_TYPE and e.action == "visit.recorded"]
    visit_ids = {int(e.object_id) for e in events if e.object_type == VISIT_TYPE and e.object_id.isdigit()}
    titled: dict[str, int] = {}
    if on_problem:
        for pk, day, title in problem.visits.values_list("pk", "visited_on", "title"):
            titled.setdefault(f"{day:%Y-%m-%d} {title}", pk)
        visit_ids |= set(titled.values())
    units = _visit_units(visit_ids) if visit_ids else {}
    for e in on_problem:
        visit = titled.get(e.note)
        out[e.pk] = sorted(units.get(visit, set())) if visit else [UNKNOWN_UNIT]
    for e in events:
        if e.object_type == VISIT_TYPE:
            out[e.pk] = sorted(units.get(int(e.object_id), set())) if e.object_id.isdigit() else [UNKNOWN_UNIT]
    # Extension requests are recorded on the problem, naming the measure and the unit.
    asked = [e for e in events if e.object_type == PROBLEM_TYPE and e.action.startswith("extension.")]
    if asked:
        requests = ExtensionRequest.objects.filter(measure__problem=problem).values_list(
            "measure_id", "unit__name", "unit_id"
        )
        by_name: dict[tuple[object, object], int] = {(m, name): unit for m, name, unit in requests}
        for e in asked:
            facts = e.after or e.before or {}
            unit = by_name.get((facts.get("measure"), facts.get("unit"))) if isinstance(facts, dict) else None
            out[e.pk] = [unit or UNKNOWN_UNIT]
    notices = {int(e.object_id) for e in events if e.object_type == NOTICE_TYPE and e.object_id.isdigit()}
    if notices:
        sent_to = dict(SupervisionNotice.objects.filter(pk__in=notices).values_list("pk", "unit_id"))
        for e in events:
            if e.object_type == NOTICE_TYPE:
                out[e.pk] = [sent_to.get(int(e.object_id), UNKNOWN_UNIT) if e.object_id.isdigit() else UNKNOWN_UNIT]
    return out
