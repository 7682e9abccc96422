"""A scan of the seed plan as offices publish it: printed in the official layout, sealed, scanned.

`build_official_pdf` lays the plan out as GB/T 9704 prints a 公文 (A4, 三号 仿宋, 28 characters a
line, 22 lines a page, paragraphs indented by two characters, "— 1 —" page numbers) under a red
masthead, with a 版记 (抄送 and 印发 lines) at the end. `scan_pages` renders its pages to images
the way a copier scans paper: 170 dpi, a red seal stamped over the date, a slight rotation, specks,
a little blur and JPEG compression. `image_pdf` binds the images into a PDF without a text layer.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

from .builders import NOTO_CANDIDATES, make_truetype_subset

FANG = Path("/usr/local/share/fonts/fandol/FandolFang-Regular.otf")
MASTHEAD = "朔州市人民政府办公室文件"
SEAL_TEXT = "朔州市人民政府办公室"
CC_LINE = "抄送：市委各部门，市人大常委会办公室，市政协办公室，市中级法院，市检察院。"
PRINTED_LINE = "朔州市人民政府办公室　　　　　　2022年7月1日印发"
SCAN_DPI = 170


def official_font(text: str, target: Path) -> Path:
    """仿宋 (FandolFang) when installed, else Noto Serif/Sans CJK, subset to `text` as TrueType."""
    source = FANG if FANG.exists() else next((p for p in NOTO_CANDIDATES if p.exists()), None)
    if source is None:
        raise FileNotFoundError("no CJK font installed (fonts-noto-cjk)")
    extra = MASTHEAD + SEAL_TEXT + CC_LINE + PRINTED_LINE + "—　0123456789"
    return make_truetype_subset(source, text + extra, target)


def build_official_pdf(lines: Sequence[str], font_path: Path) -> bytes:
    """The plan in the official layout; the first non-empty line is the centred title."""
    from fpdf import FPDF

    class Official(FPDF):
        def footer(self) -> None:
            self.set_y(-25)
            self.set_font("fang", size=14)
            self.cell(0, 6, f"— {self.page_no()} —", align="C")

    pdf = Official(format="A4")
    pdf.set_margins(left=28, top=37, right=26)
    pdf.set_auto_page_break(True, margin=35)
    pdf.add_font("fang", fname=str(font_path))
    pdf.add_page()
    # the red masthead and the red rule under it
    pdf.set_text_color(220, 20, 20)
    pdf.set_font("fang", size=30)
    pdf.cell(0, 18, MASTHEAD, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(220, 20, 20)
    pdf.set_line_width(1.0)
    pdf.line(28, pdf.get_y() + 4, 210 - 26, pdf.get_y() + 4)
    pdf.ln(14)
    pdf.set_text_color(0, 0, 0)
    body = [line for line in lines]
    title_index = next(i for i, line in enumerate(body) if line.strip())
    pdf.set_font("fang", size=20)
    pdf.multi_cell(0, 11, body[title_index].strip(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("fang", size=16)
    width = 210 - 28 - 26
    for line in body[title_index + 1 :]:
        if line.strip():  # paragraphs follow each other; the indent marks a new one
            for row in _break_lines(pdf, "\u3000\u3000" + line.strip(), width):
                pdf.cell(0, 10.2, row, new_x="LMARGIN", new_y="NEXT")
    # the 版记 at the foot of the last page
    pdf.ln(10)
    pdf.set_line_width(0.5)
    pdf.set_draw_color(0, 0, 0)
    pdf.line(28, pdf.get_y(), 210 - 26, pdf.get_y())
    pdf.set_font("fang", size=14)
    pdf.multi_cell(0, 8, CC_LINE, new_x="LMARGIN", new_y="NEXT")
    pdf.line(28, pdf.get_y(), 210 - 26, pdf.get_y())
    pdf.cell(0, 8, PRINTED_LINE, new_x="LMARGIN", new_y="NEXT")
    pdf.line(28, pdf.get_y(), 210 - 26, pdf.get_y())
    return bytes(pdf.output())


# 避头尾: a line never starts with closing punctuation (Word and WPS push the character before it down)
_NO_LINE_START = set("。，、；：？！”’）》〉」』】…%")


def _break_lines(pdf: object, text: str, width: float) -> list[str]:
    """Break a paragraph into printed lines as Word does for Chinese text (any character may end
    a line, none of _NO_LINE_START may begin one)."""
    rows: list[str] = []
    current = ""
    for char in text:
        if current and pdf.get_string_width(current + char) > width:  # type: ignore[attr-defined]
            if char in _NO_LINE_START and len(current) > 1:
                rows.append(current[:-1])
                current = current[-1]
            else:
                rows.append(current)
                current = ""
        current += char
    if current:
        rows.append(current)
    return rows


def _seal(size: int) -> object:
    """A red round seal with a star and the office's name, as an RGBA image."""
    from PIL import Image, ImageDraw

    seal = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(seal)
    red = (215, 25, 30, 210)
    draw.ellipse((4, 4, size - 4, size - 4), outline=red, width=max(6, size // 40))
    c = size / 2
    star = []
    import math

    for k in range(10):
        r = size * (0.16 if k % 2 == 0 else 0.065)
        a = -math.pi / 2 + k * math.pi / 5
        star.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(star, fill=red)
    for k in range(0, size, 9):  # the ink's texture
        draw.arc((14 + k % 30, 14 + k % 30, size - 14, size - 14), start=k, end=k + 40, fill=red, width=2)
    return seal


def scan_pages(pdf: bytes, *, dpi: int = SCAN_DPI, seed: int = 7) -> list[object]:
    """The PDF's pages as a copier would scan them (PIL images, RGB)."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    document = pdfium.PdfDocument(pdf)
    pages: list[object] = []
    count = len(document)
    for index in range(count):
        image = document[index].render(scale=dpi / 72).to_pil().convert("RGB")
        if index == count - 1:
            seal = _seal(int(dpi * 1.6))
            # over the last lines of text and the 版记, as a seal covers the date it is stamped on
            image.paste(seal, (image.width - seal.width - int(dpi * 1.5), int(image.height * 0.06)), seal)  # type: ignore[attr-defined]
        image = image.rotate(rnd.uniform(-0.8, 0.8), resample=Image.Resampling.BICUBIC, fillcolor="white")
        pixels = image.load()
        for _ in range(image.width * image.height // 600):
            x, y = rnd.randrange(image.width), rnd.randrange(image.height)
            shade = rnd.randrange(60, 160)
            pixels[x, y] = (shade, shade, shade)  # type: ignore[index]
        image = image.filter(ImageFilter.GaussianBlur(0.4))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=78)
        pages.append(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))
    document.close()
    return pages


def image_pdf(pages: Sequence[object], *, dpi: int = SCAN_DPI) -> bytes:
    """Page images bound into a PDF with no text layer, like a scanner's output."""
    buffer = io.BytesIO()
    first, *rest = pages
    first.save(buffer, "PDF", save_all=True, append_images=rest, resolution=dpi)  # type: ignore[attr-defined]
    return buffer.getvalue()


def build_seed_scan(lines: Sequence[str], font_dir: Path) -> bytes:
    """The seed plan, printed officially, sealed and scanned, as an image-only PDF."""
    font = official_font("\n".join(lines), font_dir / "official.ttf")
    return image_pdf(scan_pages(build_official_pdf(lines, font)))


def first_problems(text: str) -> list[str]:
    """A plan's title and its list's first two problems (from 附件 to （三）): a short plan to scan."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "附件")
    end = next(i for i, line in enumerate(lines) if line.startswith("（三）") and i > start)
    title = next(line for line in lines if line.strip())
    return [title, *lines[start:end]]
