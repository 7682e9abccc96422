"""督察轮次 and the same finding across rounds (writes; the reads are in round_selectors.py).

The city office creates and edits rounds, puts a plan in its round, and links a problem to the
same problem of an earlier round. A link made when the earlier problem had been closed (销号) is
a 反弹: the link says so (`ProblemLink.is_relapse`) and both problems carry `Problem.recurred`,
which the 月通报 (documents.figures) and the dashboards count. Every write is audited.

"Later" (docs/rounds.md): a round's reference date is its 反馈日期, else its 结束日期, else its
进驻日期 — the day its findings were known at the latest. Round B is later than round A when both
have a reference date and B's is after A's; when either has no date at all, when both are of the
same level (中央 / 省级) and both have a round number, B is later when its number is higher.
Otherwise the order is unknown and a link is refused with a message saying which dates to fill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.core.transitions import versioned_update

from .models import InspectionRound, ItemStatus, Plan, Problem, ProblemLink
from .policies import can_manage_rounds

MANAGE_MESSAGE = "只有市整改办可以管理督察轮次。"
LINK_MESSAGE = "只有市整改办可以关联前后轮次的同一问题。"
NAME_MAX = 200
NOTE_MAX = 300


# --- input -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundInput:
    """A round as the city office typed it (pages and API parse the same way: `round_input`)."""

    name: str
    level: str
    kind: str = InspectionRound.Kind.ROUTINE
    round_no: int | None = None
    topic: str = ""
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    feedback_on: dt.date | None = None


def _date(data: Mapping[str, Any], key: str, label: str) -> dt.date | None:
    value = data.get(key)
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"{label}格式应为 YYYY-MM-DD（如 2022-02-25）。") from None


def _round_no(value: Any) -> int | None:
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 99:
        raise DomainError("轮次应为 1 至 99 之间的整数（如第二轮填 2），不清楚可留空。")
    return int(text)


def round_input(data: Mapping[str, Any]) -> RoundInput:
    """Parse a form or JSON body; bad values become clear Chinese messages, never a 500."""
    return RoundInput(
        name=str(data.get("name") or "").strip(),
        level=str(data.get("level") or "").strip(),
        kind=str(data.get("kind") or InspectionRound.Kind.ROUTINE).strip(),
        round_no=_round_no(data.get("round_no")),
        topic=str(data.get("topic") or "").strip(),
        started_on=_date(data, "started_on", "进驻日期"),
        ended_on=_date(data, "ended_on", "结束日期"),
        feedback_on=_date(data, "feedback_on", "反馈日期"),
    )


def round_input_of(r: InspectionRound) -> RoundInput:
    return RoundInput(
        name=r.name,
        level=r.level,
        kind=r.kind,
        round_no=r.round_no,
        topic=r.topic,
        started_on=r.started_on,
        ended_on=r.ended_on,
        feedback_on=r.feedback_on,
    )


def round_input_merge(r: InspectionRound, data: Mapping[str, Any]) -> RoundInput:
    """A partial update (API PATCH): the fields given replace the round's, the others stay."""
    current = asdict(round_input_of(r))
    return round_input({**current, **{k: v for k, v in data.items() if k in current}})


def _validate(data: RoundInput, *, exclude_pk: int | None = None) -> None:
    if not data.name:
        raise DomainError("请填写督察轮次名称（如“第二轮中央生态环境保护督察”）。")
    if len(data.name) > NAME_MAX:
        raise DomainError(f"督察轮次名称不能超过{NAME_MAX}字。")
    if data.level not in InspectionRound.Level.values:
        raise DomainError("请选择层级：中央或省级。")
    if data.kind not in InspectionRound.Kind.values:
        raise DomainError("请选择督察类型：例行督察、回头看或专项督察。")
    if data.kind == InspectionRound.Kind.SPECIAL and not data.topic:
        raise DomainError("专项督察请填写督察主题（如“黄河流域生态保护”）。")
    if len(data.topic) > NAME_MAX:
        raise DomainError(f"专项督察主题不能超过{NAME_MAX}字。")
    s, e, f = data.started_on, data.ended_on, data.feedback_on
    if s and e and e < s:
        raise DomainError("结束日期不能早于进驻日期。")
    if s and f and f < s:
        raise DomainError("反馈日期不能早于进驻日期。")
    if e and f and f < e:
        raise DomainError("反馈日期不能早于结束日期。")
    same = InspectionRound.objects.filter(name=data.name)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise DomainError(f"已有同名的督察轮次“{data.name}”。")


