"""Tables in Word and HTML plans → lines of plan text.

Owns `flatten_table`. A ledger-layout table (a header row with 问题, 整改措施, …) becomes labelled
text problem by problem; a two-column key/value row such as | 整改时限 | 2022年12月底 | becomes
"整改时限：2022年12月底"; any other row gives its cells' lines in order.
"""

from __future__ import annotations

import re

from .ledger_layout import find_header, group_rows, record_lines
from .patterns import PROBLEM_RE

_KEY_PUNCT = re.compile(r"[。，；,;！？!?]")


def _key_like(text: str) -> bool:
    return 0 < len(text) <= 12 and "\n" not in text and not _KEY_PUNCT.search(text)


def flatten_table(rows: list[list[str]]) -> list[str]:
    """Rows of cell texts (a cell's paragraphs joined by newlines) → plan text lines."""
    rows = [[(cell or "").strip() for cell in row] for row in rows]
    header = find_header(rows, scan=3)
    if header is not None:
        index, mapping = header
        above = [line for row in rows[:index] for cell in row for line in cell.split("\n")]
        return above + record_lines(group_rows(rows, index, mapping))
    lines: list[str] = []
    for row in rows:
        cells: list[str] = []
        for cell in row:
            # a horizontally merged cell repeats its text in every grid column
            if cell and (not cells or cells[-1] != cell):
                cells.append(cell)
        if len(cells) == 2 and _key_like(cells[0]):
            key = cells[0].rstrip("：:")
            first, *rest = cells[1].split("\n")
            marker = PROBLEM_RE.match(key)
            if marker and not marker.group(2):  # | （一） | 问题描述 |
                lines.append(f"{key}{first}")
            else:
                lines.append(f"{key}：{first}")
            lines.extend(rest)
            continue
        for cell in cells:
            lines.extend(cell.split("\n"))
    return lines
