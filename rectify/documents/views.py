"""Pages and downloads of the documents app: the ledger export, the .docx/.pdf of a supervision
notice, 月通报 (list, generate, edit, issue, download) and 工作简报 (list, draft, edit, issue,
download). Thin: each view reads through selectors and writes through one service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from rectify.audit.selectors import audit_timeline
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden, NotFound
from rectify.core.http import business_view, errors_as_messages, paginate, post_int
from rectify.supervision.notices import issuer_for

from . import (
    briefing_county,
    briefing_photos,
    briefing_rich,
    briefing_series,
    compose,
    dossier_views,
    export_jobs,
    job_sources,
    jobs,
    policies,
    publishing,
    selectors,
    services,
)
from .ledger import FORMATS
from .models import Briefing, Circular, DocStatus
from .renderers import briefing as briefing_renderer
from .renderers.gbt9704 import heading_level, lines

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@login_required
@business_view
def ledger_export(request: HttpRequest) -> HttpResponseBase:
    """Rendered in the background (documents.export_jobs): this request records what was asked
    (the viewer, the filters, today) and sends the browser to the job's progress page."""
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        fmt = "xlsx"
    req = export_jobs.ledger_request(viewer=request.user, fmt=fmt, query=request.GET)
    return dossier_views.export_started(request, req, request.user)


# --- downloads -------------------------------------------------------------------------------


@login_required
@business_view
def notice_file(request: HttpRequest, notice_id: int, fmt: str) -> HttpResponseBase:
    """Rendered in the background (documents.jobs), once per content; the same scope as the notice."""
    notice = selectors.notice_get(viewer=request.user, notice_id=notice_id)
    return jobs.document_response(request, source=job_sources.NOTICE, pk=notice.pk, fmt=fmt, obj=notice)


@login_required
@business_view
def circular_file(request: HttpRequest, circular_id: int, fmt: str) -> HttpResponseBase:
    """Rendered in the background (documents.jobs), once per content; the same scope as the page."""
    circular = selectors.circular_get(viewer=request.user, circular_id=circular_id)
    return jobs.document_response(request, source=job_sources.CIRCULAR, pk=circular.pk, fmt=fmt, obj=circular)


@login_required
@business_view
def briefing_file(request: HttpRequest, briefing_id: int, fmt: str) -> HttpResponseBase:
    """Rendered in the background (documents.jobs), once per content; the same scope as the page."""
    briefing = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    return jobs.document_response(request, source=job_sources.BRIEFING, pk=briefing.pk, fmt=fmt, obj=briefing)


# --- 月通报 ------------------------------------------------------------------------------------


def _previous_month(today: dt.date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)


@login_required
@business_view
def circulars(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.circular_list(viewer=request.user))
    today = clock.today()
    year, month = _previous_month(today)
    context = {
        "page": page,
        "query": "",
        "can_compile": policies.can_compile(request.user),
        "default_year": year,
        "default_month": month,
        "years": list(range(today.year, today.year - 6, -1)),
        "months": list(range(1, 13)),
    }
    return render(request, "documents/circulars.html", context)


@login_required
@require_POST
@business_view
def circular_generate(request: HttpRequest) -> HttpResponse:
    year, month = post_int(request, "year"), post_int(request, "month")
    with errors_as_messages(request):
        circular, created = services.circular_generate(actor=request.user, year=year, month=month)
        if created:
            messages.success(request, f"已生成{circular.period_label}通报草稿，请核对数据、修改文字后印发。")
        else:
            messages.success(request, f"已按最新数据更新{circular.period_label}通报草稿的统计数据。")
        return redirect("documents:circular", circular_id=circular.pk)
    return redirect("documents:circulars")


def _circular_context(request: HttpRequest, circular: Circular, typed: dict[str, str] | None = None) -> dict[str, Any]:
    units = compose.figures_units(circular)
    editable = circular.status == DocStatus.DRAFT and policies.can_edit(request.user, circular)
    paragraphs = compose.circular_paragraphs(circular)
    return {
        "circular": circular,
        "units": units,
        "counties": compose.figures_counties(circular),
        "named": compose.figures_named(circular),
        # A circular counted before the current rule shows the tables it was issued with.
        "legacy_tables": compose.circular_tables(circular) if circular.figures.get("tables") else [],
        "totals": compose.figures_totals(circular),
        "preview": [{"level": heading_level(line), "text": line} for line in lines(paragraphs)],
        "chart": compose.chart_data(circular),
        "chart_height": max(240, 26 * len(units) + 70),
        "rule": circular.figures.get("rule", ""),
        "can_edit": editable,
        "can_publish": circular.status == DocStatus.ISSUED and policies.can_publish(request.user),
        "typed": typed,
        "timeline": audit_timeline(circular, include_children=False),
    }


