"""The history player: weeks of the seed plan's life, played day by day through the real services.

Every write goes through a service (progress, supervision, closeout, complaints, documents) with
the acting person's own account, at a simulated moment (simclock): the audit log, the timelines,
the notifications and the figures read exactly as if the office had used Rectify those weeks.
Deterministic: the same options (start, weeks, seed) on the same demo give the same history.

The shape of it (defaults: 11 weeks from Monday 2022-06-20, the instance then living on Monday
2022-09-05):

* the city office sets the reporting calendar on day one: units report weekly (and monthly) on
  the platform from `go_live`, the last `reporting_weeks` weeks; 市生态环境局 pilots the weekly
  loop from the first week. Before go-live the office reported on paper (periods before the
  calendar's start are never "missed"). The weekly loop is the expensive part (each report is a
  service call with its roll-up): `reporting_weeks` trades history for start-up time.
* each reporting week every unit's clerk files its reports in one sitting by its habit (cast.py):
  on time (Wednesday to Friday before 17:00), late (the weekend or Monday), partly, or never;
  progress per share follows the share's own pace against 序时进度; milestones are claimed when
  reached; some reports carry photos or a scanned record. Monthly summaries at month end.
* the office reviews the previous week's reports on Monday: accepts most, returns a few (the
  clerk resubmits with a photo); the last week is still waiting for review on the instance date.
* the deadline scan runs every Friday evening and on the monthly deadline (warnings, missed
  reports, reminders), with the close-out and complaint daily jobs; close-outs finish daily.
* the storylines (storylines.py): notices with replies and an escalation, an extension, share
  close-outs, two measures closed (one reopened), complaint cases handled, a site visit, one
  月通报 and one 工作简报.

A marker audit event ("demo.history_loaded") makes it run once per database.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count

from rectify.audit.models import AuditEvent
from rectify.audit.services import record
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.closeout.services import closeouts_finish
from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.complaints.services import cases_scan
from rectify.core.errors import DomainError
from rectify.documents.models import Briefing, Circular, DocStatus
from rectify.ingestion.demo import SEED_PLAN
from rectify.notifications.models import Notification
from rectify.plans.models import Assignment, DeadlineKind, Milestone, Plan
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.models import Evidence, MissedReport, ProgressReport, ReportKind, ReportStatus
from rectify.progress.periods import SHANGHAI, Period
from rectify.progress.policies import can_review_unit
from rectify.supervision.models import ExtensionRequest, ExtensionStatus, ScanRun, SupervisionNotice, Warning
from rectify.supervision.rules import schedule_share
from rectify.supervision.services import deadlines_scan

from . import extras_editing, files, storylines, texts
from .cast import Cast, Habit, cast_ensure
from .publish import demo_publish
from .rounds import seed_plan_round
from .simclock import SimClock, frozen

MARKER = "demo.history_loaded"
ACTOR = "演示历史"
DEFAULT_START = dt.date(2022, 6, 20)
DEFAULT_WEEKS = 11
DEFAULT_SEED = 2022
DEFAULT_REPORTING_WEEKS = 4
PILOT_UNITS = ("市生态环境局",)
RETURN_RATE = 0.04
EVIDENCE_RATE = 0.06
SITTING_STEP = dt.timedelta(seconds=20)  # between two reports of one sitting
RECHECKED_KINDS = {DeadlineKind.IMMEDIATE_ONGOING, DeadlineKind.IMMEDIATE, DeadlineKind.ONGOING}


@dataclass(frozen=True)
class Options:
    weeks: int = DEFAULT_WEEKS
    seed: int = DEFAULT_SEED
    start: dt.date = DEFAULT_START
    reporting_weeks: int = DEFAULT_REPORTING_WEEKS
    password: str | None = None

    @property
    def end(self) -> dt.date:
        """The instance's date: the Monday after the last week played."""
        return self.start + dt.timedelta(weeks=self.weeks)

    @property
    def go_live(self) -> dt.date:
        """The first Monday of weekly reporting on the platform (the calendar's start)."""
        return self.end - dt.timedelta(weeks=max(0, min(self.reporting_weeks, self.weeks)))

    def check(self, plan: Plan) -> None:
        if self.start.weekday() != 0:
            raise DomainError(f"历史起始日应为星期一（{self.start} 不是）。")
        if self.start < plan.start_on:
            raise DomainError(f"历史起始日不能早于方案的整改起始日（{plan.start_on}）。")
        if not 1 <= self.weeks <= 26:
            raise DomainError("历史周数应在 1 至 26 之间。")
        if self.reporting_weeks < 0:
            raise DomainError("平台报送周数不能为负数。")


