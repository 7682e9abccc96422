"""Who may see the dashboard pages (pure decisions from the viewer's scope; docs/permissions.md).

- 驾驶舱 and 县区一览: the roles with a region-wide view — coordinators (整改办), leaders and the
  acceptance group; each sees its own region (the city's: everything). Clerks and the roles
  without business data get 403.
- a county page: anyone whose scope covers the county (the region unit itself, hence its whole
  subtree): the city's offices and leaders every county, a county's office and leaders their own.
  A business user whose scope does not cover it — a unit's clerk, another county's office — gets
  404 like any object outside their scope; roles without business data get 403.
"""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope

LANDING_ROLES = {Role.COORDINATOR, Role.LEADER}


def can_view_dashboard(user: Any) -> bool:
    return bool(viewer_scope(user).region_roles)


def can_view_counties(user: Any) -> bool:
    return can_view_dashboard(user)


def can_view_county(user: Any, county_id: int) -> bool:
    scope = viewer_scope(user)
    return scope.is_business_user and scope.covers_unit(county_id)


def lands_on_dashboard(user: Any) -> bool:
    """Leaders and coordinators start on the dashboard after login; everyone else on the ledger."""
    return bool(viewer_scope(user).region_roles & LANDING_ROLES)
