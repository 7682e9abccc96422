"""Layout blocks (gbt9704) → .docx with python-docx: A4, GB/T 9704 margins and character grid,
the official fonts named for every script (w:eastAsia included), a PAGE field in the footer, and
byte-for-byte repeatable output (zip entries and core properties stamped with the document date).
"""

from __future__ import annotations

import datetime
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import docx
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import fonts
from .gbt9704 import (
    BLACK,
    BODY_PT,
    CHAR_PITCH_PT,
    ERHAO,
    FOOTER_DISTANCE_MM,
    LINE_PITCH_PT,
    MARGIN_BOTTOM_MM,
    MARGIN_LEFT_MM,
    MARGIN_RIGHT_MM,
    MARGIN_TOP_MM,
    PAGE_HEIGHT_MM,
    PAGE_WIDTH_MM,
    SIHAO,
    TEXT_WIDTH_PT,
    Blank,
    Block,
    Border,
    Grid,
    Image,
    Meta,
    Para,
    Rule,
    Span,
    text_em,
)

_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}
# CT_PPr children that must follow w:pBdr (schema order).
_AFTER_PBDR = (
    "w:shd w:tabs w:suppressAutoHyphens w:kinsoku w:wordWrap w:overflowPunct w:topLinePunct w:autoSpaceDE "
    "w:autoSpaceDN w:bidi w:adjustRightInd w:snapToGrid w:spacing w:ind w:contextualSpacing w:mirrorIndents "
    "w:suppressOverlap w:jc w:textDirection w:textAlignment w:textboxTightWrap w:outlineLvl w:divId w:cnfStyle "
    "w:rPr w:sectPr w:pPrChange"
).split()


def set_run_font(run: Any, name: str, size: float, *, bold: bool = False, color: str = BLACK) -> None:
    """Name the font for every script: python-docx's font.name leaves w:eastAsia (Chinese) unset."""
    run.font.name = name
    rfonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    rfonts.set(qn("w:eastAsia"), name)
    rfonts.set(qn("w:cs"), name)
    run.font.size = Pt(size)
    run.font.bold = bold or None
    if color != BLACK:
        run.font.color.rgb = RGBColor.from_string(color)


def _add_text(paragraph: Any, span: Span) -> None:
    for i, piece in enumerate(span.text.split("\n")):
        run = paragraph.add_run()
        set_run_font(run, span.font, span.size, bold=span.bold, color=span.color)
        if i:
            run.add_break()
        if piece:
            run.add_text(piece)


def _border(edge: str, border: Border, space_pt: int = 1) -> Any:
    element = OxmlElement(f"w:{edge}")
    element.set(qn("w:val"), "single")
    element.set(qn("w:sz"), str(max(2, round(border.width_pt * 8))))
    element.set(qn("w:space"), str(space_pt))
    element.set(qn("w:color"), border.color)
    return element


def _set_borders(paragraph: Any, top: Border | None, bottom: Border | None) -> None:
    if top is None and bottom is None:
        return
    pbdr = OxmlElement("w:pBdr")
    if top is not None:
        pbdr.append(_border("top", top))
    if bottom is not None:
        pbdr.append(_border("bottom", bottom))
    paragraph._p.get_or_add_pPr().insert_element_before(pbdr, *_AFTER_PBDR)


def _char_indents(paragraph: Any, block: Para, char_pt: float) -> None:
    """Word honours the *Chars attributes (so indents follow the character grid); the twips are for others."""
    fmt = paragraph.paragraph_format
    if block.first_chars:
        fmt.first_line_indent = Pt(block.first_chars * char_pt)
    if block.left_chars:
        fmt.left_indent = Pt(block.left_chars * char_pt)
    if block.right_chars:
        fmt.right_indent = Pt(block.right_chars * char_pt)
    ind = paragraph._p.get_or_add_pPr().find(qn("w:ind"))
    if ind is None:
        return
    if block.first_chars > 0:
        ind.set(qn("w:firstLineChars"), str(round(block.first_chars * 100)))
    elif block.first_chars < 0:
        ind.set(qn("w:hangingChars"), str(round(-block.first_chars * 100)))
    if block.left_chars:
        ind.set(qn("w:leftChars"), str(round(block.left_chars * 100)))
    if block.right_chars:
        ind.set(qn("w:rightChars"), str(round(block.right_chars * 100)))


def _exact(fmt: Any, line_pt: float) -> None:
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(line_pt)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _docx_para(container: Any, block: Para) -> None:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    _exact(fmt, block.line_pt)
    fmt.alignment = _ALIGN[block.align]
    if block.keep_with_next:
        fmt.keep_with_next = True
    char_pt = block.spans[0].size if block.spans else BODY_PT
    _char_indents(paragraph, block, char_pt)
    for span in block.spans:
        _add_text(paragraph, span)
    if block.tab_right is not None:
        stop = TEXT_WIDTH_PT - block.right_chars * char_pt  # Word measures tabs from the margin, not the indent
        fmt.tab_stops.add_tab_stop(Pt(stop), WD_TAB_ALIGNMENT.RIGHT)
        tab = paragraph.add_run()
        set_run_font(tab, block.tab_right.font, block.tab_right.size)
        tab.add_tab()
        _add_text(paragraph, block.tab_right)
    _set_borders(paragraph, block.border_top, block.border_bottom)


