"""Template filters of the public pages: free text masked on its way out, status colours."""

from __future__ import annotations

from django import template

from rectify.complaints import privacy

register = template.Library()

STATUS_CLASSES = {
    "in_progress": "status-progress",
    "completed": "status-completed",
    "ongoing": "status-done",
    "closed": "status-done",
}


@register.filter
def masked(value: object) -> str:
    """Complainants' personal data (names after 举报人…, phones, ID numbers, addresses) masked."""
    return privacy.mask_text(str(value or ""))


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASSES.get(str(status), "status-progress")


@register.filter
def bar_width(progress: float | None) -> int:
    """A progress bar's width in percent, 0–100."""
    if progress is None:
        return 0
    return max(0, min(100, round(float(progress))))
