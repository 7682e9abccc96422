"""The walk through a rectification list: chapters, problems and their fields, paragraph by paragraph.

Owns `ListWalker`. A problem opens at a number (（一）, 问题1：, 第1项, 序号19), at a label for its
text (反馈问题：) when the problem before it already has fields, at a 序号/编号 label, or at a
关于“…” heading right above its fields; when a document holds fields but no problem heading, the
first field opens one. Numbered sub-items inside a field (（一）…（二）… under 整改措施 or
整改完成情况) are not problems; nor are a main text's principles （一）坚持…. A notice's closing
(特此公示, 公示期, 联系电话, its signature) is kept aside. Text that fits nowhere and malformed
dates become warnings with their line numbers; nothing is dropped.
"""

from __future__ import annotations

from rectify.plans.deadlines import compact, find_dates

from .dates import is_date_line, malformed_dates
from .markers import ABOUT, CHAPTER, FIELD, NUMBER_LABEL, NUMBERED, TEXT_LABEL, Marker, classify, number_in
from .model import Chapter, Doubt, ParseWarning
from .outline import Outline, is_principle, title_like
from .patterns import (
    BARE_ATTACHMENT_RE,
    CHAPTER_RE,
    CLOSING_RE,
    INFERRED_QUALIFIERS,
    INLINE_LABEL_RE,
    PRINCIPLES_RE,
    PROBLEM_RE,
    STATUS_ONLY_RE,
    Label,
    numeral_value,
)
from .problems import CONTENT_FIELDS, FIELD_NAMES_CN, SCALAR_FIELDS, ProblemDraft
from .repairs import Para

# a chapter heading is a line, not a paragraph: longer 一、… text inside a list is content
_MAX_CHAPTER_TITLE = 60


def _snippet(text: str, limit: int = 80) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


