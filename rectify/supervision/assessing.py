"""Assessing shares: the rows the warning rules read (a share with its measure's deadline, its
plan's start and horizon, milestones and, for recurring items, the days reported on) and their
assessments (rules.assess). Reads only: the scan (supervision.scan) and the pages, exports and
documents that show reasons fresh use the same inputs, so they always agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db.models import Max, QuerySet

from rectify.plans.models import Assignment, Measure, Milestone, Problem, ShareStatus
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI

from . import rules

CHUNK = 900  # ids per IN (…): under SQLite's variable limit on every version


def thresholds() -> rules.Thresholds:
    return rules.Thresholds(
        due_soon_days=settings.RECTIFY_WARNING_DUE_SOON_DAYS,
        lag_tolerance=settings.RECTIFY_WARNING_LAG_TOLERANCE,
        recheck_days=settings.RECTIFY_WARNING_RECHECK_DAYS,
    )


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[Sequence[int]]:
    """`ids` in slices small enough for one IN (…) on every database."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(SHANGHAI).date() if value else None


# --- assessing ---------------------------------------------------------------------------------
#
# The unit of assessment is the share: one unit's part of a measure, with its own due date (an
# extension moves it), progress, last report, status and milestones reached. A measure's level
# is the roll-up of its shares' (plans.rollup).

SHARE_FIELDS = (
    "pk",
    "measure_id",
    "unit_id",
    "role",
    "measure__problem_id",
    "measure__problem__plan_id",
    "measure__problem__plan__start_on",
    "measure__deadline_kind",
    "measure__recurrence",
    "measure__start_on",
    "due_on",
    "status",
    "progress",
    "last_report_at",
    "warning_level",
    "warning_reasons",
    "milestones_reached",
)

# Share statuses as the rules know them: waiting for acceptance is not the unit's fault.
RULE_STATUS = {
    ShareStatus.NOT_STARTED: "in_progress",
    ShareStatus.IN_PROGRESS: "in_progress",
    ShareStatus.RELAPSED: "in_progress",
    ShareStatus.APPLYING: "completed",
    ShareStatus.COMPLETED: "completed",
    ShareStatus.CLOSED: "closed",
    ShareStatus.ONGOING: "ongoing",
}


def shares_of(measures: QuerySet[Measure] | None = None) -> QuerySet[Assignment]:
    """The shares (a concrete unit on a measure) of `measures`, or of every measure."""
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    if measures is not None:
        qs = qs.filter(measure_id__in=measures.values("pk"))
    return qs


def share_rows(qs: QuerySet[Assignment]) -> Iterator[dict[str, Any]]:
    """The fields `assessments` reads, streamed. A compound deadline's parts are read only for
    compound measures: decoding every measure's JSON was most of the scan's read time."""
    batch: list[dict[str, Any]] = []
    for row in qs.order_by().values(*SHARE_FIELDS).iterator(chunk_size=5000):
        batch.append(row)
        if len(batch) >= 5000:
            yield from _with_parts(batch)
            batch = []
    yield from _with_parts(batch)


def _with_parts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    compound = sorted({r["measure_id"] for r in rows if r["measure__deadline_kind"] == "compound"})
    parts: dict[int, Any] = {}
    for chunk in chunks(compound):
        parts.update(Measure.objects.filter(pk__in=chunk).values_list("pk", "deadline_parts"))
    for r in rows:
        r["deadline_parts"] = parts.get(r["measure_id"]) or ()
    return rows


def plan_horizons() -> dict[int, dt.date]:
    """The latest due date of each plan: what a "按序时进度" item runs up to. A recurring problem's
    date is only its current period's end, which moves on every period: not a horizon."""
    return {
        plan_id: due
        for plan_id, due in Problem.objects.exclude(deadline_kind="recurring")
        .values("plan_id")
        .annotate(h=Max("due_on"))
        .values_list("plan_id", "h")
        if due
    }


def plan_horizons_of(plan_ids: Iterable[int]) -> dict[int, dt.date]:
    """`plan_horizons()` of a few plans only: re-assessing one measure reads its own plan's
    horizon, not an aggregate of every problem of every plan."""
    return {
        plan_id: due
        for plan_id, due in Problem.objects.filter(plan_id__in=sorted(set(plan_ids)))
        .exclude(deadline_kind="recurring")
        .order_by()
        .values("plan_id")
        .annotate(h=Max("due_on"))
        .values_list("plan_id", "h")
        if due
    }


def measure_milestones(measure_ids: Iterable[int] | None = None) -> dict[int, list[tuple[int, dt.date, str]]]:
    """Every milestone of the measures (id, due, raw): whether it is reached is the share's own."""
    qs = Milestone.objects.all()
    if measure_ids is not None:
        qs = qs.filter(measure_id__in=list(measure_ids))
    out: dict[int, list[tuple[int, dt.date, str]]] = defaultdict(list)
    for pk, measure_id, due, raw in qs.order_by().values_list("pk", "measure_id", "due_on", "raw"):
        out[measure_id].append((pk, due, raw))
    return out


