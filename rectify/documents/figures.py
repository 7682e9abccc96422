"""The figures of a 月通报: per responsible unit, how its measures stood at the month's cutoff,
its missed reports and the notices it received, a score and a rank; and which units are named
as lagging behind (点名通报; compose.py words it).

Rules (the page footnote and the document print the scoring rule; tests hold them):

- cutoff (`as_of`): the month's last day, or today while the month is still running.
- units: every active unit with a lead or support assignment on a measure, inside the region.
- assigned: distinct measures the unit is assigned to.
- completion date of a measure: the day of its first counted progress report (submitted or
  accepted) at 100%. The ledger keeps no other completion date yet; close-out will supply one.
- completed: status 已完成待验收 / 已完成、长期坚持 / 已销号, unless its completion date is known
  and after the cutoff (it was not done yet then).
- on time: completed, and due on or after its completion date — or, when no completion date is
  known, due on or after the cutoff (we only know it was done by then); no due date = on time.
- overdue: not completed and due before the cutoff (due on the cutoff day is not overdue yet).
- red: measures with a red warning open at the cutoff (raised by then, not resolved by then).
- missed reports: MissedReport rows of the unit whose deadline fell in the month: the periods
  (期次) and the measures they lacked.
- notices: supervision notices issued (not drafts or cancelled) to the unit in the month, by kind.
- reopened: the unit's closed items reopened on relapse (问题反弹) in the month; each deducts too.
- score = max(0, 100 × on-schedule rate − 2 × missed periods − 5 × notices), one decimal, where
  the on-schedule rate is (assigned − overdue) / assigned: a share, so a unit with 70 measures
  and one with 3 compare fairly, while missed reports and notices are deductions for discipline.
  Equal scores share a rank (并列); within a tie the directory order decides who is listed first.
- laggards: every unit with an overdue measure, and the last N of the ranking (N =
  RECTIFY_CIRCULAR_LAGGARDS, default 3) among units that lost points at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, Sum

from rectify.closeout.models import Decision
from rectify.core import clock
from rectify.core.formats import format_percent
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, WarningLevel
from rectify.progress.models import COUNTED_STATUSES, MissedReport, ProgressReport
from rectify.progress.periods import SHANGHAI
from rectify.supervision.models import NoticeKind, NoticeStatus, SupervisionNotice, Warning

DONE_STATUSES = {ItemStatus.COMPLETED, ItemStatus.ONGOING, ItemStatus.CLOSED}
BASE_SCORE = 100
MISSED_POINTS = 2
NOTICE_POINTS = 5
REOPEN_POINTS = 5
SCORING_RULE = (
    f"评分办法：得分＝按期推进率×{BASE_SCORE}－未按时报送期次×{MISSED_POINTS}－当月收到督办文书份数×{NOTICE_POINTS}"
    f"－当月反弹重开事项数×{REOPEN_POINTS}，"
    "最低0分，保留一位小数；按期推进率＝（承担措施数－逾期未完成措施数）÷承担措施数。得分相同的并列。"
    "逾期、完成情况按数据截止日统计，完成日期以首次报送完成进度100%的日期为准。"
)


def laggard_count() -> int:
    return int(getattr(settings, "RECTIFY_CIRCULAR_LAGGARDS", 3))


@dataclass
class UnitFigures:
    unit_id: int
    unit: str
    assigned: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0
    red: int = 0
    missed_periods: int = 0
    missed_items: int = 0
    notices: dict[str, int] = field(default_factory=dict)
    reopened: int = 0  # close-outs of the unit reopened (问题反弹) in the month
    score: float = BASE_SCORE
    rank: int = 0
    path: str = ""

    @property
    def notices_total(self) -> int:
        return sum(self.notices.values())

    @property
    def completion_rate(self) -> float | None:
        return self.completed * 100 / self.assigned if self.assigned else None

    @property
    def completion_text(self) -> str:
        return format_percent(self.completion_rate)

    @property
    def score_text(self) -> str:
        return format_score(self.score)

    @property
    def notices_text(self) -> str:
        """ "提醒函2、督办通知1" in ladder order; "—" for none."""
        parts = [f"{label}{self.notices[k]}" for k, label in NoticeKind.choices if self.notices.get(k)]
        return "、".join(parts) or "—"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitFigures:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def cutoff(year: int, month: int, *, today: dt.date | None = None) -> dt.date:
    """The month's last day, or today while the month runs."""
    today = today or clock.today()
    return min(month_bounds(year, month)[1], today)


