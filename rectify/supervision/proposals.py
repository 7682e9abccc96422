"""Proposals from the warning history (系统建议): which unit should get a 提醒函 next, and which
open notice should climb the ladder — each unit judged on its own lead shares — and the
coordinator's confirmation, which only ever creates a draft."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from rectify.core import clock
from rectify.core.formats import format_cn_date
from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import Assignment, Measure, WarningLevel

from .models import LADDER, NoticeKind, NoticeStatus, SupervisionNotice, Warning
from .notices import NoticeInput, next_rung, notice_draft, notice_escalate


@dataclass(frozen=True)
class Proposal:
    kind: str
    unit: OrgUnit
    measures: tuple[Measure, ...]
    reason: str
    notice: SupervisionNotice | None = None  # the notice to escalate from
    # The unit's own shares of `measures`, in the same order: what the proposal is about.
    shares: tuple[Assignment, ...] = ()

    @property
    def kind_label(self) -> str:
        return NoticeKind(self.kind).label


def red_lead_shares(scope: Any) -> dict[tuple[int, int], tuple[Assignment, dt.date]]:
    """(unit, measure) → the unit's own lead share that is red now, and since when: the earliest
    raise date of its open red warnings (each has held since it was raised). A share whose unit
    reported its part done (100 %) is never proposed: it is asked to apply for close-out instead."""
    open_red = Warning.objects.filter(assignment=OuterRef("pk"), level=WarningLevel.RED, resolved_on__isnull=True)
    qs = (
        # Only shares (a unit on a measure) are assessed, so an open warning implies one.
        Assignment.objects.filter(role=Assignment.RoleKind.LEAD, warning_level=WarningLevel.RED)
        .exclude(progress__gte=100)
        .annotate(red_since=Subquery(open_red.order_by("raised_on").values("raised_on")[:1]))
        .filter(red_since__isnull=False)
        .select_related("unit", "measure__problem")
        .order_by("unit__path", "measure__problem__plan_id", "measure__problem__index", "measure__seq")
    )
    if not scope.everything:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    out: dict[tuple[int, int], tuple[Assignment, dt.date]] = {}
    for a in qs:
        assert a.unit_id is not None and a.measure_id is not None
        out.setdefault((a.unit_id, a.measure_id), (a, a.red_since))  # type: ignore[attr-defined]
    return out


def proposals(*, viewer: Any, today: dt.date | None = None) -> list[Proposal]:
    """What the ladder says should happen next, for the coordinator to confirm. Each unit is
    judged on its own lead shares (support shares never trigger a proposal), never on a measure's
    roll-up of every unit:

    - a unit whose own lead shares (not reported 100 %) have been red for RECTIFY_PROPOSE_REMINDER_DAYS, with no
      ladder notice about (that unit, that measure) → 提醒函;
    - an open notice whose unit's own shares of its measures are still red
      RECTIFY_ESCALATE_AFTER_DAYS after it was issued → the next rung.
    """
    today = today or clock.today()
    scope = viewer_scope(viewer)
    if Role.COORDINATOR not in scope.region_roles:
        return []
    first_after = dt.timedelta(days=settings.RECTIFY_PROPOSE_REMINDER_DAYS)
    escalate_after = dt.timedelta(days=settings.RECTIFY_ESCALATE_AFTER_DAYS)
    red = red_lead_shares(scope)
    if not red:
        return []
    out: list[Proposal] = []
    # Escalations first: open ladder notices.
    covered: set[tuple[int, int]] = set()
    open_notices = (
        SupervisionNotice.objects.filter(status__in=[NoticeStatus.ISSUED, NoticeStatus.REPLIED], kind__in=LADDER)
        .exclude(escalations__status=NoticeStatus.DRAFT)
        .select_related("unit")
        .prefetch_related("measures__problem")
        .order_by("issued_on", "pk")
    )
    if not scope.everything:
        open_notices = open_notices.filter(unit_id__in=scope.unit_ids)
    for notice in open_notices:
        measures = list(notice.measures.all())
        covered.update((notice.unit_id, m.pk) for m in measures)
        still = [m for m in measures if (notice.unit_id, m.pk) in red]
        if not still or notice.issued_on is None or today - notice.issued_on < escalate_after:
            continue
        kind = next_rung(notice)
        if kind is None:
            continue
        days = (today - notice.issued_on).days
        out.append(
            Proposal(
                kind=kind,
                unit=notice.unit,
                measures=tuple(still),
                reason=f"{notice.get_kind_display()}（{notice.number}）印发已{days}天，"
                f"该单位{len(still)}项措施的本单位分工仍为红色预警，建议升级为{NoticeKind(kind).label}。",
                notice=notice,
                shares=tuple(red[(notice.unit_id, m.pk)][0] for m in still),
            )
        )
    # New 提醒函: the unit's own red lead shares that no ladder notice (or draft) names yet.
    handled = set(
        SupervisionNotice.measures.through.objects.filter(supervisionnotice__kind__in=LADDER)
        .exclude(supervisionnotice__status=NoticeStatus.CANCELLED)
        .values_list("supervisionnotice__unit_id", "measure_id")
    )
    due: dict[int, list[tuple[Assignment, dt.date]]] = defaultdict(list)
    for key, (share, since) in red.items():
        if key in covered or key in handled or today - since < first_after:
            continue
        due[key[0]].append((share, since))
    for items in due.values():
        unit = items[0][0].unit
        assert unit is not None
        oldest = min(since for _, since in items)
        out.append(
            Proposal(
                kind=NoticeKind.REMINDER,
                unit=unit,
                measures=tuple(share.measure for share, _ in items if share.measure is not None),
                reason=f"该单位牵头的{len(items)}项措施（本单位分工）自{format_cn_date(oldest)}起为红色预警，"
                "尚未发提醒函。",
                shares=tuple(share for share, _ in items),
            )
        )
    return out


@transaction.atomic
def proposal_confirm(
    *,
    actor: Any,
    kind: str,
    unit: OrgUnit,
    measures: Sequence[Measure],
    reason: str,
    notice: SupervisionNotice | None = None,
) -> SupervisionNotice:
    """The coordinator accepts a proposal: a draft (not yet a sent document)."""
    if notice is not None:
        return notice_escalate(actor=actor, notice=notice, proposal=reason)
    return notice_draft(actor=actor, data=NoticeInput(kind=kind, unit=unit, measures=measures), proposal=reason)
