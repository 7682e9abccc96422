"""A dashboard figure as a link to the items behind it (`data-figure` names it for the tests)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def fig(value: object, url: str, name: str = "", css: str = "") -> SafeString:
    """`value` linked to `url` (plain text when there is no list to open)."""
    shown = "—" if value is None else value
    if not url:
        return format_html('<span class="fig {}" data-figure="{}">{}</span>', css, name, shown)
    return format_html('<a class="fig {}" data-figure="{}" href="{}">{}</a>', css, name, url, shown)


@register.filter
def pct(value: float | None) -> str:
    """A rate already in percent (12.5 → 12.5%); "—" when there is none."""
    from rectify.core.formats import format_percent

    return format_percent(value)


@register.filter
def bar_width(value: float | None) -> str:
    """A width class for a progress bar: w-0 … w-100 in steps of 5 (no inline style)."""
    if not value:
        return "dash-w-0"
    return f"dash-w-{min(100, max(0, round(value / 5) * 5))}"
