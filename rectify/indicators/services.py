"""Indicator writes (the coordinator sets targets, units report values) and the acceptance check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import versioned_update
from rectify.orgs.models import Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Measure, Problem

from .models import Comparator, Indicator


def can_define(user: Any, problem: Problem) -> bool:
    return Role.COORDINATOR in viewer_scope(user).city_roles


def can_report(user: Any, problem: Problem) -> bool:
    """The city office, or a clerk of a unit responsible for the problem."""
    scope = viewer_scope(user)
    if Role.COORDINATOR in scope.city_roles:
        return True
    units = Assignment.objects.filter(problem=problem, unit__isnull=False).values_list("unit__path", flat=True)
    return any(m.role == Role.CLERK and any(p.startswith(m.unit.path) for p in units) for m in scope.memberships)


@transaction.atomic
def indicator_define(
    *,
    actor: Any,
    problem: Problem,
    name: str,
    comparator: str,
    target: float,
    unit: str = "",
    measure: Measure | None = None,
) -> Indicator:
    if not can_define(actor, problem):
        raise Forbidden("只有市整改办可以设定量化指标。")
    if not name.strip() or comparator not in Comparator.values:
        raise DomainError("请填写指标名称并选择 ≥ 或 ≤。")
    if measure is not None and measure.problem_id != problem.pk:
        raise DomainError("所选措施不属于该问题。")
    try:
        with transaction.atomic():
            indicator = Indicator.objects.create(
                problem=problem, measure=measure, name=name.strip(), comparator=comparator, target=target, unit=unit
            )
    except IntegrityError as exc:
        raise DomainError("该问题已有同名指标。") from exc
    record(actor=actor, action="indicator.defined", obj=problem, note=str(indicator))
    return indicator


@transaction.atomic
def indicator_report(
    *, actor: Any, indicator: Indicator, value: float, measured_on: dt.date | None, source: str, version: int
) -> Indicator:
    if not can_report(actor, indicator.problem):
        raise Forbidden("只有该问题的责任单位或市整改办可以填报指标值。")
    day = measured_on or clock.today()
    if day > clock.today():
        raise DomainError("测定日期不能晚于今天。")
    before = indicator.value
    versioned_update(
        indicator,
        version=version,
        values={"value": value, "measured_on": day, "source": source.strip()[:200], "updated_by": actor},
        message="该指标已被他人更新，请刷新页面后重新填报。",
    )
    record(
        actor=actor,
        action="indicator.reported",
        obj=indicator.problem,
        before={"indicator": indicator.name, "value": before},
        after={"indicator": indicator.name, "value": value, "measured_on": day.isoformat()},
    )
    return indicator


def shortfalls(*, measures: Sequence[Measure], problem: Problem) -> list[str]:
    """The indicators an item must meet before acceptance: the problem's own (when the whole
    problem or its last measure closes) and those of its measures."""
    qs = Indicator.objects.filter(problem=problem)
    if len(measures) == 1:
        qs = qs.filter(measure__in=[measures[0].pk]) | qs.filter(measure__isnull=True)
    out = []
    for i in qs.order_by("id"):
        if i.met is None:
            out.append(f"{i.name}（目标{i.get_comparator_display()}{i.target:g}{i.unit}）尚未填报测定值")
        elif not i.met:
            out.append(f"{i.name}当前{i.value:g}{i.unit}，未达到目标{i.get_comparator_display()}{i.target:g}{i.unit}")
    return out
