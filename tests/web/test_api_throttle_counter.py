"""The API's rate limit counts per user and period in the shared cache (rectify.api.throttling):
the same 429 in Chinese with Retry-After, a window that slides (no double burst across a period's
edge), each user on their own, and the same figures on every backend a deployment uses."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from rest_framework.throttling import UserRateThrottle

from rectify.accounts.services import token_issue

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
# 09:00:00 is the start of a minute: a period of the "…/min" rate.
NINE = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=SH)


@pytest.fixture(params=["locmem", "file", "db"])
def cache_backend(request: Any, settings: Any, tmp_path: Any) -> str:
    if request.param == "file":
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
        }
    elif request.param == "db":
        from django.core.management import call_command

        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_rate_cache"}
        }
        call_command("createcachetable", verbosity=0)
    return str(request.param)


def _client(users: Any, name: str = "leader") -> Client:
    _, raw = token_issue(actor=users[name], name="对接")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_the_sixth_call_of_five_a_minute_is_refused_in_chinese_with_retry_after(
    users: Any, monkeypatch: Any, cache_backend: str
) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "5/min", "anon": "5/min"})
    client = _client(users)
    with time_machine.travel(NINE + dt.timedelta(seconds=10), tick=False):
        assert [client.get("/api/v1/plans/").status_code for _ in range(5)] == [200] * 5
        refused = client.get("/api/v1/plans/")
    assert refused.status_code == 429
    assert "限流" in refused.json()["detail"] and "秒" in refused.json()["detail"]
    # The next minute: this one's 5 calls weigh under 5 from its first moment on.
    assert int(refused["Retry-After"]) == 50


def test_the_window_slides_over_the_edge_of_a_minute(users: Any, monkeypatch: Any, cache_backend: str) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "5/min", "anon": "5/min"})
    client = _client(users)
    with time_machine.travel(NINE + dt.timedelta(seconds=59), tick=False) as clock:
        assert all(client.get("/api/v1/plans/").status_code == 200 for _ in range(5))
        # One second into the next minute the last minute's 5 calls weigh 5 × 59/60: one more
        # call, not a new burst of five.
        clock.shift(dt.timedelta(seconds=2))
        assert [client.get("/api/v1/plans/").status_code for _ in range(2)] == [200, 429]
        # 31 s in: 1 + 5 × 29/60 = 3.4 — two more calls, not a third.
        clock.shift(dt.timedelta(seconds=30))
        assert [client.get("/api/v1/plans/").status_code for _ in range(3)] == [200, 200, 429]
        # Two minutes after the burst, the whole rate again.
        clock.shift(dt.timedelta(minutes=2))
        assert all(client.get("/api/v1/plans/").status_code == 200 for _ in range(5))
        assert client.get("/api/v1/plans/").status_code == 429


def test_each_user_has_their_own_count(users: Any, monkeypatch: Any, cache_backend: str) -> None:
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})
    leader, clerk = _client(users, "leader"), _client(users, "county_clerk")
    with time_machine.travel(NINE, tick=False):
        assert [leader.get("/api/v1/plans/").status_code for _ in range(3)] == [200, 200, 429]
        assert clerk.get("/api/v1/plans/").status_code == 200


def test_a_daily_rate_keeps_its_count_all_day(users: Any, monkeypatch: Any, cache_backend: str) -> None:
    # The file and database caches have no counter of their own: the count is written with the
    # period's own expiry, not the cache's five-minute default.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/day", "anon": "3/day"})
    client = _client(users)
    with time_machine.travel(NINE, tick=False) as clock:
        assert all(client.get("/api/v1/plans/").status_code == 200 for _ in range(3))
        clock.shift(dt.timedelta(hours=2))
        assert client.get("/api/v1/plans/").status_code == 429


def test_anonymous_callers_are_counted_by_address(monkeypatch: Any, cache_backend: str) -> None:
    # Every ledger endpoint wants a signed-in user (401 comes first): the anonymous rate guards
    # the open ones; counted here on the throttle itself.
    from django.contrib.auth.models import AnonymousUser
    from rest_framework import throttling
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from rectify.api.throttling import AnonRateThrottle

    monkeypatch.setattr(throttling.AnonRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": "2/min"})

    def allowed(address: str) -> bool:
        request = Request(APIRequestFactory().get("/api/v1/schema/", REMOTE_ADDR=address))
        request.user = AnonymousUser()
        return AnonRateThrottle().allow_request(request, None)

    with time_machine.travel(NINE, tick=False):
        assert [allowed("203.0.113.7") for _ in range(3)] == [True, True, False]
        assert allowed("203.0.113.8")


def test_the_file_cache_keeps_one_counter_per_user(users: Any, settings: Any, tmp_path: Any) -> None:
    # Not one file per user and minute: the portal's pages share the cache and its size limit.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    client = _client(users)
    with time_machine.travel(NINE, tick=False) as clock:
        for _ in range(4):
            assert client.get("/api/v1/plans/").status_code == 200
            clock.shift(dt.timedelta(minutes=1))
    assert len(list(tmp_path.glob("*.djcache"))) == 1
