"""Every .xlsx and .csv Rectify writes keeps formula-like text as text, and an imported .xlsx
whose formulas carry no stored result is named on the review page, not silently emptied."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
import xlsxwriter
from django.urls import reverse

from rectify.core.spreadsheets import FORMULA_STARTS, csv_text, csv_untext
from rectify.documents.renderers.tabular import render_csv, render_xlsx
from rectify.ingestion.parsers.ledger_xlsx import LEDGER_COLUMNS, parse_ledger_xlsx
from rectify.ingestion.parsers.xlsx_formulas import uncached_formulas
from rectify.plans.models import Problem

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/c","点此查看")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
]


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return "".join(book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))


def test_an_xlsx_holds_formula_like_text_as_plain_strings() -> None:
    data = render_xlsx([("表", "标题", ["问题", "数"], [[text, 3] for text in HOSTILE])])
    assert "<f>" not in _sheet_xml(data) and "<f " not in _sheet_xml(data)
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in rows[2:]] == HOSTILE
    assert [r[1] for r in rows[2:]] == [3] * len(HOSTILE)


def test_a_csv_marks_formula_like_text_as_text_and_leaves_numbers_alone() -> None:
    data = render_csv(["问题", "数"], [[text, -3] for text in HOSTILE] + [["普通文字", 1.5]])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    for (cell, number), text in zip(rows[1:], HOSTILE, strict=False):
        assert cell == "'" + text and number == "-3"
        assert csv_untext(cell) == text
    assert rows[-1] == ["普通文字", "1.5"]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_csv_text_round_trips_every_dangerous_start(start: str) -> None:
    text = start + "x"
    assert csv_text(text).startswith("'") and csv_untext(csv_text(text)) == text
    assert csv_text("'普通") == "'普通" and csv_untext("'普通") == "'普通"


def _strip_cached_values(data: bytes) -> bytes:
    """The workbook as a program that never calculated it would write it: <f> without <v>."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"(</f>)<v>[^<]*</v>", rb"\1", content)
            dst.writestr(item, content)
    return out.getvalue()


def _ledger_with_formulas() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("台账")
    sheet.write_row(0, 0, LEDGER_COLUMNS)
    row = dict.fromkeys(LEDGER_COLUMNS, "")
    row.update({LEDGER_COLUMNS[0]: "1", LEDGER_COLUMNS[1]: "一、大气污染防治"})
    values = list(row.values())
    sheet.write_row(1, 0, values)
    problem_col = LEDGER_COLUMNS.index("问题") if "问题" in LEDGER_COLUMNS else 2
    sheet.write_formula(1, problem_col, '="燃煤锅炉"&"未淘汰"')
    book.close()
    return _strip_cached_values(out.getvalue())


def test_formula_cells_without_a_stored_result_are_found_by_sheet_and_cell() -> None:
    data = _ledger_with_formulas()
    assert "<v>" not in _sheet_xml(data).split("<f>")[1][:80]
    cells = uncached_formulas(data)
    assert len(cells) == 1 and cells[0].startswith("台账 ")


def test_the_review_is_warned_of_formula_cells_that_read_as_empty() -> None:
    plan = parse_ledger_xlsx(_ledger_with_formulas())
    assert "公式单元格没有保存计算结果" in plan.warnings[0].message and "台账 C2" in plan.warnings[0].message


def test_a_workbook_with_calculated_formulas_gets_no_warning() -> None:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.add_worksheet("表").write_formula(0, 0, "=1+1", None, 2)
    book.close()
    assert uncached_formulas(out.getvalue()) == []
    assert uncached_formulas(b"not a zip") == []


@pytest.mark.django_db
def test_the_ledger_exports_write_a_hostile_problem_text_as_text(client_for: Any) -> None:
    problem = Problem.objects.order_by("pk").first()
    assert problem is not None
    problem.text = "=cmd|' /C calc'!A0 群众反映"
    problem.save(update_fields=["text"])
    client = client_for("city_office")
    xlsx = client.get(reverse("documents:ledger_export") + "?format=xlsx")
    assert xlsx.status_code == 200
    body = b"".join(xlsx.streaming_content) if getattr(xlsx, "streaming", False) else xlsx.content
    assert "<f>" not in _sheet_xml(body)
    # Written row by row (constant memory), strings sit inline in their cells: t="inlineStr".
    assert re.search(r'<c [^>]*t="inlineStr"[^>]*><is><t[^>]*>=cmd\|', _sheet_xml(body))
    text = client.get(reverse("documents:ledger_export") + "?format=csv")
    raw = b"".join(text.streaming_content) if getattr(text, "streaming", False) else text.content
    assert "'=cmd|" in raw.decode("utf-8-sig")
    assert "\n=cmd|" not in raw.decode("utf-8-sig") and ",=cmd|" not in raw.decode("utf-8-sig")
