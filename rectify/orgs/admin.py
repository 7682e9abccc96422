"""System admin's tools: users and their unit memberships (no business data)."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from rectify.audit.services import record

from .models import Membership, OrgUnit


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Separation of duties: no business role for the admin itself or for another admin.
        target = obj.user
        if target.pk == request.user.pk or target.is_staff or target.is_superuser or target.groups.exists():
            raise PermissionDenied("系统管理员和审计管理员不能担任业务岗位。")
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,
            action="membership.changed" if change else "membership.created",
            obj=obj,
            after={"user": target.username, "unit": obj.unit.name, "role": obj.role},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(
            actor=request.user,
            action="membership.deleted",
            obj=obj,
            before={"user": obj.user.username, "unit": obj.unit.name, "role": obj.role},
        )
        super().delete_model(request, obj)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_active"]
    search_fields = ["name"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # the city office maintains units in the app, with the audit trail

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
