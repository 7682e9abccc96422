"""The fields of a problem that need more than their label: deadline, status, completion date.

Owns `deadline_of` (整改时限, else 时间节点, else a date the goal commits to — taken with the flag
`from_goal` and a warning; stages listed in the deadline or a 时间节点 field become its
milestones; a malformed date makes it unknown rather than guessed; 年内 takes the plan's year),
`progress_status` (已完成 / 长期坚持 / 已完成、长期坚持 / 推进中, from a 整改状态 label, a
paragraph of status words alone, the start of the 整改完成情况, or a 整改时限 that states a status)
and `completion` (整改完成时间: when the work was done, not a deadline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from rectify.plans.deadlines import Deadline, DeadlineKind, compact, parse_deadline, resolve_dates

from .dates import RELATIVE_YEAR_RE, malformed_dates
from .milestones import find_milestones
from .model import Doubt, Milestone, ParseWarning
from .patterns import STATUS_ONLY_RE, STATUS_PHRASE
from .repairs import Para

if TYPE_CHECKING:
    from .problems import ProblemDraft

# internal field names → the contract's keys, for doubts
FIELD_DOUBT_NAMES = {
    "units": "responsible_units",
    "lead": "responsible_units",
    "support": "responsible_units",
    "person": "responsible_person",
    "leader": "responsible_leader",
    "acceptance": "acceptance_unit",
    "acceptance_support": "acceptance_support_units",
    "nodes": "deadline",
    "progress": "progress_text",
    "completed": "completed_on",
}

_DONE_RE = re.compile(r"(?<![未不])(?:已(?:全部|基本)?(?:完成|整改到位|办结|销号)|整改完成|完成整改)")
_ONGOING_RE = re.compile(r"长期坚持|持续推进|长期推进|持续整改|常态化")
_UNDER_WAY_RE = re.compile(r"正在推进|推进中|整改中|正在整改|未完成|基本完成|阶段性完成|序时推进|序时进度")
_STATUS_LEAD_RE = re.compile(rf"^{STATUS_PHRASE}(?:[、，,]\s*{STATUS_PHRASE})*(?=[。；;，,]|$)")
# "目前，该问题已完成整改" — a sentence about the problem itself, not about one of its items
_STATUS_SENTENCE_RE = re.compile(
    r"(?:该|此|本|上述)项?问题(?:已经|已)(?:全部|基本)?(?:完成整改|整改完成|整改到位|办结|销号)(?:[、，,]\s*长期坚持)?"
)


def status_kind(text: str) -> str | None:
    """已完成 → completed, 已完成、长期坚持 → completed_ongoing, 长期坚持 → ongoing, 推进中 → in_progress."""
    done = bool(_DONE_RE.search(text))
    ongoing = bool(_ONGOING_RE.search(text))
    under_way = bool(_UNDER_WAY_RE.search(text))
    if done and ongoing:
        return "completed_ongoing"
    if done:
        return "completed"
    if under_way:
        return "in_progress"
    if ongoing:
        return "ongoing"
    return None


def _strip_end(text: str) -> str:
    return text.strip().rstrip("。．.；;，,").strip()


def _joined(paras: list[Para], sep: str = "\n") -> str:
    return sep.join(p.text for p in paras if p.text).strip()


@dataclass(slots=True)
class DeadlineResult:
    value: Deadline
    flags: list[str] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)
    read: bool = False  # read from a label (so an unreadable one is worth a warning)
    line: int = 0


def _from_goal(draft: ProblemDraft, plan_year: int | None, warnings: list[ParseWarning]) -> DeadlineResult | None:
    goal = draft.fields.get("goal") or []
    found = find_milestones(_joined(goal), plan_year)
    if not found:
        return None
    latest = max(reversed(found), key=lambda m: m.due)  # the latest; of equals, the last stated
    warnings.append(
        ParseWarning(goal[0].line, f"问题{draft.label}没有整改时限，已取整改目标中的“{latest.raw}”作为整改时限，请核对")
    )
    draft.doubts.append(Doubt("deadline", f"原文没有整改时限，取自整改目标中的“{latest.raw}”"))
    milestones = found if len(found) > 1 else []
    return DeadlineResult(parse_deadline(latest.raw), ["from_goal"], milestones, False, goal[0].line)


def deadline_of(draft: ProblemDraft, plan_year: int | None, warnings: list[ParseWarning]) -> DeadlineResult:
    paras = draft.fields.get("deadline", [])
    nodes = draft.fields.get("nodes", [])
    milestones: list[Milestone] = []
    if draft.has("deadline") or draft.has("nodes"):
        source = paras if draft.has("deadline") else nodes
        raw = _strip_end(_joined(source, "；"))
        result = DeadlineResult(parse_deadline(raw), [], [], True, source[0].line if source else draft.line)
        if draft.has("deadline") and nodes:
            milestones = find_milestones(_joined(nodes), plan_year)
    else:
        found = _from_goal(draft, plan_year, warnings)
        if found is None:
            warnings.append(ParseWarning(draft.line, f"问题{draft.label}缺少“整改时限”"))
            return DeadlineResult(parse_deadline(""))
        result, raw, milestones = found, found.value.raw, found.milestones
    if malformed_dates(compact(raw)):
        # reported where the paragraph was read; the date is not guessed
        return DeadlineResult(
            Deadline(raw, DeadlineKind.UNKNOWN, None), [*result.flags, "malformed"], [], True, result.line
        )
    value = result.value
    if value.kind is DeadlineKind.UNKNOWN and plan_year and RELATIVE_YEAR_RE.search(compact(raw)):
        value = Deadline(raw, DeadlineKind.DATE, date(plan_year, 12, 31))
        result.flags.append("plan_year")
        draft.doubts.append(
            Doubt("deadline", f"整改时限“{raw}”没有写明年份，按方案年份{plan_year}年计为{plan_year}-12-31")
        )
    if not milestones and value.kind is not DeadlineKind.RANGE and len(value.parts) > 1:
        stages = find_milestones(raw, plan_year)
        milestones = stages if len(stages) > 1 else []
    return DeadlineResult(value, result.flags, milestones, result.read, result.line)


def progress_status(draft: ProblemDraft, progress: str, deadline: Deadline) -> tuple[str | None, str | None]:
    """(status slug, the words it was read from) — or (None, None) when nothing states one."""
    stated = _strip_end(_joined(draft.fields.get("status", []), "、"))
    if stated:
        return status_kind(stated), stated
    if draft.status_lines:
        words = _strip_end(_joined(draft.status_lines, "、"))
        draft.doubts.append(Doubt("status", f"整改状态取自单独成行的“{words}”"))
        return status_kind(words), words
    if progress:
        if STATUS_ONLY_RE.match(compact(progress)):
            words = _strip_end(progress)
            return status_kind(words), words
        lead = _STATUS_LEAD_RE.match(compact(progress))
        if lead:
            draft.doubts.append(Doubt("status", f"整改状态由整改完成情况开头的“{lead.group()}”推断"))
            return status_kind(lead.group()), lead.group()
        sentence = _STATUS_SENTENCE_RE.search(compact(progress))
        if sentence:
            draft.doubts.append(Doubt("status", f"整改状态由整改完成情况中的“{sentence.group()}”推断"))
            return status_kind(sentence.group()), sentence.group()
    raw = compact(deadline.raw)
    if raw and STATUS_ONLY_RE.match(raw) and _DONE_RE.search(raw):
        words = _strip_end(deadline.raw)
        draft.doubts.append(Doubt("status", f"整改状态取自整改时限栏的“{words}”"))
        return status_kind(words), words
    return None, None


def completion(draft: ProblemDraft, warnings: list[ParseWarning]) -> tuple[date | None, str | None]:
    """整改完成时间 → (the day it ends on, as written)."""
    paras = draft.fields.get("completed", [])
    raw = _strip_end(_joined(paras))
    if not raw:
        return None, None
    if malformed_dates(compact(raw)):
        return None, raw  # the walker reported it on its line
    dates = resolve_dates(compact(raw))
    if not dates:
        warnings.append(ParseWarning(paras[0].line, f"问题{draft.label}的整改完成时间“{raw}”无法识别"))
        return None, raw
    return dates[-1][2], raw
