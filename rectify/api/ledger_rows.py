"""The API ledger list without model objects: flat rows from values() turned into exactly what
`serializers.MeasureSerializer` returns (the same fields, order and formats; the schema is still
that serializer's, and tests/web/test_api_ledger_rows.py compares the two on every field).

A page of 50 measures with 3 shares each built ~200 model objects and walked DRF's nested
serializers field by field: more than half the time of a list request (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from rectify.core import clock
from rectify.plans import selectors, warning_text

_date = serializers.DateField().to_representation
_datetime = serializers.DateTimeField().to_representation


def _d(value: Any) -> str | None:
    return None if value is None else _date(value)


def _dt(value: Any) -> str | None:
    return None if value is None else _datetime(value)


def _share(row: dict[str, Any], today: dt.date) -> dict[str, Any]:
    return {
        "id": row["id"],
        "unit": row["unit_id"],
        "unit_name": row["unit__name"],
        "phrase": row["phrase"],
        "role": row["role"],
        "needs_confirmation": row["needs_confirmation"],
        "status": row["status"],
        "progress": row["progress"],
        "due_on": _d(row["due_on"]),
        "due_extended": row["due_extended"],
        "warning_level": row["warning_level"],
        "warning_reasons": warning_text.reasons_render(row["warning_reasons"], today),
        "last_report_at": _dt(row["last_report_at"]),
        "closed_on": _d(row["closed_on"]),
        "reopened_count": row["reopened_count"],
    }


def _milestone(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "raw": row["raw"],
        "due_on": _d(row["due_on"]),
        "precision": row["precision"],
        "reached_on": _d(row["reached_on"]),
    }


def ledger_rows(page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A page of `selectors.ledger_values` rows as the API's measure objects (two more queries)."""
    shares, milestones = selectors.ledger_children([row["id"] for row in page])
    today = clock.today()
    out = []
    for m in page:
        due = _d(m["due_on"])
        progress = m["progress"]
        out.append(
            {
                "id": m["id"],
                "problem": m["problem_id"],
                "problem_number": m["problem__number"],
                "number": m["number"],
                "seq": m["seq"],
                "text": m["text"],
                "status": m["status"],
                "due_on": due,
                "deadline": {
                    "raw": m["deadline_raw"],
                    "kind": m["deadline_kind"],
                    "due": due,
                    "start": _d(m["start_on"]),
                    "parts": m["deadline_parts"],
                    "recurrence": m["recurrence"] or None,
                },
                "milestones": [_milestone(r) for r in milestones[m["id"]]],
                "assignments": [_share(r, today) for r in shares[m["id"]]],
                "progress": None if progress is None else float(progress),
                "warning_level": m["warning_level"],
                "last_report_at": _dt(m["last_report_at"]),
                "closed_on": _d(m["closed_on"]),
                "reopened_count": m["reopened_count"],
                "version": m["version"],
                "source": m["source"],
            }
        )
    return out
