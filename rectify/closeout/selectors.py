"""Close-out reads, scoped like the ledger: applications (the applying unit's, and those of the
units that share the item or are asked to agree to it), the acceptance queue, the shares a clerk
may apply to close, an application's per-unit breakdown, public lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope
from rectify.plans import rollup
from rectify.plans.models import SHARE_OPEN_STATUSES, Assignment, Measure

from . import shares
from .models import OPEN_STATUSES, CloseoutApplication, CloseoutStatus, Consent


@dataclass
class CloseoutFilters:
    statuses: list[str]
    unit: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> CloseoutFilters:
        raw = [v for value in params.getlist("status") for v in str(value).split(",")]
        unit = str(params.get("unit") or "")
        return cls(
            statuses=[v for v in raw if v in CloseoutStatus.values],
            unit=int(unit) if unit.isascii() and unit.isdigit() else None,
        )


def _business(viewer: Any) -> Any:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


def application_list(*, viewer: Any, filters: CloseoutFilters | None = None) -> QuerySet[CloseoutApplication]:
    scope = _business(viewer)
    qs = CloseoutApplication.objects.all()
    if not scope.everything:
        # The applying unit's; a measure's (its shares' too) for every unit with a share of it; a
        # problem's for every unit responsible for part of it; and any the viewer's units are
        # asked to agree to (会签: the co-leads of a problem).
        units = scope.unit_ids
        measures = Assignment.objects.filter(unit_id__in=units, measure__isnull=False).values("measure_id")
        problems = Assignment.objects.filter(unit_id__in=units).values("problem_id")
        consents = Consent.objects.filter(unit_id__in=units).values("application_id")
        qs = qs.filter(
            Q(unit_id__in=units) | Q(measure_id__in=measures) | Q(problem_id__in=problems) | Q(pk__in=consents)
        )
    if filters is not None:
        if filters.statuses:
            qs = qs.filter(status__in=filters.statuses)
        if filters.unit:
            qs = qs.filter(unit_id=filters.unit)
    return qs.select_related("unit", "measure__problem", "problem").order_by("-updated_at", "-pk")


def application_get(*, viewer: Any, pk: int) -> CloseoutApplication:
    app = application_list(viewer=viewer).filter(pk=pk).first()
    if app is None:
        raise NotFound()
    return app


def review_queue(*, viewer: Any) -> QuerySet[CloseoutApplication]:
    scope = _business(viewer)
    if Role.ACCEPTANCE not in scope.region_roles:
        raise Forbidden("只有验收组办理验收。")
    return application_list(viewer=viewer).filter(status__in=[CloseoutStatus.SUBMITTED, CloseoutStatus.SITE_CHECK])


def applicable_shares(*, viewer: Any) -> QuerySet[Assignment]:
    """The shares of the viewer's units (as a clerk) that may apply to close: counted in their
    measure (plans.rollup), still open, and covered by no open application."""
    scope = _business(viewer)
    clerk_units = [m.unit for m in scope.memberships if m.role == Role.CLERK]
    if not clerk_units:
        return Assignment.objects.none()
    q = Q()
    for unit in clerk_units:
        q |= Q(unit__path__startswith=unit.path)
    qs = Assignment.objects.filter(q, measure__isnull=False, status__in=SHARE_OPEN_STATUSES)
    if not rollup.support_counts():
        lead = Assignment.objects.filter(
            measure_id=OuterRef("measure_id"), role=Assignment.RoleKind.LEAD, unit__isnull=False
        )
        qs = qs.filter(Q(role=Assignment.RoleKind.LEAD) | ~Exists(lead))
    open_apps = CloseoutApplication.objects.filter(status__in=OPEN_STATUSES)
    qs = qs.exclude(pk__in=open_apps.filter(assignment__isnull=False).values("assignment_id"))
    qs = qs.exclude(
        measure_id__in=open_apps.filter(assignment__isnull=True, measure__isnull=False).values("measure_id")
    )
    qs = qs.exclude(problem_id__in=open_apps.filter(problem__isnull=False).values("problem_id"))
    return qs.select_related("unit", "measure__problem").order_by(
        "measure__problem__plan_id", "measure__problem__index", "measure__seq", "unit__path"
    )


@dataclass
class ShareLine:
    share: Assignment
    covered: bool  # the application is for this share


@dataclass
class MeasureShares:
    measure: Measure
    lines: list[ShareLine]

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def done(self) -> int:
        return sum(1 for line in self.lines if line.share.status in shares.ACCEPTED_SHARE_STATUSES)


def share_breakdown(app: CloseoutApplication) -> list[MeasureShares]:
    """Per measure of the application, the counted shares (unit, status, 销号 date): which lead
    units are done. A share application shows its measure's other shares too (the measure is
    published only when all of them are accepted)."""
    measure_ids = shares.measure_ids(app)
    counted = shares.counted_shares(measure_ids)
    covered = set(shares.covered(app))
    wanted = [pk for pks in counted.values() for pk in pks]
    rows = {a.pk: a for a in Assignment.objects.filter(pk__in=wanted).select_related("unit")}
    out = []
    for measure in Measure.objects.filter(pk__in=measure_ids).order_by("seq"):
        lines = [rows[pk] for pk in counted.get(measure.pk, []) if pk in rows]
        lines.sort(key=lambda a: a.unit.path if a.unit else "")
        out.append(MeasureShares(measure, [ShareLine(a, a.pk in covered) for a in lines]))
    return out


def public_list() -> QuerySet[CloseoutApplication]:
    """What the public portal shows: items in 公示 and items closed (销号)."""
    return (
        CloseoutApplication.objects.filter(
            status__in=[CloseoutStatus.PUBLISHED, CloseoutStatus.CLOSED, CloseoutStatus.REOPENED]
        )
        .select_related("unit", "measure__problem", "problem")
        .order_by("-published_on", "-pk")
    )
