"""The API's rate limits (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]: "user", "anon"), at a fixed
cost per call.

DRF's own throttles keep, per user, the list of every call's time in the last period and read and
write the whole list on every call: at a sync's rate (thousands of calls a minute) that is a pickle
of thousands of floats through the cache each call. These count instead: one counter per user (or
address) and period, in the same shared cache (RECTIFY_CACHE_URL: every app machine counts into
it), and a call is allowed while

    calls in this period + calls in the previous period × the share of it still in the window

stays under the rate — the previous period's calls are assumed spread evenly, so the limit slides
with time as DRF's does (no burst of twice the rate across a period's edge) at the cost of one small
read and one small write. A cache that counts by itself (Redis) gets one key per period and an
atomic increment (calls from several machines at once are all counted); the file and database
caches one key per user holding (period, count, previous count), so they keep one file or row per
user as before. Over the rate: False, and DRF answers 429 with its (Chinese) "请求超过了限流"
message and Retry-After, as before.
"""

from __future__ import annotations

import math
from typing import Any

from django.core.cache.backends.base import BaseCache
from rest_framework import throttling


def _atomic_incr(cache: Any) -> bool:
    """Whether the backend counts by itself (Redis, locmem): its incr is atomic and keeps the
    key's expiry. The base incr (file, database caches) is a get then a set with the default
    timeout, which would cut a day's counter to five minutes."""
    return getattr(cache.incr, "__func__", None) is not BaseCache.incr  # cache may be Django's proxy


class SlidingWindowCounter(throttling.SimpleRateThrottle):
    num_requests: int  # set by SimpleRateThrottle from the rate (the stubs leave them out)
    duration: int
    current = previous = 0
    elapsed = 0.0

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        limit, duration = self.num_requests, self.duration
        self.now = self.timer()
        window = int(self.now // duration)
        self.elapsed = self.now - window * duration
        atomic = _atomic_incr(self.cache)
        if atomic:  # one key per period, counted by the cache itself
            current, previous = f"{self.key}:{window}", f"{self.key}:{window - 1}"
            counts = self.cache.get_many([current, previous])
            self.current, self.previous = int(counts.get(current, 0)), int(counts.get(previous, 0))
        else:  # one key per user (as DRF's): (period, its count, the previous period's count)
            stored = self.cache.get(self.key)
            at, count, before = stored if isinstance(stored, tuple) and len(stored) == 3 else (None, 0, 0)
            if at == window:
                self.current, self.previous = int(count), int(before)
            else:
                self.current, self.previous = 0, int(count) if at == window - 1 else 0
        if self.current + self.previous * (1 - self.elapsed / duration) >= limit:
            return self.throttle_failure()
        timeout = 2 * duration  # the next period still reads it
        if not atomic:
            self.cache.set(self.key, (window, self.current + 1, self.previous), timeout)
        elif not self.cache.add(current, 1, timeout):
            try:
                self.cache.incr(current)
            except ValueError:  # expired between the two
                self.cache.set(current, 1, timeout)
        return True

    def wait(self) -> float | None:
        """Seconds until the weighted count falls under the rate."""
        limit, duration = self.num_requests, self.duration
        if self.current < limit and self.previous:
            # The previous period's share must fall to limit - current.
            seconds = duration * (1 - (limit - self.current) / self.previous) - self.elapsed
        else:
            # The next period, until this one's share has fallen under the rate.
            later = duration * (1 - limit / self.current) if self.current else 0.0
            seconds = duration - self.elapsed + later
        return float(max(1, math.ceil(seconds)))


class UserRateThrottle(SlidingWindowCounter, throttling.UserRateThrottle):
    """Per signed-in user (rate "user"); an anonymous caller by address."""


class AnonRateThrottle(SlidingWindowCounter, throttling.AnonRateThrottle):
    """Per address, for callers not signed in (rate "anon")."""
