"""The weekly form: a unit's reports for one week (or month), grouped by plan and problem and
filtered (未填报 / 被退回 / 本周到期 / 全部). Each card saves or submits on its own (htmx), and a
file is stored the moment it is chosen, with the card's text as a draft; the whole-page
保存草稿 / 全部提交 still works without JavaScript, and nothing typed or chosen is lost to an error."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden, NotFound
from rectify.core.http import business_view
from rectify.orgs.models import OrgUnit
from rectify.supervision.services import warnings_refresh

from . import periods, selectors, services
from .models import ReportKind
from .policies import can_file_for_unit

FIELDS = ("version", "text", "plan", "percent", "issues", "ms")
CONFLICT = "该报告已被他人修改（他人保存的内容见下方）。您填写的内容仍在表单中，核对后再次保存将以您的内容为准。"


def row_input(request: HttpRequest, pk: int) -> services.ReportInput:
    """What was posted for share `pk` (fields named `text-<pk>`, `files-<pk>`, …)."""
    files: list[tuple[str, bytes]] = []
    too_big: list[str] = []
    for f in request.FILES.getlist(f"files-{pk}"):
        if f.size is not None and f.size > settings.RECTIFY_MAX_EVIDENCE_BYTES:
            # Refused before reading: an oversized file is never loaded into memory.
            too_big.append(
                f"{f.name}：文件过大（{f.size / 1024 / 1024:.1f} MB），单个佐证材料上限为 "
                f"{settings.RECTIFY_MAX_EVIDENCE_BYTES // 1024 // 1024} MB。"
            )
            continue
        files.append((f.name or "佐证材料", f.read()))
    data = services.ReportInput(
        progress_text=request.POST.get(f"text-{pk}", ""),
        next_plan=request.POST.get(f"plan-{pk}", ""),
        issues=request.POST.get(f"issues-{pk}", ""),
        percent=request.POST.get(f"percent-{pk}", ""),
        milestones_reached=[int(i) for i in request.POST.getlist(f"ms-{pk}") if i.isdigit()],
        files=files,
    )
    data.upload_errors = too_big
    return data


def posted_fields(request: HttpRequest, pk: int) -> bool:
    """Whether the form carried this share's card (a filtered page posts only the cards it shows)."""
    return posted_text(request, pk) or f"files-{pk}" in request.FILES


def posted_text(request: HttpRequest, pk: int) -> bool:
    """Whether the form carried this share's typed fields (an upload form may carry the file alone)."""
    return any(f"{name}-{pk}" in request.POST for name in FIELDS)


def posted_version(request: HttpRequest, pk: int) -> int | None:
    # "0" is a card drawn before any report existed: a report someone made since is a conflict.
    value = request.POST.get(f"version-{pk}", "")
    return int(value) if value.isascii() and value.isdigit() else None


def _unit_period(request: HttpRequest, unit_id: int, kind: str, key: str) -> tuple[OrgUnit, periods.Period]:
    unit = selectors.unit_get_for_reports(viewer=request.user, unit_id=unit_id)
    if kind not in ReportKind.values:
        raise NotFound()
    period = periods.parse_key(kind, key, services.calendar_rule())
    if period is None:
        raise NotFound("报告期无效。")
    return unit, period


def _show(value: str, counts: dict[str, int], can_file: bool) -> str:
    if value in counts:
        return value
    if not can_file:
        return "all"
    return "todo" if counts["todo"] else "returned" if counts["returned"] else "all"


def _filters(period: periods.Period, counts: dict[str, int]) -> list[tuple[str, str, int]]:
    out = []
    for key, label in selectors.WEEKLY_FILTERS:
        if key == "due" and period.kind == ReportKind.MONTHLY:
            label = "本月到期"
        out.append((key, label, counts[key]))
    return out


def _untouched(row: selectors.Row, data: services.ReportInput) -> bool:
    """A new card nobody typed in: its figure is the one it started from, no text, no file."""
    if row.report is not None:
        return False
    percent = str(data.percent if data.percent is not None else "").strip()
    return not (data.progress_text.strip() or data.next_plan.strip() or data.issues.strip()) and not (
        data.files or data.upload_errors or data.milestones_reached or percent not in ("", row.untouched_percent)
    )


