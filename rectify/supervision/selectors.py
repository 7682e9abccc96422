"""Supervision reads: the warning board (measures by level, scoped like the ledger, counts by
level), notices, extension requests, on-site records and flags, each scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, When

from rectify.core import clock
from rectify.core.errors import NotFound
from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import subtree_ids, viewer_scope
from rectify.orgs.selectors import counties
from rectify.plans.models import Assignment, Measure, WarningLevel
from rectify.plans.selectors import LedgerFilters, measure_list, share_overdue_condition

from . import policies, rules
from .models import (
    ExtensionRequest,
    ExtensionStatus,
    NoticeKind,
    NoticeStatus,
    ScanRun,
    SiteVisit,
    SupervisionFlag,
    SupervisionNotice,
    Warning,
)
from .services import assessments, share_rows

_LEVEL_RANK = Case(
    When(warning_level=WarningLevel.RED, then=0),
    When(warning_level=WarningLevel.YELLOW, then=1),
    When(warning_level=WarningLevel.GREEN, then=2),
    default=3,
    output_field=IntegerField(),
)


def share_list(*, viewer: Any, filters: LedgerFilters) -> QuerySet[Assignment]:
    """Shares (unit × measure) on the measures the ledger's filters select, within the viewer's
    scope: a unit's clerk sees its own units' shares; unit and county filters pick the shares of
    those units, not every share of a measure some of whose units match; the level filter is the
    share's own level."""
    scope = viewer_scope(viewer)
    measure_filters = LedgerFilters(**{**filters.__dict__, "warnings": [], "unit": None, "county": None})
    qs = Assignment.objects.filter(
        measure__isnull=False,
        unit__isnull=False,
        measure_id__in=measure_list(viewer=viewer, filters=measure_filters).values("pk"),
    )
    if not scope.everything:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.county:
        county = OrgUnit.objects.filter(pk=filters.county).first()
        qs = qs.filter(unit_id__in=subtree_ids(county) if county else set())
    if filters.warnings:
        qs = qs.filter(warning_level__in=filters.warnings)
    if filters.share_statuses:
        qs = qs.filter(status__in=filters.share_statuses)
    if filters.share_overdue:
        qs = qs.filter(share_overdue_condition(clock.today()))
    return qs


def warning_counts(*, viewer: Any, filters: LedgerFilters) -> dict[str, int]:
    """Shares per level for the board's filters, ignoring the level filter itself."""
    base = LedgerFilters(**{**filters.__dict__, "warnings": []})
    rows = share_list(viewer=viewer, filters=base).order_by().values("warning_level").annotate(n=Count("pk"))
    counts = {level: 0 for level in WarningLevel.values}
    counts[""] = 0
    for row in rows:
        counts[row["warning_level"]] = row["n"]
    counts["none"] = counts.pop("")
    counts["total"] = sum(counts.values())
    return counts


def county_counts(*, viewer: Any, filters: LedgerFilters) -> list[dict[str, Any]]:
    """Shares by county (县（市、区）, everything in its subtree) and level, for the board's filters
    without the county filter; the units in no county (the city's own departments) are one more row."""
    base = LedgerFilters(**{**filters.__dict__, "warnings": [], "county": None})
    by_unit: dict[int, dict[str, int]] = defaultdict(dict)
    for r in (
        share_list(viewer=viewer, filters=base).order_by().values("unit_id", "warning_level").annotate(n=Count("pk"))
    ):
        by_unit[r["unit_id"]][r["warning_level"] or "none"] = r["n"]
    paths = dict(OrgUnit.objects.filter(pk__in=list(by_unit)).values_list("pk", "path"))
    groups: list[tuple[int | None, str, list[int]]] = []
    taken: set[int] = set()
    for county in counties():
        inside = [u for u in by_unit if paths[u].startswith(county.path)]
        taken.update(inside)
        groups.append((county.pk, county.name, inside))
    groups.append((None, "市直部门及其他", [u for u in by_unit if u not in taken]))
    out = []
    for pk, name, units in groups:
        row: dict[str, Any] = {"pk": pk, "name": name}
        for level in ("red", "yellow", "green", "none"):
            row[level] = sum(by_unit[u].get(level, 0) for u in units)
        row["total"] = row["red"] + row["yellow"] + row["green"] + row["none"]
        if row["total"]:
            out.append(row)
    return out


def warning_board(*, viewer: Any, filters: LedgerFilters) -> QuerySet[Assignment]:
    """Shares worst first, then by the share's due date and the directory order."""
    return (
        share_list(viewer=viewer, filters=filters)
        .select_related("unit", "measure__problem")
        .order_by(_LEVEL_RANK, "due_on", "measure__problem_id", "measure__seq", "unit__path")
    )


def annotate_reasons(shares: list[Assignment], *, today: dt.date) -> list[tuple[Assignment, rules.Assessment]]:
    """Each shown share with its reasons as of today (fresh day counts, not the scan's)."""
    rows = Assignment.objects.filter(pk__in=[a.pk for a in shares])
    by_pk = {row["pk"]: a for row, a in assessments(share_rows(rows), today=today)}
    return [(a, by_pk[a.pk]) for a in shares if a.pk in by_pk]