def _column_widths(grid: Grid) -> list[float]:
    """Widths in points filling the type area: each column gets its longest text (up to 20
    characters) plus cell padding; the space left goes to the columns of long text."""
    size, padding = grid.size, 12.0
    ems = [
        max([1.0] + [text_em(str(row[c])) for row in [grid.headers, *grid.rows] if c < len(row)])
        for c in range(len(grid.headers))
    ]
    base = [min(em, 20.0) * size + padding for em in ems]
    short = [b if em <= 8 else 0.0 for b, em in zip(base, ems, strict=True)]
    long = [b - s for b, s in zip(base, short, strict=True)]
    spare = TEXT_WIDTH_PT - sum(short)
    if sum(long) and spare > 0:  # long-text columns share what the short ones leave (they wrap)
        return [s + spare * g / sum(long) for s, g in zip(short, long, strict=True)]
    return [TEXT_WIDTH_PT * b / sum(base) for b in base]


def _docx_grid(document: Any, grid: Grid) -> None:
    table = document.add_table(rows=1 + len(grid.rows), cols=len(grid.headers))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.append(width)
    width.set(qn("w:type"), "pct")
    width.set(qn("w:w"), "5000")
    for column, width_pt in zip(table.columns, _column_widths(grid), strict=True):
        column.width = Pt(width_pt)
        for cell in column.cells:
            cell.width = Pt(width_pt)
    header_row = table.rows[0]
    header_flag = OxmlElement("w:tblHeader")  # repeat the header row on every page
    header_row._tr.get_or_add_trPr().append(header_flag)
    for r, values in enumerate([grid.headers, *grid.rows]):
        cells = table.rows[r].cells
        for c in range(len(grid.headers)):
            value = str(values[c]) if c < len(values) else ""
            paragraph = cells[c].paragraphs[0]
            _exact(paragraph.paragraph_format, round(grid.size * 1.6, 2))
            short = text_em(value) <= 8
            if short or r == 0:  # short values and headers stay on one line; autofit widens the column
                cells[c]._tc.get_or_add_tcPr().append(OxmlElement("w:noWrap"))
            cells[c].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if r == 0 or short else None
            font = fonts.HEITI if r == 0 else fonts.FANGSONG
            _add_text(paragraph, Span(value, font, grid.size))


def _docx_image(document: Any, image: Image) -> None:
    """A picture centred in its own paragraph (single line spacing, so the exact line pitch does
    not clip it), kept on the page of its caption."""
    paragraph = document.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.space_before = fmt.space_after = Pt(6)
    fmt.keep_with_next = bool(image.caption)
    paragraph.add_run().add_picture(io.BytesIO(image.data), width=Pt(image.width_pt), height=Pt(image.height_pt))
    if image.caption:
        _docx_para(document, Para(spans=(Span(image.caption, fonts.FANGSONG, SIHAO),), align="center"))


def _docx_blocks(document: Any, blocks: Sequence[Block]) -> None:
    for block in blocks:
        if isinstance(block, Para):
            _docx_para(document, block)
        elif isinstance(block, Blank):
            for _ in range(block.lines):
                _docx_para(document, Para(spans=()))
        elif isinstance(block, Rule):
            _docx_para(document, Para(spans=(), line_pt=block.height_pt, border_bottom=block.border))
        elif isinstance(block, Grid):
            _docx_grid(document, block)
        elif isinstance(block, Image):
            _docx_image(document, block)
        else:
            if block.role == "appendix":  # 附件 starts a new page (GB/T 9704-2012 7.4.2)
                document.add_page_break()
            _docx_blocks(document, block.blocks)


def _page_setup(document: Any) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    # 22 lines × 28 characters: the pitch is in twips, charSpace in 1/4096 pt added to 16 pt.
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH_PT * 20)))
    grid.set(qn("w:charSpace"), str(round((CHAR_PITCH_PT - BODY_PT) * 4096)))

    # Defaults: 仿宋 三号 everywhere, no theme fonts, no paragraph spacing, Chinese language.
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    rfonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:eastAsia", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), fonts.FANGSONG)
    lang = rpr.find(qn("w:lang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    _exact(normal.paragraph_format, LINE_PITCH_PT)


def _page_number_footer(section: Any) -> None:
    """ "— 1 —" in 宋体 四号, centred: a PAGE field between em dashes."""
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact(paragraph.paragraph_format, SIHAO * 1.5)

    def run(text: str = "") -> Any:
        r = paragraph.add_run(text)
        set_run_font(r, fonts.SONGTI, SIHAO)
        return r

    def field_char(kind: str) -> None:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run()._element.append(element)

    run("— ")
    field_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run()._element.append(instr)
    field_char("separate")
    run("1")
    field_char("end")
    run(" —")


def _draft_header(section: Any, label: str) -> None:
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = paragraph.add_run(label)
    set_run_font(run, fonts.HEITI, ERHAO, color="BFBFBF")


def _deterministic_zip(data: bytes, when: datetime.date) -> bytes:
    """python-docx stamps zip entries with the current time; stamp them with the document date."""
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def to_docx(blocks: Sequence[Block], meta: Meta) -> bytes:
    document = docx.Document()
    _page_setup(document)
    _docx_blocks(document, blocks)
    section = document.sections[0]
    _page_number_footer(section)
    if meta.draft_label:
        _draft_header(section, meta.draft_label)
    props = document.core_properties
    stamp = datetime.datetime(meta.date.year, meta.date.month, meta.date.day)
    props.title = meta.title
    props.subject = meta.subject
    props.author = props.last_modified_by = meta.author
    props.keywords = "；".join(meta.keywords)
    props.comments = ""
    props.created = props.modified = stamp
    props.revision = 1
    package = document.part.package
    for r_id, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:  # python-docx's template ships a preview of an unrelated page
            del package.rels[r_id]
    buffer = io.BytesIO()
    document.save(buffer)
    return _deterministic_zip(buffer.getvalue(), meta.date)
