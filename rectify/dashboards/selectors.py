"""Scoped reads for the 领导驾驶舱 (dashboard_get), the counties side by side (counties_get) and one
county as a whole (county_get). Every figure is counted from the shares and measures the viewer
may see (figures.py defines them; docs/dashboards.md in Chinese), and carries the link to the list
that shows exactly the items it counts (links.py).

The viewer's shares are the shares of the units in its scope (the warning board's rows); its
measures are the ledger's (problems with a unit in its scope). A county's shares are those of
the units in its subtree; its measures those with a share there (the ledger's county filter).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from rectify.core import clock
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import Scope, subtree_ids, viewer_scope
from rectify.plans import selectors as plan_selectors
from rectify.plans.models import Assignment, Plan
from rectify.plans.selectors import LedgerFilters
from rectify.progress import services as progress
from rectify.progress.periods import Period, week_of
from rectify.supervision import selectors as supervision_selectors

from . import links, policies
from .counties import CountyRow, UnitRow, county_rows, unit_rows
from .figures import (
    Counts,
    MeasureCounts,
    Reporting,
    TrendPoint,
    compliance_by_unit,
    last_closed_week,
    measure_counts,
    reporting_of,
    share_counts,
    trend,
)
from .sections import (
    LIST_ROWS,
    ComplaintFigures,
    LeaderRow,
    Relapses,
    Row,
    chapter_rows,
    complaint_figures,
    leader_rows,
    problem_rows,
    relapses,
    top_overdue,
)


@dataclass(frozen=True)
class DashboardFilters:
    """?plan=: one plan (bad values are ignored, as in the ledger)."""

    plan: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> DashboardFilters:
        value = str(params.get("plan") or "")
        return cls(plan=int(value) if value.isascii() and value.isdigit() else None)


@dataclass
class Dashboard:
    today: dt.date
    filters: DashboardFilters
    plans: list[tuple[int, str]]
    measures: MeasureCounts
    shares: Counts
    links: dict[str, str]
    reporting_last: Reporting
    reporting_current: Reporting
    chapters: list[Row] = field(default_factory=list)
    problems: list[Row] = field(default_factory=list)
    problems_total: int = 0
    units: list[UnitRow] = field(default_factory=list)
    counties: list[CountyRow] = field(default_factory=list)
    counties_total: int = 0
    warnings_by_county: list[dict[str, Any]] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    overdue_units: list[UnitRow] = field(default_factory=list)
    complaints: ComplaintFigures = field(default_factory=ComplaintFigures)
    relapses: Relapses = field(default_factory=Relapses)
    leaders: list[LeaderRow] = field(default_factory=list)
    county: CountyRow | None = None
    overdue_shares: list[Assignment] = field(default_factory=list)


# --- the pieces --------------------------------------------------------------------------------


def _scope(viewer: Any) -> Scope:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


def viewer_shares(scope: Scope, *, plan: int | None, unit_ids: set[int] | None = None) -> QuerySet[Assignment]:
    """The shares (a unit and a measure) of the units in the scope, of one plan, of some units."""
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    if not scope.everything:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=unit_ids)
    if plan:
        qs = qs.filter(problem__plan_id=plan)
    return qs


def viewer_plans(viewer: Any) -> list[Plan]:
    return list(plan_selectors.plan_ids(viewer=viewer).select_related("round").order_by("-start_on", "-pk"))


def visible_plans(viewer: Any, plans: list[Plan] | None = None) -> list[tuple[int, str]]:
    """The plan filter's choices, each named with its 督察轮次."""
    plans = viewer_plans(viewer) if plans is None else plans
    return [(p.pk, f"{p.round.name} · {p.title}" if p.round else p.title) for p in plans]


def plan_start(plans: list[Plan], plan: int | None) -> dt.date | None:
    """Where the trend starts: the (earliest) start of the plan(s) shown."""
    return min((p.start_on for p in plans if not plan or p.pk == plan), default=None)


def periods_now() -> tuple[Period, Period]:
    """The last week whose reporting deadline has passed, and the current week."""
    rule = progress.calendar_rule()
    return last_closed_week(clock.now(), rule), week_of(clock.today(), rule)


