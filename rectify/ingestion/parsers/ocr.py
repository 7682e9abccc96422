"""Scanned plans → text through OCR: a PDF without a text layer, or photos/scans of its pages.

Owns `ocr_available`, `is_scan`, `scan_page_count` and `read_scan`. Recognition is RapidOCR: the
PP-OCRv4 Chinese detection and recognition models, run by onnxruntime, shipped inside the
rapidocr-onnxruntime wheel from PyPI, so nothing is downloaded at run time. It was chosen over
Debian's tesseract-ocr-chi-sim by measurement on the seed plan's scan (docs/parsing.md).

What is not plan text is left out: red ink (the seal, the red masthead and its rule) is whitened
before recognition; a page number alone on the first or last line of a page; the 版记 (from the
抄送 line to the 印发 line). Lines become paragraphs as in the PDF reader: a line that reaches the
text column's right edge was wrapped by the layout and is glued to the next one, unless the next
one is indented or opens a new element. The page is deskewed from the slope of its text lines.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import re
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from .errors import PlanReadError
from .markers import starts_structure
from .readers import IMAGE_SUFFIXES

OCR_MISSING = (
    "服务器未安装文字识别组件（rapidocr-onnxruntime），无法读取扫描件。请系统管理员运行 scripts/bootstrap "
    "安装（见 README），或提供 Word 文件、带文字层的 PDF。"
)
MAX_SCAN_PAGES = 300
DPI = 170  # a scan's usual resolution; recognition time depends on the lines, not the dpi
MAX_SIDE = 4000  # a page rendered larger than this (a poster) is scaled down
MIN_SCORE = 0.5
MAX_PIXELS = 60_000_000  # an A4 page at 600 dpi is 35 million pixels

_PAGE_NUMBER_RE = re.compile(r"^[-—–－一_~\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*\d{1,4})?[-—–－一_~\s]*$")
_CC_RE = re.compile(r"^(?:抄\s*送|主\s*送)[：:]")
# the 版记's last line: the issuing office and the date it was printed, nothing else
_PRINTED_RE = re.compile(
    r"^[\u4e00-\u9fff（）()]{0,40}(?:办公室|办公厅|政府|党委|委员会|领导小组|局|厅|委|办|部|处|组)"
    r"\d{4}年\d{1,2}月\d{1,2}日印发$"
)
# OCR reads the round bracket of a problem heading half-width now and then: (一）, （一), (一)
_HEADING_BRACKET_RE = re.compile(r"^[(（]\s*([一二三四五六七八九十百零〇]+)\s*[)）]")
# Words the recognition model misreads for a look-alike it knows better; the wrong reading is not a
# word (矸石, coal gangue, is in most plans of a coal region; "研石" means nothing)
_CONFUSIONS = (("研石", "矸石"), ("m~3", "m³"), ("m^3", "m³"))
# a document number's 六角括号 (晋政发〔2019〕3号) is read as 【】, [] or ［］
_DOC_NUMBER_RE = re.compile(r"(?<=[发函字办])\s*[【\[［〔(（]\s*((?:19|20)\d\d)\s*[】\]］〕)）]\s*(?=\d{1,4}\s*号)")
# a speck of dust read as a middle dot, next to punctuation or at a line's edge
_SPECK_RE = re.compile(r"(?<=[。，、；：《》“”（）])[·•]|[·•](?=[。，、；：《》“”（）])|^[·•]+|[·•]+$")


def ocr_available() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _suffix(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def is_scan(data: bytes, filename: str) -> bool:
    """A page image, or a PDF whose pages carry no text (a scan): what only OCR can read."""
    suffix = _suffix(filename)
    if suffix in IMAGE_SUFFIXES:
        return True
    if suffix != ".pdf":
        return False
    try:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
    except Exception:  # a damaged or encrypted PDF: the PDF reader says why
        return False
    try:
        chars = 0
        for index in range(min(len(document), 5)):
            chars += len(document[index].get_textpage().get_text_range().strip())
        return chars < 10
    finally:
        document.close()


def _open_images(data: bytes) -> Any:
    from PIL import Image

    too_many = f"图片像素过多（超过 {MAX_PIXELS // 1_000_000:,} 百万像素），请降低扫描分辨率（300 dpi 即可）后再导入。"
    try:
        # the header only, and only page formats (an EPS would start Ghostscript)
        image = Image.open(io.BytesIO(data), formats=("PNG", "JPEG", "TIFF", "BMP"))
        if image.width * image.height > MAX_PIXELS:
            raise PlanReadError(too_many)
        image.load()
    except PlanReadError:
        raise
    except Image.DecompressionBombError as exc:
        raise PlanReadError(too_many) from exc
    except Exception as exc:
        raise PlanReadError("图片文件已损坏或格式无法识别，请重新扫描或另存为 PNG/JPEG。") from exc
    return image


def scan_page_count(data: bytes, filename: str) -> int:
    if _suffix(filename) == ".pdf":
        import pypdfium2 as pdfium

        try:
            document = pdfium.PdfDocument(data)
        except Exception as exc:
            raise PlanReadError("PDF 文件已损坏或无法读取。") from exc
        count = len(document)
        document.close()
    else:
        count = getattr(_open_images(data), "n_frames", 1)
    if count > MAX_SCAN_PAGES:
        raise PlanReadError(f"扫描件共 {count} 页，超过 {MAX_SCAN_PAGES} 页的上限，请拆分后再导入。")
    return count


def page_images(data: bytes, filename: str) -> Iterator[Any]:
    """Each page as a PIL image (RGB): a PDF's pages rendered at DPI, or an image's frames."""
    from PIL import ImageSequence

    if _suffix(filename) == ".pdf":
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(data)
        try:
            for index in range(len(document)):
                page = document[index]
                width, height = page.get_size()
                scale = min(DPI / 72, MAX_SIDE / max(width, height, 1))
                yield page.render(scale=scale).to_pil().convert("RGB")
        finally:
            document.close()
    else:
        for frame in ImageSequence.Iterator(_open_images(data)):
            if frame.width * frame.height > MAX_PIXELS:  # a later frame of a TIFF
                raise PlanReadError("扫描件中有页面像素过多，请降低扫描分辨率（300 dpi 即可）后再导入。")
            image = frame.convert("RGB")
            if max(image.size) > MAX_SIDE:
                image.thumbnail((MAX_SIDE, MAX_SIDE))
            yield image


def clean_page(image: Any) -> Any:
    """Grey page with red ink whitened (seal, masthead, red rules) and specks filtered out."""
    import numpy as np
    from PIL import Image, ImageFilter

    rgb = np.asarray(image.convert("RGB")).astype(np.int16)
    red = (rgb[..., 0] > 110) & (rgb[..., 0] - np.maximum(rgb[..., 1], rgb[..., 2]) > 45)
    grey = np.asarray(image.convert("L")).copy()
    grey[red] = 255
    return Image.fromarray(grey).filter(ImageFilter.MedianFilter(3))


@functools.cache
def _engine() -> Any:
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise PlanReadError(OCR_MISSING) from exc
    return RapidOCR()


@dataclass(slots=True)
class Box:
    text: str
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0


@dataclass(slots=True)
class Row:
    """One printed line of a page: its boxes joined left to right."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float


