"""The words of a warning reason on a given day (pure: no ORM, no clock).

A share stores its reasons (`Assignment.warning_reasons`) without the words that change with the
day — the days past or left before a deadline, a milestone or a period's end, and 序时进度 — so
that the daily scan rewrites a share only when its outcome changes. Such a reason is stored as
`{"level", "code", "args": {...}}`: what its words are made of (the date, the progress, the
compound part's scope); any other as `{"level", "code", "message"}`. `reasons_render` gives every
reader the same `{"level", "code", "message"}` for the day it shows (the API's shape), and
`supervision.rules` builds its messages with the same functions, so a reason read on the day it
was judged says exactly what the rules said.

Read on a later day than the scan that judged it (before that day's scan), a reason says what is
true that day of the date it stored: a deadline or a milestone that has passed since is "已超过…" /
"已过期未完成", a period that has ended is "未报送整改情况".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from rectify.core.formats import format_percent

__all__ = ["message", "reasons_render", "reasons_summary", "schedule_share"]


def schedule_share(start: dt.date, due: dt.date, today: dt.date) -> float:
    """序时进度: the share of [start, due] elapsed at today, in percent, clamped to 0..100, one decimal."""
    if start >= due:
        return 100.0 if today >= due else 0.0
    total = (due - start).days
    elapsed = min(max((today - start).days, 0), total)
    # Integer half-up rounding: float round() would make 12.25 and 12.35 go different ways.
    tenths = (elapsed * 2000 + total) // (2 * total)
    return tenths / 10


def deadline(due: dt.date, today: dt.date) -> str:
    left = (due - today).days
    if left < 0:
        return f"已超过整改时限（{due}）{-left}天"
    if left == 0:
        return f"今天是整改时限（{due}）"
    return f"距整改时限（{due}）还有{left}天"


def lag(progress: float, start: dt.date, due: dt.date, today: dt.date) -> str:
    return f"进度{format_percent(progress)}落后于序时进度{format_percent(schedule_share(start, due, today))}"


def milestone(names: str, due: dt.date, today: dt.date) -> str:
    left = (due - today).days
    if left < 0:
        return f"阶段性节点{names}（{due}）已过期未完成"
    return f"阶段性节点{names}（{due}）还有{left}天到期"


def period_due(label: str, end: dt.date, today: dt.date) -> str:
    left = (end - today).days
    if left < 0:
        return f"{label}未报送整改情况"
    when = f"今天（{end}）截止" if left == 0 else f"还有{left}天截止（{end}）"
    return f"本期（{label}）{when}，尚未报送整改情况"


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def message(code: str, args: Mapping[str, Any], today: dt.date) -> str:
    """The words of a day-relative reason (stored `args`) on `today`."""
    if code in ("overdue", "due_soon"):
        text = deadline(_day(args["due"]), today)
    elif code == "lag":
        text = lag(float(args["progress"]), _day(args["start"]), _day(args["due"]), today)
    elif code in ("milestone_soon", "milestone_overdue"):
        text = milestone(str(args["names"]), _day(args["due"]), today)
    elif code == "recurring_due":
        text = period_due(str(args["label"]), _day(args["end"]), today)
    else:
        raise ValueError(f"unknown day-relative reason: {code}")
    scope = args.get("scope")
    return f"{scope}：{text}" if scope else text


def reasons_render(stored: Iterable[Mapping[str, Any]] | None, today: dt.date) -> list[dict[str, str]]:
    """Stored reasons as readers show them on `today`: [{"level", "code", "message"}]."""
    out = []
    for r in stored or ():
        args = r.get("args")
        text = message(str(r.get("code", "")), args, today) if args is not None else str(r.get("message", ""))
        out.append({"level": str(r.get("level", "")), "code": str(r.get("code", "")), "message": text})
    return out


def reasons_summary(stored: Iterable[Mapping[str, Any]] | None, today: dt.date) -> str:
    """The reasons on `today` joined as one line ("正常" without any)."""
    return "；".join(r["message"] for r in reasons_render(stored, today)) or "正常"
