"""The ledger export written as it is read: .json and .csv as a stream of pieces, .xlsx row by row
to temporary files put into the workbook when it closes (ledger_xlsx). One problem at a time is in
memory (documents.ledger.export_stream); the .csv and .xlsx rows are made from its measures as
read, the .json from its entry (`_JsonText`).

The output is the same as writing the whole export at once: the JSON is the export dict (each
problem on a line of its own), the CSV one row per measure (UTF-8 with BOM; text a spreadsheet would run as a
formula written as text), the .xlsx the office column layout plus the tracking columns, one sheet
per plan.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import IO, Any

from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse

from rectify.core.formats import format_percent
from rectify.core.spreadsheets import FORMULA_STARTS, csv_text
from rectify.ingestion.parsers.ledger_xlsx import LEDGER_COLUMNS, ledger_rows
from rectify.plans.models import DeadlineKind, ItemStatus

from .ledger import (
    FORMATS,
    Finish,
    LedgerExport,
    MeasureRow,
    measure_entry,
    measure_figures,
    measure_reasons,
    problem_figures,
    with_figures,
)
from .ledger_rules import LABELS
from .ledger_xlsx import FastWorkbook

CSV_HEADERS = [
    "方案",
    "问题编号",
    "问题",
    "措施编号",
    "整改措施",
    "责任单位",
    "责任人",
    "验收单位",
    "整改时限",
    "时限类型",
    "到期日",
    "状态",
    "销号日期",
    "进度",
    "预警",
    "预警原因",
    "最近报送",
    "分单位情况",
]
# The CSV is read by people (its headers are Chinese): kinds and statuses in words, as the pages
# show them (the JSON keeps the codes).
KIND_WORDS: dict[str, str] = dict(DeadlineKind.choices)
STATUS_WORDS: dict[str, str] = dict(ItemStatus.choices)
TRACKING_COLUMNS = ["整改进度", "完成情况", "预警", "预警原因", "最近报送", "销号日期"]
FLUSH_AT = 256 * 1024  # characters gathered before a piece goes out


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- JSON ----------------------------------------------------------------------------------------


def json_pieces(export: LedgerExport) -> Iterator[str]:
    """The export dict as JSON, written a problem at a time: the outer levels indented by two
    spaces, each problem (with its measures and shares) on one line of its own. (Indenting every
    level, as before, took Python's pure-Python encoder and most of the export's time.)"""
    yield f'{{\n  "as_of": {_dumps(export.as_of.isoformat())},\n  "plans": '
    if not export.plans:
        yield "[]\n}"
        return
    yield "["
    problem_text = _JsonText().problem
    for i, plan in enumerate(export.plans):
        yield (
            ("," if i else "")
            + f'\n    {{\n      "title": {_dumps(plan["title"])},\n      "start_on": {_dumps(plan["start_on"])},'
            + '\n      "problems": ['
        )
        buffer: list[str] = []
        size = 0
        first = True
        for text in export.rows(i, problem_text):
            buffer.append(("\n        " if first else ",\n        ") + text)
            first = False
            size += len(text)
            if size >= FLUSH_AT:
                yield "".join(buffer)
                buffer, size = [], 0
        buffer.append("]" if first else "\n      ]")
        yield "".join(buffer) + "\n    }"
    yield "\n  ]\n}"


_NULL, _TRUE, _FALSE = "null", "true", "false"


def _encoder() -> Callable[[Any], str]:
    """json.dumps(value, ensure_ascii=False) without the check for cycles (entries are trees), and
    with one C encoder for the export: JSONEncoder.encode makes one per call (~150,000 calls)."""
    encoder = json.JSONEncoder(ensure_ascii=False, check_circular=False)
    if c_make_encoder is None:  # pragma: no cover - CPython has it
        return encoder.encode
    # The arguments JSONEncoder.iterencode gives it (Python 3.11–3.13).
    chunks = c_make_encoder(None, encoder.default, encode_basestring, None, ": ", ", ", False, False, True)

    def encode(value: Any) -> str:
        if value.__class__ is str:
            return encode_basestring(value)
        return "".join(chunks(value, 0))

    return encode


class _JsonText:
    """A problem's entry as json.dumps(entry, ensure_ascii=False) writes it, the same text made
    faster: one encoder for the export, without the check for cycles (entries are trees); each
    measure's shares (half the text) written from their entries' values, whose text repeats
    (units, statuses, dates; a warning is one object for all the shares of its key) and is
    encoded once. tests/domain/test_ledger_stream.py holds it to json.dumps' bytes."""

    def __init__(self) -> None:
        self.encode = _encoder()
        self.texts: dict[str, str] = {}  # a str's JSON text
        self.warnings: dict[int, tuple[dict[str, Any], str]] = {}  # by id, with the object (ids are reused)

    def problem(self, entry: dict[str, Any], rows: list[MeasureRow], support_counts: bool) -> str:
        measures = [measure_entry(r, support_counts, assignments=False) for r in rows]
        with_figures(entry, measures)
        del entry["measures"]  # its last key: written after the others
        encode = self.encode
        texts = [
            encode(m)[:-1] + ', "assignments": [' + ", ".join(self.shares(r)) + "]}"
            for m, r in zip(measures, rows, strict=True)
        ]
        return encode(entry)[:-1] + ', "measures": [' + ", ".join(texts) + "]}"

    def shares(self, r: MeasureRow) -> list[str]:
        """The measure's "assignments": its shares' entries (ledger._Chunk.measure_rows makes them
        with these keys, in this order), then its units to be confirmed."""
        known_text, text, warnings, encode, out = self.texts.get, self._text, self.warnings, self.encode, []
        for e in r.shares:
            warning = e["warning"]
            known = warnings.get(id(warning))
            if known is None or known[0] is not warning:
                if len(warnings) > 50_000:
                    warnings.clear()
                known = warnings[id(warning)] = (warning, encode(warning))
            unit, role, status, label = e["unit"], e["role"], e["status"], e["status_label"]
            progress, due, extended = e["progress"], e["due"], e["extended"]
            last, closed, reopened = e["last_report"], e["closed_on"], e["reopened"]
            if progress.__class__ is not int:
                progress = _NULL if progress is None else encode(progress)
            out.append(
                f'{{"unit": {known_text(unit) or text(unit)}, "role": {known_text(role) or text(role)}, '
                f'"status": {known_text(status) or text(status)}, '
                f'"status_label": {known_text(label) or text(label)}, '
                f'"progress": {progress}, '
                f'"warning": {known[1]}, "due": {_NULL if due is None else known_text(due) or text(due)}, '
                f'"extended": {_TRUE if extended is True else _FALSE if extended is False else encode(extended)}, '
                f'"last_report": {_NULL if last is None else encode_basestring(last)}, '
                f'"closed_on": {_NULL if closed is None else known_text(closed) or text(closed)}, '
                f'"reopened": {reopened if reopened.__class__ is int else encode(reopened)}}}'
            )
        out += [encode(p) for p in r.pending]
        return out

    def _text(self, value: Any) -> str:
        """A value's JSON text, remembered for a str (those repeat)."""
        text = self.encode(value)
        if value.__class__ is str:
            self.texts[value] = text
        return text


