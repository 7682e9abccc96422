"""Official documents (提醒函, 督办通知, 通报, 约谈通知, 专题报告, 问责移交, 月通报) as .docx and .pdf.

The layout follows GB/T 9704-2012 (党政机关公文格式): 版头 (issuer in red 小标宋, 发文字号, red
rule), 标题 in 小标宋 二号, 主送机关, body in 仿宋 三号 with 一、 in 黑体 and （一） in 楷体, tables,
附件说明, 落款 and 成文日期, 附注, and the 版记 (抄送, 印发机关 and 印发日期) at the end.
Pure: dataclasses in, bytes out; no Django.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field

from . import fonts
from .docx_writer import to_docx
from .fonts import font_face_css
from .gbt9704 import (
    BODY_PT,
    CHAR_PITCH_PT,
    ERHAO,
    RED,
    SIHAO,
    TEXT_WIDTH_PT,
    WUHAO,
    XIAOER,
    XIAOSI,
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
from .pdf_writer import BASE_CSS, to_html, to_pdf

__all__ = [
    "Appendix",
    "OfficialDocument",
    "Table",
    "balanced_title",
    "blocks",
    "format_cn_date",
    "render_docx",
    "render_pdf",
]

DRAFT_NUMBER = "（草稿）"
# A4 landscape (a wide table: the public 一览表): 247 × 160 mm type area.
LANDSCAPE_MARGINS_MM = (25, 25, 25, 25)  # top, right, bottom, left
LANDSCAPE_WIDTH_PT = (297 - 50) * 72 / 25.4
LANDSCAPE_CSS = "@page {{ size: A4 landscape; margin: {}mm {}mm {}mm {}mm; }}".format(*LANDSCAPE_MARGINS_MM)


@dataclass(frozen=True)
class Table:
    """A table in the body (月通报 rankings) or in an Appendix (a notice's 措施清单)."""

    headers: list[str]
    rows: list[list[str]]
    caption: str = ""  # e.g. "附表：各责任单位整改情况排名"
    size: float = XIAOSI
    fit_widths: bool = False  # column widths by content, text wrapped (wide tables, many rows)


@dataclass(frozen=True)
class Appendix:
    """A 附件 printed after the 成文日期 on a new page (GB/T 9704-2012 7.4.2): "附件" (or
    "附件2") in 黑体 at the top left, its title centred in 小标宋, then its table; the body names it
    in the 附件说明."""

    title: str
    table: Table | None = None


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
    attachments: list[str] = field(default_factory=list)  # 附件说明; the appendices' titles when empty
    appendices: list[Appendix] = field(default_factory=list)  # 附件, after the 成文日期
    copy_to: list[str] = field(default_factory=list)  # 抄送 (版记)
    printer: str = ""  # 印发机关 (版记); the issuer when empty
    print_date: datetime.date | None = None  # 印发日期 (版记); the 成文日期 when None
    contact: str = ""  # 附注, e.g. "联系人：…，电话：…"
    draft: bool | None = None  # None: a draft until it has a number; False: final without one (一览表)
    landscape: bool = False  # A4 landscape, for a wide table

    @property
    def is_draft(self) -> bool:
        return not self.number if self.draft is None else self.draft


def render_docx(doc: OfficialDocument) -> bytes:
    return to_docx(blocks(doc), _meta(doc))


def render_pdf(doc: OfficialDocument) -> bytes:
    return to_pdf(blocks(doc), _meta(doc), LANDSCAPE_CSS if doc.landscape else "")


def pdf_fingerprint(doc: OfficialDocument) -> str:
    """A digest of everything render_pdf's output depends on (the HTML, the style sheets, the font
    files found): equal digests, equal PDFs — a key for caching a rendered PDF."""
    parts = [to_html(blocks(doc), _meta(doc)), BASE_CSS, LANDSCAPE_CSS if doc.landscape else "", font_face_css()]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _meta(doc: OfficialDocument) -> Meta:
    return Meta(
        title=doc.title,
        author=doc.issuer,
        date=doc.date,
        subject=doc.kind_label,
        keywords=tuple(k for k in (doc.kind_label, doc.number) if k),
        draft_label="草稿" if doc.is_draft else "",
    )


def blocks(doc: OfficialDocument) -> list[Block]:
    """The whole document, top to bottom, as layout blocks."""
    width = _width(doc)
    out: list[Block] = [*_masthead(doc), *_title(doc)]
    out.extend(_body(doc.paragraphs))
    for table in doc.tables:
        if not table.headers:
            continue
        out.append(Blank())
        if table.caption:
            out.append(para(table.caption, fonts.HEITI, align="center", keep_with_next=True, role="caption"))
        out.append(_grid(table, width))
    out.extend(_attachments(doc.attachments or [a.title for a in doc.appendices]))
    out.extend(_closing(doc))
    numbered = len(doc.appendices) > 1
    for i, appendix in enumerate(doc.appendices, start=1):
        out.append(_appendix(appendix, f"附件{i}" if numbered else "附件", width))
    out.append(_banji(doc))
    return out


def _width(doc: OfficialDocument) -> float:
    return LANDSCAPE_WIDTH_PT if doc.landscape else TEXT_WIDTH_PT


def _grid(table: Table, width_pt: float) -> Grid:
    widths = column_widths(table.headers, table.rows, table.size, width_pt) if table.fit_widths else ()
    return Grid(headers=table.headers, rows=table.rows, size=table.size, widths=widths)


def column_widths(headers: list[str], rows: list[list[str]], size: float, width_pt: float) -> tuple[float, ...]:
    """Column widths in points that fill width_pt. Every column starts at its header (and its
    longest run of letters and digits, which cannot wrap); the rest is shared by the columns'
    average length, a column never growing past its longest value (long text wraps); headers of
    more than 4 characters may wrap onto two lines."""
    padding = 8.0  # 3 pt each side and the borders
    count = len(headers)
    cells = [[str(row[c]) if c < len(row) else "" for row in rows] for c in range(count)]
    ascii_runs = [
        max([0.0] + [text_em(w) for v in col for w in v.replace("、", " ").split() if w.isascii()]) for col in cells
    ]
    # A header longer than 4 characters may take two lines.
    head = [text_em(h) if text_em(h) <= 4 else max(4.0, -(-text_em(h) // 2)) for h in headers]
    high = [max([head[c]] + [text_em(v) for v in cells[c]]) * size + padding for c in range(count)]
    # Short values (up to 5 characters: 属实, 阶段性办结) never wrap.
    low = [
        high[c] if high[c] <= 5 * size + padding else max(head[c], ascii_runs[c], 2.0) * size + padding
        for c in range(count)
    ]
    mean = [max(sum(text_em(v) for v in cells[c]) / max(len(rows), 1), 1.0) for c in range(count)]
    widths = low[:]
    spare = width_pt - sum(widths)
    for _ in range(count):  # water-filling: capped columns drop out, the rest share again
        active = [c for c in range(count) if widths[c] < high[c] - 0.01]
        if spare <= 0.01 or not active:
            break
        weight = sum(mean[c] for c in active)
        given = 0.0
        for c in active:
            add = min(spare * mean[c] / weight, high[c] - widths[c])
            widths[c] += add
            given += add
        spare -= given
    if spare > 0.01:  # every column at its longest value: widen them all alike
        widths = [w + spare * w / sum(widths) for w in widths]
    elif spare < 0:  # the headers alone are too wide: shrink alike
        widths = [w * width_pt / sum(widths) for w in widths]
    return tuple(round(w, 1) for w in widths)


def _appendix(appendix: Appendix, label: str, width_pt: float) -> Group:
    """附件 on its own page: the label in 黑体 at the top left, the title in 小标宋, the table."""
    out: list[Block] = [
        para(label, fonts.HEITI, align="left", keep_with_next=True, role="appendix-label"),
        Blank(),
        para(
            balanced_title(appendix.title),
            fonts.XIAOBIAOSONG,
            ERHAO,
            align="center",
            line_pt=35,
            keep_with_next=True,
            role="appendix-title",
        ),
        Blank(),
    ]
    if appendix.table is not None and appendix.table.headers:
        if appendix.table.caption:
            out.append(para(appendix.table.caption, align="center", keep_with_next=True, role="caption"))
        out.append(_grid(appendix.table, width_pt))
    return Group(blocks=out, role="appendix")


def _masthead(doc: OfficialDocument) -> list[Block]:
    """版头: issuer in red 小标宋 (shrunk to fit one line if it can), 发文字号, red 分隔线."""
    size = fit_size(doc.issuer, YIHAO, XIAOER)
    out: list[Block] = [para(doc.issuer, fonts.XIAOBIAOSONG, size, color=RED, align="center", role="issuer")]
    number = doc.number or (DRAFT_NUMBER if doc.is_draft else "")
    if number:  # a final document without a number (the public 一览表) has no 发文字号 line
        out += [Blank(), para(number, align="center", role="number")]
    out.append(Rule(Border(1.5, RED), height_pt=11))  # 4 mm below the number
    return out


# Title lines: GB/T 9704-2012 7.3.3 wants them "词意完整，排列对称，长短适宜", as a trapezoid or a
# diamond, never a lone word (or a lone "函") on a line.
TITLE_MAX_CHARS = 18  # of 二号 per line: fits 156 mm with room to spare in Word and the PDF
_NO_BREAK_BEFORE = set("，。、；：？！）》”’…—·")
_NO_BREAK_AFTER = set("（《“‘")
_GOOD_AFTER = set("的、）》”")
_WORDS = (
    "关于",
    "督察",
    "整改",
    "任务",
    "推进",
    "滞后",
    "情况",
    "工作",
    "问题",
    "生态环境",
    "保护",
    "提醒函",
    "督办",
    "通知",
    "通报",
    "专题报告",
    "约谈",
    "主要负责同志",
    "移交函",
    "线索",
    "一览表",
    "办理",
    "交办件",
    "群众举报",
    "办公室",
    "领导小组",
    "落实",
    "反馈意见",
    "不力",
    "有关",
    "事项",
)


def _break_cost(text: str, j: int, keep: list[str]) -> float:
    """How badly a line break between text[j-1] and text[j] reads."""
    before, after = text[j - 1], text[j]
    if after in _NO_BREAK_BEFORE or before in _NO_BREAK_AFTER:
        return 100.0
    if before.isascii() and after.isascii() and before.isalnum() and after.isalnum():
        return 100.0
    cost = 0.0
    for phrase in keep:
        start = text.find(phrase)
        while start != -1:
            if start < j < start + len(phrase):
                cost += 6.0 if len(phrase) > 4 else 4.0
            start = text.find(phrase, start + 1)
    if text.count("（", 0, j) > text.count("）", 0, j):
        cost += 3.0  # inside brackets
    if before in _GOOD_AFTER or text[max(0, j - 2) : j] == "关于":
        cost -= 2.0
    return cost


def balanced_title(
    title: str, *, size: float = ERHAO, width_pt: float = TEXT_WIDTH_PT, keep: list[str] | None = None
) -> str:
    """The title with "\n" where its lines break: as few lines as fit, of nearly equal length,
    broken between words where it can (names in `keep` and common words stay whole)."""
    title = " ".join(title.split())
    char_pt = size + CHAR_PITCH_PT - BODY_PT
    capacity = min(float(TITLE_MAX_CHARS), (width_pt - 1) / char_pt)
    total = text_em(title)
    if total <= capacity:
        return title
    phrases = [p for p in (keep or []) if p] + list(_WORDS)
    ems = [text_em(ch) for ch in title]
    n = len(title)
    for count in range(2, 8):
        ideal = total / count
        inf = float("inf")
        # best[k][i]: cost of setting title[:i] on k lines; back[k][i]: where line k starts.
        best = [[inf] * (n + 1) for _ in range(count + 1)]
        back = [[0] * (n + 1) for _ in range(count + 1)]
        best[0][0] = 0.0
        for k in range(1, count + 1):
            for i in range(1, n + 1):
                for j in range(i - 1, -1, -1):
                    if best[k - 1][j] == inf:
                        continue
                    em = sum(ems[j:i])
                    if em > capacity:
                        break
                    cost = best[k - 1][j] + (em - ideal) ** 2 + (40.0 if em < 2 else 0.0)
                    if j:
                        cost += _break_cost(title, j, phrases)
                    if cost < best[k][i]:
                        best[k][i], back[k][i] = cost, j
        if best[count][n] < inf:
            cuts, i = [], n
            for k in range(count, 0, -1):
                cuts.append(i)
                i = back[k][i]
            cuts.reverse()
            starts = [0, *cuts[:-1]]
            return "\n".join(title[a:b] for a, b in zip(starts, cuts, strict=True))
    return title


def _title(doc: OfficialDocument) -> list[Block]:
    out: list[Block] = [
        Blank(2),
        para(
            balanced_title(doc.title, width_pt=_width(doc), keep=[*doc.recipients, doc.issuer]),
            fonts.XIAOBIAOSONG,
            ERHAO,
            align="center",
            line_pt=35,
            role="title",
        ),
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
