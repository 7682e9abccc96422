"""System admin's tools: users' business roles (memberships), every grant and removal audited.

The unit directory is business data (docs/permissions.md): its pages answer 403 here; the unit
field of a membership only looks units up by name (the admin's autocomplete).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from rectify.audit.services import record

from .models import Membership, OrgUnit


def _facts(m: Membership) -> dict[str, Any]:
    return {"user": m.user.username, "unit": m.unit.name, "role": m.role, "role_label": m.get_role_display()}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]
    autocomplete_fields = ["unit"]
    list_select_related = ["user", "unit"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Separation of duties: no business role for the admin itself or for another admin.
        target = obj.user
        if target.pk == request.user.pk or target.is_staff or target.is_superuser or target.groups.exists():
            raise PermissionDenied("系统管理员和审计管理员不能担任业务岗位。")
        before = None
        if change and obj.pk:
            old = Membership.objects.select_related("user", "unit").filter(pk=obj.pk).first()
            before = _facts(old) if old is not None else None
        super().save_model(request, obj, form, change)
        record(
            actor=request.user,
            action="orgs.membership_changed" if change else "orgs.membership_granted",
            obj=obj,
            parent=target,
            before=before,
            after=_facts(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record(actor=request.user, action="orgs.membership_revoked", obj=obj, parent=obj.user, before=_facts(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        # The changelist's bulk delete is audited one row per membership too.
        for m in queryset.select_related("user", "unit"):
            record(actor=request.user, action="orgs.membership_revoked", obj=m, parent=m.user, before=_facts(m))
        super().delete_queryset(request, queryset)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    """Registered only so a membership's unit can be looked up by name: no directory pages."""

    search_fields = ["name"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the city office maintains units in the app, with the audit trail

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        raise PermissionDenied("单位目录属于业务数据，系统管理员不能查看。")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None) -> Any:
        raise PermissionDenied("单位目录属于业务数据，系统管理员不能查看。")

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        raise PermissionDenied("单位目录属于业务数据，系统管理员不能查看。")
