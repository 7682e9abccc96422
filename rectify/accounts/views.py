"""Login (with django-axes' lockout page), the viewer's own account page: API tokens, password
change, second factor status. The second factor's own pages are in views_otp.py."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError
from rectify.orgs.scope import viewer_scope

from .forms import LoginForm, OwnPasswordChangeForm, TokenForm
from .models import ApiToken
from .network import client_ip
from .otp import confirmed_device
from .policies import is_admin_account, second_factor_required
from .services import must_change_password, password_change, token_issue, token_revoke
from .signals import SESSION_MUST_CHANGE


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): the login page, saying until when."""
    username = str((credentials or {}).get("username") or request.POST.get("username") or "")[:150]
    last = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    cool_off = dt.timedelta(minutes=settings.RECTIFY_LOGIN_LOCKOUT_MINUTES)
    until = timezone.localtime((last or timezone.now()) + cool_off)
    return render(
        request,
        "accounts/login.html",
        {
            "form": LoginForm(request, initial={"username": username}),
            "locked_until": until,
            "locked_today": until.date() == timezone.localdate(),
            "failure_limit": settings.RECTIFY_LOGIN_FAILURE_LIMIT,
            "lockout_minutes": settings.RECTIFY_LOGIN_LOCKOUT_MINUTES,
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


def _profile_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = cast(User, request.user)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return {
        "tokens": tokens,
        "token_form": extra.pop("token_form", None) or TokenForm(),
        "password_form": extra.pop("password_form", None) or OwnPasswordChangeForm(user),
        "otp_device": confirmed_device(user),
        "otp_required": second_factor_required(user),
        "admin_account": is_admin_account(user),
        # Anyone may hold tokens of their own; the API's business endpoints answer only business roles.
        "api_useful": viewer_scope(user).is_business_user,
        **extra,
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", _profile_context(request, token_form=form), status=400)
    try:
        token, raw = token_issue(
            actor=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            read_only=form.cleaned_data["read_only"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:profile")
    response = render(request, "accounts/profile.html", _profile_context(request, new_token=raw, new_token_obj=token))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_delete(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_revoke(actor=request.user, token=token)
    messages.success(request, "令牌已吊销。")
    return redirect("accounts:profile")


class PasswordChangeView(auth_views.PasswordChangeView):
    """The viewer's own password (Django's view and form, in Chinese), audited; also the page a
    temporary password leads to before anything else."""

    template_name = "accounts/password_change.html"
    form_class = OwnPasswordChangeForm
    success_url = reverse_lazy("accounts:profile")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["forced"] = bool(self.request.session.get(SESSION_MUST_CHANGE)) or must_change_password(
            self.request.user
        )
        context["next"] = self.request.GET.get("next", "")
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        password_change(actor=self.request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        self.request.session[SESSION_MUST_CHANGE] = False
        messages.success(self.request, "密码已修改。")
        return redirect(self.get_success_url())
