"""Official documents (提醒函, 督办通知, 通报, 约谈通知, 专题报告, 问责移交, 月通报) as .docx and .pdf.

The layout follows GB/T 9704-2012 (党政机关公文格式): 版头 (issuer in red 小标宋, 发文字号, red
rule), 标题 in 小标宋 二号, 主送机关, body in 仿宋 三号 with 一、 in 黑体 and （一） in 楷体, tables,
附件说明, 落款 and 成文日期, 附注, and the 版记 (抄送, 印发机关 and 印发日期) at the end.
Pure: dataclasses in, bytes out; no Django.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from . import fonts
from .docx_writer import to_docx
from .gbt9704 import (
    BODY_PT,
    ERHAO,
    RED,
    SIHAO,
    TEXT_WIDTH_PT,
    WUHAO,
    XIAOER,
    YIHAO,
    Blank,
    Block,
    Border,
    Grid,
    Group,
    Meta,
    Para,
    Rule,
    Span,
    fit_size,
    format_cn_date,
    heading_level,
    lines,
    para,
    split_heading,
    text_em,
)
from .pdf_writer import to_pdf

__all__ = ["OfficialDocument", "Table", "blocks", "format_cn_date", "render_docx", "render_pdf"]

DRAFT_NUMBER = "（草稿）"


@dataclass(frozen=True)
class Table:
    """An optional table in the body (月通报 rankings)."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""  # e.g. "附表：各责任单位整改情况排名"


@dataclass(frozen=True)
class OfficialDocument:
    issuer: str  # 发文机关全称, printed in red in the 版头
    number: str  # 发文字号, e.g. "朔整改办函〔2022〕12号"; "" for a draft
    title: str
    recipients: list[str]  # 主送机关
    paragraphs: list[str]  # "一、…" is a 一级标题, "（一）…" a 二级标题; "\n" splits paragraphs
    signature: str  # 落款
    date: datetime.date  # 成文日期
    kind_label: str = ""  # e.g. "提醒函": metadata only
    tables: list[Table] = field(default_factory=list)  # after the body, before the 落款
    attachments: list[str] = field(default_factory=list)  # 附件说明
    copy_to: list[str] = field(default_factory=list)  # 抄送 (版记)
    printer: str = ""  # 印发机关 (版记); the issuer when empty
    print_date: datetime.date | None = None  # 印发日期 (版记); the 成文日期 when None
    contact: str = ""  # 附注, e.g. "联系人：…，电话：…"


def render_docx(doc: OfficialDocument) -> bytes:
    return to_docx(blocks(doc), _meta(doc))


def render_pdf(doc: OfficialDocument) -> bytes:
    return to_pdf(blocks(doc), _meta(doc))


def _meta(doc: OfficialDocument) -> Meta:
    return Meta(
        title=doc.title,
        author=doc.issuer,
        date=doc.date,
        subject=doc.kind_label,
        keywords=tuple(k for k in (doc.kind_label, doc.number) if k),
        draft_label="" if doc.number else "草稿",
    )


def blocks(doc: OfficialDocument) -> list[Block]:
    """The whole document, top to bottom, as layout blocks."""
    out: list[Block] = [*_masthead(doc), *_title(doc)]
    out.extend(_body(doc.paragraphs))
    for table in doc.tables:
        if not table.headers:
            continue
        out.append(Blank())
        if table.caption:
            out.append(para(table.caption, fonts.HEITI, align="center", keep_with_next=True, role="caption"))
        out.append(Grid(headers=table.headers, rows=table.rows))
    out.extend(_attachments(doc.attachments))
    out.extend(_closing(doc))
    out.append(_banji(doc))
    return out


def _masthead(doc: OfficialDocument) -> list[Block]:
    """版头: issuer in red 小标宋 (shrunk to fit one line if it can), 发文字号, red 分隔线."""
    size = fit_size(doc.issuer, YIHAO, XIAOER)
    return [
        para(doc.issuer, fonts.XIAOBIAOSONG, size, color=RED, align="center", role="issuer"),
        Blank(),
        para(doc.number or DRAFT_NUMBER, align="center", role="number"),
        Rule(Border(1.5, RED), height_pt=11),  # 4 mm below the number
    ]


