"""The warning rule for recurring deadlines (supervision.rules): red for a period that ended without
a report, yellow while the current one nears its end without one, green otherwise; checked day by
day against an independent computation. No database, no clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify.supervision.rules import ItemInput, Level, MilestoneInput, Thresholds, assess

TH = Thresholds(due_soon_days=15, lag_tolerance=10.0, recheck_days=31)
QUARTER_NAMES = "一二三四"


def item(**overrides: Any) -> ItemInput:
    fields: dict[str, Any] = {
        "kind": "recurring",
        "recurrence": "quarterly",
        "due": None,
        "start": None,
        "status": "in_progress",
        "plan_start": date(2022, 1, 1),
    }
    fields.update(overrides)
    return ItemInput(**fields)


def test_a_share_that_reported_in_q2_but_not_q3_is_red_once_q3_has_ended() -> None:
    share = item(reports=(date(2022, 5, 10),), progress=40)
    result = assess(share, date(2022, 10, 1), TH)
    assert result.level is Level.RED
    assert [(r.code, r.key, r.message) for r in result.reasons] == [
        ("recurring_missed", "recurring_missed:2022-07-01", "2022年第三季度未报送整改情况")
    ]
    # Never "overdue" and no 序时进度: the date is the current quarter's end, nothing is expected.
    assert result.due == date(2022, 12, 31) and result.expected is None
    # The days before: green while Q3 has more than 15 days to run, then yellow until it ends.
    assert assess(share, date(2022, 9, 14), TH).level is Level.GREEN
    soon = assess(share, date(2022, 9, 15), TH)
    assert soon.level is Level.YELLOW
    assert soon.summary == "本期（2022年第三季度）还有15天截止（2022-09-30），尚未报送整改情况"
    assert (
        assess(share, date(2022, 9, 30), TH).summary == "本期（2022年第三季度）今天（2022-09-30）截止，尚未报送整改情况"
    )


def test_a_report_in_the_period_keeps_the_share_green_and_a_missed_one_stays_red_for_the_next() -> None:
    reported = item(reports=(date(2022, 5, 10), date(2022, 8, 15)))
    assert assess(reported, date(2022, 10, 1), TH).level is Level.GREEN
    assert assess(reported, date(2022, 9, 30), TH).level is Level.GREEN
    # Q3 missed, Q4 reported: red through Q4 (a past period cannot be made good), green in 2023.
    late = item(reports=(date(2022, 5, 10), date(2022, 10, 3)))
    assert assess(late, date(2022, 12, 31), TH).level is Level.RED
    assert assess(late, date(2023, 1, 1), TH).level is Level.GREEN
    # A report dated after `today` (an export as of an earlier day) does not count.
    assert assess(item(reports=(date(2022, 5, 10), date(2022, 9, 30))), date(2022, 9, 20), TH).level is Level.YELLOW


def test_the_seed_plan_s_first_quarter_runs_from_its_start_to_june() -> None:
    share = item(plan_start=date(2022, 2, 25))
    result = assess(share, date(2022, 7, 1), TH)
    assert result.summary == "2022年第二季度（自2022年2月25日起）未报送整改情况"
    assert assess(share, date(2022, 3, 20), TH).level is Level.GREEN  # March alone is not a period


def test_a_first_due_date_is_a_period_of_its_own() -> None:
    share = item(start=date(2023, 1, 1), plan_start=date(2022, 2, 25))
    assert (
        assess(share, date(2022, 12, 20), TH).summary
        == "本期（首期（至2022年12月31日））还有11天截止（2022-12-31），尚未报送整改情况"
    )
    assert assess(share, date(2023, 1, 1), TH).summary == "首期（至2022年12月31日）未报送整改情况"
    assert assess(item(start=date(2023, 1, 1), reports=(date(2022, 4, 1),)), date(2023, 1, 1), TH).level is Level.GREEN


@pytest.mark.parametrize(
    ("recurrence", "today", "message"),
    [
        ("monthly", date(2024, 3, 1), "2024年2月未报送整改情况"),
        ("half_yearly", date(2023, 1, 1), "2022年下半年未报送整改情况"),
        ("yearly", date(2023, 1, 1), "2022年度未报送整改情况"),
    ],
)
def test_every_recurrence_names_its_missed_period(recurrence: str, today: date, message: str) -> None:
    result = assess(item(recurrence=recurrence, plan_start=date(2021, 1, 1)), today, TH)
    assert result.level is Level.RED
    assert result.reasons[0].message == message


def test_statuses_come_before_periods_and_a_missing_period_needs_one() -> None:
    assert assess(item(status="closed"), date(2022, 10, 1), TH).summary == "已销号"
    assert assess(item(status="completed"), date(2022, 10, 1), TH).summary == "已完成待验收"
    ongoing = assess(item(status="ongoing", last_report=date(2022, 8, 1)), date(2022, 10, 1), TH)
    assert [r.code for r in ongoing.reasons] == ["recheck"]
    no_period = assess(item(recurrence=""), date(2022, 10, 1), TH)
    assert no_period.level is Level.YELLOW and no_period.summary == "需确定周期（每月/每季度/每半年/每年）"


def test_milestones_still_count_and_there_is_no_lag() -> None:
    share = item(
        progress=0,
        reports=(date(2022, 8, 1), date(2022, 10, 1)),
        milestones=[MilestoneInput(due=date(2022, 9, 30), raw="9月底前建立台账", reached=False)],
    )
    result = assess(share, date(2022, 10, 8), TH)
    assert [r.code for r in result.reasons] == ["milestone_overdue"]


def test_a_recurring_part_of_a_compound_uses_its_own_period() -> None:
    parts = [
        {"scope": "排查", "raw": "2022年6月底前完成排查", "kind": "date", "due": "2022-06-30", "start": None},
        {"scope": "巡查", "raw": "每月巡查", "kind": "recurring", "due": None, "start": None, "recurrence": "monthly"},
    ]
    result = assess(item(kind="compound", recurrence="", parts=parts), date(2022, 6, 20), TH)
    assert [r.key for r in result.reasons] == [
        "p2:recurring_missed:2022-05-01",
        "p1:due_soon:2022-06-30",
        "p1:lag:2022-06-30",
        "p2:recurring_due:2022-06-30",
    ]
    assert result.reasons[0].message == "巡查：2022年5月未报送整改情况"


# --- day by day, against an independent computation -------------------------------------------


def quarter_of(day: date) -> tuple[date, date, str]:
    q = (day.month - 1) // 3
    first = date(day.year, 3 * q + 1, 1)
    following = date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return first, following - timedelta(days=1), f"{day.year}年第{QUARTER_NAMES[q]}季度"


def expected(reports: list[date], today: date) -> tuple[Level, list[str]]:
    """The rule as the spec says it, for a plan starting on 1 January 2022 (whole quarters)."""
    start, end, _ = quarter_of(today)
    reasons: list[tuple[Level, str]] = []
    if start > date(2022, 1, 1):
        p_start, p_end, p_name = quarter_of(start - timedelta(days=1))
        if not any(p_start <= d <= p_end for d in reports):
            reasons.append((Level.RED, f"{p_name}未报送整改情况"))
    if (end - today).days <= 15 and not any(start <= d <= today for d in reports):
        reasons.append((Level.YELLOW, "soon"))
    level = max((lvl for lvl, _ in reasons), key=[Level.GREEN, Level.YELLOW, Level.RED].index, default=Level.GREEN)
    return level, [m for _, m in reasons if m != "soon"]


@settings(max_examples=200, deadline=None)
@given(
    reports=st.lists(st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 12, 31)), max_size=8),
    today=st.dates(min_value=date(2022, 1, 1), max_value=date(2024, 12, 31)),
)
def test_levels_and_reasons_agree_with_an_independent_computation(reports: list[date], today: date) -> None:
    result = assess(item(reports=tuple(reports)), today, TH)
    level, red_messages = expected(reports, today)
    assert result.level is level
    assert [r.message for r in result.reasons if r.level is Level.RED] == red_messages
    assert result.due == quarter_of(today)[1]


def test_a_whole_year_day_by_day() -> None:
    reports = [date(2022, 2, 1), date(2022, 8, 31), date(2022, 12, 20)]
    day = date(2022, 1, 1)
    seen: dict[str, int] = {}
    while day <= date(2023, 3, 31):
        level, _ = expected(reports, day)
        assert assess(item(reports=tuple(reports)), day, TH).level is level, day
        seen[level] = seen.get(level, 0) + 1
        day += timedelta(days=1)
    assert set(seen) == {Level.GREEN, Level.YELLOW, Level.RED}  # Q2 missed → red through Q3
