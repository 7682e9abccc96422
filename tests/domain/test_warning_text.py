"""Stored warning reasons carry no day-relative words (days left or past, 序时进度): they are
rendered for the day they are read (plans.warning_text), so a scan on a later day rewrites only
the shares whose outcome changed, and a reader sees what the rules say that day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from rectify.plans.models import Assignment
from rectify.plans.warning_text import reasons_render, reasons_summary
from rectify.progress import periods
from rectify.supervision import scan
from rectify.supervision.assessing import assess_share, reasons_json
from rectify.supervision.rules import ItemInput, MilestoneInput, assess
from rectify.supervision.services import deadlines_scan

PLAN_START = dt.date(2022, 2, 25)


def _items() -> Iterator[ItemInput]:
    due = dt.date(2022, 9, 30)
    for progress in (None, 20.0, 55.5):
        yield ItemInput("date", due, None, "in_progress", PLAN_START, progress=progress)
        yield ItemInput("range", due, dt.date(2022, 6, 1), "in_progress", PLAN_START, progress=progress)
        yield ItemInput("scheduled", None, None, "in_progress", PLAN_START, progress=progress, plan_horizon=due)
        yield ItemInput(
            "annual", None, None, "in_progress", PLAN_START, progress=progress, last_report=dt.date(2022, 3, 1)
        )
    yield ItemInput(
        "date",
        dt.date(2022, 12, 31),
        None,
        "in_progress",
        PLAN_START,
        milestones=[MilestoneInput(dt.date(2022, 9, 20), "9月底前完成排查", False)],
    )
    yield ItemInput("recurring", None, None, "in_progress", PLAN_START, recurrence="quarterly")
    parts = [
        {"scope": "城区", "kind": "date", "due": "2022-09-15", "start": None},
        {"scope": "农村", "kind": "range", "due": "2022-11-30", "start": "2022-05-01"},
        {"scope": "每季度", "kind": "recurring", "recurrence": "quarterly"},
    ]
    yield ItemInput("compound", None, None, "in_progress", PLAN_START, progress=10.0, parts=parts)


def _shown(a: Any) -> list[dict[str, str]]:
    return [{"level": str(r.level), "code": r.code, "message": r.message} for r in a.reasons]


def test_a_stored_reason_read_on_another_day_says_what_the_rules_say_that_day() -> None:
    days = [dt.date(2022, 8, 20) + dt.timedelta(days=i) for i in range(0, 70, 3)]
    compared = 0
    for item in _items():
        for day in days:
            judged = assess(item, day)
            stored = reasons_json(judged)
            assert reasons_render(stored, day) == _shown(judged)  # the day it was judged
            for later in days:
                again = assess(item, later)
                if [r.key for r in again.reasons] == [r.key for r in judged.reasons]:
                    # The same outcome on a later (or earlier) day: the stored reasons are not
                    # rewritten, and they read as the rules word them that day.
                    assert reasons_json(again) == stored
                    assert reasons_render(stored, later) == _shown(again), (item, day, later)
                    compared += 1
    assert compared > 500


def test_day_relative_reasons_store_their_dates_not_their_words() -> None:
    item = ItemInput("date", dt.date(2022, 9, 30), None, "in_progress", PLAN_START, progress=0.0)
    stored = reasons_json(assess(item, dt.date(2022, 10, 8)))
    assert stored == [{"level": "red", "code": "overdue", "args": {"due": "2022-09-30"}}]
    assert reasons_summary(stored, dt.date(2022, 10, 8)) == "已超过整改时限（2022-09-30）8天"
    assert reasons_summary(stored, dt.date(2023, 5, 7)) == "已超过整改时限（2022-09-30）219天"
    # Stable words are stored as they are, and reasons stored before (with their message) read as stored.
    assert reasons_summary(
        [{"level": "yellow", "code": "no_date", "message": "整改时限待确认"}], dt.date(2030, 1, 1)
    ) == ("整改时限待确认")
    assert reasons_summary([], dt.date(2022, 10, 8)) == "正常"


def test_a_reason_read_after_its_window_before_the_scan_says_what_is_true_of_its_date() -> None:
    soon = reasons_json(
        assess(ItemInput("date", dt.date(2022, 9, 30), None, "in_progress", PLAN_START, 100.0), dt.date(2022, 9, 30))
    )
    assert reasons_summary(soon, dt.date(2022, 9, 30)) == "今天是整改时限（2022-09-30）"
    assert reasons_summary(soon, dt.date(2022, 10, 1)) == "已超过整改时限（2022-09-30）1天"


# --- the scan ----------------------------------------------------------------------------------


def _at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=periods.SHANGHAI), tick=False)


@pytest.mark.django_db
def test_a_scan_on_a_later_day_rewrites_only_the_shares_whose_outcome_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    with _at(dt.date(2022, 10, 8)):
        deadlines_scan(send_mail=False)
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False).order_by("pk")
    before = {s.pk: (s.warning_level, s.warning_reasons) for s in shares}
    overdue = {pk for pk, (_, reasons) in before.items() if any(r["code"] == "overdue" for r in reasons)}
    assert len(overdue) > 10

    written: list[int] = []
    update_rows = scan.update_rows

    def spy(model: Any, names: Any, rows: Any) -> None:
        if model is Assignment:
            written.extend(row[0] for row in rows)
        update_rows(model, names, rows)

    monkeypatch.setattr(scan, "update_rows", spy)
    day = dt.date(2022, 10, 9)
    with _at(day):
        # Before the day's scan the stored reasons already read as of today.
        share = shares.get(pk=min(overdue))
        assert "已超过整改时限（2022-09-30）9天" in share.warning_summary
        expected = set()
        for s in shares:
            a = assess_share(s, today=day)
            if (str(a.level), reasons_json(a)) != before[s.pk]:
                expected.add(s.pk)
        deadlines_scan(send_mail=False)
        assert set(written) == expected
        assert not overdue & set(written)  # still overdue, one day more: not rewritten
        for s in shares:
            a = assess_share(s, today=day)
            assert (s.warning_level, s.warning_reasons) == (str(a.level), reasons_json(a))
            assert s.warning_summary == a.summary
    # The same day again: nothing written.
    written.clear()
    with _at(day):
        deadlines_scan(send_mail=False)
    assert written == []
