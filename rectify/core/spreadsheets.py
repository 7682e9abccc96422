"""Spreadsheet cells that cannot run (CSV/formula injection, OWASP "CSV Injection").

Excel, WPS and LibreOffice run a cell that starts with = + - @ (and, after a tab or carriage
return, the same) as a formula: `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` typed into a problem
text or a complaint must reach the reader as text. Every .xlsx the project writes uses
`WORKBOOK_OPTIONS`, or `STREAMING_WORKBOOK_OPTIONS` for large exports written row by row to a file
(XlsxWriter then writes every str as a string cell, never a formula); every
.csv passes each str through `csv_text`, which puts a leading apostrophe before such text, the
mark spreadsheets read as "this is text". Readers of our own files strip it again (`csv_untext`).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# strings_to_formulas: "=..." becomes a string cell; strings_to_urls: no live links either.
WORKBOOK_OPTIONS: dict[str, Any] = {"in_memory": True, "strings_to_urls": False, "strings_to_formulas": False}
# The same safety, each row flushed to a temporary file as it is written (strings inline in their
# cells): memory stays flat however many rows.
STREAMING_WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_urls": False,
    "strings_to_formulas": False,
}


def csv_text(value: Any) -> Any:
    """A CSV field that a spreadsheet shows as text; numbers and dates are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_untext(value: str) -> str:
    """The text `csv_text` protected, as it was (for importers of CSV files we wrote)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value
