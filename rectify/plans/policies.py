"""May this user change the ledger (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope

from .models import Problem


def can_edit_problem(user: Any, problem: Problem) -> bool:
    """Coordinators edit problems in their region; the caller already scoped `problem`."""
    return Role.COORDINATOR in viewer_scope(user).region_roles


def can_import_plan(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).region_roles


def can_export_ledger(user: Any) -> bool:
    return viewer_scope(user).is_business_user
