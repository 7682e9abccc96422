"""The one clock: today in Asia/Shanghai, frozen by tests."""

import datetime as dt

import time_machine

from rectify.core import clock


def test_today_is_the_date_in_shanghai_not_utc() -> None:
    # 2022-09-30 17:30 UTC is already 2022-10-01 01:30 in Shanghai.
    with time_machine.travel(dt.datetime(2022, 9, 30, 17, 30, tzinfo=dt.UTC), tick=False):
        assert clock.today() == dt.date(2022, 10, 1)


def test_now_is_timezone_aware() -> None:
    assert clock.now().tzinfo is not None
