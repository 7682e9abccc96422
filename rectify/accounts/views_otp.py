"""The second factor's pages: binding an authenticator app (QR code, key, confirming code) and
the code asked after the password."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .forms import OtpCodeForm
from .network import client_ip
from .otp import SESSION_STATE, VERIFY, confirmed_device, qr_svg, second_factor_state, secret_text
from .policies import second_factor_required
from .services import otp_enrol, otp_pending_device, otp_verify


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return "/"


def _throttled_until(device: TOTPDevice) -> str:
    """django-otp's pause after wrong codes (1, 2, 4 … seconds), as a message, or ""."""
    allowed, info = device.verify_is_allowed()
    if allowed or not info or not info.get("locked_until"):
        return ""
    return f"验证码错误次数过多，请于 {timezone.localtime(info['locked_until']):%H:%M:%S} 后再试。"


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if confirmed_device(user) is not None:
        messages.info(request, "您已绑定身份验证器。如需更换手机，请联系系统管理员重置双因素认证。")
        return redirect("accounts:profile")
    device = otp_pending_device(actor=user)
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _throttled_until(device)
        if wait:
            form.add_error("token", wait)
        elif otp_enrol(actor=user, device=device, token=form.cleaned_data["token"], ip=client_ip(request)):
            otp_login(request, device)
            request.session.cycle_key()  # a new session key for the stronger sign-in
            request.session[SESSION_STATE] = VERIFY
            messages.success(request, "身份验证器已绑定：以后每次登录都需要输入其上的验证码。")
            return redirect(_next(request))
        else:
            form.add_error("token", "验证码不正确：请确认手机时间准确，并输入当前显示的 6 位数字。")
    response = render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg(device),
            "secret": secret_text(device),
            "required": second_factor_required(user),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    device = confirmed_device(user)
    if device is None:
        # Reset meanwhile by the system administrator: enrol again if the role requires it.
        request.session[SESSION_STATE] = second_factor_state(user)
        return redirect("accounts:otp_setup" if request.session[SESSION_STATE] else _next(request))
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next(request))
    form = OtpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = _throttled_until(device)
        if wait:
            form.add_error("token", wait)
        elif otp_verify(actor=user, device=device, token=form.cleaned_data["token"], ip=client_ip(request)):
            otp_login(request, device)
            request.session.cycle_key()  # a new session key for the stronger sign-in
            return redirect(_next(request))
        else:
            form.add_error("token", "验证码不正确或已使用过，请输入身份验证器上当前显示的 6 位数字。")
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": _next(request), "otp_issuer": settings.OTP_TOTP_ISSUER},
        status=400 if form.errors else 200,
    )
