"""The periods of a recurring deadline (rectify.plans.recurrence): every recurrence across year ends
and leap years, the 首期 and a short first period, and hypothesis properties against a naive
day-by-day computation written independently here."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import islice

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rectify.plans.recurrence import Period, current_due, period_bounds, periods

DAY = timedelta(days=1)
MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}
RECURRENCES = list(MONTHS)


def bounds(rec: str, today: date, plan_start: date = date(2022, 2, 25), start: date | None = None) -> tuple:
    current, previous = period_bounds(rec, plan_start=plan_start, start=start, today=today)
    return (current.start, current.end), (previous.start, previous.end) if previous else None


@pytest.mark.parametrize(
    ("rec", "today", "current", "previous"),
    [
        # Year ends: the last day of the year is still in the old period, the first in the new one.
        (
            "monthly",
            date(2022, 12, 31),
            (date(2022, 12, 1), date(2022, 12, 31)),
            (date(2022, 11, 1), date(2022, 11, 30)),
        ),
        ("monthly", date(2023, 1, 1), (date(2023, 1, 1), date(2023, 1, 31)), (date(2022, 12, 1), date(2022, 12, 31))),
        (
            "quarterly",
            date(2022, 12, 31),
            (date(2022, 10, 1), date(2022, 12, 31)),
            (date(2022, 7, 1), date(2022, 9, 30)),
        ),
        ("quarterly", date(2023, 1, 1), (date(2023, 1, 1), date(2023, 3, 31)), (date(2022, 10, 1), date(2022, 12, 31))),
        (
            "half_yearly",
            date(2023, 1, 1),
            (date(2023, 1, 1), date(2023, 6, 30)),
            (date(2022, 7, 1), date(2022, 12, 31)),
        ),
        (
            "half_yearly",
            date(2023, 7, 1),
            (date(2023, 7, 1), date(2023, 12, 31)),
            (date(2023, 1, 1), date(2023, 6, 30)),
        ),
        ("yearly", date(2023, 1, 1), (date(2023, 1, 1), date(2023, 12, 31)), (date(2022, 2, 25), date(2022, 12, 31))),
        ("yearly", date(2024, 6, 1), (date(2024, 1, 1), date(2024, 12, 31)), (date(2023, 1, 1), date(2023, 12, 31))),
        # Leap years: February ends on the 29th in 2024 and 2000, on the 28th in 2023 and 2100.
        ("monthly", date(2024, 2, 29), (date(2024, 2, 1), date(2024, 2, 29)), (date(2024, 1, 1), date(2024, 1, 31))),
        ("monthly", date(2024, 3, 1), (date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 2, 1), date(2024, 2, 29))),
        ("monthly", date(2023, 3, 1), (date(2023, 3, 1), date(2023, 3, 31)), (date(2023, 2, 1), date(2023, 2, 28))),
        (
            "quarterly",
            date(2024, 2, 29),
            (date(2024, 1, 1), date(2024, 3, 31)),
            (date(2023, 10, 1), date(2023, 12, 31)),
        ),
    ],
)
def test_current_and_previous_periods_around_year_ends_and_leap_days(
    rec: str, today: date, current: tuple, previous: tuple
) -> None:
    assert bounds(rec, today) == (current, previous)


def test_february_of_2000_and_2100() -> None:
    plan = date(1999, 1, 1)
    assert current_due("monthly", plan_start=plan, today=date(2000, 2, 10)) == date(2000, 2, 29)
    assert current_due("monthly", plan_start=plan, today=date(2100, 2, 10)) == date(2100, 2, 28)


def test_the_first_period_begins_with_the_plan_and_a_short_one_runs_on_to_the_next() -> None:
    # The seed plan starts 2022-02-25: four days of February are too short a month on their own.
    first = next(periods("monthly", plan_start=date(2022, 2, 25)))
    assert (first.start, first.end, first.label) == (
        date(2022, 2, 25),
        date(2022, 3, 31),
        "2022年3月（自2022年2月25日起）",
    )
    # Half a quarter or more left: the first period is the rest of that quarter.
    first = next(periods("quarterly", plan_start=date(2022, 5, 16)))
    assert (first.start, first.end, first.label) == (
        date(2022, 5, 16),
        date(2022, 6, 30),
        "2022年第二季度（自2022年5月16日起）",
    )
    first = next(periods("quarterly", plan_start=date(2022, 5, 17)))
    assert (first.start, first.end) == (date(2022, 5, 17), date(2022, 9, 30))
    # A plan that starts on a period's first day has no cut period.
    first = next(periods("half_yearly", plan_start=date(2022, 7, 1)))
    assert (first.start, first.end, first.label) == (date(2022, 7, 1), date(2022, 12, 31), "2022年下半年")


def test_labels_name_the_calendar_period() -> None:
    labels = [p.label for p in islice(periods("quarterly", plan_start=date(2022, 1, 1)), 5)]
    assert labels == ["2022年第一季度", "2022年第二季度", "2022年第三季度", "2022年第四季度", "2023年第一季度"]
    assert [p.label for p in islice(periods("half_yearly", plan_start=date(2022, 1, 1)), 3)] == [
        "2022年上半年",
        "2022年下半年",
        "2023年上半年",
    ]
    assert [p.label for p in islice(periods("yearly", plan_start=date(2022, 1, 1)), 2)] == ["2022年度", "2023年度"]
    assert [p.label for p in islice(periods("monthly", plan_start=date(2022, 11, 1)), 3)] == [
        "2022年11月",
        "2022年12月",
        "2023年1月",
    ]


def test_a_first_due_date_makes_a_first_period_of_its_own() -> None:
    # "2022年底前完成，此后每季度开展一次": start 2023-01-01, plan from 2022-02-25.
    kw = {"plan_start": date(2022, 2, 25), "start": date(2023, 1, 1)}
    current, previous = period_bounds("quarterly", today=date(2022, 12, 20), **kw)
    assert (current.start, current.end, current.label) == (
        date(2022, 2, 25),
        date(2022, 12, 31),
        "首期（至2022年12月31日）",
    )
    assert previous is None
    current, previous = period_bounds("quarterly", today=date(2023, 1, 1), **kw)
    assert (current.start, current.end, current.label) == (date(2023, 1, 1), date(2023, 3, 31), "2023年第一季度")
    assert previous is not None and previous.label == "首期（至2022年12月31日）"
    # A start before the plan's own is the plan's start: obligations begin with the plan.
    assert period_bounds("quarterly", plan_start=date(2022, 2, 25), start=date(2020, 1, 1), today=date(2022, 3, 1)) == (
        period_bounds("quarterly", plan_start=date(2022, 2, 25), today=date(2022, 3, 1))
    )


def test_before_the_plan_starts_the_first_period_is_current() -> None:
    current, previous = period_bounds("monthly", plan_start=date(2022, 6, 1), today=date(2022, 1, 1))
    assert (current.start, current.end, previous) == (date(2022, 6, 1), date(2022, 6, 30), None)


# --- properties, against a naive computation --------------------------------------------------


def naive_calendar(rec: str, day: date) -> tuple[date, date]:
    """Walk day by day to the period's edges: a period starts on the 1st of a month whose number,
    counted from January, is a multiple of its length."""
    n = MONTHS[rec]

    def starts(d: date) -> bool:
        return d.day == 1 and (d.month - 1) % n == 0

    first = day
    while not starts(first):
        first -= DAY
    last = day
    while not starts(last + DAY):
        last += DAY
    return first, last


def naive_periods(rec: str, plan_start: date, start: date | None, until: date) -> list[tuple[date, date]]:
    origin = start if start and start > plan_start else plan_start
    out = [(plan_start, origin - DAY)] if origin > plan_start else []
    cal_first, cal_last = naive_calendar(rec, origin)
    left, length = (cal_last - origin).days + 1, (cal_last - cal_first).days + 1
    out.append((origin, naive_calendar(rec, cal_last + DAY)[1] if left * 2 < length else cal_last))
    while out[-1][1] < until:
        out.append(naive_calendar(rec, out[-1][1] + DAY))
    return out


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2098, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    rec=st.sampled_from(RECURRENCES),
    plan_start=days,
    offset=st.integers(min_value=-40, max_value=1500),
    start_offset=st.one_of(st.none(), st.integers(min_value=-400, max_value=900)),
)
def test_period_bounds_agree_with_a_naive_walk(
    rec: str, plan_start: date, offset: int, start_offset: int | None
) -> None:
    today = plan_start + timedelta(days=offset)
    start = plan_start + timedelta(days=start_offset) if start_offset is not None else None
    current, previous = period_bounds(rec, plan_start=plan_start, start=start, today=today)
    expected = naive_periods(rec, plan_start, start, max(today, plan_start))
    holding = next(i for i, (s, e) in enumerate(expected) if today <= e)
    assert (current.start, current.end) == expected[holding]
    assert ((previous.start, previous.end) if previous else None) == (expected[holding - 1] if holding else None)
    # The same periods, listed.
    listed = [(p.start, p.end) for p in islice(periods(rec, plan_start=plan_start, start=start), len(expected))]
    assert listed == expected


@settings(max_examples=300, deadline=None)
@given(rec=st.sampled_from(RECURRENCES), plan_start=days, offset=st.integers(min_value=0, max_value=3000))
def test_periods_tile_the_calendar_and_end_on_period_ends(rec: str, plan_start: date, offset: int) -> None:
    today = plan_start + timedelta(days=offset)
    current, previous = period_bounds(rec, plan_start=plan_start, today=today)
    assert current.start <= today <= current.end
    assert today in current
    # Every period ends on the last day of a calendar period of its kind.
    assert (current.end + DAY).day == 1 and current.end.month % MONTHS[rec] == 0
    if previous is not None:
        assert previous.end + DAY == current.start
        assert previous.start >= plan_start
    else:
        assert current.start == plan_start
    # No period is shorter than half a calendar period; only a first one joined to the next is longer.
    full = (naive_calendar(rec, current.end)[1] - naive_calendar(rec, current.end)[0]).days + 1
    length = (current.end - current.start).days + 1
    assert full / 2 <= length <= full or (previous is None and full < length < 2 * full)
    # The due date is the current period's end, and it never goes back as days pass.
    due = current_due(rec, plan_start=plan_start, today=today)
    assert due == current.end
    assert current_due(rec, plan_start=plan_start, today=today + DAY) >= due


def test_a_period_knows_its_days() -> None:
    period = Period(date(2022, 7, 1), date(2022, 9, 30), "2022年第三季度")
    assert date(2022, 9, 30) in period and date(2022, 10, 1) not in period and "2022-09-30" not in period
