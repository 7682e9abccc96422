"""One problem's collected paragraphs → a `Problem`: measures, units and roles, deadline.

Owns `ProblemDraft` (what the text and ledger parsers collect per field), `split_measures` and
`finish_problem`. Both parsers build problems through here so that a plan read from text and the
same plan read back from an Excel ledger come out identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rectify.plans.deadlines import DeadlineKind, parse_deadline

from .milestones import find_milestones
from .model import Measure, ParseWarning, Problem
from .patterns import FIELD_LABELS, MEASURE_RE, ORDINAL_SPLIT_RE
from .repairs import Para
from .units import ROLE_LEAD, ROLE_SUPPORT, UnitRef, assign_roles, split_unit_refs

# fields that hold one value: a second paragraph for them is not text we can place
SCALAR_FIELDS = ("person", "acceptance", "deadline")
FIELD_NAMES_CN = {name: labels[0] for name, labels in FIELD_LABELS.items()}
FIELD_NAMES_CN["text"] = "问题描述"


@dataclass(slots=True)
class ProblemDraft:
    number: str
    index: int
    chapter: str | None
    line: int
    fields: dict[str, list[Para]] = field(default_factory=dict)

    def add(self, name: str, para: Para) -> None:
        self.fields.setdefault(name, []).append(para)

    def has(self, name: str) -> bool:
        return name in self.fields


def _joined(paras: list[Para]) -> str:
    # separate paragraphs stay separate lines; page-break fragments were glued before this
    return "\n".join(p.text for p in paras if p.text).strip()


def _strip_end(text: str) -> str:
    return text.strip().rstrip("。．.；;，,").strip()


def split_measures(paras: list[Para]) -> list[Measure]:
    """Paragraphs of a 整改措施 block → measures.

    A numbered paragraph starts a measure; an unnumbered one continues the measure before it. A
    block with no numbers at all gives one measure per paragraph, and a paragraph written as
    "一是…；二是…" gives one measure per ordinal — all with number None and the text as written.
    """
    items: list[tuple[str | None, list[str], int]] = []
    for para in paras:
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
    measures = []
    for number, texts, line in items:
        text = "\n".join(t for t in texts if t).strip()
        if not text and number is None:
            continue
        measures.append(Measure(number, text, find_milestones(text), line))
    return measures


def _refs(draft: ProblemDraft, name: str, role: str | None) -> list[UnitRef]:
    refs: list[UnitRef] = []
    for para in draft.fields.get(name, []):
        refs.extend(split_unit_refs(para.text, role))
    return refs


def finish_problem(draft: ProblemDraft) -> tuple[Problem, list[ParseWarning]]:
    warnings: list[ParseWarning] = []
    refs = _refs(draft, "units", None) + _refs(draft, "lead", ROLE_LEAD)
    refs += _refs(draft, "support", ROLE_SUPPORT)
    responsible, lead, support = assign_roles(refs)
    acceptance = _strip_end(_joined(draft.fields.get("acceptance", []))) or None
    acceptance_support = [r.name for r in _refs(draft, "acceptance_support", None)]
    person = _strip_end(_joined(draft.fields.get("person", []))) or None
    deadline_raw = _strip_end(_joined(draft.fields.get("deadline", [])))
    label = f"（{draft.number}）"
    for name in ("goal", "measures", "deadline"):
        if not draft.has(name):
            warnings.append(ParseWarning(draft.line, f"问题{label}缺少“{FIELD_NAMES_CN[name]}”"))
    if not responsible:
        warnings.append(ParseWarning(draft.line, f"问题{label}缺少“责任单位”"))
    problem = Problem(
        number=draft.number,
        index=draft.index,
        chapter=draft.chapter,
        text=_joined(draft.fields.get("text", [])),
        goal=_joined(draft.fields.get("goal", [])),
        measures=split_measures(draft.fields.get("measures", [])),
        responsible_units=responsible,
        lead_units=lead,
        support_units=support,
        responsible_person=person,
        acceptance_unit=acceptance,
        deadline=parse_deadline(deadline_raw),
        acceptance_support_units=acceptance_support,
        line=draft.line,
    )
    if draft.has("deadline") and problem.deadline.kind is DeadlineKind.UNKNOWN:
        line = draft.fields["deadline"][0].line
        warnings.append(ParseWarning(line, f"问题{label}的整改时限“{deadline_raw}”无法识别"))
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