def _totals_links(plan: int | None, county: int | None) -> dict[str, str]:
    return {
        "measures": links.ledger(plan=plan, county=county),
        "measures_done": links.ledger_done(plan=plan, county=county),
        "measures_overdue": links.ledger(plan=plan, county=county, overdue=True),
        "shares": links.board(plan=plan, county=county),
        "shares_done": links.board_done(plan=plan, county=county),
        "shares_overdue": links.board(plan=plan, county=county, share_overdue=True),
        "red": links.board(plan=plan, county=county, warning="red"),
        "yellow": links.board(plan=plan, county=county, warning="yellow"),
        "green": links.board(plan=plan, county=county, warning="green"),
    }


def _trend_links(points: list[TrendPoint], *, plan: int | None, county: int | None) -> None:
    for point in points:
        point.links["measures_due"] = links.ledger(plan=plan, county=county, due_before=point.end)
    if points:
        points[-1].links["measures_done"] = links.ledger_done(plan=plan, county=county)
        points[-1].links["shares_done"] = links.board_done(plan=plan, county=county)


# --- the pages ---------------------------------------------------------------------------------


def dashboard_get(*, viewer: Any, filters: DashboardFilters) -> Dashboard:
    """The 领导驾驶舱: everything in the viewer's region."""
    scope = _scope(viewer)
    if not policies.can_view_dashboard(viewer):
        raise Forbidden("驾驶舱供整改办、领导和验收组查看。")
    today, plan = clock.today(), filters.plan
    last, current = periods_now()
    unit_ids = None if scope.everything else set(scope.unit_ids)
    reports = compliance_by_unit(last, unit_ids)
    now_reports = compliance_by_unit(current, unit_ids) if current != last else reports
    measures = plan_selectors.measure_list(viewer=viewer, filters=LedgerFilters(plan=plan))
    shares = viewer_shares(scope, plan=plan)
    problems = plan_selectors.problem_list(viewer=viewer)
    if plan:
        problems = problems.filter(plan_id=plan)
    by_unit = share_counts(shares, "unit_id", today=today)
    units = unit_rows(by_unit, plan=plan)
    totals = Counts()
    for c in by_unit.values():
        totals.add(c)
    everything = (by_unit, reports) if scope.everything else (None, None)
    all_counties = county_rows(plan=plan, today=today, period=last, by_unit=everything[0], reports=everything[1])
    board_filters = LedgerFilters(plan=plan)
    plans = viewer_plans(viewer)
    dashboard = Dashboard(
        today=today,
        filters=filters,
        plans=visible_plans(viewer, plans),
        measures=measure_counts(measures, None, today=today)[None],
        shares=totals,
        links=_totals_links(plan, None)
        | {"reporting_last": links.missing(last.key), "reporting_current": links.missing(current.key)},
        reporting_last=reporting_of(last, reports.values()),
        reporting_current=reporting_of(current, now_reports.values()),
        chapters=chapter_rows(measures, shares, plan=plan, county=None, today=today),
        units=units,
        counties=[c for c in all_counties if scope.covers_unit(c.pk)],
        counties_total=sum(1 for c in all_counties if c.rank is not None),
        warnings_by_county=supervision_selectors.county_counts(viewer=viewer, filters=board_filters),
        overdue_units=top_overdue(units),
        complaints=complaint_figures(viewer),
    )
    dashboard.problems, dashboard.problems_total = problem_rows(
        problems, measures, shares, plan=plan, county=None, today=today
    )
    for row in dashboard.warnings_by_county:
        pk = row["pk"]
        row["links"] = {
            level: links.board(plan=plan, county=pk, warning=level) if pk else ""
            for level in ("red", "yellow", "green")
        } | {"total": links.board(plan=plan, county=pk) if pk else ""}
    dashboard.trend = trend(measures=measures, shares=shares, start=plan_start(plans, plan), today=today)
    _trend_links(dashboard.trend, plan=plan, county=None)
    dashboard.relapses = relapses(problems, shares, plan=plan, county=None)
    dashboard.leaders = leader_rows(dashboard.problems)
    return dashboard


