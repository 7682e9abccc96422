"""Who may read and load the mirror (pure decisions from the viewer's scope). On the province's
instance the province office and its leaders hold their roles at the top of its directory."""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope


def can_view_mirrors(user: Any) -> bool:
    return bool({Role.COORDINATOR, Role.LEADER} & viewer_scope(user).city_roles)


def can_import_mirror(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).city_roles
