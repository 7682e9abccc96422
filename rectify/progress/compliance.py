"""Which reports were owed for a reporting period and which came by its deadline (按时报送), and the
record of units that missed one (未按时报送): obligations start from each plan's start date (or the
reporting calendar's), never from when the rows were created."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, DateTimeField, F, Q, Value, When

from rectify.core import clock
from rectify.plans.models import Plan

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


def periods_compliance(
    periods: Sequence[Period], *, as_of: dt.datetime | None = None
) -> dict[tuple[str, dt.date], list[Compliance]]:
    """`period_compliance` of every unit for each of `periods` (keyed by kind and start), in two
    grouped queries for all of them: a scan that walks several deadlines (its first run, a
    catch-up) reads the shares and reports once, not once per period. A share owes a period's
    report when its plan started by the period's end: when a plan started between the periods'
    ends, both queries are grouped by the plan's start too and summed per period here."""
    out: dict[tuple[str, dt.date], list[Compliance]] = {(p.kind, p.start): [] for p in periods}
    calendar = calendar_get()
    wanted = [p for p in periods if not (calendar.starts_on and p.due_at.date() < calendar.starts_on)]
    if not wanted:
        return out
    plan_start = "measure__problem__plan__start_on"
    first, last = min(p.end for p in wanted), max(p.end for p in wanted)
    required = required_assignments().filter(**{f"{plan_start}__lte": last})
    # The same shares owe every period unless a plan started between the periods' ends.
    by_start = Plan.objects.filter(start_on__gt=first, start_on__lte=last).exists()
    owed: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for row in required.order_by().values("unit_id", *([plan_start] if by_start else [])).annotate(n=Count("pk")):
        owed[row["unit_id"]].append((row[plan_start] if by_start else first, row["n"]))
    due = Case(
        *[When(kind=p.kind, period_start=p.start, then=Value(p.due_at)) for p in wanted], output_field=DateTimeField()
    )
    which = Q()
    for p in wanted:
        which |= Q(kind=p.kind, period_start=p.start)
    filed: dict[tuple[str, dt.date, int], list[tuple[dt.date, int, int]]] = defaultdict(list)
    for row in (
        ProgressReport.objects.filter(
            which, first_submitted_at__isnull=False, assignment_id__in=required.order_by().values("pk")
        )
        .order_by()
        .values("kind", "period_start", "unit_id", **({"started": F(f"assignment__{plan_start}")} if by_start else {}))
        .annotate(
            on_time=Count("pk", filter=Q(first_submitted_at__lte=due)),
            late=Count(
                "pk",
                filter=Q(first_submitted_at__gt=due) & (Q(first_submitted_at__lte=as_of) if as_of is not None else Q()),
            ),
        )
    ):
        key = (row["kind"], row["period_start"], row["unit_id"])
        filed[key].append((row.get("started", first), row["on_time"], row["late"]))
    for p in wanted:
        rows = out[(p.kind, p.start)]
        for unit_id in sorted(owed):
            n = sum(count for started, count in owed[unit_id] if started <= p.end)
            if not n:
                continue
            mine = [
                (on_time, late)
                for started, on_time, late in filed.get((p.kind, p.start, unit_id), ())
                if started <= p.end
            ]
            rows.append(Compliance(unit_id, n, sum(c[0] for c in mine), sum(c[1] for c in mine)))
    return out


def missed_record(
    period: Period, *, at: dt.datetime | None = None, found: list[Compliance] | None = None
) -> list[MissedReport]:
    """Record every unit that had not reported by `period`'s deadline, as seen at `at` (default
    now; a replayed day passes its own end); returns the new rows (a second run records nothing).
    `found`: the period's compliance already worked out (`periods_compliance`)."""
    if found is None:
        found = period_compliance(period, as_of=at)
    rows = [c for c in found if c.missed > 0]
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
