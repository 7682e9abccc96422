"""The public site (信息公开): no login, published data only — items in 公示 and items closed."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rectify.closeout import selectors as closeout_selectors
from rectify.closeout.models import CloseoutStatus
from rectify.core import clock
from rectify.core.http import paginate


def closeouts(request: HttpRequest) -> HttpResponse:
    items = closeout_selectors.public_list()
    context = {
        "publishing": list(items.filter(status=CloseoutStatus.PUBLISHED)[:200]),
        "page": paginate(request, items.exclude(status=CloseoutStatus.PUBLISHED)),
        "today": clock.today(),
        "query": "",
    }
    return render(request, "portal/closeouts.html", context)