# --- order -------------------------------------------------------------------------------------


def reference_date(r: InspectionRound | RoundInput) -> dt.date | None:
    """The day the round's findings were known at the latest: 反馈 > 结束 > 进驻."""
    return r.feedback_on or r.ended_on or r.started_on


def round_is_later(later: InspectionRound | RoundInput, earlier: InspectionRound | RoundInput) -> bool | None:
    """True when `later` comes after `earlier`, False when it does not, None when unknown."""
    a, b = reference_date(earlier), reference_date(later)
    if a is not None and b is not None:
        return b > a
    if earlier.level == later.level and earlier.round_no and later.round_no:
        return later.round_no > earlier.round_no
    return None


def round_sort_key(r: InspectionRound) -> tuple[int, dt.date, int, int]:
    """Oldest first: rounds with a date by that date, then the undated ones by round number."""
    day = reference_date(r)
    return (0 if day else 1, day or dt.date.max, r.round_no or 0, r.pk or 0)


def check_order(earlier: InspectionRound | None, later: InspectionRound | None) -> None:
    """Refuse (with the reason in Chinese) unless `later` is a later round than `earlier`."""
    if earlier is None or later is None:
        raise DomainError("两个问题所在的整改方案都要先归入督察轮次，才能判断前后轮次。")
    if earlier.pk == later.pk:
        raise DomainError(f"两个问题同属“{earlier.name}”：只能关联前后两个督察轮次中的同一问题。")
    verdict = round_is_later(later, earlier)
    if verdict is None:
        raise DomainError(
            f"无法判断“{earlier.name}”与“{later.name}”的先后：请为两个督察轮次填写反馈日期（或结束、进驻日期），"
            "或同一层级的轮次序号。"
        )
    if not verdict:
        raise DomainError(f"“{later.name}”并不晚于“{earlier.name}”：只能关联到更早督察轮次中的问题。")


def _links_touching(plan_ids: Iterable[int]) -> list[ProblemLink]:
    ids = list(plan_ids)
    return list(
        ProblemLink.objects.filter(Q(earlier__plan_id__in=ids) | Q(later__plan_id__in=ids)).select_related(
            "earlier__plan__round", "later__plan__round"
        )
    )


def _check_links_still_ordered(links: list[ProblemLink], round_of_plan: Any) -> None:
    """After a change, every existing link must still go from an earlier round to a later one."""
    for link in links:
        earlier, later = round_of_plan(link.earlier.plan), round_of_plan(link.later.plan)
        try:
            check_order(earlier, later)
        except DomainError as exc:
            raise DomainError(
                f"这样修改会使已关联的问题（{link.earlier.number}）→（{link.later.number}）前后矛盾：{exc.message}"
                "如确需修改，请先解除该关联。"
            ) from None


# --- rounds ------------------------------------------------------------------------------------


def _snapshot(r: InspectionRound | RoundInput) -> dict[str, Any]:
    data = asdict(round_input_of(r)) if isinstance(r, InspectionRound) else asdict(r)
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}


@transaction.atomic
def round_create(*, actor: Any, data: RoundInput) -> InspectionRound:
    if not can_manage_rounds(actor):
        raise Forbidden(MANAGE_MESSAGE)
    _validate(data)
    r = InspectionRound.objects.create(**asdict(data))
    record(actor=actor, action="round.created", obj=r, after=_snapshot(r))
    return r


@transaction.atomic
def round_update(*, actor: Any, round: InspectionRound, data: RoundInput, version: int) -> InspectionRound:
    """Edit a round; refused when its new dates or number would turn an existing link around."""
    if not can_manage_rounds(actor):
        raise Forbidden(MANAGE_MESSAGE)
    _validate(data, exclude_pk=round.pk)
    before = _snapshot(round)
    changed = InspectionRound(pk=round.pk, **asdict(data))
    plan_ids = list(round.plans.values_list("pk", flat=True))

    def round_of_plan(plan: Plan) -> Any:
        return changed if plan.round_id == round.pk else plan.round

    _check_links_still_ordered(_links_touching(plan_ids), round_of_plan)
    versioned_update(round, version=version, values=asdict(data), message="该督察轮次已被他人修改，请刷新页面后重试。")
    after = _snapshot(round)
    if after != before:
        record(actor=actor, action="round.updated", obj=round, before=before, after=after)
    return round


