"""Re-assessing one measure at once (`warnings_refresh`, after an API PATCH or a deadline change)
reads only its own plan's horizon (`plan_horizons_of`) and gives its shares exactly what the
nightly scan of everything gives them; a region is its own nearest region without a query."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import region_of
from rectify.plans.models import Assignment, Measure, Plan, Problem
from rectify.supervision.assessing import plan_horizons, plan_horizons_of
from rectify.supervision.scan import Outcome, shares_apply
from rectify.supervision.services import warnings_refresh

pytestmark = pytest.mark.django_db
# Mid-way through the seed plan: some items due, some "按序时进度" ones reading the horizon.
TODAY = dt.date(2022, 10, 8)


def _levels() -> dict[int, tuple[str, Any]]:
    return dict(
        (pk, (level, reasons))
        for pk, level, reasons in Assignment.objects.filter(measure__isnull=False).values_list(
            "pk", "warning_level", "warning_reasons"
        )
    )


def test_a_plans_horizon_of_its_own_is_the_one_of_every_plan() -> None:
    everyone = plan_horizons()
    assert everyone  # the seed plan has dated problems
    for plan_id in Plan.objects.values_list("pk", flat=True):
        assert plan_horizons_of([plan_id]) == {k: v for k, v in everyone.items() if k == plan_id}
    assert plan_horizons_of(Plan.objects.values_list("pk", flat=True)) == everyone
    assert plan_horizons_of([]) == {}


def test_a_recurring_problem_is_no_horizon_for_its_plan_alone_either() -> None:
    problem = Problem.objects.exclude(due_on=None).order_by("-due_on").first()
    assert problem is not None
    before = plan_horizons_of([problem.plan_id])
    Problem.objects.filter(pk=problem.pk).update(deadline_kind="recurring", due_on=dt.date(2099, 12, 31))
    assert plan_horizons_of([problem.plan_id]) == {k: v for k, v in plan_horizons().items() if k == problem.plan_id}
    assert plan_horizons_of([problem.plan_id]).get(problem.plan_id) != dt.date(2099, 12, 31)
    assert before  # the plan had a horizon before


def test_refreshing_each_measure_gives_what_the_full_scan_gives() -> None:
    measures = list(Measure.objects.order_by("pk").values_list("pk", flat=True))
    assert measures
    for pk in measures:
        warnings_refresh(measure_ids=[pk], today=TODAY)
    one_by_one = _levels()
    Assignment.objects.update(warning_level="", warning_reasons=[])
    shares_apply(today=TODAY, outcome=Outcome())
    assert _levels() == one_by_one
    assert any(level for level, _ in one_by_one.values())  # the day has warnings to compare


def test_a_region_is_its_own_region_without_a_query() -> None:
    region = OrgUnit.objects.filter(kind=UnitKind.REGION).order_by("depth").first()
    other = OrgUnit.objects.exclude(kind=UnitKind.REGION).order_by("-depth").first()
    assert region is not None and other is not None
    with CaptureQueriesContext(connection) as queries:
        assert region_of(region) == region
    assert len(queries) == 0
    # Any other unit: the nearest region above it, as before (one query).
    above = [u for u in OrgUnit.objects.filter(kind=UnitKind.REGION) if other.path.startswith(u.path)]
    assert region_of(other) == max(above, key=lambda u: u.depth, default=other)
