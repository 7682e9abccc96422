"""The ledger (台账) column layout offices use, shared by Excel, Word and HTML tables.

Owns `LEDGER_COLUMNS`, loose header matching (整改时限 / 完成时限, 问题 / 存在问题 / 反馈问题,
whitespace and line breaks inside header cells ignored, the header row anywhere near the top),
grouping rows into problems (a row without 序号 and 问题 continues the problem above, as merged
cells read), and `record_lines`: a ledger table rewritten as labelled plan text. Numbers stay as
written: 序号 1, 2, 3 give problems "1", "2", "3"; only （一） and 一 are Chinese numerals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .markers import number_in
from .patterns import CHAPTER_RE, PROBLEM_RE, int_to_cn, numeral_value

# The layout ledger_rows() writes and parse_ledger_xlsx() reads, left to right.
LEDGER_COLUMNS: list[str] = [
    "序号",
    "类别",
    "问题",
    "整改目标",
    "整改措施",
    "责任单位",
    "责任人",
    "验收单位",
    "整改时限",
]
# column field → accepted header spellings (after whitespace is removed)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("序号", "编号", "问题序号", "问题编号", "省编号", "督察编号"),
    "chapter": ("类别", "章节", "问题类别", "问题类型", "类型", "分类", "领域"),
    "problem": (
        "问题",
        "存在问题",
        "反馈问题",
        "问题描述",
        "督察反馈问题",
        "问题内容",
        "督察发现问题",
        "具体问题",
        "整改任务",
    ),
    "goal": ("整改目标", "目标"),
    "measures": ("整改措施", "主要措施", "具体措施", "措施"),
    "units": ("责任单位", "整改责任单位", "整改实施主体", "实施主体", "责任部门"),
    "lead": ("牵头单位", "牵头部门", "牵头责任单位"),
    "support": ("配合单位", "配合部门"),
    "person": ("责任人", "整改责任人"),
    "leader": ("责任领导", "分管领导", "包联领导"),
    "acceptance": ("验收单位", "牵头验收单位", "验收部门"),
    "acceptance_support": ("配合验收单位",),
    "deadline": ("整改时限", "完成时限", "整改期限", "整改时间", "时间节点", "完成时间", "时限"),
    # not 完成情况: the ledger export (documents/ledger.py) writes its tracking figures under that
    # header after the office layout, and a re-import must skip them
    "progress": (
        "整改完成情况",
        "整改落实情况",
        "整改进展情况",
        "整改进展",
        "进展情况",
        "落实情况",
        "整改成效",
        "整改情况",
    ),
    "status": ("整改状态", "完成状态", "是否完成", "状态"),
    "completed": ("整改完成时间", "实际完成时间", "完成整改时间", "销号时间"),
}
_ALIAS_FIELD = {alias: name for name, aliases in HEADER_ALIASES.items() for alias in aliases}
_FIELD_LABEL = {
    "goal": "整改目标",
    "measures": "整改措施",
    "units": "责任单位",
    "lead": "牵头单位",
    "support": "配合单位",
    "person": "责任人",
    "leader": "责任领导",
    "acceptance": "验收单位",
    "acceptance_support": "配合验收单位",
    "deadline": "整改时限",
    "progress": "整改完成情况",
    "status": "整改状态",
    "completed": "整改完成时间",
}
# the ledger's fields a problem draft takes over as they are (its text and number apart)
DRAFT_FIELDS = tuple(_FIELD_LABEL)


@dataclass(slots=True)
class LedgerRecord:
    line: int  # 1-based row number of the problem's first row
    fields: dict[str, str] = field(default_factory=dict)


def header_field(cell: str) -> str | None:
    key = re.sub(r"[\s:：*＊]+", "", cell or "")
    key = re.sub(r"[（(][^）)]*[）)]$", "", key)  # 责任单位（市级）
    return _ALIAS_FIELD.get(key)


def match_header(cells: list[str]) -> dict[int, str] | None:
    """column index → field, when the row is a ledger header (问题 and 整改措施 among ≥ 3)."""
    mapping: dict[int, str] = {}
    for i, cell in enumerate(cells):
        name = header_field(cell)
        if name and name not in mapping.values():
            mapping[i] = name
    names = set(mapping.values())
    if len(names) >= 3 and "problem" in names and ("measures" in names or "goal" in names):
        return mapping
    return None


def find_header(rows: list[list[str]], scan: int = 20) -> tuple[int, dict[int, str]] | None:
    for i, row in enumerate(rows[:scan]):
        mapping = match_header(row)
        if mapping:
            return i, mapping
    return None


def group_rows(rows: list[list[str]], header: int, mapping: dict[int, str], first_line: int = 1) -> list[LedgerRecord]:
    """Rows under the header → one record per problem; merged-cell rows fold into the one above."""
    records: list[LedgerRecord] = []
    for offset, row in enumerate(rows[header + 1 :], start=header + 1):
        cells = {name: (row[i] if i < len(row) else "").strip() for i, name in mapping.items()}
        if not any(cells.values()):
            continue
        starts = bool(cells.get("number") or cells.get("problem"))
        if starts or not records:
            records.append(LedgerRecord(offset + first_line, {k: v for k, v in cells.items() if v}))
            continue
        current = records[-1].fields
        for name, value in cells.items():
            if not value or value == current.get(name):
                continue
            current[name] = f"{current[name]}\n{value}" if name in current else value
    return records


def problem_number(value: str) -> tuple[str | None, str | None]:
    """序号 cell → (number as written, the cell when words surround the number).

    "（一）" and "一" give "一"; "1" and "1.0" (a spreadsheet's float) give "1"; "省编号第41号"
    gives ("41", "省编号第41号"); an empty or numberless cell gives (None, None).
    """
    text = re.sub(r"\s+", "", value or "")
    m = PROBLEM_RE.match(text)
    if m and not m.group(2):
        return m.group(1), None
    bare = text.strip("（）()、.．")
    if re.fullmatch(r"\d+(?:\.0+)?", bare):
        return str(int(float(bare))), None
    if bare and numeral_value(bare) is not None:
        return bare, None
    number = number_in(text) if text else None
    return (number, text) if number else (None, None)


def _numbered_line(problem: str, number_cell: str, qualifier: str) -> list[str]:
    """The line(s) opening one problem: "（一）…" as the seed writes it, else 序号 and 问题 labels."""
    marker = PROBLEM_RE.match(problem)
    if marker:
        if not qualifier:
            return [problem]
        number_cell, problem = marker.group(1), marker.group(2)
    number, raw = problem_number(number_cell)
    first, *rest = problem.split("\n")
    if number and raw is None and not number.isdigit() and not qualifier:
        return [f"（{number}）{first}", *rest]
    lines = [f"序号{qualifier}：{raw or number}"] if number else []
    return [*lines, f"问题描述{qualifier}：{first}", *rest]


def record_lines(records: list[LedgerRecord], qualifier: str = "") -> list[str]:
    """Records → labelled plan text the text parser reads ("（一）…", "整改目标：…", …).

    `qualifier` ("（按内容推断）") is written after every label when the columns' meaning was
    not read from the table's own header, so the parser marks those fields for review.
    """
    lines: list[str] = []
    chapter = None
    chapter_count = 0
    for record in records:
        f = record.fields
        if f.get("chapter") and f["chapter"] != chapter:
            chapter = f["chapter"]
            chapter_count += 1
            lines.append(chapter if CHAPTER_RE.match(chapter) else f"{int_to_cn(chapter_count)}、{chapter}")
        lines.extend(_numbered_line(f.get("problem", ""), f.get("number", ""), qualifier))
        for name, label in _FIELD_LABEL.items():
            if name not in f:
                continue
            value_lines = f[name].split("\n")
            if name in ("measures", "progress"):
                lines.append(f"{label}{qualifier}：")
                lines.extend(value_lines)
            else:
                lines.append(f"{label}{qualifier}：{value_lines[0]}")
                lines.extend(value_lines[1:])
    return lines
