"""GB/T 9704-2012 (党政机关公文格式) page geometry, its text rules, and the layout blocks.

The official-document and briefing renderers decide the layout once, as a list of blocks
(paragraphs of styled spans, blank lines, rules, tables, groups); docx_writer and pdf_writer turn
the same blocks into a Word file and into a PDF, so both outputs say the same thing.

The type area (版心) is 156 × 225 mm on A4 with margins 37/35/28/26 mm: 22 lines of 28 characters
of 三号 (16 pt) text, i.e. a fixed line pitch of 28.95 pt and a character pitch of 156 mm / 28.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rectify.core.formats import format_cn_date  # noqa: F401 - re-exported for the renderers

from . import fonts

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
FOOTER_DISTANCE_MM = 21  # puts the page number about 7 mm below the type area
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28
LINE_PITCH_PT = 28.95  # 22 lines fill the 225 mm type area
TEXT_WIDTH_PT = (PAGE_WIDTH_MM - MARGIN_LEFT_MM - MARGIN_RIGHT_MM) * 72 / 25.4  # 442.2
CHAR_PITCH_PT = round(TEXT_WIDTH_PT / CHARS_PER_LINE - 0.005, 2)  # 15.79: 28 characters per line

# Chinese type sizes (字号) in points.
CHUHAO, XIAOCHU, YIHAO, ERHAO, XIAOER, SANHAO, SIHAO, XIAOSI, WUHAO = 42, 36, 26, 22, 18, 16, 14, 12, 10.5
BODY_PT = SANHAO
RED = "FF0000"
BLACK = "000000"


_H1 = re.compile(r"^[一二三四五六七八九十百零]+、")
_H2 = re.compile(r"^（[一二三四五六七八九十百零]+）")


def heading_level(text: str) -> int:
    """1 for "一、…" (黑体), 2 for "（一）…" (楷体), 0 for body text."""
    if _H1.match(text):
        return 1
    if _H2.match(text):
        return 2
    return 0


def split_heading(text: str) -> tuple[str, str]:
    """A heading runs to its first "。" when body text follows on the same paragraph."""
    end = text.find("。")
    if end == -1 or end == len(text) - 1:
        return text, ""
    return text[: end + 1], text[end + 1 :]


def lines(paragraphs: Iterable[str]) -> list[str]:
    """Every non-blank line of every paragraph, without the indentation people type by hand."""
    out = []
    for paragraph in paragraphs:
        for line in paragraph.split("\n"):
            line = line.strip(" \t\r\u3000")
            if line:
                out.append(line)
    return out


def text_em(text: str) -> float:
    """Width in ems: CJK and full-width characters take one, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2000 else 1.0 for ch in text)


def fit_size(text: str, max_pt: float, min_pt: float, width_pt: float = TEXT_WIDTH_PT) -> float:
    """The largest size (in half points) at which text fits on one line, never below min_pt."""
    em = max(text_em(text), 1.0)
    size = min(max_pt, (width_pt - 1) / em)
    return max(min_pt, int(size * 2) / 2)


def inline_bold(text: str) -> list[tuple[str, bool]]:
    """Split "…**加粗**…" into (text, bold) pieces; an unpaired ** stays literal."""
    parts = text.split("**")
    if len(parts) % 2 == 0:
        return [(text, False)]
    return [(part, i % 2 == 1) for i, part in enumerate(parts) if part]


@dataclass(frozen=True)
class Span:
    text: str  # "\n" is a line break
    font: str  # an official font name from fonts.py
    size: float
    bold: bool = False
    color: str = BLACK


@dataclass(frozen=True)
class Border:
    width_pt: float
    color: str = BLACK


@dataclass(frozen=True)
class Para:
    spans: tuple[Span, ...]
    align: str = "justify"  # left, center, right, justify
    first_chars: float = 0  # first-line indent in characters (negative: hanging)
    left_chars: float = 0
    right_chars: float = 0
    line_pt: float = LINE_PITCH_PT
    keep_with_next: bool = False
    tab_right: Span | None = None  # text flush right on the same line
    border_top: Border | None = None
    border_bottom: Border | None = None
    role: str = ""  # a CSS class, for readers of the HTML only

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Blank:
    lines: int = 1


@dataclass(frozen=True)
class Rule:
    """A horizontal rule across the type area, height_pt below the previous block."""

    border: Border
    height_pt: float = 8


@dataclass(frozen=True)
class Grid:
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    size: float = XIAOSI
    widths: Sequence[float] = ()  # column shares of the width (fixed layout, text wraps); () = auto


@dataclass(frozen=True)
class Group:
    """Blocks kept together; role "banji" (版记) sits at the foot of the last PDF page."""

    blocks: Sequence[Block]
    role: str = ""


@dataclass(frozen=True)
class Image:
    """A picture (JPEG/PNG bytes) centred on its own lines, at width × height points, with an
    optional caption below; kept on one page with its caption."""

    data: bytes
    mime: str
    width_pt: float
    height_pt: float
    caption: str = ""


Block = Para | Blank | Rule | Grid | Group | Image


@dataclass(frozen=True)
class Meta:
    title: str
    author: str
    date: datetime.date
    subject: str = ""
    keywords: Sequence[str] = field(default_factory=tuple)
    draft_label: str = ""  # e.g. "草稿": a grey label (docx header) or watermark (PDF)


def para(
    text: str,
    font: str = fonts.FANGSONG,
    size: float = BODY_PT,
    *,
    color: str = BLACK,
    bold: bool = False,
    **kwargs: Any,
) -> Para:
    """One paragraph of a single style; big sizes get a taller line so glyphs are not clipped."""
    kwargs.setdefault("line_pt", max(LINE_PITCH_PT, round(size * 1.35, 2)))
    return Para(spans=(Span(text, font, size, bold, color),), **kwargs)
