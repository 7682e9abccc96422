"""Ledger cells rendered in Python: a ledger page shows hundreds of these, and an {% include %}
per cell cost more than the database queries (see docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from html import escape as _html_escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from rectify.core.formats import format_percent
from rectify.orgs.scope import Scope, viewer_scope
from rectify.plans.models import Assignment, DeadlineKind, FlagKind, ShareStatus, WarningLevel

from .plans_editing import source_badge
from .rounds import relapse_badge

register = template.Library()
_KIND_LABELS = dict(DeadlineKind.choices)


_ROLE_LABELS = dict(Assignment.RoleKind.choices)


def _e(value: Any) -> str:
    """As django.utils.html.escape (html.escape of str()), without its lazy-string wrapper: a
    ledger page escapes ~4,000 values, and the wrapper was a third of the rows' time."""
    return _html_escape(str(value))


def _ce(value: Any) -> str:
    """As django.utils.html.conditional_escape: markup already marked safe stays as it is."""
    return str(value.__html__()) if hasattr(value, "__html__") else _e(value)


@lru_cache(maxsize=1)
def _unit_url_prefix() -> str:
    return reverse("plans:unit", args=[0])[:-2]


@lru_cache(maxsize=1)
def _problem_url_prefix() -> str:
    return reverse("plans:problem", args=[0])[:-2]


def link_scope(context: Any) -> Scope | None:
    """Whose unit pages the viewer may open (plans:unit answers 404 outside the viewer's scope):
    the viewer's scope, computed once per request (viewer_scope caches it on the user); None
    when no unit may be linked (no request, or no business role: system and audit admins)."""
    request = context.get("request") if context is not None else None
    user = getattr(request, "user", None)
    if user is None:
        return None
    scope = viewer_scope(user)
    return scope if scope.is_business_user else None


def _may_open(scope: Scope | None, unit_id: int | None) -> bool:
    return scope is not None and unit_id is not None and (scope.everything or unit_id in scope.unit_ids)


def _unit_badges(assignments: Iterable[Assignment], scope: Scope | None) -> str:
    # escape() + f-strings: format_html and reverse() per badge were most of a ledger page's time.
    prefix = _unit_url_prefix()
    parts: list[str] = []
    for a in assignments:
        if a.unit_id and a.unit is not None:
            css = "badge-lead" if a.role == Assignment.RoleKind.LEAD else "badge-support"
            title = f'title="{_ROLE_LABELS.get(a.role, "")}；原文：{_e(a.phrase)}"'
            if _may_open(scope, a.unit_id):
                badge = f'<a class="badge {css} text-decoration-none" href="{prefix}{a.unit_id}/" {title}>'
                badge += f"{_e(a.unit.name)}</a>"
            else:
                # Outside the viewer's scope: the same badge, not a link (its page would refuse).
                badge = f'<span class="badge {css}" {title}>{_e(a.unit.name)}</span>'
            parts.append(badge + _flag_html(a.unit.flags))
        else:
            parts.append(f'<span class="badge badge-pending" title="待确认">{_e(a.phrase)}（待确认）</span>')
    return " ".join(parts)


@register.simple_tag(takes_context=True)
def unit_badges(context: Any, assignments: Iterable[Assignment]) -> SafeString:
    """The responsible units as badges, linked to the unit pages the viewer may open."""
    return mark_safe(_unit_badges(assignments, link_scope(context)))  # noqa: S308 - every value is escaped


@register.simple_tag
def deadline_cell(item: Any) -> SafeString:
    return mark_safe(_deadline_html(item))  # noqa: S308 - every value is escaped


def _clause_due(part: dict[str, Any]) -> str:
    due = part.get("due")
    return _e(f"（{due}）") if due else ""


def _deadline_html(item: Any) -> str:
    label = _KIND_LABELS.get(item.deadline_kind, item.deadline_kind)
    dates = ""
    if item.deadline_kind == DeadlineKind.RECURRING:
        # 周期性: the period, and the current period's end (the daily scan moves it on).
        label = f"周期性·{item.get_recurrence_display()}" if item.recurrence else label
        first = item.due_on and item.start_on and item.due_on < item.start_on
        dates = f"{'首期' if first else '本期'}至 {item.due_on:%Y-%m-%d}" if item.due_on else ""
        if item.start_on:
            dates += f"（周期自{item.start_on:%Y-%m-%d}起）"
    elif item.due_on:
        start = f"{item.start_on:%Y-%m-%d} 至 " if item.start_on else ""
        dates = f"{start}{item.due_on:%Y-%m-%d}"
    html = (
        f'<span>{_e(item.deadline_raw or "—")}</span><div class="small"><span class="badge badge-kind">'
        f'{_e(label)}</span> <span class="text-muted">{_e(dates)}</span></div>'
    )
    # A recurring deadline's clauses only say how it starts: its raw text shows them.
    clauses = (item.deadline_parts if item.deadline_kind != DeadlineKind.RECURRING else None) or []
    parts = "".join(f"<li>{_e(p.get('scope') or '')}：{_e(p.get('raw', ''))}{_clause_due(p)}</li>" for p in clauses)
    if parts:
        html += f'<ul class="small mb-0 ps-3">{parts}</ul>'
    return html


