"""A recurring deadline on the seed plan, through the daily scan: the office types "每季度", the
measure and its shares fall due at each quarter's end and move on as quarters pass (idempotently;
an extended share keeps its date), a unit that reported in Q2 but not Q3 is red after Q3 with the
right reason while one that reported stays green (checked against independent queries), the
export says the same, nothing is ever "overdue", and the office can still close a share (销号)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from rectify.plans import selectors as plan_selectors
from rectify.plans.models import Assignment, ItemStatus, Measure, Problem, ShareStatus
from rectify.plans.rollup import recurring_dues_advance
from rectify.progress import periods, services
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.supervision import extensions
from rectify.supervision.models import ScanRun, Warning
from rectify.supervision.services import deadline_text, deadlines_scan, measure_deadline_change, share_due_text
from tests.domain.test_closeout import at, clerk_for
from tests.domain.test_closeout_shares import accept, apply_share, finish

pytestmark = pytest.mark.django_db
Q3 = (dt.date(2022, 7, 1), dt.date(2022, 9, 30))


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def shared_measure() -> Measure:
    """A dated seed measure with many lead units, 朔城区政府 and 怀仁市政府 among them."""
    mine = Assignment.objects.filter(unit__name="朔城区政府").values("measure_id")
    theirs = Assignment.objects.filter(unit__name="怀仁市政府").values("measure_id")
    measure = (
        Measure.objects.filter(deadline_kind="date", due_on=dt.date(2022, 12, 31), pk__in=mine)
        .filter(pk__in=theirs)
        .annotate(n=Count("assignments", filter=Q(assignments__unit__isnull=False)))
        .filter(n__gte=13)
        .order_by("problem__index", "seq")
        .first()
    )
    assert measure is not None
    return measure


def report(share: Assignment, day: dt.date, actor: Any) -> None:
    with at(day):
        period = periods.week_of(day, services.calendar_rule())
        data = services.ReportInput(progress_text="按季度开展排查", next_plan="继续排查", percent=30)
        services.report_save(actor=actor, assignment=share, period=period, data=data, submit=True)


def reported_in_q3(share: Assignment) -> bool:
    """Independently: a counted report of the share first submitted within Q3, Beijing time."""
    tz = dt.timezone(dt.timedelta(hours=8))
    return ProgressReport.objects.filter(
        assignment=share,
        status__in=COUNTED_STATUSES,
        first_submitted_at__gte=dt.datetime.combine(Q3[0], dt.time.min, tzinfo=tz),
        first_submitted_at__lt=dt.datetime.combine(Q3[1] + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    ).exists()


def test_a_quarterly_measure_falls_due_each_quarter_and_warns_per_period(users: Any, tmp_path: Path) -> None:
    measure = shared_measure()
    county = Assignment.objects.select_related("unit").get(measure=measure, unit__name="朔城区政府")
    other = Assignment.objects.select_related("unit").get(measure=measure, unit__name="怀仁市政府")
    assert county.unit is not None and other.unit is not None
    extended = (
        Assignment.objects.filter(measure=measure, unit__isnull=False, role="lead")
        .exclude(pk__in=[county.pk, other.pk])
        .select_related("unit")
        .first()
    )
    assert extended is not None and extended.unit is not None
    # One unit had an extension of the old date approved before the office made it recurring.
    with at(dt.date(2022, 6, 1)):
        ext = extensions.extension_request(
            actor=clerk_for(extended.unit),
            measure=measure,
            unit=extended.unit,
            reason="施工季节受限",
            requested_due=dt.date(2023, 3, 31),
        )
        extensions.extension_decide(actor=users["city_office"], ext=ext, approve=True, note="同意")
    report(county, dt.date(2022, 5, 10), users["county_clerk"])  # Q2 only
    report(other, dt.date(2022, 5, 11), clerk_for(other.unit))
    report(other, dt.date(2022, 8, 15), clerk_for(other.unit))  # Q2 and Q3

    with at(dt.date(2022, 6, 20)):
        measure.refresh_from_db()
        measure_deadline_change(actor=users["city_office"], measure=measure, raw="每季度", version=measure.version)
    measure.refresh_from_db()
    assert (measure.deadline_kind, measure.recurrence) == ("recurring", "quarterly")
    # The seed plan starts 2022-02-25: its first quarter runs to the end of June.
    assert measure.due_on == dt.date(2022, 6, 30)
    shares = Assignment.objects.filter(measure=measure, unit__isnull=False)
    assert set(shares.exclude(pk=extended.pk).values_list("due_on", flat=True)) == {dt.date(2022, 6, 30)}
    assert Assignment.objects.get(pk=extended.pk).due_on == dt.date(2023, 3, 31)

    # A new quarter: the scan moves the measure and every share no extension moved.
    with at(dt.date(2022, 7, 1)):
        deadlines_scan(send_mail=False)
    measure.refresh_from_db()
    assert measure.due_on == dt.date(2022, 9, 30)
    assert set(shares.exclude(pk=extended.pk).values_list("due_on", flat=True)) == {dt.date(2022, 9, 30)}
    assert Assignment.objects.get(pk=extended.pk).due_on == dt.date(2023, 3, 31)
    # Units that never reported in the first period are red for it; these two reported in May.
    first = "2022年第二季度（自2022年2月25日起）未报送整改情况"
    for share in (county, other):
        share.refresh_from_db()
        assert share.warning_level == "green", share.warning_reasons
    red = shares.filter(warning_level="red")
    never = shares.exclude(reports__status__in=COUNTED_STATUSES)
    assert set(red.values_list("pk", flat=True)) == set(never.values_list("pk", flat=True))
    assert all(s.warning_reasons[0]["message"] == first for s in red)

    # Ten days before Q3 ends: the county has not reported in Q3 (yellow), the other has (green).
    with at(dt.date(2022, 9, 20)):
        deadlines_scan(send_mail=False)
    county.refresh_from_db()
    other.refresh_from_db()
    assert county.warning_level == "yellow"
    # The stored reason in words as of the day it is read: the days left count down without a scan.
    with at(dt.date(2022, 9, 20)):
        assert county.warning_summary == "本期（2022年第三季度）还有10天截止（2022-09-30），尚未报送整改情况"
    with at(dt.date(2022, 9, 25)):
        assert county.warning_summary == "本期（2022年第三季度）还有5天截止（2022-09-30），尚未报送整改情况"
    assert other.warning_level == "green"

    # Q3 has ended: red for the county, with the quarter named; the measure rolls up red.
    with at(dt.date(2022, 10, 1)):
        # Before tonight's scan the stored date (09-30) has passed, yet nothing recurring is "overdue".
        today = dt.date(2022, 10, 1)
        assert not Measure.objects.filter(plan_selectors.overdue_condition(today), pk=measure.pk).exists()
        assert not shares.filter(plan_selectors.share_overdue_condition(today)).exists()
        run = deadlines_scan(send_mail=False)
    county.refresh_from_db()
    other.refresh_from_db()
    measure.refresh_from_db()
    assert measure.due_on == dt.date(2022, 12, 31)
    assert county.due_on == dt.date(2022, 12, 31)
    assert county.warning_level == "red"
    assert county.warning_summary == "2022年第三季度未报送整改情况"
    assert Warning.objects.filter(
        assignment=county, code="recurring_missed", key="recurring_missed:2022-07-01", resolved_on__isnull=True
    ).exists()
    assert other.warning_level == "green"
    # Every share: red for Q3 exactly when it has no counted report first submitted in Q3.
    for share in shares.exclude(pk=extended.pk):
        missed = any(r["code"] == "recurring_missed" for r in share.warning_reasons)
        assert missed == (not reported_in_q3(share)), share.unit_id
    assert measure.warning_level == "red"
    # The text a letter or the board uses for the date.
    assert share_due_text(county) == "每季度（本期至2022年12月31日）"
    assert deadline_text("每季度", dt.date(2022, 12, 31)) == "每季度（本期至2022年12月31日）"
    assert share_due_text(Assignment.objects.select_related("measure").get(pk=extended.pk)) == (
        "2023年3月31日（经批准延期，原时限：每季度）"
    )

    # Idempotent: the same day again moves nothing and raises nothing.
    before = (
        list(shares.order_by("pk").values_list("pk", "due_on", "warning_level", "warning_reasons")),
        Warning.objects.count(),
    )
    with at(dt.date(2022, 10, 1)):
        assert recurring_dues_advance(today=dt.date(2022, 10, 1)) == 0
        again = deadlines_scan(send_mail=False)
    assert again.raised == 0 and run.raised > 0
    after = (
        list(shares.order_by("pk").values_list("pk", "due_on", "warning_level", "warning_reasons")),
        Warning.objects.count(),
    )
    assert after == before

    # The export as of that day says the same for the county's share.
    out = tmp_path / "ledger.json"
    with at(dt.date(2022, 10, 1)):
        call_command("export_ledger", str(out), "--as-of", "2022-10-01")
    data = json.loads(out.read_text(encoding="utf-8"))
    exported = [
        a
        for p in data["plans"][0]["problems"]
        for m in p["measures"]
        if m["number"] == measure.number
        for a in m["assignments"]
        if a["unit"] == "朔城区政府"
    ]
    assert exported and exported[0]["warning"]["level"] == "red"
    assert "2022年第三季度未报送整改情况" in exported[0]["warning"]["reasons"]

    # A report in Q4 keeps the red for Q3 (that quarter is over) and greens it once Q4 has ended.
    report(county, dt.date(2022, 11, 2), users["county_clerk"])
    county.refresh_from_db()
    assert county.warning_level == "red"
    with at(dt.date(2023, 1, 2)):
        deadlines_scan(send_mail=False)
    county.refresh_from_db()
    assert county.warning_level == "green" and county.due_on == dt.date(2023, 3, 31)
    assert ScanRun.objects.filter(today=dt.date(2023, 1, 2)).exists()


def test_a_recurring_problem_deadline_moves_on_with_its_measures(users: Any) -> None:
    from rectify.plans.services import problem_update_deadline

    problem = Problem.objects.filter(deadline_kind="date", due_on=dt.date(2022, 12, 31)).order_by("index").first()
    assert problem is not None
    old_raw = problem.deadline_raw
    following = list(problem.measures.filter(deadline_raw=old_raw).values_list("pk", flat=True))
    with at(dt.date(2022, 8, 3)):
        problem_update_deadline(actor=users["city_office"], problem=problem, raw="每月", version=problem.version)
    problem.refresh_from_db()
    assert (problem.deadline_kind, problem.recurrence, problem.due_on) == ("recurring", "monthly", dt.date(2022, 8, 31))
    assert set(Measure.objects.filter(pk__in=following).values_list("recurrence", "due_on")) == {
        ("monthly", dt.date(2022, 8, 31))
    }
    with at(dt.date(2022, 9, 1)):
        recurring_dues_advance(today=dt.date(2022, 9, 1))
    problem.refresh_from_db()
    assert problem.due_on == dt.date(2022, 9, 30)
    assert set(
        Assignment.objects.filter(measure_id__in=following, unit__isnull=False, due_extended=False).values_list(
            "due_on", flat=True
        )
    ) == {dt.date(2022, 9, 30)}
    # A recurring problem is no plan's horizon: 按序时进度 items still run to the last real date.
    from rectify.supervision.services import plan_horizons

    assert plan_horizons()[problem.plan_id] == dt.date(2025, 12, 31)


def test_the_office_can_still_close_a_recurring_share(users: Any) -> None:
    measure = shared_measure()
    with at(dt.date(2022, 10, 20)):
        measure_deadline_change(actor=users["city_office"], measure=measure, raw="每半年", version=measure.version)
    shares = list(Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit"))
    with at(dt.date(2022, 11, 1)):
        for share in shares:
            accept(apply_share(share), users)
    finish("2022-11-20")
    # 销号 like any dated item (not 长期坚持): nothing closes a recurring item by date, the office does.
    assert {Assignment.objects.get(pk=s.pk).status for s in shares} == {ShareStatus.CLOSED}
    measure.refresh_from_db()
    assert measure.status == ItemStatus.CLOSED and measure.closed_on == dt.date(2022, 11, 9)
    with at(dt.date(2023, 1, 3)):
        deadlines_scan(send_mail=False)
    assert {a.warning_level for a in Assignment.objects.filter(measure=measure, unit__isnull=False)} == {"green"}
    assert Assignment.objects.get(pk=shares[0].pk).warning_summary == "正常"
