"""The parsed plan as dataclasses, and `plan_to_dict`: the JSON contract of DESIGN.md.

Line numbers (1-based, in the text the parser was given) are kept on the dataclasses for review
screens but left out of the dict, so that one plan read from .txt, .docx, .pdf or .html gives the
same JSON even though the formats break lines differently.

What the parser inferred rather than read from a label is listed per problem in `doubts` (the
review page marks exactly those fields); a deadline that was not read from a 整改时限 label says
where it came from in `deadline.flags`. `deadline_from_dict` turns the dict back into the
deadline the ledger stores, so the review and the commit use what the parser decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rectify.plans.deadlines import Deadline, DeadlineKind, DeadlinePart, Recurrence


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
class Doubt:
    """A field the parser inferred rather than read from its label, and why."""

    field: str  # number | text | goal | measures | units | deadline | status | completed_on | milestones | table
    reason: str  # in Chinese, for the coordinator


# problem status slugs → the words plans use
STATUS_LABELS: dict[str, str] = {
    "completed": "已完成",
    "completed_ongoing": "已完成、长期坚持",
    "ongoing": "长期坚持",
    "in_progress": "推进中",
}

# the contract's field names a doubt can name → what the review page calls them
DOUBT_FIELD_LABELS: dict[str, str] = {
    "number": "编号",
    "text": "问题描述",
    "goal": "整改目标",
    "measures": "整改措施",
    "milestones": "阶段节点",
    "responsible_units": "责任单位",
    "responsible_person": "责任人",
    "responsible_leader": "责任领导",
    "acceptance_unit": "验收单位",
    "acceptance_support_units": "配合验收单位",
    "deadline": "整改时限",
    "progress_text": "整改完成情况",
    "status": "整改状态",
    "completed_on": "整改完成时间",
}

# deadline flags → what they mean
DEADLINE_FLAGS: dict[str, str] = {
    "from_goal": "整改时限取自整改目标",
    "plan_year": "“年内”按方案年份推定",
    "malformed": "日期写法有误，未作解析",
}


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
    # the number with the words written around it (省编号第41号, 序号19); None when bare
    number_raw: str | None = None
    responsible_leader: str | None = None
    deadline_flags: list[str] = field(default_factory=list)
    # the stages a deadline lists (到2018年… 到2019年… 到2020年…) or a 时间节点 field gives
    deadline_milestones: list[Milestone] = field(default_factory=list)
    progress_text: str = ""  # 整改完成情况 / 落实情况 / 整改成效: what was done, not measures
    status: str | None = None  # a STATUS_LABELS key
    status_raw: str | None = None
    completed_on: date | None = None  # 整改完成时间, not a deadline
    completed_raw: str | None = None
    doubts: list[Doubt] = field(default_factory=list)


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
    # the year 年内 refers to, and where it was found (落款日期…, 反馈日期…)
    plan_year: int | None = None
    plan_year_source: str | None = None
    # a notice's closing after the list (公示期, 联系电话, the signature): not plan text, kept
    closing: list[str] = field(default_factory=list)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _part_dict(part: DeadlinePart) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scope": part.scope,
        "raw": part.raw,
        "kind": str(part.kind),
        "due": _iso(part.due),
        "start": _iso(part.start),
    }
    if part.recurrence:
        out["recurrence"] = str(part.recurrence)
    return out


def milestone_to_dict(milestone: Milestone) -> dict[str, Any]:
    return {"raw": milestone.raw, "due": milestone.due.isoformat(), "precision": milestone.precision}


def deadline_to_dict(
    deadline: Deadline, flags: list[str] | None = None, milestones: list[Milestone] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "raw": deadline.raw,
        "kind": str(deadline.kind),
        "due": _iso(deadline.due),
        "start": _iso(deadline.start),
        "parts": [_part_dict(p) for p in deadline.parts],
        "flags": list(flags or []),
        "milestones": [milestone_to_dict(m) for m in milestones or []],
    }
    # Only a recurring deadline has the key (每月 monthly, 每季度 quarterly, 每半年 half_yearly, 每年
    # yearly): the contract of every other deadline is unchanged.
    if deadline.recurrence:
        out["recurrence"] = str(deadline.recurrence)
    return out


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _kind(value: Any) -> DeadlineKind:
    try:
        return DeadlineKind(value)
    except ValueError:
        return DeadlineKind.UNKNOWN


def _recurrence(value: Any) -> Recurrence | None:
    try:
        return Recurrence(value) if value else None
    except ValueError:
        return None


def deadline_from_dict(data: dict[str, Any]) -> Deadline:
    """A contract deadline dict → the Deadline it describes (tolerant of older, shorter dicts)."""
    parts = [
        DeadlinePart(
            p.get("scope"),
            p.get("raw", ""),
            _kind(p.get("kind")),
            _date(p.get("due")),
            _date(p.get("start")),
            _recurrence(p.get("recurrence")),
        )
        for p in data.get("parts") or []
    ]
    kind = _kind(data.get("kind"))
    recurrence = _recurrence(data.get("recurrence"))
    if kind is DeadlineKind.RECURRING and recurrence is None:
        kind = DeadlineKind.UNKNOWN  # a recurrence without its period cannot be followed
    return Deadline(data.get("raw", ""), kind, _date(data.get("due")), _date(data.get("start")), parts, recurrence)


def measure_to_dict(measure: Measure) -> dict[str, Any]:
    return {
        "number": measure.number,
        "text": measure.text,
        "milestones": [milestone_to_dict(m) for m in measure.milestones],
    }


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    return {
        "number": problem.number,
        "number_raw": problem.number_raw,
        "index": problem.index,
        "chapter": problem.chapter,
        "text": problem.text,
        "goal": problem.goal,
        "measures": [measure_to_dict(m) for m in problem.measures],
        "responsible_units": list(problem.responsible_units),
        "lead_units": list(problem.lead_units),
        "support_units": list(problem.support_units),
        "responsible_person": problem.responsible_person,
        "responsible_leader": problem.responsible_leader,
        "acceptance_unit": problem.acceptance_unit,
        "acceptance_support_units": list(problem.acceptance_support_units),
        "deadline": deadline_to_dict(problem.deadline, problem.deadline_flags, problem.deadline_milestones),
        "progress_text": problem.progress_text,
        "status": problem.status,
        "status_raw": problem.status_raw,
        "completed_on": _iso(problem.completed_on),
        "completed_raw": problem.completed_raw,
        "doubts": [{"field": d.field, "reason": d.reason} for d in problem.doubts],
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
        "plan_year": plan.plan_year,
        "plan_year_source": plan.plan_year_source,
        "closing": list(plan.closing),
    }