@login_required
@business_view
def unit_period(request: HttpRequest, unit_id: int, kind: str, key: str) -> HttpResponse:
    """A unit's measures for one week (or month), by plan and problem: save a draft or submit."""
    unit, period = _unit_period(request, unit_id, kind, key)
    rows = selectors.unit_period_rows(unit, period)
    can_file = can_file_for_unit(request.user, unit)
    counts = selectors.weekly_counts(rows, period)
    show = _show(request.POST.get("show") or request.GET.get("show", ""), counts, can_file)
    if request.method == "POST":
        if not can_file:
            raise Forbidden("只有本单位的联络员可以填报进展。")
        submit = request.POST.get("action") == "submit"
        saved = _save_rows(request, rows, period, submit=submit)
        if saved:
            # The cards just saved stay in view (marked 已提交 / 草稿) even if the filter now leaves them out.
            return redirect(f"{request.path}?show={show}&keep={','.join(str(pk) for pk in saved)}")
        # Files kept as drafts on the way: show their reports, with what was typed on top.
        typed = {r.assignment.pk: (r.data, r.saved) for r in rows}
        rows = selectors.unit_period_rows(unit, period)
        for r in rows:
            r.data, r.saved = typed.get(r.assignment.pk, (None, False))
    keep = {int(pk) for pk in request.GET.get("keep", "").split(",") if pk.isascii() and pk.isdigit()}
    return _page(request, unit, period, rows, show=show, can_file=can_file, keep=keep)


def _page(
    request: HttpRequest,
    unit: OrgUnit,
    period: periods.Period,
    rows: list[selectors.Row],
    *,
    show: str,
    can_file: bool,
    status: int = 200,
    keep: set[int] | None = None,
) -> HttpResponse:
    rule = services.calendar_rule()
    kind = period.kind
    # A card that was posted stays on the page whatever the filter: what it holds is never dropped.
    keep = keep or set()
    shown = [r for r in rows if selectors.row_in(r, show, period) or r.data is not None or r.assignment.pk in keep]
    context = {
        "unit": unit,
        "period": period,
        "rows": rows,
        "groups": selectors.weekly_groups(shown),
        "shown": len(shown),
        "show": show,
        "filters": _filters(period, selectors.weekly_counts(rows, period)),
        "many_plans": any(r.plan_short for r in rows),
        "can_file": can_file,
        "kind": kind,
        "is_weekly": kind == ReportKind.WEEKLY,
        "prev_key": periods.period_of(kind, period.start - dt.timedelta(days=1), rule).key,
        "next_key": periods.period_of(kind, period.end + dt.timedelta(days=1), rule).key,
        "max_mb": settings.RECTIFY_MAX_EVIDENCE_BYTES // 1024 // 1024,
        "overdue": clock.now() > period.due_at,
        # Few cards: every problem open; many: the first open, the rest a click away.
        "open_all": len(shown) <= 12,
    }
    return render(request, "progress/unit_period.html", context, status=status)


def _save_rows(request: HttpRequest, rows: list[selectors.Row], period: periods.Period, *, submit: bool) -> list[int]:
    """Validate every posted card first; save all or none. On an error the chosen files are still
    kept (stored with their card's text as a draft), so nothing typed or chosen is lost."""
    todo: list[tuple[selectors.Row, services.ReportInput]] = []
    ok = True
    for row in rows:
        pk = row.assignment.pk
        if (row.report is not None and not row.report.is_editable) or not posted_fields(request, pk):
            continue
        data = row_input(request, pk)
        if _untouched(row, data):
            continue
        row.data = data
        if not services.validate(period.kind, data, submit=submit):
            ok = False
        todo.append((row, data))
    if not ok:
        kept = _keep_files(request, period, todo)
        note = f"；{kept} 项措施所选的文件已上传并存为草稿" if kept else ""
        messages.error(request, f"有填报内容需要修改，请查看标红的措施（已填写的内容均已保留{note}）。")
        return []
    if not todo:
        messages.warning(request, "没有需要保存的内容。")
        return []
    try:
        with transaction.atomic(), services.rollups_deferred():
            for row, data in todo:
                services.report_save(
                    actor=request.user,
                    assignment=row.assignment,
                    period=period,
                    data=data,
                    submit=submit,
                    version=posted_version(request, row.assignment.pk),
                )
    except (Forbidden, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, f"{exc.message}（已填写的内容均已保留）")
        return []
    warnings_refresh(measure_ids=[row.assignment.measure_id for row, _ in todo if row.assignment.measure_id])
    verb = "提交" if submit else "保存为草稿"
    messages.success(request, f"已{verb} {len(todo)} 项措施的{ReportKind(period.kind).label}。")
    return [row.assignment.pk for row, _ in todo]


