"""Who may run supervision actions (pure decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope


def can_run_scan(user: Any) -> bool:
    """The scan covers the whole deployment, so only the city office starts one by hand."""
    return Role.COORDINATOR in viewer_scope(user).city_roles