def format_score(score: float) -> str:
    """86.3, 100 (no ".0")."""
    return f"{score:.1f}".removesuffix(".0")


def score_of(f: UnitFigures) -> float:
    rate = (f.assigned - f.overdue) / f.assigned if f.assigned else 1.0
    deductions = MISSED_POINTS * f.missed_periods + NOTICE_POINTS * f.notices_total + REOPEN_POINTS * f.reopened
    return max(0.0, round(BASE_SCORE * rate - deductions, 1))


def rank(rows: list[UnitFigures]) -> list[UnitFigures]:
    """Scores, then order (score, then directory order) and shared ranks (1, 2, 2, 4)."""
    for f in rows:
        f.score = score_of(f)
    rows.sort(key=lambda f: (-f.score, f.path, f.unit))
    previous: float | None = None
    for position, f in enumerate(rows, start=1):
        if f.score != previous:
            f.rank = position
            previous = f.score
        else:
            f.rank = rows[position - 2].rank
    return rows


def laggards(rows: list[UnitFigures], n: int | None = None) -> list[UnitFigures]:
    """Units to name: every unit with an overdue measure, and the last `n` of the ranking among
    those that lost points; in ranking order (worst last)."""
    bottom = set(bottom_ids(rows, n))
    return [f for f in rows if f.overdue > 0 or f.unit_id in bottom]


def bottom_ids(rows: list[UnitFigures], n: int | None = None) -> list[int]:
    """The last `n` of the ranking among units that lost points (none at full score is named)."""
    n = laggard_count() if n is None else n
    below = [f for f in rows if f.score < BASE_SCORE]
    return [f.unit_id for f in below[-n:]] if n > 0 else []


def completion_dates(measure_ids: Any) -> dict[int, dt.date]:
    rows = (
        ProgressReport.objects.filter(
            measure_id__in=measure_ids, status__in=COUNTED_STATUSES, percent__gte=100, submitted_at__isnull=False
        )
        .order_by()
        .values("measure_id")
        .annotate(first=Min("submitted_at"))
    )
    return {r["measure_id"]: r["first"].astimezone(SHANGHAI).date() for r in rows}


def measure_states(
    measures: dict[int, tuple[str, dt.date | None]], as_of: dt.date, *, ids: Any
) -> dict[int, tuple[bool, bool, bool]]:
    """For each measure (status, due_on): (completed, on time, overdue) at `as_of`; `ids` selects
    the same measures (a subquery: a region may have more measures than SQL parameters)."""
    done_on = completion_dates(ids)
    out = {}
    for pk, (status, due) in measures.items():
        finished = done_on.get(pk)
        completed = status in DONE_STATUSES and (finished is None or finished <= as_of)
        on_time = completed and (due is None or (finished or as_of) <= due)
        overdue = not completed and due is not None and due < as_of
        out[pk] = (completed, on_time, overdue)
    return out


@dataclass(frozen=True)
class Totals:
    """The region's totals over distinct measures (a measure shared by ten units counts once)."""

    units: int = 0
    measures: int = 0
    completed: int = 0
    on_time: int = 0
    overdue: int = 0
    red: int = 0
    missed_units: int = 0
    missed_periods: int = 0
    missed_items: int = 0
    notices: dict[str, int] = field(default_factory=dict)

    @property
    def completion_text(self) -> str:
        return format_percent(self.completed * 100 / self.measures if self.measures else None)

    @property
    def notices_total(self) -> int:
        return sum(self.notices.values())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Totals:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class MonthFigures:
    as_of: dt.date
    units: list[UnitFigures]
    totals: Totals


