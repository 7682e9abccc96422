"""Scoped reads of 督察轮次 and of the links between the same problem in different rounds.

Rounds themselves are visible to every business user; everything counted or listed under a
round is scoped like the ledger: only the plans and problems the viewer may see, and only the
links whose two problems the viewer may both see (a link to a problem outside the scope would
reveal it). The problem's own `recurred` mark (反弹) is shown wherever the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from rectify.core.errors import Forbidden, NotFound

from . import selectors
from .models import InspectionRound, ItemStatus, Plan, Problem, ProblemLink
from .policies import can_view_rounds
from .rounds import round_is_later, round_sort_key

# 已销号 on the round pages: closed, or closed while kept up (已完成、长期坚持); both carry a 销号 date.
CLOSED_STATUSES = [ItemStatus.CLOSED, ItemStatus.ONGOING]


def _check(viewer: Any) -> None:
    if not can_view_rounds(viewer):
        raise Forbidden("您的账号没有业务数据的查看权限。")


@dataclass
class RoundCounts:
    plans: int = 0
    problems: int = 0
    closed: int = 0
    recurred: int = 0


@dataclass
class RoundRow:
    round: InspectionRound
    counts: RoundCounts = field(default_factory=RoundCounts)


def visible_problems(*, viewer: Any) -> QuerySet[Problem]:
    return selectors.problem_list(viewer=viewer)


def round_counts(*, viewer: Any, round_ids: list[int] | None = None) -> dict[int, RoundCounts]:
    """Per round: the viewer's plans and problems in it, how many are closed and how many 反弹.
    Two queries whatever the number of rounds."""
    problems = visible_problems(viewer=viewer).filter(plan__round__isnull=False)
    plans = selectors.plan_ids(viewer=viewer).filter(round__isnull=False)
    if round_ids is not None:
        problems = problems.filter(plan__round_id__in=round_ids)
        plans = plans.filter(round_id__in=round_ids)
    out: dict[int, RoundCounts] = {}
    for row in (
        problems.order_by()
        .values("plan__round_id")
        .annotate(
            n=Count("pk"),
            closed=Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
            recurred=Count("pk", filter=Q(recurred=True)),
        )
    ):
        out[row["plan__round_id"]] = RoundCounts(problems=row["n"], closed=row["closed"], recurred=row["recurred"])
    for row in plans.order_by().values("round_id").annotate(n=Count("pk")):
        out.setdefault(row["round_id"], RoundCounts()).plans = row["n"]
    return out


def round_list(*, viewer: Any) -> list[RoundRow]:
    """Every round, newest first, with the viewer's counts."""
    _check(viewer)
    counts = round_counts(viewer=viewer)
    rounds = sorted(InspectionRound.objects.all(), key=round_sort_key, reverse=True)
    return [RoundRow(r, counts.get(r.pk, RoundCounts())) for r in rounds]


def round_choices() -> list[InspectionRound]:
    """Rounds for a select, newest first."""
    return sorted(InspectionRound.objects.all(), key=round_sort_key, reverse=True)


def round_get(*, viewer: Any, round_id: int) -> InspectionRound:
    _check(viewer)
    r = InspectionRound.objects.filter(pk=round_id).first()
    if r is None:
        raise NotFound()
    return r


def round_row(*, viewer: Any, round: InspectionRound) -> RoundRow:
    return RoundRow(round, round_counts(viewer=viewer, round_ids=[round.pk]).get(round.pk, RoundCounts()))


def round_plans(*, viewer: Any, round: InspectionRound) -> list[Plan]:
    """The viewer's plans in the round, each with `visible_problems` (the problems it may see)."""
    _check(viewer)
    visible = visible_problems(viewer=viewer).filter(plan__round=round)
    per_plan = dict(visible.order_by().values("plan_id").annotate(n=Count("pk")).values_list("plan_id", "n"))
    plans = list(selectors.plan_ids(viewer=viewer).filter(round=round).order_by("start_on", "pk"))
    for p in plans:
        p.visible_problems = per_plan.get(p.pk, 0)  # type: ignore[attr-defined]
    return plans


