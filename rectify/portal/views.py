"""The public site (信息公开): no login, published data only — the city's public plans with each
public problem's status and progress, close-out items in 公示 and closed, the 交办件 办理结果
一览表 of each published batch (masked when published), and the 月通报 and 工作简报 the city
office put on the portal. Every page names the city and links to the others (base_public.html);
every page is served from the cache (portal.cache) so a burst of readers does not reach the
database."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from rectify.audit.models import AuditEvent
from rectify.closeout.models import CloseoutStatus
from rectify.complaints import privacy
from rectify.complaints import selectors as complaint_selectors
from rectify.complaints.models import ComplaintBatch
from rectify.core import clock
from rectify.core.http import paginate
from rectify.documents import compose, jobs
from rectify.documents.renderers import briefing as briefing_renderer
from rectify.documents.renderers.fonts import font_face_css
from rectify.documents.renderers.official import OfficialDocument, Table, pdf_fingerprint, render_pdf
from rectify.documents.renderers.tabular import render_xlsx
from rectify.supervision.issuer import city_office_name

from . import selectors
from .cache import public_page

OFFICE = "生态环境保护督察整改工作领导小组办公室"


def _page(request: HttpRequest, template: str, section: str, context: dict[str, Any]) -> HttpResponse:
    city = selectors.city_name()
    return render(
        request,
        template,
        {"city": city, "office": f"{city}{OFFICE}", "section": section, "generated_at": clock.now(), **context},
    )


def _download(content: bytes, *, mime: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=mime)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response


# --- home, plans, problems -------------------------------------------------------------------------


@public_page
def home(request: HttpRequest) -> HttpResponse:
    plans = list(selectors.public_plans())
    figures = selectors.plan_figures([p.pk for p in plans])
    context = {
        "plans": [(p, figures[p.pk]) for p in plans],
        "counts": selectors.home_counts(),
        "circulars": list(selectors.published_circulars()[:3]),
        "briefings": list(selectors.published_briefings()[:3]),
    }
    return _page(request, "portal/home.html", "home", context)


@public_page
def plans(request: HttpRequest) -> HttpResponse:
    items = list(selectors.public_plans())
    figures = selectors.plan_figures([p.pk for p in items])
    return _page(request, "portal/plans.html", "plans", {"plans": [(p, figures[p.pk]) for p in items]})


@public_page
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.public_plan_get(pk)
    if obj is None:
        raise Http404("该方案未公开。")
    context = {
        "plan": obj,
        "figures": selectors.plan_figures([obj.pk])[obj.pk],
        "chapters": selectors.plan_chapters(obj),
    }
    return _page(request, "portal/plan.html", "plans", context)


@public_page
def problem(request: HttpRequest, pk: int) -> HttpResponse:
    obj = selectors.public_problem_get(pk)
    if obj is None:
        raise Http404("该问题未公开。")
    return _page(request, "portal/problem.html", "plans", {"problem": obj, "row": selectors.problem_row(obj)})


# --- 公示与销号 -----------------------------------------------------------------------------------


@public_page
def closeouts(request: HttpRequest) -> HttpResponse:
    items = selectors.public_closeouts()
    context = {
        "publishing": list(items.filter(status=CloseoutStatus.PUBLISHED)[:200]),
        "page": paginate(request, items.exclude(status=CloseoutStatus.PUBLISHED)),
        "today": clock.today(),
        "query": "",
    }
    return _page(request, "portal/closeouts.html", "closeouts", context)


# --- 交办件 办理结果 (published, masked) ---------------------------------------------------------

PUBLIC_HEADERS = ["编号", "区域", "类型", "问题", "是否属实", "处理和整改情况", "问责情况", "状态"]


@public_page
def complaints(request: HttpRequest) -> HttpResponse:
    batches = complaint_selectors.published_batches()
    return _page(request, "portal/complaints.html", "complaints", {"batches": batches})


def _published_batch(pk: int) -> ComplaintBatch:
    batch = complaint_selectors.published_batches().filter(pk=pk).first()
    if batch is None:
        raise Http404("该批次的办理结果尚未公开。")
    return batch


@public_page
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
    return _page(request, "portal/complaint_batch.html", "complaints", context)


def _public_rows(batch: ComplaintBatch) -> list[list[Any]]:
    return [[r.code, r.region, r.types, r.content, r.verdict, r.handling, r.accountability, r.status]
            for r in complaint_selectors.public_rows(batch)]  # fmt: skip


def complaint_batch_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    # The PDF job's progress polls and retries (?job=…) share the file's path, which keys the page
    # cache: they never come from it nor go into it.
    if request.GET.get("job"):
        return _batch_file(request, pk, fmt)
    return _batch_file_cached(request, pk, fmt)


def _batch_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponseBase:
    batch = _published_batch(pk)
    if fmt == "pdf":
        # Seconds of rendering: a background job (documents.jobs), served at once when rendered before.
        context = {"city": selectors.city_name(), "section": "complaints", "generated_at": clock.now()}
        context["office"] = f"{context['city']}{OFFICE}"
        return jobs.document_response(
            request,
            source=PUBLIC_LIST_SOURCE,
            pk=batch.pk,
            fmt="pdf",
            obj=batch,
            page_template="portal/job_page.html",
            page_context=context,
        )
    title = f"{batch}办理情况一览表"
    content = render_xlsx([("一览表", title, PUBLIC_HEADERS, _public_rows(batch))])
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(content, mime=mime, filename=f"{title}.{fmt}", fallback=f"complaints-{batch.batch_no}.{fmt}")


_batch_file_cached = public_page(_batch_file)
PUBLIC_LIST_SOURCE = "rectify.portal.views.public_list_source"


@jobs.job_source
def public_list_source(pk: int, fmt: str) -> jobs.Source:
    """The published 一览表 as a PDF job: the batch must still be published when it renders."""
    batch = _published_batch(pk)
    title = f"{batch}办理情况一览表"
    # The fingerprint is of the data the list is made from (the frozen public text of each case,
    # the date, the office, the fonts), not of the laid-out document: checking it must stay cheap,
    # since every request and every progress poll computes it. The code that masks and lays it
    # out is in the key too (documents.jobs.code_version).
    cases = batch.cases.exclude(public_text={}).order_by("pk")
    data = list(cases.values_list("pk", "code", "region_text", "types", "public_text", "verdict", "status"))
    fingerprint = jobs.text_fingerprint(title, published_on(batch), city_office_name(), data, font_face_css())
    return jobs.Source(
        fingerprint=fingerprint,
        filename=f"{title}.pdf",
        fallback=f"complaints-{batch.batch_no}.pdf",
        content_type="application/pdf",
        render=lambda: public_list_pdf(public_list_document(title, batch, _public_rows(batch))),
    )


PUBLIC_PDF_SECONDS = 30 * 24 * 3600


def public_list_pdf(doc: OfficialDocument) -> bytes:
    """The 一览表 PDF, rendered once per content: the rows are frozen at publication and the date is
    the publication's, so every later download is a cache read (a cold render of 120 cases takes
    seconds; docs/benchmarks.md). The key holds everything printed and the faces in use."""
    key = f"portal:list-pdf:{pdf_fingerprint(doc)}"
    content = cache.get(key)
    if content is None:
        content = render_pdf(doc)
        cache.set(key, content, PUBLIC_PDF_SECONDS)
    return bytes(content)


def published_on(batch: ComplaintBatch) -> Any:
    """The day the batch was (last) published, from the audit log; today when none is recorded."""
    event = (
        AuditEvent.objects.filter(action="complaints.published", object_id=str(batch.pk))
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return timezone.localdate(event) if event is not None else clock.today()


def public_list_document(title: str, batch: Any, rows: list[list[Any]]) -> OfficialDocument:
    """The published 一览表 as a final document (no 发文字号, no 草稿 mark) of the city office, on
    A4 landscape with every column, widths by content, rows flowing under a repeated header."""
    office = city_office_name()
    return OfficialDocument(
        issuer=office,
        number="",
        title=title,
        recipients=[],
        paragraphs=[f"现将{batch}办理情况公开如下（举报人个人信息已隐去）。"],
        signature=office,
        date=published_on(batch),
        kind_label="一览表",
        tables=[
            Table(headers=PUBLIC_HEADERS, rows=[[str(v) for v in row] for row in rows], size=10.5, fit_widths=True)
        ],
        draft=False,
        landscape=True,
    )


# --- 月通报、工作简报 -------------------------------------------------------------------------------


@public_page
def documents(request: HttpRequest) -> HttpResponse:
    context = {
        "circulars": list(selectors.published_circulars()),
        "briefings": [(b, _briefing_titles(b)) for b in selectors.published_briefings()],
    }
    return _page(request, "portal/documents.html", "documents", context)


def _briefing_titles(b: Any) -> list[str]:
    return [privacy.mask_text(i.get("title", "")) for s in b.sections for i in s.get("items", []) if i.get("title")]


def _masked_official(doc: OfficialDocument) -> OfficialDocument:
    """The public copy: free text masked, no 联系人 (附注)."""
    mask = privacy.mask_text
    return replace(
        doc,
        paragraphs=[mask(p) for p in doc.paragraphs],
        tables=[replace(t, rows=[[mask(str(c)) for c in row] for row in t.rows]) for t in doc.tables],
        contact="",
    )


def _masked_briefing(doc: briefing_renderer.Briefing) -> briefing_renderer.Briefing:
    """The public copy: free text masked, no editor's name."""
    mask = privacy.mask_text
    sections = [
        replace(
            s,
            items=[replace(i, title=mask(i.title), paragraphs=[mask(p) for p in i.paragraphs]) for i in s.items],
        )
        for s in doc.sections
    ]
    return replace(doc, sections=sections, editor="")


@public_page
def circular_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    circular = selectors.published_circulars().filter(pk=pk).first()
    if circular is None:
        raise Http404("该通报未公开。")
    content = render_pdf(_masked_official(compose.circular_document(circular)))
    filename = compose.circular_filename(circular, "pdf")
    return _download(content, mime="application/pdf", filename=filename, fallback=f"circular-{circular.pk}.pdf")


@public_page
def briefing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    briefing = selectors.published_briefings().filter(pk=pk).first()
    if briefing is None:
        raise Http404("该简报未公开。")
    content = briefing_renderer.render_pdf(_masked_briefing(compose.briefing_document(briefing)))
    filename = compose.briefing_filename(briefing, "pdf")
    return _download(content, mime="application/pdf", filename=filename, fallback=f"briefing-{briefing.pk}.pdf")
