"""Login, logout, the viewer's own account page with API tokens."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError

from .models import ApiToken
from .services import token_issue, token_revoke


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def home_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("plans:ledger")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=cast(User, request.user)).order_by("-created_at")
    return render(request, "accounts/profile.html", {"tokens": tokens})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    try:
        token, raw = token_issue(actor=request.user, name=request.POST.get("name", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:profile")
    tokens = ApiToken.objects.filter(user=cast(User, request.user)).order_by("-created_at")
    return render(request, "accounts/profile.html", {"tokens": tokens, "new_token": raw, "new_token_obj": token})


@login_required
@require_POST
def token_delete(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    token_revoke(actor=request.user, token=token)
    messages.success(request, "令牌已吊销。")
    return redirect("accounts:profile")
