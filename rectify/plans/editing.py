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

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.formats import int_to_cn
from rectify.core.transitions import versioned_update
from rectify.orgs.models import OrgUnit, UnitKind

from . import rollup, search_index, services, writer
from .milestones import MilestoneInput, milestones_check, milestones_replace
from .milestones import labels as milestone_labels
from .models import (
    Assignment,
    Chapter,
    DeadlineFields,
    ItemSource,
    ItemStatus,
    Measure,
    Milestone,
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
    milestones: Sequence[MilestoneInput] = ()  # 阶段性节点, in order


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


@dataclass
class _Checked:
    deadline: dict[str, Any] | None  # None: the problem's
    milestones: list[writer.MilestoneRow]


def _measure_errors(
    actor: Any, m: MeasureInput, prefix: str, errors: dict[str, str], *, default_source: str | None
) -> _Checked:
    """Check one measure's input; returns its deadline values and milestone rows. A measure
    without a source takes `default_source`; None there means the problem's own source is wrong,
    which is said once, for the problem."""
    m.text = _text(m.text, "整改措施", f"{prefix}text", errors)
    _units(actor, m.units, f"{prefix}units", errors)
    if m.source or default_source is not None:
        m.source = _source(m.source or default_source or "", f"{prefix}source", errors)
    rows = milestones_check(m.milestones, f"{prefix}milestones", errors)
    if (m.deadline or "").strip() or m.due is not None:
        return _Checked(_deadline(m.deadline, m.due, f"{prefix}deadline", errors), rows)
    return _Checked(None, rows)


# --- numbering ------------------------------------------------------------------------------------


def next_problem_number(plan: Plan) -> tuple[int, str]:
    """The next free （N） of the plan: one after its last problem, e.g. （三十五） after （三十四）."""
    rows = list(Problem.objects.filter(plan=plan).order_by().values_list("number", "index"))  # one read, no sort
    taken = {number for number, _ in rows}
    index = max((i for _, i in rows), default=0) + 1
    while int_to_cn(index) in taken:
        index += 1
    return index, int_to_cn(index)


def next_measure_number(problem: Problem) -> str:
    """Numbered like the plan numbers its measures: through the whole plan (the seed's 1.…91.), per
    problem (each problem's from 1.), or not at all."""
    return _next_measure(problem, 1)[0][0]


def _next_measure(problem: Problem, count: int) -> tuple[list[str], int]:
    """The numbers of `count` measures added to the problem (see next_measure_number) and the seq
    of the first, in one read of the plan's measures."""
    # Unsorted: the model's ordering would join the plan and sort every row; nothing here needs an order.
    rows = list(
        Measure.objects.filter(problem__plan_id=problem.plan_id).order_by().values_list("problem_id", "number", "seq")
    )
    seq = max((q for pid, _, q in rows if pid == problem.pk), default=0) + 1
    numbers = [(pid, int(n)) for pid, n, _ in rows if n and n.isascii() and n.isdigit()]
    if not numbers:
        return [""] * count, seq
    per_problem = len({n for _, n in numbers}) < len(numbers)  # a number used twice: per problem
    if per_problem:
        last = max((n for pid, n in numbers if pid == problem.pk), default=0)
    else:
        last = max(n for _, n in numbers)
    return [str(last + k) for k in range(1, count + 1)], seq


# --- writes ----------------------------------------------------------------------------------------


def _phrases(units: Sequence[UnitRole]) -> list[writer.UnitPhrase]:
    return [writer.UnitPhrase(u.unit.name, u.role, [u.unit]) for u in units]


def _unit_labels(measure: Measure, shares: Sequence[Assignment] | None = None) -> list[str]:
    """ "市生态环境局（牵头）" for each share, in the ledger's order (role, then id); `shares` when
    the caller holds them already (with their units)."""
    if shares is None:
        shares = _shares(measure)
    return [f"{a.unit.name}（{a.get_role_display()}）" for a in shares if a.unit is not None]


def _shares(measure: Measure) -> list[Assignment]:
    return list(
        Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit").order_by("role", "id")
    )


def _fetched(measure: Measure, shares: list[Assignment], rows: list[Any]) -> Measure:
    """The measure with its saved shares and milestones as selectors.with_ledger_relations would
    prefetch them (shares by role then id, milestones by seq), so the caller's answer is built
    from what was just written instead of read again."""
    measure._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "assignments": sorted(shares, key=lambda a: (a.role, a.pk)),
        "milestones": sorted(rows, key=lambda r: r.seq),
    }
    return measure


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


