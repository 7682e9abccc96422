"""督察轮次 on pages that other views own: the 反弹 badge (ledger rows, round and problem pages),
a plan's round on the plan index, and the "同一问题（前后轮次）" section of the problem page.

The last two read through round_selectors from a tag because the plan index and the problem page
are rendered by views that other parts of the ledger own; the tags add a fixed number of queries
(one for the plan index, two or four for the problem page) whatever the number of rows.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from rectify.plans import round_selectors as rs
from rectify.plans.models import InspectionRound, Plan, Problem
from rectify.plans.policies import can_manage_rounds

register = template.Library()

RELAPSE_TITLE = "前一督察轮次已销号、后一轮次再次发现的问题（反弹）"


@register.simple_tag
def relapse_badge(problem: Any) -> SafeString:
    """反弹 beside a problem's status wherever it is shown (word and icon, not colour alone)."""
    if not getattr(problem, "recurred", False):
        return mark_safe("")
    return mark_safe(  # noqa: S308 - a fixed label
        f' <span class="badge text-bg-danger" data-relapse="1" title="{RELAPSE_TITLE}">'
        '<i class="bi bi-arrow-repeat"></i> 反弹</span>'
    )


@register.simple_tag
def round_badges(r: InspectionRound) -> SafeString:
    """中央 / 省级, 第N轮, 例行督察 / 回头看 / 专项督察（主题）."""
    parts = [format_html('<span class="badge text-bg-light border">{}</span>', r.get_level_display())]
    if r.round_no:
        parts.append(format_html('<span class="badge text-bg-light border">第{}轮</span>', r.round_no))
    css = {"lookback": "text-bg-warning", "special": "text-bg-info"}.get(r.kind, "text-bg-secondary")
    kind = r.get_kind_display() + (f"：{r.topic}" if r.kind == InspectionRound.Kind.SPECIAL and r.topic else "")
    parts.append(format_html('<span class="badge {}">{}</span>', css, kind))
    return mark_safe(" ".join(parts))  # noqa: S308 - each part is escaped above


@register.simple_tag(takes_context=True)
def plan_round_cell(context: template.Context, plan: Plan) -> SafeString:
    """The plan's round (a link), and for the city office a select to put it in another round."""
    cache = context.render_context
    if "rounds_choices" not in cache:
        cache["rounds_choices"] = rs.round_choices()
        cache["rounds_manage"] = can_manage_rounds(context.get("user"))
    choices: list[InspectionRound] = cache["rounds_choices"]
    current = next((r for r in choices if r.pk == plan.round_id), None)
    shown = (
        format_html(
            '<a href="{}" data-testid="plan-round">{}</a>', reverse("plans:round", args=[current.pk]), current.name
        )
        if current
        else mark_safe('<span class="text-muted" data-testid="plan-round">未归入</span>')
    )
    if not cache["rounds_manage"]:
        return shown
    options = mark_safe('<option value="">（不归入督察轮次）</option>') + mark_safe(  # noqa: S308 - fixed text
        "".join(
            format_html('<option value="{}"{}>{}</option>', r.pk, " selected" if r.pk == plan.round_id else "", r.name)
            for r in choices
        )
    )
    csrf = context.get("csrf_token", "")
    return format_html(
        '{}<details class="small"><summary>{}</summary>'
        '<form method="post" action="{}" class="d-flex gap-1 mt-1 plan-round-form">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
        '<select class="form-select form-select-sm" name="round" aria-label="“{}”所属督察轮次">{}</select>'
        '<button class="btn btn-sm btn-outline-primary text-nowrap" type="submit">归入</button></form></details>',
        shown,
        "更改" if current else "归入督察轮次",
        reverse("plans:plan_round", args=[plan.pk]),
        csrf,
        reverse("plans:plans"),
        plan.title,
        options,
    )


@register.simple_tag(takes_context=True)
def problem_rounds(context: template.Context, problem: Problem) -> dict[str, Any]:
    """What the problem page's 前后轮次 section shows: its round, its links both ways, and for the
    city office the problems of earlier rounds it may be linked to."""
    user = context.get("user")
    manage = can_manage_rounds(user)
    return {
        "round": problem.plan.round,
        "links": rs.problem_links(viewer=user, problem=problem),
        "can_manage": manage,
        "candidates": rs.link_candidates(viewer=user, problem=problem) if manage else [],
    }