@transaction.atomic
def plan_set_round(*, actor: Any, plan: Plan, round: InspectionRound | None) -> Plan:
    """Put a plan in a round (or take it out: `round` None)."""
    if not can_manage_rounds(actor):
        raise Forbidden(MANAGE_MESSAGE)
    old = plan.round
    if (old.pk if old else None) == (round.pk if round else None):
        return plan

    def round_of_plan(p: Plan) -> Any:
        return round if p.pk == plan.pk else p.round

    _check_links_still_ordered(_links_touching([plan.pk]), round_of_plan)
    Plan.objects.filter(pk=plan.pk).update(round=round, updated_at=clock.now())
    plan.round = round
    record(
        actor=actor,
        action="plan.round_set",
        obj=plan,
        parent=round or old,
        before={"round": old.name if old else None},
        after={"round": round.name if round else None},
    )
    return plan


# --- links -------------------------------------------------------------------------------------


def was_closed(problem: Problem) -> bool:
    """Closed (销号) at the moment of asking: status closed, or a 销号 date (长期坚持 too)."""
    return problem.status in (ItemStatus.CLOSED, ItemStatus.ONGOING) or problem.closed_on is not None


def problems_recompute_recurred(problem_ids: Iterable[int]) -> None:
    """`recurred` is true exactly while a relapse link touches the problem, at either end."""
    relapse = ProblemLink.objects.filter(is_relapse=True).filter(Q(earlier=OuterRef("pk")) | Q(later=OuterRef("pk")))
    Problem.objects.filter(pk__in=list(problem_ids)).update(recurred=Exists(relapse))


def _link_snapshot(link: ProblemLink) -> dict[str, Any]:
    return {
        "earlier": f"（{link.earlier.number}）{link.earlier.plan.round.name if link.earlier.plan.round else ''}",
        "later": f"（{link.later.number}）{link.later.plan.round.name if link.later.plan.round else ''}",
        "note": link.note,
        "relapse": link.is_relapse,
    }


@transaction.atomic
def problem_link(*, actor: Any, earlier: Problem, later: Problem, note: str = "") -> ProblemLink:
    """`later` (a problem of a later round) is the same finding as `earlier`. When `earlier` had
    been closed, it is a 反弹: the link and both problems are marked."""
    if not can_manage_rounds(actor):
        raise Forbidden(LINK_MESSAGE)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(f"说明不能超过{NOTE_MAX}字。")
    if earlier.pk == later.pk:
        raise DomainError("不能把问题关联到它自己。")
    earlier = Problem.objects.select_related("plan__round").get(pk=earlier.pk)
    later = Problem.objects.select_related("plan__round").get(pk=later.pk)
    check_order(earlier.plan.round, later.plan.round)
    if ProblemLink.objects.filter(Q(earlier=earlier, later=later) | Q(earlier=later, later=earlier)).exists():
        raise DomainError(f"问题（{later.number}）与前一轮的问题（{earlier.number}）已经关联，无需重复关联。")
    relapse = was_closed(earlier)
    try:
        with transaction.atomic():
            link = ProblemLink.objects.create(
                earlier=earlier,
                later=later,
                note=note,
                is_relapse=relapse,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:
        raise DomainError("这两个问题刚刚已被他人关联，请刷新页面。") from None
    if relapse:
        problems_recompute_recurred([earlier.pk, later.pk])
    after = _link_snapshot(link)
    # One event on each problem's own timeline.
    for problem in (later, earlier):
        record(actor=actor, action="problem.linked", obj=problem, after={**after, "link": link.pk})
    return link


@transaction.atomic
def problem_unlink(*, actor: Any, link: ProblemLink) -> None:
    """Remove a link; both problems' 反弹 mark follows the links that remain."""
    if not can_manage_rounds(actor):
        raise Forbidden(LINK_MESSAGE)
    link = ProblemLink.objects.select_related("earlier__plan__round", "later__plan__round").get(pk=link.pk)
    before = _link_snapshot(link)
    earlier, later = link.earlier, link.later
    deleted, _ = ProblemLink.objects.filter(pk=link.pk).delete()
    if not deleted:
        raise DomainError("该关联已被他人解除，请刷新页面。")
    problems_recompute_recurred([earlier.pk, later.pk])
    for problem in (later, earlier):
        record(actor=actor, action="problem.unlinked", obj=problem, before={**before, "link": link.pk})
