"""Problems and measures added by hand, and a measure's text, units and deadline edited (city office).

Self-found problems — 自查自纠, 举一反三, 回头看, 群众举报 — reach the ledger here instead of through a
plan import. They are written by the same ledger writer as an import (plans.writer): a problem,
its measures, its units (measure null) and every unit's share of every measure, each share with its
measure's due date. So the weekly loop, the warnings, the letters and close-out treat a problem
added by hand exactly like an imported one; only `source` tells them apart.

Every service checks the policy, validates everything at once (`Invalid` carries a Chinese message
per field), writes in one transaction with its audit event, and leaves the roll-ups true
(plans.rollup). Concurrent edits: a measure edit is a guarded UPDATE on the version the form was
built from; new problems and measures take the next free number under a lock on their plan or problem.

A unit removed from a measure loses its share only when nothing is on record about that share
(no report, warning, close-out application, letter or extension request, still 未开始): a share
with a history is never deleted silently — the edit is refused with the records named, and the
office may turn it into a support (配合) share instead, which keeps everything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.formats import int_to_cn
from rectify.core.transitions import versioned_update
from rectify.orgs.models import OrgUnit, UnitKind

from . import rollup, services, writer
from .models import (
    Assignment,
    Chapter,
    DeadlineFields,
    ItemSource,
    ItemStatus,
    Measure,
    Plan,
    Problem,
    ShareStatus,
)
from .policies import can_add_items, can_assign_unit

LEAD = Assignment.RoleKind.LEAD
SUPPORT = Assignment.RoleKind.SUPPORT
# The sources of an item added by hand (方案导入 is the import's).
HAND_SOURCES = [(value, label) for value, label in ItemSource.choices if value != ItemSource.PLAN]
TEXT_LIMIT = 3000
DEADLINE_FIELDS = [f.name for f in DeadlineFields._meta.fields]
STALE = "该措施已被他人修改，请刷新页面后重试（您填写的内容仍在表单中）。"


class Invalid(DomainError):
    """Input refused field by field; `message` lists every problem, `errors` maps field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("；".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class UnitRole:
    """A responsible unit the office picked from the directory, and its role on the measure."""

    unit: OrgUnit
    role: str = LEAD


@dataclass
class MeasureInput:
    text: str
    units: Sequence[UnitRole]
    deadline: str = ""  # blank: the problem's 整改时限, as an imported measure inherits it
    due: dt.date | None = None  # overrides the date read from `deadline`
    source: str = ""  # blank: the problem's source (自查自纠 on an imported problem)


# --- validation ---------------------------------------------------------------------------------


def _text(value: str, label: str, key: str, errors: dict[str, str], *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors[key] = f"请填写{label}。"
    elif len(value) > TEXT_LIMIT:
        errors[key] = f"{label}不能超过{TEXT_LIMIT}字（现{len(value)}字）。"
    return value


def _source(value: str, key: str, errors: dict[str, str]) -> str:
    if value not in ItemSource.values or value == ItemSource.PLAN:
        errors[key] = "请选择来源：自查自纠、举一反三、回头看或群众举报。"
    return value


def _units(
    actor: Any, units: Sequence[UnitRole], key: str, errors: dict[str, str], *, current: Collection[int] = ()
) -> None:
    """Check a measure's units; `current` are the units it has already (kept as they are even if
    their unit was since closed or lies outside the actor's scope)."""
    roles: dict[int, set[str]] = defaultdict(set)
    for u in units:
        roles[u.unit.pk].add(u.role)
    names = {u.unit.pk: u.unit.name for u in units}
    problems: list[str] = []
    if any(u.role not in (LEAD, SUPPORT) for u in units):
        problems.append("责任单位的角色应为牵头或配合")
    both = [names[pk] for pk, r in roles.items() if len(r) > 1]
    if both:
        problems.append(f"同一单位不能既牵头又配合：{'、'.join(both)}")
    new = [u for u in units if u.unit.pk not in current]
    unfit = [u.unit.name for u in new if not u.unit.is_active or u.unit.kind == UnitKind.REGION]
    if unfit:
        problems.append(f"{'、'.join(dict.fromkeys(unfit))}已撤销或是行政区，不能承担整改任务，请选择具体单位")
    outside = [u.unit.name for u in new if not can_assign_unit(actor, u.unit.pk)]
    if outside:
        problems.append(f"不能把任务分配给本辖区以外的单位：{'、'.join(dict.fromkeys(outside))}")
    if not any(u.role == LEAD for u in units):
        problems.append("请至少选择一个牵头单位")
    if problems:
        errors[key] = "；".join(problems) + "。"


def _deadline(raw: str, due: dt.date | None, key: str, errors: dict[str, str]) -> dict[str, Any] | None:
    try:
        return services.typed_deadline_values(raw or "", due)
    except DomainError as exc:
        errors[key] = exc.message
        return None


def _measure_errors(
    actor: Any, m: MeasureInput, prefix: str, errors: dict[str, str], *, default_source: str | None
) -> dict[str, Any] | None:
    """Check one measure's input; returns its deadline values (None: the problem's). A measure
    without a source takes `default_source`; None there means the problem's own source is wrong,
    which is said once, for the problem."""
    m.text = _text(m.text, "整改措施", f"{prefix}text", errors)
    _units(actor, m.units, f"{prefix}units", errors)
    if m.source or default_source is not None:
        m.source = _source(m.source or default_source or "", f"{prefix}source", errors)
    if (m.deadline or "").strip() or m.due is not None:
        return _deadline(m.deadline, m.due, f"{prefix}deadline", errors)
    return None


# --- numbering ------------------------------------------------------------------------------------


def next_problem_number(plan: Plan) -> tuple[int, str]:
    """The next free （N） of the plan: one after its last problem, e.g. （三十五） after （三十四）."""
    taken = set(Problem.objects.filter(plan=plan).values_list("number", flat=True))
    index = (Problem.objects.filter(plan=plan).aggregate(m=Max("index"))["m"] or 0) + 1
    while int_to_cn(index) in taken:
        index += 1
    return index, int_to_cn(index)


def next_measure_number(problem: Problem) -> str:
    """Numbered like the plan numbers its measures: through the whole plan (the seed's 1.…91.), per
    problem (each problem's from 1.), or not at all."""
    rows = list(
        Measure.objects.filter(problem__plan_id=problem.plan_id).exclude(number="").values_list("problem_id", "number")
    )
    numbers = [(pid, int(n)) for pid, n in rows if n.isascii() and n.isdigit()]
    if not numbers:
        return ""
    per_problem = len({n for _, n in numbers}) < len(numbers)  # a number used twice: per problem
    if per_problem:
        return str(max((n for pid, n in numbers if pid == problem.pk), default=0) + 1)
    return str(max(n for _, n in numbers) + 1)


# --- writes ----------------------------------------------------------------------------------------


def _phrases(units: Sequence[UnitRole]) -> list[writer.UnitPhrase]:
    return [writer.UnitPhrase(u.unit.name, u.role, [u.unit]) for u in units]


def _unit_labels(measure: Measure) -> list[str]:
    rows = Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit").order_by("role", "id")
    return [f"{a.unit.name}（{a.get_role_display()}）" for a in rows if a.unit is not None]


def share_record(share: Assignment) -> list[str]:
    """What is on record about one unit's share of a measure, e.g. ["进展报告2份", "预警1条"]: the
    share's own figures, and every row of another app that names the share, or its measure together
    with its unit (reports, warnings, close-out applications, letters, extension requests). Found
    through the models' relations, so a new kind of record is covered without a change here."""
    found: list[str] = []
    if share.status != ShareStatus.NOT_STARTED:
        found.append(f"状态为{share.get_status_display()}")
    if share.due_extended:
        found.append("已延期")
    counted: set[Any] = set()
    for rel in Measure._meta.related_objects:
        model: Any = rel.related_model
        unit_field = next((f for f in model._meta.get_fields() if f.name == "unit"), None)
        if model is Assignment or getattr(unit_field, "related_model", None) is not OrgUnit:
            continue
        count = model._default_manager.filter(**{rel.field.name: share.measure_id, "unit_id": share.unit_id}).count()
        counted.add(model)
        if count:
            found.append(f"{model._meta.verbose_name}{count}项")
    for rel in Assignment._meta.related_objects:
        model = rel.related_model
        if model in counted:
            continue
        count = model._default_manager.filter(**{rel.field.name: share.pk}).count()
        if count:
            found.append(f"{model._meta.verbose_name}{count}项")
    return found


def _referenced(row: Assignment) -> bool:
    return any(getattr(row, rel.get_accessor_name() or "").exists() for rel in Assignment._meta.related_objects)


def _sync_problem_units(problem: Problem) -> None:
    """A problem's units (its assignments without a measure) are the units holding a share of its
    measures, once each: 牵头 when the unit leads any measure, else 配合. Adds the missing ones,
    turns a unit's row to its role, and drops rows left over (unless something refers to them);
    phrases still to confirm stay."""
    if not Measure.objects.filter(problem=problem).exists():
        return
    roles: dict[int, str] = {}
    for unit_id, role in Assignment.objects.filter(
        problem=problem, measure__isnull=False, unit__isnull=False
    ).values_list("unit_id", "role"):
        if role == LEAD or unit_id not in roles:
            roles[unit_id] = role
    rows: dict[int, list[Assignment]] = defaultdict(list)
    for row in Assignment.objects.filter(problem=problem, measure__isnull=True, unit__isnull=False).order_by("pk"):
        rows[row.unit_id or 0].append(row)
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=[u for u in roles if u not in rows])}
    for unit_id, role in roles.items():
        mine = rows.pop(unit_id, [])
        keep = next((r for r in mine if r.role == role), mine[0] if mine else None)
        if keep is None:
            Assignment.objects.create(problem=problem, unit=units[unit_id], phrase=units[unit_id].name, role=role)
            continue
        if keep.role != role:
            Assignment.objects.filter(pk=keep.pk).update(role=role, updated_at=clock.now())
        for extra in mine:
            if extra.pk != keep.pk and not _referenced(extra):
                extra.delete()
    for leftover in rows.values():  # units that no longer hold any share of the problem
        for row in leftover:
            if not _referenced(row):
                row.delete()


