"""The ledger export assesses each distinct rule input once (rectify/documents/ledger_rules.py).
Its key leaves out what the rules do not read; these tests hold the rules to those claims over a
grid of inputs, so a rule that starts reading more makes them fail (and the key must grow)."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import replace
from typing import Any

import pytest

from rectify.documents.ledger_rules import DONE, LAST_REPORT_UNREAD, PROGRESS_UNREAD_WHEN_OVERDUE, ShareRules
from rectify.supervision import rules

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
        "individual": False,
        "plan_id": 1,
        "due": dt.date(2023, 12, 31),
        "start": None,
        "progress": 40,
        "last_report": dt.datetime(2023, 8, 1, 2, 0, tzinfo=dt.UTC),
    }
    share.update(changes)
    return share_rules.key(**share)


@pytest.mark.django_db
def test_the_key_keeps_what_the_rules_read() -> None:
    share_rules = ShareRules(TODAY)
    later = dt.datetime(2023, 9, 1, 2, 0, tzinfo=dt.UTC)
    assert _key(share_rules) == _key(share_rules, last_report=later)  # a dated kind: not read
    assert _key(share_rules, kind="annual") != _key(share_rules, kind="annual", last_report=later)
    assert _key(share_rules, status="ongoing") != _key(share_rules, status="ongoing", last_report=later)
    for change in ({"progress": 41}, {"due": dt.date(2024, 1, 1)}, {"plan_id": 2}, {"start": dt.date(2023, 1, 1)}):
        assert _key(share_rules) != _key(share_rules, **change), change
    past = {"due": dt.date(2023, 1, 31)}
    assert _key(share_rules, **past) == _key(share_rules, **past, progress=90)  # overdue: progress not read
    assert _key(share_rules, **past, kind="scheduled") != _key(share_rules, **past, kind="scheduled", progress=90)
    assert _key(share_rules, individual=True) is None  # milestones, parts, recurrence: its own
    assert _key(share_rules, status="closed", individual=True) == _key(share_rules, status="closed", kind="annual")
    assert _key(share_rules, status="applying") == _key(share_rules, status="completed")