def measure_shares(measure: Measure, *, viewer: Any, today: dt.date) -> list[tuple[Assignment, rules.Assessment]]:
    """The per-unit breakdown of one measure the viewer may see (measure_get scoped it): every
    unit's share with fresh reasons, as the problem page and the measure API show them. (The board
    is a worklist and lists only the viewer's own units' shares.)"""
    qs = Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit", "measure__problem")
    return annotate_reasons(list(qs.order_by("role", "unit__path")), today=today)


def measure_warnings(measure: Measure) -> QuerySet[Warning]:
    return Warning.objects.filter(measure=measure).select_related("unit").order_by("resolved_on", "-raised_on", "-id")


def last_scan() -> ScanRun | None:
    return ScanRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


# --- notices, extensions, visits, flags ------------------------------------------------------


def _scoped_units(viewer: Any, qs: QuerySet[Any], field: str = "unit_id") -> QuerySet[Any]:
    scope = viewer_scope(viewer)
    if scope.everything:
        return qs
    return qs.filter(**{f"{field}__in": scope.unit_ids})


@dataclass
class NoticeFilters:
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    unit: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> NoticeFilters:
        def many(name: str, allowed: list[str]) -> list[str]:
            values = [v for raw in params.getlist(name) for v in str(raw).split(",")]
            return [v for v in values if v in allowed]

        unit = str(params.get("unit") or "")
        return cls(
            kinds=many("kind", NoticeKind.values),
            statuses=many("status", NoticeStatus.values),
            unit=int(unit) if unit.isascii() and unit.isdigit() else None,
            q=str(params.get("q") or "").strip()[:100],
        )


def notice_list(*, viewer: Any, filters: NoticeFilters | None = None) -> QuerySet[SupervisionNotice]:
    """Notices the viewer may see: issued ones of units in scope; drafts only for the offices
    that may issue to the unit."""
    filters = filters or NoticeFilters()
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SupervisionNotice.objects.none()
    qs = _scoped_units(viewer, SupervisionNotice.objects.all())
    if Role.COORDINATOR not in scope.region_roles:
        qs = qs.exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
    if filters.kinds:
        qs = qs.filter(kind__in=filters.kinds)
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(number__icontains=filters.q))
    return qs.select_related("unit", "issuer").order_by("-issued_on", "-created_at", "-pk")


def notice_get(*, viewer: Any, pk: int) -> SupervisionNotice:
    notice = (
        SupervisionNotice.objects.select_related("unit", "issuer", "escalated_from", "issued_by", "replied_by")
        .filter(pk=pk)
        .first()
    )
    if notice is None or not policies.can_view_notice(viewer, notice):
        raise NotFound()
    return notice


def unit_open_notices(*, unit_ids: list[int]) -> QuerySet[SupervisionNotice]:
    """What a unit must answer (its 本周待办 lists them)."""
    return (
        SupervisionNotice.objects.filter(unit_id__in=unit_ids, status=NoticeStatus.ISSUED)
        .select_related("unit")
        .order_by("response_due", "pk")
    )


def extension_list(*, viewer: Any, status: str = "") -> QuerySet[ExtensionRequest]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return ExtensionRequest.objects.none()
    qs = _scoped_units(viewer, ExtensionRequest.objects.all())
    if status in ExtensionStatus.values:
        qs = qs.filter(status=status)
    return qs.select_related("unit", "measure__problem", "requested_by", "decided_by").order_by("-created_at", "-pk")


def extension_get(*, viewer: Any, pk: int) -> ExtensionRequest:
    ext = extension_list(viewer=viewer).filter(pk=pk).first()
    if ext is None:
        raise NotFound()
    return ext


def visit_list(*, viewer: Any) -> QuerySet[SiteVisit]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SiteVisit.objects.none()
    qs = SiteVisit.objects.all()
    if not scope.everything:
        # A visit belongs to its region; units inside it see it.
        qs = qs.filter(Q(region_id__in=scope.unit_ids) | Q(tasks__unit_id__in=scope.unit_ids)).distinct()
    return qs.select_related("region").prefetch_related("tasks__unit").order_by("-visited_on", "-pk")


def visit_get(*, viewer: Any, pk: int) -> SiteVisit:
    visit = visit_list(viewer=viewer).filter(pk=pk).first()
    if visit is None:
        raise NotFound()
    return visit


def flag_list(*, viewer: Any, active: bool = True) -> QuerySet[SupervisionFlag]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SupervisionFlag.objects.none()
    qs = SupervisionFlag.objects.all()
    if active:
        qs = qs.filter(lifted_on__isnull=True)
    if not scope.everything:
        visible_problems = Assignment.objects.filter(unit_id__in=scope.unit_ids).values("problem_id")
        qs = qs.filter(Q(unit_id__in=scope.unit_ids) | Q(problem_id__in=visible_problems))
    return qs.select_related("problem", "unit", "set_by").order_by("-set_on", "-pk")
