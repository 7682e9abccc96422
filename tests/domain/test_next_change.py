"""rules.next_change against rules.assess itself: over a generated grid of items (every deadline
kind, status, progress on and around the 序时进度 edge, due dates before and after the day,
milestones, compound parts, recurring items with reports, annual items across year ends and
Feb 29) and many days, the outcome as the scan stores it (level, reasons as assessing.reasons_json
keeps them, and each reason's key: the warning's identity) is the same on every day from `today`
up to the day before next_change; and on next_change itself something has changed or the date is
said to be conservative (no assertion then: earlier is allowed). A day late for any rule makes a
walk cross a change and fails."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from rectify.supervision import rules

WALK = 400  # days walked at most after each `today`
TH = rules.Thresholds()
TH_TIGHT = rules.Thresholds(due_soon_days=3, lag_tolerance=0.0, recheck_days=5)
KINDS = [
    "date",
    "range",
    "external",
    "scheduled",
    "immediate_ongoing",
    "immediate",
    "ongoing",
    "annual",
    "recurring",
    "compound",
    "completed",
    "unknown",
    "something_else",
]
STATUSES = ["in_progress", "in_progress", "in_progress", "ongoing", "completed", "closed"]
RECURRENCES = ["monthly", "quarterly", "half_yearly", "yearly", "", "weekly"]
TODAYS = [
    dt.date(2022, 1, 1),
    dt.date(2022, 12, 31),
    dt.date(2023, 2, 28),
    dt.date(2023, 9, 4),
    dt.date(2023, 12, 17),
    dt.date(2024, 2, 28),
    dt.date(2024, 2, 29),
    dt.date(2024, 12, 31),
]


def stored(a: rules.Assessment) -> tuple[Any, ...]:
    """What the scan keeps of an assessment (assessing.reasons_json) and the warnings' keys."""
    return (
        str(a.level),
        tuple(
            (str(r.level), r.code, r.key, r.message if r.args is None else tuple(sorted(r.args.items())))
            for r in a.reasons
        ),
    )


def _day(rng: random.Random, around: dt.date, span: int = 500) -> dt.date:
    return around + dt.timedelta(days=rng.randint(-span, span))


def _progress(rng: random.Random, start: dt.date, due: dt.date, today: dt.date) -> float | None:
    """Often right on the lag edge: 序时进度 at some day near today minus the tolerance, ± a little."""
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.6 and due > start:
        near = today + dt.timedelta(days=rng.randint(-5, 60))
        edge = rules.schedule_share(start, due, near) - TH.lag_tolerance
        return round(edge + rng.choice([0.0, 0.05, -0.05, 0.1, -0.1, 1.0]), 2)
    return float(rng.choice([0, 5, 10, 33.3, 50, 89.9, 90, 100, 120, -5]))


def _part(rng: random.Random, today: dt.date, plan_start: dt.date) -> dict[str, Any]:
    kind = rng.choice(["date", "range", "external", "annual", "recurring", "immediate_ongoing", "completed", "unknown"])
    part: dict[str, Any] = {
        "scope": f"分项{rng.randint(1, 9)}",
        "raw": "时限",
        "kind": kind,
        "due": None,
        "start": None,
    }
    if kind in ("date", "range", "external") and rng.random() < 0.9:
        due = _day(rng, today, 300)
        part["due"] = due.isoformat()
        if kind == "range" and rng.random() < 0.8:
            part["start"] = max(plan_start, due - dt.timedelta(days=rng.randint(0, 400))).isoformat()
    if kind == "recurring":
        part["recurrence"] = rng.choice(RECURRENCES[:4])
        if rng.random() < 0.5:
            part["start"] = _day(rng, plan_start, 60).isoformat()
    return part


def item(rng: random.Random, today: dt.date) -> rules.ItemInput:
    kind = rng.choice(KINDS)
    plan_start = _day(rng, today, 700)
    due = None if rng.random() < 0.1 else _day(rng, today, 200)
    start = None
    if kind == "range" and due is not None and rng.random() < 0.8:
        start = due - dt.timedelta(days=rng.randint(0, 500))
    if kind == "recurring" and rng.random() < 0.5:
        start = _day(rng, plan_start, 90)
    horizon = None if rng.random() < 0.1 else _day(rng, today, 300)
    origin = start or plan_start
    progress = _progress(rng, origin, horizon if kind == "scheduled" and horizon else (due or today), today)
    last = None if rng.random() < 0.3 else _day(rng, today, 80)
    milestones = [
        rules.MilestoneInput(due=_day(rng, today, 60), raw=f"节点{i}", reached=rng.random() < 0.3)
        for i in range(rng.choice([0, 0, 1, 2, 3]))
    ]
    if milestones and rng.random() < 0.3:  # two nodes on one day share one reason
        milestones.append(rules.MilestoneInput(due=milestones[0].due, raw="同日节点", reached=False))
    reports = tuple(sorted(_day(rng, today, 120) for _ in range(rng.choice([0, 1, 3, 8]))))
    parts = [_part(rng, today, plan_start) for _ in range(rng.randint(1, 3))] if kind == "compound" else []
    if kind == "compound" and rng.random() < 0.05:
        parts = []
    return rules.ItemInput(
        kind=kind,
        due=due if kind not in ("recurring",) else None,
        start=start,
        status=rng.choice(STATUSES),
        plan_start=plan_start,
        progress=progress,
        last_report=last,
        parts=parts,
        milestones=milestones,
        plan_horizon=horizon,
        recurrence=rng.choice(RECURRENCES) if kind in ("recurring", "compound") else "",
        reports=reports,
    )


