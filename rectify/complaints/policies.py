"""Who may import, handle, see personal data of and publish complaint cases (pure decisions)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import viewer_scope


def can_manage(user: Any) -> bool:
    """Import batches, assign cases, publish, record 回访: the city office (as the team hands
    batches to the city)."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_coordinate(user: Any, unit_id: int | None) -> bool:
    """The coordinator of the lead unit's region: assigns, returns to open, drafts notices."""
    scope = viewer_scope(user)
    return Role.COORDINATOR in scope.region_roles and (unit_id is None or scope.covers_unit(unit_id))


def can_handle(user: Any, unit: OrgUnit | None) -> bool:
    """The lead unit's clerk records investigation, verdict, handling and status."""
    if unit is None:
        return False
    return any(m.role == Role.CLERK and unit.path.startswith(m.unit.path) for m in viewer_scope(user).memberships)


def can_see_complainant(user: Any) -> bool:
    """Personal data: the city office only (it calls back and does the 回访). Never the handling
    unit's clerk, leaders or the acceptance group."""
    return Role.COORDINATOR in viewer_scope(user).city_roles