def _keep_files(request: HttpRequest, period: periods.Period, todo: list[tuple[selectors.Row, Any]]) -> int:
    kept = 0
    for row, data in todo:
        if not data.files:
            continue
        try:
            services.report_attach(
                actor=request.user,
                assignment=row.assignment,
                period=period,
                data=data,
                version=posted_version(request, row.assignment.pk),
            )
        except (Forbidden, NotFound):
            raise
        except DomainError as exc:
            if exc.message not in "；".join(data.errors):
                data.errors.append(exc.message)
            continue
        data.files = []
        row.saved = True
        kept += 1
    return kept


@login_required
@require_POST
@business_view
def share_card(request: HttpRequest, unit_id: int, kind: str, key: str, assignment_id: int) -> HttpResponse:
    """One card of the weekly form: 保存草稿, 提交, or 上传 (the chosen files, with the card's text as
    a draft). Answers htmx with the card drawn again (errors in it, typed text kept) and the
    filters' counts; a plain post goes back to the page."""
    unit, period = _unit_period(request, unit_id, kind, key)
    if not can_file_for_unit(request.user, unit):
        raise Forbidden("只有本单位的联络员可以填报进展。")
    rows = selectors.unit_period_rows(unit, period, only=[assignment_id])
    if not rows:
        raise NotFound()
    row = rows[0]
    action = request.POST.get("action", "")
    data = row_input(request, assignment_id)
    version = posted_version(request, assignment_id)
    note, conflict, saved = "", False, False
    try:
        if row.report is not None and not row.report.is_editable:
            raise DomainError(f"该报告{row.report.get_status_display()}，不能再修改。")
        if action == "upload":
            _, problems = services.report_attach(
                actor=request.user, assignment=row.assignment, period=period, data=data, version=version
            )
            note = "文件已上传，本措施已存为草稿。"
            data.files, data.errors, saved = [], problems, True
        elif action in ("save", "submit"):
            submit = action == "submit"
            if services.validate(period.kind, data, submit=submit):
                services.report_save(
                    actor=request.user,
                    assignment=row.assignment,
                    period=period,
                    data=data,
                    submit=submit,
                    version=version,
                )
                note = "已提交，等待整改办审核。" if submit else "已保存草稿（未提交）。"
                saved = True
        else:
            raise DomainError("请选择保存草稿、提交或上传文件。")
    except (Forbidden, NotFound):
        raise
    except ConcurrentChange:
        conflict = True
        data.errors = [CONFLICT]
    except DomainError as exc:
        data.errors = [*data.errors, exc.message] if exc.message not in data.errors else data.errors
    if saved and row.assignment.measure_id:
        warnings_refresh(measure_ids=[row.assignment.measure_id])
    # Saved as typed: the card is drawn from the report; otherwise from what was typed.
    shown_data = None if saved and action != "upload" else data
    all_rows = selectors.unit_period_rows(unit, period)
    fresh = next((r for r in all_rows if r.assignment.pk == assignment_id), row)
    fresh.data, fresh.saved = shown_data, saved
    show = request.POST.get("show", "")
    # django-htmx's middleware sets request.htmx; the header is what it reads.
    if request.headers.get("HX-Request") != "true":
        # A plain post (no JavaScript): back to the page, the card in place with its errors.
        if data.errors:
            messages.error(request, "该措施有内容需要修改（已填写的内容均已保留）。")
            for other in all_rows:
                if other is not fresh and posted_fields(request, other.assignment.pk):
                    other.data = row_input(request, other.assignment.pk)
            return _page(
                request,
                unit,
                period,
                all_rows,
                show=show if show in dict(selectors.WEEKLY_FILTERS) else "all",
                can_file=True,
                status=400,
            )
        messages.success(request, note)
        url = reverse("progress:unit_period", args=[unit.pk, kind, key])
        return redirect(f"{url}?show={show}#row-{assignment_id}")
    context = {
        "row": fresh,
        "unit": unit,
        "period": period,
        "kind": kind,
        "is_weekly": kind == ReportKind.WEEKLY,
        "can_file": True,
        "many_plans": bool(fresh.plan_short),
        "max_mb": settings.RECTIFY_MAX_EVIDENCE_BYTES // 1024 // 1024,
        "note": note,
        "conflict": conflict,
        "filters": _filters(period, selectors.weekly_counts(all_rows, period)),
        "show": show or "all",
        "oob": True,
    }
    return render(request, "progress/_share_card_response.html", context)
