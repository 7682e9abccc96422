"""A whole plan as text → `ParsedPlan`: title, main text, and the attached rectification list.

Owns `parse_plan`: finding where the list starts (the line "附件" before its title, a title
ending in 清单, or failing both the first （一） followed by field labels), and the walk through
the list — chapters 一、, problems （一）, labelled fields. Main-text （一）（二） under 基本原则 or
保障措施 are not problems: they come before the list and are kept as the preamble. Any text
inside the list that fits nowhere becomes a warning with its line number; nothing is dropped.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .errors import ParseError
from .model import Chapter, ParsedPlan, ParseWarning, Problem
from .patterns import (
    ATTACHMENT_REF_RE,
    BARE_ATTACHMENT_RE,
    CHAPTER_RE,
    INLINE_LABEL_RE,
    PROBLEM_RE,
    label_match,
    numeral_value,
    starts_structure,
)
from .problems import (
    FIELD_NAMES_CN,
    SCALAR_FIELDS,
    ProblemDraft,
    finish_problem,
    numbering_warnings,
)
from .repairs import Para, text_to_paragraphs

NO_LIST_MESSAGE = (
    "未找到整改措施清单：文中没有按“（一）问题……整改目标……整改措施……责任单位……整改时限”"
    "排列的问题。请确认文件是整改方案（含附件清单）。"
)
_TITLE_PUNCT = re.compile(r"[。，；！？：,;:!?]")
_LIST_TITLE = re.compile(r"清单|台账|任务表|问题表|整改措施表")
# a chapter heading is a line, not a paragraph: longer 一、… text inside a list is content
_MAX_CHAPTER_TITLE = 60


def _snippet(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _title_like(text: str) -> bool:
    body = text.rstrip("。")
    return 0 < len(body) <= 80 and not _TITLE_PUNCT.search(body) and not starts_structure(text)


class _Outline:
    """One pass over the paragraphs: which （一） problems carry field labels, where 附件 lines are.

    Finding the list asks "is there a labelled problem after here?" many times; answering from
    these two sorted lists keeps that linear on hostile input (thousands of （一） lines).
    """

    def __init__(self, paras: list[Para]) -> None:
        self.labelled: list[int] = []
        self.bare: list[int] = []
        current: int | None = None
        for i, para in enumerate(paras):
            text = para.text
            if BARE_ATTACHMENT_RE.match(text):
                self.bare.append(i)
                current = None
            elif PROBLEM_RE.match(text):
                current = i
                if INLINE_LABEL_RE.search(text):  # "（一）…。整改目标：…" on one line
                    self.labelled.append(i)
                    current = None
            elif current is not None and label_match(text):
                self.labelled.append(current)
                current = None

    def problem_follows(self, start: int) -> bool:
        """Is there a labelled problem from `start` on, before the next 附件 line?"""
        k = bisect_left(self.labelled, start)
        if k == len(self.labelled):
            return False
        b = bisect_left(self.bare, start)
        return b == len(self.bare) or self.labelled[k] < self.bare[b]


def _find_list(paras: list[Para]) -> tuple[int, int, str | None]:
    """(end of the main text, first paragraph of the list, the list's title)."""
    outline = _Outline(paras)
    for i in outline.bare:
        j = i + 1
        title = None
        if j < len(paras) and _title_like(paras[j].text):
            title = paras[j].text
            j += 1
        if outline.problem_follows(j):
            return i, j, title
    for i, para in enumerate(paras):
        text = para.text
        if _title_like(text) and _LIST_TITLE.search(text) and not ATTACHMENT_REF_RE.match(text):
            window = paras[i + 1 : i + 4]
            if any(CHAPTER_RE.match(p.text) or PROBLEM_RE.match(p.text) for p in window):
                if outline.problem_follows(i + 1):
                    return i, i + 1, text
    if outline.labelled:
        i = outline.labelled[0]
        start = i - 1 if i and CHAPTER_RE.match(paras[i - 1].text) else i
        return start, start, None
    raise ParseError(NO_LIST_MESSAGE)


class _ListWalker:
    """The state of one pass through the list: current chapter, problem and field."""

    def __init__(self) -> None:
        self.chapters: list[Chapter] = []
        self.problems: list[Problem] = []
        self.warnings: list[ParseWarning] = []
        self.draft: ProblemDraft | None = None
        self.field: str | None = None
        self.chapter: str | None = None
        self.chapter_value = 0
        self.problem_value = 0
        self.restart_allowed = True
        self.expect_title = False
        # the last （一）（二）… sub-item seen inside a field, so its （二） is not taken for a problem
        self.sub_item = 0

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))

    def finish(self) -> None:
        if self.draft is not None:
            problem, warnings = finish_problem(self.draft)
            self.problems.append(problem)
            self.warnings.extend(warnings)
        self.draft = None
        self.field = None

    def feed(self, para: Para) -> None:
        for i, piece in enumerate(INLINE_LABEL_RE.split(para.text)):
            if piece.strip():
                self._one(Para(para.line, piece.strip()), i > 0)

    def _previous_complete(self) -> bool:
        return self.draft is not None and (
            self.draft.has("deadline") or self.draft.has("units") or self.field in SCALAR_FIELDS
        )

    def _accept_chapter(self, value: int | None, rest: str) -> bool:
        if value is None or value <= self.chapter_value or len(rest) > _MAX_CHAPTER_TITLE:
            return False
        return value == self.chapter_value + 1 or self.field not in ("text", "goal", "measures")

    def _accept_problem(self, value: int | None, para: Para, number: str) -> bool:
        if value is None:
            return False
        if self.sub_item and value == self.sub_item + 1:
            self.sub_item = value
            return False
        if value == self.problem_value + 1 or (value == 1 and self.restart_allowed):
            return True
        if self.draft is None or self._previous_complete():
            prev = self.problems[-1].number if self.problems else "无"
            if self.draft is not None:
                prev = self.draft.number
            self.warn(para.line, f"问题编号（{number}）不连续，上一个问题为（{prev}）")
            return True
        if value == 1:
            self.sub_item = 1
        return False  # （一）（二） sub-items inside a problem's text or measures

    def _one(self, para: Para, inline: bool) -> None:
        text = para.text
        if BARE_ATTACHMENT_RE.match(text):
            self.finish()
            self.restart_allowed = True
            self.expect_title = True
            return
        if self.expect_title:
            self.expect_title = False
            if _title_like(text):
                self.warn(para.line, f"又一附件“{_snippet(text)}”，按同一清单继续解析")
                return
        m = CHAPTER_RE.match(text)
        if m and not inline:
            value = numeral_value(m.group(1))
            rest = m.group(2).strip()
            if self._accept_chapter(value, rest):
                self.finish()
                number = m.group(1)
                self.chapters.append(Chapter(number, rest.rstrip("。").strip(), para.line))
                self.chapter = number
                self.chapter_value = value or 0
                self.restart_allowed = True
                return
        m = PROBLEM_RE.match(text)
        if m and not inline:
            number = m.group(1)
            value = numeral_value(number)
            if self._accept_problem(value, para, number):
                self.finish()
                self.draft = ProblemDraft(number, len(self.problems) + 1, self.chapter, para.line)
                self.draft.add("text", Para(para.line, m.group(2).strip()))
                self.field = "text"
                self.problem_value = value or 0
                self.restart_allowed = False
                self.sub_item = 0
                return
        labelled = label_match(text)
        if labelled:
            name, value_text = labelled
            if self.draft is None:
                self.warn(para.line, f"字段不属于任何问题，未能归入：“{_snippet(text)}”")
                return
            if name in SCALAR_FIELDS and self.draft.has(name):
                self.warn(
                    para.line,
                    f"问题（{self.draft.number}）的“{FIELD_NAMES_CN[name]}”重复出现，未采用：“{_snippet(text)}”",
                )
                self.field = None
                return
            self.field = name
            self.sub_item = 0
            self.draft.fields.setdefault(name, [])
            if value_text:
                self.draft.add(name, Para(para.line, value_text))
            return
        if self.draft is None:
            self.warn(para.line, f"未能归入任何问题的文字：“{_snippet(text)}”")
        elif self.field is None or self.field in SCALAR_FIELDS:
            self.warn(para.line, f"问题（{self.draft.number}）之后未能归入任何字段的文字：“{_snippet(text)}”")
        else:
            self.draft.add(self.field, para)


def parse_paragraphs(paras: list[Para]) -> ParsedPlan:
    """Repaired paragraphs → ParsedPlan; ParseError when they hold no rectification list."""
    paras = [p for p in paras if p.text]
    if not paras:
        raise ParseError(NO_LIST_MESSAGE)
    main_end, list_start, list_title = _find_list(paras)
    has_title = _title_like(paras[0].text) and main_end > 0
    title = paras[0].text.rstrip("。") if has_title else (list_title or "")
    preamble = [p.text for p in paras[1 if has_title else 0 : main_end]]
    walker = _ListWalker()
    for para in paras[list_start:]:
        walker.feed(para)
    walker.finish()
    if not walker.problems:
        raise ParseError(NO_LIST_MESSAGE)
    walker.warnings.extend(numbering_warnings(walker.problems))
    walker.warnings.sort(key=lambda w: w.line)
    return ParsedPlan(title, walker.chapters, walker.problems, walker.warnings, list_title, preamble)


def parse_plan(text: str) -> ParsedPlan:
    """Plan text (any line breaks, blank lines meaningless) → ParsedPlan. Raises ParseError only."""
    return parse_paragraphs(text_to_paragraphs(text))
