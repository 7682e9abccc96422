"""Writes to the ledger with their rules; each writes its audit row in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import versioned_update
from rectify.orgs.models import OrgUnit

from . import deadlines, recurrence, rollup
from .models import Assignment, Measure, Problem
from .policies import can_assign_unit, can_change_deadline_for_all, can_edit_problem


def deadline_values(deadline: deadlines.Deadline, *, plan_start: Any = None) -> dict[str, Any]:
    """Model field values for a parsed deadline. A recurring one is due at the end of its current
    period (rectify.plans.recurrence; the daily scan moves it on), counted from `plan_start`."""
    due = deadline.due
    if deadline.kind == deadlines.DeadlineKind.RECURRING and deadline.recurrence:
        today = clock.today()
        due = recurrence.current_due(
            deadline.recurrence, plan_start=plan_start or today, start=deadline.start, today=today
        )
    return {
        "deadline_kind": str(deadline.kind),
        "deadline_raw": deadline.raw,
        "due_on": due,
        "start_on": deadline.start,
        "deadline_parts": parts_as_json(deadline),
        "recurrence": str(deadline.recurrence or ""),
    }


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def parts_as_json(deadline: deadlines.Deadline) -> list[dict[str, Any]]:
    return [
        {key: _json_value(getattr(part, key, None)) for key in ("scope", "raw", "kind", "due", "start")}
        | ({"recurrence": str(part.recurrence)} if part.recurrence else {})
        for part in deadline.parts
    ]


def _deadline_snapshot(obj: Problem | Measure) -> dict[str, Any]:
    return {
        "kind": obj.deadline_kind,
        "raw": obj.deadline_raw,
        "due": obj.due_on.isoformat() if obj.due_on else None,
        **({"recurrence": obj.recurrence} if obj.recurrence else {}),
    }


def typed_deadline_values(raw: str, due: Any = None, *, plan_start: Any = None) -> dict[str, Any]:
    """Field values for a deadline a coordinator typed: the raw text read by the deadline grammar,
    `due` overriding the date (an external deadline whose date is now known). A recurring one
    (每季度…) takes no date: each period's end is its due date."""
    raw = raw.strip()
    if not raw:
        raise DomainError("请填写整改时限。")
    parsed = deadlines.parse_deadline(raw)
    values = deadline_values(parsed, plan_start=plan_start)
    if parsed.kind == deadlines.DeadlineKind.RECURRING and due is not None:
        raise DomainError(
            f"“{raw}”是周期性时限（{parsed.recurrence_label}），到期日按周期自动计算"
            f"（本期至{values['due_on']:%Y-%m-%d}），请清空到期日后再保存。"
        )
    if due is not None:
        values["due_on"] = due
    if parsed.kind == deadlines.DeadlineKind.UNKNOWN and due is None:
        raise DomainError(f"无法识别整改时限“{raw}”，请改写或同时填写到期日。")
    return values


@transaction.atomic
def problem_update_deadline(*, actor: Any, problem: Problem, raw: str, version: int, due: Any = None) -> Problem:
    """Correct a problem's 整改时限: the raw text is re-read by the deadline grammar.

    `due` overrides the date (an external deadline whose date the coordinator now knows).
    Measures that inherited the problem's deadline follow it.
    """
    if not can_edit_problem(actor, problem):
        raise Forbidden("只有整改办可以修改整改时限。")
    values = typed_deadline_values(raw, due, plan_start=problem.plan.start_on)
    before = _deadline_snapshot(problem)
    old_raw = problem.deadline_raw
    versioned_update(problem, version=version, values=values, message="该问题已被他人修改，请刷新页面后重试。")
    following = Measure.objects.filter(problem=problem, deadline_raw=old_raw)
    measure_numbers = [m.number or "（无编号）" for m in following.order_by("seq")]
    following_ids = list(following.values_list("pk", flat=True))
    following.update(**values, updated_at=clock.now())
    shares_follow_deadline(following_ids)
    record(
        actor=actor,
        action="problem.deadline_changed",
        obj=problem,
        before=before,
        after={**_deadline_snapshot(problem), "measures": measure_numbers},
    )
    return problem


