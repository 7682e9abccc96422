"""各市对账: the province office's page listing each mirrored city's figures, with the upload of a
city's exchange file. Thin: figures from selectors, the upload through services.mirror_import
(the same as POST /api/v1/exchange/mirrors/ and `rectify import_mirror`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.core.errors import DomainError
from rectify.core.formats import format_percent
from rectify.core.http import business_view, errors_as_messages
from rectify.ingestion.services import too_large_message

from . import selectors, services
from .policies import can_import_mirror

SAID = {
    "created": "已导入{city}的对账文件。",
    "replaced": "已用较新的导出更新{city}的镜像。",
    "unchanged": "{city}的这份文件此前已导入，数据未变。",
}


@login_required
@business_view
def cities(request: HttpRequest) -> HttpResponse:
    rows = selectors.mirror_list(viewer=request.user)
    context = {
        "rows": [
            {"city": r, "rate": format_percent(r.figures["rate"]), "progress": format_percent(r.figures["progress"])}
            for r in rows
        ],
        "can_import": can_import_mirror(request.user),
    }
    return render(request, "mirror/cities.html", context)


@login_required
@business_view
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    with errors_as_messages(request):
        file = request.FILES.get("file")
        if file is None:
            raise DomainError("请选择城市导出的对账文件（.json）。")
        too_large = too_large_message(file.size or 0)
        if too_large:
            raise DomainError(too_large)
        source, outcome = services.mirror_import(actor=request.user, content=file.read(), filename=file.name or "")
        messages.success(request, SAID[outcome].format(city=source.city))
    return redirect("mirror:cities")
