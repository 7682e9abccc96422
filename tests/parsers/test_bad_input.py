"""Bad input is refused with a clear Chinese message, never a traceback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from rectify.ingestion.parsers import (
    MAX_PLAN_BYTES,
    ParseError,
    PlanReadError,
    parse_plan,
    parse_plan_bytes,
    read_plan_bytes,
)

from .builders import build_docx, build_image_only_pdf, build_pdf


def _chinese(message: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in message)


@pytest.mark.parametrize("filename", ["plan.txt", "plan.docx", "plan.pdf", "plan.html"])
def test_an_empty_file_is_refused(filename: str) -> None:
    with pytest.raises(PlanReadError, match="文件为空") as info:
        read_plan_bytes(b"", filename)
    assert _chinese(info.value.message)


def test_a_whitespace_only_file_is_refused() -> None:
    with pytest.raises(PlanReadError, match="文件为空"):
        parse_plan_bytes(b" \n\r\n\t", "plan.txt")


def test_a_file_over_the_size_limit_is_refused_before_anything_reads_it() -> None:
    data = b"x" * (50 * 1024 * 1024)
    for filename in ("plan.txt", "plan.docx", "plan.pdf", "plan.xlsx", "plan.unknown"):
        with pytest.raises(PlanReadError, match="文件过大") as info:
            parse_plan_bytes(data, filename)
        assert "50.0 MB" in info.value.message
    assert MAX_PLAN_BYTES == 20 * 1024 * 1024


def test_an_unknown_extension_is_refused() -> None:
    with pytest.raises(PlanReadError, match="不支持的文件类型") as info:
        read_plan_bytes("（一）问题".encode(), "plan.exe")
    assert ".txt" in info.value.message


def test_a_doc_that_is_no_word_document_is_refused_with_advice() -> None:
    # .doc/.wps are read through LibreOffice (test_office_formats.py); these bytes are not one
    with pytest.raises(PlanReadError, match=r"内容不是 Word/WPS 文档.*另存为 \.docx"):
        read_plan_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "plan.doc")


def test_a_scanned_pdf_without_text_says_so() -> None:
    # a scan goes to OCR (tests/parsers/test_ocr.py); a picture with no text in it is refused, and
    # without the OCR package the message names it
    with pytest.raises(PlanReadError, match=r"没有识别出文字|rapidocr-onnxruntime"):
        read_plan_bytes(build_image_only_pdf(), "scan.pdf")


def test_a_corrupt_pdf_is_refused() -> None:
    with pytest.raises(PlanReadError, match="PDF 文件已损坏"):
        read_plan_bytes(b"%PDF-1.7\n this is not a pdf at all \n%%EOF", "broken.pdf")


def test_a_truncated_pdf_is_refused(cjk_font: Path) -> None:
    data = build_pdf(["（一）问题。", "整改时限：2022年12月底。"], cjk_font)
    with pytest.raises(PlanReadError):
        read_plan_bytes(data[: len(data) // 3], "cut.pdf")


def test_a_corrupt_docx_is_refused() -> None:
    with pytest.raises(PlanReadError, match="Word 文件已损坏"):
        read_plan_bytes(b"PK\x03\x04 not really a zip", "broken.docx")


def test_a_zip_that_is_not_a_word_document_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(PlanReadError, match="Word 文件已损坏"):
        read_plan_bytes(out.getvalue(), "plan.docx")


def test_a_zip_bomb_docx_is_refused_before_it_is_expanded() -> None:
    # a real document plus one member that expands to 200 MB from a few hundred KB
    docx = build_docx(["（一）问题。"])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bomb,
    ):
        for item in source.infolist():
            bomb.writestr(item, source.read(item))
        with bomb.open("word/media/padding.bin", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(200):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < MAX_PLAN_BYTES
    with pytest.raises(PlanReadError, match="压缩炸弹") as info:
        read_plan_bytes(data, "bomb.docx")
    assert _chinese(info.value.message)


def test_undecodable_text_is_refused() -> None:
    data = bytes(range(128, 256)) * 40
    with pytest.raises(PlanReadError, match=r"编码|不是文本"):
        read_plan_bytes(data, "plan.txt")


def test_binary_content_named_txt_is_refused() -> None:
    with pytest.raises(PlanReadError, match="不是文本文件"):
        read_plan_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "image.txt")


def test_a_plan_without_an_attachment_list_is_refused() -> None:
    main_text_only = "\n".join(
        [
            "某市贯彻落实督察反馈意见整改方案",
            "一、指导思想",
            "坚持以习近平生态文明思想为指导。",
            "二、基本原则",
            "（一）坚持标本兼治，统筹整改。把整改作为关键举措。",
            "（二）坚持举一反三，长效整改。",
        ]
    )
    with pytest.raises(ParseError, match="未找到整改措施清单") as info:
        parse_plan(main_text_only)
    assert isinstance(info.value, ValueError)


def test_text_that_is_no_plan_at_all_is_refused() -> None:
    with pytest.raises(ParseError, match="未找到整改措施清单"):
        parse_plan_bytes("今天天气很好。\n明天也是。".encode(), "notes.txt")


def test_an_empty_text_is_refused_by_the_parser() -> None:
    with pytest.raises(ParseError):
        parse_plan("")