@dataclass
class ScanPage:
    number: int
    rows: list[Row] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(row.text for row in self.rows)


@dataclass
class ScanResult:
    text: str
    pages: list[ScanPage]


def _boxes(result: Any) -> list[Box]:
    """RapidOCR's [quad, text, score] items as boxes in deskewed coordinates."""
    items = [item for item in (result or []) if item[1].strip() and float(item[2]) >= MIN_SCORE]
    slopes = []
    for quad, _text, _score in items:
        (x0, y0), (x1, y1) = quad[0], quad[1]
        if x1 - x0 > 200:
            slopes.append((y1 - y0) / (x1 - x0))
    angle = math.atan(statistics.median(slopes)) if slopes else 0.0
    cos, sin = math.cos(angle), math.sin(angle)
    boxes = []
    for quad, text, _score in items:
        xs = [x * cos + y * sin for x, y in quad]
        ys = [-x * sin + y * cos for x, y in quad]
        boxes.append(Box(text.strip(), min(xs), max(xs), min(ys), max(ys)))
    return boxes


def _rows(boxes: list[Box]) -> list[Row]:
    """Boxes on the same line (vertical overlap over half the lower one) become one row."""
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        if rows:
            last = rows[-1]
            top, bottom = max(b.y0 for b in last), min(b.y1 for b in last)
            overlap = min(bottom, box.y1) - max(top, box.y0)
            if overlap > 0.5 * min(box.height, bottom - top):
                last.append(box)
                continue
        rows.append([box])
    out = []
    for group in rows:
        group.sort(key=lambda b: b.x0)
        text = group[0].text
        for before, box in itertools.pairwise(group):
            gap = box.x0 - before.x1
            text += (" " if gap > 1.5 * box.height else "") + box.text
        out.append(Row(text, group[0].x0, group[-1].x1, min(b.y0 for b in group), max(b.y1 for b in group)))
    return out


