"""Ledger cells rendered in Python: a ledger page shows hundreds of these, and an {% include %}
per cell cost more than the database queries (see docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from rectify.core.formats import format_percent
from rectify.plans.models import Assignment, DeadlineKind, FlagKind, WarningLevel

register = template.Library()
_KIND_LABELS = dict(DeadlineKind.choices)


_ROLE_LABELS = dict(Assignment.RoleKind.choices)


@lru_cache(maxsize=1)
def _unit_url_prefix() -> str:
    return reverse("plans:unit", args=[0])[:-2]


@register.simple_tag
def unit_badges(assignments: Iterable[Assignment]) -> SafeString:
    # escape() + f-strings: format_html and reverse() per badge were most of a ledger page's time.
    prefix = _unit_url_prefix()
    parts: list[str] = []
    for a in assignments:
        if a.unit_id and a.unit is not None:
            css = "badge-lead" if a.role == Assignment.RoleKind.LEAD else "badge-support"
            parts.append(
                f'<a class="badge {css} text-decoration-none" href="{prefix}{a.unit_id}/" '
                f'title="{_ROLE_LABELS.get(a.role, "")}；原文：{escape(a.phrase)}">{escape(a.unit.name)}</a>'
                + flag_badges(a.unit.flags)
            )
        else:
            parts.append(f'<span class="badge badge-pending" title="待确认">{escape(a.phrase)}（待确认）</span>')
    return mark_safe(" ".join(parts))  # noqa: S308 - every value above is escaped


@register.simple_tag
def deadline_cell(item: Any) -> SafeString:
    label = _KIND_LABELS.get(item.deadline_kind, item.deadline_kind)
    dates = ""
    if item.due_on:
        start = f"{item.start_on:%Y-%m-%d} 至 " if item.start_on else ""
        dates = f"{start}{item.due_on:%Y-%m-%d}"
    parts = format_html_join(
        "",
        "<li>{}：{}{}</li>",
        (
            (p.get("scope") or "", p.get("raw", ""), f"（{p['due']}）" if p.get("due") else "")
            for p in item.deadline_parts or []
        ),
    )
    html = format_html(
        '<span>{}</span><div class="small"><span class="badge badge-kind">{}</span> '
        '<span class="text-muted">{}</span></div>',
        item.deadline_raw or "—",
        label,
        dates,
    )
    if parts:
        html = format_html('{}<ul class="small mb-0 ps-3">{}</ul>', html, parts)
    return html


_STATUS_CSS = {"closed": "success", "in_progress": "primary"}
_WARNING_CSS: dict[str, str] = {"red": "warn-red", "yellow": "warn-yellow", "green": "warn-green"}
_WARNING_LABELS: dict[str, str] = dict(WarningLevel.choices)


@register.simple_tag
def warning_badge(level: str, title: str = "") -> SafeString:
    """The level as a coloured dot and word (colour is never the only signal)."""
    if not level:
        return mark_safe('<span class="badge warn-none" title="尚未扫描">未评估</span>')
    return format_html(
        '<span class="badge {}" title="{}"><i class="bi bi-circle-fill"></i> {}</span>',
        _WARNING_CSS.get(level, ""),
        title,
        _WARNING_LABELS.get(level, level),
    )


@register.filter
def percent(value: float | None) -> str:
    return format_percent(value)


def _progress_cell(m: Any) -> SafeString:
    if m.progress is None:
        return mark_safe('<span class="text-muted small">未报送</span>')
    value = max(0.0, min(100.0, float(m.progress)))
    return format_html(
        '<div class="small">{}</div><div class="progress" style="height:4px" role="progressbar" aria-valuenow="{}" '
        'aria-valuemin="0" aria-valuemax="100"><div class="progress-bar" style="width:{}%"></div></div>',
        format_percent(value),
        int(value),
        int(value),
    )


_FLAG_LABELS: dict[str, str] = dict(FlagKind.choices)


@register.simple_tag
def flag_badges(flags: Iterable[str] | None) -> SafeString:
    """挂牌督办 / 约谈 in force on a problem or unit, wherever it is shown."""
    return mark_safe(  # noqa: S308 - labels come from FlagKind, not from users
        "".join(
            f' <span class="badge flag-{f}" data-flag="{f}"><i class="bi bi-flag-fill"></i> {_FLAG_LABELS[f]}</span>'
            for f in flags or ()
            if f in _FLAG_LABELS
        )
    )


@register.simple_tag
def ledger_row(m: Any) -> SafeString:
    """One 台账 row: a measure with its problem, units, deadline, milestones and status."""
    problem = m.problem
    milestones = format_html_join("", "<div>{}</div>", ((f"{ms.due_on:%Y-%m-%d}",) for ms in m.milestones.all()))
    return format_html(
        "<tr>"
        '<td><a href="{}" title="{}">（{}）</a>{}</td>'
        "<td>{}</td>"
        '<td class="measure-text"><div class="clamp-3">{}</div><div class="small text-muted">{}、{}</div></td>'
        "<td>{}</td><td>{}</td>"
        '<td class="small">{}</td>'
        "<td>{}</td>"
        '<td><span class="badge text-bg-{}">{}</span><div class="mt-1">{}</div>'
        '<div class="small text-muted">{}</div></td>'
        "</tr>",
        reverse("plans:problem", args=[m.problem_id]),
        problem.text[:120],
        problem.number,
        flag_badges(problem.flags),
        m.number or "—",
        m.text,
        problem.chapter.number,
        problem.chapter.title[:30],
        unit_badges(m.assignments.all()),
        deadline_cell(m),
        milestones or "—",
        _progress_cell(m),
        _STATUS_CSS.get(m.status, "info"),
        m.get_status_display(),
        warning_badge(m.warning_level),
        f"最近报送 {timezone.localtime(m.last_report_at):%m-%d}" if m.last_report_at else "",
    )


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, str]], selected: Any) -> SafeString:
    """<option>s for a filter select (hundreds of units: cheaper than a template loop)."""
    values = selected if isinstance(selected, list | tuple | set) else [selected]
    chosen = {str(v) for v in values if v is not None}
    html = "".join(
        f'<option value="{escape(value)}"{" selected" if str(value) in chosen else ""}>{escape(label)}</option>'
        for value, label in choices
    )
    return mark_safe(html)  # noqa: S308 - values and labels are escaped
