"""The one clock: "today" is always the date in Asia/Shanghai.

Tests freeze it with time-machine; nothing else in the code calls date.today() or datetime.now().
A training or demo instance sets RECTIFY_TODAY=YYYY-MM-DD: the whole instance then lives on that
date (at the real time of day), and every page shows a banner saying so.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


@cache
def _fixed(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError as exc:
        raise ValueError(f"RECTIFY_TODAY 应为 YYYY-MM-DD 格式的日期，而不是“{value}”。") from exc


def instance_date() -> dt.date | None:
    """The date a training or demo instance is set to, or None on a real instance."""
    return _fixed(str(getattr(settings, "RECTIFY_TODAY", "") or ""))


def now() -> dt.datetime:
    """The current moment, timezone-aware (on the instance's date when one is set)."""
    real = timezone.now()
    fixed = instance_date()
    if fixed is None:
        return real
    local = real.astimezone(SHANGHAI)
    return dt.datetime.combine(fixed, local.timetz())


def today() -> dt.date:
    """Today's date in Asia/Shanghai, whatever the server's own timezone."""
    return now().astimezone(SHANGHAI).date()