# --- CSV -----------------------------------------------------------------------------------------


_PERCENT: dict[float | int, str] = {}


def _percent(value: float | int) -> str:
    """format_percent, remembered: progress takes few values (whole percents, tenths in roll-ups)."""
    text = _PERCENT.get(value)
    if text is None:
        text = _PERCENT[value] = format_percent(value)
    return text


def _share_text(a: dict[str, Any]) -> str:
    """One unit's share in one cell: 朔城区人民政府（牵头）整改中 90% 绿色 2022-06-30."""
    if a.get("status") is None:
        return f"{a['unit']}（待确认）"
    role = "牵头" if a["role"] == "lead" else "配合"
    progress = _percent(a["progress"]) if a["progress"] is not None else "未报送"
    return f"{a['unit']}（{role}）{a['status_label']} {progress} {a['warning']['label']} {a['due'] or ''}".rstrip()


def _text(value: str) -> str:
    """csv_text on a str: text a spreadsheet would run as a formula, marked as text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


_CSV_PERCENT: dict[float | int, str] = {}


def _csv_percent(value: float | int) -> str:
    text = _CSV_PERCENT.get(value)
    if text is None:
        text = _CSV_PERCENT[value] = _text(_percent(value))
    return text


def csv_problem(title: str) -> Finish:
    """A problem's rows, one per measure, made from its measures as read (without their .json
    entries), each text as csv_text writes it (formula-like text marked as text). Only the cells
    that can hold such text are checked: the problem number is written in （）, the dates are ISO
    (digits), the labels are the rules' own (see test_ledger_stream)."""
    title_cell = _text(title)

    def rows(p: dict[str, Any], measures: list[MeasureRow], support_counts: bool) -> list[list[str]]:
        head = [title_cell, f"（{p['number']}）", _text(p["text"])]
        person, acceptance = _text(p["responsible_person"] or ""), _text(p["acceptance_unit"] or "")
        out = []
        for r in measures:
            m, entries = r.row, r.shares
            shares = entries + r.pending if r.pending else entries
            rolled, level, _, progress = measure_figures(r, support_counts)
            kind = m[9]
            out.append(
                [
                    *head,
                    _text(m[2] or ""),
                    _text(m[3]),
                    _text("、".join([a["unit"] for a in shares])),
                    person,
                    acceptance,
                    _text(m[8] or ""),
                    KIND_WORDS.get(kind) or _text(kind or ""),
                    m[7].isoformat() if m[7] else "",
                    STATUS_WORDS.get(m[4]) or _text(m[4] or ""),
                    m[5].isoformat() if m[5] else "",
                    _csv_percent(progress) if progress is not None else "",
                    LABELS[level],
                    _text("；".join(measure_reasons(rolled))),
                    r.last or "",
                    _text("；".join([_share_text(a) for a in shares])),
                ]
            )
        return out

    return rows


