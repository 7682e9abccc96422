"""The public site (信息公开): no login, published data only — close-out items in 公示 and closed,
and the 交办件 办理结果 一览表 of each published batch (masked when published)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from rectify.closeout import selectors as closeout_selectors
from rectify.closeout.models import CloseoutStatus
from rectify.complaints import selectors as complaint_selectors
from rectify.complaints.models import ComplaintBatch
from rectify.core import clock
from rectify.core.http import paginate
from rectify.documents.renderers.official import OfficialDocument, Table, render_pdf
from rectify.documents.renderers.tabular import render_xlsx


def closeouts(request: HttpRequest) -> HttpResponse:
    items = closeout_selectors.public_list()
    context = {
        "publishing": list(items.filter(status=CloseoutStatus.PUBLISHED)[:200]),
        "page": paginate(request, items.exclude(status=CloseoutStatus.PUBLISHED)),
        "today": clock.today(),
        "query": "",
    }
    return render(request, "portal/closeouts.html", context)


# --- 交办件 办理结果 (published, masked) ---------------------------------------------------------

PUBLIC_HEADERS = ["编号", "区域", "类型", "问题", "是否属实", "处理和整改情况", "问责情况", "状态"]


def complaints(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/complaints.html", {"batches": complaint_selectors.published_batches()})


def _published_batch(pk: int) -> ComplaintBatch:
    batch = complaint_selectors.published_batches().filter(pk=pk).first()
    if batch is None:
        raise Http404("该批次的办理结果尚未公开。")
    return batch


def complaint_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _published_batch(pk)
    rows = complaint_selectors.public_rows(batch)
    published = batch.cases.exclude(public_text={})
    context = {
        "batch": batch,
        "rows": rows,
        "stats": complaint_selectors.batch_stats(published),
        "headers": PUBLIC_HEADERS,
    }
    return render(request, "portal/complaint_batch.html", context)


def complaint_batch_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    batch = _published_batch(pk)
    rows = [[r.code, r.region, r.types, r.content, r.verdict, r.handling, r.accountability, r.status]
            for r in complaint_selectors.public_rows(batch)]  # fmt: skip
    title = f"{batch}办理情况一览表"
    if fmt == "xlsx":
        content = render_xlsx([("一览表", title, PUBLIC_HEADERS, rows)])
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        doc = OfficialDocument(
            issuer="朔州市生态环境保护督察整改工作领导小组办公室",
            number="",
            title=title,
            recipients=[],
            paragraphs=[f"现将{batch}办理情况公开如下（举报人个人信息已隐去）。"],
            signature="朔州市生态环境保护督察整改工作领导小组办公室",
            date=clock.today(),
            kind_label="一览表",
            tables=[Table(headers=PUBLIC_HEADERS, rows=[[str(v) for v in row] for row in rows])],
        )
        content, mime = render_pdf(doc), "application/pdf"
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = (
        f"attachment; filename=\"complaints-{batch.batch_no}.{fmt}\"; filename*=UTF-8''{quote(title)}.{fmt}"
    )
    return response