@dataclass
class Outcome:
    loaded: bool
    message: str
    start: dt.date | None = None
    end: dt.date | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def seed_plan() -> Plan | None:
    return Plan.objects.filter(source_name=SEED_PLAN.name).order_by("pk").first()


def history_marker() -> AuditEvent | None:
    return AuditEvent.objects.filter(action=MARKER).order_by("pk").first()


def history_load(options: Options) -> Outcome:
    """Play the history once per database; a second call reports the first one's dates."""
    marker = history_marker()
    if marker is not None:
        if options.password:
            cast_ensure(password=options.password)  # like load_demo: a given password is (re)set
        after = marker.after or {}
        return Outcome(
            loaded=False,
            message="演示历史已加载，未重复加载。",
            start=dt.date.fromisoformat(after["start"]),
            end=dt.date.fromisoformat(after["end"]),
            counts=after.get("counts", {}),
        )
    plan = seed_plan()
    if plan is None:
        raise DomainError("请先运行 rectify load_demo（演示方案尚未导入）。")
    if ProgressReport.objects.exists():
        return Outcome(loaded=False, message="数据库中已有进展报告（不是演示历史留下的），不再加载演示历史。")
    options.check(plan)
    began = time.perf_counter()
    start_moment = dt.datetime.combine(options.start, dt.time(8, 0), tzinfo=SHANGHAI)
    with frozen(start_moment) as sim, transaction.atomic():
        cast, created = cast_ensure(password=options.password)
        extras_editing.editing_extras(cast, plan=plan, password=options.password)  # 包联领导, a 举一反三 problem
        player = Player(options, sim=sim, cast=cast, plan=plan)
        seed_plan_round(plan=plan, actor=cast.user("city_office"))  # 督察轮次 (rectify/demo/rounds.py)
        player.run()
        counts = {"clerk_accounts_created": created, **history_counts(plan)}
        sim.set(player.end_moment)
        demo_publish(plan)  # 信息公开: the plan, its problems, the issued 通报/简报 (rectify/demo/publish.py)
        record(
            actor=ACTOR,
            action=MARKER,
            obj=plan,
            after={
                "start": options.start.isoformat(),
                "end": options.end.isoformat(),
                "weeks": options.weeks,
                "seed": options.seed,
                "go_live": options.go_live.isoformat(),
                "counts": counts,
            },
            note=f"演示历史：{options.start} 至 {options.end}（{options.weeks} 周）",
        )
    return Outcome(
        loaded=True,
        message="演示历史已加载。",
        start=options.start,
        end=options.end,
        counts=counts,
        notes=player.notes,
        seconds=time.perf_counter() - began,
    )


# --- the player --------------------------------------------------------------------------------


@dataclass
class ShareState:
    pace: str  # ahead / steady / behind
    offset: float  # points against 序时进度
    last: int = 0