def csv_pieces(export: LedgerExport) -> Iterator[bytes]:
    """UTF-8 with BOM (Excel on Windows then reads the Chinese right), one row per measure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([csv_text(h) for h in CSV_HEADERS])
    for i, plan in enumerate(export.plans):
        for rows in export.rows(i, csv_problem(plan["title"])):
            writer.writerows(rows)
            if buffer.tell() >= FLUSH_AT:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --- XLSX ----------------------------------------------------------------------------------------


def _as_parse_contract(problem: dict[str, Any], measures: list[MeasureRow]) -> dict[str, Any]:
    """An exported problem in the parse contract's shape, for the office column layout."""
    phrases: list[str] = []
    lead: list[str] = []
    support: list[str] = []
    for u in problem["units"]:
        if u["phrase"] in phrases:
            continue
        phrases.append(u["phrase"])
        (lead if u["role"] == "lead" else support).append(u["phrase"])
    return {
        "number": problem["number"],
        "index": problem["index"],
        "chapter": problem["chapter"],
        "text": problem["text"],
        "goal": problem["goal"],
        "measures": [{"number": r.row[2] or None, "text": r.row[3], "milestones": r.milestones} for r in measures],
        "responsible_units": phrases,
        "lead_units": lead if support else phrases,
        "support_units": support,
        "responsible_person": problem["responsible_person"],
        "acceptance_unit": problem["acceptance_unit"],
        "deadline": problem["deadline"],
    }


