"""月通报 figures against a built history, checked against this file's own queries (no expected
number is typed by hand): October 2022 seen from November 3rd, where 朔城区政府 files every report
on time, 市能源局 some on time, one late and one never, 市生态环境局 completes tasks without
reporting, 平鲁区政府 has a task extended, 市委办公室 receives a 提醒函, and everyone else is idle;
red warnings come from the deadline scan run on October 31st.

Also: who is named, the 县（市、区） as wholes, "均按时报送" only when true, and a task reopened in
the month. The rule by property is in test_circular_scoring.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db.models import Count

from rectify.core.formats import format_percent
from rectify.documents import compose, services
from rectify.documents.figures import month_figures, reporting
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ShareStatus
from rectify.progress.models import MissedReport, ProgressReport, ReportingCalendar, ReportStatus
from rectify.supervision import notices
from rectify.supervision.models import NoticeKind, NoticeStatus, SupervisionNotice, Warning
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
AFTER = dt.datetime(2022, 11, 3, 10, tzinfo=SHANGHAI)  # October is over
YEAR, MONTH = 2022, 10
FIRST, LAST = dt.date(2022, 10, 1), dt.date(2022, 10, 31)
DONE = ["applying", "completed", "closed", "ongoing"]
REPORTING = ["not_started", "in_progress", "relapsed", "ongoing"]
COUNTED = [ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]
REPORTER, PARTIAL, FINISHER, EXTENDED, WARNED = "朔城区政府", "市能源局", "市生态环境局", "平鲁区政府", "市委办公室"


def at(moment: dt.datetime) -> Any:
    return time_machine.travel(moment, tick=False)


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def root() -> OrgUnit:
    return OrgUnit.objects.get(depth=0)


def shares_of(name: str) -> Any:
    return Assignment.objects.filter(unit__name=name, measure__isnull=False).order_by("measure__problem__index", "pk")


def deadlines(first: dt.date, end_at: dt.datetime) -> list[tuple[str, dt.date, dt.date, dt.datetime]]:
    """The reporting deadlines in [first 00:00, end_at], from the calendar: a week's report on its
    weekday, the previous month's summary on the day of this month."""
    cal, _ = ReportingCalendar.objects.get_or_create(pk=1)
    start_at = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
    out = []
    monday = first - dt.timedelta(days=first.weekday() + 7)
    while True:
        due = dt.datetime.combine(monday + dt.timedelta(days=cal.weekly_weekday), cal.weekly_time, tzinfo=SHANGHAI)
        if due > end_at:
            break
        if due >= start_at:
            out.append(("weekly", monday, monday + dt.timedelta(days=6), due))
        monday += dt.timedelta(days=7)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    due = dt.datetime.combine(first.replace(day=cal.monthly_day), cal.monthly_time, tzinfo=SHANGHAI)
    if start_at <= due <= end_at:
        out.append(("monthly", previous, first - dt.timedelta(days=1), due))
    return out


def file(share: Assignment, kind: str, start: dt.date, end: dt.date, when: dt.datetime, percent: int = 50) -> None:
    ProgressReport.objects.create(
        assignment=share,
        unit_id=share.unit_id,
        measure_id=share.measure_id,
        kind=kind,
        period_start=start,
        period_end=end,
        progress_text="按计划推进",
        percent=percent,
        status=ReportStatus.SUBMITTED,
        submitted_at=when,
        first_submitted_at=when,
    )


# --- the history -----------------------------------------------------------------------------


