"""Random histories of reports, returns, extensions, close-out states and reopens on the seed plan's
shared measures: every roll-up, every board count, every figure and score of the month's 月通报, the
工作简报's counts and the figures a letter quotes equal independent queries of the shares.

The expected values are computed here from the rows, with the written rule of docs/rollup.md
(not by calling rectify.plans.rollup), so a wrong roll-up cannot agree with itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rectify.core.errors import DomainError
from rectify.core.formats import format_percent
from rectify.documents.figures import month_figures
from rectify.documents.services import lead_item
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Problem
from rectify.progress import periods, services
from rectify.progress.models import ProgressReport
from rectify.supervision import notices
from rectify.supervision.models import Warning
from rectify.supervision.selectors import LedgerFilters, county_counts, warning_counts
from rectify.supervision.services import deadlines_scan, warnings_refresh
from tests.domain.test_circular_figures import FIELDS, expect, expected_score

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
ORDER = {"": -1, "green": 0, "yellow": 1, "red": 2}
DONE = {"applying", "completed", "closed", "ongoing"}


class Rollback(Exception):
    pass


def expected_measure(shares: list[dict[str, Any]]) -> dict[str, Any]:
    lead = [s for s in shares if s["role"] == "lead"] or shares
    reported = [100 if s["status"] in {"completed", "closed", "ongoing"} else s["progress"] for s in lead]
    total = math.fsum(p or 0 for p in reported)
    progress = None if all(p is None for p in reported) else round(total / len(reported), 1)
    level = max((s["warning_level"] for s in lead), key=lambda lv: ORDER[lv], default="")
    statuses = [s["status"] for s in lead]
    if all(x in {"closed", "ongoing"} for x in statuses):
        status = "ongoing" if "ongoing" in statuses else "closed"
    elif all(x in DONE for x in statuses):
        status = "completed"
    else:
        status = "in_progress"
    return {"progress": progress, "warning_level": level, "status": status}


events = st.lists(
    st.tuples(
        st.sampled_from(["report", "return", "extend", "apply", "accept", "close", "reopen"]),
        st.integers(min_value=0, max_value=10_000),
        st.integers(min_value=0, max_value=100),
    ),
    min_size=1,
    max_size=14,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=events, scan_day=st.integers(min_value=0, max_value=200))
def test_roll_ups_and_board_counts_equal_independent_queries(users: Any, history: Any, scan_day: int) -> None:
    try:
        with transaction.atomic():
            run(users, history, dt.date(2022, 7, 1) + dt.timedelta(days=scan_day))
            raise Rollback
    except Rollback:
        pass


def run(users: Any, history: list[tuple[str, int, int]], today: dt.date) -> None:
    # This history also writes shares by `.update()`, past the audit trail (no service does): the
    # counts kept until the trail moves (audit.kept) must not carry over from an earlier example.
    cache.clear()
    problems = list(Problem.objects.filter(number__in=["二", "三", "十二", "二十"]).values_list("pk", flat=True))
    shares = list(Assignment.objects.filter(measure__problem_id__in=problems, unit__isnull=False).order_by("pk"))
    clerk = users["county_clerk"]
    mine = [a for a in shares if a.unit and a.unit.name == "朔城区政府"]
    rule = services.calendar_rule()
    touched: set[int] = set()
    for n, (kind, pick, value) in enumerate(history):
        day = dt.date(2022, 6, 1) + dt.timedelta(days=7 * (n % 10))
        with time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=SH), tick=False):
            if kind in {"report", "return"} and mine:
                a = mine[pick % len(mine)]
                a.refresh_from_db()
                if a.status not in ("not_started", "in_progress", "relapsed"):
                    continue
                period = periods.week_of(day, rule)
                data = services.ReportInput(progress_text="进展", next_plan="计划", percent=value)
                try:
                    report = services.report_save(actor=clerk, assignment=a, period=period, data=data, submit=True)
                except DomainError:
                    continue  # already submitted for that week: the service refuses, as it should
                if kind == "return" and report.status == "submitted":
                    services.report_return(actor=users["city_office"], report=report, reason="请补充")
                touched.add(a.measure_id or 0)
            else:
                a = shares[pick % len(shares)]
                if kind == "extend" and a.due_on is not None:
                    Assignment.objects.filter(pk=a.pk).update(
                        due_on=a.due_on + dt.timedelta(days=value), due_extended=True
                    )
                else:
                    status = {"apply": "applying", "accept": "completed", "close": "closed", "reopen": "relapsed"}.get(
                        kind, "in_progress"
                    )
                    Assignment.objects.filter(pk=a.pk).update(status=status)
                touched.add(a.measure_id or 0)
        if touched:
            warnings_refresh(measure_ids=touched, today=day)
    with time_machine.travel(dt.datetime.combine(today, dt.time(9), tzinfo=SH), tick=False):
        deadlines_scan(today=today, send_mail=False)

    # Every share: its progress is its own latest counted report (independent query).
    for a in Assignment.objects.filter(pk__in=[s.pk for s in mine]):
        latest = (
            ProgressReport.objects.filter(assignment=a, status__in=["submitted", "accepted"])
            .order_by("-period_start", "-submitted_at")
            .values_list("percent", flat=True)
            .first()
        )
        assert a.progress == latest
    # Every share's open warnings say exactly its stored level.
    for a in Assignment.objects.filter(measure__problem_id__in=problems, unit__isnull=False):
        open_levels = set(
            Warning.objects.filter(assignment=a, resolved_on__isnull=True).values_list("level", flat=True)
        )
        worst = max(open_levels, key=lambda lv: ORDER[lv], default="green")
        assert a.warning_level == worst, (a.pk, a.warning_level, open_levels)
    # Every measure is the roll-up of its shares by the written rule.
    by_measure: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in Assignment.objects.filter(measure__problem_id__in=problems, unit__isnull=False).values(
        "measure_id", "role", "progress", "warning_level", "status"
    ):
        by_measure[row["measure_id"]].append(row)
    for m in Measure.objects.filter(pk__in=list(by_measure)):
        want = expected_measure(by_measure[m.pk])
        assert (m.progress, m.warning_level, m.status) == (want["progress"], want["warning_level"], want["status"])
    # Every problem is the roll-up of its measures.
    for p in Problem.objects.filter(pk__in=problems):
        ms = list(Measure.objects.filter(problem=p).values_list("progress", "warning_level"))
        values = [x[0] for x in ms]
        progress = None if all(v is None for v in values) else round(math.fsum(v or 0 for v in values) / len(values), 1)
        assert p.progress == progress
        assert p.warning_level == max((x[1] for x in ms), key=lambda lv: ORDER[lv])
    # The board counts shares by level, for the city and per county, equal to independent counts.
    counts = warning_counts(viewer=users["city_office"], filters=LedgerFilters())
    all_shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    for level in ("red", "yellow", "green"):
        assert counts[level] == all_shares.filter(warning_level=level).count()
    assert counts["total"] == all_shares.count()
    for row in county_counts(viewer=users["city_office"], filters=LedgerFilters()):
        if row["pk"] is None:
            continue
        path = OrgUnit.objects.get(pk=row["pk"]).path
        for level in ("red", "yellow", "green"):
            assert row[level] == all_shares.filter(unit__path__startswith=path, warning_level=level).count()
    # A clerk's board counts only its own unit's shares.
    clerk_counts = warning_counts(viewer=clerk, filters=LedgerFilters())
    assert clerk_counts["total"] == all_shares.filter(unit__memberships__user=clerk).count()
    check_circular(today)
    check_letter(today, pick=len(history))
    check_briefing(today)


def check_briefing(today: dt.date) -> None:
    """The 工作简报's lead article for the fortnight before `today`: its counts of reports filed and
    of tasks newly warned, from independent queries."""
    city = OrgUnit.objects.get(depth=0)
    start, end = today - dt.timedelta(days=13), today
    text = "".join(lead_item(city, start, end)["paragraphs"])
    window = (
        dt.datetime.combine(start, dt.time.min, tzinfo=SH),
        dt.datetime.combine(end, dt.time.max, tzinfo=SH),
    )
    filed = ProgressReport.objects.filter(
        first_submitted_at__gte=window[0], first_submitted_at__lte=window[1], assignment__unit__isnull=False
    )
    n, units = filed.count(), filed.values("unit_id").distinct().count()
    if n:
        assert f"{units}个责任单位报送工作进展{n}份" in text, text
    else:
        assert "没有责任单位报送工作进展" in text
    warned = Warning.objects.filter(raised_on__gte=start, raised_on__lte=end, level__in=["red", "yellow"])
    red = warned.filter(level="red").values("assignment_id").distinct().count()
    total = warned.values("assignment_id").distinct().count()
    if total:
        assert f"新增预警的责任单位任务{total}项，其中红色预警{red}项、黄色预警{total - red}项" in text, text
    else:
        assert "没有新增红色、黄色预警的任务" in text


def check_circular(today: dt.date) -> None:
    """The month's 月通报 figures and scores, unit by unit, against the definitions written again in
    test_circular_figures.py (its own queries)."""
    mf = month_figures(today.year, today.month, region=OrgUnit.objects.get(depth=0), today=today)
    expected = expect(mf.as_of, dt.datetime.combine(mf.as_of, dt.time.max, tzinfo=SH))
    assert {f.unit_id for f in mf.units} == set(expected)
    weights = django_settings.RECTIFY_CIRCULAR_WEIGHTS
    for f in mf.units:
        e = expected[f.unit_id]
        assert {k: getattr(f, k) for k in FIELDS} == {k: e[k] for k in FIELDS}, f.unit
        assert f.score == expected_score(e, weights), f.unit
    idle = [f for f in mf.units if f.idle]
    for f in mf.units:
        if f.reports_on_time + f.reports_late > 0:
            assert all(f.rank < i.rank for i in idle), f.unit


def check_letter(today: dt.date, *, pick: int) -> None:
    """A letter to one unit quotes that unit's own progress for each measure, never an average."""
    shares = list(
        Assignment.objects.filter(measure__problem__number__in=["二", "十二"], unit__isnull=False)
        .select_related("unit", "measure__problem")
        .order_by("pk")
    )
    share = shares[pick % len(shares)]
    assert share.unit is not None and share.measure is not None
    mine = list(
        Measure.objects.filter(assignments__unit=share.unit, problem__number__in=["二", "十二"])
        .select_related("problem")
        .order_by("pk")
    )
    body = notices.default_body("reminder", share.unit, mine, today=today, due=None)
    if len(mine) > notices.INLINE_MEASURES:
        # Too many to set out in the body: the 附件 table lists each with the unit's own progress.
        from rectify.documents.notice_docs import measure_table

        assert "见附件" in body
        table = measure_table(share.unit.pk, [m.pk for m in mine], as_of=today)
        assert table is not None and len(table.rows) == len(mine)
        for m in mine:
            own = Assignment.objects.get(measure=m, unit=share.unit)
            row = next(
                r for r in table.rows if r[0] == f"（{m.problem.number}）" and r[1].startswith(f"措施{m.number}：")
            )
            assert row[3] == ("未报送" if own.progress is None else format_percent(own.progress)), (row, own.progress)
        return
    for m in mine:
        own = Assignment.objects.get(measure=m, unit=share.unit)
        said = "至今未报送进展" if own.progress is None else f"进度{format_percent(own.progress)}"
        line = next(x for x in body.splitlines() if f"{m.label}：" in x)
        assert said in line, (line, own.progress)
        if m.progress is not None and own.progress != m.progress:
            assert f"进度{format_percent(m.progress)}" not in line