@transaction.atomic
def problem_create(
    *,
    actor: Any,
    plan: Plan,
    chapter: Chapter | None,
    text: str,
    deadline: str,
    source: str,
    measures: Sequence[MeasureInput],
    goal: str = "",
    responsible_person: str = "",
    acceptance_unit: OrgUnit | None = None,
    due: dt.date | None = None,
) -> Problem:
    """A problem found by the units themselves, with its first measures: numbered next in its plan
    (（三十五） after （三十四）) and written exactly like an imported problem."""
    if not can_add_items(actor):
        raise Forbidden("只有市整改办可以手工添加整改问题。")
    errors: dict[str, str] = {}
    text = _text(text, "问题描述", "text", errors)
    goal = _text(goal, "整改目标", "goal", errors, required=False)
    responsible_person = (responsible_person or "").strip()
    if len(responsible_person) > 200:
        errors["responsible_person"] = "责任人不能超过200字。"
    if chapter is None or chapter.plan_id != plan.pk:
        errors["chapter"] = "请选择本方案中的章节。"
    source = _source(source, "source", errors)
    values = _deadline(deadline, due, "deadline", errors)
    if acceptance_unit is not None and not acceptance_unit.is_active:
        errors["acceptance_unit"] = f"验收单位{acceptance_unit.name}已撤销，请另选。"
    if not measures:
        errors["measures"] = "请至少填写一项整改措施：责任单位按措施报送进展。"
    measure_values = [
        _measure_errors(actor, m, f"measures.{i}.", errors, default_source=None if "source" in errors else source)
        for i, m in enumerate(measures)
    ]
    if errors:
        raise Invalid(errors)
    assert values is not None and chapter is not None
    plan = Plan.objects.select_for_update().get(pk=plan.pk)  # the next number, one writer at a time
    index, number = next_problem_number(plan)
    problem = writer.problem_row(
        plan=plan,
        chapter=chapter,
        number=number,
        index=index,
        text=text,
        goal=goal,
        responsible_person=responsible_person,
        acceptance_unit_name=acceptance_unit.name if acceptance_unit else "",
        acceptance_unit=acceptance_unit,
        deadline=values,
        source=source,
    )
    created = [
        _measure_write(problem, m, mv if mv is not None else values, seq=i)
        for i, (m, mv) in enumerate(zip(measures, measure_values, strict=True), start=1)
    ]
    _sync_problem_units(problem)
    rollup.measures_rollup([m.pk for m in created])
    record(
        actor=actor,
        action="problem.created",
        obj=problem,
        parent=plan,
        after={
            "number": problem.label,
            "source": problem.get_source_display(),
            "chapter": str(chapter),
            "text": text[:200],
            "deadline": values["deadline_raw"],
            "measures": [{"measure": m.label, "units": _unit_labels(m)} for m in created],
        },
    )
    return problem


