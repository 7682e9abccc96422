"""The daily scan's incremental path (supervision.incremental) stores exactly what a full scan of
the same day stores: day after day over a generated history, with writes through the services in
between (reports submitted, returned and accepted with milestones, deadlines of measures and
problems moved, extensions approved) that do not re-assess anything themselves, each day's
incremental scan is followed by a full scan of the same day in a savepoint, and the shares'
levels and reasons, the warnings (open, resolved, raised on), and the measures' and problems'
roll-ups must be the same after both; then the savepoint is rolled back and the history goes on."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from typing import Any

import pytest
from django.db import transaction

from rectify.core.errors import DomainError
from rectify.orgs.models import Membership, Role
from rectify.plans import services as plan_services
from rectify.plans.models import Measure, Milestone, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.models import ProgressReport
from rectify.supervision import extensions, incremental
from rectify.supervision.models import ScanRun, Warning
from rectify.supervision.services import deadlines_scan
from tests.domain.test_scan_bulk import at, generate, recurring_and_compound, shares

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[Any, ...]:
    """What a scan stores, without the rows' ids where a scan makes them (warnings)."""
    return (
        sorted(
            (pk, level, json.dumps(reasons, sort_keys=True))
            for pk, level, reasons in shares().values_list("pk", "warning_level", "warning_reasons")
        ),
        sorted(
            Warning.objects.values_list("assignment_id", "key", "level", "code", "message", "raised_on", "resolved_on")
        ),
        sorted(Measure.objects.values_list("pk", "progress", "warning_level", "status", "closed_on", "last_report_at")),
        sorted(Problem.objects.values_list("pk", "progress", "warning_level", "status", "closed_on", "last_report_at")),
    )


def scan_and_compare(day: dt.date) -> ScanRun:
    with at(day):
        run = deadlines_scan(today=day, send_mail=False)
    mine = snapshot()
    point = transaction.savepoint()
    with at(day):
        full = deadlines_scan(today=day, send_mail=False, full=True)
    theirs = snapshot()
    transaction.savepoint_rollback(point)
    for name, a, b in zip(("shares", "warnings", "measures", "problems"), mine, theirs, strict=True):
        assert a == b, (day, name, [x for x in a if x not in b][:4], [x for x in b if x not in a][:4])
    assert (full.raised, full.resolved) == (0, 0), day
    return run


class Writer:
    """Random writes through the services, as the day's users make them (no re-assessment: the
    views do that, the services do not)."""

    def __init__(self, rng: random.Random, users: dict[str, Any]) -> None:
        self.rng = rng
        self.done: Counter[str] = Counter()
        self.office = users["city_office"]
        clerks = {
            m.unit_id: m.user
            for m in Membership.objects.filter(role=Role.CLERK, user__in=users.values()).select_related("user")
        }
        self.filing = [(a, clerks[a.unit_id]) for a in shares().order_by("pk") if a.unit_id in clerks]
        self.milestones: dict[int, list[int]] = {}
        for pk, measure_id in Milestone.objects.values_list("pk", "measure_id"):
            self.milestones.setdefault(measure_id, []).append(pk)
        self.measures = list(Measure.objects.order_by("pk").values_list("pk", flat=True))
        self.problems = list(Problem.objects.order_by("pk").values_list("pk", flat=True))

    def one(self, day: dt.date) -> None:
        rng = self.rng
        kind = rng.choice(["report", "report", "report", "return_", "accept", "measure_due", "problem_due", "extend"])
        try:
            with transaction.atomic(), at(day):
                getattr(self, kind)(day)
            self.done[kind] += 1
        except DomainError:
            pass  # refused (already filed, not open...): nothing written

    def report(self, day: dt.date) -> None:
        share, clerk = self.rng.choice(self.filing)
        share.refresh_from_db()
        named = [m for m in self.milestones.get(share.measure_id or 0, []) if self.rng.random() < 0.5]
        data = progress.ReportInput(
            progress_text="进展",
            next_plan="计划",
            percent=self.rng.choice([0, 10, 40, 75, 100]),
            milestones_reached=named,
        )
        period = periods.week_of(day, progress.calendar_rule())
        progress.report_save(actor=clerk, assignment=share, period=period, data=data, submit=True)

    def _submitted(self) -> ProgressReport | None:
        return ProgressReport.objects.filter(status="submitted").order_by("?").first()

    def return_(self, day: dt.date) -> None:
        report = self._submitted()
        if report is not None:
            progress.report_return(actor=self.office, report=report, reason="请补充")

    def accept(self, day: dt.date) -> None:
        report = self._submitted()
        if report is not None:
            progress.report_accept(actor=self.office, report=report)

    def measure_due(self, day: dt.date) -> None:
        measure = Measure.objects.get(pk=self.rng.choice(self.measures))
        due = day + dt.timedelta(days=self.rng.randint(-20, 40))
        raw = f"{due.year}年{due.month}月{due.day}日前"
        plan_services.measure_update_deadline(actor=self.office, measure=measure, raw=raw, version=measure.version)

    def problem_due(self, day: dt.date) -> None:
        """Half the time the problem due last: the plan's horizon (按序时进度 items) moves."""
        if self.rng.random() < 0.5:
            problem = Problem.objects.exclude(deadline_kind="recurring").filter(due_on__isnull=False).latest("due_on")
        else:
            problem = Problem.objects.get(pk=self.rng.choice(self.problems))
        due = day + dt.timedelta(days=self.rng.randint(-10, 1500))
        raw = f"{due.year}年{due.month}月底前"
        plan_services.problem_update_deadline(actor=self.office, problem=problem, raw=raw, version=problem.version)

    def extend(self, day: dt.date) -> None:
        share, clerk = self.rng.choice(self.filing)
        if share.measure is None or share.unit is None:
            return
        share.refresh_from_db()
        if share.due_on is None:
            return
        wanted = share.due_on + dt.timedelta(days=self.rng.randint(5, 60))
        ext = extensions.extension_request(
            actor=clerk, measure=share.measure, unit=share.unit, reason="客观原因", requested_due=wanted
        )
        extensions.extension_decide(actor=self.office, ext=ext, approve=True, note="同意")