_STATUS_CSS = {"closed": "success", "in_progress": "primary"}
_WARNING_CSS: dict[str, str] = {"red": "warn-red", "yellow": "warn-yellow", "green": "warn-green"}
_WARNING_LABELS: dict[str, str] = dict(WarningLevel.choices)


@register.simple_tag
def warning_badge(level: str, title: str = "") -> SafeString:
    """The level as a coloured dot and word (colour is never the only signal)."""
    return mark_safe(_warning_html(level, title))  # noqa: S308 - every value is escaped


def _warning_html(level: str, title: Any = "") -> str:
    if not level:
        return '<span class="badge warn-none" title="尚未扫描">未评估</span>'
    return (
        f'<span class="badge {_e(_WARNING_CSS.get(level, ""))}" title="{_ce(title)}"><i class="bi bi-circle-fill"></i> '
        f"{_e(_WARNING_LABELS.get(level, level))}</span>"
    )


@register.filter
def percent(value: float | None) -> str:
    return format_percent(value)


def _progress_html(m: Any) -> str:
    if m.progress is None:
        return '<span class="text-muted small">未报送</span>'
    value = max(0.0, min(100.0, float(m.progress)))
    return (
        f'<div class="small">{_e(format_percent(value))}</div><div class="progress" style="height:4px" '
        f'role="progressbar" aria-valuenow="{int(value)}" aria-valuemin="0" aria-valuemax="100">'
        f'<div class="progress-bar" style="width:{int(value)}%"></div></div>'
    )


_FLAG_LABELS: dict[str, str] = dict(FlagKind.choices)


@register.simple_tag
def flag_badges(flags: Iterable[str] | None) -> SafeString:
    """挂牌督办 / 约谈 in force on a problem or unit, wherever it is shown."""
    return mark_safe(_flag_html(flags))  # noqa: S308 - labels come from FlagKind, not from users


def _flag_html(flags: Iterable[str] | None) -> str:
    if not flags:
        return ""
    return "".join(
        f' <span class="badge flag-{f}" data-flag="{f}"><i class="bi bi-flag-fill"></i> {_FLAG_LABELS[f]}</span>'
        for f in flags
        if f in _FLAG_LABELS
    )


_SHARE_STATUS_LABELS: dict[str, str] = dict(ShareStatus.choices)


def _shares(m: Any) -> list[Assignment]:
    """The measure's shares from its prefetched assignments, lead first, then directory order."""
    rows = [a for a in m.assignments.all() if a.unit_id and a.unit is not None]
    return sorted(rows, key=lambda a: (a.role != Assignment.RoleKind.LEAD, a.unit.path if a.unit else ""))


@register.simple_tag
def share_levels(m: Any) -> SafeString:
    """ "红2 黄13 绿1": the measure's shares by level, the roll-up's ingredients at a glance."""
    return mark_safe(_share_levels_html(_shares(m)))  # noqa: S308 - fixed labels and integers


def _share_levels_html(shares: list[Any]) -> str:
    counts: dict[str, int] = {}
    for a in shares:
        counts[a.warning_level] = counts.get(a.warning_level, 0) + 1
    parts = [
        f'<span class="{css}" data-share-level="{level}">{label[0]}{counts[level]}</span>'
        for level, label, css in (
            ("red", "红", "text-danger"),
            ("yellow", "黄", "text-warning"),
            ("green", "绿", "text-success"),
        )
        if counts.get(level)
    ]
    return " ".join(parts)


@register.simple_tag(takes_context=True)
def share_table(context: Any, m: Any, open_: bool = False) -> SafeString:
    """The per-unit breakdown of a measure: each unit's own status, progress, due date and level."""
    return _share_table(m, link_scope(context), open_)


def _unit_cell(unit_id: int | None, name: str, scope: Scope | None) -> str:
    if _may_open(scope, unit_id):
        return f'<a href="{_unit_url_prefix()}{unit_id}/">{_e(name)}</a>'
    return _e(name)


