"""The ledger rows of a problem: the one way a Problem, its Measures, Milestones and Assignments
(the problem's units and each unit's share of each measure) are written.

Both ways a problem reaches the ledger use it — the plan import (ingestion.services.plan_commit)
and the city office adding a problem or a measure by hand (plans.editing) — so a problem added by
hand has exactly the rows of an imported one and goes through the weekly loop, the warnings and
close-out the same way. No rules and no audit here: the callers own both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rectify.orgs.models import OrgUnit

from . import search_index
from .models import Assignment, Chapter, ItemSource, Measure, Milestone, Plan, Problem
from .rollup import shares_sync_due


@dataclass(frozen=True)
class UnitPhrase:
    """A responsible unit as the plan names it (or as the office picked it) and the units it means.

    `resolved` when `units` are the concrete units; otherwise the phrase waits for a coordinator
    to confirm it and `units` are only candidates."""

    phrase: str
    role: str
    units: Sequence[OrgUnit]
    resolved: bool = True


@dataclass(frozen=True)
class MilestoneRow:
    seq: int  # its place among the measure's dated commitments as the text states them
    raw: str
    due_on: dt.date
    precision: str


@dataclass(frozen=True)
class MeasureRow:
    number: str
    text: str
    deadline: dict[str, Any]  # model field values (plans.services.deadline_values)
    milestones: Sequence[MilestoneRow] = field(default_factory=tuple)
    source: str = ItemSource.PLAN


def problem_row(
    *,
    plan: Plan,
    chapter: Chapter,
    number: str,
    index: int,
    text: str,
    goal: str,
    responsible_person: str,
    acceptance_unit_name: str,
    acceptance_unit: OrgUnit | None,
    deadline: dict[str, Any],
    source: str = ItemSource.PLAN,
) -> Problem:
    problem = Problem.objects.create(
        plan=plan,
        chapter=chapter,
        number=number,
        index=index,
        text=text,
        goal=goal,
        responsible_person=responsible_person,
        acceptance_unit_name=acceptance_unit_name,
        acceptance_unit=acceptance_unit,
        source=source,
        **deadline,
    )
    search_index.index_problems([problem])  # the ledger's text search (plans.search)
    return problem


def measure_rows(problem: Problem, rows: Iterable[MeasureRow], *, first_seq: int = 1) -> list[Measure]:
    """The measures (numbered in order from `first_seq`) with their milestones."""
    return [measure_row(problem, row, seq=seq)[0] for seq, row in enumerate(rows, start=first_seq)]


def measure_row(problem: Problem, row: MeasureRow, *, seq: int) -> tuple[Measure, list[Milestone]]:
    """One measure and its milestones (returned with their ids)."""
    measure = Measure.objects.create(
        problem=problem, number=row.number, seq=seq, text=row.text, source=row.source, **row.deadline
    )
    search_index.index_measures([measure])  # the ledger's text search (plans.search)
    created = Milestone.objects.bulk_create(
        [
            Milestone(measure=measure, seq=ms.seq, raw=ms.raw, due_on=ms.due_on, precision=ms.precision)
            for ms in row.milestones
        ]
    )
    return measure, created


def assignment_rows(
    problem: Problem, measures: Sequence[Measure], units: Iterable[UnitPhrase], *, problem_units: bool = True
) -> list[Assignment]:
    """The problem's units (measure null) and each unit's share of every measure; a phrase still
    to confirm becomes one pending row with its candidates. A unit named twice in one role counts
    once. Without `problem_units` only the shares (a measure added to a problem that has its units)."""
    rows: list[Assignment] = []
    seen: set[tuple[int, str]] = set()
    for u in units:
        if not u.resolved:
            if not problem_units:
                continue
            rows.append(
                Assignment(
                    problem=problem,
                    unit=None,
                    phrase=u.phrase,
                    role=u.role,
                    needs_confirmation=True,
                    candidates=[unit.pk for unit in u.units],
                )
            )
            continue
        for unit in u.units:
            if (unit.pk, u.role) in seen:
                continue
            seen.add((unit.pk, u.role))
            if problem_units:
                rows.append(Assignment(problem=problem, unit=unit, phrase=u.phrase, role=u.role))
            rows += [Assignment(problem=problem, measure=m, unit=unit, phrase=u.phrase, role=u.role) for m in measures]
    return rows


def problem_write(
    problem: Problem, measures: Sequence[MeasureRow], units: Iterable[UnitPhrase], *, first_seq: int = 1
) -> list[Measure]:
    """Write the measures and the assignments of a problem just created, and give every share its
    measure's due date. Returns the measures."""
    created = measure_rows(problem, measures, first_seq=first_seq)
    Assignment.objects.bulk_create(assignment_rows(problem, created, units))
    shares_sync_due(measure_ids=[m.pk for m in created])
    return created
