"""PDF plans with a text layer → text, with the layout's line wraps undone.

Owns `read_pdf`. A PDF has no paragraphs, only lines: a line that runs to the right edge of the
text column was wrapped by the layout and is glued to the next one, so the text matches what
the author typed (the parser's own paragraph repair then mends what is left, such as a sentence
broken at a space). Page numbers alone on the first or last line of a page are layout, not
plan, and are dropped. A PDF without a text layer (a scan) is refused with a clear message.
"""

from __future__ import annotations

import io
import re
import statistics
from dataclasses import dataclass

from .errors import PlanReadError
from .markers import starts_structure

SCANNED_MESSAGE = (
    "PDF 没有文字层，可能是扫描件（图片），无法提取文字。请提供 Word 文件或带文字层的 PDF，或先进行文字识别（OCR）。"
)
_PAGE_NUMBER_RE = re.compile(r"^[-—–－\s]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*/\s*\d{1,4})?[-—–－\s]*$")
_MIN_TEXT_CHARS = 10


@dataclass(slots=True)
class _Line:
    text: str
    x1: float
    char_width: float


def _page_lines(page: object) -> list[_Line]:
    lines: list[_Line] = []
    raw = page.extract_text_lines(return_chars=True, strip=True)  # type: ignore[attr-defined]
    for item in raw:
        text = item["text"]
        if not text.strip():
            continue
        widths = [c["x1"] - c["x0"] for c in item.get("chars", []) if c["text"].strip()]
        width = statistics.median(widths) if widths else 10.0
        lines.append(_Line(text, float(item["x1"]), float(width)))
    # a lone page number heading or closing the page is layout
    for index in (0, -1):
        if lines and _PAGE_NUMBER_RE.match(lines[index].text):
            lines.pop(index)
    return lines


def read_pdf(data: bytes) -> str:
    try:
        import pdfplumber
        from pdfminer.pdfdocument import PDFPasswordIncorrect

        pages: list[list[_Line]] = []
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                pages.append(_page_lines(page))
    except PDFPasswordIncorrect as exc:
        raise PlanReadError("PDF 已加密，请先解除密码保护再导入。") from exc
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise PlanReadError("PDF 已加密，请先解除密码保护再导入。") from exc
        raise PlanReadError("PDF 文件已损坏或无法读取。") from exc
    lines = [line for page in pages for line in page]
    if sum(len(line.text.strip()) for line in lines) < _MIN_TEXT_CHARS:
        raise PlanReadError(SCANNED_MESSAGE)
    # the text column's right edge: full lines of justified or wrapped text all reach it
    right = max(line.x1 for line in lines)
    out: list[str] = []
    wrapped = False
    for line in lines:
        if wrapped and out and not starts_structure(line.text.strip()):
            # a layout wrap falls between characters (CJK lines break anywhere, even inside
            # "2022"), so nothing is inserted; a break at a space is mended by the parser
            out[-1] += line.text
        else:
            out.append(line.text)
        wrapped = right - line.x1 < 1.5 * line.char_width
    return "\n".join(out)