def check(it: rules.ItemInput, today: dt.date, th: rules.Thresholds) -> dt.date | None:
    """Walks the days before next_change: the stored outcome never moves. Returns next_change."""
    nxt = rules.next_change(it, today, th)
    assert nxt is None or nxt > today, (it, today, nxt)
    base = stored(rules.assess(it, today, th))
    end = today + dt.timedelta(days=WALK) if nxt is None else min(nxt, today + dt.timedelta(days=WALK))
    day = today + dt.timedelta(days=1)
    while day < end:
        assert stored(rules.assess(it, day, th)) == base, (it, today, day, nxt)
        day += dt.timedelta(days=1)
    return nxt


def test_the_stored_outcome_holds_until_next_change_over_a_generated_grid() -> None:
    rng = random.Random(20231216)
    exact: Counter[str] = Counter()
    for n in range(2400):
        today = TODAYS[n % len(TODAYS)] if n % 3 else _day(rng, dt.date(2023, 6, 1), 700)
        th = TH_TIGHT if n % 5 == 0 else TH
        it = item(rng, today)
        nxt = check(it, today, th)
        if nxt is not None and stored(rules.assess(it, nxt, th)) != stored(rules.assess(it, today, th)):
            exact[it.kind if it.status == "in_progress" else it.status] += 1
    # The grid does reach each rule's change days exactly (not only conservatively earlier ones).
    for kind in ("date", "range", "external", "scheduled", "immediate", "annual", "recurring", "compound", "ongoing"):
        assert exact[kind] > 20, exact


def test_each_rule_changes_on_the_day_it_says() -> None:
    """Hand-picked edges: the first day overdue, due soon, behind 序时进度, re-check missed, a new
    year, a new period, a milestone; and never for what never changes."""
    plan = dt.date(2023, 1, 1)
    dated = rules.ItemInput(kind="date", due=dt.date(2023, 12, 31), start=None, status="in_progress", plan_start=plan)
    assert rules.next_change(dated, dt.date(2023, 12, 20), TH) == dt.date(2024, 1, 1)
    assert rules.next_change(dated, dt.date(2023, 12, 10), TH) == dt.date(2023, 12, 16)
    assert rules.next_change(dated, dt.date(2024, 1, 1), TH) is None
    # 60 % reported over 2023: behind by more than 10 points once 序时进度 passes 70 %.
    behind = rules.ItemInput(
        kind="date", due=dt.date(2023, 12, 31), start=None, status="in_progress", plan_start=plan, progress=60
    )
    day = rules.next_change(behind, dt.date(2023, 3, 1), TH)
    assert day is not None and rules.schedule_share(plan, dt.date(2023, 12, 31), day) > 70
    assert rules.schedule_share(plan, dt.date(2023, 12, 31), day - dt.timedelta(days=1)) <= 70
    recheck = rules.ItemInput(
        kind="immediate", due=None, start=None, status="in_progress", plan_start=plan, last_report=dt.date(2023, 5, 1)
    )
    assert rules.next_change(recheck, dt.date(2023, 5, 10), TH) == dt.date(2023, 6, 2)
    annual = rules.ItemInput(kind="annual", due=None, start=None, status="in_progress", plan_start=plan)
    assert rules.next_change(annual, dt.date(2024, 12, 31), TH) == dt.date(2025, 1, 1)
    quarterly = rules.ItemInput(
        kind="recurring", due=None, start=None, status="in_progress", plan_start=plan, recurrence="quarterly"
    )
    assert rules.next_change(quarterly, dt.date(2023, 8, 1), TH) == dt.date(2023, 9, 15)
    assert rules.next_change(quarterly, dt.date(2023, 9, 20), TH) == dt.date(2023, 10, 1)
    # Before the plan starts: a 4-day head period (1–4 March) begins within its due-soon window.
    head = rules.ItemInput(
        kind="recurring",
        due=None,
        start=dt.date(2023, 3, 5),
        status="in_progress",
        plan_start=dt.date(2023, 3, 1),
        recurrence="monthly",
    )
    assert check(head, dt.date(2023, 2, 20), TH) == dt.date(2023, 3, 1)
    node = rules.MilestoneInput(due=dt.date(2023, 6, 30), raw="节点", reached=False)
    with_node = rules.ItemInput(
        kind="unknown", due=None, start=None, status="in_progress", plan_start=plan, milestones=[node]
    )
    assert rules.next_change(with_node, dt.date(2023, 6, 1), TH) == dt.date(2023, 6, 15)
    assert rules.next_change(with_node, dt.date(2023, 6, 30), TH) == dt.date(2023, 7, 1)
    for status in ("closed", "completed"):
        assert (
            rules.next_change(
                rules.ItemInput(kind="date", due=dt.date(2023, 6, 1), start=None, status=status, plan_start=plan),
                dt.date(2023, 1, 1),
                TH,
            )
            is None
        )
