"""Who may apply, agree, review, publish and reopen (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import viewer_scope


def can_apply_for(user: Any, unit: OrgUnit) -> bool:
    """A clerk of the lead unit (or of a unit above it)."""
    return any(m.role == Role.CLERK and unit.path.startswith(m.unit.path) for m in viewer_scope(user).memberships)


def can_review(user: Any, application: Any) -> bool:
    """The acceptance group of the unit's region, never a member of the applying unit itself."""
    scope = viewer_scope(user)
    if Role.ACCEPTANCE not in scope.region_roles or not scope.covers_unit(application.unit_id):
        return False
    return not any(m.unit_id == application.unit_id for m in scope.memberships)


def can_manage(user: Any, unit_id: int) -> bool:
    """The coordinator of the unit's region: records objections, reopens relapsed items."""
    scope = viewer_scope(user)
    return Role.COORDINATOR in scope.region_roles and scope.covers_unit(unit_id)


def can_view(user: Any, unit_id: int) -> bool:
    return viewer_scope(user).covers_unit(unit_id)


def can_set_handover(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).city_roles
