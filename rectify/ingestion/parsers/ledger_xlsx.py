"""Excel ledgers (整改台账) ↔ parsed plans.

Owns `parse_ledger_xlsx` (read with python-calamine: each row one problem, its 整改措施 cell split
into measures exactly as the text parser splits a 整改措施 block) and `ledger_rows`, which lays a
parsed plan out in `LEDGER_COLUMNS` for an exporter to write — so that exporting and importing
again gives back the same problems, measures, units and deadlines.
"""

from __future__ import annotations

import io
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from .dates import plan_year
from .errors import ParseError, PlanReadError
from .ledger_layout import DRAFT_FIELDS, LEDGER_COLUMNS, find_header, group_rows, problem_number
from .model import Chapter, ParsedPlan, ParseWarning
from .patterns import CHAPTER_RE, PROBLEM_RE, int_to_cn, numeral_value
from .plan_text import finish_drafts
from .problems import ProblemDraft, numbering_warnings
from .readers import check_size, check_zip
from .repairs import Para, join_paragraphs, normalize_line
from .xlsx_formulas import LIMIT, uncached_formulas

__all__ = ["LEDGER_COLUMNS", "ledger_rows", "parse_ledger_xlsx"]

NO_LEDGER_MESSAGE = (
    f"未找到整改措施清单：表格中没有含“问题”和“整改措施”等列名的表头行。台账的列应为：{'、'.join(LEDGER_COLUMNS)}。"
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):  # a date-formatted 整改时限 cell
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _sheets(data: bytes) -> list[tuple[str, list[list[str]]]]:
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets.append((name, [[_cell(v) for v in row] for row in rows]))
        return sheets
    except PlanReadError:
        raise
    except Exception as exc:  # calamine raises its own error types on a damaged workbook
        raise PlanReadError("Excel 文件已损坏或不是有效的表格文件，无法读取。") from exc


def _paras(value: str, line: int) -> list[Para]:
    """A cell's lines, repaired like plan text, all numbered with the cell's row."""
    return join_paragraphs([(line, normalize_line(part)) for part in value.split("\n")])


def parse_ledger_xlsx(data: bytes, *, known_units: Collection[str] | None = None) -> ParsedPlan:
    """An .xlsx/.xls ledger → ParsedPlan (the first sheet with a ledger header row)."""
    check_size(data)
    if data[:2] == b"PK":
        check_zip(data, "Excel ")
    for _, rows in _sheets(data):
        header = find_header(rows)
        if header is None:
            continue
        index, mapping = header
        title_cells = [normalize_line(c) for row in rows[:index] for c in row if c.strip()]
        plan = _build(rows, index, mapping, title_cells[0] if title_cells else "", known_units)
        cells = uncached_formulas(data)
        if cells:
            more = "等" if len(cells) >= LIMIT else ""
            plan.warnings.insert(
                0,
                ParseWarning(
                    0,
                    f"表格中有 {len(cells)}{more} 个公式单元格没有保存计算结果，读入为空：{'、'.join(cells[:10])}"
                    f"{'…' if len(cells) > 10 else ''}。请在 Excel/WPS 中打开并保存（重新计算）后再导入，"
                    "或逐项核对下方内容是否缺漏。",
                ),
            )
        return plan
    raise ParseError(NO_LEDGER_MESSAGE)


def _build(
    rows: list[list[str]], index: int, mapping: dict[int, str], title: str, known_units: Collection[str] | None
) -> ParsedPlan:
    chapters: list[Chapter] = []
    chapter_number: str | None = None
    chapter_text: str | None = None
    drafts: list[ProblemDraft] = []
    for position, record in enumerate(group_rows(rows, index, mapping), start=1):
        fields = record.fields
        line = record.line
        chapter_cell = normalize_line(fields.get("chapter", ""))
        if chapter_cell and chapter_cell != chapter_text:
            chapter_text = chapter_cell
            m = CHAPTER_RE.match(chapter_cell)
            if m and numeral_value(m.group(1)) is not None:
                number, name = m.group(1), m.group(2).rstrip("。").strip()
            else:
                number, name = int_to_cn(len(chapters) + 1), chapter_cell.rstrip("。")
            chapters.append(Chapter(number, name, line))
            chapter_number = number
        problem_text = "\n".join(p.text for p in _paras(fields.get("problem", ""), line))
        marker = PROBLEM_RE.match(problem_text)
        number_raw = None
        if marker and not fields.get("number"):
            number, problem_text = marker.group(1), marker.group(2).strip()
        else:
            number, number_raw = problem_number(fields.get("number", ""))
        draft = ProblemDraft(number, position, chapter_number, line, number_raw=number_raw)
        draft.fields["text"] = [Para(line, problem_text)] if problem_text else []
        for name in DRAFT_FIELDS:
            if name in fields:
                draft.fields[name] = _paras(fields[name], line)
        drafts.append(draft)
    if not drafts:
        raise ParseError(NO_LEDGER_MESSAGE)
    deadline_raws = [p.text for d in drafts for p in d.fields.get("deadline", [])]
    year, source = plan_year(title, [], [], deadline_raws)
    problems, warnings = finish_drafts(drafts, year, known_units)
    warnings.extend(numbering_warnings(problems))
    warnings.sort(key=lambda w: w.line)
    return ParsedPlan(title, chapters, problems, warnings, None, [], plan_year=year, plan_year_source=source)


def _units_cell(problem: dict[str, Any]) -> str:
    support = problem.get("support_units") or []
    if not support:
        return "、".join(problem.get("responsible_units") or [])
    lead = problem.get("lead_units") or []
    marked = [f"{name}（牵头）" for name in lead] + [f"{name}（配合）" for name in support]
    return "、".join(marked)


def ledger_rows(plan: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """A plan_to_dict() dict → (LEDGER_COLUMNS, one row of cell texts per problem)."""
    chapters = {c["number"]: c["title"] for c in plan.get("chapters", [])}
    rows: list[list[str]] = []
    for problem in plan.get("problems", []):
        chapter = problem.get("chapter")
        measures = "\n".join(
            f"{m['number']}.{m['text']}" if m.get("number") else m["text"] for m in problem.get("measures", [])
        )
        rows.append(
            [
                f"（{problem['number']}）",
                f"{chapter}、{chapters[chapter]}" if chapter in chapters else "",
                problem.get("text", ""),
                problem.get("goal", ""),
                measures,
                _units_cell(problem),
                problem.get("responsible_person") or "",
                problem.get("acceptance_unit") or "",
                (problem.get("deadline") or {}).get("raw", ""),
            ]
        )
    return list(LEDGER_COLUMNS), rows
