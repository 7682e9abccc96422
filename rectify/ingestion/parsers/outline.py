"""Where the list of problems starts, or why there is none.

Owns `Outline` (one pass over the paragraphs: which of them open a problem that has fields) and
`find_list`: after the line "附件" before its title, after a title ending in 清单, or failing
both at the first problem that carries a field (a numbered problem followed by a label, a
label for a problem's text, a 一、反馈问题 section, a 关于“…” heading followed by a label). A
text with no problem at all but at least two kinds of field (整改目标 and 整改措施, …) is one
problem too. When nothing of the kind is found, `no_list_message` says what was looked for
and what was found instead.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from .errors import ParseError
from .markers import (
    ABOUT,
    ABOUT_RE,
    CHAPTER,
    FIELD,
    NUMBER_LABEL,
    NUMBERED,
    TEXT_LABEL,
    Marker,
    classify,
    starts_structure,
)
from .patterns import (
    ATTACHMENT_REF_RE,
    BARE_ATTACHMENT_RE,
    CHAPTER_RE,
    INLINE_LABEL_RE,
    PRINCIPLE_ITEM_RE,
    PRINCIPLES_RE,
    label_of,
)
from .repairs import Para

NO_LIST_PREFIX = "未找到整改措施清单"
# fields that make a problem of a document with no problem heading (a 责任人 alone does not)
PROBLEM_FIELDS = {"goal", "measures", "units", "lead", "support", "deadline", "nodes", "progress"}
_TITLE_PUNCT = re.compile(r"[。，；！？：,;:!?]")
_LIST_TITLE = re.compile(r"清单|台账|任务表|问题表|整改措施表")
LOOKED_FOR = (
    "已查找：按“（一）”“(一)”“问题1：”“问题一：”“第1项”“序号19”编号的问题，"
    "“反馈问题：”“存在问题：”“问题描述：”“整改任务：”等问题字段，“一、反馈问题……二、整改目标……”式分节，"
    "以及其后的整改目标、整改措施、责任单位、整改时限等字段。"
)


def is_principle(marker: Marker, in_principles: bool) -> bool:
    """（一）坚持… — or any （一） under 基本原则 — is a principle of the main text, not a problem."""
    return marker.number_raw is None and (in_principles or bool(PRINCIPLE_ITEM_RE.match(marker.rest)))


def title_like(text: str) -> bool:
    """A short line without sentence punctuation that opens nothing (关于“…”的公示 may be a title)."""
    body = text.rstrip("。")
    if not 0 < len(body) <= 80 or _TITLE_PUNCT.search(body):
        return False
    return not starts_structure(text) or bool(ABOUT_RE.match(text))


class Outline:
    """One pass over the paragraphs: where labelled problems start, where 附件 lines are.

    Finding the list asks "is there a labelled problem after here?" many times; answering from
    sorted lists keeps that linear on hostile input (thousands of （一） lines).
    """

    def __init__(self, paras: list[Para]) -> None:
        self.labelled: list[int] = []
        self.bare: list[int] = []
        self.field_only: list[int] = []
        self.field_kinds: dict[str, str] = {}  # field → the first label word written for it
        self.numbered = 0
        self.principles = 0
        self.chapters = 0
        self.markers = [classify(p.text) for p in paras]
        # sections of fields (三、整改措施) are fields only where a document is laid out in
        # sections, that is where one of them is the problem's (一、反馈问题)
        sectioned = any(m is not None and m.section and m.kind == TEXT_LABEL for m in self.markers)
        current: int | None = None
        about_pending = False  # 关于“…” heads a problem only right above its fields
        principles = False
        for i, para in enumerate(paras):
            marker = self.markers[i]
            kind = marker.kind if marker else None
            if marker is not None and marker.section and kind == FIELD and not sectioned:
                kind = CHAPTER
            if about_pending and kind not in (TEXT_LABEL, FIELD, NUMBER_LABEL):
                current = None
            about_pending = False
            if BARE_ATTACHMENT_RE.match(para.text):
                self.bare.append(i)
                current = None
            elif kind == CHAPTER:
                self.chapters += 1
                principles = bool(PRINCIPLES_RE.match(marker.rest if marker else ""))
            elif kind == NUMBERED and marker is not None:
                if is_principle(marker, principles):
                    self.principles += 1
                    current = None
                    continue
                self.numbered += 1
                current = i
                if INLINE_LABEL_RE.search(para.text):  # "（一）…。整改目标：…" on one line
                    self.labelled.append(i)
                    current = None
            elif kind in (NUMBER_LABEL, ABOUT):
                if kind == NUMBER_LABEL and current is not None:
                    continue  # 问题1 then 编号：省编号第41号: one problem
                current = i
                about_pending = kind == ABOUT
            elif kind == TEXT_LABEL:
                self.labelled.append(i if current is None else current)
                current = None
            elif kind == FIELD and marker is not None and marker.label is not None:
                self.field_kinds.setdefault(marker.label.field, marker.label.word)
                if current is not None:
                    self.labelled.append(current)
                    current = None
                else:
                    self.field_only.append(i)
        self.labelled = sorted(set(self.labelled))
        self.labelled_lines = {paras[i].line for i in self.labelled}

    def problem_follows(self, start: int) -> bool:
        """Is there a labelled problem from `start` on, before the next 附件 line?"""
        k = bisect_left(self.labelled, start)
        if k == len(self.labelled):
            return False
        b = bisect_left(self.bare, start)
        return b == len(self.bare) or self.labelled[k] < self.bare[b]


def no_list_message(paras: list[Para], outline: Outline) -> str:
    found = [f"共{len(paras)}段文字"]
    if outline.numbered:
        found.append(f"{outline.numbered}个编号的条目（如“（一）”），但其后都没有整改目标、整改措施等字段")
    if outline.principles:
        found.append(f"{outline.principles}个“（一）坚持……”式的原则条目（属于正文，不是问题）")
    if outline.chapters:
        found.append(f"{outline.chapters}个“一、”式标题")
    if outline.field_kinds:
        names = "".join(f"“{word}”" for word in outline.field_kinds.values())
        found.append(f"字段标签{names}，但没有问题描述、整改目标、整改措施、责任单位、整改时限或整改完成情况")
    if len(found) == 1:
        found.append("没有任何问题编号或字段标签")
    return (
        f"{NO_LIST_PREFIX}：文中没有可识别的整改问题。{LOOKED_FOR}文中找到的是：{'；'.join(found)}。"
        "请确认文件是整改方案、整改清单或整改情况公示。"
    )


def find_list(paras: list[Para], outline: Outline) -> tuple[int, int, str | None]:
    """(end of the main text, first paragraph of the list, the list's title)."""
    for i in outline.bare:
        j = i + 1
        title = None
        if j < len(paras) and title_like(paras[j].text):
            title = paras[j].text
            j += 1
        if outline.problem_follows(j):
            return i, j, title
    for i, para in enumerate(paras):
        text = para.text
        if title_like(text) and _LIST_TITLE.search(text) and not ATTACHMENT_REF_RE.match(text):
            window = outline.markers[i + 1 : i + 4]
            if any(m is not None and m.kind != FIELD for m in window) and outline.problem_follows(i + 1):
                return i, i + 1, text
    if outline.labelled:
        i = outline.labelled[0]
        start = i - 1 if i and CHAPTER_RE.match(paras[i - 1].text) and not label_of(paras[i - 1].text) else i
        return start, start, None
    # one problem, written as its fields alone, if one of them makes it a problem
    if any(m is not None and m.field in PROBLEM_FIELDS for m in (outline.markers[i] for i in outline.field_only)):
        start = outline.field_only[0]
        return start, start, None
    raise ParseError(no_list_message(paras, outline))
