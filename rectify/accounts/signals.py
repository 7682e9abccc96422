"""Django's sign-in signals → the audit trail, and what a new session still owes (second factor,
a new password). Connected in AccountsConfig.ready(); the writes are services."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from .network import client_ip
from .otp import SESSION_STATE, second_factor_state
from .services import login_failure_recorded, login_recorded, logout_recorded, must_change_password

# The session flag AccountGateMiddleware reads: a temporary password must be replaced first.
SESSION_MUST_CHANGE = "rectify_must_change_password"


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    state = second_factor_state(user)
    session = getattr(request, "session", None)
    if session is not None:
        session[SESSION_STATE] = state
        session[SESSION_MUST_CHANGE] = must_change_password(user)
    login_recorded(user=user, ip=client_ip(request), second_factor=state)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username") or "")
    user = User.objects.filter(username=username).first() if username else None
    login_failure_recorded(
        username=username,
        user=user,
        ip=client_ip(request) if request is not None else "",
        locked=bool(getattr(request, "axes_locked_out", False)),
    )


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return
    logout_recorded(user=user, ip=client_ip(request), reason=getattr(request, "rectify_logout_reason", "user"))


def connect() -> None:
    user_logged_in.connect(on_login, dispatch_uid="rectify.accounts.login")
    user_login_failed.connect(on_login_failed, dispatch_uid="rectify.accounts.login_failed")
    user_logged_out.connect(on_logout, dispatch_uid="rectify.accounts.logout")
