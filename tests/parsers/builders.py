"""Builders for the same plan in other formats: .docx, .pdf (fpdf2 + a CJK font), .html.

PDF note: fpdf2 embeds Noto CJK (a CFF font) with a custom encoding CMap that pdfminer cannot
decode, so the text layer reads back empty. The font is therefore subset to the characters the
test needs and converted to TrueType outlines with fontTools first; fpdf2 then writes the usual
Identity-H CID font that every extractor reads.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

NOTO_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
SC_FACE = 2  # JP, KR, SC, TC, HK in the Noto CJK collections

Block = str | list[list[str]]  # a paragraph, or a table as rows of cell texts


def find_cjk_font() -> Path | None:
    return next((p for p in NOTO_CANDIDATES if p.exists()), None)


def make_truetype_subset(source: Path, text: str, target: Path) -> Path:
    """Subset a CFF/OTF collection face to `text` and convert its outlines to TrueType."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(source), fontNumber=SC_FACE)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True
    subsetter = subset.Subsetter(options)
    ascii_chars = "".join(chr(c) for c in range(32, 127))
    subsetter.populate(text=text + ascii_chars)
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(str(target))
    return target


def build_pdf(lines: Iterable[str], font_path: Path, font_size: float = 11, page_numbers: bool = False) -> bytes:
    """One multi_cell per source line, auto page breaks: long lines wrap like a real layout."""
    from fpdf import FPDF

    class Paged(FPDF):
        def footer(self) -> None:
            if page_numbers:
                self.set_y(-12)
                self.cell(0, 6, f"- {self.page_no()} -", align="C")

    pdf = Paged(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("cjk", fname=str(font_path))
    pdf.set_font("cjk", size=font_size)
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, font_size * 0.55, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def build_image_only_pdf() -> bytes:
    """A 'scanned' page: one image, no text layer."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 300), "white")
    ImageDraw.Draw(image).rectangle((40, 40, 360, 260), outline="black", width=4)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(image, x=20, y=20, w=150)
    return bytes(pdf.output())


def build_docx(blocks: Sequence[Block]) -> bytes:
    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
            continue
        table = document.add_table(rows=0, cols=max(len(r) for r in block))
        for row in block:
            cells = table.add_row().cells
            for cell, text in zip(cells, row, strict=False):
                first, *rest = text.split("\n")
                cell.paragraphs[0].text = first
                for extra in rest:
                    cell.add_paragraph(extra)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_html(blocks: Sequence[Block], charset: str = "utf-8") -> bytes:
    parts = [
        "<!DOCTYPE html><html><head>",
        f'<meta charset="{charset}"><title>整改方案</title>',
        "<style>p { margin: 0 }</style><script>var ignored = '（一）不是问题';</script>",
        "</head><body>\n",
    ]
    for block in blocks:
        if isinstance(block, str):
            parts.append(f"<p>{html.escape(block)}</p>\n")
            continue
        parts.append("<table border='1'>")
        for row in block:
            cells = "".join("<td>" + "<br>".join(html.escape(t) for t in text.split("\n")) + "</td>" for text in row)
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</table>\n")
    parts.append("</body></html>")
    return "".join(parts).encode(charset)


def with_fields_as_table(lines: list[str], problem_marker: str) -> list[Block]:
    """The plan with one problem's labelled fields laid out as a 2-column key/value table."""
    start = next(i for i, line in enumerate(lines) if line.startswith(problem_marker))
    labels = ("整改目标", "整改措施", "责任单位", "责任人", "验收单位", "整改时限")
    rows: list[list[str]] = []
    i = start + 1
    end = i
    current: list[str] | None = None
    while i < len(lines):
        line = lines[i]
        label = next((lb for lb in labels if line.startswith(lb + "：")), None)
        if label:
            current = [label, line[len(label) + 1 :]]
            rows.append(current)
            end = i + 1
        elif line.strip() and current is not None and current[0] == "整改措施":
            current[1] = f"{current[1]}\n{line}".lstrip("\n")
            end = i + 1
        elif line.strip() and rows and rows[-1][0] == "整改时限":
            break
        elif line.strip() and current is not None and current[0] in ("整改目标",):
            current[1] += line  # a page-break fragment of the goal
            end = i + 1
        i += 1
    out: list[Block] = list(lines[: start + 1])
    # blank lines between the problem and its fields carry nothing
    out.append(rows)
    out.extend(lines[end:])
    return out


def export_doc(docx: bytes, workdir: Path) -> bytes:
    """The .docx as Word 97–2003 (.doc), written by LibreOffice with a profile of its own."""
    import subprocess

    from rectify.ingestion.parsers.office_convert import find_soffice

    source = workdir / "seed.docx"
    source.write_bytes(docx)
    subprocess.run(
        [
            find_soffice() or "soffice",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            f"-env:UserInstallation={(workdir / 'profile').as_uri()}",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(workdir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    data = (workdir / "seed.doc").read_bytes()
    assert data.startswith(b"\xd0\xcf\x11\xe0")  # an OLE compound file
    return data