def _tidy(text: str) -> str:
    text = _HEADING_BRACKET_RE.sub(r"（\1）", text)
    for wrong, right in _CONFUSIONS:
        text = text.replace(wrong, right)
    text = _DOC_NUMBER_RE.sub(r"〔\1〕", text)
    return _SPECK_RE.sub("", text).strip()


def _page_rows(boxes: list[Box]) -> list[Row]:
    rows = _rows(boxes)
    for row in rows:
        row.text = _tidy(row.text)
    rows = [row for row in rows if row.text]
    # a lone page number heading or closing the page is layout
    for index in (0, -1):
        if rows and _PAGE_NUMBER_RE.match(rows[index].text):
            rows.pop(index)
    return rows


def _printed(row: Row) -> bool:
    return bool(_PRINTED_RE.search(row.text.replace(" ", "")))


def drop_print_record(pages: list[ScanPage]) -> None:
    """The 版记 closes the document: from its 抄送/主送 line to its 印发 line, which may fall on
    two pages, is the print record, not the plan. Only the last two pages are looked at."""
    tail = [(page, index) for page in pages[-2:] for index in range(len(page.rows))]
    end = next((k for k in range(len(tail) - 1, -1, -1) if _printed(tail[k][0].rows[tail[k][1]])), None)
    start = next((k for k in range(len(tail)) if _CC_RE.match(tail[k][0].rows[tail[k][1]].text)), None)
    if start is None and end is None:
        return
    if start is None or (end is not None and start > end):
        start = end
    last = end if end is not None else len(tail) - 1
    doomed = {(id(tail[k][0]), tail[k][1]) for k in range(start, last + 1)}  # type: ignore[arg-type]
    for page in pages[-2:]:
        page.rows = [row for i, row in enumerate(page.rows) if (id(page), i) not in doomed]


def _char_width(rows: list[Row]) -> float:
    widths = [(r.x1 - r.x0) / len(r.text) for r in rows if len(r.text) >= 8]
    return statistics.median(widths) if widths else 20.0


def join_rows(pages: list[ScanPage]) -> str:
    """Rows of all pages → paragraphs (layout wraps undone, as read_pdf does)."""
    rows = [row for page in pages for row in page.rows]
    if not rows:
        return ""
    char = _char_width(rows)
    lefts = sorted(row.x0 for row in rows)
    left = lefts[len(lefts) // 10]
    out: list[str] = []
    wrapped = was_centred = False
    for page in pages:
        right = max((row.x1 for row in page.rows), default=0.0)
        for row in page.rows:
            indented = row.x0 - left > 1.2 * char
            # a title centred over two or three lines is one title
            centred = (
                indented and right - row.x1 > char and abs((row.x0 + row.x1) / 2 - (left + right) / 2) < 1.5 * char
            )
            if out and ((wrapped and not indented and not starts_structure(row.text)) or (centred and was_centred)):
                out[-1] += row.text
            else:
                out.append(row.text)
            wrapped = right - row.x1 < 2 * char
            was_centred = centred
    return "\n".join(out)


def read_scan(
    data: bytes,
    filename: str,
    *,
    progress: Callable[[int, int], None] | None = None,
    keep_image: Callable[[int, Any], None] | None = None,
) -> ScanResult:
    """OCR every page. `progress(done, total)` after each page; `keep_image(number, image)` gets
    each page's image (for the review page) before it is read."""
    engine = _engine()
    total = scan_page_count(data, filename)
    pages: list[ScanPage] = []
    for number, image in enumerate(page_images(data, filename), start=1):
        started = time.perf_counter()
        if keep_image is not None:
            keep_image(number, image)
        import numpy as np

        grey = np.asarray(clean_page(image))
        result, _elapsed = engine(np.stack([grey, grey, grey], axis=-1), use_cls=False)
        page = ScanPage(number, _page_rows(_boxes(result)))
        page.seconds = time.perf_counter() - started
        pages.append(page)
        if progress is not None:
            progress(number, total)
    drop_print_record(pages)
    text = join_rows(pages)
    if len(text.strip()) < 10:
        raise PlanReadError("扫描件中没有识别出文字：请确认扫描清晰、方向正确（文字识别不支持手写）。")
    return ScanResult(text, pages)
