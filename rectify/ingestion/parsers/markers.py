"""What a paragraph opens: a chapter, a problem (numbered in one of the ways offices write it),
a field section, a field label, or nothing.

Owns `classify` and `starts_structure`. Problems are numbered （一）/(一), 问题1：/问题一：,
第1项, 序号19 or 省编号第41号; a problem may also be opened by a label for its text (反馈问题：,
存在问题：, 问题描述：, 整改任务：) or a section heading (一、反馈问题), or named in a heading
关于“…”. The number is kept as written; `number_raw` keeps the words around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .patterns import (
    ATTACHMENT_REF_RE,
    BARE_ATTACHMENT_RE,
    CHAPTER_RE,
    CLOSING_RE,
    CN_NUM,
    FIELD_LABELS,
    LABEL_RE,
    MEASURE_RE,
    PROBLEM_RE,
    Label,
    label_of,
)

_NUM = rf"(?:\d{{1,4}}|{CN_NUM})"
# （省编号第41号） after a number: part of the marker, not of the problem's text
_EXTRA = r"(?:[（(][^（）()]{0,16}编号[^（）()]{0,16}[）)])?"
_SEP = r"\s*(?:[：:、.．，,]\s*|(?=[（(【“])|$)"
ALT_PROBLEM_RE = re.compile(
    r"^(?P<raw>"
    rf"问题\s*[（(]\s*(?P<a>{_NUM})\s*[）)]{_EXTRA}(?:{_SEP}|(?=\S))"
    rf"|问题\s*(?P<a2>{_NUM}){_EXTRA}{_SEP}"
    rf"|第\s*(?P<b>\d{{1,4}})\s*(?:项问题|个问题|项|条问题|号问题){_EXTRA}(?:{_SEP}|(?=\S))"
    rf"|第\s*(?P<b2>{CN_NUM})\s*(?:项问题|个问题|项|条问题|号问题){_EXTRA}{_SEP}"
    rf"|序号\s*(?P<c>\d{{1,4}}){_EXTRA}(?:{_SEP}|(?=\S))"
    rf"|(?:[省市县区]|督察)?编号\s*第?\s*(?P<d>\d{{1,4}})\s*号{_EXTRA}(?:{_SEP}|(?=\S))"
    r")(?P<rest>.*)$",
    re.S,
)
_NUMBER_IN_RE = re.compile(rf"(\d{{1,4}})|第?({CN_NUM})(?:项|号|条)?")
# 关于“…” names the problem it is about
ABOUT_RE = re.compile(r"^关于[“\"「『](?P<quote>[^“”\"「」『』]{2,200})[”\"」』](?P<rest>.*)$", re.S)
_SECTION_LABELS = "|".join(sorted((lb for labels in FIELD_LABELS.values() for lb in labels), key=len, reverse=True))
_SECTION_LABEL = rf"(?P<label>(?:{_SECTION_LABELS})(?:[（(][^（）()]{{1,12}}[）)])?)"
_SECTION_LABEL2 = _SECTION_LABEL.replace("(?P<label>", "(?P<label2>")
# 一、整改目标 / 一、整改目标：… / （一）整改目标 — but "（一）问题。" is a problem whose text is 问题。
SECTION_RE = re.compile(
    rf"^(?:{CN_NUM}\s*[、．.]\s*{_SECTION_LABEL}\s*(?:[：:]\s*(?P<value>.*)|[。.]?\s*$)"
    rf"|[（(]\s*{CN_NUM}\s*[）)]\s*[、.．]?\s*{_SECTION_LABEL2}\s*(?:[：:]\s*(?P<value2>.*)|$))",
    re.S,
)

NUMBERED = "numbered"  # （一）… 问题1：… 第1项… 序号19…
NUMBER_LABEL = "number_label"  # 序号：19 / 编号：省编号第41号
TEXT_LABEL = "text_label"  # 反馈问题：… / 一、反馈问题
FIELD = "field"  # 整改目标：… / 三、整改措施
ABOUT = "about"  # 关于“…”
CHAPTER = "chapter"  # 一、…


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str
    rest: str  # the text after the marker: a problem's first words, a label's value
    number: str | None = None
    number_raw: str | None = None
    label: Label | None = None
    section: bool = False  # a label written as a heading (一、整改目标)

    @property
    def field(self) -> str | None:
        return self.label.field if self.label else None


def number_in(value: str) -> str | None:
    """The number inside 19 / 第41号 / 省编号第41号 / （一） as written ("41", "一"), else None."""
    m = _NUMBER_IN_RE.search(value)
    if not m:
        return None
    return m.group(1) or m.group(2)


def _numbered(text: str) -> Marker | None:
    m = PROBLEM_RE.match(text)
    if m:
        return Marker(NUMBERED, m.group(2).strip(), m.group(1), None)
    m = ALT_PROBLEM_RE.match(text)
    if not m:
        return None
    number = next(m.group(g) for g in ("a", "a2", "b", "b2", "c", "d") if m.group(g))
    raw = re.sub(r"[\s：:、.．，,]+$", "", m.group("raw"))
    return Marker(NUMBERED, m.group("rest").strip(), number, raw)


def _label_marker(label: Label, section: bool) -> Marker:
    if label.field == "text":
        return Marker(TEXT_LABEL, label.value, label=label, section=section)
    if label.field == "number":
        raw = label.value
        number = number_in(raw) if raw else None
        return Marker(NUMBER_LABEL, raw, number, raw if raw and raw != number else None, label, section)
    return Marker(FIELD, label.value, label=label, section=section)


# the first characters any marker can start with: most paragraphs (1.…, prose) start otherwise
_FIRST = (
    set(CN_NUM.strip("[]+")) | set("（(问第序编省市县区督关") | {lb[0] for lbs in FIELD_LABELS.values() for lb in lbs}
)


def classify(text: str) -> Marker | None:
    """What the paragraph `text` opens, or None for a plain paragraph."""
    if not text or text[0] not in _FIRST:
        return None
    m = SECTION_RE.match(text)
    if m:
        name = m.group("label") or m.group("label2")
        label = label_of(f"{name}：{m.group('value') or m.group('value2') or ''}")
        # "三、整改任务" heads a plan's chapter of tasks far more often than one problem's text
        if label is not None and not name.startswith("整改任务"):
            return _label_marker(label, section=True)
    numbered = _numbered(text)
    if numbered is not None:
        return numbered
    label = label_of(text)
    if label is not None:
        return _label_marker(label, section=False)
    m = ABOUT_RE.match(text)
    if m:
        return Marker(ABOUT, m.group("quote").strip())
    m = CHAPTER_RE.match(text)
    if m:
        return Marker(CHAPTER, m.group(2).strip(), m.group(1))
    return None


def starts_structure(text: str) -> bool:
    """Does this paragraph open a new element (so it is never glued to the one before)?"""
    return bool(
        CHAPTER_RE.match(text)
        or PROBLEM_RE.match(text)
        or ALT_PROBLEM_RE.match(text)
        or MEASURE_RE.match(text)
        or LABEL_RE.match(text)
        or ABOUT_RE.match(text)
        or BARE_ATTACHMENT_RE.match(text)
        or ATTACHMENT_REF_RE.match(text)
        or CLOSING_RE.match(text)
    )
