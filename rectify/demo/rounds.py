"""The demo's 督察轮次: the seed plan answers the provincial inspection its first paragraph names —
"2021年11月30日至12月28日，省第三生态环境保护督察组对我市开展了生态环境保护督察，2022年2月25日向我市
反馈了督察意见" — so the history puts it in that round, through the real services (audited as the
city office). The text names no round number, so none is set."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rectify.plans import rounds
from rectify.plans.models import InspectionRound, Plan

SEED_ROUND = rounds.RoundInput(
    name="省生态环境保护督察（省第三生态环境保护督察组，2021年）",
    level=InspectionRound.Level.PROVINCIAL,
    kind=InspectionRound.Kind.ROUTINE,
    started_on=dt.date(2021, 11, 30),
    ended_on=dt.date(2021, 12, 28),
    feedback_on=dt.date(2022, 2, 25),
)


def seed_plan_round(*, plan: Plan, actor: Any) -> InspectionRound:
    """Idempotent: the round is created once, and the plan put in it unless it already has one."""
    r = InspectionRound.objects.filter(name=SEED_ROUND.name).first()
    if r is None:
        r = rounds.round_create(actor=actor, data=SEED_ROUND)
    if plan.round_id is None:
        rounds.plan_set_round(actor=actor, plan=plan, round=r)
    return r
