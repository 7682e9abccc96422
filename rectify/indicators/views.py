"""量化指标 of a problem: the list against targets, the city office sets targets, responsible
units (and the office) enter measured values."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render

from rectify.core.errors import DomainError, Forbidden, NotFound
from rectify.core.http import business_view, post_int
from rectify.plans.models import Measure
from rectify.plans.selectors import problem_get

from . import services
from .models import Comparator, Indicator


def _float(value: object) -> float | None:
    try:
        return float(str(value).strip().rstrip("%"))
    except ValueError:
        return None


@login_required
@business_view
def problem_indicators(request: HttpRequest, problem_id: int) -> HttpResponseBase:
    problem = problem_get(viewer=request.user, problem_id=problem_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "define":
                target = _float(request.POST.get("target"))
                if target is None:
                    raise DomainError("目标值须为数字。")
                measure = Measure.objects.filter(pk=post_int(request, "measure"), problem=problem).first()
                services.indicator_define(
                    actor=request.user,
                    problem=problem,
                    name=str(request.POST.get("name") or ""),
                    comparator=str(request.POST.get("comparator") or ""),
                    target=target,
                    unit=str(request.POST.get("unit") or "")[:30],
                    measure=measure,
                )
                messages.success(request, "已设定量化指标。")
            else:
                indicator = Indicator.objects.filter(pk=post_int(request, "indicator"), problem=problem).first()
                if indicator is None:
                    raise NotFound()
                value = _float(request.POST.get("value"))
                if value is None:
                    raise DomainError("测定值须为数字。")
                day = str(request.POST.get("measured_on") or "")
                services.indicator_report(
                    actor=request.user,
                    indicator=indicator,
                    value=value,
                    measured_on=dt.date.fromisoformat(day) if day else None,
                    source=str(request.POST.get("source") or ""),
                    version=post_int(request, "version"),
                )
                messages.success(request, f"已填报：{indicator.name}")
            return redirect("indicators:problem", problem_id=problem.pk)
        except (Forbidden, NotFound):
            raise
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", "日期格式应为 YYYY-MM-DD。"))
    context = {
        "problem": problem,
        "indicators": list(Indicator.objects.filter(problem=problem).select_related("measure")),
        "measures": list(problem.measures.order_by("seq")),
        "comparators": Comparator.choices,
        "can_define": services.can_define(request.user, problem),
        "can_report": services.can_report(request.user, problem),
        "typed": request.POST,
    }
    return render(request, "indicators/problem.html", context, status=400 if request.method == "POST" else 200)
