"""record(): every service writes its audit row through here, inside its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEvent


def object_key(obj: models.Model) -> tuple[str, str]:
    return obj._meta.label_lower, str(obj.pk)


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    parent: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    """Write one audit event. Call it inside the service's transaction.atomic block."""
    object_type, object_id = object_key(obj)
    parent_type, parent_id = object_key(parent) if parent is not None else ("", "")
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if user is not None:
        label = user.get_full_name() or user.get_username()
    elif isinstance(actor, str):
        label = actor
    return AuditEvent.objects.create(
        actor=user,
        actor_label=label or "系统",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:300],
        parent_type=parent_type,
        parent_id=parent_id,
        before=before,
        after=after,
        note=note,
    )