def round_problems(*, viewer: Any, round: InspectionRound) -> QuerySet[Problem]:
    _check(viewer)
    return visible_problems(viewer=viewer).filter(plan__round=round).order_by("plan__start_on", "plan_id", "index")


def plans_outside(*, round: InspectionRound) -> QuerySet[Plan]:
    """Plans the city office may add to `round` (every plan not in it yet)."""
    return Plan.objects.exclude(round=round).select_related("round").order_by("-created_at")


def _visible_links(viewer: Any) -> QuerySet[ProblemLink]:
    visible = visible_problems(viewer=viewer).order_by().values("pk")
    return (
        ProblemLink.objects.filter(earlier_id__in=visible, later_id__in=visible)
        .select_related("earlier__plan__round", "later__plan__round", "created_by")
        .order_by("-created_at", "-pk")
    )


def round_links(*, viewer: Any, round: InspectionRound) -> list[ProblemLink]:
    """Links with either problem in the round, both problems visible to the viewer."""
    _check(viewer)
    return list(_visible_links(viewer).filter(Q(earlier__plan__round=round) | Q(later__plan__round=round)))


@dataclass
class ProblemLinks:
    earlier: list[ProblemLink]  # links to the same problem in earlier rounds (this one is `later`)
    later: list[ProblemLink]  # links from later rounds (this one is `earlier`)

    @property
    def count(self) -> int:
        return len(self.earlier) + len(self.later)


def problem_links(*, viewer: Any, problem: Problem) -> ProblemLinks:
    """The problem's links both ways (the caller scoped `problem`); one query."""
    _check(viewer)
    links = list(_visible_links(viewer).filter(Q(earlier=problem) | Q(later=problem)))
    return ProblemLinks(
        earlier=[link for link in links if link.later_id == problem.pk],
        later=[link for link in links if link.earlier_id == problem.pk],
    )


def link_get(*, viewer: Any, link_id: int) -> ProblemLink:
    _check(viewer)
    link = _visible_links(viewer).filter(pk=link_id).first()
    if link is None:
        raise NotFound()
    return link


@dataclass(frozen=True)
class Candidate:
    """A problem the link form offers (a row, not a model: the form lists hundreds)."""

    pk: int
    number: str
    text: str
    closed: bool
    recurred: bool

    @property
    def label(self) -> str:
        state = "（已销号）" if self.closed else ""
        return f"（{self.number}）{self.text[:60]}{state}"


@dataclass
class CandidateRound:
    round: InspectionRound
    problems: list[Candidate]


def link_candidates(*, viewer: Any, problem: Problem) -> list[CandidateRound]:
    """For the link form: each round earlier than the problem's, newest first, with its problems
    the viewer may see that are not linked to this one yet. Two queries."""
    _check(viewer)
    here = problem.plan.round
    if here is None:
        return []
    earlier = [r for r in InspectionRound.objects.exclude(pk=here.pk) if round_is_later(here, r)]
    if not earlier:
        return []
    linked = ProblemLink.objects.filter(later=problem).values("earlier_id")
    rows = (
        visible_problems(viewer=viewer)
        .filter(plan__round__in=earlier)
        .exclude(pk__in=linked)
        .order_by("plan_id", "index")
        .values_list("pk", "number", "text", "status", "closed_on", "recurred", "plan__round_id")
    )
    by_round: dict[int, list[Candidate]] = {}
    for pk, number, text, status, closed_on, recurred, round_id in rows:
        closed = status in CLOSED_STATUSES or closed_on is not None
        by_round.setdefault(round_id, []).append(Candidate(pk, number, text, closed, recurred))
    return [CandidateRound(r, by_round.get(r.pk, [])) for r in sorted(earlier, key=round_sort_key, reverse=True)]
