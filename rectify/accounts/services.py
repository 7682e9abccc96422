"""Account writes, each audited: API tokens, passwords (own change, the system administrator's
reset), the second factor (enrolment, verification, reset), lockout release and sign-in events."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.errors import DomainError, Forbidden
from rectify.notifications.models import Notification
from rectify.notifications.services import Message, notify

from .models import AccountSecurity, ApiToken, hash_token
from .policies import can_reset_credentials

# Letters and digits that cannot be mistaken for one another when read out on the phone.
_TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"


# --- API tokens -------------------------------------------------------------------------------


@transaction.atomic
def token_issue(*, actor: Any, name: str, days: int | None = None, read_only: bool = False) -> tuple[ApiToken, str]:
    """Issue a token for the actor; the raw value is returned once and never stored."""
    name = name.strip()[:100]
    if not name:
        raise DomainError("请填写令牌用途。")
    days = settings.RECTIFY_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.RECTIFY_API_TOKEN_MAX_DAYS:
        raise DomainError(f"令牌有效期应为 1 至 {settings.RECTIFY_API_TOKEN_MAX_DAYS} 天。")
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=actor,
        name=name,
        key_hash=hash_token(raw),
        prefix=raw[3:9],
        expires_at=clock.now() + dt.timedelta(days=days),
        read_only=read_only,
    )
    record(
        actor=actor,
        action="accounts.token_issued",
        obj=token,
        after={"name": name, "days": days, "read_only": read_only, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> None:
    if token.user_id != actor.pk:
        raise DomainError("只能吊销自己的令牌。")
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    record(actor=actor, action="accounts.token_revoked", obj=token, before={"name": token.name})


# --- passwords --------------------------------------------------------------------------------


def _temporary_password() -> str:
    chars = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def must_change_password(user: Any) -> bool:
    return AccountSecurity.objects.filter(user=user, must_change_password=True).exists()


def temporary_password_expired(user: Any) -> bool:
    """A temporary password past its validity no longer opens the account."""
    return AccountSecurity.objects.filter(
        user=user, must_change_password=True, temporary_password_expires_at__lte=timezone.now()
    ).exists()


def _set_temporary_password(user: Any) -> tuple[str, dt.datetime]:
    temporary = _temporary_password()
    user.set_password(temporary)
    user.save(update_fields=["password"])
    expires_at = timezone.now() + dt.timedelta(hours=settings.RECTIFY_TEMP_PASSWORD_HOURS)
    AccountSecurity.objects.update_or_create(
        user=user, defaults={"must_change_password": True, "temporary_password_expires_at": expires_at}
    )
    return temporary, expires_at


@transaction.atomic
def password_change(*, actor: Any, new_password: str) -> None:
    """The actor changes its own password (validated by the caller's form)."""
    forced = must_change_password(actor)
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    AccountSecurity.objects.update_or_create(
        user=actor,
        defaults={
            "must_change_password": False,
            "temporary_password_expires_at": None,
            "password_changed_at": timezone.now(),
        },
    )
    record(actor=actor, action="accounts.password_changed", obj=actor, after={"forced": forced})


@transaction.atomic
def password_reset(*, actor: Any, target: Any) -> tuple[str, dt.datetime]:
    """The system administrator's 重置密码: a one-time temporary password, shown once to the
    administrator, that opens the account only to choose a new password. The user is told."""
    if not can_reset_credentials(actor, target):
        raise Forbidden("不能重置该账号的密码：管理员账号由超级用户在命令行重置，本人密码请在“我的账号”中修改。")
    temporary, expires_at = _set_temporary_password(target)
    # A locked-out user who asked for a reset can use the temporary password at once.
    released = axes_reset(username=target.get_username())
    event = record(
        actor=actor,
        action="accounts.password_reset",
        obj=target,
        after={"user": target.username, "temporary_until": expires_at.isoformat(), "lockout_released": released},
    )
    _tell(
        target,
        key=f"accounts.password_reset:{event.pk}",
        subject="您的登录密码已被重置",
        body=(
            f"系统管理员（{actor.get_full_name() or actor.get_username()}）于 "
            f"{timezone.localtime(event.at):%Y-%m-%d %H:%M} 重置了您的登录密码。请使用系统管理员当面或电话告知的"
            f"临时密码登录，登录后须立即设置新密码；临时密码在 {timezone.localtime(expires_at):%Y-%m-%d %H:%M} "
            "前有效，只能用于设置新密码。如非本人申请，请立即联系审计管理员。"
        ),
    )
    return temporary, expires_at


@transaction.atomic
def account_created(*, actor: Any, user: Any) -> tuple[str, dt.datetime]:
    """A new account gets a temporary password too: nobody but its owner ever knows its password."""
    temporary, expires_at = _set_temporary_password(user)
    record(actor=actor, action="accounts.user_created", obj=user, after={"user": user.username})
    return temporary, expires_at


def _tell(user: Any, *, key: str, subject: str, body: str) -> None:
    notify(
        recipients=[user],
        message=Message(
            kind=Notification.Kind.SYSTEM, subject=subject, body=body, url=reverse("accounts:profile"), dedupe_key=key
        ),
    )


# --- the second factor (TOTP) -----------------------------------------------------------------


def otp_pending_device(*, actor: Any) -> TOTPDevice:
    """The actor's unconfirmed authenticator (one, kept across reloads until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=actor, name="身份验证器", confirmed=False)
    return device


@transaction.atomic
def otp_enrol(*, actor: Any, device: TOTPDevice, token: str, ip: str = "") -> bool:
    """Confirm an authenticator with a code it shows; the other unconfirmed ones go."""
    if device.user_id != actor.pk or device.confirmed:
        raise DomainError("该验证器不属于当前账号或已启用。")
    if not device.verify_token(token.strip()):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    record(actor=actor, action="accounts.otp_enrolled", obj=actor, after={"device": device.pk, "ip": ip})
    return True


def otp_verify(*, actor: Any, device: TOTPDevice, token: str, ip: str = "") -> bool:
    """Check a code after the password; both outcomes are audited. django-otp throttles failures
    (1, 2, 4, 8 … seconds) and refuses a code already used."""
    ok = verify_token(actor, device.persistent_id, token.strip()) is not None
    with transaction.atomic():
        record(
            actor=actor if ok else f"{actor.get_username()}（未通过双因素认证）",
            action="accounts.otp_verified" if ok else "accounts.otp_failed",
            obj=actor,
            after={"ip": ip},
        )
    return ok


@transaction.atomic
def otp_reset(*, actor: Any, target: Any) -> int:
    """The system administrator's recovery: the user enrols a new authenticator at next login."""
    if not can_reset_credentials(actor, target):
        raise Forbidden("不能重置该账号的双因素认证：管理员账号由超级用户在命令行重置。")
    removed, _ = TOTPDevice.objects.filter(user=target).delete()
    event = record(actor=actor, action="accounts.otp_reset", obj=target, after={"user": target.username})
    _tell(
        target,
        key=f"accounts.otp_reset:{event.pk}",
        subject="您的双因素认证已被重置",
        body=(
            f"系统管理员（{actor.get_full_name() or actor.get_username()}）于 "
            f"{timezone.localtime(event.at):%Y-%m-%d %H:%M} 重置了您的双因素认证（手机身份验证器）。"
            "下次登录时请重新绑定身份验证器。如非本人申请，请立即联系审计管理员。"
        ),
    )
    return removed


def otp_reset_by_command(*, target: Any, operator: str) -> int:
    """Recovery of an administrator's own second factor, from the server's command line."""
    with transaction.atomic():
        removed, _ = TOTPDevice.objects.filter(user=target).delete()
        record(
            actor=f"命令行：{operator}"[:150], action="accounts.otp_reset", obj=target, after={"user": target.username}
        )
    return removed


# --- lockout and sign-in events ---------------------------------------------------------------


@transaction.atomic
def lockout_release(*, actor: Any, target: Any) -> int:
    if not can_reset_credentials(actor, target):
        raise Forbidden("不能解除该账号的登录锁定。")
    released = axes_reset(username=target.get_username())
    record(actor=actor, action="accounts.lockout_released", obj=target, after={"attempts": released})
    return released


@transaction.atomic
def login_recorded(*, user: Any, ip: str, second_factor: str) -> None:
    record(actor=user, action="accounts.login", obj=user, after={"ip": ip, "second_factor": second_factor or "none"})


@transaction.atomic
def login_failure_recorded(*, username: str, user: Any | None, ip: str, locked: bool) -> None:
    target = user if user is not None else User(username=username[:150])
    record(
        actor=f"{username[:100] or '（空用户名）'}（登录失败）",
        action="accounts.login_failed",
        obj=target,
        after={"username": username[:150], "ip": ip, "locked": locked, "known_user": user is not None},
    )


@transaction.atomic
def logout_recorded(*, user: Any, ip: str, reason: str) -> None:
    record(actor=user, action="accounts.logout", obj=user, after={"ip": ip, "reason": reason})
