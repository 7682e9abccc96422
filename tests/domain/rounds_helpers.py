"""Builders for 督察轮次 tests: rounds, small plans of a later round, closing a problem.

Plans are written with the ORM (as an import would leave them): a chapter, problems with one
measure each, and the problem-level and measure-level assignments (shares) of the given units.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from rectify.orgs.models import OrgUnit
from rectify.plans.models import (
    Assignment,
    Chapter,
    DeadlineKind,
    InspectionRound,
    ItemStatus,
    Measure,
    Plan,
    Problem,
    ShareStatus,
)

NUMERALS = "一 二 三 四 五 六 七 八 九 十".split()


def numeral(i: int) -> str:
    """一 … 九十九 as the plans number their problems (plain digits from 100 on)."""
    if i >= 100:
        return str(i)
    tens, ones = divmod(i, 10)
    text = (NUMERALS[tens - 1] if tens > 1 else "") + ("十" if tens else "")
    return text + (NUMERALS[ones - 1] if ones else "")


def make_round(name: str, *, feedback_on: dt.date | None = None, **fields: Any) -> InspectionRound:
    fields.setdefault("level", InspectionRound.Level.PROVINCIAL)
    return InspectionRound.objects.create(name=name, feedback_on=feedback_on, **fields)


def make_plan(
    title: str,
    problems: list[tuple[str, list[str]]],
    *,
    round: InspectionRound | None = None,
    start_on: dt.date = dt.date(2022, 6, 1),
) -> Plan:
    """A plan whose problem i has text problems[i][0] and one measure shared by the named units."""
    plan = Plan.objects.create(
        title=title,
        start_on=start_on,
        round=round,
        source_name=f"{title}.txt",
        fingerprint=hashlib.sha256(title.encode()).hexdigest(),
    )
    chapter = Chapter.objects.create(plan=plan, number="一", index=1, title="反馈问题")
    units = {u.name: u for u in OrgUnit.objects.filter(name__in={n for _, names in problems for n in names})}
    for i, (text, names) in enumerate(problems, start=1):
        problem = Problem.objects.create(
            plan=plan,
            chapter=chapter,
            number=numeral(i),
            index=i,
            text=text,
            deadline_kind=DeadlineKind.DATE,
            deadline_raw="2022年12月底前",
            due_on=dt.date(2022, 12, 31),
        )
        measure = Measure.objects.create(
            problem=problem,
            number=str(i),
            seq=1,
            text=f"整改{text[:20]}",
            deadline_kind=DeadlineKind.DATE,
            deadline_raw="2022年12月底前",
            due_on=dt.date(2022, 12, 31),
        )
        for name in names:
            unit = units[name]
            Assignment.objects.create(problem=problem, unit=unit, phrase=name)
            Assignment.objects.create(problem=problem, measure=measure, unit=unit, phrase=name, due_on=measure.due_on)
    return plan


def close(problem: Problem, day: dt.date = dt.date(2022, 9, 30)) -> Problem:
    """Leave `problem` as a finished close-out leaves it: closed, with its 销号 date, its measures
    and shares closed too."""
    Assignment.objects.filter(problem=problem, measure__isnull=False).update(status=ShareStatus.CLOSED, closed_on=day)
    Measure.objects.filter(problem=problem).update(status=ItemStatus.CLOSED, closed_on=day, progress=100)
    Problem.objects.filter(pk=problem.pk).update(status=ItemStatus.CLOSED, closed_on=day, progress=100)
    problem.refresh_from_db()
    return problem
