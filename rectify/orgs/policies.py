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


def can_read_report_text(user: Any, unit_id: int | None) -> bool:
    """A unit's own words — its report text (进展, 下周计划, 存在问题), its evidence and close-out
    file names, its requests, the titles of on-site visits to it — are read by whoever's scope
    holds that unit: its own clerk (and a clerk of a unit above it), the region's offices, leaders
    and acceptance group. Everyone else who may see the shared problem sees such things as counts
    only (docs/security.md). The same rule opens the reports themselves."""
    return viewer_scope(user).covers_unit(unit_id)
