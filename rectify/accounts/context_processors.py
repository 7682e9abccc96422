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
    if _gated(request):
        # Signed in by password but still owing a second factor or a new password: no navigation.
        return {"nav_gated": True}
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
        # A leader's own list of the problems they 包联 (plans:led_problems).
        "nav_leader": "leader" in scope.roles,
        # Tabs that would only answer "无权访问" are not shown (closeout/_nav.html).
        "nav_acceptance": "acceptance" in scope.region_roles,
        "nav_handover": bool(scope.city_roles & {"coordinator", "leader"}),
        # 各市对账 (the province's mirror of its cities): rectify.mirror.policies.can_view_mirrors
        "nav_mirror": bool(scope.city_roles & {"coordinator", "leader"}),
    }


def _gated(request: HttpRequest) -> bool:
    from .otp import SESSION_STATE
    from .signals import SESSION_MUST_CHANGE

    session = request.session
    if session.get(SESSION_MUST_CHANGE):
        return True
    verified = getattr(request.user, "is_verified", lambda: True)
    return bool(session.get(SESSION_STATE)) and not verified()