def item_input(
    row: dict[str, Any], horizons: dict[int, dt.date], milestones: list[tuple[int, dt.date, str]]
) -> rules.ItemInput:
    reached = row.get("milestones_reached") or {}
    return rules.ItemInput(
        kind=row["measure__deadline_kind"],
        due=row["due_on"],
        start=row["measure__start_on"],
        status=RULE_STATUS.get(row["status"], "in_progress"),
        plan_start=row["measure__problem__plan__start_on"],
        progress=row["progress"],
        last_report=_local_date(row["last_report_at"]),
        parts=row.get("deadline_parts") or (),
        milestones=[rules.MilestoneInput(due=due, raw=raw, reached=str(pk) in reached) for pk, due, raw in milestones],
        plan_horizon=horizons.get(row["measure__problem__plan_id"]),
        recurrence=row.get("measure__recurrence") or "",
        reports=tuple(row.get("report_dates") or ()),
    )


def assess_share(share: Assignment, *, today: dt.date) -> rules.Assessment:
    """One share's assessment now (pages show reasons fresh, not as stored at the last scan)."""
    return next(assessments(share_rows(Assignment.objects.filter(pk=share.pk)), today=today))[1]


def report_days(share_ids: Iterable[int], *, upto: dt.date) -> dict[int, list[dt.date]]:
    """The days each share's unit reported on it, up to the end of `upto`: its counted reports
    (submitted or accepted), each dated by its first submission (a report returned and filed again
    keeps its first date, as it stays on time), in Asia/Shanghai."""
    end = dt.datetime.combine(upto, dt.time.max, tzinfo=SHANGHAI)
    out: dict[int, list[dt.date]] = defaultdict(list)
    for chunk in chunks(sorted(set(share_ids))):
        for share_id, first, submitted in (
            ProgressReport.objects.filter(assignment_id__in=chunk, status__in=COUNTED_STATUSES)
            .order_by()
            .values_list("assignment_id", "first_submitted_at", "submitted_at")
        ):
            at = first or submitted
            if at is not None and at <= end:
                out[share_id].append(at.astimezone(SHANGHAI).date())
    return out


def _recurs(row: dict[str, Any]) -> bool:
    if row["measure__deadline_kind"] == "recurring":
        return True
    return row["measure__deadline_kind"] == "compound" and any(
        isinstance(p, dict) and p.get("kind") == "recurring" for p in row.get("deadline_parts") or ()
    )


def _with_recurrence(rows: list[dict[str, Any]], today: dt.date) -> None:
    """Recurring shares are judged on the days their unit reported: read them (as of `today`, so an
    export as of a past day sees only what had been filed by then), and the period when the caller
    built its rows without it."""
    recurring = [r for r in rows if _recurs(r)]
    if not recurring:
        return
    missing = sorted({r["measure_id"] for r in recurring if "measure__recurrence" not in r})
    periods: dict[int, str] = {}
    for chunk in chunks(missing):
        periods.update(Measure.objects.filter(pk__in=chunk).values_list("pk", "recurrence"))
    days = report_days([r["pk"] for r in recurring if "report_dates" not in r], upto=today)
    for r in recurring:
        if "measure__recurrence" not in r:
            r["measure__recurrence"] = periods.get(r["measure_id"], "")
        r.setdefault("report_dates", days.get(r["pk"], []))


def assessments(rows: Iterable[dict[str, Any]], *, today: dt.date) -> Iterator[tuple[dict[str, Any], rules.Assessment]]:
    rows = list(rows)
    _with_recurrence(rows, today)
    # A page of shares (the board's 50) reads its own plans' horizons, not every plan's (100k: 23 → 2–8 ms).
    plans = {r["measure__problem__plan_id"] for r in rows}
    horizons = plan_horizons_of(plans) if len(plans) < CHUNK else plan_horizons()
    measure_ids = {r["measure_id"] for r in rows}
    milestones = measure_milestones(measure_ids) if len(measure_ids) < CHUNK else measure_milestones()
    th = thresholds()
    for row in rows:
        yield row, rules.assess(item_input(row, horizons, milestones.get(row["measure_id"], [])), today, th)


def reasons_json(a: rules.Assessment) -> list[dict[str, Any]]:
    """The reasons as a share stores them (`Assignment.warning_reasons`): without the words that
    change with the day, so a scan rewrites a share only when its outcome changes;
    `plans.warning_text.reasons_render` gives their words for a day."""
    return [
        {"level": str(r.level), "code": r.code, "message": r.message}
        if r.args is None
        else {"level": str(r.level), "code": r.code, "args": dict(r.args)}
        for r in a.reasons
    ]
