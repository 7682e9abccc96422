"""Plan files as bytes → text, with the limits that keep a bad upload from hurting the server.

Owns `read_plan_bytes` (dispatch by extension, size limit checked first, empty and undecodable
input, zip-bomb check for .docx/.xlsx), text decoding (UTF-8, UTF-8/16 with BOM, GBK/GB18030),
`parse_plan_bytes`, the one call the CLI and the importer make, and `needs_background`, which
tells the importer which files are slow to read. Old Word (.doc) and WPS (.wps) files are
converted to .docx by LibreOffice (office_convert) and then read as .docx; a scan (a PDF without a
text layer, or a page image) is read by OCR (ocr). Every failure is a
`PlanReadError` or `ParseError` with a Chinese message.
"""

from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Collection
from pathlib import PurePath

from .errors import PlanReadError
from .model import ParsedPlan
from .plan_text import parse_plan

MAX_PLAN_BYTES = 20 * 1024 * 1024
# A .docx/.xlsx is a zip: what it would expand to is capped before anything reads it.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# Real document XML compresses 5–30×; a member expanding more than this is a bomb.
MAX_COMPRESSION_RATIO = 1_000
# Office writes members stored or deflated; zipfile inflates a bzip2 or LZMA member in one call
# whatever size its header declares (a 1 KB member may become gigabytes): refused outright.
OFFICE_ZIP_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)

TEXT_SUFFIXES = (".txt", ".text")
HTML_SUFFIXES = (".html", ".htm")
LEDGER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
# read through LibreOffice (an external program, seconds to minutes): see office_convert
OLD_WORD_SUFFIXES = (".doc", ".wps")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")  # scanned pages (ocr)
SUPPORTED = ".txt、.docx、.doc、.wps、.pdf、.html、.htm、.xlsx 与扫描图片（.png、.jpg、.tif）"


def _suffix(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


def check_size(data: bytes) -> None:
    if len(data) > MAX_PLAN_BYTES:
        raise PlanReadError(
            f"文件过大：{len(data) / 1024 / 1024:.1f} MB，超过 {MAX_PLAN_BYTES // 1024 // 1024} MB"
            "的上限。请删去图片或拆分后再导入。"
        )
    if not data or not data.strip():
        raise PlanReadError("文件为空，没有可解析的内容。")


def check_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """Open an Office zip after checking what it declares it will expand to."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise PlanReadError(f"{kind}文件已损坏或不是有效的文件，无法打开。") from exc
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise PlanReadError(f"{kind}文件内部包含 {len(members)} 个部件，数量异常，已拒绝读取。")
    total = 0
    for info in members:
        total += info.file_size
        if info.compress_type not in OFFICE_ZIP_METHODS:
            raise PlanReadError(
                f"{kind}文件疑似压缩炸弹：部件 {info.filename[:60]} 使用了 Office 不使用的压缩方式，已拒绝读取。"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise PlanReadError(f"{kind}文件疑似压缩炸弹：部件 {info.filename} 压缩比 {ratio:.0f} 倍，已拒绝读取。")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise PlanReadError(
            f"{kind}文件解压后达 {total / 1024 / 1024:.0f} MB，超过 "
            f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB 的上限（疑似压缩炸弹），已拒绝读取。"
        )
    # zipfile stops reading a member at its declared size, so the check above holds
    return archive


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes, hint: str | None = None) -> str:
    """Bytes of a text file → str: BOM, then the hint, then UTF-8, then GB18030 (⊃ GBK)."""
    encodings: list[str] = []
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            encodings.append(encoding)
            break
    if hint:
        encodings.append(hint)
    encodings += ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        _check_textual(text)
        return text.lstrip("\ufeff")
    raise PlanReadError("无法识别文件的文字编码（支持 UTF-8、GBK/GB18030），请另存为 UTF-8 后再导入。")


def _check_textual(text: str) -> None:
    controls = sum(1 for ch in text[:200_000] if ch not in "\n\r\t\f\v" and unicodedata.category(ch) == "Cc")
    if "\x00" in text or controls > max(10, len(text[:200_000]) // 100):
        raise PlanReadError("文件不是文本文件（含有大量控制字符），请确认文件类型。")


def read_plan_bytes(data: bytes, filename: str) -> str:
    """A plan file's bytes → its text, lines in document order. Raises PlanReadError."""
    check_size(data)
    suffix = _suffix(filename)
    # format readers are imported on use: pdfplumber and python-docx are slow to import
    if suffix in TEXT_SUFFIXES:
        return decode_text(data)
    if suffix in HTML_SUFFIXES:
        from .html_reader import read_html

        return read_html(data)
    if suffix == ".docx":
        from .docx_reader import read_docx

        return read_docx(data)
    if suffix in IMAGE_SUFFIXES or suffix == ".pdf":
        from .ocr import is_scan, read_scan

        if is_scan(data, filename):
            return read_scan(data, filename).text
    if suffix == ".pdf":
        from .pdf_reader import read_pdf

        return read_pdf(data)
    if suffix in OLD_WORD_SUFFIXES:
        from .docx_reader import read_docx
        from .office_convert import convert_to_docx

        return read_docx(convert_to_docx(data, suffix))
    if suffix in LEDGER_SUFFIXES:
        raise PlanReadError("Excel 台账不是文字文件，请用台账导入（parse_plan_bytes）解析。")
    raise PlanReadError(f"不支持的文件类型“{suffix or '无扩展名'}”，支持 {SUPPORTED}。")


def needs_background(data: bytes, filename: str) -> bool:
    """Whether reading this file runs long enough to belong in a background task, not a request.

    True for a .doc/.wps that LibreOffice must convert (a .docx or junk renamed .doc is read or
    refused at once) and for a scan OCR must read (seconds a page). Each slow kind of file is one
    more clause here.
    """
    suffix = _suffix(filename)
    if suffix in OLD_WORD_SUFFIXES:
        from .office_convert import needs_conversion

        return needs_conversion(data)
    if suffix in IMAGE_SUFFIXES or suffix == ".pdf":
        from .ocr import is_scan

        return is_scan(data, filename)
    return False


def parse_plan_bytes(data: bytes, filename: str, *, known_units: Collection[str] | None = None) -> ParsedPlan:
    """Read and parse in one call; an Excel ledger (.xlsx) goes to the ledger parser.

    `known_units`: the unit directory's names, for splitting names written together.
    """
    check_size(data)
    if _suffix(filename) in LEDGER_SUFFIXES:
        from .ledger_xlsx import parse_ledger_xlsx

        return parse_ledger_xlsx(data, known_units=known_units)
    return parse_plan(read_plan_bytes(data, filename), known_units=known_units)
