"""Every figure of the 领导驾驶舱 and the county pages against an independent computation
(tests/dashboard_reference.py: plain loops over every row), first on a hand-made state of the seed
plan, then on a generated history played through the real services.

The hand-made tests come first: the history is a module fixture, set up at the first test that
asks for it and rolled back at the end of the module."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from rectify.dashboards import selectors
from rectify.dashboards.selectors import DashboardFilters
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Plan
from rectify.progress.periods import SHANGHAI
from rectify.supervision import selectors as supervision_selectors
from rectify.supervision.selectors import LedgerFilters
from tests import dashboard_reference as ref

pytestmark = pytest.mark.django_db

NOW, TODAY, LAST_WEEK, THIS_WEEK = ref.NOW, ref.TODAY, ref.LAST_WEEK, ref.THIS_WEEK
SHUOCHENG = "朔城区"


@pytest.fixture
def state(db: Any, users: dict[str, Any]) -> Iterator[None]:
    ref.build_state(users)
    with time_machine.travel(NOW, tick=False), ref.cached():
        yield


def check_dashboard(d: selectors.Dashboard, units: set[int] | None, today: dt.date) -> None:
    """The home page's figures for a viewer whose scope is `units` (None: the city)."""
    shares, measures = ref.shares_in(units), ref.visible_measures(units)
    assert d.shares.as_dict() == ref.tally(shares, today)
    assert d.measures.as_dict() == ref.measure_tally(measures, today)
    # by chapter and by problem: the ledger's measures, the viewer's shares
    for row in d.chapters:
        assert row.measures.as_dict() == ref.measure_tally(
            [m for m in measures if m.problem.chapter_id == row.pk], today
        )
        assert row.shares.as_dict() == ref.tally([a for a in shares if a.measure.problem.chapter_id == row.pk], today)
    assert sum(r.measures.total for r in d.chapters) == len(measures)
    assert sum(r.shares.total for r in d.chapters) == len(shares)
    for row in d.problems:
        assert row.measures.as_dict() == ref.measure_tally([m for m in measures if m.problem_id == row.pk], today)
        assert row.shares.as_dict() == ref.tally([a for a in shares if a.problem_id == row.pk], today)
    assert sum(r.shares.total for r in d.problems) == len(shares)
    # by unit, and the units with the most overdue shares
    by_unit: dict[int, list[Assignment]] = {}
    for a in shares:
        by_unit.setdefault(a.unit_id, []).append(a)  # type: ignore[arg-type]
    assert {u.pk for u in d.units} == set(by_unit)
    for u in d.units:
        assert u.shares.as_dict() == ref.tally(by_unit[u.pk], today)
    overdue = sorted(
        ((sum(ref.overdue(a, today) for a in rows), unit_id) for unit_id, rows in by_unit.items()), reverse=True
    )
    expected_top = [n for n, _ in overdue if n][: len(d.overdue_units)]
    assert [u.shares.overdue for u in d.overdue_units] == expected_top
    assert len(d.overdue_units) == min(10, sum(1 for n, _ in overdue if n))


def check_counties(rows: list[Any], today: dt.date, period_monday: dt.date) -> None:
    ranks = ref.county_ranks(today)
    for row in rows:
        inside = ref.subtree(row.name)
        assert row.shares.as_dict() == ref.tally(ref.shares_in(inside), today), row.name
        assert row.rank == ranks[row.name], row.name
        rep = ref.weekly_reporting(period_monday, inside)
        assert (row.reporting.owed, row.reporting.on_time, row.reporting.late) == (
            rep["owed"],
            rep["on_time"],
            rep["late"],
        )
        cases = [c for c in ref.visible_cases(None) if c.region_id == row.pk]
        assert (row.cases_total, row.cases_closed) == (len(cases), sum(1 for c in cases if c.status == "closed"))


# --- the hand-made state ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "region"), [("city_office", None), ("leader", None), ("county_office", SHUOCHENG)]
)
def test_the_dashboard_figures_match_independent_counts(state: None, users: Any, username: str, region: str) -> None:
    units = ref.subtree(region) if region else None
    d = selectors.dashboard_get(viewer=users[username], filters=DashboardFilters())
    assert d.shares.total > 100 and d.shares.done and d.shares.red and d.shares.overdue
    check_dashboard(d, units, TODAY)


def test_the_weekly_reporting_rates_are_of_the_last_closed_and_the_current_week(state: None, users: Any) -> None:
    d = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters())
    assert d.reporting_last.period.start == LAST_WEEK and d.reporting_current.period.start == THIS_WEEK
    last, now = ref.weekly_reporting(LAST_WEEK, None), ref.weekly_reporting(THIS_WEEK, None)
    assert (d.reporting_last.owed, d.reporting_last.on_time, d.reporting_last.late) == tuple(last.values())
    assert last["on_time"] and last["late"]
    assert d.reporting_last.rate == round(100 * last["on_time"] / last["owed"], 1)
    assert (d.reporting_current.owed, d.reporting_current.on_time) == (now["owed"], now["on_time"])
    county = selectors.dashboard_get(viewer=users["county_office"], filters=DashboardFilters())
    mine = ref.weekly_reporting(LAST_WEEK, ref.subtree(SHUOCHENG))
    assert (county.reporting_last.owed, county.reporting_last.on_time) == (mine["owed"], mine["on_time"])


