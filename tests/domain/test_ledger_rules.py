"""The ledger export assesses each distinct rule input once (rectify/documents/ledger_rules.py).
Its key leaves out what the rules do not read; these tests hold the rules to those claims over a
grid of inputs, so a rule that starts reading more makes them fail (and the key must grow)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from typing import Any

import pytest

from rectify.documents.ledger_rules import DONE, LAST_REPORT_UNREAD, PROGRESS_UNREAD_WHEN_OVERDUE, ShareRules, recurs
from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules
from rectify.supervision.services import RULE_STATUS

TODAY = dt.date(2023, 9, 4)
PLAN_START = dt.date(2022, 6, 1)
KINDS = [
    "date",
    "range",
    "external",
    "scheduled",
    "immediate",
    "immediate_ongoing",
    "ongoing",
    "annual",
    "completed",
    "unknown",
]
DUES = [None, dt.date(2022, 12, 31), TODAY, TODAY + dt.timedelta(days=10), dt.date(2024, 6, 30)]
STARTS = [None, dt.date(2022, 9, 1)]
PROGRESS = [None, 0, 35, 100]
LAST_REPORTS = [None, dt.date(2022, 7, 1), dt.date(2023, 1, 5), TODAY - dt.timedelta(days=3)]
HORIZONS = [None, dt.date(2023, 6, 30), TODAY + dt.timedelta(days=5), dt.date(2024, 12, 31)]


def _items(kinds: list[str], status: str) -> list[rules.ItemInput]:
    return [
        rules.ItemInput(
            kind=kind,
            due=due,
            start=start,
            status=status,
            plan_start=PLAN_START,
            progress=progress,
            plan_horizon=horizon,
        )
        for kind, due, start, progress, horizon in itertools.product(kinds, DUES, STARTS, PROGRESS, HORIZONS)
    ]


@pytest.mark.parametrize("status", sorted(DONE))
def test_a_closed_or_completed_share_is_assessed_on_its_status_alone(status: str) -> None:
    milestone = rules.MilestoneInput(due=dt.date(2023, 1, 1), raw="一月底前", reached=False)
    parts = ({"kind": "date", "due": "2022-01-01", "scope": "一"},)
    answers = {
        rules.assess(replace(item, last_report=last, milestones=(milestone,), parts=parts), TODAY)
        for item in _items([*KINDS, "compound", "recurring"], status)
        for last in LAST_REPORTS
    }
    assert len(answers) == 1
    (answer,) = answers
    assert answer.level == rules.Level.GREEN and answer.reasons == ()


@pytest.mark.parametrize("kind", sorted(LAST_REPORT_UNREAD))
def test_the_dated_kinds_do_not_read_the_last_report_while_in_progress(kind: str) -> None:
    seen_levels = set()
    for item in _items([kind], "in_progress"):
        answers = {rules.assess(replace(item, last_report=last), TODAY) for last in LAST_REPORTS}
        assert len(answers) == 1, item
        seen_levels |= {a.level for a in answers}
    assert seen_levels == set(rules.Level)  # the grid reaches every level: the claim is not vacuous


@pytest.mark.parametrize("kind", sorted(PROGRESS_UNREAD_WHEN_OVERDUE))
def test_a_share_past_its_own_due_date_is_assessed_without_its_progress(kind: str) -> None:
    overdue = [item for item in _items([kind], "in_progress") if item.due is not None and item.due < TODAY]
    assert overdue
    for item in overdue:
        answers = {rules.assess(replace(item, progress=progress), TODAY) for progress in PROGRESS}
        assert len(answers) == 1, item
        assert next(iter(answers)).level == rules.Level.RED
    not_yet = [item for item in _items([kind], "in_progress") if item.due is not None and item.due >= TODAY]
    assert any(len({rules.assess(replace(i, progress=p), TODAY) for p in PROGRESS}) > 1 for i in not_yet)


@pytest.mark.parametrize("kind", ["immediate", "immediate_ongoing", "ongoing", "annual"])
def test_the_kinds_whose_key_keeps_the_last_report_do_read_it(kind: str) -> None:
    differs = [
        item
        for item in _items([kind], "in_progress")
        if len({rules.assess(replace(item, last_report=last), TODAY) for last in LAST_REPORTS}) > 1
    ]
    assert differs


def _key(share_rules: ShareRules, **changes: Any) -> tuple[Any, ...] | None:
    share: dict[str, Any] = {
        "status": "in_progress",
        "kind": "date",
        "recurring": False,
        "plan_id": 1,
        "due": dt.date(2023, 12, 31),
        "start": None,
        "progress": 40,
        "last_report": dt.date(2023, 8, 1),  # its local date
    }
    share.update(changes)
    return share_rules.key(**share)


@pytest.mark.django_db
def test_the_key_keeps_what_the_rules_read() -> None:
    share_rules = ShareRules(TODAY)
    share_rules.plan_starts = {1: PLAN_START, 2: dt.date(2022, 9, 1), 3: PLAN_START}
    share_rules.horizons = {1: dt.date(2024, 6, 30)}  # scheduled shares: judged on the plan's horizon
    later = dt.date(2023, 9, 1)
    assert _key(share_rules) == _key(share_rules, last_report=later)  # a dated kind: not read
    last_year = dt.date(2022, 12, 1)
    assert _key(share_rules, kind="annual") != _key(share_rules, kind="annual", last_report=last_year)
    assert _key(share_rules, kind="annual") == _key(share_rules, kind="annual", last_report=later)  # its year only
    assert _key(share_rules, status="ongoing") != _key(share_rules, status="ongoing", last_report=later)
    for change in ({"progress": 41}, {"due": dt.date(2024, 1, 1)}, {"plan_id": 2}):
        assert _key(share_rules) != _key(share_rules, **change), change
    assert _key(share_rules) == _key(share_rules, plan_id=3)  # plans that start alike share assessments
    assert _key(share_rules, kind="scheduled") != _key(share_rules, kind="scheduled", plan_id=3)  # not horizons
    assert _key(share_rules) == _key(share_rules, start=dt.date(2023, 1, 1))  # a date runs from the plan's start
    ranged = {"kind": "range"}
    assert _key(share_rules, **ranged) != _key(share_rules, **ranged, start=dt.date(2023, 1, 1))
    assert _key(share_rules, progress=95) == _key(share_rules, progress=99)  # not behind: progress not read
    past = {"due": dt.date(2023, 1, 31)}
    assert _key(share_rules, **past) == _key(share_rules, **past, progress=90)  # overdue: progress not read
    assert _key(share_rules, **past, kind="scheduled") != _key(share_rules, **past, kind="scheduled", progress=90)
    assert _key(share_rules, recurring=True) is None  # recurrence: its own (the days it reported)
    assert _key(share_rules, status="closed", recurring=True) == _key(share_rules, status="closed", kind="annual")
    assert _key(share_rules, status="ongoing", recurring=True) == _key(share_rules, status="ongoing")
    assert _key(share_rules, status="applying") == _key(share_rules, status="completed")


def _local(at: dt.datetime | None) -> dt.date | None:
    return at.astimezone(SHANGHAI).date() if at else None


STATUSES = ["not_started", "in_progress", "relapsed", "applying", "completed", "closed", "ongoing"]
PLANS = {1: (PLAN_START, None), 2: (PLAN_START, dt.date(2024, 12, 31)), 3: (dt.date(2023, 8, 1), TODAY)}
GRID_PROGRESS = [None, 0, 20, 35, 50, 69, 70, 71, 79, 80, 90, 100]
GRID_REPORTS = [None, *(dt.datetime.combine(d, dt.time(1, 30), tzinfo=dt.UTC) for d in LAST_REPORTS if d)]


@pytest.mark.django_db
def test_shares_with_one_key_have_one_assessment() -> None:
    """The key's whole claim, over a grid of shares: equal keys, equal assessments (as
    supervision.services.item_input builds the input); and the key gathers many inputs."""
    share_rules = ShareRules(TODAY)
    share_rules.plan_starts = {pk: start for pk, (start, _) in PLANS.items()}
    share_rules.horizons = {pk: horizon for pk, (_, horizon) in PLANS.items() if horizon}
    groups: dict[tuple[Any, ...], set[rules.Assessment]] = {}
    inputs: dict[tuple[Any, ...], int] = {}
    for status, kind, plan_id, due, start, progress, at in itertools.product(
        STATUSES, KINDS, PLANS, DUES, STARTS, GRID_PROGRESS, GRID_REPORTS
    ):
        key = share_rules.key(status, kind, False, plan_id, due, start, progress, _local(at))
        assert key is not None
        item = rules.ItemInput(
            kind=kind,
            due=due,
            start=start,
            status=RULE_STATUS[status],
            plan_start=PLANS[plan_id][0],
            progress=progress,
            last_report=_local(at),
            plan_horizon=PLANS[plan_id][1],
        )
        groups.setdefault(key, set()).add(rules.assess(item, TODAY, share_rules.thresholds))
        inputs[key] = inputs.get(key, 0) + 1
    assert all(len(answers) == 1 for answers in groups.values()), [k for k, a in groups.items() if len(a) > 1][:5]
    assert {a.level for answers in groups.values() for a in answers} == set(rules.Level)
    assert sum(inputs.values()) > 20 * len(groups)  # not vacuous: most keys stand for many inputs
    gathered = {key[-2] for key in groups if len(key) == 7} | {key[-1] for key in groups if len(key) == 5}
    assert {"not behind", "overdue", "fresh"} <= gathered


@pytest.mark.django_db
def test_a_plan_whose_start_is_unknown_keeps_the_progress_in_the_key() -> None:
    share_rules = ShareRules(TODAY)
    share_rules.plan_starts = {}
    assert _key(share_rules, progress=99) != _key(share_rules, progress=100)
    never = {"kind": "ongoing", "last_report": None}  # 长期坚持 never reported: judged from the plan's start
    assert _key(share_rules, **never, progress=1) != _key(share_rules, **never, progress=2)


def _rules_for_grid() -> ShareRules:
    share_rules = ShareRules(TODAY)
    share_rules.plan_starts = {pk: start for pk, (start, _) in PLANS.items()}
    share_rules.horizons = {pk: horizon for pk, (_, horizon) in PLANS.items() if horizon}
    return share_rules


def _one_key_one_assessment(cases: list[tuple[tuple[Any, ...] | None, rules.ItemInput]]) -> dict[Any, int]:
    """Equal keys, equal assessments; returns how many inputs each key stands for."""
    groups: dict[tuple[Any, ...], set[rules.Assessment]] = {}
    inputs: dict[tuple[Any, ...], int] = {}
    for key, item in cases:
        assert key is not None
        groups.setdefault(key, set()).add(rules.assess(item, TODAY))
        inputs[key] = inputs.get(key, 0) + 1
    assert all(len(answers) == 1 for answers in groups.values()), [k for k, a in groups.items() if len(a) > 1][:3]
    assert {a.level for answers in groups.values() for a in answers} == set(rules.Level)
    return inputs


PARTS = [
    {"kind": "date", "due": "2022-12-31", "scope": "一期"},
    {"kind": "date", "due": "2022-12-31", "scope": "二期"},  # the same but for its scope
    {"kind": "date", "due": (TODAY + dt.timedelta(days=10)).isoformat(), "scope": "二期"},
    {"kind": "date", "due": "2024-06-30"},  # no scope: 分项{i}
    {"kind": "range", "start": "2023-08-01", "due": "2023-12-31", "scope": "整治"},
    {"kind": "range", "due": "2023-12-31", "scope": "整治"},
    {"kind": "external", "due": None, "scope": "上级"},
    {"kind": "scheduled", "scope": "序时"},
    {"kind": "immediate", "scope": "立行立改部分"},
    {"kind": "immediate_ongoing", "scope": "长期部分"},
    {"kind": "annual", "scope": "年度"},
    {"kind": "completed", "scope": "已完成部分"},
    {"kind": "unknown", "scope": "待定"},
    {"kind": "date", "due": "junk", "scope": "坏日期"},
]


@pytest.mark.django_db
def test_compound_shares_with_one_key_have_one_assessment() -> None:
    """A compound deadline is keyed part by part (each part's scope and its key as a deadline of
    its kind): over pairs of parts and the grid's progress, reports and plans, equal keys give
    equal assessments, and the key gathers many inputs."""
    share_rules = _rules_for_grid()
    cases = []
    for first, second in itertools.product(PARTS, repeat=2):
        parts = [first, second]
        for status, plan_id, progress, at in itertools.product(
            ["in_progress", "relapsed"], PLANS, [None, 0, 35, 71, 100], GRID_REPORTS
        ):
            key = share_rules.key(status, "compound", False, plan_id, None, None, progress, _local(at), parts)
            item = rules.ItemInput(
                kind="compound",
                due=None,
                start=None,
                status=RULE_STATUS[status],
                plan_start=PLANS[plan_id][0],
                progress=progress,
                last_report=_local(at),
                parts=parts,
                plan_horizon=PLANS[plan_id][1],
            )
            cases.append((key, item))
    inputs = _one_key_one_assessment(cases)
    assert len(cases) > 5 * len(inputs)
    assert recurs("compound", [{"kind": "recurring"}])  # the caller's `recurring`: a key of its own
    assert share_rules.key("in_progress", "compound", True, 1, None, None, 0, None, [{"kind": "recurring"}]) is None
    assert share_rules.key("in_progress", "compound", False, 1, None, None, 0, None, ["not a part"]) is None


MILESTONE_DUES = [dt.date(2023, 6, 30), TODAY, TODAY + dt.timedelta(days=15), TODAY + dt.timedelta(days=16)]


@pytest.mark.django_db
def test_milestone_shares_with_one_key_have_one_assessment() -> None:
    """A measure's milestones add to the key only the unreached ones with a reason today (past
    their date or due within due_soon_days): over sets of milestones, what the shares reached,
    and the grid's kinds, progress and reports, equal keys give equal assessments."""
    share_rules = _rules_for_grid()
    nodes = [(pk, due, f"节点{pk % 2}") for pk, due in enumerate([*MILESTONE_DUES, MILESTONE_DUES[0]], start=1)]
    cases = []
    for count, reached_count in itertools.product(range(len(nodes) + 1), range(3)):
        milestones = nodes[:count]
        reached = {str(pk): "2023-01-01" for pk, _, _ in milestones[:reached_count]}
        for status, kind, due, progress, at in itertools.product(
            ["in_progress", "completed", "ongoing"],
            ["date", "range", "immediate", "annual", "unknown", "compound"],
            [None, dt.date(2022, 12, 31), TODAY + dt.timedelta(days=10)],
            [None, 35, 100],
            GRID_REPORTS,
        ):
            parts = [PARTS[1], PARTS[7]] if kind == "compound" else None
            nodes_key = share_rules.milestones_key(milestones, reached)
            key = share_rules.key(status, kind, False, 1, due, None, progress, _local(at), parts, nodes_key)
            item = rules.ItemInput(
                kind=kind,
                due=due,
                start=None,
                status=RULE_STATUS[status],
                plan_start=PLAN_START,
                progress=progress,
                last_report=_local(at),
                parts=parts or (),
                milestones=[
                    rules.MilestoneInput(due=d, raw=raw, reached=str(pk) in reached) for pk, d, raw in milestones
                ],
            )
            cases.append((key, item))
    inputs = _one_key_one_assessment(cases)
    assert len(cases) > 10 * len(inputs)
    far = [(9, TODAY + dt.timedelta(days=16), "远期节点")]
    assert share_rules.milestones_key(far, {}) == ()  # no reason today: the share keys as without it
    assert share_rules.milestones_key([(9, TODAY, "今天")], {"9": "2023-09-01"}) == ()  # reached
    assert share_rules.milestones_key([(9, TODAY, "今天")], None) == ((TODAY, "今天"),)
