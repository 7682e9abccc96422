"""Who may read the audit log: only the audit admin (三权分立: not the system admin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import Q

AUDIT_APP, AUDIT_CODENAME = "audit", "view_auditevent"
AUDIT_PERMISSION = f"{AUDIT_APP}.{AUDIT_CODENAME}"
_ANSWER = "_rectify_reads_audit_log"


def can_read_audit_log(user: Any) -> bool:
    # Superusers are excluded on purpose: the audit admin's duty is separate from the sysadmin's.
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    answer = getattr(user, _ANSWER, None)
    if answer is None:
        answer = _holds_audit_permission(user)
        setattr(user, _ANSWER, answer)  # once per request: the layout asks on every page
    return answer


def _holds_audit_permission(user: Any) -> bool:
    """`user.has_perm(AUDIT_PERMISSION)` under ModelBackend (the only backend that grants
    permissions here; axes' grants none) in one query instead of two (the user's own permissions,
    then its groups'): active, and holding it directly or through a group."""
    if not user.is_active:
        return False
    held = Permission.objects.filter(content_type__app_label=AUDIT_APP, codename=AUDIT_CODENAME)
    return held.filter(Q(user=user) | Q(group__user=user)).exists()
