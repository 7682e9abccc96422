"""工作简报 (numbered work briefings) as .docx and .pdf, in the layout of seed 004 (第28期).

Masthead: the series in red, "工作简报" in large red 小标宋, "第 N 期", then the issuing body on
the left and the date on the right above a red rule. Then the lead article(s), each a centred
headline over 仿宋 三号 paragraphs and its photos, and sections such as "◆ 县区动态"; the 版记
(报：…；送：…；发：…, and the editor) closes the last page. In paragraphs, "**…**" marks bold lead-ins
("一要强化责任落实") as in the seed. A section heading and a headline are never left at the foot of
a page: they are chained (keep with next) to the first lines of the article, blank lines included.
Pure: dataclasses in, bytes out; no Django.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from . import fonts
from .docx_writer import to_docx
from .gbt9704 import (
    BODY_PT,
    CHUHAO,
    ERHAO,
    RED,
    SIHAO,
    TEXT_WIDTH_PT,
    XIAOER,
    Blank,
    Block,
    Border,
    Group,
    Image,
    Meta,
    Para,
    Rule,
    Span,
    fit_size,
    format_cn_date,
    inline_bold,
    lines,
    para,
)
from .pdf_writer import to_pdf

__all__ = ["Briefing", "BriefingItem", "BriefingSection", "blocks", "issue_label", "render_docx", "render_pdf"]

SECTION_MARK = "◆ "


@dataclass(frozen=True)
class BriefingItem:
    title: str  # headline, centred; "\n" breaks it
    paragraphs: list[str]
    photos: list[Image] = field(default_factory=list)


@dataclass(frozen=True)
class BriefingSection:
    heading: str  # e.g. "县区动态", printed "◆ 县区动态"; "" for the lead articles
    items: list[BriefingItem]


@dataclass(frozen=True)
class Briefing:
    series_title: str  # the red line above the name, e.g. "中央生态环境保护督察“回头看”朔州市协调联络"
    name: str  # "工作简报"
    issue_no: int
    issuer: str  # 编印单位
    date: datetime.date
    editor: str = ""
    sections: list[BriefingSection] = field(default_factory=list)
    distribution: list[str] = field(default_factory=list)  # 报：…/送：…/发：… lines (版记)
    draft: bool = False


def issue_label(issue_no: int) -> str:
    """ "第 28 期", spaced as the seed prints it."""
    return f"第 {issue_no} 期"


def render_docx(b: Briefing) -> bytes:
    return to_docx(blocks(b), _meta(b))


def render_pdf(b: Briefing) -> bytes:
    return to_pdf(blocks(b), _meta(b))


def _meta(b: Briefing) -> Meta:
    title = f"{b.series_title}{b.name}（{issue_label(b.issue_no)}）"
    return Meta(
        title=title,
        author=b.issuer,
        date=b.date,
        subject=b.name,
        keywords=(b.name, issue_label(b.issue_no)),
        draft_label="草稿" if b.draft else "",
    )


def blocks(b: Briefing) -> list[Block]:
    out: list[Block] = _masthead(b)
    for section in b.sections:
        heading: list[Block] = []
        if section.heading:
            heading = [
                _kept_blank(),
                para(SECTION_MARK + section.heading, fonts.HEITI, align="left", keep_with_next=True, role="section"),
            ]
        for i, item in enumerate(section.items):
            out.extend(_item(item, heading if i == 0 else []))
    out.append(_banji(b))
    return out


def _kept_blank() -> Para:
    """A blank line that stays with what follows (a Blank would let the page break there)."""
    return para("\u3000", keep_with_next=True, role="blank")


def _masthead(b: Briefing) -> list[Block]:
    date_text = format_cn_date(b.date)
    # The issuer and the date share one line: shrink both (down to 五号) when the issuer is long.
    line_size = fit_size(b.issuer + date_text, SIHAO, 10.5, TEXT_WIDTH_PT - 2 * SIHAO)
    out: list[Block] = []
    if b.series_title:
        size = fit_size(b.series_title, ERHAO, BODY_PT)
        out.append(para(b.series_title, fonts.XIAOBIAOSONG, size, color=RED, align="center", role="series"))
    name_size = fit_size(b.name, CHUHAO * 1.5, ERHAO)
    out.append(para(b.name, fonts.XIAOBIAOSONG, min(name_size, 60), color=RED, align="center", line_pt=80, role="name"))
    out.append(para(issue_label(b.issue_no), align="center", role="issue"))
    if b.draft:
        out.append(para("（草稿）", fonts.HEITI, color=RED, align="center", role="draft"))
    out.append(Blank())
    out.append(
        para(
            b.issuer,
            size=line_size,
            align="left",
            tab_right=Span(date_text, fonts.FANGSONG, line_size),
            role="issuer",
        )
    )
    out.append(Rule(Border(2.25, RED), height_pt=6))
    return out


def _item(item: BriefingItem, lead_in: list[Block]) -> list[Block]:
    """The section heading (for a section's first item), the headline and the first paragraph
    form one chain: a page breaks before the heading or inside the text, never between them."""
    body = [
        Para(
            spans=tuple(Span(text, fonts.FANGSONG, BODY_PT, bold=bold) for text, bold in inline_bold(line)),
            first_chars=2,
            role="body",
        )
        for line in lines(item.paragraphs)
    ]
    out: list[Block] = [
        *lead_in,
        _kept_blank(),
        para(item.title, fonts.XIAOBIAOSONG, XIAOER, align="center", keep_with_next=True, role="headline"),
        _kept_blank(),
    ]
    out.extend(body)
    if not body:
        out[-1] = Blank()
    out.extend(item.photos)
    return out


def _banji(b: Briefing) -> Group:
    """版记: distribution lines and the editor between black rules, at the foot of the last page."""
    rows = [*lines(b.distribution)]
    if b.editor:
        rows.append(f"编辑：{b.editor}")
    if not rows:
        return Group(blocks=[], role="banji")
    out: list[Block] = [Blank(), Rule(Border(1.0), height_pt=2)]
    for text in rows:
        out.append(para(text, size=SIHAO, align="left", left_chars=1, right_chars=1, line_pt=24, role="distribution"))
    out.append(Rule(Border(1.0), height_pt=2))
    return Group(blocks=out, role="banji")
