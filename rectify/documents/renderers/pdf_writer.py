"""Layout blocks (gbt9704) → HTML → PDF with WeasyPrint: A4 with GB/T 9704 margins, 28 characters
per line, "— N —" page numbers, the 版记 at the foot of the last page, and the Noto CJK faces
standing in for the official fonts (WeasyPrint subsets and embeds them).
"""

from __future__ import annotations

import atexit
import base64
import functools
import html
from collections.abc import Sequence
from typing import Any

from . import fonts
from .gbt9704 import (
    BLACK,
    BODY_PT,
    CHAR_PITCH_PT,
    LINE_PITCH_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    SIHAO,
    Blank,
    Block,
    Grid,
    Image,
    Meta,
    Para,
    Rule,
    Span,
    text_em,
)

_LETTER_SPACING_PT = round(CHAR_PITCH_PT - BODY_PT, 3)  # -0.21: 28 characters of 三号 per line

BASE_CSS = f"""
@page {{
  size: A4;
  margin: {MARGIN_TOP_MM}mm {MARGIN_RIGHT_MM}mm {MARGIN_BOTTOM_MM}mm {MARGIN_LEFT_MM}mm;
  @bottom-center {{
    content: "— " counter(page) " —";
    {fonts.PDF_FACES[fonts.SONGTI].css()} font-size: {SIHAO}pt;
    vertical-align: top; padding-top: 6mm; letter-spacing: 0;
  }}
  @footnote {{ margin-top: 0; }}
}}
html {{
  {fonts.PDF_FACES[fonts.FANGSONG].css()}
  font-size: {BODY_PT}pt; line-height: {LINE_PITCH_PT}pt; letter-spacing: {_LETTER_SPACING_PT}pt;
  color: #000;
}}
body {{ margin: 0; }}
p {{ margin: 0; overflow-wrap: anywhere; orphans: 1; widows: 1; }}
p.tabbed {{ display: flex; justify-content: space-between; align-items: baseline; letter-spacing: 0; }}
p.tabbed > span:last-child {{ flex: none; white-space: nowrap; }}
.blank, .rule {{ margin: 0; }}
table {{ width: 100%; border-collapse: collapse; line-height: 1.6; }}
th, td {{ border: 0.75pt solid #000; padding: 1pt 3pt; vertical-align: middle; }}
th {{ {fonts.PDF_FACES[fonts.HEITI].css()} text-align: center; }}
td.short {{ text-align: center; white-space: nowrap; }}
th {{ white-space: nowrap; }}
tr {{ break-inside: avoid; }}
table.fixed {{ table-layout: fixed; line-height: 1.4; }}
table.fixed td {{ overflow-wrap: anywhere; }}
table.fixed td.short, table.fixed th {{ white-space: normal; }}
table.fixed tr {{ break-inside: auto; }}
.appendix {{ break-before: page; }}
.banji {{ float: footnote; footnote-display: block; }}
.banji::footnote-call {{ content: none; }}
.banji::footnote-marker {{ content: none; }}
.draft-mark {{
  position: fixed; top: 75mm; left: 0; width: 100%; text-align: center;
  {fonts.PDF_FACES[fonts.HEITI].css()} font-size: 110pt; line-height: 1; letter-spacing: 30pt;
  color: #E6E6E6; transform: rotate(-30deg); z-index: -1;
}}
"""


def _span_html(span: Span) -> str:
    face = fonts.PDF_FACES[span.font]
    weight = 700 if span.bold else face.weight
    family = fonts.pdf_bold_family(span.font) if span.bold and face.weight < 700 else face.stack
    style = f"font-family: {family}; font-weight: {weight}; font-size: {span.size}pt;"
    if span.color != BLACK:
        style += f" color: #{span.color};"
    text = "<br>".join(html.escape(piece) for piece in span.text.split("\n"))
    return f'<span style="{style}">{text}</span>'


def _char_pt(size: float) -> float:
    return size + _LETTER_SPACING_PT


def _para_html(block: Para) -> str:
    size = block.spans[0].size if block.spans else BODY_PT
    char_pt = _char_pt(size)
    # The paragraph's own size is the first span's: it sizes the strut and what flex items measure.
    style = [f"font-size: {size}pt", f"text-align: {block.align}", f"line-height: {block.line_pt}pt"]
    if block.first_chars:
        style.append(f"text-indent: {block.first_chars * char_pt:.2f}pt")
    if block.left_chars:
        style.append(f"padding-left: {block.left_chars * char_pt:.2f}pt")
    if block.right_chars:
        style.append(f"padding-right: {block.right_chars * char_pt:.2f}pt")
    if block.keep_with_next:
        style.append("break-after: avoid")
    for edge, border in (("top", block.border_top), ("bottom", block.border_bottom)):
        if border is not None:
            style.append(f"border-{edge}: {border.width_pt}pt solid #{border.color}")
    spans = "".join(_span_html(s) for s in block.spans)
    role = block.role
    if block.tab_right is not None:
        # Two flex items: the text on the left, the tab_right text flush right.
        spans = f"<span>{spans}</span>{_span_html(block.tab_right)}"
        role = f"{role} tabbed".strip()
    return f'<p class="{html.escape(role)}" style="{"; ".join(style)}">{spans}</p>'