class ListWalker:
    """The state of one pass through the list: current chapter, problem and field."""

    def __init__(self, outline: Outline) -> None:
        self.outline = outline
        self.sectioned = any(m is not None and m.section and m.kind == TEXT_LABEL for m in outline.markers)
        self.chapters: list[Chapter] = []
        self.drafts: list[ProblemDraft] = []
        self.warnings: list[ParseWarning] = []
        self.closing: list[str] = []
        self.closing_mode = False
        self.draft: ProblemDraft | None = None
        self.field: str | None = None
        self.chapter: str | None = None
        self.chapter_value = 0
        self.problem_value = 0
        self.restart_allowed = True
        self.expect_title = False
        self.principles = False
        # the last （一）（二）… sub-item seen inside a field, so its （二） is not taken for a problem
        self.sub_item = 0

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))

    def finish(self) -> None:
        if self.draft is not None:
            self.drafts.append(self.draft)
        self.draft = None
        self.field = None

    def _open(self, para: Para, number: str | None, number_raw: str | None = None) -> ProblemDraft:
        self.finish()
        self.draft = ProblemDraft(number, len(self.drafts) + 1, self.chapter, para.line, number_raw=number_raw)
        self.restart_allowed = False
        self.sub_item = 0
        return self.draft

    def feed(self, para: Para) -> None:
        for bad in malformed_dates(para.text):
            self.warn(para.line, f"日期“{bad[2]}”写法有误（无法确定年、月、日），未作解析，请与原文核对")
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
        return value == self.chapter_value + 1 or self.field not in ("text", "goal", "measures", "progress")

    def _accept_problem(self, value: int | None, para: Para, number: str) -> bool:
        if value is None:
            return False
        if self.sub_item and value == self.sub_item + 1:
            self.sub_item = value
            return False
        if self.draft is not None and self.draft.number is None and para.line not in self.outline.labelled_lines:
            self.sub_item = value if value == 1 else self.sub_item
            return False  # （一）… inside an unnumbered problem's fields
        if value == self.problem_value + 1 or (value == 1 and self.restart_allowed):
            return True
        if self.draft is None or self._previous_complete():
            previous = self.draft or (self.drafts[-1] if self.drafts else None)
            if previous is not None:  # a list may start anywhere (an excerpt: 序号19, 序号20…)
                self.warn(para.line, f"问题编号（{number}）不连续，上一个问题为{previous.label}")
            return True
        if value == 1:
            self.sub_item = 1
        return False  # （一）（二） sub-items inside a problem's text or measures

    def _marker(self, text: str, inline: bool) -> Marker | None:
        marker = classify(text)
        if marker is None:
            return None
        if inline and marker.kind not in (FIELD, TEXT_LABEL, NUMBER_LABEL):
            return None
        if marker.section and marker.kind == FIELD and not self.sectioned:
            # 三、整改措施 in a document not laid out in sections: a chapter heading
            m = CHAPTER_RE.match(text)
            if m:
                return Marker(CHAPTER, m.group(2).strip(), m.group(1))
            m = PROBLEM_RE.match(text)
            return Marker(NUMBERED, m.group(2).strip(), m.group(1)) if m else None
        return marker

    def _one(self, para: Para, inline: bool) -> None:
        text = para.text
        if BARE_ATTACHMENT_RE.match(text):
            self.finish()
            self.restart_allowed = True
            self.expect_title = True
            return
        if self.expect_title:
            self.expect_title = False
            if title_like(text):
                self.warn(para.line, f"又一附件“{_snippet(text)}”，按同一清单继续解析")
                return
        marker = self._marker(text, inline)
        if self.closing_mode:
            opens = marker is not None and marker.kind in (NUMBERED, TEXT_LABEL, NUMBER_LABEL)
            if not (opens and para.line in self.outline.labelled_lines):
                self.closing.append(text)
                return
            self.closing_mode = False
        kind = marker.kind if marker else None
        if kind == CHAPTER and marker is not None and self._chapter(marker, para):
            return
        if kind == NUMBERED and marker is not None and marker.number is not None:
            if not is_principle(marker, self.principles) and self._accept_problem(
                numeral_value(marker.number), para, marker.number
            ):
                draft = self._open(para, marker.number, marker.number_raw)
                draft.add("text", Para(para.line, marker.rest))
                self.field = "text"
                self.problem_value = numeral_value(marker.number) or 0
                return
        elif kind == ABOUT and marker is not None and para.line in self.outline.labelled_lines:
            draft = self._open(para, None)
            draft.add("text", Para(para.line, marker.rest))
            draft.doubts.append(Doubt("text", "问题内容取自“关于“……””标题中引号内的文字"))
            self.field = "text"
            return
        elif kind == NUMBER_LABEL and marker is not None:
            self._number_label(marker, para)
            return
        elif kind in (TEXT_LABEL, FIELD) and marker is not None and marker.label is not None:
            self._label(marker.label, para)
            return
        self._plain(para)

    def _chapter(self, marker: Marker, para: Para) -> bool:
        value = numeral_value(marker.number or "")
        if not self._accept_chapter(value, marker.rest):
            return False
        self.finish()
        if self.drafts and PRINCIPLES_RE.match(marker.rest):
            # 五、保障措施 after the list: the plan's main text again, kept aside with the closing
            self.closing_mode = True
            self.closing.append(para.text)
            return True
        number = marker.number or ""
        self.chapters.append(Chapter(number, marker.rest.rstrip("。").strip(), para.line))
        self.chapter = number
        self.chapter_value = value or 0
        self.restart_allowed = True
        self.principles = bool(PRINCIPLES_RE.match(marker.rest))
        return True

    def _number_label(self, marker: Marker, para: Para) -> None:
        draft = self.draft
        if draft is not None and not draft.has_content() and draft.number is not None and self.field == "text":
            if marker.rest and marker.rest != draft.number:  # 问题1 then 编号：省编号第41号
                draft.number_raw = f"{draft.number_raw or draft.number}（{marker.rest}）"
            return
        if draft is None or draft.has_content() or draft.number is not None:
            draft = self._open(para, marker.number, marker.number_raw)
        else:
            draft.number, draft.number_raw = marker.number, marker.number_raw
        self._qualified(marker.label, "number")
        self.field = "number" if marker.number is None else None
        value = numeral_value(marker.number or "")
        if value:
            self.problem_value = value

    def _qualified(self, label: Label | None, name: str) -> None:
        if self.draft is not None and label is not None and label.qualifier in INFERRED_QUALIFIERS:
            self.draft.inferred.setdefault(name, INFERRED_QUALIFIERS[label.qualifier])

    def _label(self, label: Label, para: Para) -> None:
        name = label.field
        if name == "text":
            if self.draft is None or self.draft.has_content():
                self._open(para, None)
            assert self.draft is not None
            self.draft.text_labelled = True
        elif self.draft is None:
            if self.drafts:
                self.warn(para.line, f"字段不属于任何问题，未能归入：“{_snippet(para.text)}”")
                return
            self._open(para, None)  # a document of fields and no problem heading: one problem
        draft = self.draft
        assert draft is not None
        if name in SCALAR_FIELDS and draft.fields.get(name):
            self.warn(
                para.line,
                f"问题{draft.label}的“{FIELD_NAMES_CN[name]}”重复出现，未采用：“{_snippet(para.text)}”",
            )
            self.field = None
            return
        self.field = name
        self.sub_item = 0
        self._qualified(label, name)
        draft.fields.setdefault(name, [])
        if label.value:
            draft.add(name, Para(para.line, label.value))

    def _plain(self, para: Para) -> None:
        text = para.text
        draft = self.draft
        if draft is not None and self.field == "number":
            number = number_in(text)
            if number:
                draft.number, draft.number_raw = number, (text if text != number else None)
                self.field = None
                return
        if draft is not None and self.field in SCALAR_FIELDS and not draft.fields.get(self.field):
            draft.add(self.field, para)  # the label stood alone; its value is this line
            return
        if draft is not None and self.field in ("status", "progress", "text"):
            pass
        elif draft is not None and len(text) <= 30 and STATUS_ONLY_RE.match(compact(text)):
            draft.status_lines.append(para)
            return
        if draft is not None and self.field in ("deadline", "nodes") and find_dates(compact(text)):
            draft.add(self.field, para)  # one more stage of the deadline
            return
        if CLOSING_RE.match(text) and (self.drafts or draft is not None):
            self.finish()
            self.closing_mode = True
            self.closing.append(text)
            return
        if is_date_line(text) and (self.field is None or self.field in SCALAR_FIELDS):
            self.closing.append(text)  # a signature's date
            return
        if draft is None:
            self.warn(para.line, f"未能归入任何问题的文字：“{_snippet(text)}”")
        elif self.field is None or self.field in SCALAR_FIELDS or self.field == "number":
            self.warn(para.line, f"问题{draft.label}之后未能归入任何字段的文字：“{_snippet(text)}”")
        elif self.field in CONTENT_FIELDS:
            draft.add(self.field, para)