def counties_get(*, viewer: Any, filters: DashboardFilters) -> tuple[list[CountyRow], int, Reporting]:
    """Every county the viewer's scope covers, with its rank among all counties; the number of
    ranked counties; the reporting period the rates are of."""
    scope = _scope(viewer)
    if not policies.can_view_counties(viewer):
        raise Forbidden("县区一览供整改办、领导和验收组查看。")
    last, _ = periods_now()
    rows = county_rows(plan=filters.plan, today=clock.today(), period=last)
    ranked = sum(1 for r in rows if r.rank is not None)
    return [r for r in rows if scope.covers_unit(r.pk)], ranked, Reporting(last)


def county_unit(*, viewer: Any, unit_id: int) -> OrgUnit:
    """A 县（市、区） the viewer may see as a whole; anything else is not found."""
    _scope(viewer)
    county = OrgUnit.objects.filter(pk=unit_id, kind=UnitKind.REGION, depth=1, is_active=True).first()
    if county is None or not policies.can_view_county(viewer, county.pk):
        raise NotFound()
    return county


def county_get(*, viewer: Any, unit_id: int, filters: DashboardFilters) -> tuple[OrgUnit, Dashboard]:
    """One county as a whole: everything in its subtree the viewer may see."""
    scope = _scope(viewer)
    county = county_unit(viewer=viewer, unit_id=unit_id)
    today, plan = clock.today(), filters.plan
    inside = subtree_ids(county)
    unit_ids = inside if scope.everything else inside & set(scope.unit_ids)
    last, current = periods_now()
    reports = compliance_by_unit(last, unit_ids)
    now_reports = compliance_by_unit(current, unit_ids) if current != last else reports
    measures = plan_selectors.measure_list(viewer=viewer, filters=LedgerFilters(plan=plan, county=county.pk))
    shares = viewer_shares(scope, plan=plan, unit_ids=unit_ids)
    by_unit = share_counts(shares, "unit_id", today=today)
    units = unit_rows(by_unit, plan=plan)
    totals = Counts()
    for c in by_unit.values():
        totals.add(c)
    all_counties = county_rows(plan=plan, today=today, period=last)
    problems = plan_selectors.problem_list(viewer=viewer).filter(pk__in=shares.values("problem_id"))
    plans = viewer_plans(viewer)
    dashboard = Dashboard(
        today=today,
        filters=filters,
        plans=visible_plans(viewer, plans),
        measures=measure_counts(measures, None, today=today)[None],
        shares=totals,
        links=_totals_links(plan, county.pk)
        | {
            "reporting_last": links.missing(last.key, county=county.pk),
            "reporting_current": links.missing(current.key, county=county.pk),
        },
        reporting_last=reporting_of(last, reports.values()),
        reporting_current=reporting_of(current, now_reports.values()),
        chapters=chapter_rows(measures, shares, plan=plan, county=county.pk, today=today),
        units=units,
        counties_total=sum(1 for c in all_counties if c.rank is not None),
        county=next(c for c in all_counties if c.pk == county.pk),
        overdue_units=top_overdue(units),
        complaints=complaint_figures(viewer, region=county.pk),
        overdue_shares=list(
            shares.filter(plan_selectors.share_overdue_condition(today))
            .select_related("unit", "measure__problem")
            .order_by("due_on", "measure__problem_id", "measure__seq", "unit__path")[:LIST_ROWS]
        ),
    )
    dashboard.problems, dashboard.problems_total = problem_rows(
        problems, measures, shares, plan=plan, county=county.pk, today=today
    )
    dashboard.trend = trend(measures=measures, shares=shares, start=plan_start(plans, plan), today=today)
    _trend_links(dashboard.trend, plan=plan, county=county.pk)
    dashboard.relapses = relapses(problems, shares, plan=plan, county=county.pk)
    dashboard.leaders = leader_rows(dashboard.problems)
    return county, dashboard


__all__ = [
    "Dashboard",
    "DashboardFilters",
    "LeaderRow",
    "Row",
    "counties_get",
    "county_get",
    "dashboard_get",
]
