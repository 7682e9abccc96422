"""May this user do X with units (pure: decisions from the viewer's scope)."""

from __future__ import annotations

from typing import Any

from .models import Role
from .scope import viewer_scope


def can_view_business_data(user: Any) -> bool:
    return viewer_scope(user).is_business_user


def can_manage_units(user: Any) -> bool:
    """Adding, renaming and merging units changes everyone's directory: city office only."""
    return Role.COORDINATOR in viewer_scope(user).city_roles


def is_coordinator(user: Any) -> bool:
    return Role.COORDINATOR in viewer_scope(user).region_roles
