"""挂图作战: the Gantt page and its A3 PDF (the API is gantt_api.py). Thin: each reads the rows
through gantt.gantt_chart, so the page, the PDF and the API show the same rows for the same
filters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import json_script

from rectify.core.http import business_view

from . import gantt, gantt_pdf


class CompactJSON(DjangoJSONEncoder):
    """The page's rows as compact UTF-8 JSON: escaped to \\uXXXX and spaced, Chinese text took
    three times the bytes (json_script still escapes <, > and &)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(ensure_ascii=False, separators=(",", ":"))
        super().__init__(*args, **kwargs)


def page_payload(chart: gantt.GanttChart, *, text_chars: int = 60) -> dict[str, Any]:
    """The rows as the page's script reads them: what the API returns, without default values,
    and each measure's text once (a unit view repeats a measure for every unit)."""
    rows: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    for r in chart.rows:
        d = r.as_dict(text_chars=text_chars)
        for name in ("key", "problem_id"):
            d.pop(name)
        if r.kind == "share":
            texts.setdefault(str(r.measure_id), d.pop("text"))
            d.pop("unit")
        rows.append(
            {k: v for k, v in d.items() if (k == "progress" and v is not None) or v not in (None, "", False, [], 0)}
        )
    return {
        "group": chart.filters.group,
        "today": chart.today.isoformat(),
        "start": chart.start.isoformat(),
        "end": chart.end.isoformat(),
        "rows": rows,
        "texts": texts,
    }


def _describe(chart: gantt.GanttChart, options: dict[str, list[tuple[int, str]]]) -> str:
    """The filters in words, for the page and the PDF's subtitle."""
    f = chart.filters
    parts = [gantt.GROUPS[f.group]]
    for name, key in (("plans", f.plan), ("units", f.unit), ("counties", f.county)):
        label = dict(options[name]).get(key) if key else None
        if label:
            parts.append(label)
    if f.warnings:
        parts.append("预警：" + "、".join(gantt.LEVELS[w] for w in f.warnings))
    return " · ".join(parts)


@login_required
@business_view
def gantt_page(request: HttpRequest) -> HttpResponse:
    filters, errors = gantt.GanttFilters.from_query(request.GET, default_group=gantt.default_group(request.user))
    chart = gantt.gantt_chart(viewer=request.user, filters=filters)
    options = gantt.gantt_options(viewer=request.user)
    payload = page_payload(chart)
    context = {
        "chart": chart,
        "counts": chart.counts(),
        "payload": payload,
        "payload_script": json_script(payload, "gantt-data", encoder=CompactJSON),
        "errors": errors,
        "filters": filters,
        "query": filters.query(),
        "group_links": [(value, label, replace(filters, group=value).query()) for value, label in gantt.GROUPS.items()],
        "levels": list(gantt.LEVELS.items()),
        "description": _describe(chart, options),
        "city": gantt.city_name(),
        **options,
    }
    return render(request, "dashboards/gantt.html", context)


@login_required
@business_view
def gantt_pdf_file(request: HttpRequest) -> HttpResponse:
    """The same chart as a print-ready A3 landscape PDF (bad filter values are ignored, as on
    the page; the page shows why)."""
    filters, _errors = gantt.GanttFilters.from_query(request.GET, default_group=gantt.default_group(request.user))
    chart = gantt.gantt_chart(viewer=request.user, filters=filters, limit=gantt.PDF_MAX_ITEMS)
    options = gantt.gantt_options(viewer=request.user)
    content = gantt_pdf.render_pdf(chart, city=gantt.city_name(), description=_describe(chart, options))
    filename = f"挂图作战图-{chart.today:%Y%m%d}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"gantt-{chart.today:%Y%m%d}.pdf\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
