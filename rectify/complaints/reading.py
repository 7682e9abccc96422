"""Reading a batch file's bytes into rows of cells (pure: no Django): .xlsx/.xlsm/.ods through
python-calamine with merged cells filled, .csv/.txt in UTF-8, UTF-8 with BOM, UTF-16 with BOM or
GBK/GB18030; oversize files, zip bombs, encrypted workbooks and old binary .xls refused with a
Chinese message (`BatchError`)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from pathlib import PurePath
from typing import Any

MAX_BATCH_BYTES = 20 * 1024 * 1024
# An .xlsx is a zip: what it would expand to is capped before calamine reads it.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAX_COMPRESSION_RATIO = 1_000


class BatchError(ValueError):
    """The file holds no readable batch; `message` is meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _suffix(filename: str) -> str:
    return PurePath(filename or "").suffix.lower()


# ---------------------------------------------------------------- reading bytes into rows


def _check_size(data: bytes) -> None:
    if len(data) > MAX_BATCH_BYTES:
        raise BatchError(
            f"文件过大：{len(data) / 1024 / 1024:.1f} MB，"
            f"超过 {MAX_BATCH_BYTES // 1024 // 1024} MB 的上限，请拆分后再导入。"
        )
    if not data or not data.strip(b" \t\r\n\x00"):
        raise BatchError("文件为空，没有可导入的交办件。")


def _check_zip(data: bytes) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise BatchError("Excel 文件已损坏或不是有效的 .xlsx 文件，无法打开。") from exc
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise BatchError(f"Excel 文件内部包含 {len(members)} 个部件，数量异常，已拒绝读取。")
    total = 0
    for info in members:
        total += info.file_size
        # Office writes stored or deflated members; bzip2/LZMA would inflate past any declared size.
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise BatchError(
                f"Excel 文件疑似压缩炸弹：部件 {info.filename[:60]} 使用了 Office 不使用的压缩方式，已拒绝读取。"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO:
            raise BatchError(f"Excel 文件疑似压缩炸弹：部件 {info.filename} 压缩比 {ratio:.0f} 倍，已拒绝读取。")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise BatchError(f"Excel 文件解压后达 {total / 1024 / 1024:.0f} MB，超过上限（疑似压缩炸弹），已拒绝读取。")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _refuse_ole(data: bytes) -> None:
    """An OLE compound file is either an encrypted .xlsx or an old binary .xls/.et."""
    if "EncryptionInfo".encode("utf-16-le") in data[:MAX_BATCH_BYTES]:
        raise BatchError("Excel 文件设有打开密码（已加密），无法读取。请在 Excel/WPS 中取消密码后另存为 .xlsx 再导入。")
    raise BatchError("不支持旧版 Excel（.xls）格式，请在 Excel/WPS 中“另存为” .xlsx 工作簿后再导入。")


def _merge_fill(rows: list[list[Any]], ranges: Any) -> None:
    """A merged cell holds its value in the top-left cell only: copy it into the whole range."""
    for (r0, c0), (r1, c1) in ranges or ():
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] in ("", None):
                    row[c] = value


def _sheets(data: bytes) -> list[list[list[Any]]]:
    _check_zip(data)
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = [list(row) for row in sheet.to_python(skip_empty_area=False)]
            _merge_fill(rows, getattr(sheet, "merged_cell_ranges", None))
            sheets.append(rows)
        return sheets
    except Exception as exc:  # calamine raises its own error types on a damaged workbook
        raise BatchError(
            "Excel 文件已损坏或不是有效的表格文件，无法读取。请用 Excel/WPS 打开后另存为 .xlsx 再导入。"
        ) from exc


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:200_000]
        controls = sum(1 for ch in sample if ch not in "\n\r\t\f\v" and unicodedata.category(ch) == "Cc")
        if "\x00" in sample or controls > max(10, len(sample) // 100):
            break
        return text.lstrip("\ufeff")
    raise BatchError(
        "文件不是可读取的表格：既不是 .xlsx 工作簿，也不是 UTF-8 或 GBK 编码的 .csv 文本。"
        "请另存为 .xlsx 或 .csv 后再导入。"
    )


def _delimited(data: bytes) -> list[list[Any]]:
    text = _decode(data)
    if re.match(r"\s*<(?:!doctype|html|table|\?xml)", text[:500], re.IGNORECASE):
        raise BatchError("文件是网页（HTML/XML）格式的表格，请在 Excel/WPS 中打开后另存为 .xlsx 再导入。")
    head = text[:20_000]
    delimiter = max(",\t;", key=head.count) if any(d in head for d in ",\t;") else ","
    try:
        return [list(record) for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise BatchError(f"CSV 文件格式有误，无法读取：{exc}。请用 Excel/WPS 另存为 .xlsx 后再导入。") from exc


def _tables(data: bytes, filename: str) -> list[list[list[Any]]]:
    suffix = _suffix(filename)
    # the content decides before the name: offices rename files freely
    if data.startswith(b"PK\x03\x04"):
        return _sheets(data)
    if data.startswith(_OLE_MAGIC):
        _refuse_ole(data)
    if suffix in (".xlsx", ".xlsm", ".ods"):
        raise BatchError("Excel 文件已损坏或不是有效的 .xlsx 文件，无法打开。")
    if suffix in (".doc", ".docx", ".wps", ".pdf", ".zip", ".rar", ".7z", ".png", ".jpg", ".jpeg"):
        raise BatchError(f"不支持 {suffix} 文件：交办件请以 .xlsx 或 .csv 表格导入。")
    return [_delimited(data)]


# ---------------------------------------------------------------- cells
