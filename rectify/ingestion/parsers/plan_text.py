"""A whole plan as text → `ParsedPlan`: title, main text, and the rectification list.

Owns `parse_plan`: clean the text (cleanup.py), find where the list starts (outline.py), walk it
(walker.py), then finish each problem with what only the whole plan knows — the year 年内
refers to, the unit names the caller's directory knows, and for a notice about one problem the
problem's words or number given only in its title (关于“…”, 第19项). A document that holds one
problem is a plan of one problem. Refusal (`ParseError`) only when no problem field is found at
all, saying what was looked for and what was found.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from .cleanup import read_paragraphs
from .dates import is_date_line, plan_year
from .errors import ParseError
from .markers import ABOUT, starts_structure
from .model import Doubt, ParsedPlan, ParseWarning, Problem
from .outline import NO_LIST_PREFIX, Outline, find_list, no_list_message, title_like
from .problems import FinishContext, ProblemDraft, finish_problem, numbering_warnings
from .repairs import Para
from .units import unit_key
from .walker import ListWalker

# kept for callers that matched on the old constant: every refusal starts with it
NO_LIST_MESSAGE = NO_LIST_PREFIX
_QUOTE_RE = re.compile(r"关于[“\"「『]([^“”\"「」『』]{2,200})[”\"」』]")
_TITLE_NUMBER_RE = re.compile(
    r"(?:第\s*(\d{1,4})\s*(?:项|号)|(?:[省市县]|督察)?编号\s*第?\s*(\d{1,4})\s*号?|序号\s*(\d{1,4}))"
)
_SIGNATURE_MAX = 30


def _signature(paras: list[Para]) -> list[Para]:
    """A notice's closing signature: a date alone on the last line, and the signer above it."""
    if not paras or not is_date_line(paras[-1].text):
        return []
    tail = [paras[-1]]
    if len(paras) > 1:
        above = paras[-2].text
        if len(above) <= _SIGNATURE_MAX and not starts_structure(above) and not above.endswith(("。", "：", ":")):
            tail.insert(0, paras[-2])
    return tail


def _from_title(draft: ProblemDraft, sources: list[tuple[str, str]]) -> None:
    """A notice about one problem may give its words or number only in its title or lead-in."""
    text = "\n".join(p.text for p in draft.fields.get("text", []) if p.text)
    for where, source in sources:
        if not text:
            quote = _QUOTE_RE.search(source)
            if quote:
                draft.fields["text"] = [Para(draft.line, quote.group(1))]
                draft.doubts.append(Doubt("text", f"问题内容取自{where}中引号内的文字"))
                text = quote.group(1)
        if draft.number is None:
            m = _TITLE_NUMBER_RE.search(source)
            if m:
                draft.number = m.group(1) or m.group(2) or m.group(3)
                draft.number_raw = re.sub(r"\s+", "", m.group())
                draft.doubts.append(Doubt("number", f"编号取自{where}中的“{draft.number_raw}”"))


def _deadline_raws(drafts: list[ProblemDraft]) -> list[str]:
    return [p.text for d in drafts for p in d.fields.get("deadline", [])]


def finish_drafts(
    drafts: list[ProblemDraft], year: int | None, known_units: Collection[str] | None
) -> tuple[list[Problem], list[ParseWarning]]:
    context = FinishContext(frozenset(unit_key(n) for n in known_units) if known_units else None, year)
    problems: list[Problem] = []
    warnings: list[ParseWarning] = []
    for draft in drafts:
        problem, problem_warnings = finish_problem(draft, context)
        problems.append(problem)
        warnings.extend(problem_warnings)
    return problems, warnings


def parse_paragraphs(
    paras: list[Para], known_units: Collection[str] | None = None, notes: list[ParseWarning] | None = None
) -> ParsedPlan:
    """Repaired paragraphs → ParsedPlan; ParseError when they hold no problem at all."""
    paras = [p for p in paras if p.text]
    outline = Outline(paras)
    if not paras:
        raise ParseError(no_list_message(paras, outline))
    main_end, list_start, list_title = find_list(paras, outline)
    signature = _signature(paras[list_start + 1 :])
    body = paras[: len(paras) - len(signature)]
    first = outline.markers[0]
    has_title = title_like(paras[0].text) and main_end > 0
    if first is not None and first.kind == ABOUT and list_start == 0:
        has_title = True  # 关于“…”的公示: the title and the problem's heading at once
    title = paras[0].text.rstrip("。") if has_title else (list_title or "")
    preamble = [p.text for p in paras[1 if has_title else 0 : main_end]]
    walker = ListWalker(outline)
    for para in body[list_start:]:
        walker.feed(para)
    walker.finish()
    if not walker.drafts:
        raise ParseError(no_list_message(paras, outline))
    closing = walker.closing + [p.text for p in signature]
    if len(walker.drafts) == 1:
        sources = [("标题", title), ("清单标题", list_title or ""), *(("导语", p) for p in preamble[-1:])]
        _from_title(walker.drafts[0], sources)
    year, year_source = plan_year(title, preamble, closing, _deadline_raws(walker.drafts))
    problems, warnings = finish_drafts(walker.drafts, year, known_units)
    warnings = [*(notes or []), *walker.warnings, *warnings, *numbering_warnings(problems)]
    warnings.sort(key=lambda w: w.line)
    return ParsedPlan(
        title,
        walker.chapters,
        problems,
        warnings,
        list_title,
        preamble,
        plan_year=year,
        plan_year_source=year_source,
        closing=closing,
    )


def parse_plan(text: str, *, known_units: Collection[str] | None = None) -> ParsedPlan:
    """Plan text (any line breaks, blank lines meaningless) → ParsedPlan. Raises ParseError only.

    `known_units`: unit names the caller's directory knows (names and aliases), so that names
    written together without a separator can be split; without it such names are flagged.
    """
    paras, notes = read_paragraphs(text)
    return parse_paragraphs(paras, known_units, notes)