def month_figures(
    year: int, month: int, *, region: OrgUnit | None = None, today: dt.date | None = None
) -> MonthFigures:
    """Every responsible unit in `region` (the whole directory when None), ranked, and the
    region's totals; a fixed number of queries whatever the number of units and measures."""
    as_of = cutoff(year, month, today=today)
    first, _ = month_bounds(year, month)
    assignments = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, unit__is_active=True)
    if region is not None:
        assignments = assignments.filter(unit__path__startswith=region.path)
    unit_measures: dict[int, set[int]] = defaultdict(set)
    units: dict[int, UnitFigures] = {}
    measures: dict[int, tuple[str, dt.date | None]] = {}
    for unit_id, name, path, measure_id, status, due in assignments.order_by().values_list(
        "unit_id", "unit__name", "unit__path", "measure_id", "measure__status", "measure__due_on"
    ):
        unit_measures[unit_id].add(measure_id)
        measures[measure_id] = (status, due)
        if unit_id not in units:
            units[unit_id] = UnitFigures(unit_id=unit_id, unit=name, path=path)
    ids = assignments.values("measure_id")
    states = measure_states(measures, as_of, ids=ids)
    red = set(
        Warning.objects.filter(measure_id__in=ids, level=WarningLevel.RED, raised_on__lte=as_of)
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
        .values_list("measure_id", flat=True)
    )
    for unit_id, mine in unit_measures.items():
        f = units[unit_id]
        f.assigned = len(mine)
        f.completed = sum(1 for m in mine if states[m][0])
        f.on_time = sum(1 for m in mine if states[m][1])
        f.overdue = sum(1 for m in mine if states[m][2])
        f.red = len(mine & red)
    start_at = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
    end_at = dt.datetime.combine(as_of, dt.time.max, tzinfo=SHANGHAI)
    for row in (
        MissedReport.objects.filter(unit_id__in=list(units), due_at__gte=start_at, due_at__lte=end_at)
        .order_by()
        .values("unit_id")
        .annotate(periods=Count("id"), items=Sum("missing"))
    ):
        units[row["unit_id"]].missed_periods = row["periods"]
        units[row["unit_id"]].missed_items = row["items"] or 0
    for row in (
        SupervisionNotice.objects.filter(unit_id__in=list(units), issued_on__gte=first, issued_on__lte=as_of)
        .exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
        .order_by()
        .values("unit_id", "kind")
        .annotate(n=Count("id"))
    ):
        units[row["unit_id"]].notices[row["kind"]] = row["n"]
    for row in (
        Decision.objects.filter(
            kind=Decision.Kind.REOPEN, application__unit_id__in=list(units), at__gte=start_at, at__lte=end_at
        )
        .order_by()
        .values("application__unit_id")
        .annotate(n=Count("id"))
    ):
        units[row["application__unit_id"]].reopened = row["n"]
    rows = rank(list(units.values()))
    notices: dict[str, int] = defaultdict(int)
    for f in rows:
        for kind, n in f.notices.items():
            notices[kind] += n
    totals = Totals(
        units=len(rows),
        measures=len(measures),
        completed=sum(1 for s in states.values() if s[0]),
        on_time=sum(1 for s in states.values() if s[1]),
        overdue=sum(1 for s in states.values() if s[2]),
        red=len(red),
        missed_units=sum(1 for f in rows if f.missed_periods),
        missed_periods=sum(f.missed_periods for f in rows),
        missed_items=sum(f.missed_items for f in rows),
        notices=dict(notices),
    )
    return MonthFigures(as_of=as_of, units=rows, totals=totals)


def circular_figures(
    year: int, month: int, *, region: OrgUnit | None = None, today: dt.date | None = None
) -> list[UnitFigures]:
    """The ranked figures of every responsible unit in `region` for the month."""
    return month_figures(year, month, region=region, today=today).units


def notices_phrase(notices: dict[str, int]) -> str:
    return "、".join(f"{label}{notices[k]}份" for k, label in NoticeKind.choices if notices.get(k))
