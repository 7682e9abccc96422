"""挂牌督办 and 约谈 flags on a problem or a unit: set and lifted by a coordinator (or by issuing a
约谈 notice), mirrored onto `Problem.flags` / `OrgUnit.flags` so every list shows them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Problem

from . import policies
from .models import (
    FlagKind,
    SupervisionFlag,
    SupervisionNotice,
)

# --- 挂牌督办 / 约谈 flags ------------------------------------------------------------------------


def _sync_flags(*, problem: Problem | None = None, unit: OrgUnit | None = None) -> None:
    if problem is not None:
        kinds = sorted(
            set(SupervisionFlag.objects.filter(problem=problem, lifted_on__isnull=True).values_list("kind", flat=True))
        )
        Problem.objects.filter(pk=problem.pk).update(flags=kinds)
    if unit is not None:
        kinds = sorted(
            set(SupervisionFlag.objects.filter(unit=unit, lifted_on__isnull=True).values_list("kind", flat=True))
        )
        OrgUnit.objects.filter(pk=unit.pk).update(flags=kinds)


def flag_mark(
    *,
    actor: Any,
    kind: str,
    reason: str,
    problem: Problem | None = None,
    unit: OrgUnit | None = None,
    notice: SupervisionNotice | None = None,
) -> SupervisionFlag:
    existing = SupervisionFlag.objects.filter(kind=kind, problem=problem, unit=unit, lifted_on__isnull=True).first()
    if existing:
        return existing
    flag = SupervisionFlag.objects.create(
        kind=kind, problem=problem, unit=unit, reason=reason, notice=notice, set_on=clock.today(), set_by=actor
    )
    _sync_flags(problem=problem, unit=unit)
    record(
        actor=actor,
        action="flag.set",
        obj=problem or unit,  # type: ignore[arg-type]
        after={"kind": kind, "reason": reason},
        note=f"{FlagKind(kind).label}：{reason}",
    )
    return flag


@transaction.atomic
def flag_set(
    *, actor: Any, kind: str, reason: str, problem: Problem | None = None, unit: OrgUnit | None = None
) -> SupervisionFlag:
    if kind not in FlagKind.values:
        raise DomainError("请选择挂牌督办或约谈。")
    if (problem is None) == (unit is None):
        raise DomainError("请选择一个问题或一个单位。")
    if not policies.can_flag(actor, problem=problem, unit=unit):
        raise Forbidden("只有整改办可以挂牌督办或约谈。")
    if not reason.strip():
        raise DomainError("请填写挂牌督办（约谈）的理由。")
    return flag_mark(actor=actor, kind=kind, reason=reason.strip(), problem=problem, unit=unit)


@transaction.atomic
def flag_lift(*, actor: Any, flag: SupervisionFlag, reason: str) -> SupervisionFlag:
    if not policies.can_flag(actor, problem=flag.problem, unit=flag.unit):
        raise Forbidden("只有整改办可以解除挂牌督办（约谈）。")
    if not reason.strip():
        raise DomainError("请填写解除理由。")
    updated = SupervisionFlag.objects.filter(pk=flag.pk, lifted_on__isnull=True).update(
        lifted_on=clock.today(), lift_reason=reason.strip(), lifted_by=actor
    )
    if updated != 1:
        raise ConcurrentChange("该标记已被他人解除。")
    flag.refresh_from_db()
    _sync_flags(problem=flag.problem, unit=flag.unit)
    record(
        actor=actor,
        action="flag.lifted",
        obj=flag.problem or flag.unit,  # type: ignore[arg-type]
        note=f"解除{flag.get_kind_display()}：{reason.strip()}",
    )
    return flag