@pytest.fixture
def history(users: Any, tmp_path: Path, settings: Any) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    end_at = dt.datetime.combine(LAST, dt.time.max, tzinfo=SHANGHAI)
    periods = deadlines(FIRST, end_at)
    reporter = list(shares_of(REPORTER))
    reports = []
    for kind, start, end, due in periods:
        for share in reporter:
            reports.append((share, kind, start, end, due - dt.timedelta(hours=3)))
    # 市能源局: the first period on time, the second late (in October), the third after the month, the rest never.
    partial = list(shares_of(PARTIAL))
    (k1, s1, e1, d1), (k2, s2, e2, d2), (k3, s3, e3, _) = periods[:3]
    for share in partial:
        reports.append((share, k1, s1, e1, d1 - dt.timedelta(hours=1)))
        reports.append((share, k2, s2, e2, d2 + dt.timedelta(days=1)))
        reports.append((share, k3, s3, e3, dt.datetime(2022, 11, 1, 9, tzinfo=SHANGHAI)))
    for share, kind, start, end, when in reports:
        file(share, kind, start, end, when)
    # 朔城区政府 reaches 100 % on three overdue tasks in mid-October (its status stays 整改中).
    overdue = [s for s in reporter if s.due_on and s.due_on < FIRST][:3]
    for share in overdue:
        ProgressReport.objects.filter(assignment=share, period_start=periods[2][1], kind=periods[2][0]).update(
            percent=100
        )
    # 市生态环境局 completes two tasks (status), without a single report.
    finisher = list(shares_of(FINISHER).filter(due_on__lt=FIRST)[:1]) + list(
        shares_of(FINISHER).filter(due_on__gt=LAST)[:1]
    )
    Assignment.objects.filter(pk__in=[s.pk for s in finisher]).update(status=ShareStatus.COMPLETED)
    # 平鲁区政府: one overdue task extended to the end of the year (its partner keeps the old date).
    extended = shares_of(EXTENDED).filter(due_on__lt=FIRST).first()
    assert extended is not None
    Assignment.objects.filter(pk=extended.pk).update(due_on=dt.date(2022, 12, 31), due_extended=True)
    # 市委办公室 receives a 提醒函 on October 20th.
    with at(dt.datetime(2022, 10, 20, 10, tzinfo=SHANGHAI)):
        notice = notices.notice_draft(
            actor=users["city_office"],
            data=notices.NoticeInput(
                kind=NoticeKind.REMINDER, unit=unit(WARNED), measures=[shares_of(WARNED).first().measure]
            ),
        )
        notices.notice_issue(actor=users["city_office"], notice=notice)
    with at(dt.datetime(2022, 10, 31, 20, tzinfo=SHANGHAI)):
        deadlines_scan(send_mail=False)
    with at(AFTER):
        yield {"periods": periods, "extended": extended, "overdue_done": overdue, "finisher": finisher}


# --- independent expectations ----------------------------------------------------------------


