"""Which reports were owed for a reporting period and which came by its deadline (按时报送), and the
record of units that missed one (未按时报送): obligations start from each plan's start date (or the
reporting calendar's), never from when the rows were created."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from rectify.core import clock

from .models import MissedReport, ProgressReport
from .periods import Period
from .services import calendar_get, required_assignments


@dataclass(frozen=True)
class Compliance:
    unit_id: int
    required: int
    on_time: int
    late: int

    @property
    def missing(self) -> int:
        return self.required - self.on_time - self.late

    @property
    def missed(self) -> int:
        """Not filed by the deadline (late or still missing)."""
        return self.required - self.on_time


def owed_for(period: Period) -> Any:
    """The shares that owed a report for `period`: reporting shares of plans that had started by
    the period's end (a plan imported weeks after it was issued owes those weeks too)."""
    return required_assignments().filter(measure__problem__plan__start_on__lte=period.end)


def period_compliance(
    period: Period, *, unit_ids: Iterable[int] | None = None, as_of: dt.datetime | None = None
) -> list[Compliance]:
    """Per unit: how many reports it owed for `period`, how many came by the deadline, how many
    after (up to `as_of`, for a replayed day). Two grouped queries, whatever the number of measures."""
    required = owed_for(period)
    calendar = calendar_get()
    if calendar.starts_on and period.due_at.date() < calendar.starts_on:
        return []
    if unit_ids is not None:
        required = required.filter(unit_id__in=list(unit_ids))
    # order_by(): the default ordering would join problem and plan into a GROUP BY over every row.
    owed = dict(required.order_by().values_list("unit_id").annotate(n=Count("pk")).values_list("unit_id", "n"))
    filed = (
        ProgressReport.objects.filter(
            kind=period.kind,
            period_start=period.start,
            first_submitted_at__isnull=False,
            assignment_id__in=required.order_by().values("pk"),
        )
        .order_by()
        .values("unit_id")
        .annotate(
            on_time=Count("pk", filter=Q(first_submitted_at__lte=period.due_at)),
            late=Count(
                "pk",
                filter=Q(first_submitted_at__gt=period.due_at)
                & (Q(first_submitted_at__lte=as_of) if as_of is not None else Q()),
            ),
        )
    )
    counts = {row["unit_id"]: (row["on_time"], row["late"]) for row in filed}
    return [Compliance(unit_id, n, *counts.get(unit_id, (0, 0))) for unit_id, n in sorted(owed.items())]


def missed_record(period: Period, *, at: dt.datetime | None = None) -> list[MissedReport]:
    """Record every unit that had not reported by `period`'s deadline, as seen at `at` (default
    now; a replayed day passes its own end); returns the new rows (a second run records nothing)."""
    rows = [c for c in period_compliance(period, as_of=at) if c.missed > 0]
    existing = set(
        MissedReport.objects.filter(kind=period.kind, period_start=period.start).values_list("unit_id", flat=True)
    )
    now = at or clock.now()
    new = [
        MissedReport(
            unit_id=c.unit_id,
            kind=period.kind,
            period_start=period.start,
            period_end=period.end,
            due_at=period.due_at,
            missing=c.missed,
            required=c.required,
            detected_at=now,
            filed_at=now if c.missing == 0 else None,
        )
        for c in rows
        if c.unit_id not in existing
    ]
    MissedReport.objects.bulk_create(new, ignore_conflicts=True)
    return new
