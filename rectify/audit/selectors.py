"""Reads of the audit trail: an object's timeline, and the full log for the audit admin."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from rectify.core.errors import Forbidden

from .models import AuditEvent, AuditVerification
from .policies import can_read_audit_log
from .services import object_key


def audit_timeline(obj: models.Model, *, include_children: bool = True) -> QuerySet[AuditEvent]:
    """Events of one object (and of its children), oldest first. The caller scoped `obj`."""
    object_type, object_id = object_key(obj)
    condition = Q(object_type=object_type, object_id=object_id)
    if include_children:
        condition |= Q(parent_type=object_type, parent_id=object_id)
    return AuditEvent.objects.filter(condition).select_related("actor").order_by("at", "id")


def audit_log(*, viewer: Any, filters: dict[str, str] | None = None) -> QuerySet[AuditEvent]:
    if not can_read_audit_log(viewer):
        raise Forbidden("只有审计管理员可以查看审计日志。")
    qs = AuditEvent.objects.select_related("actor").order_by("-at", "-seq")
    filters = filters or {}
    if filters.get("action"):
        qs = qs.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        qs = qs.filter(actor_label__icontains=filters["actor"])
    if filters.get("object_type"):
        qs = qs.filter(object_type=filters["object_type"])
    return qs


def last_verification(*, viewer: Any) -> AuditVerification | None:
    """The latest run of `rectify audit_verify` (or of the daily job), for the audit admin."""
    if not can_read_audit_log(viewer):
        raise Forbidden("只有审计管理员可以查看审计日志。")
    return AuditVerification.objects.order_by("-id").first()
