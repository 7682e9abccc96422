"""A digest's figures: a few totals and the top rows of a small table, each number with the link
to the list that shows exactly those rows. Stored on Notification.data and rendered by the
notifications page as a compact table; `text()` is the short plain body (it may be emailed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOP_ROWS = 8  # rows a digest names; the rest are "等 N 个单位" with a link to the whole list
TEXT_NAMES = 5  # names the plain body spells out


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str = ""
    tone: str = ""  # a Bootstrap colour name: danger, warning, secondary…


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Figure, ...]


@dataclass
class Table:
    note: str  # one sentence: what the figures are ("截至2022年9月2日，您负责范围内的预警")
    totals: list[Figure]
    columns: list[Figure] = field(default_factory=list)  # header labels and tones of the rows' cells
    rows: list[Row] = field(default_factory=list)  # all rows, worst first: only TOP_ROWS are kept
    more_url: str = ""  # the whole list (every row)
    unit_word: str = "个单位"

    @property
    def shown(self) -> list[Row]:
        return self.rows[:TOP_ROWS]

    @property
    def hidden(self) -> int:
        return max(0, len(self.rows) - TOP_ROWS)

    def as_data(self) -> dict[str, Any]:
        def fig(f: Figure) -> dict[str, Any]:
            return {"label": f.label, "count": f.count, "url": f.url, "tone": f.tone}

        return {
            "v": 1,
            "note": self.note,
            "totals": [fig(f) for f in self.totals],
            "columns": [fig(f) for f in self.columns],
            "rows": [{"label": r.label, "cells": [fig(c) for c in r.cells]} for r in self.shown],
            "more": (
                {"count": self.hidden, "text": f"等 {len(self.rows)} {self.unit_word}", "url": self.more_url}
                if self.hidden
                else None
            ),
        }

    def text(self, *, lead: str = "", ask: str = "") -> str:
        """The short plain body: the lead sentence, the totals, the first few rows by name."""
        totals = "，".join(f"{f.label} {f.count} 项" for f in self.totals)
        parts = [p for p in (lead, f"{self.note}：{totals}。" if totals else "") if p]
        if self.rows:
            named = "、".join(
                r.label + "（" + "、".join(f"{c.label}{c.count}" for c in r.cells if c.count) + "）"
                for r in self.rows[:TEXT_NAMES]
            )
            suffix = f"等 {len(self.rows)} {self.unit_word}" if len(self.rows) > TEXT_NAMES else ""
            parts.append(f"涉及：{named}{suffix}。")
        if ask:
            parts.append(ask)
        return "\n".join(parts)
