"""信息公开: the city office's choice of what the public portal shows, and the version of the
portal's cache that every change to public data bumps.

A problem is public when both its plan and itself are (`Plan.is_public`, `Problem.is_public`).
The city office sets both on one page per plan (plans:publishing) or through the API; each save
is one audited event on the plan, guarded by the plan's version so that two offices saving at
once get "已被他人修改" instead of silently undoing each other.

`public_changed()` is called by every service that changes what a public page says (this
module, close-out, complaint publication, published documents): the portal keys its cached
pages by `public_version()`, so a change shows at once instead of after the cache's TTL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.transitions import versioned_update

from .models import Plan, Problem
from .policies import can_publish
from .selectors import plan_ids

VERSION_KEY = "rectify:public:version"
RACE = "该方案的公开设置已被他人修改，请刷新页面后重试。"


# --- the portal cache's version ------------------------------------------------------------------


def public_version() -> int:
    """The current version of everything public (one cache read; never the database)."""
    value = cache.get(VERSION_KEY)
    if value is None:
        # A fresh (or evicted) counter starts from the clock, so it never repeats a version whose
        # pages may still sit in the cache.
        cache.add(VERSION_KEY, time.time_ns(), None)
        value = cache.get(VERSION_KEY, 0)
    return int(value)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no counter yet (or evicted): any new value invalidates
        cache.set(VERSION_KEY, time.time_ns(), None)


def public_changed() -> None:
    """Public data changed: invalidate the portal's cached pages now and again on commit (a page
    rendered from the old data between the two would otherwise stay until its TTL)."""
    _bump()
    transaction.on_commit(_bump)


# --- reads for the city office's page --------------------------------------------------------------


def publishing_plan_get(*, viewer: Any, plan_id: int) -> Plan:
    """The plan whose publication the city office sets (others: 403; missing: 404)."""
    if not can_publish(viewer):
        raise Forbidden("只有市整改办可以设置信息公开的内容。")
    plan = plan_ids(viewer=viewer).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    return plan


def publishing_problems(plan: Plan) -> QuerySet[Problem]:
    return plan.problems.select_related("chapter").order_by("index")


# --- writes -------------------------------------------------------------------------------------------


def _labels(problems: Iterable[Problem]) -> list[str]:
    return [p.label for p in problems]


@transaction.atomic
def plan_publishing_save(
    *, actor: Any, plan: Plan, plan_public: bool, public_problem_ids: Iterable[int] | None, version: int | None = None
) -> dict[str, list[str]]:
    """Set the plan's publication and, unless `public_problem_ids` is None, exactly which of its
    problems are public. Returns the problems published and withdrawn (their labels)."""
    if not can_publish(actor):
        raise Forbidden("只有市整改办可以设置信息公开的内容。")
    problems = list(plan.problems.order_by("index"))
    by_id = {p.pk: p for p in problems}
    if public_problem_ids is None:
        wanted = {p.pk for p in problems if p.is_public}
    else:
        wanted = set(public_problem_ids)
        unknown = wanted - set(by_id)
        if unknown:
            raise DomainError("所选问题不属于该方案，请刷新页面后重试。")
    published = [p for p in problems if p.pk in wanted and not p.is_public]
    withdrawn = [p for p in problems if p.pk not in wanted and p.is_public]
    before_plan = plan.is_public
    versioned_update(
        plan,
        version=plan.version if version is None else version,
        values={"is_public": plan_public},
        message=RACE,
    )
    now = clock.now()
    if published:
        Problem.objects.filter(pk__in=[p.pk for p in published]).update(is_public=True, updated_at=now)
    if withdrawn:
        Problem.objects.filter(pk__in=[p.pk for p in withdrawn]).update(is_public=False, updated_at=now)
    changes = {"published": _labels(published), "withdrawn": _labels(withdrawn)}
    if before_plan != plan_public or published or withdrawn:
        record(
            actor=actor,
            action="plan.publishing_changed",
            obj=plan,
            before={"plan_public": before_plan},
            after={
                "plan_public": plan_public,
                **changes,
                "public_problems": len(wanted),
                "problems": len(problems),
            },
        )
        public_changed()
    return changes


def plan_publish(*, actor: Any, plan: Plan, public: bool = True) -> dict[str, list[str]]:
    """Make the plan public (or withdraw it), its problems' choices unchanged."""
    return plan_publishing_save(actor=actor, plan=plan, plan_public=public, public_problem_ids=None)


def problem_publish(*, actor: Any, plan: Plan, problem_ids: Iterable[int], public: bool = True) -> dict[str, list[str]]:
    """Make these problems of the plan public (or withdraw them), the others unchanged."""
    chosen = set(problem_ids)
    current = set(plan.problems.filter(is_public=True).values_list("pk", flat=True))
    unknown = chosen - set(plan.problems.values_list("pk", flat=True))
    if unknown:
        raise DomainError("所选问题不属于该方案，请刷新页面后重试。")
    wanted = current | chosen if public else current - chosen
    return plan_publishing_save(actor=actor, plan=plan, plan_public=plan.is_public, public_problem_ids=wanted)