class Player:
    def __init__(self, options: Options, *, sim: SimClock, cast: Cast, plan: Plan) -> None:
        self.options = options
        self.sim = sim
        self.cast = cast
        self.plan = plan
        self.rule = progress.calendar_rule()
        self.end_moment = dt.datetime.combine(options.end, dt.time(6, 30), tzinfo=SHANGHAI)
        self.agenda: list[tuple[dt.datetime, int, Callable[[], object]]] = []
        self.order = itertools.count()
        self.notes: list[str] = []
        self.states: dict[int, ShareState] = {}
        self.unit_names = {u.pk: u.name for u in cast.units.values()}
        self.pilots = {cast.units[name].pk for name in PILOT_UNITS if name in cast.units}
        self.milestones: dict[int, list[tuple[int, dt.date]]] = {}
        for pk, measure_id, due in Milestone.objects.filter(measure__problem__plan=plan).values_list(
            "pk", "measure_id", "due_on"
        ):
            self.milestones.setdefault(measure_id, []).append((pk, due))

    # -- plumbing -------------------------------------------------------------------------------

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join([str(self.options.seed), *map(str, key)]))

    def at(self, moment: dt.datetime, action: Callable[[], object]) -> None:
        """Play `action` at `moment` (dropped when it falls on or after the instance's date)."""
        if moment < self.end_moment:
            heapq.heappush(self.agenda, (moment, next(self.order), action))

    def moment(self, day: dt.date, hhmm: str) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=SHANGHAI)

    def attempt(self, label: str, action: Callable[[], Any]) -> Any:
        """A storyline step that the state of the day may refuse (noted, never silently)."""
        try:
            with transaction.atomic():
                return action()
        except DomainError as exc:
            self.notes.append(f"{self.sim.today} {label}：{exc}")
            return None

    def days(self) -> list[dt.date]:
        return [self.options.start + dt.timedelta(days=i) for i in range(self.options.weeks * 7)]

    def run(self) -> None:
        storylines.schedule(self)
        for day in self.days():
            self.at(self.moment(day, "06:30"), partial(closeouts_finish, today=day))
            if day.weekday() == 0:
                self.at(self.moment(day, "10:00"), partial(self.review, before=day))
                self.schedule_week(day)
            if day.weekday() == 4 or day.day == self.rule.monthly_day:
                self.at(self.moment(day, "18:00"), partial(self.scan, day))
            if day == periods.month_of(day, self.rule).end:
                self.schedule_month(periods.month_of(day, self.rule))
        self.at(self.end_moment - dt.timedelta(seconds=1), partial(self.scan, self.options.end, jobs=False))
        while self.agenda:
            moment, _, action = heapq.heappop(self.agenda)
            self.sim.set(moment)
            action()

    def scan(self, day: dt.date, *, jobs: bool = True) -> None:
        deadlines_scan(today=day, send_mail=False)
        if jobs:
            cases_scan(today=day)

    # -- who reports, when ----------------------------------------------------------------------

    def reporting_units(self, period: Period) -> list[int]:
        """Units that report `period` on the platform: all with a clerk once it is owed (the
        calendar's start), the pilot before. Ordered by the directory."""
        owed = period.due_at.date() >= self.options.go_live
        units = sorted(self.cast.clerks, key=lambda pk: self.cast.units[self.unit_names[pk]].path)
        return [u for u in units if (owed or u in self.pilots) and self.cast.habits[u] != Habit.SILENT]

    def schedule_week(self, monday: dt.date) -> None:
        period = periods.week_of(monday, self.rule)
        due = period.due_at
        for unit_id in self.reporting_units(period):
            rng = self.rng("week", self.unit_names[unit_id], monday)
            habit = self.cast.habits[unit_id]
            skip = 0.15 if habit == Habit.PARTIAL else 0.0
            roll = rng.random()
            if habit == Habit.LATE and roll < 0.1:
                continue  # a week it does not report at all
            if habit == Habit.LATE:
                # Saturday or Sunday morning.
                moment = due + dt.timedelta(hours=rng.choice([17, 41]), minutes=rng.randrange(0, 50, 5))
            elif roll < 0.05:
                # A prompt unit's bad week: the next Monday morning.
                moment = due + dt.timedelta(hours=64, minutes=rng.randrange(0, 50, 5))
            else:
                day = monday + dt.timedelta(days=rng.choice([2, 3, 3, 4, 4]))
                moment = self.moment(day, f"{rng.randint(9, 15):02d}:{rng.randrange(0, 60, 5):02d}")
            self.at(moment, partial(self.sitting, unit_id, period, moment, skip=skip))

    def schedule_month(self, period: Period) -> None:
        due_day = period.due_at.date()
        for unit_id in self.reporting_units(period):
            rng = self.rng("month", self.unit_names[unit_id], period.start)
            habit = self.cast.habits[unit_id]
            if habit == Habit.LATE and rng.random() < 0.5:
                moment = period.due_at + dt.timedelta(hours=rng.choice([16, 40, 88]))
            else:
                # Most units send the summary on the deadline day itself, a few the days before.
                day = due_day if rng.random() < 0.7 else rng.choice([period.end, due_day - dt.timedelta(days=1)])
                while day.weekday() > 4:
                    day -= dt.timedelta(days=1)
                moment = self.moment(day, f"{rng.randint(9, 15):02d}:{rng.randrange(0, 60, 5):02d}")
            skip = 0.15 if habit == Habit.PARTIAL else 0.0
            self.at(moment, partial(self.sitting, unit_id, period, moment, skip=skip))

    # -- filing ---------------------------------------------------------------------------------

    def sitting(self, unit_id: int, period: Period, moment: dt.datetime, *, skip: float) -> None:
        """The unit's clerk files its reports for `period`, one measure after another."""
        clerk = self.cast.clerks[unit_id]
        shares = list(
            progress.required_assignments()
            .filter(unit_id=unit_id, measure__problem__plan=self.plan)
            .select_related("unit", "measure__problem")
            .order_by("measure__problem__index", "measure__seq", "pk")
        )
        done = set(
            ProgressReport.objects.filter(
                unit_id=unit_id, kind=period.kind, period_start=period.start, first_submitted_at__isnull=False
            ).values_list("assignment_id", flat=True)
        )
        rng = self.rng("sitting", self.unit_names[unit_id], period.kind, period.start)
        # One sitting, one roll-up at its end (as the weekly form does).
        with progress.rollups_deferred():
            for i, share in enumerate(s for s in shares if s.pk not in done):
                if rng.random() < skip:
                    continue
                self.sim.set(moment + i * SITTING_STEP)
                self.file(share, period, clerk, rng)

    def state(self, share: Assignment) -> ShareState:
        if share.pk not in self.states:
            assert share.measure is not None
            rng = self.rng(
                "share",
                self.unit_names.get(share.unit_id or 0, share.unit_id),
                share.measure.problem.number,
                share.measure.seq,
            )
            pace = rng.choices(["ahead", "steady", "behind"], weights=[25, 55, 20])[0]
            offset = {"ahead": rng.uniform(10, 25), "steady": rng.uniform(-6, 6), "behind": rng.uniform(-32, -15)}[pace]
            self.states[share.pk] = ShareState(pace, offset)
        return self.states[share.pk]

    def percent(self, share: Assignment, day: dt.date) -> int:
        """The share's progress on `day`: its pace against 序时进度, never going back."""
        measure = share.measure
        assert measure is not None
        st = self.state(share)
        if measure.deadline_kind in RECHECKED_KINDS:
            target = 100.0 if st.pace != "behind" else 85 + st.offset / 4
        elif measure.due_on is not None and measure.due_on < self.options.start:
            target = 100.0 if st.pace != "behind" else 92 + st.offset
        else:
            due = share.due_on or measure.due_on or dt.date(day.year, 12, 31)
            origin = measure.start_on if measure.deadline_kind == DeadlineKind.RANGE and measure.start_on else None
            target = schedule_share(origin or self.plan.start_on, due, day) + st.offset
        value = min(100, max(st.last, 5 * round(max(0.0, target) / 5)))
        st.last = value
        return value

    def claims(self, share: Assignment, period: Period) -> list[int]:
        """Milestones the unit says it reached: ahead of time, on time, or weeks late."""
        lead = {"ahead": 7, "steady": 0, "behind": -21}[self.state(share).pace]
        return [
            pk
            for pk, due in self.milestones.get(share.measure_id or 0, [])
            if due <= period.end + dt.timedelta(days=lead)
        ]

    def evidence(self, rng: random.Random, name: str, key: str) -> list[tuple[str, bytes]]:
        roll = rng.random()
        if roll < EVIDENCE_RATE:
            return [(f"{name}现场照片.jpg", files.photo(key))]
        if roll < EVIDENCE_RATE + 0.01:
            return [(f"{name}检查记录.pdf", files.scanned_record(key))]
        return []

    def file(self, share: Assignment, period: Period, clerk: Any, rng: random.Random) -> ProgressReport:
        monthly = period.kind == ReportKind.MONTHLY
        unit_name = self.unit_names[share.unit_id or 0]
        data = progress.ReportInput(
            progress_text=texts.progress_text(rng, monthly=monthly),
            next_plan="" if monthly else texts.next_plan(rng),
            issues=texts.issues(rng),
            percent=self.percent(share, min(period.end, self.sim.today)),
            milestones_reached=self.claims(share, period),
            files=self.evidence(rng, unit_name, f"{self.options.seed}:{share.pk}:{period.kind}:{period.start}"),
        )
        return progress.report_save(actor=clerk, assignment=share, period=period, data=data, submit=True)

    # -- review ---------------------------------------------------------------------------------

    def reviewer(self, unit_id: int) -> Any:
        county = self.cast.user("county_office")
        return county if can_review_unit(county, unit_id) else self.cast.user("city_office")

    def review(self, *, before: dt.date) -> None:
        """Monday: the offices review every report of the weeks before this one."""
        reports = (
            ProgressReport.objects.filter(
                status=ReportStatus.SUBMITTED, period_start__lt=before, measure__problem__plan=self.plan
            )
            .select_related("unit", "measure__problem")
            .order_by("unit__path", "kind", "period_start", "measure__problem__index", "measure__seq", "pk")
        )
        start = self.sim.now
        with progress.rollups_deferred():
            self.review_each(list(reports), start)

    def review_each(self, reports: list[ProgressReport], start: dt.datetime) -> None:
        for i, report in enumerate(reports):
            self.sim.set(start + i * dt.timedelta(seconds=15))
            rng = self.rng(
                "review", report.unit.name, report.kind, report.period_start, report.measure_id, report.version
            )
            if rng.random() < RETURN_RATE:
                progress.report_return(
                    actor=self.reviewer(report.unit_id), report=report, reason=rng.choice(texts.RETURN_REASONS)
                )
                self.schedule_resubmit(report, rng)
            else:
                progress.report_accept(actor=self.reviewer(report.unit_id), report=report)

    def schedule_resubmit(self, report: ProgressReport, rng: random.Random) -> None:
        habit = self.cast.habits.get(report.unit_id, Habit.SILENT)
        if habit == Habit.PARTIAL and rng.random() < 0.5:
            return  # left returned: the office will chase it
        # Mostly the next day or two; now and then only the week after (已退回 meanwhile).
        days = 3 if habit == Habit.LATE else rng.choice([1, 1, 2, 8])
        moment = self.moment(
            self.sim.today + dt.timedelta(days=days), f"{rng.randint(9, 16):02d}:{rng.randrange(0, 60, 5):02d}"
        )
        self.at(moment, partial(self.resubmit, report.pk))

    def resubmit(self, report_pk: int) -> None:
        report = ProgressReport.objects.select_related("assignment__unit", "assignment__measure__problem").get(
            pk=report_pk
        )
        if report.status != ReportStatus.RETURNED:
            return
        period = periods.period_of(report.kind, report.period_start, self.rule)
        data = progress.ReportInput(
            progress_text=report.progress_text + "（已按要求补充具体点位和现场照片）",
            next_plan=report.next_plan,
            issues=report.issues,
            percent=report.percent,
            milestones_reached=list(report.milestones_reached),
            files=[(f"{self.unit_names[report.unit_id]}补充照片.jpg", files.photo(f"resubmit:{report_pk}"))],
        )
        progress.report_save(
            actor=self.cast.clerks[report.unit_id],
            assignment=report.assignment,
            period=period,
            data=data,
            submit=True,
            version=report.version,
        )


