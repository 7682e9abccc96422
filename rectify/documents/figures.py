"""The figures of a 月通报, counted from each responsible unit's own shares (tasks, 责任单位任务:
an `Assignment` with a measure and a unit), then scored, ranked and named by scoring.py.

Definitions (the page footnote prints the scoring rule; tests check each against their own queries):

- cutoff (`as_of`): the month's last day, or today while the month is still running.
- units: every active unit with a share inside the region; counties: the 县（市、区） directly
  under the city (orgs.selectors.counties), each summing the units of its subtree (path prefix).
- completion date of a share: the day of its first counted report (submitted or accepted) at
  100 %; else, for a 已销号/长期坚持 share, its 销号 date; else unknown.
- done at the cutoff: status 申请销号 / 已完成 / 已销号 / 长期坚持 unless its completion date is
  known and after the cutoff; or (any status but 反弹) a first 100 % report by the cutoff.
- on time: done, and the completion date (the cutoff when unknown) not after its own due date
  (an extension moves a share's due date); no due date = on time.
- due: a due date before the cutoff (due on the cutoff day is not overdue yet); overdue: due and
  not done.
- red: an open red warning at the cutoff (raised by then, not resolved by then), or overdue.
- reports: the reporting periods (progress.periods) whose deadline fell in the month up to the
  cutoff (up to now while the month runs): per unit and period, the reports owed and filed by
  the deadline (progress.compliance.period_compliance, late ones filed by the cutoff counted as
  late); where a MissedReport row recorded more owed or missing at the deadline, its numbers.
- notices: supervision notices issued (not drafts or cancelled) to the unit in the month, by kind.
- reopened: the unit's shares reopened on relapse (反弹重开) in the month: the shares covered by
  a close-out application reopened in the month (closeout.shares.covered), each for its own unit;
  and the shares of a problem closed in an earlier 督察轮次 and found again in a later one (a
  relapse link, plans.rounds, made in the month): its responsible units answer for it like for a
  reopened share. A share counts once however many links or reopenings touch it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from rectify.closeout.models import CloseoutApplication, Decision
from rectify.closeout.shares import covered
from rectify.core import clock
from rectify.core.formats import format_percent
from rectify.orgs.models import OrgUnit
from rectify.orgs.selectors import counties as county_list
from rectify.plans.models import SHARE_DONE_STATUSES, Assignment, ProblemLink, ShareStatus, WarningLevel
from rectify.progress import compliance
from rectify.progress import services as progress
from rectify.progress.models import MissedReport
from rectify.progress.periods import SHANGHAI, periods_due_between
from rectify.progress.selectors import first_full_reports
from rectify.supervision.models import NoticeStatus, SupervisionNotice, Warning

from .scoring import UnitFigures, Weights, named_ids, rank, rule_text

SCHEMA = 2  # the layout of Circular.figures written by services.circular_snapshot
CLOSED_STATUSES = {ShareStatus.CLOSED, ShareStatus.ONGOING}


def weights() -> Weights:
    return Weights.from_mapping(getattr(settings, "RECTIFY_CIRCULAR_WEIGHTS", None))


def laggard_count() -> int:
    return int(getattr(settings, "RECTIFY_CIRCULAR_LAGGARDS", 3))


def laggard_below() -> float:
    return float(getattr(settings, "RECTIFY_CIRCULAR_LAGGARD_BELOW", 60))


def scoring_rule() -> str:
    return rule_text(weights(), n=laggard_count(), below=laggard_below())


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def cutoff(year: int, month: int, *, today: dt.date | None = None) -> dt.date:
    """The month's last day, or today while the month runs."""
    today = today or clock.today()
    return min(month_bounds(year, month)[1], today)


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


# --- shares ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareState:
    share_id: int
    unit_id: int
    measure_id: int
    done: bool
    on_time: bool
    due: bool
    overdue: bool
    red: bool
    completed_on: dt.date | None


def region_shares(region: OrgUnit | None) -> QuerySet[Assignment]:
    """The shares (a concrete active unit on a measure) inside `region` (everything when None)."""
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, unit__is_active=True)
    if region is not None:
        qs = qs.filter(unit__path__startswith=region.path)
    return qs


def red_at(shares: QuerySet[Assignment], as_of: dt.date) -> set[int]:
    """Shares with a red warning open at the end of `as_of`."""
    return set(
        Warning.objects.filter(
            assignment_id__in=shares.order_by().values("pk"), level=WarningLevel.RED, raised_on__lte=as_of
        )
        .filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
        .values_list("assignment_id", flat=True)
    )


def completion_date(status: str, full_on: dt.date | None, closed_on: dt.date | None) -> dt.date | None:
    known = [d for d in (full_on, closed_on if status in CLOSED_STATUSES else None) if d]
    return min(known) if known else None


