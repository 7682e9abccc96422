"""Who may run supervision actions (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import viewer_scope


def can_run_scan(user: Any) -> bool:
    """The scan covers the whole deployment, so only the city office starts one by hand."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_issue_to(user: Any, unit: OrgUnit) -> bool:
    """Notices to a unit come from the coordinator of its region (the city office for all)."""
    scope = viewer_scope(user)
    return Role.COORDINATOR in scope.region_roles and scope.covers_unit(unit.pk)


def can_view_notice(user: Any, notice: Any) -> bool:
    """Drafts stay with the office; an issued notice is seen by everyone whose scope has the unit."""
    if notice.status in ("draft", "cancelled"):
        return can_issue_to(user, notice.unit)
    return viewer_scope(user).covers_unit(notice.unit_id)


def can_reply(user: Any, notice: Any) -> bool:
    return can_file(user, notice.unit)


def can_file(user: Any, unit: OrgUnit) -> bool:
    """A clerk of the unit (or of a unit above it)."""
    return any(m.role == Role.CLERK and unit.path.startswith(m.unit.path) for m in viewer_scope(user).memberships)


def can_flag(user: Any, *, problem: Any = None, unit: OrgUnit | None = None) -> bool:
    """挂牌督办/约谈 of a unit: its region's coordinator; of a problem: the city office."""
    scope = viewer_scope(user)
    if unit is not None:
        return Role.COORDINATOR in scope.region_roles and scope.covers_unit(unit.pk)
    return Role.COORDINATOR in scope.city_roles


def can_request_extension(user: Any, unit: OrgUnit, *, assigned: bool) -> bool:
    """A clerk of a unit responsible for the measure (`assigned`, read by the service)."""
    return assigned and can_file(user, unit)


def can_decide_extension(user: Any, ext: Any) -> bool:
    return can_issue_to(user, ext.unit)


def can_record_visit(user: Any, region: OrgUnit) -> bool:
    return can_issue_to(user, region)


def can_see_supervision(user: Any) -> bool:
    """The notices list: coordinators, leaders, clerks (their own unit's), the acceptance group."""
    return viewer_scope(user).is_business_user
