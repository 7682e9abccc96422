"""Word (.docx) plans → text: paragraphs and tables in document order.

Owns `read_docx`. Tables are flattened by tables.flatten_table (key/value rows become
"整改时限：2022年12月底", ledger tables become labelled text, with or without a header row; a
table without one may take the header of the table before it). Headers, footers and text boxes
are not part of a plan's body and are not read. A paragraph numbered by Word's list feature gets
the number Word draws in front of it (docx_numbering), in the body and in table cells alike, so
the parser reads "（一）" and "1." as the reader of the document sees them.
"""

from __future__ import annotations

import io
from typing import Any

from .docx_numbering import ListNumbering
from .errors import PlanReadError
from .readers import check_zip
from .tables import TableContext, flatten_table


def _cell_text(cell: Any, numbering: ListNumbering) -> str:
    from docx.table import Table

    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Table):
            parts.extend(flatten_table(_rows(block, numbering)))
        else:
            parts.append(numbering.prefix(block._p) + block.text)
    return "\n".join(parts)


def _rows(table: Any, numbering: ListNumbering) -> list[list[str]]:
    """Cell texts row by row; a vertically merged cell is read once, in its first row."""
    rows: list[list[str]] = []
    above: list[Any] = []
    for row in table.rows:
        cells = list(row.cells)
        texts: list[str] = []
        for i, cell in enumerate(cells):
            merged_from_above = i < len(above) and above[i] is cell._tc
            texts.append("" if merged_from_above else _cell_text(cell, numbering))
        above = [cell._tc for cell in cells]
        rows.append(texts)
    return rows


def read_docx(data: bytes) -> str:
    check_zip(data, "Word ")
    try:
        import docx
        from docx.table import Table

        document = docx.Document(io.BytesIO(data))
        numbering = ListNumbering.of(document)  # counters run through body and tables in order
        lines: list[str] = []
        context = TableContext()  # a table without a header may continue the one before it
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(flatten_table(_rows(block, numbering), context))
            else:
                lines.append(numbering.prefix(block._p) + block.text)
    except PlanReadError:
        raise
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise PlanReadError("Word 文件已损坏或不是有效的 .docx 文件，无法读取。") from exc
    return "\n".join(lines)
