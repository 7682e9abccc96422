"""The city office's page for 信息公开: which plan, and which of its problems, the public portal
shows (plans:publishing). Thin: reads and writes through rectify.plans.publishing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from rectify.audit.selectors import audit_timeline
from rectify.core.http import business_view, errors_as_messages, int_or_zero, post_int

from . import publishing


@login_required
@business_view
def plan_publishing(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = publishing.publishing_plan_get(viewer=request.user, plan_id=plan_id)
    if request.method == "POST":
        chosen = [int_or_zero(v) for v in request.POST.getlist("problems")]
        with errors_as_messages(request):
            changes = publishing.plan_publishing_save(
                actor=request.user,
                plan=plan,
                plan_public=request.POST.get("plan_public") == "1",
                public_problem_ids=[pk for pk in chosen if pk],
                version=post_int(request, "version"),
            )
            messages.success(request, _summary(plan.is_public, changes))
        return redirect("plans:publishing", plan_id=plan.pk)
    problems = list(publishing.publishing_problems(plan))
    chapters: dict[int, dict[str, object]] = {}
    for p in problems:
        entry = chapters.setdefault(p.chapter_id, {"chapter": p.chapter, "problems": []})
        entry["problems"].append(p)  # type: ignore[attr-defined]
    history = audit_timeline(plan, include_children=False).filter(action="plan.publishing_changed")
    context = {
        "plan": plan,
        "chapters": list(chapters.values()),
        "public_count": sum(1 for p in problems if p.is_public),
        "problem_count": len(problems),
        "history": list(history.reverse()[:20]),
    }
    return render(request, "plans/publishing.html", context)


def _summary(plan_public: bool, changes: dict[str, list[str]]) -> str:
    parts = ["方案已公开" if plan_public else "方案不公开（门户网站不显示该方案的任何问题）"]
    if changes["published"]:
        parts.append(f"新公开问题 {len(changes['published'])} 个")
    if changes["withdrawn"]:
        parts.append(f"撤回公开 {len(changes['withdrawn'])} 个")
    if not changes["published"] and not changes["withdrawn"]:
        parts.append("问题的公开设置未改变")
    return "；".join(parts) + "。"