def expect(as_of: dt.date, end_at: dt.datetime, region: OrgUnit | None = None) -> dict[int, dict[str, Any]]:
    """Per unit, every figure of the circular, from this file's own reading of the definitions."""
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, unit__is_active=True)
    if region is not None:
        shares = shares.filter(unit__path__startswith=region.path)
    full: dict[int, dt.date] = {}
    for share_id, when in ProgressReport.objects.filter(
        assignment__in=shares, status__in=COUNTED, percent=100
    ).values_list("assignment_id", "submitted_at"):
        day = when.astimezone(SHANGHAI).date()
        full[share_id] = min(full.get(share_id, day), day)
    red_open = set(
        Warning.objects.filter(assignment__in=shares, level="red", raised_on__lte=as_of)
        .exclude(resolved_on__lte=as_of)
        .values_list("assignment_id", flat=True)
    )
    out: dict[int, dict[str, Any]] = {}
    for uid, name in shares.values_list("unit_id", "unit__name").distinct():
        out[uid] = defaultdict(int, unit=name, notices={})
    for pk, uid, status, due_on, closed_on in shares.values_list("pk", "unit_id", "status", "due_on", "closed_on"):
        known = [d for d in (full.get(pk), closed_on if status in ("closed", "ongoing") else None) if d]
        when = min(known) if known else None
        if status in DONE:
            done = when is None or when <= as_of
        else:
            done = status != "relapsed" and pk in full and full[pk] <= as_of
        e = out[uid]
        e["shares"] += 1
        e["completed"] += done
        e["on_time"] += done and (due_on is None or (when or as_of) <= due_on)
        is_due = due_on is not None and due_on < as_of
        e["due"] += is_due
        e["due_done"] += is_due and done
        e["overdue"] += is_due and not done
        e["red"] += (is_due and not done) or pk in red_open
    first = as_of.replace(day=1)
    start_at = dt.datetime.combine(first, dt.time.min, tzinfo=SHANGHAI)
    owing = shares.filter(status__in=REPORTING)
    per: dict[tuple[int, str, dt.date], list[int]] = {}
    for kind, start, _, due in deadlines(first, end_at):
        owed = dict(owing.values_list("unit_id").annotate(n=Count("pk")))
        filed = ProgressReport.objects.filter(assignment__in=owing, kind=kind, period_start=start)
        on_time = dict(filed.filter(first_submitted_at__lte=due).values_list("unit_id").annotate(n=Count("pk")))
        late = dict(
            filed.filter(first_submitted_at__gt=due, first_submitted_at__lte=end_at)
            .values_list("unit_id")
            .annotate(n=Count("pk"))
        )
        for uid, n in owed.items():
            per[(uid, kind, start)] = [n, n - on_time.get(uid, 0), late.get(uid, 0)]
    for m in MissedReport.objects.filter(unit__in=out.keys(), due_at__gte=start_at, due_at__lte=end_at):
        owed, missed, late = per.get((m.unit_id, m.kind, m.period_start), [0, 0, 0])
        per[(m.unit_id, m.kind, m.period_start)] = [max(owed, m.required), max(missed, m.missing), late]
    for (uid, _, _), (owed, missed, late) in per.items():
        if uid in out and owed:
            e = out[uid]
            e["reports_owed"] += owed
            e["reports_on_time"] += owed - missed
            e["reports_late"] += min(late, missed)
            e["reports_missing"] += missed - min(late, missed)
            e["missed_periods"] += 1 if missed else 0
    for uid, kind, n in (
        SupervisionNotice.objects.filter(unit__in=out.keys(), issued_on__gte=first, issued_on__lte=as_of)
        .exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
        .values_list("unit_id", "kind")
        .annotate(n=Count("pk"))
    ):
        out[uid]["notices"][kind] = n
    return out


def expected_score(e: dict[str, Any], w: dict[str, float]) -> float:
    """The rule as docs/rollup.md states it, written again here."""
    owed, on_time, late = e["reports_owed"], e["reports_on_time"], e["reports_late"]
    r = (on_time + w["late"] * late) / owed if owed else 1
    c = e["due_done"] / e["due"] if e["due"] else 1
    g = 1 - e["red"] / e["shares"] if e["shares"] else 1
    idle = owed > 0 and on_time + late == 0 and e["completed"] == 0
    rest = w["complete"] * c + w["green"] * g - w["notice"] * sum(e["notices"].values()) - w["reopen"] * e["reopened"]
    raw = w["report"] * r + (0 if idle else max(0, rest))
    score = math.ceil(round(raw * 10, 6)) / 10
    return 0.1 if raw > 0 and score == 0 else score


FIELDS = [
    "shares",
    "completed",
    "on_time",
    "due",
    "due_done",
    "overdue",
    "red",
    "reports_owed",
    "reports_on_time",
    "reports_late",
    "reports_missing",
    "missed_periods",
    "reopened",
]


def october(region: OrgUnit | None = None) -> Any:
    return month_figures(YEAR, MONTH, region=region or root())


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=SHANGHAI)


# --- every figure ----------------------------------------------------------------------------


