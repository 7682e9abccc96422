"""The ledger row (`templatetags.ledger.ledger_row`) is printed with f-strings and html.escape
since issue 16; before, with format_html. The format_html version is kept here as the reference:
the same rows, model objects and flat rows, every branch of the row, must print byte for byte what
it printed."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from rectify.core.formats import format_percent
from rectify.orgs.models import OrgUnit
from rectify.plans import selectors
from rectify.plans.ledger_page import ledger_page
from rectify.plans.models import Assignment, DeadlineKind, Measure, Problem, ShareStatus, WarningLevel
from rectify.plans.templatetags import ledger
from rectify.plans.templatetags.plans_editing import source_badge
from rectify.plans.templatetags.rounds import relapse_badge

from .test_api_ledger_rows import _fill_the_optional_fields

pytestmark = pytest.mark.django_db

_KIND_LABELS = dict(DeadlineKind.choices)
_ROLE_LABELS = dict(Assignment.RoleKind.choices)
_SHARE_STATUS_LABELS = dict(ShareStatus.choices)
_WARNING_CSS = {"red": "warn-red", "yellow": "warn-yellow", "green": "warn-green"}
_WARNING_LABELS = dict(WarningLevel.choices)
_STATUS_CSS = {"closed": "success", "in_progress": "primary"}


# --- the reference: the row as printed before issue 16 (format_html) -------------------------------


@functools.lru_cache(maxsize=1)
def _unit_prefix() -> str:
    return reverse("plans:unit", args=[0])[:-2]  # as before: unit links from a prefix, not reverse() each


def _deadline_cell(item: Any) -> SafeString:
    label = _KIND_LABELS.get(item.deadline_kind, item.deadline_kind)
    dates = ""
    if item.deadline_kind == DeadlineKind.RECURRING:
        label = f"周期性·{item.get_recurrence_display()}" if item.recurrence else label
        first = item.due_on and item.start_on and item.due_on < item.start_on
        dates = f"{'首期' if first else '本期'}至 {item.due_on:%Y-%m-%d}" if item.due_on else ""
        if item.start_on:
            dates += f"（周期自{item.start_on:%Y-%m-%d}起）"
    elif item.due_on:
        start = f"{item.start_on:%Y-%m-%d} 至 " if item.start_on else ""
        dates = f"{start}{item.due_on:%Y-%m-%d}"
    parts = format_html_join(
        "",
        "<li>{}：{}{}</li>",
        (
            (p.get("scope") or "", p.get("raw", ""), f"（{p['due']}）" if p.get("due") else "")
            for p in (item.deadline_parts if item.deadline_kind != DeadlineKind.RECURRING else None) or []
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


def _warning_badge(level: str, title: str = "") -> SafeString:
    if not level:
        return mark_safe('<span class="badge warn-none" title="尚未扫描">未评估</span>')
    return format_html(
        '<span class="badge {}" title="{}"><i class="bi bi-circle-fill"></i> {}</span>',
        _WARNING_CSS.get(level, ""),
        title,
        _WARNING_LABELS.get(level, level),
    )


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


def _unit_badges(assignments: Any, scope: Any) -> str:
    parts = []
    for a in assignments:
        if a.unit_id and a.unit is not None:
            css = "badge-lead" if a.role == Assignment.RoleKind.LEAD else "badge-support"
            title = f'title="{_ROLE_LABELS.get(a.role, "")}；原文：{escape(a.phrase)}"'
            if scope.everything or a.unit_id in scope.unit_ids:
                url = f"{_unit_prefix()}{a.unit_id}/"
                badge = f'<a class="badge {css} text-decoration-none" href="{url}" {title}>{escape(a.unit.name)}</a>'
            else:
                badge = f'<span class="badge {css}" {title}>{escape(a.unit.name)}</span>'
            parts.append(badge + ledger.flag_badges(a.unit.flags))
        else:
            parts.append(f'<span class="badge badge-pending" title="待确认">{escape(a.phrase)}（待确认）</span>')
    return " ".join(parts)


def _share_table(m: Any, scope: Any) -> SafeString:
    shares = sorted(
        (a for a in m.assignments.all() if a.unit_id and a.unit is not None),
        key=lambda a: (a.role != Assignment.RoleKind.LEAD, a.unit.path),
    )
    if not shares:
        return mark_safe("")
    counts: dict[str, int] = {}
    for a in shares:
        counts[a.warning_level] = counts.get(a.warning_level, 0) + 1
    levels = " ".join(
        f'<span class="{css}" data-share-level="{level}">{label[0]}{counts[level]}</span>'
        for level, label, css in (
            ("red", "红", "text-danger"),
            ("yellow", "黄", "text-warning"),
            ("green", "绿", "text-success"),
        )
        if counts.get(level)
    )

    def cell(a: Any) -> str:
        if scope.everything or a.unit_id in scope.unit_ids:
            return f'<a href="{_unit_prefix()}{a.unit_id}/">{escape(a.unit.name)}</a>'
        return escape(a.unit.name)

    rows = "".join(
        f'<tr data-share="{a.pk}"><td>{cell(a)}</td>'
        f"<td>{_ROLE_LABELS.get(a.role, '')}</td><td>{_SHARE_STATUS_LABELS.get(a.status, a.status)}</td>"
        f"<td>{format_percent(a.progress) if a.progress is not None else '未报送'}</td>"
        f"<td>{f'{a.due_on:%Y-%m-%d}' if a.due_on else '—'}{'（已延期）' if a.due_extended else ''}</td>"
        f"<td>{_warning_badge(a.warning_level)}</td>"
        f'<td class="small">{escape(a.warning_summary) if a.warning_level else ""}</td></tr>'
        for a in shares
    )
    return mark_safe(
        f'<details class="small mt-1 shares"><summary>分单位情况（{len(shares)} 个单位） {levels}</summary>'
        '<div class="table-responsive"><table class="table table-sm table-bordered mb-0 mt-1 bg-white">'
        "<thead><tr><th>责任单位</th><th>角色</th><th>状态</th><th>本单位进度</th><th>本单位时限</th><th>预警</th><th>原因</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div></details>"
    )


def reference_row(m: Any, scope: Any) -> SafeString:
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
        '<div class="small text-muted">{}</div>{}</td>'
        "</tr>",
        reverse("plans:problem", args=[m.problem_id]),
        problem.text[:120],
        problem.number,
        ledger.flag_badges(problem.flags) + relapse_badge(problem) + source_badge(problem.source),
        m.number or "—",
        format_html("{}{}", source_badge(m.source) if m.source != problem.source else "", m.text),
        problem.chapter.number,
        problem.chapter.title[:30],
        mark_safe(_unit_badges(m.assignments.all(), scope)),
        _deadline_cell(m),
        milestones or "—",
        _progress_cell(m),
        _STATUS_CSS.get(m.status, "info"),
        m.get_status_display(),
        _warning_badge(m.warning_level),
        f"最近报送 {timezone.localtime(m.last_report_at):%m-%d}" if m.last_report_at else "",
        _share_table(m, scope),
    )


# --- the comparison ---------------------------------------------------------------------------------


def _every_branch() -> None:
    """Flags, a relapse, hand-added sources, a recurring and a compound deadline, markup in the
    texts, reasons and names: every branch of the row and every escaped value."""
    _fill_the_optional_fields()
    first = Problem.objects.order_by("pk").values("pk")[:1]
    Problem.objects.filter(pk=first).update(flags=["listed"], recurred=True, source="self_check", text="问题<b>\"&'")
    units = list(Assignment.objects.filter(unit__isnull=False).values_list("unit_id", flat=True)[:2])
    OrgUnit.objects.filter(pk__in=units).update(flags=["interview"])
    OrgUnit.objects.filter(pk=units[0]).update(name='单位<i>&"')
    measures = list(Measure.objects.order_by("pk").values_list("pk", flat=True)[:3])
    Measure.objects.filter(pk=measures[0]).update(
        deadline_kind="recurring", recurrence="monthly", start_on=dt.date(2022, 3, 1), source="extrapolation"
    )
    Measure.objects.filter(pk=measures[1]).update(
        deadline_kind="compound",
        deadline_raw="<2022年底>",
        text="措施<script>&",
        number="",
        deadline_parts=[
            {"scope": "一期<", "raw": "2022年6月底前", "due": "2022-06-30"},
            {"scope": "", "raw": "长期坚持&"},
        ],
    )
    Measure.objects.filter(pk=measures[2]).update(progress=100, status="closed", due_on=None, start_on=None)
    Assignment.objects.filter(pk=Assignment.objects.filter(measure__isnull=False).values("pk")[:1]).update(
        warning_reasons=[{"level": "red", "code": "overdue", "message": "已逾期<b>"}], warning_level="red", phrase="<x>"
    )


@pytest.mark.parametrize(
    ("username", "query"),
    [("city_office", {}), ("city_office", {"overdue": "1"}), ("county_clerk", {}), ("dept_clerk", {"q": "扬尘"})],
)
@pytest.mark.parametrize("flat", [True, False], ids=["flat rows", "model rows"])
def test_the_row_prints_what_the_format_html_row_printed(
    users: Any, username: str, query: dict[str, str], flat: bool
) -> None:
    from rectify.orgs.scope import viewer_scope

    _every_branch()
    user = users[username]
    request = RequestFactory().get("/")
    request.user = user
    read = ledger_page if flat else (lambda qs, a, b: list(selectors.with_ledger_relations(qs)[a:b]))
    pager = selectors.MeasurePager(viewer=user, filters=selectors.LedgerFilters.from_query(query), read=read)
    rows = pager[0:500]
    assert rows
    scope = viewer_scope(user)
    for m in rows:
        assert ledger.ledger_row({"request": request}, m) == reference_row(m, scope)
    html = "".join(ledger.ledger_row({"request": request}, m) for m in rows)
    if username == "city_office" and not query:
        for needle in (
            'data-flag="listed"',
            'data-relapse="1"',
            "周期性·每月",
            'data-flag="interview"',
            "已逾期&lt;b&gt;",
        ):
            assert needle in html
        for needle in (
            "问题&lt;b&gt;&quot;&amp;&#x27;",
            "单位&lt;i&gt;&amp;&quot;",
            "措施&lt;script&gt;&amp;",
            "一期&lt;",
        ):
            assert needle in html


@pytest.mark.parametrize("query", [{}, {"q": "没有这样的措施文字"}])
def test_the_page_prints_its_rows_as_the_template_loop_did(client_for: Any, users: Any, query: dict[str, str]) -> None:
    """`{% ledger_rows page %}` prints what `{% for m in page %}\\n  {% ledger_row m %}\\n  {% empty %}…` printed."""
    from rectify.orgs.scope import viewer_scope

    _every_branch()
    response = client_for("city_office").get("/", query)
    assert response.status_code == 200
    scope = viewer_scope(users["city_office"])
    rows = [reference_row(m, scope) for m in response.context["page"]]
    if not rows:
        rows = ['<tr><td colspan="8" class="text-center text-muted py-4">没有符合条件的整改措施</td></tr>']
    body = "<tbody>\n  " + "".join(f"\n  {row}\n  " for row in rows) + "\n  </tbody>"
    assert body in response.content.decode()


def test_the_cells_print_what_the_format_html_cells_printed() -> None:
    """Every branch of the deadline cell, the level badge (with a plain, an unsafe and a safe
    title) and the progress cell, against the format_html versions above."""
    from types import SimpleNamespace as Item

    for kind in ("date", "recurring", "compound", "pending", "weird&"):
        for due, start in ((None, None), (dt.date(2022, 5, 1), None), (dt.date(2022, 5, 1), dt.date(2022, 6, 1))):
            for parts in (
                None,
                [],
                [{"scope": "一期<", "raw": "b&", "due": "2022-01-01"}, {"raw": 3}, {"scope": None}],
            ):
                for recurrence in ("", "monthly"):
                    item = Item(
                        deadline_kind=kind,
                        due_on=due,
                        start_on=start,
                        deadline_parts=parts,
                        recurrence=recurrence,
                        deadline_raw="<年底>" if recurrence else "",
                        get_recurrence_display=lambda: "每月",
                    )
                    assert ledger.deadline_cell(item) == _deadline_cell(item)
    for level in ("", "red", "yellow", "green", "other<"):
        for title in ("", "a<b>&\"'", mark_safe("<i>安全</i>")):
            assert ledger.warning_badge(level, title) == _warning_badge(level, title)
    for progress in (None, 0, 12.5, 100, 150, -3, 33.333):
        assert ledger._progress_html(Item(progress=progress)) == _progress_cell(Item(progress=progress))
