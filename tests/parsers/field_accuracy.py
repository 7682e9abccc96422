"""Field-by-field comparison of a parse against a golden parse (for OCR'd plans).

A field is one value a reviewer checks and the ledger keeps: per problem its number, text, goal,
responsible, lead and support units, responsible person, acceptance unit, and the deadline's raw
text, kind and due date; per measure its number and text. A field counts as right only when it is
equal to the golden one after whitespace is removed (a unit list: equal as a list). Problems and
measures are matched by position; a missing or extra one makes all its fields wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PROBLEM_FIELDS = (
    "number",
    "text",
    "goal",
    "responsible_units",
    "lead_units",
    "support_units",
    "responsible_person",
    "acceptance_unit",
)
DEADLINE_FIELDS = ("raw", "kind", "due")
MEASURE_FIELDS = ("number", "text")
_SPACE = re.compile(r"\s+")


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACE.sub("", value)
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


@dataclass
class Accuracy:
    right: int = 0
    total: int = 0
    wrong: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 0.0

    def check(self, where: str, expected: Any, actual: Any) -> None:
        self.total += 1
        if _norm(expected) == _norm(actual):
            self.right += 1
        else:
            self.wrong.append(f"{where}: {str(expected)[:40]!r} ≠ {str(actual)[:40]!r}")


def field_accuracy(golden: dict[str, Any], parsed: dict[str, Any]) -> Accuracy:
    acc = Accuracy()
    got = parsed.get("problems", [])
    for i, expected in enumerate(golden["problems"]):
        actual = got[i] if i < len(got) else {}
        label = f"问题{expected['number']}"
        for name in PROBLEM_FIELDS:
            acc.check(f"{label}.{name}", expected.get(name), actual.get(name))
        for name in DEADLINE_FIELDS:
            got_deadline = actual.get("deadline") or {}
            acc.check(f"{label}.deadline.{name}", expected["deadline"].get(name), got_deadline.get(name))
        measures = actual.get("measures", [])
        for j, measure in enumerate(expected["measures"]):
            other = measures[j] if j < len(measures) else {}
            for name in MEASURE_FIELDS:
                acc.check(f"{label}.措施{measure['number']}.{name}", measure.get(name), other.get(name))
    return acc