def test_every_units_figures_and_score_match_independent_queries(history: Any, settings: Any) -> None:
    mf = october()
    expected = expect(mf.as_of, end_of(mf.as_of))
    assert mf.as_of == LAST and {f.unit_id for f in mf.units} == set(expected)
    for f in mf.units:
        e = expected[f.unit_id]
        assert {k: getattr(f, k) for k in FIELDS} == {k: e[k] for k in FIELDS}, f.unit
        assert f.notices == e["notices"], f.unit
        assert f.score == expected_score(e, settings.RECTIFY_CIRCULAR_WEIGHTS), f.unit
        assert f.idle == (
            e["reports_owed"] > 0 and e["reports_on_time"] + e["reports_late"] == 0 and not e["completed"]
        )
    # The history did what it says: each case is present in the figures.
    by = {f.unit: f for f in mf.units}
    assert by[REPORTER].reports_on_time == by[REPORTER].reports_owed > 0
    assert by[PARTIAL].reports_on_time and by[PARTIAL].reports_late and by[PARTIAL].reports_missing
    assert by[FINISHER].reports_on_time + by[FINISHER].reports_late == 0 < by[FINISHER].completed
    assert not by[FINISHER].idle and by[WARNED].notices == {"reminder": 1}


def test_ranks_are_shared_on_equal_scores_in_directory_order(history: Any) -> None:
    rows = october().units
    for before, after in itertools.pairwise(rows):
        assert before.score > after.score or (before.score == after.score and before.path < after.path)
    for position, f in enumerate(rows, start=1):
        assert f.rank == 1 + sum(1 for g in rows if g.score > f.score), (position, f.unit)


def test_the_unit_that_reported_ranks_above_every_idle_unit(history: Any) -> None:
    rows = october().units
    idle = [f for f in rows if f.idle]
    reporters = [f for f in rows if f.reports_on_time + f.reports_late > 0]
    assert len(idle) >= 17 and REPORTER in {f.unit for f in reporters}
    for r in reporters:
        for i in idle:
            assert r.score > i.score and r.rank < i.rank, (r.unit, i.unit)


def test_an_extension_moves_one_units_share_only(history: Any) -> None:
    extended: Assignment = history["extended"]
    partner = Assignment.objects.get(measure_id=extended.measure_id, unit__name="平鲁区党委")
    mf = october()
    states = {f.unit: f for f in mf.units}
    own = shares_of(EXTENDED).filter(due_on__lt=LAST).exclude(status__in=DONE).count()
    other = shares_of("平鲁区党委").filter(due_on__lt=LAST).exclude(status__in=DONE).count()
    assert partner.due_on is not None and partner.due_on < LAST and not partner.due_extended
    assert states[EXTENDED].overdue == own == other - 1


def test_overdue_tasks_are_red_and_the_scan_on_the_cutoff_agrees(history: Any) -> None:
    mf = october()
    for f in [*mf.units, *mf.counties]:
        assert f.overdue <= f.red <= f.shares, f.unit
    assert mf.totals.overdue <= mf.totals.red
    # The scan ran on the cutoff day: every overdue task has its own open red warning, so "red"
    # needs nothing added from the overdue rule (the two come from the same share-level data).
    done_by_report = ProgressReport.objects.filter(percent=100, submitted_at__lte=end_of(LAST)).values("assignment_id")
    overdue = (
        Assignment.objects.filter(measure__isnull=False, unit__isnull=False, due_on__lt=LAST)
        .exclude(status__in=DONE)
        .exclude(pk__in=done_by_report)
    )
    unwarned = overdue.exclude(
        pk__in=Warning.objects.filter(level="red", raised_on__lte=LAST, resolved_on__isnull=True).values(
            "assignment_id"
        )
    )
    assert overdue.count() == mf.totals.overdue > 0 and not unwarned.exists()


