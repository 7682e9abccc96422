"""The system admin's site: accounts and memberships only, every change audited.

Separation of duties (三权分立, docs/permissions.md): the system admin cannot grant permissions,
groups or superuser status (so cannot make anyone, itself included, an audit admin), cannot give
itself or another admin a business role, and never knows anyone's password: there is no form to
set one. 重置密码 issues a one-time temporary password that only opens the page to choose a new
one; 重置双因素 and 解除锁定 are the other recoveries. Each is audited and the user is told.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from rectify.audit.services import record

from .models import AccountSecurity
from .otp import confirmed_device
from .policies import can_reset_credentials
from .services import account_created, lockout_release, otp_reset, password_reset

admin.site.site_header = "督察整改调度平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "账号与岗位"

admin.site.unregister(User)
admin.site.unregister(Group)
try:  # the TOTP keys are nobody's to read, a superuser's neither
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin.site.unregister(TOTPDevice)
except NotRegistered:  # pragma: no cover - depends on INSTALLED_APPS order
    pass


def _to_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    # One way in: the site's login, with the lockout and the second factor.
    url = reverse("accounts:login")
    next_url = request.GET.get("next") or reverse("admin:index")
    return HttpResponseRedirect(f"{url}?next={next_url}")


def _to_password_change(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    return HttpResponseRedirect(reverse("accounts:password_change"))


admin.site.login = _to_login  # type: ignore[method-assign,assignment]
admin.site.password_change = _to_password_change  # type: ignore[method-assign,assignment]


class NewAccountForm(forms.ModelForm):
    """A new account: no password field, the system makes a temporary one."""

    class Meta:
        model = User
        fields = ("username", "first_name", "last_name", "email")


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts without the permission fields: roles come from memberships and the two admin groups,
    which only a superuser (installation time) assigns."""

    fieldsets = (
        (None, {"fields": ("username", "credentials_status")}),
        ("姓名与联系方式", {"fields": ("first_name", "last_name", "email")}),
        ("状态", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "first_name", "last_name", "email")}),)
    add_form = NewAccountForm
    add_form_template = "admin/change_form.html"
    change_form_template = "accounts/admin/user_change_form.html"
    readonly_fields = ("credentials_status", "last_login", "date_joined")
    list_display = ("username", "first_name", "email", "is_active", "last_login")
    list_filter = ("is_active",)

    @admin.display(description="密码与双因素")
    def credentials_status(self, obj: User) -> str:
        if obj.pk is None:
            return "—"
        sec = AccountSecurity.objects.filter(user=obj).first()
        parts = ["密码只由本人设置，系统管理员无法查看或设置"]
        if sec and sec.must_change_password:
            parts.append("临时密码待本人修改")
        parts.append("双因素认证：已启用" if confirmed_device(obj) else "双因素认证：未启用")
        return format_html("{}", "；".join(parts))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Another admin's account (staff, superuser, or in an admin group) is not the sysadmin's to edit.
        if obj is not None and not request.user.is_superuser and obj.pk != request.user.pk:
            if obj.is_staff or obj.is_superuser or obj.groups.exists():
                return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # No one sets another person's password here: 重置密码 issues a temporary one instead.
        raise PermissionDenied("系统管理员不能设置用户密码，请使用“重置密码”。")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if not change:
            request._rectify_temporary = account_created(actor=request.user, user=obj)  # type: ignore[attr-defined]
            return
        fields = sorted(form.changed_data) if form is not None else []
        record(actor=request.user, action="accounts.user_changed", obj=obj, after={"fields": fields})

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: str | None = None) -> HttpResponse:
        temporary = getattr(request, "_rectify_temporary", None)
        if temporary is None:
            return super().response_add(request, obj, post_url_continue)
        return self._temporary_page(request, obj, temporary, created=True)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<id>/reset-password/", view(self.reset_password_view), name="auth_user_reset_password"),
            path("<id>/reset-2fa/", view(self.reset_otp_view), name="auth_user_reset_otp"),
            path("<id>/unlock/", view(self.unlock_view), name="auth_user_unlock"),
            *super().get_urls(),
        ]

    def _target(self, request: HttpRequest, id: str) -> User:
        target = self.get_object(request, unquote(id))
        if target is None:
            raise Http404("账号不存在。")
        if not self.has_change_permission(request, target) or not can_reset_credentials(request.user, target):
            raise PermissionDenied("不能对该账号执行此操作。")
        return target

    def _confirm(self, request: HttpRequest, target: User, *, title: str, text: str) -> HttpResponse:
        context = {**self.admin_site.each_context(request), "title": title, "text": text, "target": target}
        context["opts"] = self.opts
        return render(request, "accounts/admin/confirm.html", context)

    def reset_password_view(self, request: HttpRequest, id: str) -> HttpResponse:
        target = self._target(request, id)
        if request.method != "POST":
            return self._confirm(
                request,
                target,
                title="重置密码",
                text=(
                    "将为该账号生成一次性临时密码（只显示这一次），原密码随即失效，已登录的会话全部退出。"
                    "用户用临时密码登录后必须立即设置新密码；系统会通知用户，此操作记入审计日志。"
                ),
            )
        temporary = password_reset(actor=request.user, target=target)
        return self._temporary_page(request, target, temporary, created=False)

    def reset_otp_view(self, request: HttpRequest, id: str) -> HttpResponse:
        target = self._target(request, id)
        if request.method != "POST":
            return self._confirm(
                request,
                target,
                title="重置双因素认证",
                text="将删除该账号绑定的手机身份验证器；用户下次登录时须重新绑定。系统会通知用户，此操作记入审计日志。",
            )
        otp_reset(actor=request.user, target=target)
        messages.success(request, f"已重置 {target.username} 的双因素认证。")
        return redirect("admin:auth_user_change", target.pk)

    def unlock_view(self, request: HttpRequest, id: str) -> HttpResponse:
        target = self._target(request, id)
        if request.method != "POST":
            return self._confirm(
                request,
                target,
                title="解除登录锁定",
                text="将清除该账号的登录失败记录，立即解除锁定。此操作记入审计日志。",
            )
        released = lockout_release(actor=request.user, target=target)
        messages.success(request, f"已解除 {target.username} 的登录锁定（清除 {released} 条失败记录）。")
        return redirect("admin:auth_user_change", target.pk)

    def _temporary_page(self, request: HttpRequest, target: User, temporary: Any, *, created: bool) -> HttpResponse:
        password, expires_at = temporary
        context = {
            **self.admin_site.each_context(request),
            "title": "新账号的临时密码" if created else "临时密码",
            "opts": self.opts,
            "target": target,
            "password": password,
            "expires_at": timezone.localtime(expires_at),
            "created": created,
        }
        response = render(request, "accounts/admin/temporary_password.html", context)
        response["Cache-Control"] = "no-store"
        return response