def xlsx_problem(title: str) -> Finish:
    """A plan's rows, one per problem: the office layout (ingestion's ledger_rows) and the
    tracking columns, made from the measures as read (without their .json entries). A chapter's
    title is the first one seen for its number (as when the plan is read whole)."""
    titles: dict[str, str] = {}

    def row(p: dict[str, Any], measures: list[MeasureRow], support_counts: bool) -> list[str]:
        chapter = p["chapter"]
        titles.setdefault(chapter, p["chapter_title"])
        contract = {
            "title": title,
            "chapters": [{"number": chapter, "title": titles[chapter]}],
            "problems": [_as_parse_contract(p, measures)],
        }
        _, (cells,) = ledger_rows(contract)
        figures = []
        reasons = []
        for r in measures:
            m = r.row
            rolled, level, _, progress = measure_figures(r, support_counts)
            figures.append((m[4], progress, level, r.last))
            label = f"措施{m[2]}" if m[2] else "措施"
            reasons += [f"{label}：{x}" for x in measure_reasons(rolled)]
        progress, level, completion, last = problem_figures(figures)
        return [
            *cells,
            _percent(progress) if progress is not None else "未报送",
            completion["text"],
            LABELS[level],
            "\n".join(reasons),
            (last or "")[:16].replace("T", " "),
            p["closed_on"] or "",
        ]

    return row


def write_xlsx(export: LedgerExport, target: str | IO[bytes], *, tmpdir: str | None = None) -> None:
    """One sheet per plan: its title above the office layout (what the importer reads back) and the
    tracking columns after it (a re-import skips them); one row per problem."""
    with FastWorkbook(target, tmpdir=tmpdir) as book:
        if not export.plans:
            book.add_sheet("整改台账", "", list(LEDGER_COLUMNS))
        for n, plan in enumerate(export.plans, start=1):
            name = f"台账{n}" if len(export.plans) > 1 else "整改台账"
            sheet = book.add_sheet(name, plan["title"], [*LEDGER_COLUMNS, *TRACKING_COLUMNS])
            sheet.write_rows(export.rows(n - 1, xlsx_problem(plan["title"])))


# --- whole files ---------------------------------------------------------------------------------


def write_export(export: LedgerExport, fmt: str, path: Path) -> None:
    """The export to a file, written as it is read."""
    if fmt == "xlsx":
        write_xlsx(export, str(path), tmpdir=str(path.parent))
        return
    with path.open("wb") as out:
        if fmt == "json":
            for piece in json_pieces(export):
                out.write(piece.encode("utf-8"))
        elif fmt == "csv":
            for chunk in csv_pieces(export):
                out.write(chunk)
        else:
            raise ValueError(f"不支持的导出格式：{fmt}")


def xlsx_tempfile(export: LedgerExport) -> IO[bytes]:
    """The .xlsx in an anonymous temporary file, rewound for reading (it is gone once closed)."""
    handle = tempfile.TemporaryFile()  # the caller (the response) closes it
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            write_xlsx(export, handle, tmpdir=tmpdir)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def export_response(export: LedgerExport, fmt: str, *, filename: str) -> HttpResponseBase:
    """A download that never holds the file: .json and .csv stream as they are read; the .xlsx
    (a zip, written whole before it can be read) is written row by row to a temporary file that
    is then streamed and removed."""
    response: HttpResponseBase
    if fmt == "xlsx":
        response = FileResponse(xlsx_tempfile(export), content_type=FORMATS[fmt])
    elif fmt == "json":
        response = StreamingHttpResponse(
            (piece.encode("utf-8") for piece in json_pieces(export)), content_type=FORMATS[fmt]
        )
    else:
        response = StreamingHttpResponse(csv_pieces(export), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f"attachment; filename={filename}"
    return response


__all__ = [
    "csv_pieces",
    "export_response",
    "json_pieces",
    "write_export",
    "write_xlsx",
    "xlsx_tempfile",
]
