"""The dashboard's building blocks, counted from each responsible unit's own shares (an
`Assignment` with a measure and a unit) and from the measures' roll-ups (plans.rollup).

Definitions (docs/dashboards.md says the same in Chinese; tests check each against queries of
their own):

- a share is *done* when its status is 申请销号, 已完成, 已销号 or 长期坚持 (SHARE_DONE_STATUSES: the
  unit has done its part); *closed* when 已销号 or 长期坚持; *overdue* when its own due date has
  passed and it is still open (plans.selectors.share_overdue_condition); its level is its own
  预警 as of the last scan (blank before the first scan: 未评估).
- a share's progress as it counts in a mean: 100 when accepted or closed, its own latest report
  otherwise, 0 when it never reported (plans.rollup.share_progress); the mean is empty when no
  share has reported or been accepted.
- a measure is *done* when its rolled-up status is 已完成待验收, 已销号 or 已完成、长期坚持 (every
  counted share has done its part); *closed* when 已销号 or 已完成、长期坚持; *overdue* as in the
  ledger's 逾期 filter (plans.selectors.overdue_condition).
- completion rate: done ÷ all; "—" when there is nothing to count.
- a share's completion date: the earliest of its first counted report at 100 % (submitted or
  accepted), the first close-out application that covered it (closeout.shares: a share's own, its
  measure's or its problem's, counted shares only) and — for a closed share — its 销号 date; a done
  share whose date is unknown counts from this week. A measure's: the latest completion date of
  its counted shares (plans.rollup.counted).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from rectify.closeout.models import CloseoutApplication
from rectify.closeout.shares import counted_shares
from rectify.core.formats import format_percent
from rectify.plans import rollup
from rectify.plans.models import (
    SHARE_DONE_STATUSES,
    Assignment,
    ItemStatus,
    Measure,
    ShareStatus,
    WarningLevel,
)
from rectify.plans.selectors import overdue_condition, share_overdue_condition
from rectify.progress import compliance
from rectify.progress.periods import SHANGHAI, Period, week_of
from rectify.progress.selectors import first_full_reports

DONE_SHARE_STATUSES = [str(s) for s in SHARE_DONE_STATUSES]
CLOSED_SHARE_STATUSES = [ShareStatus.CLOSED.value, ShareStatus.ONGOING.value]
ACCEPTED_SHARE_STATUSES = [str(s) for s in rollup.ACCEPTED_SHARE_STATUSES]
DONE_MEASURE_STATUSES = [ItemStatus.COMPLETED.value, ItemStatus.ONGOING.value, ItemStatus.CLOSED.value]
CLOSED_MEASURE_STATUSES = [ItemStatus.CLOSED.value, ItemStatus.ONGOING.value]
TREND_WEEKS = 26  # the trend shows at most this many weeks, up to the current one


def rate(done: int, total: int) -> float | None:
    return round(done * 100 / total, 1) if total > 0 else None


@dataclass
class Counts:
    """Shares counted one way: how many, done, closed, by level, overdue, and their progress."""

    total: int = 0
    done: int = 0
    closed: int = 0
    red: int = 0
    yellow: int = 0
    green: int = 0
    overdue: int = 0
    progress_sum: int = 0
    reported: int = 0

    @property
    def unassessed(self) -> int:
        return self.total - self.red - self.yellow - self.green

    @property
    def rate(self) -> float | None:
        return rate(self.done, self.total)

    @property
    def rate_text(self) -> str:
        return format_percent(self.rate)

    @property
    def overdue_rate(self) -> float | None:
        return rate(self.overdue, self.total)

    @property
    def progress(self) -> float | None:
        """The mean progress (never reported = 0, accepted = 100); None when nobody reported."""
        return round(self.progress_sum / self.total, 1) if self.total and self.reported else None

    @property
    def progress_text(self) -> str:
        return format_percent(self.progress)

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "closed": self.closed,
            "rate": self.rate,
            "progress": self.progress,
            "red": self.red,
            "yellow": self.yellow,
            "green": self.green,
            "unassessed": self.unassessed,
            "overdue": self.overdue,
        }


@dataclass
class MeasureCounts:
    """Measures (their rolled-up figures): how many, done, closed, overdue, red."""

    total: int = 0
    done: int = 0
    closed: int = 0
    overdue: int = 0
    red: int = 0

    @property
    def rate(self) -> float | None:
        return rate(self.done, self.total)

    @property
    def rate_text(self) -> str:
        return format_percent(self.rate)

    def add(self, other: MeasureCounts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "closed": self.closed,
            "rate": self.rate,
            "overdue": self.overdue,
            "red": self.red,
        }


def share_counts(shares: QuerySet[Assignment], key: str | None, *, today: dt.date) -> dict[Any, Counts]:
    """`shares` counted per value of `key` (one grouped query; key None: one row under None)."""
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "done": Count("pk", filter=Q(status__in=DONE_SHARE_STATUSES)),
        "closed": Count("pk", filter=Q(status__in=CLOSED_SHARE_STATUSES)),
        "red": Count("pk", filter=Q(warning_level=WarningLevel.RED)),
        "yellow": Count("pk", filter=Q(warning_level=WarningLevel.YELLOW)),
        "green": Count("pk", filter=Q(warning_level=WarningLevel.GREEN)),
        "overdue": Count("pk", filter=share_overdue_condition(today)),
        "progress_sum": Sum(
            Case(
                When(status__in=ACCEPTED_SHARE_STATUSES, then=Value(100)),
                default=Coalesce("progress", Value(0)),
                output_field=IntegerField(),
            )
        ),
        "reported": Count("pk", filter=Q(progress__isnull=False) | Q(status__in=ACCEPTED_SHARE_STATUSES)),
    }
    qs = shares.order_by()
    if key is None:
        row = qs.aggregate(**aggregates)
        return {None: Counts(**{k: v or 0 for k, v in row.items()})}
    out: dict[Any, Counts] = {}
    for row in qs.values(key).annotate(**aggregates):
        group = row.pop(key)
        out[group] = Counts(**{k: v or 0 for k, v in row.items()})
    return out


def measure_counts(measures: QuerySet[Measure], key: str | None, *, today: dt.date) -> dict[Any, MeasureCounts]:
    aggregates: dict[str, Any] = {
        "total": Count("pk"),
        "done": Count("pk", filter=Q(status__in=DONE_MEASURE_STATUSES)),
        "closed": Count("pk", filter=Q(status__in=CLOSED_MEASURE_STATUSES)),
        "overdue": Count("pk", filter=overdue_condition(today)),
        "red": Count("pk", filter=Q(warning_level=WarningLevel.RED)),
    }
    qs = measures.order_by()
    if key is None:
        row = qs.aggregate(**aggregates)
        return {None: MeasureCounts(**{k: v or 0 for k, v in row.items()})}
    out: dict[Any, MeasureCounts] = {}
    for row in qs.values(key).annotate(**aggregates):
        group = row.pop(key)
        out[group] = MeasureCounts(**{k: v or 0 for k, v in row.items()})
    return out


# --- reporting ---------------------------------------------------------------------------------


@dataclass
class Reporting:
    """Weekly reports owed for one period by a set of units, filed by the deadline, filed late."""

    period: Period
    owed: int = 0
    on_time: int = 0
    late: int = 0
    units: int = 0
    units_missed: int = 0

    @property
    def missing(self) -> int:
        return self.owed - self.on_time - self.late

    @property
    def rate(self) -> float | None:
        """按时报送率: reports filed by the deadline ÷ reports owed."""
        return rate(self.on_time, self.owed)

    @property
    def rate_text(self) -> str:
        return format_percent(self.rate)

    @property
    def filed_rate(self) -> float | None:
        return rate(self.on_time + self.late, self.owed)

    def add(self, c: compliance.Compliance) -> None:
        self.owed += c.required
        self.on_time += c.on_time
        self.late += c.late
        self.units += 1
        self.units_missed += int(c.missed > 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.key,
            "label": self.period.label,
            "due_at": self.period.due_at.isoformat(),
            "owed": self.owed,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "rate": self.rate,
            "units": self.units,
            "units_missed": self.units_missed,
        }


def last_closed_week(now: dt.datetime, rule: Any) -> Period:
    """The latest week whose reporting deadline has passed (the one an office chases now)."""
    period = week_of(now.astimezone(SHANGHAI).date(), rule)
    while period.due_at > now:
        period = week_of(period.start - dt.timedelta(days=1), rule)
    return period


def compliance_by_unit(period: Period, unit_ids: Iterable[int] | None) -> dict[int, compliance.Compliance]:
    return {c.unit_id: c for c in compliance.period_compliance(period, unit_ids=unit_ids)}


def reporting_of(period: Period, rows: Iterable[compliance.Compliance]) -> Reporting:
    out = Reporting(period)
    for c in rows:
        out.add(c)
    return out


# --- completion dates and the trend ------------------------------------------------------------


def first_applications(shares: QuerySet[Assignment]) -> dict[int, dt.date]:
    """Per share: the day the first close-out application covering it was submitted (a share
    application covers its share; a measure's or a problem's its measures' counted shares)."""
    ids = shares.order_by().values("pk")
    apps = list(
        CloseoutApplication.objects.filter(submitted_at__isnull=False)
        .filter(
            Q(assignment_id__in=ids)
            | Q(assignment__isnull=True, measure_id__in=shares.order_by().values("measure_id"))
            | Q(problem_id__in=shares.order_by().values("problem_id"))
        )
        .order_by()
        .values_list("assignment_id", "measure_id", "problem_id", "submitted_at")
    )
    if not apps:
        return {}
    by_problem: dict[int, list[int]] = defaultdict(list)
    problem_ids = [p for _, _, p, _ in apps if p]
    for pk, problem_id in Measure.objects.filter(problem_id__in=problem_ids).order_by().values_list("pk", "problem_id"):
        by_problem[problem_id].append(pk)
    counted = counted_shares({m for a, m, _, _ in apps if m and not a} | {m for ms in by_problem.values() for m in ms})
    out: dict[int, dt.date] = {}
    for assignment_id, measure_id, problem_id, at in apps:
        if assignment_id:
            covered = [assignment_id]
        elif measure_id:
            covered = counted.get(measure_id, [])
        else:
            covered = [pk for m in by_problem.get(problem_id, []) for pk in counted.get(m, [])]
        day = at.astimezone(SHANGHAI).date() if at else None
        for pk in covered:
            if day is None:
                continue
            if pk not in out or day < out[pk]:
                out[pk] = day
    return out


def completion_date(
    status: str, full_on: dt.date | None, closed_on: dt.date | None, applied_on: dt.date | None = None
) -> dt.date | None:
    known = [d for d in (full_on, applied_on, closed_on if status in CLOSED_SHARE_STATUSES else None) if d]
    return min(known) if known else None


def share_done_dates(shares: QuerySet[Assignment], *, today: dt.date) -> list[dt.date]:
    """The completion date of every done share (today when unknown)."""
    done = shares.filter(status__in=DONE_SHARE_STATUSES).order_by()
    full, applied = first_full_reports(done.values("pk")), first_applications(done)
    return [
        completion_date(status, full.get(pk), closed_on, applied.get(pk)) or today
        for pk, status, closed_on in done.values_list("pk", "status", "closed_on")
    ]


def measure_done_dates(measures: QuerySet[Measure], *, today: dt.date) -> list[dt.date]:
    """The completion date of every done measure: the latest of its counted shares' (today when
    any of them is unknown, or the measure has no share)."""
    done = measures.filter(status__in=DONE_MEASURE_STATUSES).order_by()
    shares = Assignment.objects.filter(measure_id__in=done.values("pk"), unit__isnull=False).order_by()
    rows: dict[int, list[tuple[str, int, str, dt.date | None]]] = defaultdict(list)
    for pk, measure_id, role, status, closed_on in shares.values_list(
        "pk", "measure_id", "role", "status", "closed_on"
    ):
        rows[measure_id].append((role, pk, status, closed_on))
    full, applied = first_full_reports(shares.values("pk")), first_applications(shares)
    out: list[dt.date] = []
    for measure_id in done.values_list("pk", flat=True):
        dates = [
            completion_date(status, full.get(pk), closed_on, applied.get(pk))
            for _, pk, status, closed_on in rollup.counted(rows.get(measure_id, []))
        ]
        known = [d for d in dates if d is not None]
        out.append(max(known) if known and len(known) == len(dates) else today)
    return out


@dataclass
class TrendPoint:
    """One week: measures and shares due by its end (the plan's schedule), done by its end."""

    start: dt.date
    end: dt.date
    measures_due: int
    measures_done: int
    shares_due: int
    shares_done: int
    measures_new: int = 0
    shares_new: int = 0
    links: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.start:%m-%d}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.start.isoformat(),
            "end": self.end.isoformat(),
            "measures_due": self.measures_due,
            "measures_done": self.measures_done,
            "measures_new": self.measures_new,
            "shares_due": self.shares_due,
            "shares_done": self.shares_done,
            "shares_new": self.shares_new,
        }


