"""The dashboard's figures computed again, independently of rectify.dashboards: every row loaded
into Python and counted with plain loops over the written definitions (docs/dashboards.md), so a
test compares two different computations of the same number."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from rectify.closeout.models import CloseoutApplication
from rectify.complaints.models import CaseStatus, ComplaintBatch, ComplaintCase
from rectify.orgs.models import OrgUnit
from rectify.plans import rollup
from rectify.plans.models import Assignment, Measure, Problem, ProblemLeader
from rectify.progress.models import ProgressReport, ReportingCalendar
from rectify.progress.periods import SHANGHAI

DONE = {"applying", "completed", "closed", "ongoing"}
CLOSED = {"closed", "ongoing"}
ACCEPTED = {"completed", "closed", "ongoing"}
OPEN = {"not_started", "in_progress", "relapsed"}
REPORTING = OPEN | {"ongoing"}
UNDATED = {"immediate_ongoing", "ongoing", "completed"}
MEASURE_DONE = {"completed", "ongoing", "closed"}

# The hand-made state lives on a Wednesday: the last closed week is the one of 2022-09-26 (due
# Friday 09-30 17:00), the current week the one of 2022-10-03 (due 10-07).
NOW = dt.datetime(2022, 10, 5, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
LAST_WEEK, THIS_WEEK = dt.date(2022, 9, 26), dt.date(2022, 10, 3)


def subtree(name: str) -> set[int]:
    units = _memo("units", lambda: list(OrgUnit.objects.all()))
    root = next(u for u in units if u.name == name)
    return {u.pk for u in units if u.path.startswith(root.path)}


_cache: dict[str, Any] | None = None


@contextmanager
def cached() -> Iterator[None]:
    """Load every row once for a block of checks that change nothing (the reference is slow)."""
    global _cache
    _cache = {}
    try:
        yield
    finally:
        _cache = None


def _memo(key: str, load: Any) -> Any:
    if _cache is None:
        return load()
    if key not in _cache:
        _cache[key] = load()
    return _cache[key]


def all_shares() -> list[Assignment]:
    return _memo(
        "shares",
        lambda: [
            a
            for a in Assignment.objects.select_related("measure__problem__plan", "unit").order_by("pk")
            if a.measure_id is not None and a.unit_id is not None
        ],
    )


def shares_in(units: set[int] | None, plan: int | None = None) -> list[Assignment]:
    return [
        a
        for a in all_shares()
        if (units is None or a.unit_id in units) and (plan is None or a.measure.problem.plan_id == plan)
    ]


def visible_measures(units: set[int] | None) -> list[Measure]:
    """The ledger's measures for a viewer: those of problems with any unit in its scope."""
    measures = _memo("measures", lambda: list(Measure.objects.select_related("problem").order_by("pk")))
    if units is None:
        return measures
    rows = _memo("assignments", lambda: list(Assignment.objects.values_list("problem_id", "unit_id")))
    problems = {p for p, u in rows if u in units}
    return [m for m in measures if m.problem_id in problems]


def county_measures(units: set[int] | None, county: set[int]) -> list[Measure]:
    """The ledger's county filter: measures with a share in the county (of visible problems)."""
    with_share = {a.measure_id for a in all_shares() if a.unit_id in county}
    return [m for m in visible_measures(units) if m.pk in with_share]


def overdue(a: Assignment, today: dt.date) -> bool:
    return a.due_on is not None and a.due_on < today and a.status in OPEN and a.measure.deadline_kind not in UNDATED


def tally(shares: list[Assignment], today: dt.date) -> dict[str, Any]:
    n = len(shares)
    done = sum(1 for a in shares if a.status in DONE)
    values = [100 if a.status in ACCEPTED else (a.progress or 0) for a in shares]
    reported = any(a.progress is not None or a.status in ACCEPTED for a in shares)
    red = sum(1 for a in shares if a.warning_level == "red")
    yellow = sum(1 for a in shares if a.warning_level == "yellow")
    green = sum(1 for a in shares if a.warning_level == "green")
    return {
        "total": n,
        "done": done,
        "closed": sum(1 for a in shares if a.status in CLOSED),
        "rate": round(100 * done / n, 1) if n else None,
        "progress": round(math.fsum(values) / n, 1) if n and reported else None,
        "red": red,
        "yellow": yellow,
        "green": green,
        "unassessed": n - red - yellow - green,
        "overdue": sum(1 for a in shares if overdue(a, today)),
    }


def measure_tally(measures: list[Measure], today: dt.date) -> dict[str, Any]:
    n = len(measures)
    done = sum(1 for m in measures if m.status in MEASURE_DONE)
    return {
        "total": n,
        "done": done,
        "closed": sum(1 for m in measures if m.status in {"closed", "ongoing"}),
        "rate": round(100 * done / n, 1) if n else None,
        "overdue": sum(
            1
            for m in measures
            if m.due_on is not None
            and m.due_on < today
            and m.status in {"in_progress", "completed"}
            and m.deadline_kind not in UNDATED
        ),
        "red": sum(1 for m in measures if m.warning_level == "red"),
    }