def test_incremental_daily_scans_store_what_a_full_scan_stores(users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(incremental, "FULL_SHARE", 1.0)  # however many are due: the path under test
    rng = random.Random(1616)
    recurring_and_compound(rng)
    # A few 按序时进度 (up to the plan's horizon, which moves with its problems' deadlines) and
    # 按年度 measures besides; all written around the audit trail, before the first scan.
    dated = list(Measure.objects.filter(deadline_kind="date").order_by("-pk").values_list("pk", flat=True))
    Measure.objects.filter(pk__in=dated[:5]).update(deadline_kind="scheduled")
    Measure.objects.filter(pk__in=dated[5:10]).update(deadline_kind="annual")
    generate(rng, fraction=0.6)
    day = dt.date(2022, 9, 20)
    # No report filed after the day scanned (the generator files some in the future): from here on
    # reports come through the service, on the day they are filed.
    ProgressReport.objects.filter(first_submitted_at__gte=dt.datetime(2022, 9, 20, tzinfo=dt.UTC)).delete()
    writer = Writer(rng, users)
    assert len(writer.filing) > 20
    first = scan_and_compare(day)
    assert first.full
    # Random steps (the same day again, the next day, a week without scans), and the first days of
    # months, quarters and the year, when recurring and annual items change.
    days = {dt.date(2022, 10, 1), dt.date(2022, 11, 1), dt.date(2022, 12, 1), dt.date(2023, 1, 1)}
    step = day
    while step < dt.date(2023, 1, 10):
        step += dt.timedelta(days=rng.choice([1, 1, 2, 3, 6, 13]))
        days.add(step)
    schedule = [*sorted(days), max(days)]
    fewer = 0  # runs that assessed fewer than all measures (a moved horizon takes in its plan's)
    for day in schedule:
        for _ in range(rng.randint(0, 5)):
            writer.one(day)
        run = scan_and_compare(day)
        assert not run.full, run.basis.get("why")
        fewer += run.measures < Measure.objects.count()
    assert fewer > len(schedule) // 2
    assert min(writer.done[kind] for kind in ("report", "return_", "accept", "measure_due", "problem_due")) > 3
    assert writer.done["extend"] > 0
    assert ProgressReport.objects.filter(status="accepted").exists()
    assert Warning.objects.filter(resolved_on__isnull=False).exists()


def test_a_scan_is_full_when_incremental_cannot_be_proved(users: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No scan before, an earlier day than the last one's, an event the scan cannot map, other
    thresholds: every measure is assessed."""
    monkeypatch.setattr(incremental, "FULL_SHARE", 1.0)
    day = dt.date(2022, 10, 8)
    with at(day):
        assert deadlines_scan(today=day, send_mail=False).full
        again = deadlines_scan(today=day, send_mail=False)
        assert not again.full and again.measures < Measure.objects.count(), again.basis.get("why")
        assert deadlines_scan(today=day - dt.timedelta(days=1), send_mail=False).full
        assert deadlines_scan(today=day, send_mail=False).full is False
        from rectify.audit.services import record

        plan = Measure.objects.select_related("problem__plan").first().problem.plan  # type: ignore[union-attr]
        record(actor="测试", action="plan.publishing_changed", obj=plan)
        on_plan = deadlines_scan(today=day, send_mail=False)  # an event on a plan: its measures
        assert not on_plan.full and on_plan.measures == Measure.objects.filter(problem__plan=plan).count()
        record(actor="测试", action="unit.merged", obj=users["city_office"])
        assert deadlines_scan(today=day, send_mail=False).full
    with at(day), pytest.MonkeyPatch.context() as mp:
        from django.conf import settings

        mp.setattr(settings, "RECTIFY_WARNING_DUE_SOON_DAYS", settings.RECTIFY_WARNING_DUE_SOON_DAYS + 1)
        assert deadlines_scan(today=day, send_mail=False).full