def test_the_counties_are_ranked_among_all_and_shown_within_the_scope(state: None, users: Any) -> None:
    rows, ranked, _period = selectors.counties_get(viewer=users["city_office"], filters=DashboardFilters())
    assert sorted(r.name for r in rows) == sorted(c.name for c in ref.counties())
    assert [r.rank for r in rows] == sorted(r.rank for r in rows), "best first"
    assert ranked == sum(1 for r in ref.county_ranks(TODAY).values() if r)
    assert sorted(r.rank for r in rows if r.rank) == sorted(r for r in ref.county_ranks(TODAY).values() if r)
    check_counties(rows, TODAY, LAST_WEEK)
    own, ranked_too, _ = selectors.counties_get(viewer=users["county_office"], filters=DashboardFilters())
    assert [r.name for r in own] == [SHUOCHENG] and ranked_too == ranked
    assert own[0].rank == next(r.rank for r in rows if r.name == SHUOCHENG)


def test_the_warnings_by_county_are_the_boards(state: None, users: Any) -> None:
    d = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters())
    board = supervision_selectors.county_counts(viewer=users["city_office"], filters=LedgerFilters())
    assert [{k: v for k, v in r.items() if k != "links"} for r in d.warnings_by_county] == board
    for row in d.warnings_by_county:
        inside = ref.subtree(row["name"]) if row["pk"] else None
        shares = ref.shares_in(inside) if inside else None
        if shares is not None:
            t = ref.tally(shares, TODAY)
            assert (row["red"], row["yellow"], row["green"], row["none"]) == (
                t["red"],
                t["yellow"],
                t["green"],
                t["unassessed"],
            )
    assert sum(r["total"] for r in d.warnings_by_county) == d.shares.total


def test_the_trend_counts_due_and_done_by_each_weeks_end(state: None, users: Any) -> None:
    d = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters())
    shares, measures = ref.shares_in(None), ref.visible_measures(None)
    assert d.trend[-1].start == THIS_WEEK and len(d.trend) == 26
    for point in [*d.trend[::5], d.trend[-1]]:
        expected = ref.trend_point(measures, shares, point.end, TODAY)
        got = {k: getattr(point, k) for k in expected}
        assert got == expected, point.start
    last = d.trend[-1]
    assert last.shares_done == d.shares.done and last.measures_done == d.measures.done
    # the close-out applications date their shares: done before August's 100 % reports
    assert any(p.shares_new for p in d.trend[:-1])


def test_the_complaints_relapses_and_leaders(state: None, users: Any) -> None:
    d = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters())
    cases = ref.visible_cases(None)
    assert d.complaints.total == len(cases) == 23
    assert {s["status"]: s["n"] for s in d.complaints.by_status} == {
        st: sum(1 for c in cases if c.status == st) for st in ("open", "stage_closed", "closed")
    }
    assert {r["region"]: r["total"] for r in d.complaints.by_region} == {
        c.region_id: sum(1 for x in cases if x.region_id == c.region_id) for c in cases
    }
    county = selectors.dashboard_get(viewer=users["county_office"], filters=DashboardFilters())
    assert county.complaints.total == len(ref.visible_cases(ref.subtree(SHUOCHENG)))
    assert [p.number for p in d.relapses.recurred] == ["八", "二十"]
    shares = ref.shares_in(None)
    assert d.relapses.reopened_count == sum(1 for a in shares if a.reopened_count) > 0
    assert d.relapses.relapsed_now == sum(1 for a in shares if a.status == "relapsed") > 0
    (leader,) = d.leaders
    assert leader.name == users["leader"].get_full_name() and leader.title == "副市长"
    assert [r.label for r, _ in leader.problems] == ["（一）", "（二）", "（十五）"]
    led = [a for a in shares if a.measure.problem.number in {"一", "二", "十五"}]
    assert leader.shares.as_dict() == ref.tally(led, TODAY)
    # a county office sees the leader with only the problems of its county, counted on its shares
    (mine,) = county.leaders
    assert {r.label for r, _ in mine.problems} <= {"（一）", "（二）", "（十五）"}


