"""The warning board's reads: measures by level, scoped like the ledger, and counts by level."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, When

from rectify.plans.models import Measure, WarningLevel
from rectify.plans.selectors import LedgerFilters, measure_list, with_ledger_relations

from . import rules
from .models import ScanRun, Warning
from .services import assessments, measure_rows

_LEVEL_RANK = Case(
    When(warning_level=WarningLevel.RED, then=0),
    When(warning_level=WarningLevel.YELLOW, then=1),
    When(warning_level=WarningLevel.GREEN, then=2),
    default=3,
    output_field=IntegerField(),
)


def warning_counts(*, viewer: Any, filters: LedgerFilters) -> dict[str, int]:
    """Counts per level for the board's filters, ignoring the level filter itself."""
    base = LedgerFilters(**{**filters.__dict__, "warnings": []})
    rows = measure_list(viewer=viewer, filters=base).order_by().values("warning_level").annotate(n=Count("pk"))
    counts = {level: 0 for level in WarningLevel.values}
    counts[""] = 0
    for row in rows:
        counts[row["warning_level"]] = row["n"]
    counts["none"] = counts.pop("")
    counts["total"] = sum(counts.values())
    return counts


def warning_board(*, viewer: Any, filters: LedgerFilters) -> QuerySet[Measure]:
    """Measures worst first, then by due date (the scoping and filters are the ledger's)."""
    qs = measure_list(viewer=viewer, filters=filters)
    return with_ledger_relations(qs.order_by(_LEVEL_RANK, "due_on", "problem_id", "seq"))


def annotate_reasons(measures: list[Measure], *, today: dt.date) -> list[tuple[Measure, rules.Assessment]]:
    """Each shown measure with its reasons as of today (fresh day counts, not the scan's)."""
    rows = Measure.objects.filter(pk__in=[m.pk for m in measures])
    by_pk = {row["pk"]: a for row, a in assessments(measure_rows(rows), today=today)}
    return [(m, by_pk[m.pk]) for m in measures if m.pk in by_pk]


def measure_warnings(measure: Measure) -> QuerySet[Warning]:
    return Warning.objects.filter(measure=measure).order_by("resolved_on", "-raised_on", "-id")


def last_scan() -> ScanRun | None:
    return ScanRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
