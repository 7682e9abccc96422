"""挂图作战: the rows of the Gantt (problems and measures by chapter, or each unit's shares), scoped
to the viewer exactly like the ledger and the warning board.

One builder serves the page (ECharts), the API and the A3 PDF, so the three always show the same
rows. The rules a row follows (docs/dashboards.md says the same in Chinese):

* start: the item's own start date (measure, else its problem), else the plan's start date;
* end: the due date — a share's own (an approved extension moves it), a measure's or a problem's;
* items with no due date of their own (长期坚持, 周期性, 按年度, or a date still to be entered) are
  open-ended: drawn to the chart's end, with the period ends of 周期性/按年度 as ticks;
* done: a measure or problem no longer open (已销号, 已完成、长期坚持); a share whose unit has done its
  part (申请销号, 已完成, 已销号, 长期坚持);
* overdue: not done, dated, past its end, and not of an undated kind;
* milestones: the measure's 阶段性节点; reached for a share when that unit reached it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from rectify.core import clock
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.orgs.scope import viewer_scope
from rectify.plans.models import (
    OPEN_STATUSES,
    SHARE_DONE_STATUSES,
    UNDATED_KINDS,
    Assignment,
    DeadlineKind,
    ItemStatus,
    Milestone,
    Recurrence,
    ShareStatus,
    WarningLevel,
)
from rectify.plans.selectors import LedgerFilters, measure_list, plan_ids
from rectify.supervision.selectors import share_list

GROUP_CHAPTER = "chapter"
GROUP_UNIT = "unit"
GROUPS = {GROUP_CHAPTER: "按章节（问题 → 措施）", GROUP_UNIT: "按责任单位（单位 → 任务）"}
NO_LEVEL = "none"
LEVELS = {**{value: label for value, label in WarningLevel.choices}, NO_LEVEL: "未评估"}
# More bars than this and the chart asks for a narrower filter (the rest is still counted). The
# A3 PDF stops earlier: 1200 bars are about 30 pages, a wall; WeasyPrint takes seconds per page.
MAX_ITEMS = 3000
PDF_MAX_ITEMS = 1200
TEXT_CHARS = 80
_PERIOD_MONTHS = {
    Recurrence.MONTHLY: 1,
    Recurrence.QUARTERLY: 3,
    Recurrence.HALF_YEARLY: 6,
    Recurrence.YEARLY: 12,
}


# --- filters -----------------------------------------------------------------------------------


@dataclass
class GanttFilters:
    group: str = GROUP_CHAPTER
    plan: int | None = None
    unit: int | None = None
    county: int | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_query(cls, params: Any, *, default_group: str = GROUP_CHAPTER) -> tuple[GanttFilters, list[str]]:
        """The filters and, for each value that could not be read, a message in Chinese (the
        value is then ignored)."""
        errors: list[str] = []

        def as_id(name: str, label: str) -> int | None:
            value = str(params.get(name) or "").strip()
            if not value:
                return None
            if value.isascii() and value.isdigit() and len(value) <= 18:
                return int(value)
            errors.append(f"{label}参数“{value[:20]}”无效，应为编号，已忽略。")
            return None

        group = str(params.get("group") or "").strip() or default_group
        if group not in GROUPS:
            errors.append(
                f"分组方式“{group[:20]}”无效，应为 chapter（按章节）或 unit（按责任单位），已按默认方式显示。"
            )
            group = default_group
        values = params.getlist("warning") if hasattr(params, "getlist") else [params.get("warning") or ""]
        warnings: list[str] = []
        for raw in values:
            for value in str(raw).split(","):
                value = value.strip()
                if not value:
                    continue
                if value in LEVELS:
                    if value not in warnings:
                        warnings.append(value)
                else:
                    errors.append(f"预警等级“{value[:20]}”无效，应为 red、yellow、green 或 none，已忽略。")
        filters = cls(
            group=group,
            plan=as_id("plan", "整改方案"),
            unit=as_id("unit", "责任单位"),
            county=as_id("county", "县（市、区）"),
            warnings=warnings,
        )
        return filters, errors

    def query(self) -> str:
        """The filters as a query string (for the PDF link and the group switch)."""
        parts = [f"group={self.group}"]
        for name in ("plan", "unit", "county"):
            value = getattr(self, name)
            if value:
                parts.append(f"{name}={value}")
        if self.warnings:
            parts.append("warning=" + ",".join(self.warnings))
        return "&".join(parts)


def default_group(viewer: Any) -> str:
    """A unit's clerk lands on its own shares; offices and leaders on the plan's chapters."""
    scope = viewer_scope(viewer)
    return GROUP_CHAPTER if scope.everything or scope.region_roles else GROUP_UNIT


# --- rows --------------------------------------------------------------------------------------


@dataclass
class GanttMilestone:
    date: dt.date
    label: str
    reached: bool
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "label": self.label, "reached": self.reached, "overdue": self.overdue}


@dataclass
class GanttRow:
    kind: str  # chapter | problem | measure (by chapter); unit | share (by unit)
    key: str
    level: int
    label: str
    text: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    open_ended: bool = False
    deadline: str = ""
    deadline_kind: str = ""
    warning: str = NO_LEVEL
    status: str = ""
    status_label: str = ""
    done: bool = False
    overdue: bool = False
    progress: float | None = None
    extended: bool = False
    unit: str = ""
    milestones: list[GanttMilestone] = field(default_factory=list)
    ticks: list[dt.date] = field(default_factory=list)
    url: str = ""
    problem_id: int | None = None
    measure_id: int | None = None
    count: int = 0  # a group row: how many bars it holds
    # 周期性 / 按年度: the period in months; its period ends become ticks once the axis is known.
    period_months: int = 0

    @property
    def is_bar(self) -> bool:
        return self.kind in {"problem", "measure", "share"}

    def as_dict(self, *, text_chars: int | None = None) -> dict[str, Any]:
        """The row as JSON (dates as YYYY-MM-DD); the text cut to `text_chars` when given."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "period_months":
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif f.name == "milestones":
                value = [m.as_dict() for m in value]
            elif f.name == "ticks":
                value = [t.isoformat() for t in value]
            elif f.name == "text" and text_chars is not None and len(value) > text_chars:
                value = value[: text_chars - 1] + "…"
            out[f.name] = value
        return out


