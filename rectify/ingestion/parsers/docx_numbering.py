"""Word's automatic list numbering → the number a reader sees in front of a paragraph.

Owns `ListNumbering` and `format_number`. A paragraph numbered by Word's list feature (w:numPr
on the paragraph, or on its paragraph style or a style that one is based on) carries no number
in its text: Word draws it from the numbering part. `ListNumbering` reads that part — each
w:abstractNum's levels (w:start, w:numFmt, w:lvlText such as "（%1）", "%1.", "第%1条" or
"%1.%2", w:lvlRestart, w:isLgl, w:suff), each w:num with its w:lvlOverride (w:startOverride
or a whole w:lvl), w:numStyleLink to a numbering style — and, asked paragraph by paragraph in
document order, renders the number Word shows.

Counting follows Word: the w:num instances of one abstractNum share their counters (a list
interrupted by other paragraphs, or continued under another w:num, goes on counting); a
w:startOverride restarts its level where its w:num is first used; using a level restarts every
deeper level, unless that level's w:lvlRestart says only a higher one restarts it (0: never).
A bullet level, a level of format "none" and w:numId 0 give no number. Anything the parts do
not say, or say wrongly, gives no number rather than an error: the paragraph's text is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from rectify.core.formats import int_to_cn

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LEVELS = 9  # Word lists have levels 0–8
_LINK_DEPTH = 4  # numStyleLink → style → num → abstractNum, followed this many times at most
_STYLE_DEPTH = 16  # basedOn chains longer than this (or circular ones) are cut

_PLACEHOLDER_RE = re.compile(r"%([1-9])")
_CN_LEGAL = str.maketrans("一二三四五六七八九十百零", "壹贰叁肆伍陆柒捌玖拾佰零")
_IDEOGRAPH_DIGITS = "〇一二三四五六七八九"
_TRADITIONAL = "甲乙丙丁戊己庚辛壬癸"  # 天干
_ZODIAC = "子丑寅卯辰巳午未申酉戌亥"  # 地支
_ROMAN: tuple[tuple[int, str], ...] = (
    *((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC")),
    *((50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")),
)


def _enclosed(value: int, ranges: tuple[tuple[int, int, int], ...]) -> str:
    """① … ㊿ and the like: a code point per number where Unicode has one, else the digits."""
    for low, high, first in ranges:
        if low <= value <= high:
            return chr(first + value - low)
    return str(value)


_CIRCLED = ((1, 20, 0x2460), (21, 35, 0x3251), (36, 50, 0x32B1))  # ①–⑳, ㉑–㉟, ㊱–㊿
_FULL_STOP = ((1, 20, 0x2488),)  # ⒈–⒛
_PARENTHESIZED = ((1, 20, 0x2474),)  # ⑴–⒇


def _roman(value: int) -> str:
    if not 0 < value < 4000:
        return str(value)
    out = ""
    for amount, numeral in _ROMAN:
        count, value = divmod(value, amount)
        out += numeral * count
    return out


def _letters(value: int) -> str:
    """Word's letters: A … Z, then AA … ZZ, AAA … (digits past ZZZZZZZZZZ: no runaway strings)."""
    if not 0 < value <= 260:
        return str(value)
    return chr(ord("A") + (value - 1) % 26) * ((value - 1) // 26 + 1)


def format_number(value: int, fmt: str) -> str:
    """A counter's value in a w:numFmt; "" for bullet and none, the digits for a format not known."""
    if fmt in ("bullet", "none"):
        return ""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting"):
        return int_to_cn(value)  # 十, 十一, 二十, 一百, 一百零一 (up to 999)
    if fmt == "chineseLegalSimplified":
        return int_to_cn(value).translate(_CN_LEGAL)
    if fmt == "ideographDigital":
        return "".join(_IDEOGRAPH_DIGITS[int(d)] for d in str(value)) if value >= 0 else str(value)
    if fmt in ("ideographTraditional", "ideographZodiac"):
        cycle = _TRADITIONAL if fmt == "ideographTraditional" else _ZODIAC
        return cycle[(value - 1) % len(cycle)] if value > 0 else str(value)
    if fmt in ("upperLetter", "lowerLetter"):
        letters = _letters(value)
        return letters if fmt == "upperLetter" else letters.lower()
    if fmt in ("upperRoman", "lowerRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _enclosed(value, _CIRCLED)
    if fmt == "decimalEnclosedFullstop":
        return _enclosed(value, _FULL_STOP)
    if fmt == "decimalEnclosedParen":
        return _enclosed(value, _PARENTHESIZED)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) if d.isdigit() else d for d in str(value))
    if fmt == "decimalZero":
        return f"{value:02d}" if 0 <= value < 10 else str(value)
    return str(value)


# --- reading the parts --------------------------------------------------------------------------


def _child(element: Any, tag: str) -> Any:
    return None if element is None else element.find(_W + tag)