# --- what the history left ---------------------------------------------------------------------


def history_counts(plan: Plan) -> dict[str, int]:
    """The history's figures, read back from the database (the command prints them)."""
    reports = ProgressReport.objects.filter(measure__problem__plan=plan)
    by_status = dict(reports.values_list("status").annotate(n=Count("pk")).order_by())
    shares = Assignment.objects.filter(measure__problem__plan=plan, unit__isnull=False, measure__isnull=False)
    levels = dict(shares.values_list("warning_level").annotate(n=Count("pk")).order_by())
    return {
        "reports": reports.count(),
        "reports_weekly": reports.filter(kind=ReportKind.WEEKLY).count(),
        "reports_monthly": reports.filter(kind=ReportKind.MONTHLY).count(),
        **{f"reports_{status}": by_status.get(status, 0) for status in ReportStatus.values},
        "reporting_units": reports.values("unit_id").distinct().count(),
        "evidence_files": Evidence.objects.filter(report__in=reports).count(),
        "missed_reports": MissedReport.objects.count(),
        "scans": ScanRun.objects.count(),
        "warnings_open": Warning.objects.filter(resolved_on__isnull=True).count(),
        "warnings_resolved": Warning.objects.filter(resolved_on__isnull=False).count(),
        **{f"shares_{level or 'unscanned'}": n for level, n in sorted(levels.items())},
        "notices_issued": SupervisionNotice.objects.exclude(number="").count(),
        "notices_replied": SupervisionNotice.objects.exclude(reply_text="").count(),
        "extensions_approved": ExtensionRequest.objects.filter(status=ExtensionStatus.APPROVED).count(),
        "closeout_applications": CloseoutApplication.objects.count(),
        "closeouts_closed": CloseoutApplication.objects.filter(
            status__in=[CloseoutStatus.CLOSED, CloseoutStatus.REOPENED]
        ).count(),
        "closeouts_reopened": CloseoutApplication.objects.filter(status=CloseoutStatus.REOPENED).count(),
        "cases_closed": ComplaintCase.objects.filter(status=CaseStatus.CLOSED).count(),
        "cases_revisited": ComplaintCase.objects.filter(revisit_on__isnull=False).count(),
        "circulars_issued": Circular.objects.filter(status=DocStatus.ISSUED).count(),
        "briefings_issued": Briefing.objects.filter(status=DocStatus.ISSUED).count(),
        "notifications": Notification.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }
