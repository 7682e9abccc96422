"""The one clock: "today" is always the date in Asia/Shanghai.

Tests freeze it with time-machine; nothing else in the code calls date.today() or datetime.now().
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current moment, timezone-aware."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in Asia/Shanghai, whatever the server's own timezone."""
    return timezone.now().astimezone(SHANGHAI).date()
