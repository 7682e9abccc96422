"""Tables in Word and HTML plans → lines of plan text.

Owns `flatten_table` and `TableContext`. A ledger-layout table (a header row with 问题, 整改措施,
…) becomes labelled text problem by problem. A table without a header row takes the header of
the table before it in the same document when it has as many columns (a ledger continued on the
next page), or failing that has its columns' meaning inferred from their content (numbers,
deadlines, unit names, numbered measures); either way every label it writes carries a qualifier
(整改措施（按内容推断）：…) so the parser marks those fields for review. A key/value row such as
| 整改时限 | 2022年12月底 | — or several pairs in one row, | 责任单位 | … | 责任人 | … | — becomes
"整改时限：2022年12月底"; any other row gives its cells' lines in order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rectify.plans.deadlines import DeadlineKind, parse_deadline

from .ledger_layout import find_header, group_rows, record_lines
from .patterns import CN_NUM, MEASURE_RE, ORDINAL_SPLIT_RE, PROBLEM_RE, QUALIFIER_CARRIED, QUALIFIER_CONTENT, label_of
from .units import split_units

_KEY_PUNCT = re.compile(r"[。，；,;！？!?]")
_NUMBER_CELL_RE = re.compile(rf"^[（(]?(?:\d{{1,3}}|{CN_NUM})[）)]?[、.．]?$")
_ORGAN_END_RE = re.compile(
    r"(?:局|委|办|厅|院|政府|党委|党工委|中心|公司|管委会|办公室|部|队|所|站|处|街道|乡|镇|集团|小组|单位|部门)$"
)
_PERSON_RE = re.compile(r"负责同志|负责人|局长|主任|书记|县长|市长|区长|部长|经理|厂长|乡长|镇长|主席|组长|同志")
_STATUS_CELL_RE = re.compile(
    r"^(?:已完成|已整改|基本完成|长期坚持|持续推进|推进中|正在推进|未完成|已销号)(?:[、，,].{0,8})?[。]?$"
)


@dataclass(slots=True)
class TableContext:
    """What one document's earlier tables tell a later one: the last ledger header seen."""

    mapping: dict[int, str] | None = None
    width: int = 0


def _key_like(text: str) -> bool:
    return 0 < len(text) <= 12 and "\n" not in text and not _KEY_PUNCT.search(text)


def _share(cells: list[str], test: Callable[[str], object]) -> float:
    values = [c for c in cells if c]
    if not values:
        return 0.0
    return sum(1 for c in values if test(c)) / len(values)


def _is_deadline(cell: str) -> bool:
    return len(cell) <= 40 and parse_deadline(cell).kind is not DeadlineKind.UNKNOWN


def _is_units(cell: str) -> bool:
    names = split_units(cell)
    return len(cell) <= 120 and bool(names) and all(_ORGAN_END_RE.search(n) for n in names)


def _is_person(cell: str) -> bool:
    return len(cell) <= 30 and bool(_PERSON_RE.search(cell))


def _has_measures(cell: str) -> bool:
    lines = cell.split("\n")
    return any(MEASURE_RE.match(line) for line in lines) or bool(ORDINAL_SPLIT_RE.search(cell[1:]))


def infer_columns(rows: list[list[str]]) -> dict[int, str] | None:
    """column → field for a ledger table without a header row, from what its cells hold.

    Needs a number column first, a problem column, a column of numbered measures and a column
    of deadlines or of units; every non-empty column must get a meaning, or None.
    """
    width = max((len(r) for r in rows), default=0)
    if width < 4 or not rows:
        return None
    columns = [[r[i] if i < len(r) else "" for r in rows] for i in range(width)]
    if _share(columns[0], _NUMBER_CELL_RE.match) < 0.8:
        return None
    mapping: dict[int, str] = {0: "number"}
    free = [i for i in range(1, width) if any(columns[i])]
    for name, test in (("deadline", _is_deadline), ("status", _STATUS_CELL_RE.match)):
        scores = [(_share(columns[i], test), i) for i in free]
        best = max(scores, default=(0.0, -1))
        if best[0] >= 0.6:
            mapping[best[1]] = name
            free.remove(best[1])
    for name, test in (("units", _is_units), ("person", _is_person), ("measures", _has_measures)):
        scores = [(_share(columns[i], test), -i) for i in free]
        best = max(scores, default=(0.0, 1))
        if best[0] >= 0.5:
            mapping[-best[1]] = name
            free.remove(-best[1])
    measures = next((i for i, name in mapping.items() if name == "measures"), None)
    if measures is None or not ({"deadline", "units"} & set(mapping.values())):
        return None
    text_columns = [i for i in free if i < measures]
    if not text_columns:
        return None
    mapping[text_columns[0]] = "problem"
    if len(text_columns) > 1:
        mapping[text_columns[1]] = "goal"
    if len(mapping) < len([c for c in columns if any(c)]):
        return None  # a column we cannot name: read the table cell by cell instead
    return mapping


def _pairs(cells: list[str]) -> list[tuple[str, str]] | None:
    """| 键 | 值 | 键 | 值 | → the pairs, when every key is key-like and one is a known label."""
    if len(cells) < 4 or len(cells) % 2:
        return None
    pairs = list(zip(cells[0::2], cells[1::2], strict=True))
    if not all(_key_like(k) for k, _ in pairs):
        return None
    if not any(label_of(k.rstrip("：:") + "：") for k, _ in pairs):
        return None
    return pairs


def _pair_lines(key: str, value: str) -> list[str]:
    key = key.rstrip("：:")
    first, *rest = value.split("\n")
    marker = PROBLEM_RE.match(key)
    if marker and not marker.group(2):  # | （一） | 问题描述 |
        return [f"{key}{first}", *rest]
    return [f"{key}：{first}", *rest]


def flatten_table(rows: list[list[str]], context: TableContext | None = None) -> list[str]:
    """Rows of cell texts (a cell's paragraphs joined by newlines) → plan text lines."""
    rows = [[(cell or "").strip() for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    header = find_header(rows, scan=3)
    if header is not None:
        index, mapping = header
        if context is not None:
            context.mapping, context.width = mapping, len(rows[index])
        above = [line for row in rows[:index] for cell in row for line in cell.split("\n")]
        return above + record_lines(group_rows(rows, index, mapping))
    width = max((len(r) for r in rows), default=0)
    if context is not None and context.mapping and width == context.width and width >= 4:
        if _share([r[0] for r in rows], _NUMBER_CELL_RE.match) >= 0.8:
            return record_lines(group_rows(rows, -1, context.mapping), f"（{QUALIFIER_CARRIED}）")
    inferred = infer_columns(rows)
    if inferred is not None:
        return record_lines(group_rows(rows, -1, inferred), f"（{QUALIFIER_CONTENT}）")
    lines: list[str] = []
    for row in rows:
        cells: list[str] = []
        for cell in row:
            # a horizontally merged cell repeats its text in every grid column
            if cell and (not cells or cells[-1] != cell):
                cells.append(cell)
        if len(cells) == 2 and _key_like(cells[0]):
            lines.extend(_pair_lines(cells[0], cells[1]))
            continue
        pairs = _pairs(cells)
        if pairs is not None:
            for key, value in pairs:
                lines.extend(_pair_lines(key, value))
            continue
        for cell in cells:
            lines.extend(cell.split("\n"))
    return lines