def test_totals_sum_the_units_and_count_measures_apart(history: Any) -> None:
    mf = october()
    expected = expect(mf.as_of, end_of(mf.as_of))
    t = mf.totals
    for name in FIELDS:
        assert getattr(t, name) == sum(e[name] for e in expected.values()), name
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, unit__is_active=True)
    assert t.shares == shares.count()
    assert t.measures == shares.values("measure_id").distinct().count() < t.shares
    assert t.overdue_units == sum(1 for e in expected.values() if e["overdue"])
    assert t.red_units == sum(1 for e in expected.values() if e["red"])
    assert t.owing_units == sum(1 for e in expected.values() if e["reports_owed"])
    assert t.missed_units == sum(1 for e in expected.values() if e["missed_periods"])


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", text))


def test_every_number_in_the_generated_paragraphs_is_an_independent_figure(history: Any, users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=YEAR, month=MONTH)
    text = circular.figures["text"]
    expected = expect(LAST, end_of(LAST))
    e = {name: sum(x[name] for x in expected.values()) for name in FIELDS}
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, unit__is_active=True)
    measures = shares.values("measure_id").distinct().count()
    units = len(expected)
    overdue_units = sum(1 for x in expected.values() if x["overdue"])
    red_units = sum(1 for x in expected.values() if x["red"])
    rate = format_percent(e["completed"] * 100 / e["shares"])
    progress = text["progress"]
    assert f"全市{units}个责任单位共承担责任单位任务{e['shares']}项（涉及整改措施{measures}项）" in progress
    assert f"已完成{e['completed']}项（其中按期完成{e['on_time']}项），完成率{rate}" in progress
    assert f"整改时限在10月31日之前的任务{e['due']}项，已完成{e['due_done']}项" in progress
    assert f"逾期未完成{e['overdue']}项（涉及{overdue_units}个单位）" in progress
    assert f"处于红色预警的任务{e['red']}项（涉及{red_units}个单位），其中逾期未完成{e['overdue']}项" in progress
    allowed = {str(n) for n in [YEAR, MONTH, LAST.day, units, e["shares"], measures, e["completed"], e["on_time"]]}
    allowed |= {str(n) for n in [e["due"], e["due_done"], e["overdue"], overdue_units, e["red"], red_units]}
    assert numbers(progress) <= allowed | numbers(rate)
    owing = sum(1 for x in expected.values() if x["reports_owed"])
    missed_units = sum(1 for x in expected.values() if x["missed_periods"])
    notices_sent = SupervisionNotice.objects.filter(issued_on__gte=FIRST, issued_on__lte=LAST).exclude(
        status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED]
    )
    report_rate = format_percent(e["reports_on_time"] * 100 / e["reports_owed"])
    reporting_text = text["reporting"]
    assert "均按时报送" not in reporting_text
    assert f"{owing}个单位应报送工作进展{e['reports_owed']}份，按时报送{e['reports_on_time']}份" in reporting_text
    assert f"按时报送率{report_rate}；{missed_units}个单位共{e['missed_periods']}期次未按时报送" in reporting_text
    assert f"逾期补报{e['reports_late']}份、截至10月31日仍未报送{e['reports_missing']}份" in reporting_text
    notice_units = notices_sent.values("unit_id").distinct().count()
    assert f"当月向{notice_units}个单位印发督办文书{notices_sent.count()}份" in reporting_text
    allowed = {str(n) for n in [MONTH, LAST.day, owing, e["reports_owed"], e["reports_on_time"], missed_units]}
    allowed |= {str(n) for n in [e["missed_periods"], e["reports_late"], e["reports_missing"]]}
    allowed |= {str(n) for n in [notice_units, notices_sent.count(), notices_sent.filter(kind="reminder").count()]}
    assert numbers(reporting_text) <= allowed | numbers(report_rate)
    # The named units' facts are their own figures.
    named = {f.unit_id: f for f in compose.figures_laggards(circular)}
    for f in named.values():
        x = expected[f.unit_id]
        assert f.unit in text["problems"]
        if not f.idle:
            assert f"得分{f.score_text}分，排名第{f.rank}位" in text["problems"]
        if x["overdue"]:
            assert f"{f.unit}（" in text["problems"] and f"逾期未完成任务{x['overdue']}项" in text["problems"]
    assert f"现对以下{len(named)}个单位予以点名通报" in text["problems"]
    for f in compose.figures_units(circular):
        if f.unit_id not in named:
            assert f.unit not in text["problems"]


