"""Who may compile, edit, issue and read 月通报 and 工作简报 (pure decisions from the viewer's scope).

Drafts stay with the office that compiles them and its own region's leaders (who read them before
they go out): not even the city office opens a county office's draft (issue 14). An issued
document reaches every business user of its region, clerks included.
"""

from __future__ import annotations

from typing import Any

from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import Scope, region_of, viewer_scope

from .models import DocStatus

DRAFT_READERS = {Role.COORDINATOR, Role.LEADER}


def can_compile(user: Any) -> bool:
    """A coordinator (整改办) compiles for its own office."""
    return Role.COORDINATOR in viewer_scope(user).region_roles


def can_edit(user: Any, doc: Any) -> bool:
    """Edit, refresh, issue, cancel: a coordinator of the issuing office itself."""
    return any(m.role == Role.COORDINATOR and m.unit_id == doc.issuer_id for m in viewer_scope(user).memberships)


def in_audience(scope: Scope, region: OrgUnit) -> bool:
    """The viewer works inside the region (a unit below it) or watches over it."""
    return scope.covers_unit(region.pk) or any(m.unit.path.startswith(region.path) for m in scope.memberships)


def draft_regions(scope: Scope) -> set[int]:
    """The regions whose drafts the viewer reads: those its coordinator or leader memberships sit
    in directly (the nearest region above the unit), never the regions below them."""
    return {region_of(m.unit).pk for m in scope.memberships if m.role in DRAFT_READERS}


def can_view(user: Any, doc: Any) -> bool:
    scope = viewer_scope(user)
    if not scope.is_business_user:
        return False
    if doc.status == DocStatus.ISSUED:
        return in_audience(scope, doc.region)
    return doc.region_id in draft_regions(scope)


def can_read_documents(user: Any) -> bool:
    """The lists of 月通报 and 工作简报: every business user (each sees what can_view allows)."""
    return viewer_scope(user).is_business_user


def can_publish(user: Any) -> bool:
    """信息公开: the city office puts an issued 月通报 or 工作简报 on the public portal (or takes it off)."""
    return Role.COORDINATOR in viewer_scope(user).city_roles
