"""What every page needs to know about the viewer (navigation by role)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from rectify.audit.policies import can_read_audit_log
from rectify.orgs.policies import can_manage_units
from rectify.orgs.scope import viewer_scope
from rectify.plans.policies import can_import_plan


def viewer(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    scope = viewer_scope(user)
    return {
        "viewer_scope": scope,
        "viewer_memberships": scope.memberships,
        "nav_business": scope.is_business_user,
        "nav_import": can_import_plan(user),
        "nav_units_manage": can_manage_units(user),
        "nav_audit": can_read_audit_log(user),
        "nav_sysadmin": user.is_staff,
        "nav_review": "coordinator" in scope.region_roles,
        # Leaders, offices and the acceptance group land on the dashboard (dashboards app).
        "nav_dashboard": bool(scope.region_roles),
    }