@login_required
@business_view
def circular(request: HttpRequest, circular_id: int) -> HttpResponse:
    """The 月通报: figures, chart and text; its office edits the draft's words here (versioned)."""
    obj = selectors.circular_get(viewer=request.user, circular_id=circular_id)
    if request.method != "POST":
        return render(request, "documents/circular.html", _circular_context(request, obj))
    typed = {k: request.POST.get(k, "") for k in ("title", "intro", "closing")}
    try:
        services.circular_update(actor=request.user, circular=obj, version=post_int(request, "version"), **typed)
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        obj.refresh_from_db()
        status = 409 if isinstance(exc, ConcurrentChange) else 400
        return render(request, "documents/circular.html", _circular_context(request, obj, typed), status=status)
    messages.success(request, "通报草稿已保存。")
    return redirect("documents:circular", circular_id=obj.pk)


@login_required
@require_POST
@business_view
def circular_action(request: HttpRequest, circular_id: int, action: str) -> HttpResponse:
    obj = selectors.circular_get(viewer=request.user, circular_id=circular_id)
    with errors_as_messages(request):
        if action == "refresh":
            services.circular_refresh(actor=request.user, circular=obj)
            messages.success(request, "已按最新数据重新统计。")
        elif action == "issue":
            services.circular_issue(actor=request.user, circular=obj, version=post_int(request, "version"))
            messages.success(request, f"通报已印发，文号：{obj.number}。被点名的单位将收到通知。")
        elif action == "cancel":
            services.circular_cancel(actor=request.user, circular=obj)
            messages.success(request, "通报草稿已作废。")
        elif action in ("publish", "unpublish"):
            publishing.document_publish(actor=request.user, doc=obj, public=action == "publish")
            messages.success(request, "已在门户网站公开。" if action == "publish" else "已从门户网站撤下。")
    return redirect("documents:circular", circular_id=obj.pk)


# --- 工作简报 ----------------------------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


@login_required
@business_view
def briefings(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.briefing_list(viewer=request.user))
    today = clock.today()
    context = {
        "page": page,
        "query": "",
        "can_compile": policies.can_compile(request.user),
        "default_start": today - dt.timedelta(days=6),
        "default_end": today,
        "year": today.year,
        "can_submit_items": briefing_county.can_submit(request.user),
    }
    if context["can_compile"]:
        issuer = issuer_for(request.user)
        context["last_no"] = briefing_series.last_issue_no(issuer, today.year)
        context["issued_max"] = briefing_series.issued_max(issuer, today.year)
    return render(request, "documents/briefings.html", context)


@login_required
@require_POST
@business_view
def briefing_new(request: HttpRequest) -> HttpResponse:
    start, end = _date(request.POST.get("period_start", "")), _date(request.POST.get("period_end", ""))
    with errors_as_messages(request):
        if start is None or end is None:
            raise DomainError("请填写起止日期。")
        briefing = services.briefing_draft(actor=request.user, period_start=start, period_end=end)
        messages.success(request, "已根据本期数据起草简报，请修改完善后印发。")
        return redirect("documents:briefing", briefing_id=briefing.pk)
    return redirect("documents:briefings")


def _count(data: QueryDict, name: str, limit: int) -> int:
    value = str(data.get(name, ""))
    return min(int(value), limit) if value.isascii() and value.isdigit() else 0


def _item_from_post(data: QueryDict, key: str) -> dict[str, Any]:
    """One item of the edit form: its title, its text (the editor's HTML, or the plain textarea
    of a page without the editor), the photos kept (ticked) and one added, where it came from."""
    item: dict[str, Any] = {"title": data.get(f"{key}-title", "")}
    if f"{key}-html" in data:
        item["html"] = data.get(f"{key}-html", "")
    else:
        item["paragraphs"] = str(data.get(f"{key}-body", "")).splitlines()
    photos = [*data.getlist(f"{key}-photo"), data.get(f"{key}-add-photo", "")]
    item["photos"] = [ref for p in photos if (ref := briefing_photos.parse_key(p))]
    if source := briefing_photos.parse_key(data.get(f"{key}-source", "")):
        item["source"] = {"kind": source["source"], "id": source["id"]}
    return item


def sections_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """The edit form's sections: s{i}-heading, and per item s{i}-{j}-title / -html (or -body) /
    -photo / -order / -delete (each section also carries one blank item to add a new one).
    Items are put in the order of their 顺序 numbers (ties keep the page's order)."""
    sections = []
    for i in range(_count(data, "sections", 20)):
        ranked = []
        for j in range(_count(data, f"s{i}-items", 200)):
            if data.get(f"s{i}-{j}-delete"):
                continue
            order = str(data.get(f"s{i}-{j}-order", "")).strip()
            rank = int(order) if order.isascii() and order.isdigit() else j + 1
            ranked.append((rank, j, _item_from_post(data, f"s{i}-{j}")))
        items = [item for _, _, item in sorted(ranked, key=lambda r: (r[0], r[1]))]
        sections.append({"heading": data.get(f"s{i}-heading", ""), "items": items})
    return sections


