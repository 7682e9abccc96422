"""包联领导: the leaders who answer for a problem (包联) or for a part of it (分包).

Owns naming and removing a problem's leaders (the city office; audited on the problem's
timeline), the reads the pages and letters share (a problem's leaders, the line a letter prints),
and a leader's own list of the problems they 包联 / 分包 with the figures of the stored roll-ups
and of the shares behind them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden, NotFound
from rectify.orgs.models import Membership, Role

from . import selectors
from .models import Assignment, ItemStatus, Measure, Problem, ProblemLeader, WarningLevel
from .policies import can_assign_leaders, is_leader


def person(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def leader_label(leader: ProblemLeader) -> str:
    """市领导 周平（常务副市长，包联）."""
    detail = "，".join(x for x in (leader.title, leader.get_kind_display()) if x)
    return f"{person(leader.user)}（{detail}）"


def leader_candidates() -> QuerySet[User]:
    """Users who may be named: those holding the leader role at an active unit."""
    ids = Membership.objects.filter(role=Role.LEADER, unit__is_active=True).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("first_name", "username")


def problem_leaders(problem: Problem) -> list[ProblemLeader]:
    return list(problem.leaders.select_related("user").order_by("kind", "id"))


def leaders_by_problem(problem_ids: Iterable[int]) -> dict[int, list[ProblemLeader]]:
    out: dict[int, list[ProblemLeader]] = defaultdict(list)
    for leader in (
        ProblemLeader.objects.filter(problem_id__in=list(problem_ids)).select_related("user").order_by("kind", "id")
    ):
        out[leader.problem_id].append(leader)
    return out


def leaders_line(problems: Sequence[Problem]) -> str:
    """The line a letter prints about the problems it concerns, or "" when none has a leader:
    "上述问题的包联领导：（五）包联 市领导 周平（常务副市长），分包 市领导 韩雪（副市长）；（十二）…。"."""
    unique = list({p.pk: p for p in problems}.values())
    by_problem = leaders_by_problem(p.pk for p in unique)
    parts = []
    for p in sorted(unique, key=lambda p: (p.plan_id, p.index)):
        named = [
            f"{kind_label} " + "、".join(f"{person(x.user)}（{x.title}）" if x.title else person(x.user) for x in group)
            for kind, kind_label in ProblemLeader.Kind.choices
            if (group := [x for x in by_problem.get(p.pk, []) if x.kind == kind])
        ]
        if named:
            parts.append(p.label + "，".join(named))
    return f"上述问题的包联领导：{'；'.join(parts)}。" if parts else ""


# --- writes ----------------------------------------------------------------------------------------


def _snap(leader: ProblemLeader) -> dict[str, Any]:
    return {"leader": person(leader.user), "kind": leader.get_kind_display(), "title": leader.title}


@transaction.atomic
def problem_leader_add(
    *, actor: Any, problem: Problem, user: User, kind: str = ProblemLeader.Kind.LEAD, title: str = ""
) -> ProblemLeader:
    """Name a leader who 包联 (answers for the whole problem) or 分包 (a part of it)."""
    if not can_assign_leaders(actor):
        raise Forbidden("只有市整改办可以指定包联领导。")
    title = (title or "").strip()
    if kind not in ProblemLeader.Kind.values:
        raise DomainError("请选择包联方式：包联或分包。")
    if len(title) > 100:
        raise DomainError("职务不能超过100字。")
    if not is_leader(user):
        raise DomainError(f"{person(user)}不是领导岗位的用户：包联领导须是领导。")
    try:
        selectors.problem_get(viewer=user, problem_id=problem.pk)
    except (NotFound, Forbidden) as exc:
        raise DomainError(f"问题{problem.label}不在{person(user)}的辖区内，不能由其包联。") from exc
    if ProblemLeader.objects.filter(problem=problem, user=user).exists():
        raise DomainError(f"{person(user)}已是问题{problem.label}的包联领导。")
    try:
        with transaction.atomic():
            leader = ProblemLeader.objects.create(problem=problem, user=user, kind=kind, title=title)
    except IntegrityError as exc:  # someone named the same leader a moment earlier
        raise ConcurrentChange(f"{person(user)}已是问题{problem.label}的包联领导（刚被他人指定）。") from exc
    record(actor=actor, action="problem.leader_added", obj=leader, parent=problem, after=_snap(leader))
    return leader


@transaction.atomic
def problem_leader_remove(*, actor: Any, leader: ProblemLeader) -> None:
    if not can_assign_leaders(actor):
        raise Forbidden("只有市整改办可以调整包联领导。")
    before = _snap(leader)
    problem = leader.problem
    record(actor=actor, action="problem.leader_removed", obj=leader, parent=problem, before=before)
    deleted, _ = ProblemLeader.objects.filter(pk=leader.pk).delete()
    if not deleted:
        raise ConcurrentChange("该包联领导已被他人移除，请刷新页面。")


# --- a leader's own page ---------------------------------------------------------------------------


@dataclass
class LedProblem:
    problem: Problem
    kind: str  # 包联 / 分包
    title: str
    measures: int
    shares: int
    red: int
    yellow: int
    overdue: int


def led_problems(*, viewer: Any) -> list[LedProblem]:
    """The problems the viewer 包联 / 分包 that lie in their scope, in plan order, with the stored
    roll-ups (status, progress, warning) and counts of the shares behind them: red and yellow
    shares, and shares past their own due date whose unit has not done its part."""
    mine = {
        leader.problem_id: leader for leader in ProblemLeader.objects.filter(user_id=viewer.pk).order_by("kind", "id")
    }
    problems = list(selectors.problem_list(viewer=viewer).filter(pk__in=list(mine)))
    ids = [p.pk for p in problems]
    figures: dict[int, dict[str, int]] = defaultdict(dict)
    today = clock.today()
    share_rows = (
        Assignment.objects.filter(problem_id__in=ids, measure__isnull=False, unit__isnull=False)
        .order_by()
        .values("problem_id")
        .annotate(
            shares=Count("pk"),
            red=Count("pk", filter=Q(warning_level=WarningLevel.RED)),
            yellow=Count("pk", filter=Q(warning_level=WarningLevel.YELLOW)),
            overdue=Count("pk", filter=selectors.share_overdue_condition(today)),
        )
    )
    for row in share_rows:
        figures[row["problem_id"]].update({k: row[k] for k in ("shares", "red", "yellow", "overdue")})
    measures = Measure.objects.filter(problem_id__in=ids).order_by().values("problem_id").annotate(n=Count("pk"))
    for row in measures:
        figures[row["problem_id"]]["measures"] = row["n"]
    return [
        LedProblem(
            problem=p,
            kind=mine[p.pk].get_kind_display(),
            title=mine[p.pk].title,
            measures=figures[p.pk].get("measures", 0),
            shares=figures[p.pk].get("shares", 0),
            red=figures[p.pk].get("red", 0),
            yellow=figures[p.pk].get("yellow", 0),
            overdue=figures[p.pk].get("overdue", 0),
        )
        for p in problems
    ]


def led_summary(rows: Sequence[LedProblem]) -> dict[str, int]:
    return {
        "problems": len(rows),
        "closed": sum(1 for r in rows if r.problem.status in (ItemStatus.CLOSED, ItemStatus.ONGOING)),
        "red": sum(1 for r in rows if r.problem.warning_level == WarningLevel.RED),
        "overdue": sum(r.overdue for r in rows),
    }
