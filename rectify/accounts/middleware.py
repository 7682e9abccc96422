"""Two gates in front of every view: an idle session ends (RECTIFY_SESSION_IDLE_MINUTES), and a
signed-in session that still owes its second factor or a new password reaches nothing else.

Both read only the session (no query) unless a gate applies: pages keep their query budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from .otp import ENROL, SESSION_STATE, VERIFY, second_factor_state
from .signals import SESSION_MUST_CHANGE

LAST_SEEN = "rectify_last_seen"
# The session is written at most this often just to note activity.
TOUCH_EVERY_SECONDS = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        minutes = int(getattr(settings, "RECTIFY_SESSION_IDLE_MINUTES", 0) or 0)
        session = getattr(request, "session", None)
        if minutes > 0 and session is not None and SESSION_KEY in session:
            now = timezone.now().timestamp()
            last = session.get(LAST_SEEN)
            if last is not None and now - float(last) > minutes * 60:
                request.rectify_logout_reason = "idle"  # type: ignore[attr-defined]
                logout(request)
                messages.warning(request, f"您已超过 {minutes} 分钟未操作，为保护账号安全已自动退出，请重新登录。")
            elif last is None or now - float(last) >= TOUCH_EVERY_SECONDS:
                session[LAST_SEEN] = now
        return self.get_response(request)


class AccountGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open: dict[str, frozenset[str]] | None = None

    def _paths(self) -> dict[str, frozenset[str]]:
        if self._open is None:
            always = {reverse("accounts:logout")}
            self._open = {
                VERIFY: frozenset(always | {reverse("accounts:otp_verify")}),
                ENROL: frozenset(always | {reverse("accounts:otp_setup")}),
                "password": frozenset(always | {reverse("accounts:password_change")}),
            }
        return self._open

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None or SESSION_KEY not in session:
            return self.get_response(request)
        state = session.get(SESSION_STATE)
        if state is None:
            # A session from before this gate existed: decide once, as a login would have.
            state = session[SESSION_STATE] = second_factor_state(request.user)
        if state and not request.user.is_verified():  # type: ignore[union-attr]
            return self._gate(request, state)
        if session.get(SESSION_MUST_CHANGE):
            return self._gate(request, "password")
        return self.get_response(request)

    def _gate(self, request: HttpRequest, state: str) -> HttpResponse:
        if request.path in self._paths()[state] or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        message = {
            VERIFY: "请先输入手机身份验证器上的验证码，完成登录。",
            ENROL: "您的岗位要求双因素认证：请先绑定手机身份验证器。",
            "password": "您正在使用临时密码：请先设置新密码。",
        }[state]
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=403)
        target = {
            VERIFY: reverse("accounts:otp_verify"),
            ENROL: reverse("accounts:otp_setup"),
            "password": reverse("accounts:password_change"),
        }[state]
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response: HttpResponse = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