def _share_table(m: Any, scope: Scope | None, open_: bool = False) -> SafeString:
    shares = _shares(m)
    if not shares:
        return mark_safe("")
    rows = "".join(
        f'<tr data-share="{a.pk}"><td>{_unit_cell(a.unit_id, a.unit.name if a.unit else "", scope)}</td>'
        f"<td>{_ROLE_LABELS.get(a.role, '')}</td><td>{_SHARE_STATUS_LABELS.get(a.status, a.status)}</td>"
        f"<td>{format_percent(a.progress) if a.progress is not None else '未报送'}</td>"
        f"<td>{f'{a.due_on:%Y-%m-%d}' if a.due_on else '—'}{'（已延期）' if a.due_extended else ''}</td>"
        f"<td>{_warning_html(a.warning_level)}</td>"
        f'<td class="small">{_e(a.warning_summary) if a.warning_level else ""}</td></tr>'
        for a in shares
    )
    return mark_safe(  # noqa: S308 - names and reasons are escaped, the rest are labels and numbers
        f'<details class="small mt-1 shares"{" open" if open_ else ""}><summary>分单位情况（{len(shares)} 个单位）'
        f" {_share_levels_html(shares)}</summary>"
        '<div class="table-responsive"><table class="table table-sm table-bordered mb-0 mt-1 bg-white">'
        "<thead><tr><th>责任单位</th><th>角色</th><th>状态</th><th>本单位进度</th><th>本单位时限</th><th>预警</th><th>原因</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></details>"
    )


@register.simple_tag(takes_context=True)
def ledger_row(context: Any, m: Any) -> SafeString:
    """One 台账 row: a measure with its problem, units, deadline, milestones and status."""
    return mark_safe(_ledger_row_html(m, link_scope(context)))  # noqa: S308 - every value is escaped


LEDGER_EMPTY = '<tr><td colspan="8" class="text-center text-muted py-4">没有符合条件的整改措施</td></tr>'


@register.simple_tag(takes_context=True)
def ledger_rows(context: Any, measures: Iterable[Any]) -> SafeString:
    """The ledger table's rows (as the template's loop of `ledger_row` printed them, each on its
    own line), or the "nothing matches" row."""
    scope = link_scope(context)
    rows = [_ledger_row_html(m, scope) for m in measures] or [LEDGER_EMPTY]
    return mark_safe("".join(f"\n  {row}\n  " for row in rows))  # noqa: S308 - every value is escaped


def _ledger_row_html(m: Any, scope: Scope | None) -> str:
    # f-strings and html.escape: format_html's escape of each of ~80 values per row (through
    # Django's lazy-string wrapper) was most of the page (tests/web/test_ledger_row_html.py keeps
    # the format_html version and compares).
    problem = m.problem
    chapter = problem.chapter
    milestones = "".join(f"<div>{ms.due_on:%Y-%m-%d}</div>" for ms in m.milestones.all())
    badges = _flag_html(problem.flags) + relapse_badge(problem) + source_badge(problem.source)
    source = source_badge(m.source) if m.source != problem.source else ""
    reported = f"最近报送 {timezone.localtime(m.last_report_at):%m-%d}" if m.last_report_at else ""
    return (
        f'<tr><td><a href="{_problem_url_prefix()}{m.problem_id}/" title="{_e(problem.text[:120])}">'
        f"（{_e(problem.number)}）</a>{badges}</td>"
        f"<td>{_e(m.number or '—')}</td>"
        f'<td class="measure-text"><div class="clamp-3">{source}{_e(m.text)}</div>'
        f'<div class="small text-muted">{_e(chapter.number)}、{_e(chapter.title[:30])}</div></td>'
        f"<td>{_unit_badges(m.assignments.all(), scope)}</td><td>{_deadline_html(m)}</td>"
        f'<td class="small">{milestones or "—"}</td>'
        f"<td>{_progress_html(m)}</td>"
        f'<td><span class="badge text-bg-{_e(_STATUS_CSS.get(m.status, "info"))}">{_e(m.get_status_display())}</span>'
        f'<div class="mt-1">{_warning_html(m.warning_level)}</div>'
        f'<div class="small text-muted">{_e(reported)}</div>{_share_table(m, scope)}</td>'
        "</tr>"
    )


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, str]], selected: Any) -> SafeString:
    """<option>s for a filter select (hundreds of units: cheaper than a template loop)."""
    values = selected if isinstance(selected, list | tuple | set) else [selected]
    chosen = {str(v) for v in values if v is not None}
    html = "".join(
        f'<option value="{_e(value)}"{" selected" if str(value) in chosen else ""}>{_e(label)}</option>'
        for value, label in choices
    )
    return mark_safe(html)  # noqa: S308 - values and labels are escaped