def _grid_html(grid: Grid) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in grid.headers)
    body = []
    for row in grid.rows:
        values = [str(v) for v in row] + [""] * (len(grid.headers) - len(row))
        cells = "".join(
            f'<td class="{"short" if text_em(v) <= 8 else ""}">{html.escape(v)}</td>'
            for v in values[: len(grid.headers)]
        )
        body.append(f"<tr>{cells}</tr>")
    if grid.widths:  # fixed layout: the header cells set the widths; long text wraps
        head = "".join(
            f'<th style="width: {100 * w / sum(grid.widths):.2f}%">{html.escape(h)}</th>'
            for h, w in zip(grid.headers, grid.widths, strict=True)
        )
        return (
            f'<table class="fixed" style="font-size: {grid.size}pt">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )
    return (
        f'<table style="font-size: {grid.size}pt"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def _image_html(image: Image) -> str:
    """A picture centred in its own block (a data: URI: WeasyPrint fetches nothing), kept on one
    page with its caption."""
    data = base64.b64encode(image.data).decode("ascii")
    caption = ""
    if image.caption:
        caption = (
            f'<p class="caption" style="text-align: center; font-size: {SIHAO}pt; line-height: {LINE_PITCH_PT}pt">'
            f"{html.escape(image.caption)}</p>"
        )
    return (
        f'<div class="image" style="break-inside: avoid; text-align: center; padding: 6pt 0">'
        f'<img alt="" src="data:{html.escape(image.mime)};base64,{data}" '
        f'style="width: {image.width_pt:.1f}pt; height: {image.height_pt:.1f}pt">{caption}</div>'
    )


def _blocks_html(blocks: Sequence[Block]) -> str:
    out = []
    for block in blocks:
        if isinstance(block, Para):
            out.append(_para_html(block))
        elif isinstance(block, Blank):
            out.append(f'<div class="blank" style="height: {block.lines * LINE_PITCH_PT}pt"></div>')
        elif isinstance(block, Rule):
            b = block.border
            out.append(
                f'<div class="rule" style="height: {block.height_pt}pt; '
                f'border-bottom: {b.width_pt}pt solid #{b.color}"></div>'
            )
        elif isinstance(block, Grid):
            out.append(_grid_html(block))
        elif isinstance(block, Image):
            out.append(_image_html(block))
        else:
            out.append(f'<div class="{html.escape(block.role)}">{_blocks_html(block.blocks)}</div>')
    return "".join(out)  # no whitespace between blocks: WeasyPrint turns it into lines in footnotes


def to_html(blocks: Sequence[Block], meta: Meta) -> str:
    day = meta.date.isoformat()
    head = [
        '<meta charset="utf-8">',
        f"<title>{html.escape(meta.title)}</title>",
        f'<meta name="author" content="{html.escape(meta.author)}">',
        f'<meta name="description" content="{html.escape(meta.subject)}">',
        f'<meta name="keywords" content="{html.escape(", ".join(meta.keywords))}">',
        f'<meta name="dcterms.created" content="{day}">',
        f'<meta name="dcterms.modified" content="{day}">',
    ]
    mark = f'<div class="draft-mark">{html.escape(meta.draft_label)}</div>' if meta.draft_label else ""
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head>{"".join(head)}</head>'
        f"<body>{mark}{_blocks_html(blocks)}</body></html>"
    )


@functools.lru_cache(maxsize=1)
def _font_config() -> Any:
    """One font configuration per process: the @font-face files (fonts.font_face_css) load once."""
    from weasyprint.text.fonts import FontConfiguration

    # Dropped at exit while WeasyPrint's modules still exist (its __del__ needs them).
    atexit.register(_stylesheet.cache_clear)
    atexit.register(_font_config.cache_clear)
    return FontConfiguration()


@functools.lru_cache(maxsize=8)
def _stylesheet(css: str) -> Any:
    from weasyprint import CSS  # imported on first use: it takes ~0.7 s

    return CSS(string=css, font_config=_font_config())


def to_pdf(blocks: Sequence[Block], meta: Meta, extra_css: str = "") -> bytes:
    fonts.require_noto_cjk()
    from weasyprint import HTML

    sheets = [_stylesheet(BASE_CSS)] + ([_stylesheet(extra_css)] if extra_css else [])
    if face_css := fonts.font_face_css():  # the official fonts found (RECTIFY_FONT_DIR, Fandol)
        sheets.insert(0, _stylesheet(face_css))
    pdf: bytes = HTML(string=to_html(blocks, meta)).write_pdf(stylesheets=sheets, font_config=_font_config())
    return pdf