def test_a_county_page_counts_its_whole_subtree(state: None, users: Any) -> None:
    county_unit = OrgUnit.objects.get(name=SHUOCHENG)
    inside = ref.subtree(SHUOCHENG)
    for username in ("city_office", "county_office"):
        unit, d = selectors.county_get(viewer=users[username], unit_id=county_unit.pk, filters=DashboardFilters())
        assert unit == county_unit
        shares = ref.shares_in(inside)
        measures = ref.county_measures(None, inside)
        assert d.shares.as_dict() == ref.tally(shares, TODAY)
        assert d.measures.as_dict() == ref.measure_tally(measures, TODAY)
        assert {u.pk for u in d.units} == {a.unit_id for a in shares}
        for row in d.chapters:
            assert row.shares.as_dict() == ref.tally(
                [a for a in shares if a.measure.problem.chapter_id == row.pk], TODAY
            )
        assert d.county is not None and d.county.rank == ref.county_ranks(TODAY)[SHUOCHENG]
        expected = sorted(
            (a for a in shares if ref.overdue(a, TODAY)),
            key=lambda a: (a.due_on, a.measure.problem_id, a.measure.seq, a.unit.path),
        )
        assert [a.pk for a in d.overdue_shares] == [a.pk for a in expected][:30]
        rep = ref.weekly_reporting(LAST_WEEK, inside)
        assert (d.reporting_last.owed, d.reporting_last.on_time) == (rep["owed"], rep["on_time"])
        cases = [c for c in ref.visible_cases(None) if c.region_id == county_unit.pk]
        assert d.complaints.total == len(cases)
        point = d.trend[-1]
        assert (point.shares_done, point.measures_due) == (
            d.shares.done,
            sum(1 for m in measures if m.due_on and m.due_on <= point.end),
        )


def test_the_plan_filter_keeps_the_plans_items_only(state: None, users: Any) -> None:
    plan = Plan.objects.get()
    same = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters(plan=plan.pk))
    assert same.shares.as_dict() == ref.tally(ref.shares_in(None, plan.pk), TODAY)
    none = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters(plan=plan.pk + 999))
    assert none.shares.total == 0 and none.measures.total == 0 and not none.chapters
    assert DashboardFilters.from_query({"plan": "abc"}).plan is None
    assert DashboardFilters.from_query({"plan": "３"}).plan is None


# --- a generated history ----------------------------------------------------------------------

HISTORY_START, HISTORY_WEEKS = dt.date(2022, 6, 20), 7
HISTORY_END = HISTORY_START + dt.timedelta(weeks=HISTORY_WEEKS)  # Monday 2022-08-08


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[None]:
    """Seven weeks of the demo history (one reporting week on the platform), played once for the
    module through the real services, rolled back at its end."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            call_command("load_demo_complaints", stdout=io.StringIO())
            call_command(
                "load_demo_history",
                "--weeks",
                str(HISTORY_WEEKS),
                "--start",
                HISTORY_START.isoformat(),
                "--reporting-weeks",
                "1",
                stdout=io.StringIO(),
            )
            yield
            transaction.set_rollback(True)


@pytest.fixture
def on_history_day(history: None) -> Iterator[dt.date]:
    with time_machine.travel(dt.datetime.combine(HISTORY_END, dt.time(10, 0), tzinfo=SHANGHAI), tick=False):
        with ref.cached():
            yield HISTORY_END


def test_the_history_dashboard_matches_independent_counts(on_history_day: dt.date, users: Any) -> None:
    today = on_history_day
    d = selectors.dashboard_get(viewer=users["city_office"], filters=DashboardFilters())
    assert d.shares.done and d.shares.red and d.reporting_last.owed and d.complaints.total
    assert d.relapses.reopened_count >= 1, "措施24 was reopened on relapse in week 6"
    check_dashboard(d, None, today)
    monday = today - dt.timedelta(days=7)
    last = ref.weekly_reporting(monday, None)
    assert d.reporting_last.period.start == monday
    assert (d.reporting_last.owed, d.reporting_last.on_time, d.reporting_last.late) == tuple(last.values())
    cases = ref.visible_cases(None)
    assert d.complaints.total == len(cases)
    assert d.complaints.closed == sum(1 for c in cases if c.status == "closed") > 0
    shares, measures = ref.shares_in(None), ref.visible_measures(None)
    for point in d.trend[-4:]:
        expected = ref.trend_point(measures, shares, point.end, today)
        assert {k: getattr(point, k) for k in expected} == expected, point.start
    # the shares closed out through the storylines are dated by their applications, not today
    assert sum(p.shares_new for p in d.trend[:-1]) > 0


def test_the_history_counties_and_a_county_page(on_history_day: dt.date, users: Any) -> None:
    today = on_history_day
    rows, _, period = selectors.counties_get(viewer=users["city_office"], filters=DashboardFilters())
    check_counties(rows, today, period.period.start)
    county_unit = OrgUnit.objects.get(name="右玉县")
    _, d = selectors.county_get(viewer=users["leader"], unit_id=county_unit.pk, filters=DashboardFilters())
    inside = ref.subtree("右玉县")
    assert d.shares.as_dict() == ref.tally(ref.shares_in(inside), today)
    assert d.shares.overdue >= 2, "右玉县's shares of （十九）措施45 stay overdue"
    assert d.measures.as_dict() == ref.measure_tally(ref.county_measures(None, inside), today)