def counties() -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(kind="region", depth=1, is_active=True).order_by("path"))


def county_ranks(today: dt.date) -> dict[str, int | None]:
    """Rank by completion rate, then overdue rate, then red rate; equal on all three: same rank."""
    keys = {}
    for c in counties():
        shares = shares_in(subtree(c.name))
        if not shares:
            continue
        t = tally(shares, today)
        keys[c.name] = (
            -Fraction(t["done"], t["total"]),
            Fraction(t["overdue"], t["total"]),
            Fraction(t["red"], t["total"]),
        )
    ranks: dict[str, int | None] = {c.name: None for c in counties()}
    for name, key in keys.items():
        ranks[name] = 1 + sum(1 for other in keys.values() if other < key)
    return ranks


def weekly_reporting(monday: dt.date, units: set[int] | None) -> dict[str, int]:
    """Reports owed for the week (one per share still reporting, of a plan started by the week's
    end), filed by Friday 17:00 and after (the default calendar)."""
    due = dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(17, 0), tzinfo=SHANGHAI)
    calendar = ReportingCalendar.objects.filter(pk=1).first()
    if calendar and calendar.starts_on and due.date() < calendar.starts_on:
        return {"owed": 0, "on_time": 0, "late": 0}
    owed = [
        a
        for a in all_shares()
        if a.unit.is_active
        and a.status in REPORTING
        and a.measure.problem.plan.start_on <= monday + dt.timedelta(days=6)
        and (units is None or a.unit_id in units)
    ]
    ids = {a.pk for a in owed}
    on_time = late = 0
    reports = _memo(
        f"reports-{monday}", lambda: list(ProgressReport.objects.filter(kind="weekly", period_start=monday))
    )
    for r in reports:
        if r.assignment_id in ids and r.first_submitted_at is not None:
            if r.first_submitted_at <= due:
                on_time += 1
            else:
                late += 1
    return {"owed": len(owed), "on_time": on_time, "late": late}


def _lead_or_all(shares: list[Assignment]) -> list[Assignment]:
    lead = [a for a in shares if a.role == "lead"]
    return lead or shares


def completion_dates(today: dt.date) -> dict[int, dt.date]:
    """Every done share's completion date: earliest of its first counted 100 % report, the first
    close-out application covering it, its 销号 date if closed; today when none is known."""
    return _memo(f"dates-{today}", lambda: _completion_dates(today))


def _completion_dates(today: dt.date) -> dict[int, dt.date]:
    shares = all_shares()
    by_measure: dict[int, list[Assignment]] = defaultdict(list)
    for a in shares:
        by_measure[a.measure_id].append(a)  # type: ignore[index]
    known: dict[int, list[dt.date]] = defaultdict(list)
    for r in ProgressReport.objects.all():
        if r.status in {"submitted", "accepted"} and r.percent >= 100 and r.submitted_at:
            known[r.assignment_id].append(r.submitted_at.astimezone(SHANGHAI).date())
    for app in CloseoutApplication.objects.all():
        if app.submitted_at is None:
            continue
        day = app.submitted_at.astimezone(SHANGHAI).date()
        if app.assignment_id:
            covered = [app.assignment_id]
        elif app.measure_id:
            covered = [a.pk for a in _lead_or_all(by_measure[app.measure_id])]
        else:
            covered = [
                a.pk for m in Measure.objects.filter(problem_id=app.problem_id) for a in _lead_or_all(by_measure[m.pk])
            ]
        for pk in covered:
            known[pk].append(day)
    out = {}
    for a in shares:
        if a.status not in DONE:
            continue
        dates = list(known[a.pk])
        if a.status in CLOSED and a.closed_on:
            dates.append(a.closed_on)
        out[a.pk] = min(dates) if dates else today
    return out


def measure_completion_dates(measures: list[Measure], today: dt.date) -> list[dt.date]:
    dates = completion_dates(today)
    by_measure: dict[int, list[Assignment]] = defaultdict(list)
    for a in all_shares():
        by_measure[a.measure_id].append(a)  # type: ignore[index]
    out = []
    for m in measures:
        if m.status not in MEASURE_DONE:
            continue
        counted = _lead_or_all(by_measure[m.pk])
        if counted and all(a.pk in dates and a.status in DONE for a in counted):
            out.append(max(dates[a.pk] for a in counted))
        else:
            out.append(today)
    return out


def trend_point(measures: list[Measure], shares: list[Assignment], week_end: dt.date, today: dt.date) -> dict[str, int]:
    dates = completion_dates(today)
    return {
        "measures_due": sum(1 for m in measures if m.due_on and m.due_on <= week_end),
        "measures_done": sum(1 for d in measure_completion_dates(measures, today) if d <= week_end),
        "shares_due": sum(1 for a in shares if a.due_on and a.due_on <= week_end),
        "shares_done": sum(1 for a in shares if a.pk in dates and dates[a.pk] <= week_end),
    }


