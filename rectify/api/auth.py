"""Bearer token authentication against accounts.ApiToken (hashed at rest): expired tokens are
refused, read-only tokens may not write, and bad tokens are counted per address and throttled.

A token's `last_used_at` says when it was last used to within a minute: it is written only when
the stored moment is older than LAST_USED_PRECISION, so a system syncing many calls a second does
not pay one more UPDATE (and, on SQLite, one more write lock) per call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from rectify.accounts.models import ApiToken, hash_token
from rectify.accounts.network import client_ip
from rectify.core import clock

LAST_USED_PRECISION = dt.timedelta(minutes=1)


class BadTokenThrottle(SimpleRateThrottle):
    """Failed token attempts per client address (rate "bad_token" in REST_FRAMEWORK): past the
    rate, every token from that address is refused with 429 until the window has passed."""

    scope = "bad_token"

    def get_rate(self) -> str | None:
        # Read at each request (not frozen at import) so a changed setting applies at once.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return str(rate) if rate else None

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}

    def blocked_for(self, request: Any) -> float | None:
        """Seconds to wait when the address is already over the rate, else None (nothing counted)."""
        if self.rate is None:
            return None
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return None
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - duration:
            self.history.pop()
        if len(self.history) >= limit:
            return self.wait()
        return None

    def count_failure(self, request: Any) -> None:
        if self.rate is not None:
            self.allow_request(request, None)  # type: ignore[arg-type]


def _throttled(wait: float | None) -> exceptions.Throttled:
    seconds = max(1, round(wait or 60))
    return exceptions.Throttled(wait=seconds, detail=f"令牌验证失败次数过多，请 {seconds} 秒后再试。")


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Any) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0] != self.keyword:
            return None
        throttle = BadTokenThrottle()
        wait = throttle.blocked_for(request)
        if wait is not None:
            raise _throttled(wait)
        if len(parts) != 2:
            throttle.count_failure(request)
            raise exceptions.AuthenticationFailed("Authorization 头格式应为：Bearer <令牌>")
        token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(parts[1])).first()
        if token is None or token.revoked or not token.user.is_active:
            throttle.count_failure(request)
            raise exceptions.AuthenticationFailed("令牌无效或已吊销。")
        if token.is_expired:
            expired_on = timezone.localtime(token.expires_at).strftime("%Y-%m-%d")
            raise exceptions.AuthenticationFailed(f"令牌已于 {expired_on} 过期，请在“我的账号”页重新签发。")
        if token.read_only and request.method not in SAFE_METHODS:
            raise exceptions.PermissionDenied("只读令牌只能查询，不能修改数据。")
        now = clock.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return self.keyword


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "rectify.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer"}
