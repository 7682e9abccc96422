"""Extension requests (延期申请), per share: a unit asks, before its own share's deadline, for a
later one; the coordinator of the unit's region approves (that unit's share moves, the measure and
the other units keep their dates; the old one stays on the request) or refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.formats import format_cn_date
from rectify.core.transitions import transition
from rectify.notifications.services import Message, notify
from rectify.orgs.models import OrgUnit
from rectify.plans.models import SHARE_OPEN_STATUSES, Assignment, Measure
from rectify.progress import services as progress

from . import policies
from .models import (
    EXTENSION_TRANSITIONS,
    ExtensionRequest,
    ExtensionStatus,
)
from .services import deadline_text, warnings_refresh

EXTENSION_RACE = "该延期申请已被他人处理，请刷新页面后查看最新状态。"

# --- 延期申请 ------------------------------------------------------------------------------------

EXTENSIBLE_KINDS = {"date", "range", "external"}


def with_share_due(qs: QuerySet[ExtensionRequest]) -> QuerySet[ExtensionRequest]:
    """Requests with their unit's share's due date now (`share_due`, `share_extended`) and the
    measure's (`measure_due`), for the pages and the API to show old and new side by side."""
    share = Assignment.objects.filter(measure_id=OuterRef("measure_id"), unit_id=OuterRef("unit_id")).order_by(
        "role", "pk"
    )
    return qs.annotate(
        share_due=Subquery(share.values("due_on")[:1]),
        share_extended=Subquery(share.values("due_extended")[:1]),
        measure_due=F("measure__due_on"),
    )


def share_of(measure: Measure, unit: OrgUnit) -> Assignment | None:
    """The unit's own share of the measure (its lead share if it also supports it)."""
    return Assignment.objects.filter(measure=measure, unit=unit).order_by("role", "pk").first()


@transaction.atomic
def extension_request(
    *, actor: Any, measure: Measure, unit: OrgUnit, reason: str, requested_due: dt.date
) -> ExtensionRequest:
    """The unit's clerk asks for a later date for the unit's own share of the measure."""
    share = share_of(measure, unit)
    if not policies.can_request_extension(actor, unit, assigned=share is not None):
        raise Forbidden("只有该措施责任单位的联络员可以申请延期。")
    assert share is not None
    today = clock.today()
    if share.status not in SHARE_OPEN_STATUSES:
        raise DomainError(f"{unit.name}承担的该项任务已不在整改中（{share.get_status_display()}），无需申请延期。")
    if measure.deadline_kind not in EXTENSIBLE_KINDS or share.due_on is None:
        raise DomainError("该措施没有明确的整改时限（如立行立改、长期坚持），不适用延期申请。")
    if today > share.due_on:
        raise DomainError(f"整改时限（{format_cn_date(share.due_on)}）已过，延期须在到期前申请；请与整改办联系。")
    if requested_due <= share.due_on:
        raise DomainError(f"申请延至的日期须晚于{unit.name}现整改时限（{format_cn_date(share.due_on)}）。")
    if not reason.strip():
        raise DomainError("请填写延期理由。")
    pending = DomainError(f"{unit.name}就该措施已有一份待审批的延期申请。")
    if ExtensionRequest.objects.filter(measure=measure, unit=unit, status=ExtensionStatus.PENDING).exists():
        raise pending
    try:
        with transaction.atomic():
            ext = ExtensionRequest.objects.create(
                measure=measure,
                unit=unit,
                reason=reason.strip(),
                old_due=share.due_on,
                requested_due=requested_due,
                requested_by=actor,
            )
    except IntegrityError:  # a second request at the same moment (the constraint: one pending per share)
        raise pending from None
    record(
        actor=actor,
        action="extension.requested",
        obj=measure.problem,
        after={
            "measure": measure.pk,
            "unit": unit.name,
            "old_due": ext.old_due.isoformat(),
            "requested_due": requested_due.isoformat(),
        },
        note=f"{unit.name}：{reason.strip()}",
    )
    return ext


@transaction.atomic
def extension_decide(
    *, actor: Any, ext: ExtensionRequest, approve: bool, note: str, approved_due: dt.date | None = None
) -> ExtensionRequest:
    """Approval moves the requesting unit's share only (due_on, due_extended); the measure's date
    and every other unit's share stay as they are. Then the measure's shares are re-assessed."""
    if not policies.can_decide_extension(actor, ext):
        raise Forbidden("只有该单位所在地区的整改办可以审批其延期申请。")
    note = note.strip()
    if not approve and not note:
        raise DomainError("不予批准时请填写理由。")
    measure, unit = ext.measure, ext.unit
    values: dict[str, Any] = {"decision_note": note, "decided_by": actor, "decided_at": clock.now()}
    if approve:
        due = approved_due or ext.requested_due
        if due <= ext.old_due:
            raise DomainError("批准的日期须晚于原整改时限。")
        values["approved_due"] = due
    share = share_of(measure, unit)
    if approve and share is None:
        raise DomainError(f"{unit.name}已不是该措施的责任单位，无法延期。")
    if approve and share is not None and share.due_on is not None and values["approved_due"] <= share.due_on:
        raise DomainError(
            f"{unit.name}的整改时限已是{format_cn_date(share.due_on)}（已调整），批准的日期须晚于它；"
            "如无需延期，请不予批准并说明。"
        )
    transition(
        ext,
        table=EXTENSION_TRANSITIONS,
        target=ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED,
        message=EXTENSION_RACE,
        source=ExtensionStatus.PENDING,
        values=values,
    )
    if approve and share is not None:
        before = share.due_on
        Assignment.objects.filter(pk=share.pk).update(
            due_on=ext.approved_due, due_extended=True, updated_at=clock.now()
        )
        record(
            actor=actor,
            action="extension.approved",
            obj=measure.problem,
            before={"measure": measure.pk, "unit": unit.name, "due_on": before.isoformat() if before else None},
            after={
                "measure": measure.pk,
                "unit": unit.name,
                "due_on": ext.approved_due.isoformat() if ext.approved_due else None,
            },
            note=f"{unit.name}：{note}" if note else unit.name,
        )
        warnings_refresh(measure_ids=[measure.pk])
    else:
        record(
            actor=actor,
            action="extension.refused",
            obj=measure.problem,
            after={"measure": measure.pk, "unit": unit.name},
            note=f"{unit.name}：{note}",
        )
    recipients = [ext.requested_by] if ext.requested_by else []
    if approve and ext.approved_due:
        new_due = deadline_text(measure.deadline_raw, ext.approved_due, extended=True)
        verdict = f"已批准，{unit.name}的整改时限延至{format_cn_date(ext.approved_due)}"
        body = f"{unit.name}承担部分的整改时限：{new_due}；其他责任单位的整改时限不变。"
    else:
        verdict = "未获批准"
        body = f"{unit.name}的整改时限仍为{format_cn_date(ext.old_due)}。"
    notify(
        recipients=recipients + progress.unit_clerks([ext.unit_id]).get(ext.unit_id, []),
        message=Message(
            kind="supervision",
            subject=f"【延期申请】{unit.name}（{measure.problem.number}）{measure.label}{verdict}",
            body=f"申请单位：{unit.name}。原整改时限：{format_cn_date(ext.old_due)}；"
            f"申请延至：{format_cn_date(ext.requested_due)}。{body}审批意见：{note or '同意'}",
            url=reverse("supervision:extensions"),
            dedupe_key=f"extension:{ext.pk}:decided",
        ),
    )
    return ext
