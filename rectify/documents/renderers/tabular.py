"""Ledger exports as .xlsx and .csv (pure: rows in, bytes out).

The .xlsx uses the column layout offices already keep (the same layout the importer reads), so
export → import gives the same ledger.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import xlsxwriter

from rectify.core.spreadsheets import WORKBOOK_OPTIONS, csv_text

Sheet = tuple[str, str, Sequence[str], Sequence[Sequence[Any]]]


def render_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """Each sheet is (name, title, headers, rows): the title (the plan's name, which the importer
    reads back) above the header row. Long text wraps; title and header rows are frozen."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, WORKBOOK_OPTIONS)
    head = book.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1, "text_wrap": True, "valign": "vcenter"})
    cell = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    title_format = book.add_format({"bold": True, "font_size": 14})
    for name, title, headers, rows in sheets:
        sheet = book.add_worksheet(name[:31])
        top = 0
        if title:
            sheet.write(0, 0, title, title_format)
            top = 1
        sheet.write_row(top, 0, list(headers), head)
        widths = [max(6, min(60, len(str(h)) * 2 + 2)) for h in headers]
        for r, row in enumerate(rows, start=top + 1):
            for c, value in enumerate(row):
                text = "" if value is None else value
                sheet.write(r, c, text, cell)
                if isinstance(text, str):
                    widths[c] = max(widths[c], min(60, max((len(x) for x in text.split("\n")), default=0) + 2))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(top + 1, 0)
        if rows:
            sheet.autofilter(top, 0, top + len(rows), len(headers) - 1)
    book.close()
    return buffer.getvalue()


def render_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with BOM so Excel on Windows opens Chinese text correctly; text that a spreadsheet
    would run as a formula is written as text (rectify.core.spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_text(h) for h in headers])
    for row in rows:
        writer.writerow(["" if v is None else csv_text(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
