"""Extension requests (延期申请): a unit asks before its deadline; the coordinator approves (the
measure's date moves, the old one stays on the request) or refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.formats import format_cn_date
from rectify.core.transitions import transition
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure
from rectify.progress import services as progress

from . import policies
from .models import (
    EXTENSION_TRANSITIONS,
    ExtensionRequest,
    ExtensionStatus,
)
from .services import warnings_refresh

EXTENSION_RACE = "该延期申请已被他人处理，请刷新页面后查看最新状态。"

# --- 延期申请 ------------------------------------------------------------------------------------

EXTENSIBLE_KINDS = {"date", "range", "external"}


@transaction.atomic
def extension_request(
    *, actor: Any, measure: Measure, unit: OrgUnit, reason: str, requested_due: dt.date
) -> ExtensionRequest:
    assigned = Assignment.objects.filter(measure=measure, unit=unit).exists()
    if not policies.can_request_extension(actor, unit, assigned=assigned):
        raise Forbidden("只有该措施责任单位的联络员可以申请延期。")
    today = clock.today()
    if measure.status not in (ItemStatus.IN_PROGRESS,):
        raise DomainError("该措施不在整改中，无需申请延期。")
    if measure.deadline_kind not in EXTENSIBLE_KINDS or measure.due_on is None:
        raise DomainError("该措施没有明确的整改时限（如立行立改、长期坚持），不适用延期申请。")
    if today > measure.due_on:
        raise DomainError(f"整改时限（{format_cn_date(measure.due_on)}）已过，延期须在到期前申请；请与整改办联系。")
    if requested_due <= measure.due_on:
        raise DomainError("申请延至的日期须晚于现整改时限。")
    if not reason.strip():
        raise DomainError("请填写延期理由。")
    if ExtensionRequest.objects.filter(measure=measure, status=ExtensionStatus.PENDING).exists():
        raise DomainError("该措施已有一份待审批的延期申请。")
    ext = ExtensionRequest.objects.create(
        measure=measure,
        unit=unit,
        reason=reason.strip(),
        old_due=measure.due_on,
        requested_due=requested_due,
        requested_by=actor,
    )
    record(
        actor=actor,
        action="extension.requested",
        obj=measure.problem,
        after={"measure": measure.pk, "old_due": ext.old_due.isoformat(), "requested_due": requested_due.isoformat()},
        note=reason.strip(),
    )
    return ext


@transaction.atomic
def extension_decide(
    *, actor: Any, ext: ExtensionRequest, approve: bool, note: str, approved_due: dt.date | None = None
) -> ExtensionRequest:
    if not policies.can_decide_extension(actor, ext):
        raise Forbidden("只有整改办可以审批延期申请。")
    note = note.strip()
    if not approve and not note:
        raise DomainError("不予批准时请填写理由。")
    measure = ext.measure
    values: dict[str, Any] = {"decision_note": note, "decided_by": actor, "decided_at": clock.now()}
    if approve:
        due = approved_due or ext.requested_due
        if due <= ext.old_due:
            raise DomainError("批准的日期须晚于原整改时限。")
        values["approved_due"] = due
    transition(
        ext,
        table=EXTENSION_TRANSITIONS,
        target=ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED,
        message=EXTENSION_RACE,
        source=ExtensionStatus.PENDING,
        values=values,
    )
    if approve:
        before = measure.due_on
        Measure.objects.filter(pk=measure.pk).update(due_on=ext.approved_due, updated_at=clock.now())
        record(
            actor=actor,
            action="extension.approved",
            obj=measure.problem,
            before={"measure": measure.pk, "due_on": before.isoformat() if before else None},
            after={"measure": measure.pk, "due_on": ext.approved_due.isoformat() if ext.approved_due else None},
            note=note,
        )
        warnings_refresh(measure_ids=[measure.pk])
    else:
        record(actor=actor, action="extension.refused", obj=measure.problem, after={"measure": measure.pk}, note=note)
    recipients = [ext.requested_by] if ext.requested_by else []
    verdict = f"已批准，整改时限延至{format_cn_date(ext.approved_due)}" if approve and ext.approved_due else "未获批准"
    notify(
        recipients=recipients + progress.unit_clerks([ext.unit_id]).get(ext.unit_id, []),
        message=Message(
            kind="supervision",
            subject=f"【延期申请】（{measure.problem.number}）{measure.label}{verdict}",
            body=f"原整改时限：{format_cn_date(ext.old_due)}；申请延至：{format_cn_date(ext.requested_due)}。"
            f"审批意见：{note or '同意'}",
            url=reverse("supervision:extensions"),
            dedupe_key=f"extension:{ext.pk}:decided",
        ),
    )
    return ext
