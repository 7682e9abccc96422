"""The warning rules as a spec: each deadline kind at its boundaries, no database, no clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from rectify.supervision.rules import (
    Assessment,
    ItemInput,
    Level,
    MilestoneInput,
    Thresholds,
    assess,
    schedule_share,
)

PLAN_START = date(2022, 2, 25)
SEED_TODAY = date(2022, 10, 8)


def item(**overrides: Any) -> ItemInput:
    fields: dict[str, Any] = {"kind": "date", "due": None, "start": None, "status": "in_progress"}
    fields["plan_start"] = PLAN_START
    fields.update(overrides)
    return ItemInput(**fields)


def codes(result: Assessment) -> list[str]:
    return [r.code for r in result.reasons]


def keys(result: Assessment) -> list[str]:
    return [r.key for r in result.reasons]


# --- the seed plan ---------------------------------------------------------------------------


def test_seed_item_due_2022_09_30_is_red_on_2022_10_08_when_never_reported() -> None:
    result = assess(item(due=date(2022, 9, 30)), SEED_TODAY)
    assert result.level is Level.RED
    assert codes(result) == ["overdue"]
    assert result.summary == "已超过整改时限（2022-09-30）8天"


def test_seed_item_due_2022_12_31_is_yellow_for_lagging_225_of_309_days() -> None:
    result = assess(item(due=date(2022, 12, 31)), SEED_TODAY)
    assert result.level is Level.YELLOW
    assert codes(result) == ["lag"]
    assert result.expected == 72.8
    assert result.due == date(2022, 12, 31)
    assert result.summary == "进度0%落后于序时进度72.8%"


def test_seed_item_due_2022_03_31_is_red() -> None:
    result = assess(item(due=date(2022, 3, 31)), SEED_TODAY)
    assert result.level is Level.RED
    assert keys(result) == ["overdue:2022-03-31"]


# --- date kind at its boundaries -------------------------------------------------------------


def test_a_date_item_is_yellow_the_day_before_its_due_date() -> None:
    result = assess(item(due=date(2022, 9, 30), progress=100), date(2022, 9, 29))
    assert result.level is Level.YELLOW
    assert result.summary == "距整改时限（2022-09-30）还有1天"


def test_a_date_item_is_yellow_on_its_due_date() -> None:
    result = assess(item(due=date(2022, 9, 30), progress=100), date(2022, 9, 30))
    assert result.level is Level.YELLOW
    assert keys(result) == ["due_soon:2022-09-30"]
    assert result.expected == 100.0


def test_a_date_item_is_red_the_day_after_its_due_date() -> None:
    result = assess(item(due=date(2022, 9, 30), progress=100), date(2022, 10, 1))
    assert result.level is Level.RED
    assert result.summary == "已超过整改时限（2022-09-30）1天"


def test_a_date_item_due_on_the_first_of_the_month_is_not_yet_overdue_on_that_day() -> None:
    result = assess(item(due=date(2022, 10, 1), progress=100), date(2022, 10, 1))
    assert result.level is Level.YELLOW


def test_a_date_item_is_yellow_exactly_15_days_before_due() -> None:
    result = assess(item(due=date(2022, 12, 31), progress=100), date(2022, 12, 16))
    assert codes(result) == ["due_soon"]
    assert result.summary == "距整改时限（2022-12-31）还有15天"


def test_a_date_item_is_green_16_days_before_due() -> None:
    result = assess(item(due=date(2022, 12, 31), progress=100), date(2022, 12, 15))
    assert result.level is Level.GREEN
    assert result.reasons == ()
    assert result.summary == "正常"


def test_a_due_date_at_the_end_of_february_counts_calendar_days() -> None:
    due = date(2022, 2, 28)
    early = item(due=due, progress=100, plan_start=date(2022, 1, 1))
    assert assess(early, date(2022, 2, 13)).level is Level.YELLOW  # 15 days
    assert assess(early, date(2022, 2, 12)).level is Level.GREEN  # 16 days
    assert assess(early, date(2022, 3, 1)).summary == "已超过整改时限（2022-02-28）1天"


def test_a_due_date_of_february_29_in_a_leap_year_works_at_its_boundaries() -> None:
    leap = item(due=date(2024, 2, 29), progress=100, plan_start=date(2024, 1, 1))
    assert assess(leap, date(2024, 2, 13)).level is Level.GREEN  # 16 days
    assert assess(leap, date(2024, 2, 14)).level is Level.YELLOW  # 15 days
    assert assess(leap, date(2024, 2, 29)).level is Level.YELLOW
    overdue = assess(leap, date(2024, 3, 1))
    assert overdue.level is Level.RED
    assert keys(overdue) == ["overdue:2024-02-29"]


def test_an_overdue_item_is_not_also_reported_as_lagging() -> None:
    result = assess(item(due=date(2022, 9, 30)), SEED_TODAY)
    assert codes(result) == ["overdue"]
    assert result.expected == 100.0


def test_a_date_item_without_a_date_needs_its_deadline_confirmed() -> None:
    result = assess(item(due=None), SEED_TODAY)
    assert result.level is Level.YELLOW
    assert keys(result) == ["no_date"]
    assert result.summary == "整改时限待确认"


# --- lag against 序时进度 -----------------------------------------------------------------------


def test_exactly_ten_points_behind_schedule_is_green() -> None:
    result = assess(item(due=date(2022, 12, 31), progress=62.8), SEED_TODAY)
    assert result.level is Level.GREEN


def test_ten_point_one_points_behind_schedule_is_yellow() -> None:
    result = assess(item(due=date(2022, 12, 31), progress=62.7), SEED_TODAY)
    assert result.level is Level.YELLOW
    assert result.summary == "进度62.7%落后于序时进度72.8%"


@pytest.mark.parametrize("days", range(0, 300, 7))
def test_exactly_the_tolerance_behind_is_green_whatever_the_float_arithmetic(days: int) -> None:
    today = PLAN_START + timedelta(days=days)
    expected = schedule_share(PLAN_START, date(2022, 12, 31), today)
    result = assess(item(due=date(2022, 12, 31), progress=max(expected - 10.0, 0.0)), today)
    assert "lag" not in codes(result)


def test_a_custom_tolerance_and_due_soon_window_are_honoured() -> None:
    strict = Thresholds(due_soon_days=90, lag_tolerance=0.0)
    result = assess(item(due=date(2022, 12, 31), progress=72.7), SEED_TODAY, strict)
    assert codes(result) == ["due_soon", "lag"]


def test_progress_is_clamped_to_0_and_100() -> None:
    over = assess(item(due=date(2022, 12, 31), progress=250.0), SEED_TODAY)
    under = assess(item(due=date(2022, 12, 31), progress=-5.0), SEED_TODAY)
    assert over.level is Level.GREEN
    assert under.summary == "进度0%落后于序时进度72.8%"


def test_a_range_measures_schedule_from_its_own_start() -> None:
    rng = item(kind="range", start=date(2022, 7, 1), due=date(2022, 12, 31))
    result = assess(rng, date(2022, 10, 1))
    assert result.expected == 50.3  # 92 of 183 days
    assert keys(result) == ["lag:2022-12-31"]


def test_a_range_not_yet_started_is_not_lagging() -> None:
    rng = item(kind="range", start=date(2022, 11, 1), due=date(2022, 12, 31))
    result = assess(rng, SEED_TODAY)
    assert result.expected == 0.0
    assert result.level is Level.GREEN


def test_a_range_without_a_start_measures_from_the_plan_start() -> None:
    rng = item(kind="range", due=date(2022, 12, 31))
    assert assess(rng, SEED_TODAY).expected == 72.8


def test_a_range_is_red_the_day_after_it_ends() -> None:
    rng = item(kind="range", start=date(2022, 7, 1), due=date(2022, 9, 30), progress=100)
    assert assess(rng, date(2022, 9, 30)).level is Level.YELLOW
    assert assess(rng, date(2022, 10, 1)).level is Level.RED


# --- schedule_share --------------------------------------------------------------------------


def test_schedule_share_is_225_of_309_days_for_the_seed_plan() -> None:
    assert schedule_share(PLAN_START, date(2022, 12, 31), SEED_TODAY) == 72.8


def test_schedule_share_counts_february_29_in_a_leap_year() -> None:
    assert schedule_share(date(2024, 1, 1), date(2024, 12, 31), date(2024, 7, 1)) == 49.9  # 182 / 365
    assert schedule_share(date(2023, 1, 1), date(2023, 12, 31), date(2023, 7, 1)) == 49.7  # 181 / 364
    assert schedule_share(date(2024, 2, 28), date(2024, 3, 1), date(2024, 2, 29)) == 50.0


def test_schedule_share_is_clamped_before_start_and_after_due() -> None:
    assert schedule_share(date(2022, 1, 1), date(2022, 12, 31), date(2021, 6, 1)) == 0.0
    assert schedule_share(date(2022, 1, 1), date(2022, 12, 31), date(2023, 6, 1)) == 100.0


def test_schedule_share_with_start_on_or_after_due_is_all_or_nothing() -> None:
    day = date(2022, 6, 1)
    assert schedule_share(day, day, day) == 100.0
    assert schedule_share(day, day, day - timedelta(days=1)) == 0.0
    assert schedule_share(day + timedelta(days=5), day, day) == 100.0


def test_schedule_share_rounds_half_up_to_one_decimal() -> None:
    # 1 of 8 days = 12.5 exactly; 1 of 16 = 6.25 → 6.3; 1 of 3 = 33.33… → 33.3
    start = date(2022, 1, 1)
    assert schedule_share(start, start + timedelta(days=8), start + timedelta(days=1)) == 12.5
    assert schedule_share(start, start + timedelta(days=16), start + timedelta(days=1)) == 6.3
    assert schedule_share(start, start + timedelta(days=3), start + timedelta(days=1)) == 33.3


# --- external and scheduled ------------------------------------------------------------------


def test_an_external_deadline_without_a_date_asks_for_the_higher_plans_date() -> None:
    result = assess(item(kind="external"), SEED_TODAY)
    assert result.level is Level.YELLOW
    assert keys(result) == ["no_date"]
    assert result.summary == "需录入上级方案规定的整改时限"
    assert result.due is None


def test_an_external_deadline_with_a_date_follows_the_dated_rule() -> None:
    ext = item(kind="external", due=date(2022, 9, 30))
    assert assess(ext, date(2022, 9, 30)).level is not Level.RED
    assert keys(assess(ext, date(2022, 10, 1))) == ["overdue:2022-09-30"]


def test_a_scheduled_item_runs_to_the_plan_horizon() -> None:
    sched = item(kind="scheduled", plan_horizon=date(2022, 12, 31))
    result = assess(sched, SEED_TODAY)
    assert result.due == date(2022, 12, 31)
    assert result.expected == 72.8
    assert keys(result) == ["lag:2022-12-31"]
    assert assess(item(kind="scheduled", plan_horizon=date(2022, 12, 31), progress=70), SEED_TODAY).level is Level.GREEN


def test_a_scheduled_item_ignores_its_own_due_in_favour_of_the_horizon() -> None:
    sched = item(kind="scheduled", due=date(2022, 3, 31), plan_horizon=date(2022, 12, 31), progress=70)
    assert assess(sched, SEED_TODAY).level is Level.GREEN


def test_a_scheduled_item_without_a_horizon_asks_for_one() -> None:
    result = assess(item(kind="scheduled"), SEED_TODAY)
    assert keys(result) == ["no_date"]
    assert result.summary == "需确定序时进度的截止日期"


# --- unknown and completed deadlines ---------------------------------------------------------


def test_an_unknown_deadline_is_yellow_until_confirmed() -> None:
    result = assess(item(kind="unknown"), SEED_TODAY)
    assert result.level is Level.YELLOW
    assert keys(result) == ["no_date"]
    assert result.summary == "整改时限待确认"


def test_a_deadline_that_says_completed_is_green() -> None:
    result = assess(item(kind="completed"), SEED_TODAY)
    assert result.level is Level.GREEN
    assert result.expected is None


def test_an_unrecognised_kind_is_treated_as_unknown() -> None:
    assert keys(assess(item(kind="something-new"), SEED_TODAY)) == ["no_date"]


# --- statuses --------------------------------------------------------------------------------


def test_a_closed_item_is_green_even_when_overdue() -> None:
    closed = item(due=date(2022, 3, 31), status="closed", milestones=[MilestoneInput(date(2022, 3, 1), "3月", False)])
    result = assess(closed, SEED_TODAY)
    assert result.level is Level.GREEN
    assert result.reasons == ()
    assert result.summary == "已销号"


def test_a_completed_item_waiting_for_acceptance_is_green() -> None:
    done = item(due=date(2022, 3, 31), status="completed", milestones=[MilestoneInput(date(2022, 3, 1), "3月", False)])
    result = assess(done, SEED_TODAY)
    assert result.level is Level.GREEN
    assert result.summary == "已完成待验收"


def test_an_item_completed_and_kept_up_is_rechecked_whatever_its_kind() -> None:
    kept = item(due=date(2022, 3, 31), status="ongoing", last_report=date(2022, 9, 30))
    result = assess(kept, SEED_TODAY)
    assert result.level is Level.GREEN
    assert result.due is None
    assert result.expected is None
    stale = assess(item(due=date(2022, 3, 31), status="ongoing", last_report=date(2022, 8, 1)), SEED_TODAY)
    assert keys(stale) == ["recheck:2022-08-01"]


# --- recheck rule ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["immediate_ongoing", "immediate", "ongoing"])
def test_an_ongoing_kind_is_green_exactly_31_days_after_its_last_report(kind: str) -> None:
    report = date(2022, 9, 1)
    result = assess(item(kind=kind, last_report=report, progress=50), report + timedelta(days=31))
    assert result.level is Level.GREEN
    assert result.due is None
    assert result.expected is None


@pytest.mark.parametrize("kind", ["immediate_ongoing", "immediate", "ongoing"])
def test_an_ongoing_kind_is_yellow_32_days_after_its_last_report(kind: str) -> None:
    report = date(2022, 9, 1)
    result = assess(item(kind=kind, last_report=report, progress=50), report + timedelta(days=32))
    assert result.level is Level.YELLOW
    assert keys(result) == ["recheck:2022-09-01"]


def test_an_ongoing_kind_never_reported_counts_from_the_plan_start() -> None:
    assert assess(item(kind="ongoing"), PLAN_START + timedelta(days=31)).level is Level.GREEN
    result = assess(item(kind="ongoing"), PLAN_START + timedelta(days=32))
    assert keys(result) == ["recheck:2022-02-25"]
    assert result.summary == "已超过31天未报送进展（长期坚持事项按期复核）"


def test_an_immediate_kind_is_never_overdue_whatever_its_due() -> None:
    result = assess(item(kind="immediate", due=date(2022, 3, 31), last_report=date(2022, 10, 1)), SEED_TODAY)
    assert result.level is Level.GREEN


# --- annual ----------------------------------------------------------------------------------


def test_an_annual_item_is_red_when_last_year_ended_without_a_completed_report() -> None:
    result = assess(item(kind="annual", progress=80, last_report=date(2022, 12, 20)), date(2023, 1, 10))
    assert result.level is Level.RED
    assert result.reasons[0].key == "annual_missed:2022"
    assert result.reasons[0].message == "2022年度任务未报完成"
    assert result.due == date(2023, 12, 31)


def test_the_first_report_of_the_new_year_clears_the_missed_year() -> None:
    result = assess(item(kind="annual", progress=5, last_report=date(2023, 1, 5)), date(2023, 1, 10))
    assert result.level is Level.GREEN


def test_an_annual_item_completed_last_year_is_not_missed() -> None:
    result = assess(item(kind="annual", progress=100, last_report=date(2022, 12, 20)), date(2023, 1, 10))
    assert "annual_missed" not in codes(result)


def test_an_annual_item_is_not_missed_in_the_plans_first_year() -> None:
    result = assess(item(kind="annual"), SEED_TODAY)
    assert "annual_missed" not in codes(result)
    assert result.due == date(2022, 12, 31)
    assert result.expected == 72.8  # the first year runs from the plan start


def test_last_years_progress_does_not_count_toward_this_years_schedule() -> None:
    result = assess(item(kind="annual", progress=100, last_report=date(2022, 12, 20)), date(2023, 3, 1))
    assert codes(result) == ["lag"]
    assert result.expected == 16.2  # 59 of 364 days


def test_an_annual_item_is_due_soon_in_the_last_15_days_of_the_year() -> None:
    annual = item(kind="annual", progress=100, last_report=date(2022, 12, 1))
    assert assess(annual, date(2022, 12, 15)).level is Level.GREEN
    assert keys(assess(annual, date(2022, 12, 16))) == ["due_soon:2022-12-31"]
    assert keys(assess(annual, date(2022, 12, 31))) == ["due_soon:2022-12-31"]


def test_an_annual_item_across_leap_year_2024() -> None:
    annual = item(kind="annual", plan_start=date(2023, 3, 1))
    on_feb_29 = assess(annual, date(2024, 2, 29))
    assert on_feb_29.expected == 16.2  # 59 of 365 days
    assert keys(on_feb_29) == ["annual_missed:2023", "lag:2024-12-31"]
    reported = item(kind="annual", plan_start=date(2023, 3, 1), progress=20, last_report=date(2024, 2, 29))
    assert assess(reported, date(2024, 2, 29)).level is Level.GREEN
    assert keys(assess(reported, date(2025, 1, 1))) == ["annual_missed:2024"]