def _cumulative(dates: Iterable[tuple[dt.date, int]], ends: list[dt.date]) -> list[int]:
    ordered = sorted(dates)
    out, i, running = [], 0, 0
    for end in ends:
        while i < len(ordered) and ordered[i][0] <= end:
            running += ordered[i][1]
            i += 1
        out.append(running)
    return out


def trend(
    *, measures: QuerySet[Measure], shares: QuerySet[Assignment], start: dt.date | None, today: dt.date
) -> list[TrendPoint]:
    """Week by week from the plan's start (at most TREND_WEEKS weeks, up to this week):
    cumulative measures and shares due by the week's end (their due dates) and done by it."""
    if start is None:
        return []
    this_monday = today - dt.timedelta(days=today.weekday())
    first = max(start - dt.timedelta(days=start.weekday()), this_monday - dt.timedelta(weeks=TREND_WEEKS - 1))
    if first > this_monday:
        first = this_monday
    mondays = [first + dt.timedelta(weeks=i) for i in range((this_monday - first).days // 7 + 1)]
    ends = [m + dt.timedelta(days=6) for m in mondays]
    before = [first - dt.timedelta(days=1)]

    def due(qs: QuerySet[Any]) -> list[tuple[dt.date, int]]:
        return list(qs.order_by().exclude(due_on=None).values_list("due_on").annotate(n=Count("pk")))

    m_due, s_due = due(measures), due(shares)
    m_done = [(d, 1) for d in measure_done_dates(measures, today=today)]
    s_done = [(d, 1) for d in share_done_dates(shares, today=today)]
    series = [_cumulative(x, ends) for x in (m_due, m_done, s_due, s_done)]
    prev_m, prev_s = _cumulative(m_done, before)[0], _cumulative(s_done, before)[0]
    points = []
    for i, (monday, end) in enumerate(zip(mondays, ends, strict=True)):
        point = TrendPoint(monday, end, series[0][i], series[1][i], series[2][i], series[3][i])
        point.measures_new, point.shares_new = point.measures_done - prev_m, point.shares_done - prev_s
        prev_m, prev_s = point.measures_done, point.shares_done
        points.append(point)
    return points
