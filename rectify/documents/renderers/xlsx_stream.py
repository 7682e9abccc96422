"""An .xlsx written row by row to a file (XlsxWriter's constant_memory mode), for exports too large
to hold: each row goes to disk as it is written. Pure: rows in, a file out.

The sheets look like tabular.render_xlsx's (title above a frozen header row, wrapped text, column
widths from the longest line, an autofilter), and are as safe: every str is a text cell, never a
formula or a link (rectify.core.spreadsheets). In this mode strings are written inline in each
cell (t="inlineStr") rather than in a shared-strings table; spreadsheets read both alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import xlsxwriter

from rectify.core.spreadsheets import STREAMING_WORKBOOK_OPTIONS


class StreamingSheet:
    def __init__(self, book: StreamingWorkbook, name: str, title: str, headers: Sequence[str]) -> None:
        self._sheet = book._book.add_worksheet(name[:31])
        self._cell = book._cell
        self._top = 0
        if title:
            self._sheet.write(0, 0, title, book._title)
            self._top = 1
        self._sheet.write_row(self._top, 0, list(headers), book._head)
        self._columns = len(headers)
        self._widths = [max(6, min(60, len(str(h)) * 2 + 2)) for h in headers]
        self._row = self._top
        self._done = False

    def write_row(self, row: Sequence[Any]) -> None:
        self._row += 1
        widths = self._widths
        sheet, r, cell = self._sheet, self._row, self._cell
        for c, value in enumerate(row):
            if value is None or value == "":
                sheet.write_blank(r, c, None, cell)
            elif isinstance(value, str):
                # What write() does with a str under STREAMING_WORKBOOK_OPTIONS, without its checks.
                sheet.write_string(r, c, value, cell)
                longest = max(len(x) for x in value.split("\n")) + 2
                if longest > widths[c]:
                    widths[c] = min(60, longest)
            else:
                sheet.write(r, c, value, cell)

    def finish(self) -> None:
        if self._done:
            return
        self._done = True
        for c, width in enumerate(self._widths):
            self._sheet.set_column(c, c, width)
        self._sheet.freeze_panes(self._top + 1, 0)
        if self._row > self._top:
            self._sheet.autofilter(self._top, 0, self._row, self._columns - 1)


class StreamingWorkbook:
    """`with StreamingWorkbook(file) as book: sheet = book.add_sheet(...); sheet.write_row(...)`.
    Write the sheets one after another; each sheet's rows in order."""

    def __init__(self, target: str | IO[bytes], *, tmpdir: str | None = None) -> None:
        options = dict(STREAMING_WORKBOOK_OPTIONS)
        if tmpdir:
            options["tmpdir"] = tmpdir
        self._book = xlsxwriter.Workbook(target, options)
        self._head = self._book.add_format(
            {"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"}
        )
        self._cell = self._book.add_format({"text_wrap": True, "valign": "top", "border": 1})
        self._title = self._book.add_format({"bold": True, "font_size": 14})
        self._sheets: list[StreamingSheet] = []

    def add_sheet(self, name: str, title: str, headers: Sequence[str]) -> StreamingSheet:
        if self._sheets:
            self._sheets[-1].finish()
        sheet = StreamingSheet(self, name, title, headers)
        self._sheets.append(sheet)
        return sheet

    def close(self) -> None:
        for sheet in self._sheets:
            sheet.finish()
        self._book.close()

    def __enter__(self) -> StreamingWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
