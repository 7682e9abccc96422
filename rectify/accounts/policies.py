"""Who must use a second factor, who may use the account management pages and whose account the
system administrator may change, reset or give a business role (pure)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from rectify.audit.policies import can_read_audit_log
from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope

# The keys RECTIFY_2FA_REQUIRED_ROLES understands (besides "all").
SECOND_FACTOR_ROLES = {
    "city_office": "整改办（市级）",
    "county_office": "整改办（县级）",
    "clerk": "责任单位联络员",
    "acceptance": "验收组",
    "leader": "领导",
    "sysadmin": "系统管理员",
    "auditor": "审计管理员",
}


def is_admin_account(user: Any) -> bool:
    """The system administrator, a superuser or the audit administrator (an admin group)."""
    return bool(user.is_staff or user.is_superuser or user.groups.exists())


def second_factor_roles(user: Any) -> set[str]:
    """The RECTIFY_2FA_REQUIRED_ROLES keys that describe this account."""
    scope = viewer_scope(user)
    roles: set[str] = set()
    if Role.COORDINATOR in scope.city_roles:
        roles.add("city_office")
    elif Role.COORDINATOR in scope.roles:
        roles.add("county_office")
    roles |= {r for r in (Role.CLERK, Role.ACCEPTANCE, Role.LEADER) if r in scope.roles}
    if user.is_staff or user.is_superuser:
        roles.add("sysadmin")
    if can_read_audit_log(user):
        roles.add("auditor")
    return roles


def second_factor_required(user: Any) -> bool:
    required = set(getattr(settings, "RECTIFY_2FA_REQUIRED_ROLES", ()))
    if not required or not getattr(user, "is_authenticated", False):
        return False
    if "all" in required:
        return True
    return bool(second_factor_roles(user) & required)


def can_reset_credentials(actor: Any, target: Any) -> bool:
    """The system administrator resets another person's password or second factor: never its own
    (the profile page does that), never another admin's (a superuser does, from the command line)."""
    if not (actor.is_staff or actor.is_superuser) or actor.pk == target.pk:
        return False
    return actor.is_superuser or not is_admin_account(target)


def can_manage_accounts(user: Any) -> bool:
    """The system administrator's pages (账号管理, /accounts/manage/): a staff account or a
    superuser. Business users, the audit administrator and accounts without a role: never."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def can_change_account(actor: Any, target: Any) -> bool:
    """Name, phone, active, the recoveries and revoking tokens: the same rule as the resets —
    never the administrator's own account, never another administrator's (but a superuser's)."""
    return can_manage_accounts(actor) and can_reset_credentials(actor, target)


def can_grant_role(actor: Any, target: Any) -> bool:
    """Business roles (memberships) go to business accounts only: never to the administrator
    itself nor to any administrator, a superuser granting neither (三权分立)."""
    return can_manage_accounts(actor) and actor.pk != target.pk and not is_admin_account(target)
