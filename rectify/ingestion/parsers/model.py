"""The parsed plan as dataclasses, and `plan_to_dict`: the JSON contract of DESIGN.md.

Line numbers (1-based, in the text the parser was given) are kept on the dataclasses for review
screens but left out of the dict, so that one plan read from .txt, .docx, .pdf or .html gives the
same JSON even though the formats break lines differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rectify.plans.deadlines import Deadline, DeadlinePart


@dataclass(slots=True)
class Milestone:
    raw: str
    due: date
    precision: str  # day | month | year


@dataclass(slots=True)
class Measure:
    number: str | None  # as written ("17"); None for an unnumbered measure
    text: str
    milestones: list[Milestone] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class Chapter:
    number: str  # Chinese numeral without 、: "一"
    title: str  # without the "一、" prefix and without a trailing 。
    line: int = 0


@dataclass(slots=True)
class Problem:
    number: str  # Chinese numeral without brackets: "十八"
    index: int  # 1-based position in the plan
    chapter: str | None  # the chapter's number, None when the plan has no chapters
    text: str
    goal: str
    measures: list[Measure]
    responsible_units: list[str]
    lead_units: list[str]
    support_units: list[str]
    responsible_person: str | None
    acceptance_unit: str | None
    deadline: Deadline
    acceptance_support_units: list[str] = field(default_factory=list)
    line: int = 0


@dataclass(slots=True)
class ParseWarning:
    line: int
    message: str


@dataclass(slots=True)
class ParsedPlan:
    title: str
    chapters: list[Chapter]
    problems: list[Problem]
    warnings: list[ParseWarning]
    attachment_title: str | None = None
    # The main text before the list (principles, mechanisms), one string per paragraph.
    preamble: list[str] = field(default_factory=list)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _part_dict(part: DeadlinePart) -> dict[str, Any]:
    return {
        "scope": part.scope,
        "raw": part.raw,
        "kind": str(part.kind),
        "due": _iso(part.due),
        "start": _iso(part.start),
    }


def deadline_to_dict(deadline: Deadline) -> dict[str, Any]:
    return {
        "raw": deadline.raw,
        "kind": str(deadline.kind),
        "due": _iso(deadline.due),
        "start": _iso(deadline.start),
        "parts": [_part_dict(p) for p in deadline.parts],
    }


def measure_to_dict(measure: Measure) -> dict[str, Any]:
    return {
        "number": measure.number,
        "text": measure.text,
        "milestones": [{"raw": m.raw, "due": m.due.isoformat(), "precision": m.precision} for m in measure.milestones],
    }


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    return {
        "number": problem.number,
        "index": problem.index,
        "chapter": problem.chapter,
        "text": problem.text,
        "goal": problem.goal,
        "measures": [measure_to_dict(m) for m in problem.measures],
        "responsible_units": list(problem.responsible_units),
        "lead_units": list(problem.lead_units),
        "support_units": list(problem.support_units),
        "responsible_person": problem.responsible_person,
        "acceptance_unit": problem.acceptance_unit,
        "acceptance_support_units": list(problem.acceptance_support_units),
        "deadline": deadline_to_dict(problem.deadline),
    }


def plan_to_dict(plan: ParsedPlan) -> dict[str, Any]:
    """The JSON-ready contract dict (dates as ISO strings); json.dumps it as it is."""
    return {
        "title": plan.title,
        "chapters": [{"number": c.number, "title": c.title} for c in plan.chapters],
        "problems": [problem_to_dict(p) for p in plan.problems],
        "warnings": [{"line": w.line, "message": w.message} for w in plan.warnings],
        "attachment_title": plan.attachment_title,
        "preamble": list(plan.preamble),
    }