def test_named_units_are_exactly_the_bottom_n_and_those_below_the_threshold(history: Any, settings: Any) -> None:
    for n, below in [(3, 60), (0, 0), (5, 0), (0, 95), (40, 0)]:
        settings.RECTIFY_CIRCULAR_LAGGARDS, settings.RECTIFY_CIRCULAR_LAGGARD_BELOW = n, below
        mf = october()
        full = sum(settings.RECTIFY_CIRCULAR_WEIGHTS[k] for k in ("report", "complete", "green"))
        lost = sorted(f.score for f in mf.units if f.score < full)
        bottom = {f.unit_id for f in mf.units if n and lost and f.score <= lost[min(n, len(lost)) - 1]}
        below_ids = {f.unit_id for f in mf.units if f.score < below}
        assert set(mf.named) == bottom | below_ids, (n, below)
        assert mf.named == [f.unit_id for f in mf.units if f.unit_id in bottom | below_ids]


def test_each_county_as_a_whole_sums_its_subtree(history: Any, settings: Any) -> None:
    mf = october()
    expected = expect(mf.as_of, end_of(mf.as_of))
    paths = dict(OrgUnit.objects.filter(pk__in=expected).values_list("pk", "path"))
    counties = OrgUnit.objects.filter(kind="region", depth=1, is_active=True)
    assert {c.unit_id for c in mf.counties} == {
        c.pk for c in counties if any(p.startswith(c.path) for p in paths.values())
    }
    for whole in mf.counties:
        county = counties.get(pk=whole.unit_id)
        inside = [e for uid, e in expected.items() if paths[uid].startswith(county.path)]
        summed: dict[str, Any] = defaultdict(int, notices={})
        for e in inside:
            for name in FIELDS:
                summed[name] += e[name]
            for kind, k in e["notices"].items():
                summed["notices"][kind] = summed["notices"].get(kind, 0) + k
        assert (
            whole.units
            == len(inside)
            == Assignment.objects.filter(unit__path__startswith=county.path, measure__isnull=False)
            .values("unit_id")
            .distinct()
            .count()
        )
        assert {k: getattr(whole, k) for k in FIELDS} == {k: summed[k] for k in FIELDS}, county.name
        assert whole.score == expected_score(summed, settings.RECTIFY_CIRCULAR_WEIGHTS)
    assert [c.rank for c in mf.counties] == sorted(c.rank for c in mf.counties)
    assert october(unit("朔城区")).counties == []  # a county's circular ranks its own units only


def test_a_missed_report_recorded_at_the_deadline_counts_even_if_the_task_is_done_now(history: Any) -> None:
    # A MissedReport says 市能源局 owed and missed more than its reports show today (two of its
    # tasks were completed since, and no longer owe reports).
    kind, start, _, due = history["periods"][-1]
    before = reporting([unit(PARTIAL).pk], due - dt.timedelta(hours=1), due)[unit(PARTIAL).pk]
    shares_of(PARTIAL).filter(pk__in=list(shares_of(PARTIAL).values_list("pk", flat=True)[:2])).update(
        status=ShareStatus.COMPLETED
    )
    after = reporting([unit(PARTIAL).pk], due - dt.timedelta(hours=1), due)[unit(PARTIAL).pk]
    row = MissedReport.objects.get(unit__name=PARTIAL, kind=kind, period_start=start)
    assert (before.owed, after.owed) == (row.required, row.required)
    assert after.owed - after.on_time == row.missing


# --- 均按时报送 --------------------------------------------------------------------------------


