"""The system administrator's pages (账号管理, /accounts/manage/), in the house style: the account
list with search and filters, a new account, one account's page (name, phone, active, business
roles, API tokens, second factor, lockout) and its actions. Thin: each action calls one service,
which checks the policy and writes the audit row. No business data: units are names to choose."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, errors_as_messages, paginate, query_without_page
from rectify.orgs.models import Membership, OrgUnit

from . import selectors
from .forms import AccountCreateForm, AccountEditForm, MembershipForm
from .otp import confirmed_device
from .policies import can_change_account, can_grant_role, can_manage_accounts, is_admin_account
from .services import lockout_release, otp_reset, password_reset
from .services_manage import (
    membership_grant,
    membership_revoke,
    phone_of,
    tokens_revoke_all,
    user_create,
    user_update,
)

NOT_SYSADMIN = "账号管理只供系统管理员使用。"


def _require(request: HttpRequest) -> None:
    if not can_manage_accounts(request.user):
        raise Forbidden(NOT_SYSADMIN)


def _target(request: HttpRequest, user_id: int) -> User:
    return selectors.account_get(viewer=request.user, user_id=user_id)


@login_required
@business_view
def users(request: HttpRequest) -> HttpResponse:
    _require(request)
    filters = selectors.AccountFilters.from_query(request.GET)
    page = paginate(request, selectors.account_list(viewer=request.user, filters=filters))
    locked = selectors.locked_usernames()
    rows = [
        {
            "user": u,
            "phone": _phone(u),
            "admin": is_admin_account(u),
            "locked": u.username in locked,
        }
        for u in page
    ]
    context = {
        "page": page,
        "rows": rows,
        "filters": filters,
        "role_filters": selectors.ROLE_FILTERS,
        "query": query_without_page(request),
    }
    return render(request, "accounts/manage/users.html", context)


def _phone(user: User) -> str:
    try:
        return str(user.security.phone)  # type: ignore[attr-defined]
    except ObjectDoesNotExist:  # no AccountSecurity row yet
        return ""


@login_required
@business_view
def user_new(request: HttpRequest) -> HttpResponse:
    _require(request)
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, temporary, expires_at = user_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                full_name=form.cleaned_data["full_name"],
                phone=form.cleaned_data["phone"],
            )
        except Forbidden:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return _temporary_page(request, user, temporary, expires_at, created=True)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/manage/user_new.html", {"form": form}, status=status)


def _detail_context(request: HttpRequest, target: User, **extra: Any) -> dict[str, Any]:
    security = selectors.account_security(target)
    tokens = selectors.account_tokens(viewer=request.user, user=target)
    return {
        "target": target,
        "admin_target": is_admin_account(target),
        "can_change": can_change_account(request.user, target),
        "can_grant": can_grant_role(request.user, target),
        "security": security,
        "phone": security.phone if security else "",
        "locked": target.username in selectors.locked_usernames(),
        "otp_device": confirmed_device(target),
        "tokens": tokens,
        "live_tokens": sum(1 for t in tokens if not t.revoked and not t.is_expired),
        "edit_form": extra.pop("edit_form", None)
        or AccountEditForm(
            initial={
                "full_name": target.first_name,
                "phone": security.phone if security else "",
                "is_active": target.is_active,
            }
        ),
        "membership_form": extra.pop("membership_form", None)
        or MembershipForm(units=selectors.unit_choices(viewer=request.user)),
        "now": timezone.now(),
        **extra,
    }


@login_required
@business_view
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    if request.method != "POST":
        return render(request, "accounts/manage/user_detail.html", _detail_context(request, target))
    form = AccountEditForm(request.POST)
    if form.is_valid():
        try:
            changed = user_update(
                actor=request.user,
                target=target,
                full_name=form.cleaned_data["full_name"],
                phone=form.cleaned_data["phone"],
                is_active=form.cleaned_data["is_active"],
            )
        except Forbidden:
            raise
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "已保存。" if changed else "没有修改。")
            return redirect("accounts:manage_user", target.pk)
    context = _detail_context(request, target, edit_form=form)
    return render(request, "accounts/manage/user_detail.html", context, status=400)


@login_required
@require_POST
@business_view
def membership_add(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    form = MembershipForm(request.POST, units=selectors.unit_choices(viewer=request.user))
    if not form.is_valid():
        context = _detail_context(request, target, membership_form=form)
        return render(request, "accounts/manage/user_detail.html", context, status=400)
    unit = OrgUnit.objects.get(pk=form.cleaned_data["unit"])
    with errors_as_messages(request):
        m = membership_grant(actor=request.user, target=target, unit=unit, role=form.cleaned_data["role"])
        messages.success(request, f"已授予岗位：{m.unit.name} · {m.get_role_display()}。")
    return redirect("accounts:manage_user", target.pk)


@login_required
@require_POST
@business_view
def membership_remove(request: HttpRequest, user_id: int, membership_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    membership = Membership.objects.select_related("user", "unit").filter(pk=membership_id, user=target).first()
    if membership is None:
        raise NotFound("未找到该岗位。")
    label = f"{membership.unit.name} · {membership.get_role_display()}"
    with errors_as_messages(request):
        membership_revoke(actor=request.user, membership=membership)
        messages.success(request, f"已撤销岗位：{label}。")
    return redirect("accounts:manage_user", target.pk)


@login_required
@require_POST
@business_view
def reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    temporary, expires_at = password_reset(actor=request.user, target=target)
    return _temporary_page(request, target, temporary, expires_at, created=False)


@login_required
@require_POST
@business_view
def reset_otp(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    removed = otp_reset(actor=request.user, target=target)
    messages.success(
        request, f"已重置 {target.username} 的双因素认证。" if removed else f"{target.username} 没有绑定身份验证器。"
    )
    return redirect("accounts:manage_user", target.pk)


@login_required
@require_POST
@business_view
def unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    released = lockout_release(actor=request.user, target=target)
    messages.success(request, f"已解除 {target.username} 的登录锁定（清除 {released} 条失败记录）。")
    return redirect("accounts:manage_user", target.pk)


@login_required
@require_POST
@business_view
def revoke_tokens(request: HttpRequest, user_id: int) -> HttpResponse:
    _require(request)
    target = _target(request, user_id)
    count = tokens_revoke_all(actor=request.user, target=target)
    messages.success(
        request, f"已吊销 {target.username} 的 {count} 个 API 令牌。" if count else "该账号没有有效的令牌。"
    )
    return redirect("accounts:manage_user", target.pk)


def _temporary_page(
    request: HttpRequest, target: User, temporary: str, expires_at: Any, *, created: bool
) -> HttpResponse:
    context = {
        "target": target,
        "password": temporary,
        "expires_at": timezone.localtime(expires_at),
        "created": created,
        "phone": phone_of(target),
    }
    response = render(request, "accounts/manage/temporary_password.html", context)
    response["Cache-Control"] = "no-store"
    return response
