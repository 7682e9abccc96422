"""May this user change the ledger (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope

from .models import Problem


def can_edit_problem(user: Any, problem: Problem) -> bool:
    """The city office edits any problem; a county office only problems that are wholly its
    county's (a city-wide problem such as （一） binds six counties: one county may not change it)."""
    scope = viewer_scope(user)
    if Role.COORDINATOR in scope.city_roles:
        return True
    if Role.COORDINATOR not in scope.region_roles:
        return False
    unit_ids = set(problem.assignments.exclude(unit__isnull=True).values_list("unit_id", flat=True))
    return bool(unit_ids) and unit_ids <= scope.unit_ids


def can_assign_unit(user: Any, unit_id: int) -> bool:
    """A coordinator assigns work only to units inside its own scope."""
    scope = viewer_scope(user)
    return Role.COORDINATOR in scope.region_roles and scope.covers_unit(unit_id)


def can_import_plan(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).region_roles


def can_export_ledger(user: Any) -> bool:
    return viewer_scope(user).is_business_user


def can_change_deadline_for_all(user: Any) -> bool:
    """Moving a measure's deadline for every unit at once is the city office's decision."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_view_rounds(user: Any) -> bool:
    """督察轮次 themselves are no secret: every business user sees the list (their counts are scoped)."""
    return viewer_scope(user).is_business_user


def can_manage_rounds(user: Any) -> bool:
    """Creating and editing 督察轮次, putting a plan in a round and linking the same finding across
    rounds (which marks 反弹 and counts in the 月通报) are the city office's decisions."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_publish(user: Any) -> bool:
    """信息公开: what the public portal shows (plans, problems) is the city office's choice."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_add_items(user: Any) -> bool:
    """Adding a problem or a measure by hand (自查自纠、举一反三、回头看、群众举报) and editing a
    measure's text, units and deadline change the whole city's ledger: the city office's decision."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_assign_leaders(user: Any) -> bool:
    """Naming a problem's 包联领导 (包联 / 分包) is the city office's decision."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def is_leader(user: Any) -> bool:
    """Only a user who holds the leader role (at an active unit) can be a problem's 包联领导."""
    return Role.LEADER in viewer_scope(user).roles
