"""The roll-up rule: a measure's and a problem's figures from the shares of their units.

A *share* is one unit's part of a measure (an `Assignment` with a measure and a unit). Each share
has its own progress, status, due date, warning and close-out; the measure shows roll-ups of them
by this rule (docs/rollup.md says the same in Chinese and English, and a test keeps them true):

* counted shares: the measure's lead (牵头) shares; all its shares when it has no lead. Support
  (配合) shares report and are warned on their own pages and on the board, and count in the
  measure's roll-up only when `RECTIFY_SUPPORT_IN_ROLLUP` is on (default off).
* progress: the mean of the counted shares' progress, a share that never reported counting as 0 and a
  share accepted or closed (已完成, 已销号, 长期坚持) as 100; None when no counted share has reported
  or been accepted.
* warning: the worst level among the counted shares (red > yellow > green); blank before a scan.
* status: 已销号 when every counted share is 已销号 or 长期坚持 (已完成、长期坚持 if any is 长期坚持),
  with the latest share 销号 date; 已完成待验收 when every counted share is done (申请销号, 已完成,
  已销号, 长期坚持); otherwise 整改中.
* last report: the latest report of any share (support included).
* a problem: progress is the mean of its measures' progress (plus the closed share of attached
  交办件 as one more part); warning the worst of its measures; last report the latest.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import F, OuterRef, Q, Subquery

from rectify.core import clock

from .models import (
    SHARE_DONE_STATUSES,
    Assignment,
    DeadlineKind,
    ItemStatus,
    Measure,
    Problem,
    ShareStatus,
    WarningLevel,
)
from .recurrence import current_due

CHUNK = 900
_LEVEL_ORDER = {"": -1, WarningLevel.GREEN: 0, WarningLevel.YELLOW: 1, WarningLevel.RED: 2}


def support_counts() -> bool:
    return bool(getattr(settings, "RECTIFY_SUPPORT_IN_ROLLUP", False))


def counted(shares: Sequence[Any], *, role_index: int = 0) -> list[Any]:
    """The shares a measure's figures come from (see the module's rule)."""
    if support_counts():
        return list(shares)
    lead = [s for s in shares if s[role_index] == Assignment.RoleKind.LEAD]
    return lead or list(shares)


def mean_progress(values: Sequence[float | int | None]) -> float | None:
    """Units (or measures) that never reported count as 0%: an average over reporters only would
    hide them. None when nobody has reported at all. The sum is exact (math.fsum), so the
    rows' order (which the database does not promise) cannot move a mean on a .x5 edge: 39.4,
    27.2, 23.4 and 26.2 added left to right give 29.0 in one order and 29.1 in another."""
    reported = [value for value in values if value is not None]
    return round(math.fsum(reported) / len(values), 1) if reported else None


ACCEPTED_SHARE_STATUSES = (ShareStatus.COMPLETED, ShareStatus.CLOSED, ShareStatus.ONGOING)


def share_progress(progress: float | int | None, status: str) -> float | int | None:
    """A share's progress as it counts in a roll-up: accepted or closed counts as done (100)."""
    return 100 if status in ACCEPTED_SHARE_STATUSES else progress


def worst_level(levels: Iterable[str]) -> str:
    result = ""
    for level in levels:
        if _LEVEL_ORDER.get(level, -1) > _LEVEL_ORDER[result]:
            result = level
    return result


def measure_status(statuses: Sequence[str]) -> str:
    if not statuses:
        return ItemStatus.IN_PROGRESS
    if all(s in (ShareStatus.CLOSED, ShareStatus.ONGOING) for s in statuses):
        return ItemStatus.ONGOING if ShareStatus.ONGOING in statuses else ItemStatus.CLOSED
    if all(s in SHARE_DONE_STATUSES for s in statuses):
        return ItemStatus.COMPLETED
    return ItemStatus.IN_PROGRESS


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


# The fields a roll-up writes on a measure, in the order `measure_values` reads them from `stored`.
MEASURE_FIELDS = ("progress", "warning_level", "status", "closed_on", "last_report_at")


def measure_values(
    shares: Sequence[tuple[Any, ...]], last_report_at: dt.datetime | None, stored: Sequence[Any]
) -> dict[str, Any]:
    """A measure's figures from its shares' (role, progress, level, status, closed_on) and the
    latest report of any share; a measure without a counted share keeps its stored progress,
    level and status (`stored` in MEASURE_FIELDS order)."""
    rows = counted(shares)
    status = measure_status([r[3] for r in rows]) if rows else stored[2]
    closed = [r[4] for r in rows if r[4]]
    return {
        "progress": mean_progress([share_progress(r[1], r[3]) for r in rows]) if rows else stored[0],
        "warning_level": worst_level(r[2] for r in rows) if rows else stored[1],
        "status": status,
        "closed_on": max(closed) if status in (ItemStatus.CLOSED, ItemStatus.ONGOING) and closed else None,
        "last_report_at": last_report_at,
    }