def shares_follow_deadline(measure_ids: list[int], *, due: dict[int, Any] | None = None) -> None:
    """The city office moved the deadline for all units: every share follows, except a share
    whose approved extension runs later than the new date (it keeps its extension). `due`: the
    measures' new dates when the caller holds them (one measure just written), else read."""
    if due is None:
        due = dict(Measure.objects.filter(pk__in=measure_ids).values_list("pk", "due_on"))
    extended = Assignment.objects.filter(measure_id__in=measure_ids, due_extended=True).order_by()  # no join to sort
    for share in extended.only("pk", "measure_id", "due_on"):
        new = due.get(share.measure_id or 0)
        if new is None or share.due_on is None or share.due_on <= new:
            Assignment.objects.filter(pk=share.pk).update(due_extended=False)
    rollup.shares_sync_due(measure_ids=measure_ids)


@transaction.atomic
def measure_update_deadline(*, actor: Any, measure: Measure, raw: str, version: int, due: Any = None) -> Measure:
    """The city office changes one measure's 整改时限 for all its units (not an extension: that
    moves one unit's share). Audited on the problem's timeline and shown on the measure."""
    if not can_edit_problem(actor, measure.problem) or not can_change_deadline_for_all(actor):
        raise Forbidden("只有市整改办可以修改措施对所有责任单位的整改时限。")
    values = typed_deadline_values(raw, due, plan_start=measure.problem.plan.start_on)
    before = _deadline_snapshot(measure)
    versioned_update(measure, version=version, values=values, message="该措施已被他人修改，请刷新页面后重试。")
    shares_follow_deadline([measure.pk], due={measure.pk: measure.due_on})  # as just written and read back
    record(
        actor=actor,
        action="measure.deadline_changed",
        obj=measure,
        parent=measure.problem,
        before={**before, "measure": measure.label},
        after={**_deadline_snapshot(measure), "measure": measure.label, "scope": "全部责任单位"},
    )
    return measure


@transaction.atomic
def assignment_confirm(*, actor: Any, assignment: Assignment, units: list[OrgUnit]) -> list[Assignment]:
    """Turn a "to confirm" phrase into concrete units on the problem and each of its measures."""
    problem = assignment.problem
    if not can_edit_problem(actor, problem):
        raise Forbidden("只有整改办可以确认责任单位。")
    locked = (
        Assignment.objects.select_for_update().filter(pk=assignment.pk, needs_confirmation=True).order_by("pk").first()
    )
    if locked is None:
        raise DomainError("该责任单位已被他人确认，请刷新页面。")
    if not units:
        raise DomainError("请至少选择一个单位。")
    outside = [u.name for u in units if not can_assign_unit(actor, u.pk)]
    if outside:
        raise DomainError(f"不能把任务分配给本辖区以外的单位：{'、'.join(outside)}。")
    created: list[Assignment] = []
    existing = set(
        Assignment.objects.filter(problem=problem, measure__isnull=True, unit__in=units).values_list(
            "unit_id", flat=True
        )
    )
    measures = list(problem.measures.all())
    for unit in units:
        if unit.pk in existing:
            continue
        created.append(Assignment.objects.create(problem=problem, unit=unit, phrase=locked.phrase, role=locked.role))
        Assignment.objects.bulk_create(
            [
                Assignment(problem=problem, measure=m, unit=unit, phrase=locked.phrase, role=locked.role)
                for m in measures
            ]
        )
    locked.delete()
    rollup.shares_sync_due(measure_ids=[m.pk for m in measures])
    record(
        actor=actor,
        action="assignment.confirmed",
        obj=problem,
        before={"phrase": locked.phrase},
        after={"units": [u.name for u in units]},
    )
    return created