def _sync_problem_units(problem: Problem, *, units: Collection[OrgUnit] = (), has_measures: bool = False) -> None:
    """A problem's units (its assignments without a measure) are the units holding a share of its
    measures, once each: 牵头 when the unit leads any measure, else 配合. Adds the missing ones,
    turns a unit's row to its role, and drops rows left over (unless something refers to them);
    phrases still to confirm stay. `units`: unit objects the caller holds (not read again);
    `has_measures`: the caller knows the problem has a measure."""
    if not has_measures and not Measure.objects.filter(problem=problem).exists():
        return
    roles: dict[int, str] = {}
    rows: dict[int, list[Assignment]] = defaultdict(list)
    for row in Assignment.objects.filter(problem=problem, unit__isnull=False).order_by("pk"):  # shares and units
        unit_id = row.unit_id or 0
        if row.measure_id is None:
            rows[unit_id].append(row)
        elif row.role == LEAD or unit_id not in roles:
            roles[unit_id] = row.role
    held = {u.pk: u for u in units}
    wanted = [u for u in roles if u not in rows and u not in held]
    held.update((u.pk, u) for u in OrgUnit.objects.filter(pk__in=wanted) if wanted)
    missing: list[Assignment] = []
    for unit_id, role in roles.items():
        mine = rows.pop(unit_id, [])
        keep = next((r for r in mine if r.role == role), mine[0] if mine else None)
        if keep is None:
            missing.append(Assignment(problem=problem, unit=held[unit_id], phrase=held[unit_id].name, role=role))
            continue
        if keep.role != role:
            Assignment.objects.filter(pk=keep.pk).update(role=role, updated_at=clock.now())
        for extra in mine:
            if extra.pk != keep.pk and not _referenced(extra):
                extra.delete()
    Assignment.objects.bulk_create(missing)
    for leftover in rows.values():  # units that no longer hold any share of the problem
        for row in leftover:
            if not _referenced(row):
                row.delete()