def _val(element: Any, tag: str) -> str | None:
    child = _child(element, tag)
    return None if child is None else child.get(_W + "val")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _on(element: Any, tag: str) -> bool | None:
    """An on/off property: present without a value means on."""
    child = _child(element, tag)
    if child is None:
        return None
    return child.get(_W + "val", "true").lower() not in ("0", "false", "off")


def _level_index(value: int | None) -> int | None:
    return value if value is not None and 0 <= value < LEVELS else None


@dataclass(frozen=True, slots=True)
class Level:
    """One w:lvl. `restart` is w:lvlRestart: None restarts after any higher level is used, N
    (one-based) only after levels 1…N, 0 never."""

    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    restart: int | None = None
    legal: bool = False
    suffix: str = "tab"
    style: str | None = None


def _level(element: Any, base: Level) -> Level:
    """A w:lvl read over `base` (a w:lvlOverride's w:lvl may give only what it changes)."""
    start = _int(_val(element, "start"))
    legal = _on(element, "isLgl")
    return Level(
        start=base.start if start is None else start,
        fmt=_val(element, "numFmt") or base.fmt,
        text=base.text if _child(element, "lvlText") is None else (_val(element, "lvlText") or ""),
        restart=_int(_val(element, "lvlRestart")) if _child(element, "lvlRestart") is not None else base.restart,
        legal=base.legal if legal is None else legal,
        suffix=_val(element, "suff") or base.suffix,
        style=_val(element, "pStyle") or base.style,
    )


def _levels(element: Any) -> dict[int, Level]:
    levels: dict[int, Level] = {}
    for lvl in element.findall(_W + "lvl"):
        index = _level_index(_int(lvl.get(_W + "ilvl")))
        if index is not None:
            levels[index] = _level(lvl, levels.get(index, Level()))
    return levels


@dataclass(slots=True)
class _Num:
    abstract_id: int
    overrides: list[Any] = field(default_factory=list)  # w:lvlOverride elements


@dataclass(frozen=True, slots=True)
class _Style:
    num_id: int | None
    ilvl: int | None
    based_on: str | None


@dataclass(frozen=True, slots=True)
class _List:
    key: int  # the abstractNum whose counters this w:num shares
    levels: dict[int, Level]
    restarts: tuple[int, ...]  # levels a w:startOverride restarts where the w:num is first used


