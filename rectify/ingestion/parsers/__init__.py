"""Plan parsers: bytes or text in, dataclasses out. Pure Python, no Django, no ORM.

The public surface: `parse_plan(text, known_units=…)`, `parse_plan_bytes(data, filename,
known_units=…)`, `read_plan_bytes(data, filename)`, `plan_to_dict(plan)`, `parse_ledger_xlsx(data)`,
`ledger_rows(plan_dict)`, `split_units(text)`, `find_milestones(text)` and the two errors.
`known_units` is the unit directory's names, passed in by the caller so the parser stays pure.
"""

from __future__ import annotations

from .errors import ParseError, PlanError, PlanReadError
from .ledger_layout import LEDGER_COLUMNS
from .ledger_xlsx import ledger_rows, parse_ledger_xlsx
from .milestones import find_milestones
from .model import (
    Chapter,
    Doubt,
    Measure,
    Milestone,
    ParsedPlan,
    ParseWarning,
    Problem,
    plan_to_dict,
)
from .plan_text import parse_plan
from .readers import MAX_PLAN_BYTES, parse_plan_bytes, read_plan_bytes
from .units import split_units

__all__ = [
    "LEDGER_COLUMNS",
    "MAX_PLAN_BYTES",
    "Chapter",
    "Doubt",
    "Measure",
    "Milestone",
    "ParseError",
    "ParseWarning",
    "ParsedPlan",
    "PlanError",
    "PlanReadError",
    "Problem",
    "find_milestones",
    "ledger_rows",
    "parse_ledger_xlsx",
    "parse_plan",
    "parse_plan_bytes",
    "plan_to_dict",
    "read_plan_bytes",
    "split_units",
]
