"""The unit directory: browse, and (city office) add, rename, merge."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.selectors import audit_timeline
from rectify.core.errors import Forbidden, NotFound
from rectify.core.http import business_view, errors_as_messages, paginate, post_int, query_without_page

from . import selectors, services
from .models import OrgUnit, UnitKind
from .policies import can_manage_units, can_view_business_data


@login_required
@business_view
def unit_index(request: HttpRequest) -> HttpResponse:
    if not can_view_business_data(request.user):
        raise Forbidden("您的账号没有业务数据的查看权限。")
    units = selectors.unit_list(
        viewer=request.user, query=request.GET.get("q", "").strip()[:50], kind=request.GET.get("kind", "")
    )
    page = paginate(request, units, per_page=100)
    context = {
        "page": page,
        "query": query_without_page(request),
        "kinds": UnitKind.choices,
        "can_manage": can_manage_units(request.user),
        "parents": OrgUnit.objects.filter(is_active=True).order_by("path"),
    }
    return render(request, "orgs/unit_list.html", context)


@login_required
@business_view
def unit_history(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.unit_get(viewer=request.user, unit_id=unit_id)
    page = paginate(request, audit_timeline(unit))
    return render(request, "plans/history.html", {"object": unit, "page": page, "query": ""})


def _directory_manager_only(request: HttpRequest) -> None:
    if not can_manage_units(request.user):
        raise Forbidden("只有市整改办可以维护单位目录。")


def _unit_or_404(unit_id: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


@login_required
@require_POST
@business_view
def unit_add(request: HttpRequest) -> HttpResponse:
    _directory_manager_only(request)
    parent = _unit_or_404(post_int(request, "parent"))
    aliases = [a.strip() for a in request.POST.get("aliases", "").replace("，", "、").split("、") if a.strip()]
    with errors_as_messages(request):
        unit = services.unit_create(
            actor=request.user,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", ""),
            parent=parent,
            aliases=aliases,
        )
        messages.success(request, f"已添加单位“{unit.name}”。")
    return redirect("orgs:list")


@login_required
@require_POST
@business_view
def unit_rename(request: HttpRequest, unit_id: int) -> HttpResponse:
    _directory_manager_only(request)
    unit = _unit_or_404(unit_id)
    with errors_as_messages(request):
        services.unit_rename(
            actor=request.user,
            unit=unit,
            name=request.POST.get("name", ""),
            version=post_int(request, "version"),
        )
        messages.success(request, f"已更名为“{unit.name}”，原名称保留为别名。")
    return redirect("orgs:list")


@login_required
@require_POST
@business_view
def unit_merge(request: HttpRequest, unit_id: int) -> HttpResponse:
    _directory_manager_only(request)
    source = _unit_or_404(unit_id)
    target = _unit_or_404(post_int(request, "target"))
    with errors_as_messages(request):
        services.unit_merge(actor=request.user, source=source, target=target)
        messages.success(request, f"“{source.name}”已并入“{target.name}”，其任务与账号随之转移。")
    return redirect("orgs:list")