class ListNumbering:
    """The numbers of a document's numbered paragraphs; ask for them in document order."""

    def __init__(self, numbering: Any = None, styles: Any = None) -> None:
        self._abstracts: dict[int, Any] = {}
        self._nums: dict[int, _Num] = {}
        self._styles: dict[str, _Style] = {}
        self._default_style: str | None = None
        self._lists: dict[int, _List | None] = {}
        self._counters: dict[int, list[int | None]] = {}
        self._started: set[int] = set()
        # a horizontally merged cell is read once per grid column: its paragraphs count once
        self._seen: dict[Any, str] = {}
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    @classmethod
    def of(cls, document: Any) -> ListNumbering:
        """From a python-docx Document; a package without a numbering part numbers nothing."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        try:
            # not document.part.numbering_part: that adds an empty part when there is none
            numbering = document.part.part_related_by(RT.NUMBERING).element
        except Exception:  # no part, or one python-docx did not load as XML
            return cls()
        try:
            styles = document.part.part_related_by(RT.STYLES).element
        except Exception:
            styles = None
        try:
            return cls(numbering, styles)
        except Exception:  # definitions that cannot be read number nothing; the text is kept
            return cls()

    def _read_numbering(self, root: Any) -> None:
        for element in root.findall(_W + "abstractNum"):
            abstract_id = _int(element.get(_W + "abstractNumId"))
            if abstract_id is not None:
                self._abstracts.setdefault(abstract_id, element)
        for element in root.findall(_W + "num"):
            num_id = _int(element.get(_W + "numId"))
            abstract_id = _int(_val(element, "abstractNumId"))
            if num_id is not None and abstract_id is not None:
                self._nums.setdefault(num_id, _Num(abstract_id, element.findall(_W + "lvlOverride")))

    def _read_styles(self, root: Any) -> None:
        for element in root.findall(_W + "style"):
            style_id = element.get(_W + "styleId")
            if not style_id:
                continue
            num_pr = _child(_child(element, "pPr"), "numPr")
            self._styles[style_id] = _Style(
                _int(_val(num_pr, "numId")), _level_index(_int(_val(num_pr, "ilvl"))), _val(element, "basedOn")
            )
            is_default = element.get(_W + "default") in ("1", "true", "on")
            if element.get(_W + "type") == "paragraph" and is_default and self._default_style is None:
                self._default_style = style_id

    # --- definitions ----------------------------------------------------------------------------

    def _abstract(self, abstract_id: int) -> tuple[int, Any] | None:
        """The abstractNum holding the levels: a numStyleLink is followed to its numbering style's list."""
        for _ in range(_LINK_DEPTH):
            element = self._abstracts.get(abstract_id)
            if element is None:
                return None
            link = _val(element, "numStyleLink")
            if not link:
                return abstract_id, element
            style = self._styles.get(link)
            num = self._nums.get(style.num_id) if style and style.num_id is not None else None
            if num is None or num.abstract_id == abstract_id:
                return abstract_id, element
            abstract_id = num.abstract_id
        return None

    def _list(self, num_id: int) -> _List | None:
        if num_id not in self._lists:
            self._lists[num_id] = self._read_list(num_id)
        return self._lists[num_id]

    def _read_list(self, num_id: int) -> _List | None:
        num = self._nums.get(num_id)
        found = self._abstract(num.abstract_id) if num else None
        if num is None or found is None:
            return None
        key, element = found
        levels = _levels(element)
        restarts: list[int] = []
        for override in num.overrides:
            index = _level_index(_int(override.get(_W + "ilvl")))
            if index is None:
                continue
            lvl = _child(override, "lvl")
            if lvl is not None:
                levels[index] = _level(lvl, levels.get(index, Level()))
            start = _int(_val(override, "startOverride"))
            if start is not None:
                levels[index] = replace(levels.get(index, Level()), start=start)
                restarts.append(index)
        return _List(key, levels, tuple(restarts))

    # --- paragraphs -----------------------------------------------------------------------------

    def _style_chain(self, style_id: str | None) -> list[_Style]:
        chain: list[_Style] = []
        seen: set[str] = set()
        while style_id and style_id not in seen and len(chain) < _STYLE_DEPTH:
            seen.add(style_id)
            style = self._styles.get(style_id)
            if style is None:
                break
            chain.append(style)
            style_id = style.based_on
        return chain

    def _num_pr(self, paragraph: Any) -> tuple[int, int, str | None] | None:
        """(numId, level, style) the paragraph is numbered with, from itself or its styles."""
        p_pr = _child(paragraph, "pPr")
        num_pr = _child(p_pr, "numPr")
        num_id = _int(_val(num_pr, "numId"))
        ilvl = _level_index(_int(_val(num_pr, "ilvl")))
        style_id = _val(p_pr, "pStyle") or self._default_style
        for style in self._style_chain(style_id):
            if num_id is None:
                num_id = style.num_id
            if ilvl is None:
                ilvl = style.ilvl
        if not num_id:  # absent, or 0: "not numbered", which also undoes a style's numbering
            return None
        return num_id, (-1 if ilvl is None else ilvl), style_id

    def prefix(self, paragraph: Any) -> str:
        """What Word draws before this w:p: "（一）", "1. ", "" when it is not numbered."""
        if paragraph in self._seen:
            return self._seen[paragraph]
        try:
            text = self._number(paragraph)
        except Exception:  # a definition read wrongly costs the number, never the document
            text = ""
        self._seen[paragraph] = text
        return text

    def _number(self, paragraph: Any) -> str:
        found = self._num_pr(paragraph)
        if found is None:
            return ""
        num_id, ilvl, style_id = found
        numbered = self._list(num_id)
        if numbered is None:
            return ""
        levels = numbered.levels
        if ilvl < 0:  # no level given: the level linked to the paragraph's style, else the first
            ilvl = next((i for i, lvl in sorted(levels.items()) if style_id and lvl.style == style_id), 0)
        level = levels.get(ilvl)
        if level is None:
            return ""
        counters = self._counters.setdefault(numbered.key, [None] * LEVELS)
        if num_id not in self._started:
            self._started.add(num_id)
            for index in numbered.restarts:
                counters[index] = None
        current = counters[ilvl]
        counters[ilvl] = level.start if current is None else current + 1
        for deeper in range(ilvl + 1, LEVELS):
            restart = levels.get(deeper, Level()).restart
            if restart is None or ilvl < restart:
                counters[deeper] = None
        return _render(level, levels, counters)


def _render(level: Level, levels: dict[int, Level], counters: list[int | None]) -> str:
    if level.fmt == "bullet":  # a bullet is a symbol, not a number: nothing to add to the text
        return ""

    def value(m: re.Match[str]) -> str:
        index = int(m.group(1)) - 1
        shown = levels.get(index, Level())
        count = counters[index]
        number = shown.start if count is None else count  # a level not used yet shows its start
        if shown.fmt == "none" or shown.fmt == "bullet":
            return ""
        return format_number(number, "decimal" if level.legal else shown.fmt)

    text = _PLACEHOLDER_RE.sub(value, level.text)
    if not text.strip():
        return ""
    # Word's tab or space after the number: kept after "1." (so "1. 10个县" stays measure 1, not
    # the decimal 1.10), not after "（一）" or "一、", where the text follows directly in print
    if level.suffix != "nothing" and text[-1].isascii() and not text[-1].isspace():
        text += " "
    return text


__all__ = ["Level", "ListNumbering", "format_number"]
