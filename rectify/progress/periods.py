"""Reporting periods (pure): which week or month a report covers and when it is due.

A weekly report covers Monday–Sunday and is due on the calendar's weekday of that same week
(e.g. Friday 17:00: 本周进展 and 下周计划). A monthly summary covers a calendar month and is
due on the calendar's day of the next month (e.g. the 5th, 17:00). Times are Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKLY = "weekly"
MONTHLY = "monthly"
WEEKDAY_LABELS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


@dataclass(frozen=True, slots=True)
class CalendarRule:
    weekly_weekday: int = 4  # Monday = 0: Friday
    weekly_time: dt.time = dt.time(17, 0)
    monthly_day: int = 5
    monthly_time: dt.time = dt.time(17, 0)

    def describe(self) -> str:
        return (
            f"周报：每{WEEKDAY_LABELS[self.weekly_weekday]} {self.weekly_time:%H:%M} 前；"
            f"月度总结：次月{self.monthly_day}日 {self.monthly_time:%H:%M} 前"
        )


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date
    due_at: dt.datetime

    @property
    def label(self) -> str:
        if self.kind == WEEKLY:
            year, week, _ = self.start.isocalendar()
            return f"{year}年第{week}周（{self.start:%m月%d日}—{self.end:%m月%d日}）"
        return f"{self.start.year}年{self.start.month}月"

    @property
    def key(self) -> str:
        """The period in URLs and dedupe keys: 2022-10-03 (a week's Monday) or 2022-10 (a month)."""
        return self.start.isoformat() if self.kind == WEEKLY else f"{self.start:%Y-%m}"


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=SHANGHAI)


def _month_end(first: dt.date) -> dt.date:
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def week_of(day: dt.date, rule: CalendarRule) -> Period:
    start = day - dt.timedelta(days=day.weekday())
    return Period(
        WEEKLY,
        start,
        start + dt.timedelta(days=6),
        _at(start + dt.timedelta(days=rule.weekly_weekday), rule.weekly_time),
    )


def month_of(day: dt.date, rule: CalendarRule) -> Period:
    first = day.replace(day=1)
    end = _month_end(first)
    following = end + dt.timedelta(days=1)
    due_day = following.replace(day=min(rule.monthly_day, _month_end(following).day))
    return Period(MONTHLY, first, end, _at(due_day, rule.monthly_time))


def period_of(kind: str, day: dt.date, rule: CalendarRule) -> Period:
    return week_of(day, rule) if kind == WEEKLY else month_of(day, rule)


def parse_key(kind: str, key: str, rule: CalendarRule) -> Period | None:
    """A period from its URL key; None for anything malformed."""
    try:
        day = dt.date.fromisoformat(key if kind == WEEKLY else f"{key}-01")
    except ValueError:
        return None
    if kind == WEEKLY and day.weekday() != 0:
        return None
    if kind not in (WEEKLY, MONTHLY):
        return None
    return period_of(kind, day, rule)


def periods_due_between(after: dt.datetime, upto: dt.datetime, rule: CalendarRule) -> list[Period]:
    """Every period whose deadline falls in (after, upto]: the missed-report check walks this
    range, so a scan that did not run for a week still finds every deadline it skipped."""
    out: list[Period] = []
    day = (after.astimezone(SHANGHAI) - dt.timedelta(days=7)).date()
    week = week_of(day, rule)
    while week.due_at <= upto:
        if week.due_at > after:
            out.append(week)
        week = week_of(week.start + dt.timedelta(days=7), rule)
    month = month_of(day.replace(day=1) - dt.timedelta(days=1), rule)
    while month.due_at <= upto:
        if month.due_at > after:
            out.append(month)
        month = month_of(month.end + dt.timedelta(days=1), rule)
    return sorted(out, key=lambda p: (p.due_at, p.kind))


def open_periods(today: dt.date, rule: CalendarRule) -> list[Period]:
    """What a unit is asked for now: this week's report, and the monthly summary not yet due
    (last month's until its deadline passes, then this month's)."""
    last_month = month_of(today.replace(day=1) - dt.timedelta(days=1), rule)
    month = last_month if today <= last_month.due_at.date() else month_of(today, rule)
    return [week_of(today, rule), month]