def measures_rollup(measure_ids: Iterable[int], *, problems: bool = True) -> None:
    """Recompute the measures' progress, warning, status, 销号 date and last report from their shares."""
    ids = sorted(set(measure_ids))
    shares: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    last: dict[int, dt.datetime] = {}
    for chunk in _chunks(ids):
        for measure_id, role, progress, level, status, closed_on, last_at in (
            Assignment.objects.filter(measure_id__in=chunk, unit__isnull=False)
            .order_by()
            .values_list("measure_id", "role", "progress", "warning_level", "status", "closed_on", "last_report_at")
        ):
            shares[measure_id].append((role, progress, level, status, closed_on))
            if last_at and (measure_id not in last or last_at > last[measure_id]):
                last[measure_id] = last_at
    stored: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(ids):
        stored.update(
            (row[0], row[1:])
            for row in Measure.objects.filter(pk__in=chunk)
            .order_by()
            .values_list("pk", "progress", "warning_level", "status", "closed_on", "last_report_at", "problem_id")
        )
    now = clock.now()
    changed_problems: set[int] = set()
    for measure_id in ids:
        if measure_id not in stored:
            continue
        values = measure_values(shares.get(measure_id, []), last.get(measure_id), stored[measure_id])
        old = dict(zip(MEASURE_FIELDS, stored[measure_id][:5], strict=True))
        if values != old:
            Measure.objects.filter(pk=measure_id).update(updated_at=now, **values)
            changed_problems.add(stored[measure_id][5])
        elif problems:
            changed_problems.add(stored[measure_id][5])
    if problems and changed_problems:
        problems_rollup(changed_problems)


def problems_rollup(problem_ids: Iterable[int] | None = None) -> None:
    """A problem's progress (its measures' mean, attached 交办件 as one more part), warning (worst
    measure), status (closed when every measure is) and last report."""
    qs = Problem.objects.all() if problem_ids is None else Problem.objects.filter(pk__in=list(problem_ids))
    fields = ("pk", "cases_total", "cases_closed", "status", "closed_on", "progress", "warning_level")
    for problem in qs.order_by().only(*fields):  # each problem on its own: no order (and no join for one)
        measures = list(
            Measure.objects.filter(problem_id=problem.pk)
            .order_by()
            .values_list("progress", "last_report_at", "warning_level", "status", "closed_on")
        )
        Problem.objects.filter(pk=problem.pk).update(
            **problem_values(measures, problem.cases_total, problem.cases_closed)
        )


def problem_values(measures: Sequence[tuple[Any, ...]], cases_total: int, cases_closed: int) -> dict[str, Any]:
    """A problem's figures from its measures' (progress, last_report_at, warning_level, status,
    closed_on) and its attached 交办件."""
    parts: list[float | int | None] = [m[0] for m in measures]
    if cases_total:
        parts.append(100 * cases_closed / cases_total)
    statuses = [m[3] for m in measures]
    values: dict[str, Any] = {
        "progress": mean_progress(parts),
        "last_report_at": max((m[1] for m in measures if m[1]), default=None),
        "warning_level": worst_level(m[2] for m in measures),
    }
    if statuses and all(s in (ItemStatus.CLOSED, ItemStatus.ONGOING) for s in statuses):
        values["status"] = ItemStatus.ONGOING if ItemStatus.ONGOING in statuses else ItemStatus.CLOSED
        values["closed_on"] = max((m[4] for m in measures if m[4]), default=None)
    elif statuses and all(s != ItemStatus.IN_PROGRESS for s in statuses):
        values["status"] = ItemStatus.COMPLETED
        values["closed_on"] = None
    else:
        values["status"] = ItemStatus.IN_PROGRESS
        values["closed_on"] = None
    return values


def shares_sync_due(*, measure_ids: Iterable[int] | None = None) -> int:
    """Give every share that no extension moved its measure's due date (after an import, a
    confirmation of units, the city office changing a measure's deadline for all units, or a
    recurring measure's period ending: `recurring_dues_advance`)."""
    qs = Assignment.objects.filter(measure__isnull=False, due_extended=False)
    if measure_ids is not None:
        qs = qs.filter(measure_id__in=list(measure_ids))
    # One row by its key: unsorted (the model's ordering would join the problem and plan in every row's subquery).
    due = Subquery(Measure.objects.filter(pk=OuterRef("measure_id")).order_by().values("due_on")[:1])
    return qs.update(due_on=due)


def recurring_dues_advance(*, today: dt.date) -> int:
    """Each recurring (每月/每季度/每半年/每年) measure and problem is due at the end of its current
    period on `today`, and so is every share of it that no extension moved. Run by the daily scan;
    idempotent (only rows whose date differs are written, so a second run writes nothing) and
    right for any `today`, past days included. Returns the number of measures moved."""
    moved: list[int] = []
    recurring: list[int] = []
    for model, plan_start in ((Measure, "problem__plan__start_on"), (Problem, "plan__start_on")):
        rows = (
            model.objects.filter(deadline_kind=DeadlineKind.RECURRING)
            .exclude(recurrence="")
            .order_by()
            .values_list("pk", "recurrence", "start_on", plan_start, "due_on")
        )
        by_due: dict[dt.date, list[int]] = defaultdict(list)
        for pk, recurrence, start, plan_on, due in rows:
            if model is Measure:
                recurring.append(pk)
            new = current_due(recurrence, plan_start=plan_on, start=start, today=today)
            if new != due:
                by_due[new].append(pk)
        for new, ids in by_due.items():
            for chunk in _chunks(ids):
                model.objects.filter(pk__in=chunk).update(due_on=new)
            if model is Measure:
                moved += ids
    # Shares out of step with their measure (moved now, or added since): the measure's date.
    for chunk in _chunks(recurring):
        stale = (
            Assignment.objects.filter(measure_id__in=chunk, due_extended=False)
            .filter(Q(due_on__isnull=True) | ~Q(due_on=F("measure__due_on")))
            .order_by()
            .values_list("measure_id", flat=True)
            .distinct()
        )
        stale_ids = sorted({i for i in stale if i is not None})
        if stale_ids:
            shares_sync_due(measure_ids=stale_ids)
    return len(moved)
