"""The shares a close-out application covers, and what each step of it does to their status.

A share application covers its share; a measure application the measure's counted shares
(plans.rollup `counted`: its lead shares, all of them when it has no lead); a problem
application the counted shares of every measure of the problem. Each step moves only the
covered shares that are in a status it applies to (a share closed earlier stays closed when a
problem application is applied for), then the measures and the problem roll up from their shares
(plans.rollup.measures_rollup). Nothing here writes a measure's or a problem's status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import F

from rectify.core import clock
from rectify.plans import rollup
from rectify.plans.models import (
    SHARE_OPEN_STATUSES,
    Assignment,
    DeadlineKind,
    ItemStatus,
    Measure,
    Problem,
    ShareStatus,
)

from .models import CloseoutApplication

ONGOING_KINDS = {DeadlineKind.IMMEDIATE_ONGOING, DeadlineKind.ONGOING}
# A share whose unit has finished its part and whose acceptance is through.
ACCEPTED_SHARE_STATUSES = [ShareStatus.COMPLETED, ShareStatus.CLOSED, ShareStatus.ONGOING]
FINISHED_SHARE_STATUSES = [ShareStatus.CLOSED, ShareStatus.ONGOING]

# What each step moves, from which share statuses.
_FROM: dict[str, list[ShareStatus]] = {
    ShareStatus.APPLYING: [*SHARE_OPEN_STATUSES, ShareStatus.COMPLETED],
    ShareStatus.IN_PROGRESS: [ShareStatus.APPLYING],
    ShareStatus.COMPLETED: [*SHARE_OPEN_STATUSES, ShareStatus.APPLYING],
    ShareStatus.CLOSED: [*SHARE_OPEN_STATUSES, ShareStatus.APPLYING, ShareStatus.COMPLETED],
    ShareStatus.RELAPSED: FINISHED_SHARE_STATUSES,
}


def measure_ids(app: CloseoutApplication) -> list[int]:
    """Every measure the application is about (a problem application: all its measures)."""
    if app.measure_id is not None:
        return [app.measure_id]
    return list(Measure.objects.filter(problem_id=app.problem_id or 0).order_by("seq").values_list("pk", flat=True))


def problem_id(app: CloseoutApplication) -> int:
    if app.problem_id is not None:
        return app.problem_id
    return int(Measure.objects.filter(pk=app.measure_id or 0).values_list("problem_id", flat=True)[0])


def counted_shares(ids: Iterable[int]) -> dict[int, list[int]]:
    """Per measure: the ids of the shares its figures (and its close-out) come from."""
    rows: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for pk, measure_id, role in (
        Assignment.objects.filter(measure_id__in=list(ids), unit__isnull=False)
        .order_by("pk")
        .values_list("pk", "measure_id", "role")
    ):
        rows[measure_id].append((role, str(pk)))
    return {m: [int(r[1]) for r in rollup.counted(shares)] for m, shares in rows.items()}


def is_counted(share: Assignment) -> bool:
    return share.pk in counted_shares([share.measure_id]).get(share.measure_id or 0, [])  # type: ignore[list-item]


def covered(app: CloseoutApplication) -> list[int]:
    """The ids of the shares the application covers."""
    if app.assignment_id:
        return [app.assignment_id]
    return [pk for pks in counted_shares(measure_ids(app)).values() for pk in pks]


def measure_finished(measure_id: int) -> bool:
    """Every counted share of the measure accepted (已完成) or closed: the measure can be published."""
    ids = counted_shares([measure_id]).get(measure_id, [])
    if not ids:
        return False
    done = Assignment.objects.filter(pk__in=ids, status__in=ACCEPTED_SHARE_STATUSES).count()
    return done == len(ids)


def move(app: CloseoutApplication, target: str, *, closed_on: Any = None) -> list[int]:
    """Move the covered shares to `target` (申请销号, 整改中, 已完成, 已销号 — 长期坚持 for the
    立行立改、长期坚持 kinds — or 反弹) and roll the measures up; returns the measures touched."""
    shares = Assignment.objects.filter(pk__in=covered(app), status__in=_FROM[target])
    ids = sorted(set(shares.values_list("measure_id", flat=True)))
    now = clock.now()
    if target == ShareStatus.CLOSED:
        ongoing = shares.filter(measure__deadline_kind__in=ONGOING_KINDS)
        ongoing.update(status=ShareStatus.ONGOING, closed_on=closed_on, updated_at=now)
        shares.exclude(measure__deadline_kind__in=ONGOING_KINDS).update(
            status=ShareStatus.CLOSED, closed_on=closed_on, updated_at=now
        )
    elif target == ShareStatus.RELAPSED:
        shares.update(
            status=ShareStatus.RELAPSED, closed_on=None, reopened_count=F("reopened_count") + 1, updated_at=now
        )
    else:
        shares.update(status=target, updated_at=now)
    rollup.measures_rollup(measure_ids(app))
    return ids


def count_reopen(app: CloseoutApplication) -> None:
    """反弹重开 counts once more on each of the application's measures that was closed (已销号 or
    长期坚持), and once on its problem when any of them was: a measure closed through many share
    applications relapses once, however many of them the coordinator then reopens."""
    now = clock.now()
    closed = Measure.objects.filter(pk__in=measure_ids(app), status__in=[ItemStatus.CLOSED, ItemStatus.ONGOING])
    relapsed = list(closed.values_list("pk", flat=True))
    if not relapsed:
        return
    Measure.objects.filter(pk__in=relapsed).update(reopened_count=F("reopened_count") + 1, updated_at=now)
    Problem.objects.filter(pk=problem_id(app)).update(reopened_count=F("reopened_count") + 1, updated_at=now)