def _problem_units(problem: Problem, measures: Sequence[MeasureInput]) -> list[Assignment]:
    """The unit rows of a problem just created: what _sync_problem_units would write for it."""
    roles: dict[int, tuple[OrgUnit, str]] = {}
    for m in measures:
        for u in m.units:
            if u.role == LEAD or u.unit.pk not in roles:
                roles[u.unit.pk] = (u.unit, u.role)
    return [Assignment(problem=problem, unit=unit, phrase=unit.name, role=role) for unit, role in roles.values()]


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
    (（三十五） after （三十四）) and written exactly like an imported problem.

    No roll-up runs: a problem whose measures and shares are all new has exactly the figures a
    roll-up would give (no progress, no warning, 整改中), which the models' defaults are; a test
    keeps the two the same."""
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
    checked = [
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
    numbers, _ = _next_measure(problem, len(measures))
    rows = _problem_units(problem, measures)
    written = [
        _measure_write(problem, m, c, c.deadline or values, seq=seq, number=n)
        for seq, (m, c, n) in enumerate(zip(measures, checked, numbers, strict=True), start=1)
    ]
    Assignment.objects.bulk_create(rows + [share for _, shares, _ in written for share in shares])
    created = [_fetched(*w) for w in written]
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
            "measures": [{"measure": m.label, "units": _unit_labels(m, list(m.assignments.all()))} for m in created],
        },
    )
    return problem


def _measure_write(
    problem: Problem, m: MeasureInput, checked: _Checked, deadline: dict[str, Any], *, seq: int, number: str
) -> tuple[Measure, list[Assignment], list[Milestone]]:
    """One measure with its milestones, and its units' shares — not yet saved: the caller writes
    every share in one statement — each with the measure's due date, as rollup.shares_sync_due
    would give it."""
    row = writer.MeasureRow(
        number=number, text=m.text, deadline=deadline, source=m.source, milestones=checked.milestones
    )
    measure, created = writer.measure_row(problem, row, seq=seq)
    shares = writer.assignment_rows(problem, [measure], _phrases(m.units), problem_units=False)
    for share in shares:
        share.due_on = measure.due_on
    return measure, shares, created


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
    milestones: Sequence[MilestoneInput] = (),
) -> Measure:
    """A measure added to a problem (imported or not), numbered next; without a deadline it takes
    the problem's 整改时限 as an imported measure does. Comes back with its shares and milestones
    (see _fetched). Its own figures need no roll-up (all its shares are new: no progress, no
    warning, 整改中, the models' defaults); the problem's do."""
    if not can_add_items(actor):
        raise Forbidden("只有市整改办可以手工添加整改措施。")
    default = problem.source if problem.source != ItemSource.PLAN else ""
    m = MeasureInput(text=text, units=units, deadline=deadline, due=due, source=source, milestones=milestones)
    errors: dict[str, str] = {}
    checked = _measure_errors(actor, m, "", errors, default_source=default)
    if errors:
        raise Invalid(errors)
    problem = Problem.objects.select_for_update().get(pk=problem.pk)
    (number,), seq = _next_measure(problem, 1)
    inherited = {name: getattr(problem, name) for name in DEADLINE_FIELDS}
    measure, shares, rows = _measure_write(problem, m, checked, checked.deadline or inherited, seq=seq, number=number)
    Assignment.objects.bulk_create(shares)
    _fetched(measure, shares, rows)
    _sync_problem_units(problem, units=[u.unit for u in units], has_measures=True)
    rollup.problems_rollup([problem.pk])
    record(
        actor=actor,
        action="measure.created",
        obj=measure,
        parent=problem,
        after={
            "measure": measure.label,
            "source": measure.get_source_display(),
            "text": measure.text[:200],
            "units": _unit_labels(measure, shares),
            "deadline": measure.deadline_raw,
        }
        | ({"milestones": milestone_labels(checked.milestones)} if checked.milestones else {}),
    )
    return measure


def _units_apply(measure: Measure, units: Sequence[UnitRole], shares: list[Assignment]) -> None:
    """Make the measure's shares (`shares`, as they are) those of `units`: new units get a share, a
    unit whose role changed keeps its share (and its records) in the new role, a unit left out loses
    its share only when nothing is on record about it (otherwise the whole edit is refused)."""
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
    added = writer.assignment_rows(measure.problem, [measure], _phrases(new), problem_units=False)
    for share in added:  # a new share takes the measure's due date (rollup.shares_sync_due)
        share.due_on = measure.due_on
    Assignment.objects.bulk_create(added)
    _sync_problem_units(measure.problem, units=[u.unit for u in units], has_measures=True)


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
    milestones: Sequence[MilestoneInput] | None = None,
) -> list[str]:
    """Change what is given (None: unchanged) of one measure; returns what changed, e.g. ["措施内容",
    "责任单位", "整改时限", "阶段性节点"]. The deadline moves for every unit through the same service
    as the problem page's "调整全部单位的整改时限" (plans.services.measure_update_deadline: audited,
    an approved later extension kept); `milestones` is the whole new list (a node kept as it was
    keeps its row, see plans.milestones). Warnings follow at the next scan, or at once where the
    caller re-assesses (the API does)."""
    if not can_add_items(actor):
        raise Forbidden("只有市整改办可以修改整改措施。")
    errors: dict[str, str] = {}
    if text is not None:
        text = _text(text, "整改措施", "text", errors)
    shares = _shares(measure) if units is not None else []  # read only when the units may change
    current = {(s.unit_id or 0, s.role) for s in shares}
    if units is not None:
        _units(actor, units, "units", errors, current={unit_id for unit_id, _ in current})
    if deadline is not None:
        _deadline(deadline, due, "deadline", errors)
    rows = milestones_check(milestones, "milestones", errors) if milestones is not None else None
    if errors:
        raise Invalid(errors)
    text_changed = text is not None and text != measure.text
    units_changed = units is not None and {(u.unit.pk, u.role) for u in units} != current
    deadline_changed = deadline is not None and (
        deadline.strip() != measure.deadline_raw or (due is not None and due != measure.due_on)
    )
    old_nodes = list(Milestone.objects.filter(measure=measure).order_by("seq")) if rows is not None else []
    nodes_changed = rows is not None and [(m.raw, m.due_on) for m in old_nodes] != [(r.raw, r.due_on) for r in rows]
    changed = [
        label
        for label, flag in (
            ("措施内容", text_changed),
            ("责任单位", units_changed),
            ("整改时限", deadline_changed),
            ("阶段性节点", nodes_changed),
        )
        if flag
    ]
    if not changed:
        return []
    if (units_changed or deadline_changed or nodes_changed) and measure.status in (
        ItemStatus.CLOSED,
        ItemStatus.ONGOING,
    ):
        key = "units" if units_changed else "deadline" if deadline_changed else "milestones"
        raise Invalid(
            {key: f"{measure.label}已销号，不能再调整责任单位或整改时限；如整改反弹，请先在验收销号中反弹重开。"}
        )
    if text_changed or units_changed or nodes_changed:
        labels = _unit_labels(measure, shares)  # [] when not sent: unchanged, left out of the record
        before = {
            "measure": measure.label,
            "text": measure.text,
            "units": labels,
            "milestones": milestone_labels(old_nodes),
        }
        versioned_update(measure, version=version, values={"text": text} if text_changed else {}, message=STALE)
        search_index.index_measures([measure] if text_changed else [])  # the ledger's text search
        version = measure.version
        if units is not None and units_changed:
            _units_apply(measure, units, shares)
            labels = _unit_labels(measure)
        if rows is not None and nodes_changed:
            try:
                milestones_replace(measure, rows)
            except ValueError as exc:
                raise Invalid({"milestones": f"{exc}。"}) from exc
        after = {
            "measure": measure.label,
            "text": measure.text,
            "units": labels,
            "milestones": milestone_labels(rows) if rows is not None else before["milestones"],
        }
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
    if units_changed:  # the roll-up reads the shares' roles and figures: nothing else here moves it
        rollup.measures_rollup([measure.pk])
    return changed