def _measure_write(problem: Problem, m: MeasureInput, deadline: dict[str, Any], *, seq: int) -> Measure:
    """One measure and its units' shares, through the import's writer; the shares get its due date."""
    row = writer.MeasureRow(number=next_measure_number(problem), text=m.text, deadline=deadline, source=m.source)
    (measure,) = writer.measure_rows(problem, [row], first_seq=seq)
    Assignment.objects.bulk_create(writer.assignment_rows(problem, [measure], _phrases(m.units), problem_units=False))
    rollup.shares_sync_due(measure_ids=[measure.pk])
    return measure


@transaction.atomic
def measure_create(
    *,
    actor: Any,
    problem: Problem,
    text: str,
    units: Sequence[UnitRole],
    deadline: str = "",
    due: dt.date | None = None,
    source: str = "",
) -> Measure:
    """A measure added to a problem (imported or not), numbered next; without a deadline it takes
    the problem's 整改时限 as an imported measure does."""
    if not can_add_items(actor):
        raise Forbidden("只有市整改办可以手工添加整改措施。")
    default = problem.source if problem.source != ItemSource.PLAN else ""
    m = MeasureInput(text=text, units=units, deadline=deadline, due=due, source=source)
    errors: dict[str, str] = {}
    values = _measure_errors(actor, m, "", errors, default_source=default)
    if errors:
        raise Invalid(errors)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    seq = (Measure.objects.filter(problem=problem).aggregate(m=Max("seq"))["m"] or 0) + 1
    inherited = {name: getattr(problem, name) for name in DEADLINE_FIELDS}
    measure = _measure_write(problem, m, values if values is not None else inherited, seq=seq)
    _sync_problem_units(problem)
    rollup.measures_rollup([measure.pk])
    record(
        actor=actor,
        action="measure.created",
        obj=measure,
        parent=problem,
        after={
            "measure": measure.label,
            "source": measure.get_source_display(),
            "text": measure.text[:200],
            "units": _unit_labels(measure),
            "deadline": measure.deadline_raw,
        },
    )
    return measure


