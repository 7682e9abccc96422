"""The warning board's rows rendered in Python: a template loop over 50 rows with ~25 variable
lookups and two {% url %} each was most of the board page's time (docs/benchmarks.md);
tests/web/test_warning_board.py renders both and compares the HTML."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from html import escape as _html_escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from rectify.core.formats import format_percent
from rectify.plans.templatetags.ledger import warning_badge

register = template.Library()

EMPTY = '<tr><td colspan="7" class="text-center text-muted py-4">没有符合条件的预警</td></tr>'


def _e(value: Any) -> str:
    """As the template's {{ value }} of a string or an integer (html.escape of str())."""
    return _html_escape(str(value))


@lru_cache(maxsize=1)
def _prefixes() -> tuple[str, str]:
    return reverse("plans:unit", args=[0])[:-2], reverse("plans:problem", args=[0])[:-2]


def _reasons(a: Any) -> str:
    if not a.reasons:
        return _e(a.summary)
    items = "".join(f'<li class="{"text-danger" if r.level == "red" else ""}">{_e(r.message)}</li>' for r in a.reasons)
    return f'<ul class="mb-0 ps-3">{items}</ul>'


def board_row(share: Any, a: Any) -> str:
    """One share with its fresh assessment, as the board's table row."""
    units, problems = _prefixes()
    m = share.measure
    due = ""
    if share.due_on:
        due = f'<div class="text-muted">{share.due_on:%Y-%m-%d}{"（已延期）" if share.due_extended else ""}</div>'
    expected = f'<div class="text-muted">序时 {_e(format_percent(a.expected))}</div>' if a.expected is not None else ""
    return (
        f'<tr data-share="{_e(share.pk)}" data-unit="{_e(share.unit.name)}">\n'
        f"  <td>{warning_badge(share.warning_level)}</td>\n"
        f'  <td data-label="责任单位"><a href="{units}{share.unit_id}/">{_e(share.unit.name)}</a>'
        f'<div class="small text-muted">{_e(share.get_role_display())} · {_e(share.get_status_display())}</div></td>\n'
        f'  <td data-label="问题"><a href="{problems}{m.problem_id}/#measure-{_e(m.pk)}">（{_e(m.problem.number)}）</a>'
        f'<div class="small text-muted">{_e(m.label)}</div></td>\n'
        f'  <td class="measure-text"><div class="clamp-3">{_e(m.text)}</div></td>\n'
        f'  <td class="small" data-label="本单位时限">{_e(m.deadline_raw)}{due}</td>\n'
        f'  <td class="small" data-label="本单位进度 / 序时">{_e(format_percent(share.progress))}{expected}</td>\n'
        f'  <td class="small" data-label="预警原因">{_reasons(a)}</td>\n'
        "</tr>"
    )


@register.simple_tag
def board_rows(rows: Iterable[tuple[Any, Any]]) -> SafeString:
    """The board's table rows (share, assessment), or the "nothing matches" row."""
    html = "".join(board_row(share, a) for share, a in rows)
    return mark_safe(html or EMPTY)  # noqa: S308 - every value is escaped
