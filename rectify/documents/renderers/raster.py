"""Rasterising PDF pages to PNG (pypdfium2, pdfplumber's own renderer): screenshots of rendered
documents kept as test artefacts and previews. Pure: bytes in, bytes out."""

from __future__ import annotations

import io

import pypdfium2


def pdf_page_count(pdf_bytes: bytes) -> int:
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        return len(document)
    finally:
        document.close()


def pdf_page_png(pdf_bytes: bytes, page_index: int, scale: float = 1.5) -> bytes:
    """Page page_index (0-based) as PNG; scale 1 is 72 dpi, so 1.5 gives 893 × 1263 px for A4."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        if not 0 <= page_index < len(document):
            raise IndexError(f"page {page_index} of a {len(document)}-page PDF")
        page = document[page_index]
        bitmap = page.render(scale=scale)
        image = bitmap.to_pil()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=False)
        page.close()
        return buffer.getvalue()
    finally:
        document.close()