def _title(doc: OfficialDocument) -> list[Block]:
    out: list[Block] = [
        Blank(2),
        para(doc.title, fonts.XIAOBIAOSONG, ERHAO, align="center", line_pt=35, role="title"),
        Blank(),
    ]
    if doc.recipients:
        out.append(para("、".join(doc.recipients) + "：", align="left", role="recipients"))
    return out


def _body(paragraphs: list[str]) -> list[Block]:
    out: list[Block] = []
    for line in lines(paragraphs):
        level = heading_level(line)
        if not level:
            out.append(para(line, first_chars=2, role="body"))
            continue
        head, rest = split_heading(line)
        font = fonts.HEITI if level == 1 else fonts.KAITI
        spans = [Span(head, font, BODY_PT)]
        if rest:
            spans.append(Span(rest, fonts.FANGSONG, BODY_PT))
        out.append(Para(spans=tuple(spans), first_chars=2, keep_with_next=not rest, role=f"h{level}"))
    return out


def _attachments(attachments: list[str]) -> list[Block]:
    """附件说明: "附件：1. …" with later items aligned under the first name."""
    names = lines(attachments)
    if not names:
        return []
    out: list[Block] = [Blank()]
    numbered = len(names) > 1
    for i, name in enumerate(names, start=1):
        label = f"{i}. {name}" if numbered and not name[:1].isdigit() else name
        if i == 1:
            out.append(para("附件：" + label, first_chars=2, left_chars=0, role="attachment"))
        else:
            out.append(para(label, left_chars=5, role="attachment"))
    return out


def _closing(doc: OfficialDocument) -> list[Block]:
    """落款 right-aligned 2 characters from the edge, 成文日期 below it starting 2 characters further
    right; a signature shorter than the date is centred over it (GB/T 9704-2012 7.3.5.2)."""
    date_text = format_cn_date(doc.date)
    sign_em, date_em = text_em(doc.signature), text_em(date_text)
    if sign_em >= date_em + 2:
        sign_right, date_right = 2.0, sign_em - date_em
    else:
        date_right = 2.0
        sign_right = 2 + (date_em - sign_em) / 2
    out: list[Block] = [Blank()]
    if doc.signature:
        out.append(para(doc.signature, align="right", right_chars=sign_right, role="signature"))
    out.append(para(date_text, align="right", right_chars=date_right, role="date"))
    if doc.contact:
        note = doc.contact if doc.contact.startswith(("（", "(")) else f"（{doc.contact}）"
        out.append(para(note, align="left", first_chars=2, role="contact"))
    return out


def _banji(doc: OfficialDocument) -> Group:
    """版记: 抄送 and 印发机关/印发日期 in 四号 between rules (thick outside, thin between)."""
    thick, thin = Border(1.0), Border(0.5)
    printed = format_cn_date(doc.print_date or doc.date) + "印发"
    printer = doc.printer or doc.issuer
    # 四号; the 印发 line shrinks when a long 印发机关 and the date would not share one line
    # (1 character each side, 1 between).
    size = min(SIHAO, fit_size(printer + printed, SIHAO, WUHAO, TEXT_WIDTH_PT - 3 * SIHAO))
    out: list[Block] = [Blank()]
    if doc.copy_to:
        copy = "抄送：" + "，".join(doc.copy_to) + "。"
        out.append(
            para(
                copy,
                size=SIHAO,
                align="left",
                left_chars=4,
                first_chars=-3,
                right_chars=1,
                line_pt=24,
                border_top=thick,
                border_bottom=thin,
                role="copy-to",
            )
        )
    out.append(
        para(
            printer,
            size=size,
            align="left",
            left_chars=1,
            right_chars=1,
            line_pt=24,
            tab_right=Span(printed, fonts.FANGSONG, size),
            border_top=None if doc.copy_to else thick,
            border_bottom=thick,
            role="printer",
        )
    )
    return Group(blocks=out, role="banji")
