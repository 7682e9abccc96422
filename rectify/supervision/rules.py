"""The warning rules: one item's deadline, status and reported progress → a green/yellow/red level with reasons.

Owns `assess` and its inputs/outputs (`ItemInput`, `MilestoneInput`, `Thresholds`, `Reason`, `Assessment`),
序时进度 (`schedule_share`), the level order (`Level`, `LEVEL_ORDER`, `worst`) and the percent wording shared
with the ledgers (`format_percent`, `format_rate`). Pure Python, importable without Django: no ORM and no clock —
`today` is always a parameter, so the same input always gives the same answer and the same dedupe keys.
Reasons whose words change with the day carry `args` (what the words are made of) and get their words from
`rectify.plans.warning_text`, which renders the stored reasons for any day the same way.

The rules, in the order `assess` applies them:

* Status 已销号 (closed) is green "已销号"; 已完成待验收 (completed) is green "已完成待验收": waiting for
  acceptance is not the unit's fault. Neither checks milestones.
* Status 已完成、长期坚持 (ongoing), and the kinds immediate_ongoing / immediate / ongoing, are never due: they are
  re-checked. ref = last report, else the plan's start; more than `recheck_days` days since ref → yellow
  ``recheck:{ref}``.
* Dated rule (date; range; external with a date; scheduled, whose due is the plan's horizon): after D → red
  ``overdue:{D}``; 0..`due_soon_days` days before D → yellow ``due_soon:{D}``; and, unless overdue, 序时进度 over
  [S, D] minus the reported progress (never reported = 0) more than `lag_tolerance` points → yellow ``lag:{D}``.
  S is a range's own start when it has one, else the plan's start.
* external without a date, scheduled without a horizon, date/range without a date and unknown → yellow
  ``no_date``; a whole deadline of kind completed → nothing.
* Annual (按年度完成任务) falls due every 12-31. If last year's 12-31 is within the plan and nothing has been
  reported this year and the last progress is below 100 → red ``annual_missed:{Y-1}``. Then the dated rule for this
  year's 12-31 with S = max(plan start, 1 January), counting progress only when reported this year.
* Recurring (每月 / 每季度 / 每半年 / 每年; periods by `rectify.plans.recurrence.period_bounds` from the item's
  own start, else the plan's start): a report counts for the period its date (the unit's first submission) falls in.
  The previous period ended without a report → red ``recurring_missed:{its start}`` "2022年第三季度未报送整改情况";
  the current period ends within `due_soon_days` days and nothing was reported in it yet → yellow
  ``recurring_due:{its end}``. No 序时进度 (expected is None) and never overdue as a whole: due is the current
  period's end. A recurring deadline without its period → yellow ``no_date``.
* Compound: each part by its own kind (completed and unknown parts → nothing); keys get ``p{i}:`` (from 1) and
  messages the part's scope. The assessment's due/expected are those of the earliest-due part still open.
* Milestones (only while in_progress): an unreached one after its date → red ``milestone_overdue:{due}``;
  0..`due_soon_days` days before → yellow ``milestone_soon:{due}``. Milestones on the same date share one reason.
* The level is the worst reason's; reasons are sorted worst first, otherwise in the order above.

`next_change` gives the first day after `today` on which an item's stored outcome may differ: the daily
scan re-assesses an item only from then on (or when its inputs change).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from rectify.core.formats import format_percent as format_percent  # shared wording, used as rules.format_percent
from rectify.plans import warning_text
from rectify.plans.recurrence import Period, period_bounds
from rectify.plans.warning_text import schedule_share as schedule_share  # 序时进度, also rules.schedule_share


class Level(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LEVEL_LABELS: dict[str, str] = {
    Level.GREEN: "绿色",
    Level.YELLOW: "黄色",
    Level.RED: "红色",
}

# Keyed by Level, which is a str, so plain slugs read from the database look up too.
LEVEL_ORDER: dict[str, int] = {
    Level.GREEN: 0,
    Level.YELLOW: 1,
    Level.RED: 2,
}

# Deadline kinds and item statuses as slugs: this module must not import the Django models that define them.
_DATED = frozenset({"date", "range"})
# The kinds that are never due but re-checked (`_recheck`): public, since the ledger export keys
# its assessments by what each rule reads (documents.ledger_rules).
RECHECKED_KINDS = frozenset({"immediate_ongoing", "immediate", "ongoing"})
_RECHECKED = RECHECKED_KINDS
_STATUS_CLOSED = "closed"
_STATUS_COMPLETED = "completed"
_STATUS_ONGOING = "ongoing"

MSG_NO_DATE = "整改时限待确认"
MSG_EXTERNAL_NO_DATE = "需录入上级方案规定的整改时限"
MSG_SCHEDULED_NO_DATE = "需确定序时进度的截止日期"
MSG_RECURRING_NO_PERIOD = "需确定周期（每月/每季度/每半年/每年）"
_RECURRENCES = frozenset({"monthly", "quarterly", "half_yearly", "yearly"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    # Yellow when 0 <= due - today <= this many days.
    due_soon_days: int = 15
    # Yellow when 序时进度 - progress exceeds this many percentage points.
    lag_tolerance: float = 10.0
    # Re-checked kinds are expected to report at least this often.
    recheck_days: int = 31


@dataclass(frozen=True, slots=True)
class MilestoneInput:
    due: date
    raw: str
    reached: bool


@dataclass(frozen=True, slots=True)
class ItemInput:
    kind: str
    due: date | None
    start: date | None
    status: str
    # The plan's start: the origin of 序时进度.
    plan_start: date
    # Latest reported percent 0..100; None when never reported.
    progress: float | None = None
    last_report: date | None = None
    # Compound parts as stored: {"scope", "raw", "kind", "due": "YYYY-MM-DD" | None, "start": ...}.
    parts: Sequence[Mapping[str, Any]] = ()
    milestones: Sequence[MilestoneInput] = ()
    # The plan's latest due date: what a "scheduled" item runs up to.
    plan_horizon: date | None = None
    # Recurring only: the period (monthly / quarterly / half_yearly / yearly) and the days the unit
    # reported on (its counted reports' first submission, local dates).
    recurrence: str = ""
    reports: Sequence[date] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    level: Level
    code: str
    # Stays the same while the condition holds, so a notifier can tell a new warning from a repeated one.
    key: str
    message: str
    # A reason whose words change with the day (days left or past, 序时进度): what they are made
    # of, stored instead of the message (plans.warning_text renders it for any day).
    args: Mapping[str, Any] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Assessment:
    level: Level
    reasons: tuple[Reason, ...]
    # 序时进度 for the governing date; None when the item is not time-bound.
    expected: float | None
    due: date | None
    # What to say when there is no reason to warn.
    note: str = "正常"

    @property
    def summary(self) -> str:
        if not self.reasons:
            return self.note
        return "；".join(r.message for r in self.reasons)


@dataclass(slots=True)
class _Outcome:
    reasons: list[Reason] = field(default_factory=list)
    expected: float | None = None
    due: date | None = None


# --- numbers and wording ---------------------------------------------------------------------


def worst(levels: Iterable[Level | str]) -> Level:
    result = Level.GREEN
    for level in levels:
        if LEVEL_ORDER[level] > LEVEL_ORDER[result]:
            result = Level(level)
    return result


def _clamp_progress(value: float | None) -> float:
    if value is None or math.isnan(value):
        return 0.0
    return min(max(float(value), 0.0), 100.0)


def _as_date(value: Any) -> date | None:
    # Parts come from JSON, so dates are ISO strings; tolerate real dates and junk alike.
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


# --- the rules -------------------------------------------------------------------------------


def _dated(due: date, start: date, progress: float, today: date, th: Thresholds) -> _Outcome:
    expected = schedule_share(start, due, today)
    out = _Outcome(expected=expected, due=due)
    left = (due - today).days
    on = {"due": due.isoformat()}
    if left < 0:
        out.reasons.append(Reason(Level.RED, "overdue", f"overdue:{due}", warning_text.deadline(due, today), on))
        return out
    if left <= th.due_soon_days:
        out.reasons.append(Reason(Level.YELLOW, "due_soon", f"due_soon:{due}", warning_text.deadline(due, today), on))
    # Rounded so that "exactly 10 points behind" stays exactly 10 despite binary floats.
    if round(expected - progress, 6) > th.lag_tolerance:
        message = warning_text.lag(progress, start, due, today)
        args = {"progress": progress, "start": start.isoformat(), "due": due.isoformat()}
        out.reasons.append(Reason(Level.YELLOW, "lag", f"lag:{due}", message, args))
    return out


def _no_date(message: str) -> _Outcome:
    return _Outcome(reasons=[Reason(Level.YELLOW, "no_date", "no_date", message)])


def _recheck(kind: str, item: ItemInput, today: date, th: Thresholds) -> _Outcome:
    ref = item.last_report or item.plan_start
    if (today - ref).days <= th.recheck_days:
        return _Outcome()
    label = "立行立改" if kind == "immediate" else "长期坚持"
    message = f"已超过{th.recheck_days}天未报送进展（{label}事项按期复核）"
    return _Outcome(reasons=[Reason(Level.YELLOW, "recheck", f"recheck:{ref}", message)])


def _annual(item: ItemInput, today: date, th: Thresholds) -> _Outcome:
    year = today.year
    reported_this_year = item.last_report is not None and item.last_report.year == year
    # Only a report made this year speaks for this year's task; plain date() arithmetic keeps Feb 29 harmless.
    previous_end = date(year - 1, 12, 31)
    missed = previous_end >= item.plan_start and not reported_this_year and _clamp_progress(item.progress) < 100
    progress = _clamp_progress(item.progress) if reported_this_year else 0.0
    out = _dated(date(year, 12, 31), max(item.plan_start, date(year, 1, 1)), progress, today, th)
    if missed:
        message = f"{year - 1}年度任务未报完成"
        out.reasons.insert(0, Reason(Level.RED, "annual_missed", f"annual_missed:{year - 1}", message))
    return out


def _reported_in(period: Period, item: ItemInput, today: date) -> bool:
    return any(period.start <= day <= min(period.end, today) for day in item.reports)


def _recurring(recurrence: str, start: date | None, item: ItemInput, today: date, th: Thresholds) -> _Outcome:
    """Each period must see a report of its own: red for the previous period without one, yellow
    while the current one nears its end without one. No 序时进度: a recurring task is not a
    percentage of one job done."""
    if recurrence not in _RECURRENCES:
        return _no_date(MSG_RECURRING_NO_PERIOD)
    current, previous = period_bounds(recurrence, plan_start=item.plan_start, start=start, today=today)
    out = _Outcome(due=current.end)
    if previous is not None and not _reported_in(previous, item, today):
        message = f"{previous.label}未报送整改情况"
        out.reasons.append(Reason(Level.RED, "recurring_missed", f"recurring_missed:{previous.start}", message))
    left = (current.end - today).days
    if current.start <= today and left <= th.due_soon_days and not _reported_in(current, item, today):
        message = warning_text.period_due(current.label, current.end, today)
        args = {"label": current.label, "end": current.end.isoformat()}
        out.reasons.append(Reason(Level.YELLOW, "recurring_due", f"recurring_due:{current.end}", message, args))
    return out


def _by_kind(kind: str, due: date | None, start: date | None, item: ItemInput, today: date, th: Thresholds) -> _Outcome:
    """One deadline (a whole one or a compound's part) by its kind; unknown and completed give nothing."""
    progress = _clamp_progress(item.progress)
    if kind in _DATED:
        if due is None:
            return _no_date(MSG_NO_DATE)
        origin = start if kind == "range" and start is not None else item.plan_start
        return _dated(due, origin, progress, today, th)
    if kind == "external":
        if due is None:
            return _no_date(MSG_EXTERNAL_NO_DATE)
        return _dated(due, item.plan_start, progress, today, th)
    if kind == "scheduled":
        if item.plan_horizon is None:
            return _no_date(MSG_SCHEDULED_NO_DATE)
        return _dated(item.plan_horizon, item.plan_start, progress, today, th)
    if kind in _RECHECKED:
        return _recheck(kind, item, today, th)
    if kind == "annual":
        return _annual(item, today, th)
    if kind == "recurring":
        return _recurring(item.recurrence, start, item, today, th)
    return _Outcome()


def _compound(item: ItemInput, today: date, th: Thresholds) -> _Outcome:
    out = _Outcome()
    for i, part in enumerate(item.parts, start=1):
        kind = str(part.get("kind") or "unknown")
        scope = part.get("scope") or f"分项{i}"
        subject = (
            replace(item, recurrence=str(part.get("recurrence") or item.recurrence)) if kind == "recurring" else item
        )
        sub = _by_kind(kind, _as_date(part.get("due")), _as_date(part.get("start")), subject, today, th)
        out.reasons.extend(
            Reason(
                r.level,
                r.code,
                f"p{i}:{r.key}",
                f"{scope}：{r.message}",
                None if r.args is None else {**r.args, "scope": scope},
            )
            for r in sub.reasons
        )
        if sub.due is not None and (out.due is None or sub.due < out.due):
            out.due, out.expected = sub.due, sub.expected
    return out


def _milestones(item: ItemInput, today: date, th: Thresholds) -> list[Reason]:
    # Grouped by date so that two nodes falling on one day do not produce two reasons with one key.
    by_due: dict[date, list[str]] = {}
    for milestone in item.milestones:
        if not milestone.reached:
            by_due.setdefault(milestone.due, []).append(milestone.raw)
    reasons = []
    for due, raws in by_due.items():
        names = "、".join(f"“{raw}”" for raw in raws)
        left = (due - today).days
        if left < 0:
            message = f"阶段性节点{names}（{due}）已过期未完成"
            reasons.append(Reason(Level.RED, "milestone_overdue", f"milestone_overdue:{due}", message))
        elif left <= th.due_soon_days:
            message = warning_text.milestone(names, due, today)
            args = {"names": names, "due": due.isoformat()}
            reasons.append(Reason(Level.YELLOW, "milestone_soon", f"milestone_soon:{due}", message, args))
    return reasons


def assess(item: ItemInput, today: date, thresholds: Thresholds = Thresholds()) -> Assessment:
    if item.status == _STATUS_CLOSED:
        return Assessment(Level.GREEN, (), None, None, note="已销号")
    if item.status == _STATUS_COMPLETED:
        return Assessment(Level.GREEN, (), None, None, note="已完成待验收")
    if item.status == _STATUS_ONGOING:
        out = _recheck(_STATUS_ONGOING, item, today, thresholds)
    elif item.kind == "compound" and item.parts:
        out = _compound(item, today, thresholds)
    elif item.kind == "completed":
        out = _Outcome()
    elif (
        item.kind in _DATED or item.kind in _RECHECKED or item.kind in {"annual", "external", "scheduled", "recurring"}
    ):
        out = _by_kind(item.kind, item.due, item.start, item, today, thresholds)
    else:
        # unknown, a compound without parts, or a slug this module does not know: someone must look at it.
        out = _no_date(MSG_NO_DATE)
    if item.status != _STATUS_ONGOING:
        out.reasons.extend(_milestones(item, today, thresholds))
    reasons = sorted(out.reasons, key=lambda r: -LEVEL_ORDER[r.level])
    return Assessment(worst(r.level for r in reasons), tuple(reasons), out.expected, out.due)


# --- when the outcome can next change ------------------------------------------------------------
#
# The daily scan re-assesses a share only on the days its stored outcome (the level and the reasons
# as assessing.reasons_json keeps them: codes, keys, levels, and the args or fixed words) can differ
# from today's. Each rule's outcome is a step function of the day: these give its next step after
# `today`. Earlier than the real change is harmless (one more assessment); later never is.
# tests/domain/test_next_change.py walks every day up to the date given and checks nothing changed.


def _first(*days: date | None) -> date | None:
    found = [d for d in days if d is not None]
    return min(found) if found else None


def _after(today: date, day: date) -> date | None:
    """`day` when it is still to come."""
    return day if day > today else None


def _dated_next(due: date, start: date, progress: float, today: date, th: Thresholds) -> date | None:
    if today > due:
        return None  # overdue from now on, and nothing else is said
    soon = _after(today, due - timedelta(days=th.due_soon_days))
    lag = None
    # 序时进度 never falls as the days go by, so once behind stays behind until overdue: the first
    # day behind (rounded as _dated rounds) is found by bisection over (today, due].
    if not round(schedule_share(start, due, today) - progress, 6) > th.lag_tolerance:
        low, high = today, due + timedelta(days=1)  # not behind on `low`; `high` past the last day
        while (high - low).days > 1:
            mid = low + timedelta(days=(high - low).days // 2)
            if round(schedule_share(start, due, mid) - progress, 6) > th.lag_tolerance:
                high = mid
            else:
                low = mid
        lag = high if high <= due else None
    return _first(soon, lag, due + timedelta(days=1))


def _recheck_next(item: ItemInput, today: date, th: Thresholds) -> date | None:
    ref = item.last_report or item.plan_start
    return _after(today, ref + timedelta(days=th.recheck_days + 1))


def _recurring_next(recurrence: str, start: date | None, item: ItemInput, today: date, th: Thresholds) -> date | None:
    if recurrence not in _RECURRENCES:
        return None
    current, _ = period_bounds(recurrence, plan_start=item.plan_start, start=start, today=today)
    reported = min((d for d in item.reports if d > today), default=None)  # a report counts from its day
    return _first(
        current.end + timedelta(days=1),
        _after(today, current.start),
        _after(today, current.end - timedelta(days=th.due_soon_days)),
        reported,
    )


def _by_kind_next(
    kind: str, due: date | None, start: date | None, item: ItemInput, today: date, th: Thresholds
) -> date | None:
    progress = _clamp_progress(item.progress)
    if kind in _DATED or kind == "external":
        if due is None:
            return None
        origin = start if kind == "range" and start is not None else item.plan_start
        return _dated_next(due, origin, progress, today, th)
    if kind == "scheduled":
        if item.plan_horizon is None:
            return None
        return _dated_next(item.plan_horizon, item.plan_start, progress, today, th)
    if kind in _RECHECKED:
        return _recheck_next(item, today, th)
    if kind == "annual":
        year = today.year
        reported_this_year = item.last_report is not None and item.last_report.year == year
        progress = progress if reported_this_year else 0.0
        # A new year changes everything (the missed year, the progress counted, the due date).
        within = _dated_next(date(year, 12, 31), max(item.plan_start, date(year, 1, 1)), progress, today, th)
        return _first(within, date(year + 1, 1, 1))
    if kind == "recurring":
        return _recurring_next(item.recurrence, start, item, today, th)
    return None


def next_change(item: ItemInput, today: date, thresholds: Thresholds = Thresholds()) -> date | None:
    """The first day after `today` on which `assess(item, day)` may be stored differently from
    `assess(item, today)`; None when it never will (closed, completed, no date...)."""
    th = thresholds
    if item.status in (_STATUS_CLOSED, _STATUS_COMPLETED):
        return None
    if item.status == _STATUS_ONGOING:
        return _recheck_next(item, today, th)
    found: date | None
    if item.kind == "compound" and item.parts:
        found = None
        for part in item.parts:
            kind = str(part.get("kind") or "unknown")
            subject = (
                replace(item, recurrence=str(part.get("recurrence") or item.recurrence))
                if kind == "recurring"
                else item
            )
            found = _first(
                found, _by_kind_next(kind, _as_date(part.get("due")), _as_date(part.get("start")), subject, today, th)
            )
    elif (
        item.kind in _DATED or item.kind in _RECHECKED or item.kind in {"annual", "external", "scheduled", "recurring"}
    ):
        found = _by_kind_next(item.kind, item.due, item.start, item, today, th)
    else:
        found = None  # completed, unknown, a compound without parts: the same every day
    for milestone in item.milestones:
        if not milestone.reached and today <= milestone.due:
            found = _first(
                found,
                _after(today, milestone.due - timedelta(days=th.due_soon_days)),
                milestone.due + timedelta(days=1),
            )
    return found