def share_state(
    row: tuple[int, int, int, str, dt.date | None, dt.date | None],
    *,
    as_of: dt.date,
    full: dict[int, dt.date],
    red: set[int],
) -> ShareState:
    pk, unit_id, measure_id, status, due_on, closed_on = row
    completed_on = completion_date(status, full.get(pk), closed_on)
    if status in SHARE_DONE_STATUSES:
        done = completed_on is None or completed_on <= as_of
    else:
        done = status != ShareStatus.RELAPSED and pk in full and full[pk] <= as_of
    on_time = done and (due_on is None or (completed_on or as_of) <= due_on)
    due = due_on is not None and due_on < as_of
    overdue = due and not done
    return ShareState(pk, unit_id, measure_id, done, on_time, due, overdue, overdue or pk in red, completed_on)


def share_states(shares: QuerySet[Assignment], as_of: dt.date) -> list[ShareState]:
    """Every share's state at the end of `as_of` (four queries, whatever the number of shares)."""
    full, red = first_full_reports(shares.order_by().values("pk")), red_at(shares, as_of)
    rows = shares.order_by().values_list("pk", "unit_id", "measure_id", "status", "due_on", "closed_on")
    return [share_state(row, as_of=as_of, full=full, red=red) for row in rows]


# --- reports, notices, relapses ----------------------------------------------------------------


@dataclass
class Reporting:
    owed: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    periods: int = 0  # periods in which the unit owed reports
    missed_periods: int = 0  # of those, periods with a report not filed by the deadline


def reporting(unit_ids: Iterable[int], start_at: dt.datetime, end_at: dt.datetime) -> dict[int, Reporting]:
    """Per unit: the reports owed for the periods whose deadline fell in [start_at, end_at], filed
    by the deadline, filed late (by end_at), and not filed."""
    ids = list(unit_ids)
    per: dict[tuple[int, str, dt.date], list[int]] = {}
    if not ids or end_at < start_at:
        return {}
    for period in periods_due_between(start_at - dt.timedelta(microseconds=1), end_at, progress.calendar_rule()):
        for c in compliance.period_compliance(period, unit_ids=ids, as_of=end_at):
            per[(c.unit_id, period.kind, period.start)] = [c.required, c.missed, c.late]
    for m in MissedReport.objects.filter(unit_id__in=ids, due_at__gte=start_at, due_at__lte=end_at).order_by():
        owed, missed, late = per.get((m.unit_id, m.kind, m.period_start), [0, 0, 0])
        per[(m.unit_id, m.kind, m.period_start)] = [max(owed, m.required), max(missed, m.missing), late]
    out: dict[int, Reporting] = defaultdict(Reporting)
    for (unit_id, _, _), (owed, missed, late) in per.items():
        if not owed:
            continue
        r = out[unit_id]
        late = min(late, missed)
        r.owed += owed
        r.on_time += owed - missed
        r.late += late
        r.missing += missed - late
        r.periods += 1
        r.missed_periods += 1 if missed else 0
    return dict(out)


def notices_issued(unit_ids: Iterable[int], first: dt.date, last: dt.date) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        SupervisionNotice.objects.filter(unit_id__in=list(unit_ids), issued_on__gte=first, issued_on__lte=last)
        .exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
        .order_by()
        .values("unit_id", "kind")
        .annotate(n=Count("id"))
    ):
        out[row["unit_id"]][row["kind"]] = row["n"]
    return dict(out)


def reopened_shares(unit_ids: Iterable[int], start_at: dt.datetime, end_at: dt.datetime) -> dict[int, int]:
    """Per unit: its shares reopened on relapse between start_at and end_at — the shares each
    reopened close-out application covers (closeout.shares.covered), and the shares of each closed
    problem found again in a later round (反弹 across rounds, linked in the window) — counted once
    each, for their own unit."""
    units = set(unit_ids)
    reopened: set[int] = set()
    for app in CloseoutApplication.objects.filter(
        decisions__kind=Decision.Kind.REOPEN, decisions__at__gte=start_at, decisions__at__lte=end_at
    ).distinct():
        reopened.update(covered(app))
    recurred = ProblemLink.objects.filter(is_relapse=True, created_at__gte=start_at, created_at__lte=end_at)
    reopened.update(
        Assignment.objects.filter(problem_id__in=recurred.values("earlier_id"), measure__isnull=False).values_list(
            "pk", flat=True
        )
    )
    rows = (
        Assignment.objects.filter(pk__in=reopened, unit_id__in=units)
        .order_by()
        .values("unit_id")
        .annotate(n=Count("pk"))
    )
    return {r["unit_id"]: r["n"] for r in rows}


