"""API tokens (stored only as a SHA-256 hash, with an expiry and an optional read-only scope) and
each account's security state (a temporary password that must be changed) and contact phone."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import models

from rectify.core import clock


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def default_token_expiry() -> dt.datetime:
    return clock.now() + dt.timedelta(days=settings.RECTIFY_API_TOKEN_DAYS)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField("有效期至", default=default_token_expiry)
    # A read-only token may only GET/HEAD/OPTIONS, whatever the account itself may do.
    read_only = models.BooleanField("只读", default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @staticmethod
    def new_raw() -> str:
        return "rt_" + secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= clock.now()

    @property
    def scope_label(self) -> str:
        return "只读" if self.read_only else "读写"


class AccountSecurity(models.Model):
    """One row per account created, reset or given a phone by the system administrator."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security")
    # Set by the system administrator's 重置密码 (or a new account): the next login must choose a
    # new password before anything else, and the temporary one stops working after this moment.
    must_change_password = models.BooleanField("须修改密码", default=False)
    temporary_password_expires_at = models.DateTimeField("临时密码有效期至", null=True, blank=True)
    password_changed_at = models.DateTimeField("最近修改密码", null=True, blank=True)
    # How the system administrator reaches the person to hand over a temporary password.
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "账号安全状态"
        verbose_name_plural = "账号安全状态"

    def __str__(self) -> str:
        return f"{self.user}"
