"""Ledger downloads from the web UI, scoped exactly like the ledger page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from rectify.core import clock
from rectify.core.http import business_view
from rectify.plans.selectors import LedgerFilters, measure_list

from .ledger import FORMATS, build_export, export_bytes


@login_required
@business_view
def ledger_export(request: HttpRequest) -> HttpResponse:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        fmt = "xlsx"
    measures = measure_list(viewer=request.user, filters=LedgerFilters.from_query(request.GET))
    today = clock.today()
    data = build_export(measures, as_of=today)
    response = HttpResponse(export_bytes(data, fmt), content_type=FORMATS[fmt])
    response["Content-Disposition"] = f"attachment; filename=ledger-{today:%Y%m%d}.{fmt}"
    return response
