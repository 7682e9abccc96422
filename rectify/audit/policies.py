"""Who may read the audit log: only the audit admin (三权分立: not the system admin)."""

from __future__ import annotations

from typing import Any

AUDIT_PERMISSION = "audit.view_auditevent"


def can_read_audit_log(user: Any) -> bool:
    # Superusers are excluded on purpose: the audit admin's duty is separate from the sysadmin's.
    return bool(getattr(user, "is_authenticated", False) and not user.is_superuser and user.has_perm(AUDIT_PERMISSION))
