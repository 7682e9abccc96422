"""Close-out reads, scoped like the ledger: applications, the acceptance queue, public lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, ItemStatus, Measure

from .models import CloseoutApplication, CloseoutStatus


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
        # The applying unit's, and those of items the viewer's units lead together with it.
        shared = Assignment.objects.filter(unit_id__in=scope.unit_ids).values("measure_id")
        qs = qs.filter(Q(unit_id__in=scope.unit_ids) | Q(measure_id__in=shared))
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


def applicable_measures(*, viewer: Any) -> QuerySet[Measure]:
    """Measures the viewer's units lead and may still apply to close."""
    scope = _business(viewer)
    clerk_units = [m.unit for m in scope.memberships if m.role == Role.CLERK]
    lead = Assignment.objects.filter(role=Assignment.RoleKind.LEAD, measure__isnull=False)
    q = Q()
    for unit in clerk_units:
        q |= Q(unit__path__startswith=unit.path)
    if not clerk_units:
        return Measure.objects.none()
    ids = lead.filter(q).values("measure_id")
    return (
        Measure.objects.filter(pk__in=ids, status__in=[ItemStatus.IN_PROGRESS, ItemStatus.COMPLETED])
        .select_related("problem")
        .order_by("problem__plan_id", "problem__index", "seq")
    )


def public_list() -> QuerySet[CloseoutApplication]:
    """What the public portal shows: items in 公示 and items closed (销号)."""
    return (
        CloseoutApplication.objects.filter(
            status__in=[CloseoutStatus.PUBLISHED, CloseoutStatus.CLOSED, CloseoutStatus.REOPENED]
        )
        .select_related("unit", "measure__problem", "problem")
        .order_by("-published_on", "-pk")
    )