def _units_apply(measure: Measure, units: Sequence[UnitRole]) -> None:
    """Make the measure's shares those of `units`: new units get a share, a unit whose role changed
    keeps its share (and its records) in the new role, a unit left out loses its share only when
    nothing is on record about it (otherwise the whole edit is refused)."""
    shares = list(Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit"))
    by_unit: dict[int, list[Assignment]] = defaultdict(list)
    for s in shares:
        by_unit[s.unit_id or 0].append(s)
    kept: set[int] = set()
    new: list[UnitRole] = []
    now = clock.now()
    for u in units:
        mine = by_unit.get(u.unit.pk, [])
        same = [s for s in mine if s.role == u.role]
        if same:
            kept.add(same[0].pk)
        elif mine:  # 牵头 ↔ 配合: the same share, its reports and warnings kept
            Assignment.objects.filter(pk=mine[0].pk).update(role=u.role, updated_at=now)
            kept.add(mine[0].pk)
        else:
            new.append(u)
    gone = [s for s in shares if s.pk not in kept]
    refused = [f"{s.unit.name}（{'，'.join(found)}）" for s in gone if s.unit and (found := share_record(s))]
    if refused:
        raise Invalid(
            {
                "units": f"以下单位在本措施上已有工作记录，不能移除：{'；'.join(refused)}。"
                "如该单位不再牵头，可改为配合单位（记录保留）。"
            }
        )
    Assignment.objects.filter(pk__in=[s.pk for s in gone]).delete()
    Assignment.objects.bulk_create(
        writer.assignment_rows(measure.problem, [measure], _phrases(new), problem_units=False)
    )
    rollup.shares_sync_due(measure_ids=[measure.pk])
    _sync_problem_units(measure.problem)


@transaction.atomic
def measure_update(
    *,
    actor: Any,
    measure: Measure,
    version: int,
    text: str | None = None,
    units: Sequence[UnitRole] | None = None,
    deadline: str | None = None,
    due: dt.date | None = None,
) -> list[str]:
    """Change what is given (None: unchanged) of one measure; returns what changed, e.g. ["措施内容",
    "责任单位", "整改时限"]. The deadline moves for every unit through the same service as the
    problem page's "调整全部单位的整改时限" (plans.services.measure_update_deadline: audited, an
    approved later extension kept); warnings follow at the next scan, or at once where the caller
    re-assesses (the API does)."""
    if not can_add_items(actor):
        raise Forbidden("只有市整改办可以修改整改措施。")
    errors: dict[str, str] = {}
    if text is not None:
        text = _text(text, "整改措施", "text", errors)
    current = set(Assignment.objects.filter(measure=measure, unit__isnull=False).values_list("unit_id", "role"))
    if units is not None:
        _units(actor, units, "units", errors, current={unit_id for unit_id, _ in current})
    if deadline is not None:
        _deadline(deadline, due, "deadline", errors)
    if errors:
        raise Invalid(errors)
    text_changed = text is not None and text != measure.text
    units_changed = units is not None and {(u.unit.pk, u.role) for u in units} != current
    deadline_changed = deadline is not None and (
        deadline.strip() != measure.deadline_raw or (due is not None and due != measure.due_on)
    )
    changed = [
        label
        for label, flag in (("措施内容", text_changed), ("责任单位", units_changed), ("整改时限", deadline_changed))
        if flag
    ]
    if not changed:
        return []
    if (units_changed or deadline_changed) and measure.status in (ItemStatus.CLOSED, ItemStatus.ONGOING):
        raise Invalid(
            {
                "units" if units_changed else "deadline": f"{measure.label}已销号，不能再调整责任单位或整改时限；"
                "如整改反弹，请先在验收销号中反弹重开。"
            }
        )
    if text_changed or units_changed:
        before = {"measure": measure.label, "text": measure.text, "units": _unit_labels(measure)}
        versioned_update(measure, version=version, values={"text": text} if text_changed else {}, message=STALE)
        version = measure.version
        if units is not None and units_changed:
            _units_apply(measure, units)
        after = {"measure": measure.label, "text": measure.text, "units": _unit_labels(measure)}
        record(
            actor=actor,
            action="measure.updated",
            obj=measure,
            parent=measure.problem,
            before={k: v for k, v in before.items() if k == "measure" or v != after[k]},
            after={k: v for k, v in after.items() if k == "measure" or v != before[k]},
        )
    if deadline is not None and deadline_changed:
        services.measure_update_deadline(actor=actor, measure=measure, raw=deadline, version=version, due=due)
    rollup.measures_rollup([measure.pk])
    return changed
