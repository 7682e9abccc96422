"""The player's clock: every service reads the moment the history has reached.

rectify.core.clock reads `django.utils.timezone.now()` (and RECTIFY_TODAY, cleared here so the
instance's own date cannot leak into the past it is building); model defaults call the same
function, so created_at, audit times and notifications all carry the simulated moment. A run-time
helper only: nothing outside the player patches the clock (tests use time-machine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from django.test.utils import override_settings
from django.utils import timezone

from rectify.progress.periods import SHANGHAI


class SimClock:
    """The current simulated moment (timezone-aware; naive means Asia/Shanghai)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
        return self.now

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(SHANGHAI).date()

    def _utc_now(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


@contextmanager
def frozen(start: dt.datetime) -> Iterator[SimClock]:
    """Run the block with the clock at `start`, moved by the returned SimClock."""
    sim = SimClock(start)
    with override_settings(RECTIFY_TODAY=""), mock.patch.object(timezone, "now", sim._utc_now):
        yield sim