def test_all_on_time_is_said_only_when_every_owing_unit_filed_every_report_on_time(users: Any) -> None:
    with at(AFTER):
        owing = Assignment.objects.filter(
            measure__isnull=False, unit__isnull=False, unit__is_active=True, status__in=REPORTING
        )
        periods = deadlines(FIRST, end_of(LAST))
        ProgressReport.objects.bulk_create(
            ProgressReport(
                assignment=s,
                unit_id=s.unit_id,
                measure_id=s.measure_id,
                kind=kind,
                period_start=start,
                period_end=end,
                progress_text="按计划推进",
                percent=50,
                status=ReportStatus.SUBMITTED,
                submitted_at=due - dt.timedelta(hours=2),
                first_submitted_at=due - dt.timedelta(hours=2),
            )
            for kind, start, end, due in periods
            for s in owing
        )
        circular, _ = services.circular_generate(actor=users["city_office"], year=YEAR, month=MONTH)
        units = owing.values("unit_id").distinct().count()
        said = f"10月，应报送工作进展的{units}个单位均按时报送，共{owing.count() * len(periods)}份。"
        assert said in circular.figures["text"]["reporting"]
        # One report a minute late: no longer "均".
        kind, start, _, due = periods[0]
        ProgressReport.objects.filter(
            pk=ProgressReport.objects.filter(kind=kind, period_start=start).first().pk
        ).update(first_submitted_at=due + dt.timedelta(minutes=1))
        circular = services.circular_refresh(actor=users["city_office"], circular=circular)
        assert "均按时报送" not in circular.figures["text"]["reporting"]
        assert "1个单位共1期次未按时报送，其中逾期补报1份" in circular.figures["text"]["reporting"]


def test_nothing_owed_is_not_all_on_time(users: Any) -> None:
    with at(AFTER):
        ReportingCalendar.objects.update_or_create(pk=1, defaults={"starts_on": dt.date(2022, 12, 1)})
        circular, _ = services.circular_generate(actor=users["city_office"], year=YEAR, month=MONTH)
        text = circular.figures["text"]["reporting"]
        assert "均按时报送" not in text and "10月截至10月31日，没有到报送截止时间的工作进展。" in text
        totals = compose.figures_totals(circular)
        assert totals.reports_owed == 0 == totals.owing_units


# --- 反弹重开 ------------------------------------------------------------------------------------


def test_a_reopened_task_counts_against_its_own_unit_in_the_month(users: Any, tmp_path: Path, settings: Any) -> None:
    from rectify.closeout import services as closeout

    from .test_closeout import apply, single_lead_measure

    settings.MEDIA_ROOT = tmp_path / "media"
    measure = single_lead_measure()
    with at(dt.datetime(2022, 11, 1, 10, tzinfo=SHANGHAI)):
        app = apply(users, measure)
        closeout.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="")
    with at(dt.datetime(2022, 11, 9, 10, tzinfo=SHANGHAI)):
        closeout.closeouts_finish()
    december = dt.date(2022, 12, 31)
    with at(dt.datetime(2023, 1, 3, 10, tzinfo=SHANGHAI)):
        before = next(f for f in month_figures(2022, 12).units if f.unit_id == app.unit_id)
    with at(dt.datetime(2022, 12, 5, 10, tzinfo=SHANGHAI)):
        closeout.closeout_reopen(actor=users["city_office"], app=app, reason="反弹")
    with at(dt.datetime(2023, 1, 3, 10, tzinfo=SHANGHAI)):
        after = next(f for f in month_figures(2022, 12).units if f.unit_id == app.unit_id)
        e = expect(december, end_of(december))[app.unit_id]
    relapsed = Assignment.objects.filter(unit_id=app.unit_id, measure=measure, status=ShareStatus.RELAPSED)
    assert (before.reopened, after.reopened) == (0, relapsed.count()) and relapsed.exists()
    e["reopened"] = relapsed.count()
    assert {k: getattr(after, k) for k in FIELDS} == {k: e[k] for k in FIELDS}
    assert after.score == expected_score(e, settings.RECTIFY_CIRCULAR_WEIGHTS) < before.score