def _form_item(briefing: Briefing, item: dict[str, Any]) -> dict[str, Any]:
    source = item.get("source") or {}
    return {
        "title": item.get("title", ""),
        "body": "\n".join(item.get("paragraphs", [])),
        "html": item.get("html") or briefing_rich.from_paragraphs(list(item.get("paragraphs", []))),
        "photos": [
            {"key": briefing_photos.ref_key(r), "url": briefing_photos.url(briefing, r)}
            for r in briefing_photos.clean_refs(item.get("photos", []))
        ],
        "source": f"{source.get('kind')}-{source.get('id')}" if source else "",
    }


def _briefing_context(request: HttpRequest, briefing: Briefing, typed: dict[str, Any] | None = None) -> dict[str, Any]:
    editable = briefing.status == DocStatus.DRAFT and policies.can_edit(request.user, briefing)
    lines = {f: getattr(briefing, f) for f in briefing_series.LINE_FIELDS}
    source = typed or {
        "sections": briefing.sections,
        "series_title": briefing.series_title,
        "date": briefing.date,
        "editor": briefing.editor,
        **lines,
    }
    form_sections = [
        {
            "heading": s.get("heading", ""),
            "items": [_form_item(briefing, i) for i in s.get("items", [])]
            + [{"title": "", "body": "", "html": "", "photos": [], "blank": True}],
        }
        for s in source["sections"]
    ]
    document = compose.briefing_document(briefing, photos=False)
    preview = [
        {
            "heading": s.get("heading", ""),
            "items": [
                {
                    "title": i.get("title", ""),
                    "html": briefing_rich.sanitize(
                        i.get("html") or briefing_rich.from_paragraphs(list(i.get("paragraphs", [])))
                    ),
                    "photos": [briefing_photos.url(briefing, r) for r in i.get("photos", [])],
                }
                for i in s.get("items", [])
            ],
        }
        for s in briefing.sections
        if s.get("items")
    ]
    picking = briefing_county.can_pick(request.user, briefing)
    return {
        "briefing": briefing,
        "document": document,
        "preview": preview,
        "issue_label": briefing_renderer.issue_label(document.issue_no),
        "can_edit": editable,
        "can_publish": briefing.status == DocStatus.ISSUED and policies.can_publish(request.user),
        "form": source,
        "form_sections": form_sections,
        "photo_choices": briefing_photos.choices(briefing) if editable else [],
        "offered": briefing_county.offered_items(briefing=briefing) if picking else [],
        "can_pick": picking,
        "timeline": audit_timeline(briefing, include_children=False),
    }


@login_required
@business_view
def briefing(request: HttpRequest, briefing_id: int) -> HttpResponse:
    obj = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    if request.method != "POST":
        return render(request, "documents/briefing.html", _briefing_context(request, obj))
    typed: dict[str, Any] = {
        "sections": sections_from_post(request.POST),
        "series_title": request.POST.get("series_title", ""),
        "date": _date(request.POST.get("date", "")) or obj.date,
        "editor": request.POST.get("editor", ""),
    }
    lines = {f: request.POST[f] for f in briefing_series.LINE_FIELDS if f in request.POST}
    typed |= {f: lines.get(f, getattr(obj, f)) for f in briefing_series.LINE_FIELDS}
    try:
        services.briefing_update(
            actor=request.user,
            briefing=obj,
            version=post_int(request, "version"),
            sections=typed["sections"],
            series_title=typed["series_title"],
            date=typed["date"],
            editor=typed["editor"],
            lines=lines or None,
        )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        obj.refresh_from_db()
        status = 409 if isinstance(exc, ConcurrentChange) else 400
        return render(request, "documents/briefing.html", _briefing_context(request, obj, typed), status=status)
    messages.success(request, "简报草稿已保存。")
    return redirect("documents:briefing", briefing_id=obj.pk)


@login_required
@require_POST
@business_view
def briefing_action(request: HttpRequest, briefing_id: int, action: str) -> HttpResponse:
    obj = selectors.briefing_get(viewer=request.user, briefing_id=briefing_id)
    with errors_as_messages(request):
        if action == "issue":
            services.briefing_issue(actor=request.user, briefing=obj, version=post_int(request, "version"))
            messages.success(request, f"简报已印发：{obj.year}年第{obj.issue_no}期。")
        elif action == "cancel":
            services.briefing_cancel(actor=request.user, briefing=obj)
            messages.success(request, "简报草稿已作废。")
        elif action in ("publish", "unpublish"):
            publishing.document_publish(actor=request.user, doc=obj, public=action == "publish")
            messages.success(request, "已在门户网站公开。" if action == "publish" else "已从门户网站撤下。")
    return redirect("documents:briefing", briefing_id=obj.pk)
