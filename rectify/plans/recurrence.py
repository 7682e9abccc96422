"""Recurring deadlines (每月 / 每季度 / 每半年 / 每年): their periods and successive due dates.

Owns `period_bounds` (the current period on a day and the one before it), `periods` (every period
from the first, in order), `calendar_period` and the periods' Chinese names. Pure Python like the
deadline grammar (`rectify.plans.deadlines` reads the words): no clock, no ORM — `today` is always
a parameter, so the scan, the pages and the tests agree on every date.

The periods of a recurring deadline:

* **Calendar periods.** A month, a quarter (1–3, 4–6, 7–9, 10–12 月), a half year (1–6, 7–12 月)
  or a year; each falls due on its last day (月底, 季度末, 6-30 / 12-31, 12-31). That day is the
  measure's `due_on` while the period runs; the daily scan moves it on when the period ends.
* **From the 周期起算日.** Periods run from `origin`: the measure's own start (`start_on`: 2023-01-01
  for "2023年起每季度…" or for "2022年底前完成，此后每季度…") when that is later than the plan's
  start, else the plan's start — reporting obligations start with the plan, as everywhere.
* **首期.** When the measure's own start is later than the plan's, the time from the plan's start
  to the day before it is one period of its own (for "2022年底前完成，此后…" it ends on the date
  the text names first).
* **A short first period is joined to the next.** The first calendar period is cut to begin at
  `origin`; when less than half of it is left (a plan issued on 20 June, quarterly) it runs on to
  the end of the next calendar period, so that nobody owes a report within a few days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from .deadlines import RECURRENCE_MONTHS, Recurrence, last_day_of_month

ONE_DAY = timedelta(days=1)
_QUARTERS = "一二三四"


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    # 2022年9月 / 2022年第三季度 / 2022年下半年 / 2022年度 / 首期（至2022年12月31日）
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def calendar_period(recurrence: Recurrence | str, day: date) -> tuple[date, date]:
    """The calendar month / quarter / half year / year holding `day`: (first day, last day)."""
    months = RECURRENCE_MONTHS[Recurrence(recurrence)]
    first = (day.month - 1) // months * months + 1
    return date(day.year, first, 1), last_day_of_month(day.year, first + months - 1)


def calendar_name(recurrence: Recurrence | str, day: date) -> str:
    """The name of the calendar period holding `day`: 2022年9月, 2022年第三季度, 2022年下半年, 2022年度."""
    recurrence = Recurrence(recurrence)
    if recurrence is Recurrence.MONTHLY:
        return f"{day.year}年{day.month}月"
    if recurrence is Recurrence.QUARTERLY:
        return f"{day.year}年第{_QUARTERS[(day.month - 1) // 3]}季度"
    if recurrence is Recurrence.HALF_YEARLY:
        return f"{day.year}年{'上' if day.month <= 6 else '下'}半年"
    return f"{day.year}年度"


def _regular(recurrence: Recurrence, start: date, end: date) -> Period:
    """A period ending on a calendar period's last day, named after that calendar period; "自…起"
    when it begins later than the calendar period does (the first one)."""
    label = calendar_name(recurrence, end)
    if start != calendar_period(recurrence, end)[0]:
        label += f"（自{cn_date(start)}起）"
    return Period(start, end, label)


def _origin(plan_start: date, start: date | None) -> date:
    return max(start, plan_start) if start else plan_start


def _head(plan_start: date, origin: date) -> Period | None:
    if origin <= plan_start:
        return None
    end = origin - ONE_DAY
    return Period(plan_start, end, f"首期（至{cn_date(end)}）")


def _first(recurrence: Recurrence, origin: date) -> Period:
    cal_start, cal_end = calendar_period(recurrence, origin)
    left = (cal_end - origin).days + 1
    if 2 * left < (cal_end - cal_start).days + 1:
        cal_end = calendar_period(recurrence, cal_end + ONE_DAY)[1]
    return _regular(recurrence, origin, cal_end)


def period_bounds(
    recurrence: Recurrence | str, *, plan_start: date, today: date, start: date | None = None
) -> tuple[Period, Period | None]:
    """(the current period, the one before it) on `today`; the previous is None while the first
    period runs. Before the plan starts the current period is the first one."""
    recurrence = Recurrence(recurrence)
    origin = _origin(plan_start, start)
    head = _head(plan_start, origin)
    first = _first(recurrence, origin)
    if head is not None and today <= head.end:
        return head, None
    if today <= first.end:
        return first, head
    current = _regular(recurrence, *calendar_period(recurrence, today))
    before = calendar_period(recurrence, current.start - ONE_DAY)
    previous = first if before[1] == first.end else _regular(recurrence, *before)
    return current, previous


def current_due(recurrence: Recurrence | str, *, plan_start: date, today: date, start: date | None = None) -> date:
    """The due date of a recurring deadline on `today`: the last day of the current period."""
    return period_bounds(recurrence, plan_start=plan_start, today=today, start=start)[0].end


def periods(recurrence: Recurrence | str, *, plan_start: date, start: date | None = None) -> Iterator[Period]:
    """Every period in order, without end (take what you need)."""
    recurrence = Recurrence(recurrence)
    origin = _origin(plan_start, start)
    head = _head(plan_start, origin)
    if head is not None:
        yield head
    period = _first(recurrence, origin)
    while True:
        yield period
        period = _regular(recurrence, *calendar_period(recurrence, period.end + ONE_DAY))
