"""The system admin's site: accounts and memberships only, every change audited.

Separation of duties: the system admin cannot grant permissions, groups or superuser status
(so cannot make anyone, itself included, an audit admin), and cannot give itself or another
admin a business role.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.http import HttpRequest

from rectify.audit.services import record

admin.site.site_header = "督察整改调度平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "账号与岗位"

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Accounts without the permission fields: roles come from memberships and the two admin groups,
    which only a superuser (installation time) assigns."""

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("姓名与联系方式", {"fields": ("first_name", "last_name", "email")}),
        ("状态", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "first_name", "email", "is_active", "last_login")
    list_filter = ("is_active",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Another admin's account (staff, superuser, or in an admin group) is not the sysadmin's to edit.
        if obj is not None and not request.user.is_superuser and obj.pk != request.user.pk:
            if obj.is_staff or obj.is_superuser or obj.groups.exists():
                return False
        return super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        fields = sorted(form.changed_data) if form is not None else []
        record(
            actor=request.user,
            action="user.changed" if change else "user.created",
            obj=obj,
            after={"fields": [f for f in fields if f not in {"password", "password1", "password2"}]},
        )
