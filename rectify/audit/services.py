"""record(): every service writes its audit row through here, inside its own transaction; the
row is appended to the hash chain (chain.py). Also: audited exports and verification runs."""

from __future__ import annotations

from typing import Any

from django.db import models

from .chain import chain_append
from .models import AuditEvent, AuditVerification
from .verify import chain_verify, last_anchor


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
    user, label = _actor(actor)
    return chain_append(
        actor=user,
        actor_label=label,
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


def _actor(actor: Any) -> tuple[Any, str]:
    """The signed-in user (or None) and the name the event keeps: a user's, a label such as
    "交账程序", or 系统."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = ""
    if user is not None:
        label = user.get_full_name() or user.get_username()
    elif isinstance(actor, str):
        label = actor
    return user, (label or "系统")[:150]


def export_record(*, actor: Any, what: str, rows: int, obj: models.Model | None = None, detail: str = "") -> None:
    """An export that can carry personal data left the system: who, which, how many rows. Not
    the data itself (ASVS 8.3.5)."""
    object_type, object_id = object_key(obj) if obj is not None else ("export", what)
    user, label = _actor(actor)
    chain_append(
        actor=user,
        actor_label=label,
        action="export.downloaded",
        object_type=object_type,
        object_id=object_id,
        object_repr=(str(obj) if obj is not None else what)[:300],
        parent_type="",
        parent_id="",
        before=None,
        after={"export": what, "rows": rows},
        note=detail,
    )


def audit_verify_run(*, trigger: str) -> AuditVerification:
    """Verify the whole chain and keep the result (outside the chain) for the audit admin."""
    result = chain_verify(anchors=last_anchor())
    found = result.first_break
    return AuditVerification.objects.create(
        trigger=trigger[:40],
        events=result.events,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        ok=found is None,
        broken_seq=found.seq if found else None,
        broken_id=found.event_id if found else None,
        broken_kind=found.kind if found else "",
        message=result.summary(),
        seconds=round(result.seconds, 3),
    )


def audit_verify_daily(*, today: Any = None) -> list[AuditVerification]:
    """The scheduler's daily job (settings.RECTIFY_DAILY_JOBS): a broken chain counts as one item."""
    run = audit_verify_run(trigger="每日任务")
    return [] if run.ok else [run]