# --- the month ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """The region's totals. Tasks (shares) are summed over units; `measures` counts distinct
    measures (a measure shared by ten units counts once)."""

    units: int = 0
    shares: int = 0
    measures: int = 0
    completed: int = 0
    on_time: int = 0
    due: int = 0
    due_done: int = 0
    overdue: int = 0
    overdue_units: int = 0
    red: int = 0
    red_units: int = 0
    reports_owed: int = 0
    reports_on_time: int = 0
    reports_late: int = 0
    reports_missing: int = 0
    owing_units: int = 0  # units that owed reports
    missed_units: int = 0  # of those, units with a report not filed by its deadline
    missed_periods: int = 0
    notices: dict[str, int] = field(default_factory=dict)
    notice_units: int = 0
    reopened: int = 0
    reopened_units: int = 0

    @property
    def completion_text(self) -> str:
        return format_percent(self.completed * 100 / self.shares if self.shares else None)

    @property
    def report_rate_text(self) -> str:
        return format_percent(self.reports_on_time * 100 / self.reports_owed if self.reports_owed else None)

    @property
    def notices_total(self) -> int:
        return sum(self.notices.values())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Totals:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class MonthFigures:
    as_of: dt.date
    units: list[UnitFigures]  # ranked
    counties: list[UnitFigures]  # ranked; empty below the city
    totals: Totals
    named: list[int]  # unit ids the rule names, in ranking order
    weights: Weights
    laggards: int
    below: float

    @property
    def rule(self) -> str:
        return rule_text(self.weights, n=self.laggards, below=self.below)


def totals_of(rows: list[UnitFigures], measures: int) -> Totals:
    notices: dict[str, int] = defaultdict(int)
    for f in rows:
        for kind, n in f.notices.items():
            notices[kind] += n

    def total(name: str) -> int:
        return sum(getattr(f, name) or 0 for f in rows)

    def units(name: str) -> int:
        return sum(1 for f in rows if getattr(f, name))

    return Totals(
        units=len(rows),
        shares=total("shares"),
        measures=measures,
        completed=total("completed"),
        on_time=total("on_time"),
        due=total("due"),
        due_done=total("due_done"),
        overdue=total("overdue"),
        overdue_units=units("overdue"),
        red=total("red"),
        red_units=units("red"),
        reports_owed=total("reports_owed"),
        reports_on_time=total("reports_on_time"),
        reports_late=total("reports_late"),
        reports_missing=total("reports_missing"),
        owing_units=units("reports_owed"),
        missed_units=units("missed_periods"),
        missed_periods=total("missed_periods"),
        notices=dict(notices),
        notice_units=sum(1 for f in rows if f.notices_total),
        reopened=total("reopened"),
        reopened_units=units("reopened"),
    )


def county_rows(region: OrgUnit | None, rows: list[UnitFigures]) -> list[UnitFigures]:
    """Each 县（市、区） under the city as a whole: the sums of the units of its subtree."""
    if region is not None and region.depth != 0:
        return []
    out = []
    for county in county_list():
        whole = UnitFigures(unit_id=county.pk, unit=county.name, path=county.path, units=0)
        for f in rows:
            if f.path.startswith(county.path):
                whole.add(f)
                whole.units += 1
        if whole.units:
            out.append(whole)
    return out


def month_figures(
    year: int, month: int, *, region: OrgUnit | None = None, today: dt.date | None = None
) -> MonthFigures:
    """Every responsible unit in `region` (the whole directory when None) and, for the city, every
    county as a whole, ranked; who is named; the region's totals. A fixed number of queries
    whatever the number of units and shares (two per reporting period)."""
    as_of = cutoff(year, month, today=today)
    first, _ = month_bounds(year, month)
    start_at, end_at = day_start(first), day_end(as_of)
    if as_of == clock.today():
        end_at = min(end_at, clock.now())  # a deadline later today has not passed yet
    shares = region_shares(region)
    units: dict[int, UnitFigures] = {}
    for pk, name, path in (
        OrgUnit.objects.filter(pk__in=shares.order_by().values("unit_id")).order_by().values_list("pk", "name", "path")
    ):
        units[pk] = UnitFigures(unit_id=pk, unit=name, path=path)
    states = share_states(shares, as_of)
    for s in states:
        f = units[s.unit_id]
        f.shares += 1
        f.completed += s.done
        f.on_time += s.on_time
        f.due += s.due
        f.due_done += s.due and s.done
        f.overdue += s.overdue
        f.red += s.red
    for unit_id, r in reporting(units, start_at, end_at).items():
        if unit_id in units:
            f = units[unit_id]
            f.reports_owed, f.reports_on_time, f.reports_late = r.owed, r.on_time, r.late
            f.reports_missing, f.missed_periods = r.missing, r.missed_periods
    for unit_id, notices in notices_issued(units, first, as_of).items():
        units[unit_id].notices = notices
    for unit_id, n in reopened_shares(units, start_at, end_at).items():
        units[unit_id].reopened = n
    w, n, below = weights(), laggard_count(), laggard_below()
    rows = rank(list(units.values()), w)
    counties = rank(county_rows(region, rows), w)
    return MonthFigures(
        as_of=as_of,
        units=rows,
        counties=counties,
        totals=totals_of(rows, len({s.measure_id for s in states})),
        named=named_ids(rows, n=n, below=below, full=w.full),
        weights=w,
        laggards=n,
        below=below,
    )


def circular_figures(
    year: int, month: int, *, region: OrgUnit | None = None, today: dt.date | None = None
) -> list[UnitFigures]:
    """The ranked figures of every responsible unit in `region` for the month."""
    return month_figures(year, month, region=region, today=today).units
