"""Tags of the editing pages and the problem page's editing panel: the source badge (自查自纠、
举一反三 …), the unit picker over the whole directory, and the panel's permissions and leaders."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from rectify.plans import leaders
from rectify.plans.models import ItemSource, Problem, ProblemLeader
from rectify.plans.policies import can_add_items, can_assign_leaders

register = template.Library()

_SOURCE_ICONS: dict[str, str] = {
    ItemSource.SELF_CHECK: "bi-clipboard-check",
    ItemSource.EXTRAPOLATION: "bi-diagram-3",
    ItemSource.LOOKBACK: "bi-arrow-counterclockwise",
    ItemSource.PUBLIC_REPORT: "bi-megaphone",
}
_SOURCE_LABELS = dict(ItemSource.choices)


@register.simple_tag
def source_badge(source: str) -> SafeString:
    """Where a problem or measure came from; nothing for a plan import (the ledger's default)."""
    if not source or source == ItemSource.PLAN:
        return mark_safe("")
    return format_html(
        ' <span class="badge bg-info-subtle text-info-emphasis border border-info-subtle" '
        'title="来源：{}（手工添加）" data-testid="source-badge"><i class="bi {}"></i> {}</span>',
        _SOURCE_LABELS.get(source, source),
        _SOURCE_ICONS.get(source, "bi-pencil"),
        _SOURCE_LABELS.get(source, source),
    )


@register.simple_tag
def unit_options(groups: Sequence[tuple[str, Sequence[tuple[int, str]]]], selected: Collection[int]) -> SafeString:
    """<optgroup>s of the directory (~600 units: rendered here, not by a template loop)."""
    html = []
    for label, rows in groups:
        options = "".join(
            f'<option value="{pk}"{" selected" if pk in selected else ""}>{escape(name)}</option>' for pk, name in rows
        )
        html.append(f'<optgroup label="{escape(label)}">{options}</optgroup>')
    return mark_safe("".join(html))  # noqa: S308 - names and labels are escaped, pks are ints


@register.simple_tag(takes_context=True)
def editing_rights(context: Any) -> dict[str, bool]:
    user = context["request"].user
    return {"items": can_add_items(user), "leaders": can_assign_leaders(user)}


@register.simple_tag
def problem_leader_list(problem: Problem) -> list[ProblemLeader]:
    return leaders.problem_leaders(problem)


@register.simple_tag
def leader_choices() -> list[tuple[int, str]]:
    return [(u.pk, leaders.person(u)) for u in leaders.leader_candidates()]


@register.simple_tag
def leader_kinds() -> list[tuple[str, str]]:
    return list(ProblemLeader.Kind.choices)
