"""Counties (县（市、区）) and units as wholes: their shares summed, their weekly reporting, their
交办件, and the counties' rank.

A county is a region directly under the city (orgs.selectors.counties) with its whole subtree (its
党委, 政府, departments, towns, enterprises: a path prefix). The rank is among every county, by
completion rate (done shares ÷ shares) from high to low; on equal rates the lower overdue rate
(overdue shares ÷ shares), then the lower red rate, comes first; counties equal on all three share
a rank; a county with no share is not ranked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q

from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.orgs.models import OrgUnit
from rectify.orgs.selectors import counties
from rectify.plans.models import Assignment
from rectify.progress.compliance import Compliance
from rectify.progress.periods import Period

from . import links
from .figures import Counts, Reporting, compliance_by_unit, share_counts


@dataclass
class UnitRow:
    pk: int
    name: str
    path: str
    shares: Counts
    links: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"unit": self.pk, "name": self.name, **self.shares.as_dict()}


@dataclass
class CountyRow:
    pk: int
    name: str
    path: str
    shares: Counts
    reporting: Reporting
    cases_total: int = 0
    cases_closed: int = 0
    rank: int | None = None
    links: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.pk,
            "name": self.name,
            "rank": self.rank,
            "shares": self.shares.as_dict(),
            "reporting": self.reporting.as_dict(),
            "cases_total": self.cases_total,
            "cases_closed": self.cases_closed,
        }


def unit_rows(by_unit: dict[int, Counts], *, plan: int | None) -> list[UnitRow]:
    """One row per unit with shares, in directory order."""
    units = OrgUnit.objects.filter(pk__in=list(by_unit)).order_by("path").values_list("pk", "name", "path")
    rows = []
    for pk, name, path in units:
        row = UnitRow(pk, name, path, by_unit[pk])
        row.links = {
            "unit": links.unit(pk),
            "total": links.board(plan=plan, unit=pk),
            "done": links.board_done(plan=plan, unit=pk),
            "overdue": links.board(plan=plan, unit=pk, share_overdue=True),
            "red": links.board(plan=plan, unit=pk, warning="red"),
            "yellow": links.board(plan=plan, unit=pk, warning="yellow"),
        }
        rows.append(row)
    return rows


def _rank_key(row: CountyRow) -> tuple[Fraction, Fraction, Fraction]:
    total = row.shares.total
    return (
        -Fraction(row.shares.done, total),
        Fraction(row.shares.overdue, total),
        Fraction(row.shares.red, total),
    )


def rank(rows: list[CountyRow]) -> None:
    """Competition ranking (1, 2, 2, 4) of the counties that have shares."""
    ranked = sorted((r for r in rows if r.shares.total), key=_rank_key)
    previous: tuple[Fraction, ...] | None = None
    for position, row in enumerate(ranked, start=1):
        key = _rank_key(row)
        row.rank = position if key != previous else ranked[position - 2].rank
        previous = key


def county_rows(
    *,
    plan: int | None,
    today: dt.date,
    period: Period,
    by_unit: dict[int, Counts] | None = None,
    reports: dict[int, Compliance] | None = None,
) -> list[CountyRow]:
    """Every county's figures over its whole subtree, ranked among all counties. Not scoped: the
    caller shows only the rows the viewer's scope covers (a county's whole subtree is in the scope
    of whoever covers the county itself). `by_unit` and `reports`, when given, are every unit's
    shares of the plan and reports for the period (a city-wide viewer has counted them already)."""
    regions = list(counties().values_list("pk", "name", "path"))
    if by_unit is None:
        shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
        if plan:
            shares = shares.filter(problem__plan_id=plan)
        by_unit = share_counts(shares, "unit_id", today=today)
    if reports is None:
        reports = compliance_by_unit(period, None)
    paths = dict(OrgUnit.objects.filter(pk__in=set(by_unit) | set(reports)).values_list("pk", "path"))
    cases = {
        r["region_id"]: r
        for r in ComplaintCase.objects.filter(region_id__in=[pk for pk, _, _ in regions])
        .order_by()
        .values("region_id")
        .annotate(total=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)))
    }
    rows = []
    for pk, name, path in regions:
        counts = Counts()
        for unit_id, c in by_unit.items():
            if paths[unit_id].startswith(path):
                counts.add(c)
        reporting = Reporting(period)
        for unit_id, compliance in reports.items():
            if paths[unit_id].startswith(path):
                reporting.add(compliance)
        row = CountyRow(
            pk,
            name,
            path,
            counts,
            reporting,
            cases_total=cases.get(pk, {}).get("total", 0),
            cases_closed=cases.get(pk, {}).get("closed", 0),
        )
        row.links = {
            "county": links.county(pk, plan=plan),
            "total": links.board(plan=plan, county=pk),
            "done": links.board_done(plan=plan, county=pk),
            "overdue": links.board(plan=plan, county=pk, share_overdue=True),
            "red": links.board(plan=plan, county=pk, warning="red"),
            "yellow": links.board(plan=plan, county=pk, warning="yellow"),
            "reporting": links.missing(period.key, county=pk),
            "cases": links.cases(region=pk),
            "cases_closed": links.cases(region=pk, status=CaseStatus.CLOSED),
        }
        rows.append(row)
    rank(rows)
    # Best first; the counties without shares (no rank) last, in directory order.
    return sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.path))
