"""The ledger export's .xlsx, written fast: XlsxWriter writes each sheet's frame (title, header,
column widths, frozen header, autofilter; the styles and the workbook's parts), and the data rows
(~3,000 per plan, 15 cells each) are written here as the sheet XML XlsxWriter writes in
constant_memory mode, to a temporary file per sheet, then put into the frame's sheet as the zip is
written. (XlsxWriter's own per-cell path cost ~12 µs a cell, the larger part of a large export.)

The cells are the same as renderers.xlsx_stream.StreamingWorkbook writes (and as safe: every
value is an inline string cell, never a formula or a link; blank values are blank cells with the
cell style); the column widths follow the same rule (the longest line + 2, at most 60).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.utility import RE_LEADING_WHITESPACE, RE_TRAILING_WHITESPACE, xl_col_to_name

from rectify.core.spreadsheets import STREAMING_WORKBOOK_OPTIONS

# What XlsxWriter escapes in a string cell: control characters as _xHHHH_ (and a literal _xHHHH_
# by escaping its underscore), then &, < and >.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL_CHAR = re.compile(r"([\x00-\x08\x0b-\x1f])")
_MARKUP = re.compile("[&<>]")
# Any of the above, or what makes a cell keep its whitespace (XlsxWriter's RE_LEADING_WHITESPACE
# and RE_TRAILING_WHITESPACE): most cells have none, and one search tells.
_ANY = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff&<>]|_x[0-9a-fA-F]{4}_|^\s|\s$")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
STRMAX = 32767  # UTF-16 units in a cell


def _cell_text(value: str) -> tuple[str, bool]:
    """The text as XlsxWriter puts it in an inline string cell, and whether it keeps whitespace."""
    if len(value) > STRMAX // 2 and len(value.encode("utf-16-le")) // 2 > STRMAX:
        from xlsxwriter.utility import _utf16_truncate  # rare: cells that long

        value = _utf16_truncate(value, STRMAX)
    if not _ANY.search(value):
        return value, False
    if _CONTROL.search(value):
        value = _ESCAPED_ESCAPE.sub(r"_x005F\1", value)
        value = _CONTROL_CHAR.sub(lambda m: f"_x{ord(m.group(1)):04X}_", value)
        value = value.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    preserve = bool(RE_LEADING_WHITESPACE.search(value) or RE_TRAILING_WHITESPACE.search(value))
    if _MARKUP.search(value):
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value, preserve


class _Sheet:
    """One sheet's data rows as XML in a temporary file, with its column widths."""

    def __init__(self, name: str, title: str, headers: Sequence[str], tmpdir: str | None) -> None:
        self.name = name[:31]
        self.title = title
        self.headers = list(headers)
        self.top = 1 if title else 0  # the header's row (0-based)
        self.row = self.top  # the last row written
        self.widths = [max(6, min(60, len(str(h)) * 2 + 2)) for h in headers]
        self.columns = [xl_col_to_name(c) for c in range(len(headers))]
        self.file = tempfile.TemporaryFile(dir=tmpdir)
        self._buffer: list[str] = []
        self.style = 0  # the cell style's index, set by the book

    def write_rows(self, rows: Iterable[Sequence[str | None]]) -> None:
        widths, columns, style, out = self.widths, self.columns, self.style, self._buffer
        for row in rows:
            self.row += 1
            r = self.row + 1
            out.append(f'<row r="{r}">')
            for c, value in enumerate(row):
                if value is None or value == "":
                    out.append(f'<c r="{columns[c]}{r}" s="{style}"/>')
                    continue
                if not isinstance(value, str):
                    raise TypeError(f"台账表格只写文字：{value!r}")
                if widths[c] < 60:  # at 60 a column is as wide as it gets
                    longest = max(len(x) for x in value.split("\n")) + 2 if "\n" in value else len(value) + 2
                    if longest > widths[c]:
                        widths[c] = min(60, longest)
                text, preserve = _cell_text(value)
                space = ' xml:space="preserve"' if preserve else ""
                out.append(f'<c r="{columns[c]}{r}" s="{style}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            out.append("</row>")
            if len(out) > 4096:
                self.file.write("".join(out).encode("utf-8"))
                out.clear()

    def finish(self) -> None:
        self.file.write("".join(self._buffer).encode("utf-8"))
        self._buffer.clear()
        self.file.seek(0)


class FastWorkbook:
    """`with FastWorkbook(target) as book: sheet = book.add_sheet(...); sheet.write_rows(rows)`:
    sheets may be filled in any order; the file is written when the book closes."""

    def __init__(self, target: str | IO[bytes], *, tmpdir: str | None = None) -> None:
        self.target = target
        self.tmpdir = tmpdir
        self.frame = BytesIO()
        options = dict(STREAMING_WORKBOOK_OPTIONS)
        if tmpdir:
            options["tmpdir"] = tmpdir
        self._book = xlsxwriter.Workbook(self.frame, options)
        # The formats of renderers.xlsx_stream.StreamingWorkbook, made in the same order.
        self._head = self._book.add_format(
            {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self._cell = self._book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        self._title = self._book.add_format({"bold": True, "font_size": 14})
        self.sheets: list[tuple[_Sheet, Any]] = []

    def add_sheet(self, name: str, title: str, headers: Sequence[str]) -> _Sheet:
        sheet = _Sheet(name, title, headers, self.tmpdir)
        frame = self._book.add_worksheet(sheet.name)
        if title:
            frame.write(0, 0, title, self._title)
        frame.write_row(sheet.top, 0, list(headers), self._head)
        # Formats are numbered on first use: the title's, the header's, then the cells' (as before).
        self._head._get_xf_index()
        sheet.style = self._cell._get_xf_index()
        self.sheets.append((sheet, frame))
        return sheet

    def close(self) -> None:
        try:
            for sheet, frame in self.sheets:
                sheet.finish()
                for c, width in enumerate(sheet.widths):
                    frame.set_column(c, c, width)
                frame.freeze_panes(sheet.top + 1, 0)
                if sheet.row > sheet.top:
                    frame.autofilter(sheet.top, 0, sheet.row, len(sheet.headers) - 1)
            self._book.close()
            self._splice()
        finally:
            for sheet, _ in self.sheets:
                sheet.file.close()

    def _splice(self) -> None:
        """The frame's parts into the target, each sheet's rows put in before </sheetData>."""
        self.frame.seek(0)
        rows = {f"xl/worksheets/sheet{i}.xml": sheet for i, (sheet, _) in enumerate(self.sheets, start=1)}
        target = str(self.target) if isinstance(self.target, Path) else self.target
        with (
            zipfile.ZipFile(self.frame) as frame,
            zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as out,
        ):
            for info in frame.infolist():
                data = frame.read(info)
                sheet = rows.get(info.filename)
                if sheet is None or sheet.row == sheet.top:
                    out.writestr(info, data)
                    continue
                head, tail = data.split(b"</sheetData>", 1)
                extent = f'<dimension ref="A1:{sheet.columns[-1]}{sheet.row + 1}"/>'.encode()
                head = _DIMENSION.sub(extent, head, count=1)
                with out.open(info, "w") as part:
                    part.write(head)
                    shutil.copyfileobj(sheet.file, part, 1 << 20)
                    part.write(b"</sheetData>" + tail)

    def __enter__(self) -> FastWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["FastWorkbook"]