def visible_cases(units: set[int] | None) -> list[ComplaintCase]:
    cases = _memo("cases", lambda: list(ComplaintCase.objects.prefetch_related("support_units").order_by("pk")))
    if units is None:
        return cases
    return [
        c
        for c in cases
        if c.lead_unit_id in units or c.region_id in units or any(u.pk in units for u in c.support_units.all())
    ]


# --- the hand-made state ------------------------------------------------------------------------


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=SHANGHAI)


def report(
    a: Assignment, monday: dt.date, first: dt.datetime | None, percent: int, status: str = "submitted"
) -> ProgressReport:
    return ProgressReport(
        assignment=a,
        unit_id=a.unit_id,
        measure_id=a.measure_id,
        kind="weekly",
        period_start=monday,
        period_end=monday + dt.timedelta(days=6),
        progress_text="进展",
        percent=percent,
        status=status,
        first_submitted_at=first,
        submitted_at=first,
    )


def build_state(users: dict[str, Any]) -> None:
    """A month of work written straight into the ledger: statuses, progress, levels, due dates,
    reports, a close-out application, 交办件, a 反弹 problem and two 包联 leaders."""
    from rectify.audit.models import AuditEvent

    assert not AuditEvent.objects.filter(action="demo.history_loaded").exists(), "hand-made tests run first"
    shares = all_shares()
    statuses = ["in_progress", "in_progress", "completed", "applying", "in_progress", "closed", "not_started"]
    levels = ["green", "yellow", "red", "green", "", "green", "yellow", "green"]
    for i, a in enumerate(shares):
        a.status = statuses[i % len(statuses)]
        a.warning_level = levels[i % len(levels)]
        a.progress = None if i % 5 == 0 else (i * 7) % 101
        a.closed_on = dt.date(2022, 9, 1) + dt.timedelta(days=i % 20) if a.status == "closed" else None
        a.reopened_count = 1 if i % 97 == 0 else 0
        if i % 89 == 0:
            a.status = "relapsed"
        if i % 13 == 0 and a.due_on is None and a.measure.deadline_kind == "date":
            a.due_on = dt.date(2022, 8, 31)
        if i % 11 == 0 and a.due_on:
            a.due_on = a.due_on - dt.timedelta(days=200)  # an extension the other way: overdue now
    Assignment.objects.bulk_update(
        shares, ["status", "warning_level", "progress", "closed_on", "reopened_count", "due_on"], batch_size=500
    )
    rollup.measures_rollup(Measure.objects.values_list("pk", flat=True))
    by_pk = {a.pk: a for a in all_shares()}
    reporting = [a for a in by_pk.values() if a.status in REPORTING]
    reports = []
    for i, a in enumerate(reporting[:400]):
        if i % 4 == 0:
            reports.append(report(a, LAST_WEEK, at(LAST_WEEK + dt.timedelta(days=2), 9), 50))
        elif i % 4 == 1:
            reports.append(report(a, LAST_WEEK, at(LAST_WEEK + dt.timedelta(days=5), 9), 60))  # late: Saturday
        elif i % 4 == 2:
            reports.append(report(a, THIS_WEEK, at(THIS_WEEK + dt.timedelta(days=1), 15), 70))
    done = [a for a in by_pk.values() if a.status in DONE]
    reports += [report(a, dt.date(2022, 8, 1), at(dt.date(2022, 8, 3), 10), 100, status="accepted") for a in done[:30]]
    ProgressReport.objects.bulk_create(reports)
    m = done[40].measure
    CloseoutApplication.objects.create(
        measure=m, unit_id=done[40].unit_id, statement="完成", submitted_at=at(dt.date(2022, 7, 20), 10)
    )
    CloseoutApplication.objects.create(
        measure_id=done[50].measure_id,
        assignment=done[50],
        unit_id=done[50].unit_id,
        statement="完成",
        submitted_at=at(dt.date(2022, 6, 8), 10),
    )
    batch = ComplaintBatch.objects.create(batch_no=901)
    regions = list(OrgUnit.objects.filter(kind="region", depth=1).order_by("path"))
    lead = OrgUnit.objects.get(name="朔城区政府")
    for i in range(23):
        ComplaintCase.objects.create(
            batch=batch,
            code=f"D{i:03d}",
            content="举报内容",
            region=regions[i % len(regions)] if i % 9 else None,
            status=[CaseStatus.OPEN, CaseStatus.STAGE_CLOSED, CaseStatus.CLOSED][i % 3],
            lead_unit=lead if i % 4 == 0 else None,
        )
    Problem.objects.filter(number__in=["八", "二十"]).update(recurred=True)
    for number, kind in (("一", "lead"), ("二", "part"), ("十五", "lead")):
        ProblemLeader.objects.create(
            problem=Problem.objects.get(number=number), user=users["leader"], kind=kind, title="副市长"
        )
