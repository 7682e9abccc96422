"""One problem's collected paragraphs → a `Problem`: measures, units and roles, deadline, progress.

Owns `ProblemDraft` (what the text and ledger parsers collect per field), `split_measures` and
`finish_problem`. Both parsers build problems through here so that a plan read from text and the
same plan read back from an Excel ledger come out identical. Whatever is inferred rather than
read from a label (a number given by position, a deadline taken from the goal, a status read
from progress text, a unit name split by the directory, a 年内 dated by the plan's year) is
recorded as a `Doubt` on the problem, for the review page.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from rectify.plans.deadlines import DeadlineKind, compact

from .fields import FIELD_DOUBT_NAMES, completion, deadline_of, progress_status
from .milestones import milestones_with_years, relative_milestones
from .model import Doubt, Measure, ParseWarning, Problem
from .patterns import FIELD_LABELS, MEASURE_RE, ORDINAL_SPLIT_RE, int_to_cn
from .repairs import Para
from .units import ROLE_LEAD, ROLE_SUPPORT, UnitRef, assign_roles, split_unit_refs

# fields that hold one value: a second paragraph for them is not text we can place
SCALAR_FIELDS = ("person", "leader", "acceptance", "deadline", "status", "completed")
# fields whose later paragraphs carry on their value
CONTENT_FIELDS = ("text", "goal", "measures", "units", "lead", "support", "acceptance_support", "nodes", "progress")
FIELD_NAMES_CN = {name: labels[0] for name, labels in FIELD_LABELS.items()}
FIELD_NAMES_CN["text"] = "问题描述"


@dataclass(slots=True)
class FinishContext:
    """What finishing a problem needs from the whole plan."""

    known_units: Collection[str] | None = None
    plan_year: int | None = None


@dataclass(slots=True)
class ProblemDraft:
    number: str | None  # None: the problem was not numbered (a number is given by position)
    index: int
    chapter: str | None
    line: int
    fields: dict[str, list[Para]] = field(default_factory=dict)
    number_raw: str | None = None
    # field → why it was not read from its own label (a table reader's qualifier)
    inferred: dict[str, str] = field(default_factory=dict)
    # paragraphs that were only status words (已完成、长期坚持)
    status_lines: list[Para] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)
    text_labelled: bool = False  # the text came with a label (反馈问题：…), not after a number
    title_hint: str | None = None

    def add(self, name: str, para: Para) -> None:
        self.fields.setdefault(name, []).append(para)

    def has(self, name: str) -> bool:
        return name in self.fields

    def has_content(self) -> bool:
        """Anything a next problem's text label would not belong to: a labelled text, or fields
        beyond the text, the status and the completion date (which a table may put first)."""
        return self.text_labelled or any(
            paras for name, paras in self.fields.items() if name not in ("text", "status", "completed")
        )

    @property
    def label(self) -> str:
        return f"（{self.number}）" if self.number else f"（未编号，第{self.index}个）"


def _joined(paras: list[Para]) -> str:
    # separate paragraphs stay separate lines; page-break fragments were glued before this
    return "\n".join(p.text for p in paras if p.text).strip()


def _strip_end(text: str) -> str:
    return text.strip().rstrip("。．.；;，,").strip()


_INLINE_NUMBER_RE = re.compile(r"(?<=[；;。])\s*(?=(\d{1,3})[.．、](?![\d%]))")


def _inline_numbered(paras: list[Para]) -> list[Para]:
    """ "1.甲；2.乙。" in one paragraph (a table cell) → one paragraph per number, in sequence only."""
    out: list[Para] = []
    for para in paras:
        m = MEASURE_RE.match(para.text)
        if not m or not m.group(1):
            out.append(para)
            continue
        expected, begin = int(m.group(1)) + 1, 0
        for cut in _INLINE_NUMBER_RE.finditer(para.text):
            if int(cut.group(1)) == expected:
                out.append(Para(para.line, para.text[begin : cut.start()].strip()))
                begin, expected = cut.end(), expected + 1
        out.append(Para(para.line, para.text[begin:].strip()))
    return out


def split_measures(
    paras: list[Para], plan_year: int | None = None, borrowed: dict[int, list[str]] | None = None
) -> list[Measure]:
    """Paragraphs of a 整改措施 block → measures.

    A numbered paragraph starts a measure; an unnumbered one continues the measure before it. A
    block with no numbers at all gives one measure per paragraph, and a paragraph written as
    "一是…；二是…" gives one measure per ordinal — all with number None and the text as written.
    A paragraph "1.甲；2.乙。" gives measures 1 and 2. `borrowed` collects, by position, the
    milestones whose year is the plan's rather than the text's.
    """
    items: list[tuple[str | None, list[str], int]] = []
    for para in _inline_numbered(paras):
        if not para.text:
            continue
        m = MEASURE_RE.match(para.text)
        if m:
            items.append((m.group(1) or m.group(2), [m.group(3).strip()], para.line))
        elif items and items[-1][0] is not None:
            items[-1][1].append(para.text)
        else:
            items.append((None, [para.text], para.line))
    if all(number is None for number, _, _ in items):
        split: list[tuple[str | None, list[str], int]] = []
        for _, texts, line in items:
            pieces = [p for p in ORDINAL_SPLIT_RE.split("\n".join(texts)) if p.strip()]
            split.extend((None, [piece.strip()], line) for piece in pieces)
        items = split
    measures: list[Measure] = []
    for number, texts, line in items:
        text = "\n".join(t for t in texts if t).strip()
        if not text and number is None:
            continue
        milestones, years = milestones_with_years(text, plan_year)
        if years and borrowed is not None:
            borrowed[len(measures)] = years
        measures.append(Measure(number, text, milestones, line))
    return measures


def _refs(draft: ProblemDraft, name: str, role: str | None, known: Collection[str] | None) -> list[UnitRef]:
    refs: list[UnitRef] = []
    for para in draft.fields.get(name, []):
        refs.extend(split_unit_refs(para.text, role, known))
    return refs


def _unit_notes(draft: ProblemDraft, refs: list[UnitRef], warnings: list[ParseWarning]) -> None:
    seen: set[str] = set()
    for ref in refs:
        if ref.split_from and ref.split_from not in seen:
            seen.add(ref.split_from)
            pieces = "”“".join(r.name for r in refs if r.split_from == ref.split_from)
            draft.doubts.append(Doubt("responsible_units", f"“{ref.split_from}”原文连写，已按单位目录拆分为“{pieces}”"))
        elif ref.suspect and ref.name not in seen:
            seen.add(ref.name)
            draft.doubts.append(Doubt("responsible_units", f"“{ref.name}”疑似多个单位连写，单位目录中无法拆分"))
            warnings.append(
                ParseWarning(
                    draft.line, f"问题{draft.label}的单位“{ref.name}”疑似多个单位名称连写（原文无分隔符），请核对"
                )
            )


def _measure_doubts(
    draft: ProblemDraft,
    measures: list[Measure],
    plan_year: int | None,
    borrowed: dict[int, list[str]],
    warnings: list[ParseWarning],
) -> None:
    for i, measure in enumerate(measures):
        name = f"措施{measure.number}" if measure.number else "措施"
        if plan_year is None:
            if any(m is None for _, m in relative_milestones(compact(measure.text), None)):
                warnings.append(
                    ParseWarning(
                        measure.line, f"{name}中的“年内”“年底前”没有写明年份，文中也找不到方案年份，未记为阶段节点"
                    )
                )
        elif i in borrowed:
            words = "、".join(dict.fromkeys(f"“{raw}”" for raw in borrowed[i]))
            draft.doubts.append(Doubt("milestones", f"{name}中的{words}没有写明年份，按方案年份{plan_year}年计"))


def finish_problem(draft: ProblemDraft, context: FinishContext | None = None) -> tuple[Problem, list[ParseWarning]]:
    context = context or FinishContext()
    known, plan_year = context.known_units, context.plan_year
    warnings: list[ParseWarning] = []
    if draft.number is None:
        draft.number = int_to_cn(draft.index)
        draft.doubts.insert(0, Doubt("number", f"原文未编号，按出现顺序编为（{draft.number}）"))
    refs = _refs(draft, "units", None, known) + _refs(draft, "lead", ROLE_LEAD, known)
    refs += _refs(draft, "support", ROLE_SUPPORT, known)
    _unit_notes(draft, refs, warnings)
    responsible, lead, support = assign_roles(refs)
    acceptance = _strip_end(_joined(draft.fields.get("acceptance", []))) or None
    acceptance_refs = _refs(draft, "acceptance_support", None, known)
    _unit_notes(draft, acceptance_refs, warnings)
    person = _strip_end(_joined(draft.fields.get("person", []))) or None
    leader = _strip_end(_joined(draft.fields.get("leader", []))) or None
    label = draft.label
    for name in ("goal", "measures"):
        if not draft.has(name):
            warnings.append(ParseWarning(draft.line, f"问题{label}缺少“{FIELD_NAMES_CN[name]}”"))
    deadline = deadline_of(draft, plan_year, warnings)
    if not _joined(draft.fields.get("text", [])):
        warnings.append(ParseWarning(draft.line, f"问题{label}缺少“问题描述”"))
    if not responsible:
        warnings.append(ParseWarning(draft.line, f"问题{label}缺少“责任单位”"))
    borrowed: dict[int, list[str]] = {}
    measures = split_measures(draft.fields.get("measures", []), plan_year, borrowed)
    _measure_doubts(draft, measures, plan_year, borrowed, warnings)
    progress = _joined(draft.fields.get("progress", []))
    status, status_raw = progress_status(draft, progress, deadline.value)
    completed_on, completed_raw = completion(draft, warnings)
    for name, reason in draft.inferred.items():
        draft.doubts.append(Doubt(FIELD_DOUBT_NAMES.get(name, name), reason))
    problem = Problem(
        number=draft.number,
        index=draft.index,
        chapter=draft.chapter,
        text=_joined(draft.fields.get("text", [])),
        goal=_joined(draft.fields.get("goal", [])),
        measures=measures,
        responsible_units=responsible,
        lead_units=lead,
        support_units=support,
        responsible_person=person or leader,
        acceptance_unit=acceptance,
        deadline=deadline.value,
        acceptance_support_units=[r.name for r in acceptance_refs],
        line=draft.line,
        number_raw=draft.number_raw,
        responsible_leader=leader,
        deadline_flags=deadline.flags,
        deadline_milestones=deadline.milestones,
        progress_text=progress,
        status=status,
        status_raw=status_raw,
        completed_on=completed_on,
        completed_raw=completed_raw,
        doubts=draft.doubts,
    )
    if deadline.value.kind is DeadlineKind.UNKNOWN and deadline.read and "malformed" not in deadline.flags:
        line = deadline.line or draft.line
        warnings.append(ParseWarning(line, f"问题{label}的整改时限“{deadline.value.raw}”无法识别"))
    return problem, warnings


def numbering_warnings(problems: list[Problem]) -> list[ParseWarning]:
    """Measure numbers may run on through the plan or restart at 1; a gap is worth a look."""
    warnings: list[ParseWarning] = []
    previous: int | None = None
    for problem in problems:
        for measure in problem.measures:
            if measure.number is None:
                continue
            value = int(measure.number)
            if previous is not None and value not in (previous + 1, 1):
                warnings.append(
                    ParseWarning(measure.line, f"措施编号{value}不连续（上一条为{previous}），请核对是否漏项")
                )
            previous = value
    return warnings


__all__ = [
    "CONTENT_FIELDS",
    "FIELD_NAMES_CN",
    "SCALAR_FIELDS",
    "FinishContext",
    "ProblemDraft",
    "finish_problem",
    "numbering_warnings",
    "split_measures",
]