@dataclass
class GanttChart:
    filters: GanttFilters
    today: dt.date
    start: dt.date
    end: dt.date
    rows: list[GanttRow]
    # Bars of the leaf kind (measures, or shares) that match, even beyond the limit.
    total: int
    truncated: bool
    notes: list[str] = field(default_factory=list)

    @property
    def leaves(self) -> list[GanttRow]:
        leaf = "share" if self.filters.group == GROUP_UNIT else "measure"
        return [r for r in self.rows if r.kind == leaf]

    def counts(self) -> dict[str, int]:
        """The leaf bars by warning level (whatever their status), done and overdue."""
        leaves = self.leaves
        out = {level: sum(1 for r in leaves if r.warning == level) for level in LEVELS}
        out["done"] = sum(1 for r in leaves if r.done)
        out["overdue"] = sum(1 for r in leaves if r.overdue)
        out["shown"] = len(leaves)
        return out

    def as_dict(self, *, text_chars: int | None = None) -> dict[str, Any]:
        return {
            "group": self.filters.group,
            "today": self.today.isoformat(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total": self.total,
            "truncated": self.truncated,
            "counts": self.counts(),
            "notes": self.notes,
            "rows": [r.as_dict(text_chars=text_chars) for r in self.rows],
        }


def _month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return _month_end(dt.date(index // 12, index % 12 + 1, 1))


def period_ends(months: int, start: dt.date, until: dt.date) -> list[dt.date]:
    """The ends of calendar periods of `months` months (1, 3, 6, 12) from the one holding
    `start` up to `until`: the successive due dates of a 周期性 or 按年度 deadline."""
    first = _month_end(dt.date(start.year, ((start.month - 1) // months + 1) * months, 1))
    out: list[dt.date] = []
    day = first
    while day <= until and len(out) < 120:
        out.append(day)
        day = _add_months(day, months)
    return out


def _level(value: str) -> str:
    return value or NO_LEVEL


def _trim(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"


def _measure_label(number: str) -> str:
    """As Measure.label (rows are read as values, not model instances: 10× faster)."""
    return f"措施{number}" if number else "措施（无编号）"


def _problem_label(number: str) -> str:
    return f"（{number}）"


class _Urls:
    """The problem page's URL, reversed once per chart rather than once per row."""

    def __init__(self) -> None:
        self.base = reverse("plans:problem", args=[1_000_000_007]).replace("1000000007", "{}")

    def __call__(self, problem_id: int, measure_id: int | None = None) -> str:
        url = self.base.format(problem_id)
        return f"{url}#measure-{measure_id}" if measure_id else url


def _dated(kind: str, due: dt.date | None) -> bool:
    return due is not None and kind not in UNDATED_KINDS and kind != DeadlineKind.RECURRING


_KIND_LABELS = dict(DeadlineKind.choices)


def _bar(
    row: GanttRow,
    *,
    start: dt.date,
    kind: str,
    raw: str,
    due: dt.date | None,
    recurrence: str,
    today: dt.date,
) -> GanttRow:
    """Dates, shape and overdue of one bar (problem, measure or share); `start` is the first of
    the item's own start, its problem's and its plan's."""
    row.start = start
    row.deadline_kind = kind
    if _dated(kind, due):
        row.end = due
        if due is not None and due < start:
            row.start = due
    else:
        # 长期坚持 and the like run on; a 周期性 deadline keeps its current period end in due_on:
        # shown among the ticks, not as an end.
        row.open_ended = True
    row.deadline = raw or _KIND_LABELS.get(kind, "")
    row.overdue = not row.done and row.end is not None and row.end < today
    if row.done:
        # A node not recorded as reached is no longer late once the item is done.
        for m in row.milestones:
            m.overdue = False
    if kind == DeadlineKind.RECURRING and recurrence in _PERIOD_MONTHS:
        row.period_months = _PERIOD_MONTHS[Recurrence(recurrence)]
    elif kind == DeadlineKind.ANNUAL and row.open_ended:
        row.period_months = 12
    return row


_MILESTONE_FIELDS = ("pk", "measure_id", "due_on", "raw", "reached_on")


def _milestones(
    milestones: Iterable[dict[str, Any]], today: dt.date, reached_ids: dict[str, Any] | None = None
) -> list[GanttMilestone]:
    out = []
    for m in milestones:
        reached = str(m["pk"]) in reached_ids if reached_ids is not None else m["reached_on"] is not None
        out.append(GanttMilestone(m["due_on"], m["raw"], reached, not reached and m["due_on"] < today))
    return out


def _milestones_by_measure(measure_ids: QuerySet[Any]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for m in (
        Milestone.objects.filter(measure_id__in=measure_ids).order_by("measure_id", "seq").values(*_MILESTONE_FIELDS)
    ):
        out.setdefault(m["measure_id"], []).append(m)
    return out


def _check_filters(viewer: Any, f: GanttFilters) -> list[str]:
    """Messages for filters that name something missing or outside the viewer's scope; such a
    filter selects nothing (never another unit's data)."""
    scope = viewer_scope(viewer)
    notes = []
    if f.unit and not (scope.covers_unit(f.unit) and OrgUnit.objects.filter(pk=f.unit).exists()):
        notes.append("所选责任单位不存在，或不在您的查看范围内。")
    if f.county and not OrgUnit.objects.filter(pk=f.county, kind=UnitKind.REGION).exists():
        notes.append("所选县（市、区）不存在。")
    if f.plan and not plan_ids(viewer=viewer).filter(pk=f.plan).exists():
        notes.append("所选整改方案不存在，或您无权查看。")
    return notes


def _warning_q(warnings: list[str]) -> Q:
    levels = [w for w in warnings if w != NO_LEVEL]
    q = Q(warning_level__in=levels)
    if NO_LEVEL in warnings:
        q |= Q(warning_level="")
    return q


def gantt_chart(*, viewer: Any, filters: GanttFilters | None = None, limit: int = MAX_ITEMS) -> GanttChart:
    """The Gantt's rows for the viewer and filters, at most `limit` bars of the leaf kind
    (Forbidden for users with no business scope)."""
    f = filters or GanttFilters()
    today = clock.today()
    ledger = LedgerFilters(plan=f.plan, unit=f.unit, county=f.county)
    notes = _check_filters(viewer, f)
    if f.group == GROUP_UNIT:
        rows, total = _unit_rows(viewer, ledger, f, today, empty=bool(notes), limit=limit)
    else:
        rows, total = _chapter_rows(viewer, ledger, f, today, empty=bool(notes), limit=limit)
    truncated = total > limit
    if truncated:
        notes.append(f"符合条件的共{total}项，图中只画出前{limit}项，请用筛选条件（单位、县区、预警）缩小范围。")
    start, end = _axis(rows, today)
    for row in rows:
        if row.period_months and row.start:
            row.ticks = period_ends(row.period_months, row.start, end)
    return GanttChart(
        filters=f, today=today, start=start, end=end, rows=rows, total=total, truncated=truncated, notes=notes
    )


def _axis(rows: list[GanttRow], today: dt.date) -> tuple[dt.date, dt.date]:
    """From the first month with a start to a month past the last end, milestone or today."""
    starts = [r.start for r in rows if r.start]
    ends = [r.end for r in rows if r.end] + [m.date for r in rows for m in r.milestones] + [today]
    first = min(starts) if starts else today - dt.timedelta(days=90)
    last = max(ends + starts)
    if not any(r.end for r in rows):
        last = max(last, today + dt.timedelta(days=180))
    return first.replace(day=1), _add_months(last, 1)


_DEADLINE = ("start_on", "deadline_kind", "deadline_raw", "due_on", "recurrence")
_PROBLEM = ("id", "number", "text", "status", "warning_level", "progress", *_DEADLINE)


def _chapter_rows(
    viewer: Any, ledger: LedgerFilters, f: GanttFilters, today: dt.date, *, empty: bool, limit: int
) -> tuple[list[GanttRow], int]:
    qs = measure_list(viewer=viewer, filters=ledger)
    if f.warnings:
        qs = qs.filter(_warning_q(f.warnings))
    if empty:
        qs = qs.none()
    total = qs.count()
    measures = list(
        qs.order_by("problem__plan_id", "problem__chapter__index", "problem__index", "seq").values(
            "id", "number", "text", "status", "warning_level", "progress", *_DEADLINE,
            *(f"problem__{name}" for name in _PROBLEM),
            "problem__plan_id", "problem__plan__title", "problem__plan__start_on",
            "problem__chapter_id", "problem__chapter__number", "problem__chapter__title",
        )[:limit]
    )  # fmt: skip
    milestones = _milestones_by_measure(qs.values("pk")) if measures else {}
    several_plans = len({m["problem__plan_id"] for m in measures}) > 1
    url = _Urls()
    rows: list[GanttRow] = []
    chapter_row: GanttRow | None = None
    problem_row: GanttRow | None = None
    for m in measures:
        chapter_key = f"c{m['problem__chapter_id']}"
        if chapter_row is None or chapter_row.key != chapter_key:
            title = f"{m['problem__chapter__number']}、{m['problem__chapter__title']}"
            if several_plans:
                title = f"{m['problem__plan__title'][:16]} · {title}"
            chapter_row = GanttRow(kind="chapter", key=chapter_key, level=0, label=title)
            rows.append(chapter_row)
        problem = {name: m[f"problem__{name}"] for name in _PROBLEM}
        plan_start = m["problem__plan__start_on"]
        if problem_row is None or problem_row.key != f"p{problem['id']}":
            problem_row = _problem_row(problem, plan_start, today, url)
            chapter_row.count += 1
            rows.append(problem_row)
        problem_row.count += 1
        row = GanttRow(
            kind="measure",
            key=f"m{m['id']}",
            level=2,
            label=_measure_label(m["number"]),
            text=_trim(m["text"]),
            warning=_level(m["warning_level"]),
            status=m["status"],
            status_label=ItemStatus(m["status"]).label,
            done=m["status"] not in OPEN_STATUSES,
            progress=m["progress"],
            milestones=_milestones(milestones.get(m["id"], []), today),
            url=url(problem["id"], m["id"]),
            problem_id=problem["id"],
            measure_id=m["id"],
        )
        start = m["start_on"] or problem["start_on"] or plan_start
        _bar(row, start=start, kind=m["deadline_kind"], raw=m["deadline_raw"], due=m["due_on"],
             recurrence=m["recurrence"], today=today)  # fmt: skip
        rows.append(row)
    return rows, total


def _problem_row(problem: dict[str, Any], plan_start: dt.date, today: dt.date, url: _Urls) -> GanttRow:
    row = GanttRow(
        kind="problem",
        key=f"p{problem['id']}",
        level=1,
        label=_problem_label(problem["number"]),
        text=_trim(problem["text"]),
        warning=_level(problem["warning_level"]),
        status=problem["status"],
        status_label=ItemStatus(problem["status"]).label,
        done=problem["status"] not in OPEN_STATUSES,
        progress=problem["progress"],
        url=url(problem["id"]),
        problem_id=problem["id"],
    )
    return _bar(
        row,
        start=problem["start_on"] or plan_start,
        kind=problem["deadline_kind"],
        raw=problem["deadline_raw"],
        due=problem["due_on"],
        recurrence=problem["recurrence"],
        today=today,
    )


_SHARE_STATUS_LABELS = dict(ShareStatus.choices)


def _unit_rows(
    viewer: Any, ledger: LedgerFilters, f: GanttFilters, today: dt.date, *, empty: bool, limit: int
) -> tuple[list[GanttRow], int]:
    qs: QuerySet[Assignment] = share_list(viewer=viewer, filters=ledger)
    if f.warnings:
        qs = qs.filter(_warning_q(f.warnings))
    if empty:
        qs = qs.none()
    total = qs.count()
    shares = list(
        qs.order_by("unit__path", "measure__problem__plan_id", "measure__problem__index", "measure__seq", "pk").values(
            "id", "unit_id", "unit__name", "role", "status", "warning_level", "progress", "due_on", "due_extended",
            "milestones_reached", "measure_id", "measure__number", "measure__text",
            *(f"measure__{name}" for name in _DEADLINE),
            "measure__problem_id", "measure__problem__number", "measure__problem__start_on",
            "measure__problem__plan__start_on",
        )[:limit]
    )  # fmt: skip
    milestones = _milestones_by_measure(qs.values("measure_id")) if shares else {}
    url = _Urls()
    rows: list[GanttRow] = []
    unit_row: GanttRow | None = None
    for a in shares:
        if unit_row is None or unit_row.key != f"u{a['unit_id']}":
            unit_row = GanttRow(kind="unit", key=f"u{a['unit_id']}", level=0, label=a["unit__name"])
            rows.append(unit_row)
        unit_row.count += 1
        problem_id, measure_id = a["measure__problem_id"], a["measure_id"]
        role = "" if a["role"] == Assignment.RoleKind.LEAD else "（配合）"
        row = GanttRow(
            kind="share",
            key=f"a{a['id']}",
            level=1,
            label=f"{_problem_label(a['measure__problem__number'])}{_measure_label(a['measure__number'])}{role}",
            text=_trim(a["measure__text"]),
            warning=_level(a["warning_level"]),
            status=a["status"],
            status_label=_SHARE_STATUS_LABELS[a["status"]],
            done=a["status"] in SHARE_DONE_STATUSES,
            progress=a["progress"],
            extended=a["due_extended"],
            unit=a["unit__name"],
            milestones=_milestones(milestones.get(measure_id, []), today, reached_ids=a["milestones_reached"] or {}),
            url=url(problem_id, measure_id),
            problem_id=problem_id,
            measure_id=measure_id,
        )
        start = a["measure__start_on"] or a["measure__problem__start_on"] or a["measure__problem__plan__start_on"]
        _bar(
            row,
            start=start,
            kind=a["measure__deadline_kind"],
            raw=a["measure__deadline_raw"],
            due=a["due_on"] or a["measure__due_on"],
            recurrence=a["measure__recurrence"],
            today=today,
        )
        if a["due_extended"] and row.end:
            row.deadline = f"{row.end:%Y-%m-%d}（已延期，原时限：{row.deadline}）"
        rows.append(row)
    return rows, total


def gantt_options(*, viewer: Any) -> dict[str, Any]:
    """What the filter form offers: the viewer's plans, units and the counties."""
    scope = viewer_scope(viewer)
    units = OrgUnit.objects.filter(is_active=True).exclude(kind=UnitKind.REGION)
    if not scope.everything:
        units = units.filter(id__in=scope.unit_ids)
    return {
        "plans": list(plan_ids(viewer=viewer).order_by("-created_at").values_list("pk", "title")),
        "units": list(units.order_by("path").values_list("pk", "name")),
        "counties": list(
            OrgUnit.objects.filter(kind=UnitKind.REGION, depth=1, is_active=True)
            .order_by("path")
            .values_list("pk", "name")
        ),
    }


def city_name() -> str:
    """The root of the unit directory (the city), for titles."""
    root = OrgUnit.objects.filter(depth=0).order_by("path").values_list("name", flat=True).first()
    return root or ""
