"""The 领导驾驶舱, the counties side by side, one county as a whole, and the landing after login.

Thin views: the figures come from selectors.py; the charts' data is the same figures, embedded
with json_script for dashboard.js (charts.py shapes it)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rectify.audit.policies import can_read_audit_log
from rectify.core import clock
from rectify.core.http import business_view
from rectify.orgs.scope import viewer_scope

from . import charts, selectors
from .policies import can_view_counties, lands_on_dashboard


@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """Where login (and the brand in the top bar) sends a user: leaders and coordinators to the
    dashboard, business users to the ledger, the audit administrator to the audit log and the
    system administrator to the system pages — never to a page that would refuse them."""
    user = request.user
    if lands_on_dashboard(user):
        return redirect("dashboards:home")
    if not viewer_scope(user).is_business_user:
        if can_read_audit_log(user):
            return redirect("audit:log")
        if user.is_staff:
            return redirect("accounts:manage_users")
    return redirect("plans:ledger")


@login_required
@business_view
def home(request: HttpRequest) -> HttpResponse:
    filters = selectors.DashboardFilters.from_query(request.GET)
    dashboard = selectors.dashboard_get(viewer=request.user, filters=filters)
    context = {"d": dashboard, "charts": charts.home_charts(dashboard), "plan_query": _plan_query(filters)}
    return render(request, "dashboards/home.html", context)


@login_required
@business_view
def counties(request: HttpRequest) -> HttpResponse:
    filters = selectors.DashboardFilters.from_query(request.GET)
    rows, ranked, period = selectors.counties_get(viewer=request.user, filters=filters)
    context = {
        "rows": rows,
        "ranked": ranked,
        "today": clock.today(),
        "period": period.period,
        "filters": filters,
        "plans": selectors.visible_plans(request.user),
        "charts": charts.counties_charts(rows),
        "plan_query": _plan_query(filters),
    }
    return render(request, "dashboards/counties.html", context)


@login_required
@business_view
def county(request: HttpRequest, unit_id: int) -> HttpResponse:
    filters = selectors.DashboardFilters.from_query(request.GET)
    unit, dashboard = selectors.county_get(viewer=request.user, unit_id=unit_id, filters=filters)
    context = {
        "county": unit,
        "d": dashboard,
        "charts": charts.county_charts(dashboard),
        "plan_query": _plan_query(filters),
        "can_list_counties": can_view_counties(request.user),
    }
    return render(request, "dashboards/county.html", context)


def _plan_query(filters: selectors.DashboardFilters) -> str:
    return f"?plan={filters.plan}" if filters.plan else ""
