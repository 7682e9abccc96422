"""Scoped reads of reports: a report is visible to whoever may see its unit (a clerk its own
unit, a coordinator, leader or the acceptance group their region). Outside it: "not found"."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Min, QuerySet, When

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import Scope, viewer_scope
from rectify.plans.models import Assignment, Measure, Plan, Problem, WarningLevel

from . import services
from .models import COUNTED_STATUSES, Evidence, ProgressReport, ReportKind, ReportStatus
from .periods import SHANGHAI, Period


def business_scope(viewer: Any) -> Scope:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


def _scoped(qs: QuerySet[Any], scope: Scope, field_name: str = "unit_id") -> QuerySet[Any]:
    return qs if scope.everything else qs.filter(**{f"{field_name}__in": scope.unit_ids})


@dataclass
class ReportFilters:
    unit: int | None = None
    measure: int | None = None
    kind: str = ""
    statuses: list[str] = field(default_factory=list)
    period_start: dt.date | None = None

    @classmethod
    def from_query(cls, params: Any) -> ReportFilters:
        def as_int(name: str) -> int | None:
            value = str(params.get(name) or "")
            return int(value) if value.isascii() and value.isdigit() else None

        statuses: list[str] = []
        values = params.getlist("status") if hasattr(params, "getlist") else [params.get("status") or ""]
        for v in values:
            statuses += [s for s in str(v).split(",") if s in ReportStatus.values]
        try:
            period_start = dt.date.fromisoformat(params.get("period") or "")
        except ValueError:
            period_start = None
        kind = params.get("kind") or ""
        return cls(
            unit=as_int("unit"),
            measure=as_int("measure"),
            kind=kind if kind in ReportKind.values else "",
            statuses=statuses,
            period_start=period_start,
        )


def report_list(*, viewer: Any, filters: ReportFilters | None = None) -> QuerySet[ProgressReport]:
    scope = business_scope(viewer)
    f = filters or ReportFilters()
    qs = _scoped(ProgressReport.objects.all(), scope)
    if f.unit:
        qs = qs.filter(unit_id=f.unit)
    if f.measure:
        qs = qs.filter(measure_id=f.measure)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.period_start:
        qs = qs.filter(period_start=f.period_start)
    return qs.select_related("unit", "measure", "measure__problem").order_by("-period_start", "unit_id", "measure_id")


def report_get(*, viewer: Any, report_id: int) -> ProgressReport:
    scope = business_scope(viewer)
    report = (
        _scoped(ProgressReport.objects.filter(pk=report_id), scope)
        .select_related(
            "unit", "measure", "measure__problem", "assignment", "submitted_by", "reviewed_by", "created_by"
        )
        .first()
    )
    if report is None:
        raise NotFound()
    return report


def report_evidence(report: ProgressReport) -> QuerySet[Evidence]:
    return report.evidence.filter(removed_at__isnull=True).order_by("uploaded_at", "id")


def evidence_get(*, viewer: Any, evidence_id: int) -> Evidence:
    evidence = Evidence.objects.select_related("report").filter(pk=evidence_id, removed_at__isnull=True).first()
    if evidence is None:
        raise NotFound()
    report_get(viewer=viewer, report_id=evidence.report_id)
    return evidence


def unit_get_for_reports(*, viewer: Any, unit_id: int) -> OrgUnit:
    scope = business_scope(viewer)
    unit = OrgUnit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None or not scope.covers_unit(unit.pk):
        raise NotFound()
    return unit


@dataclass
class Row:
    """One card of a unit's report page: an assignment and its report for the period, if any."""

    assignment: Assignment
    report: ProgressReport | None
    previous: ProgressReport | None = None
    evidence: list[Evidence] = field(default_factory=list)
    data: Any = None  # the form input being re-shown after an error
    saved: bool = False  # `data` was stored (a file kept as a draft with the card's text)
    # The plan's short name, set when the unit reports in more than one plan: "（二）措施5" is then
    # ambiguous on its own.
    plan_short: str = ""

    @property
    def measure(self) -> Measure:
        assert self.assignment.measure is not None
        return self.assignment.measure

    @property
    def untouched_percent(self) -> str:
        """The figure a new card starts from (the last report's), which alone is not "typed"."""
        return str(self.previous.percent) if self.report is None and self.previous is not None else ""


def unit_period_rows(unit: OrgUnit, period: Period, *, only: list[int] | None = None) -> list[Row]:
    """The unit's shares that owe a report for `period` (or only those of `only`), in the order of
    the plans, their problems and measures."""
    required = services.required_assignments().filter(unit=unit)
    qs = required if only is None else required.filter(pk__in=only)
    assignments = list(
        qs.select_related("measure", "measure__problem", "unit")
        .prefetch_related("measure__milestones")
        .order_by("problem__plan_id", "measure__problem__index", "measure__seq", "id")
    )
    ids = [a.pk for a in assignments]
    reports = {
        r.assignment_id: r
        for r in ProgressReport.objects.filter(assignment_id__in=ids, kind=period.kind, period_start=period.start)
    }
    # The last counted report before this period: its plan is this week's starting point.
    previous: dict[int, ProgressReport] = {}
    for r in (
        ProgressReport.objects.filter(assignment_id__in=ids, kind=period.kind, period_start__lt=period.start)
        .exclude(submitted_at__isnull=True)
        .order_by("assignment_id", "-period_start")
    ):
        previous.setdefault(r.assignment_id, r)
    evidence: dict[int, list[Evidence]] = {}
    for e in Evidence.objects.filter(report__in=list(reports.values()), removed_at__isnull=True).order_by("id"):
        evidence.setdefault(e.report_id, []).append(e)
    plan_ids = (
        {a.measure.problem.plan_id for a in assignments if a.measure is not None}
        if only is None
        else set(required.values_list("problem__plan_id", flat=True).distinct())
    )
    shorts = plan_short_names(plan_ids) if len(plan_ids) > 1 else {}
    return [
        Row(
            a,
            reports.get(a.pk),
            previous.get(a.pk),
            evidence.get(reports[a.pk].pk, []) if a.pk in reports else [],
            plan_short=shorts.get(a.measure.problem.plan_id, "") if a.measure is not None else "",
        )
        for a in assignments
    ]


# --- the weekly form: filters and groups -------------------------------------------------------

# (key, label): 未填报 = nothing submitted yet (no report, or a draft); 被退回 = this period's
# report came back; 本周到期 = the share falls due by the period's end (overdue ones included).
WEEKLY_FILTERS = [("todo", "未填报"), ("returned", "被退回"), ("due", "本周到期"), ("all", "全部")]


def row_in(row: Row, show: str, period: Period) -> bool:
    if show == "todo":
        return row.report is None or row.report.status == ReportStatus.DRAFT
    if show == "returned":
        return row.report is not None and row.report.status == ReportStatus.RETURNED
    if show == "due":
        return row.assignment.due_on is not None and row.assignment.due_on <= period.end
    return True


def weekly_counts(rows: list[Row], period: Period) -> dict[str, int]:
    return {key: sum(1 for r in rows if row_in(r, key, period)) for key, _ in WEEKLY_FILTERS}


def _plan_short(title: str) -> str:
    """朔州市贯彻落实省生态环境保护督察反馈意见整改方案 → 省环保督察."""
    short = re.sub(r"\s+", "", re.sub(r"^.*?(贯彻落实|关于)", "", title))
    short = re.sub(r"(的)?(整改|落实)?(工作)?(实施)?方案$", "", short)
    short = re.sub(r"(反馈意见|报告|反馈问题)$", "", short)
    short = short.replace("生态环境保护督察", "环保督察")
    return (short or title)[:16]


def plan_short_names(plan_ids: Iterable[int]) -> dict[int, str]:
    """A short name per plan, distinct among the plans asked about."""
    plans = list(Plan.objects.filter(pk__in=list(plan_ids)).order_by("pk").only("pk", "title"))
    out = {p.pk: _plan_short(p.title) for p in plans}
    for p in plans:
        if list(out.values()).count(out[p.pk]) > 1:
            out[p.pk] = f"{out[p.pk]}（方案{p.pk}）"
    return out


def plan_short_if_many(plan_id: int) -> str:
    """The plan's short name when there is more than one plan: a measure's label is then ambiguous."""
    if not Plan.objects.exclude(pk=plan_id).exists():
        return ""
    return plan_short_names(Plan.objects.values_list("pk", flat=True)).get(plan_id, "")


@dataclass
class ProblemGroup:
    problem: Problem
    rows: list[Row]

    @property
    def has_error(self) -> bool:
        return any(r.data is not None and r.data.errors for r in self.rows)


@dataclass
class PlanGroup:
    plan_id: int
    short: str
    title: str
    problems: list[ProblemGroup]

    @property
    def size(self) -> int:
        return sum(len(g.rows) for g in self.problems)


def weekly_groups(rows: list[Row]) -> list[PlanGroup]:
    """Rows (already in plan → problem → measure order) grouped by plan, then by problem."""
    plans: list[PlanGroup] = []
    titles = {p.pk: p.title for p in Plan.objects.filter(pk__in={r.measure.problem.plan_id for r in rows})}
    for row in rows:
        problem = row.measure.problem
        if not plans or plans[-1].plan_id != problem.plan_id:
            title = titles.get(problem.plan_id, "")
            plans.append(PlanGroup(problem.plan_id, row.plan_short or _plan_short(title), title, []))
        groups = plans[-1].problems
        if not groups or groups[-1].problem.pk != problem.pk:
            groups.append(ProblemGroup(problem, []))
        groups[-1].rows.append(row)
    return plans


@dataclass
class PeriodStatus:
    period: Period
    required: int
    counts: dict[str, int]

    @property
    def not_started(self) -> int:
        return self.required - sum(self.counts.values())

    @property
    def filed(self) -> int:
        return self.counts.get(ReportStatus.SUBMITTED, 0) + self.counts.get(ReportStatus.ACCEPTED, 0)


def unit_period_status(unit: OrgUnit, period: Period) -> PeriodStatus:
    required = services.required_assignments().filter(unit=unit)
    counts: dict[str, int] = {}
    for status in ProgressReport.objects.filter(
        assignment__in=required, kind=period.kind, period_start=period.start
    ).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return PeriodStatus(period, required.count(), counts)


def unit_due_soon(unit: OrgUnit, *, today: dt.date, days: int) -> QuerySet[Assignment]:
    """The unit's own open shares falling due in the next `days` days (by the share's own date,
    which an extension may have moved)."""
    until = today + dt.timedelta(days=days)
    return (
        services.required_assignments()
        .filter(unit=unit, due_on__gte=today, due_on__lte=until)
        .select_related("measure__problem")
        .order_by("due_on", "measure__problem_id", "measure__seq")
    )


def unit_warnings(unit: OrgUnit) -> QuerySet[Assignment]:
    """The unit's own shares that are red or yellow (its support shares included), worst first."""
    return (
        Assignment.objects.filter(
            unit=unit, measure__isnull=False, warning_level__in=[WarningLevel.RED, WarningLevel.YELLOW]
        )
        .select_related("measure__problem", "measure__problem__plan")
        .order_by(
            Case(When(warning_level=WarningLevel.RED, then=0), default=1),
            "due_on",
            "measure__problem_id",
            "measure__seq",
        )
    )


def returned_reports(unit: OrgUnit) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(unit=unit, status=ReportStatus.RETURNED).select_related(
        "measure", "measure__problem"
    )


def review_queue(*, viewer: Any) -> QuerySet[ProgressReport]:
    return report_list(viewer=viewer, filters=ReportFilters(statuses=[ReportStatus.SUBMITTED])).order_by(
        "submitted_at", "id"
    )


def first_full_reports(share_ids: QuerySet[Any] | list[int]) -> dict[int, dt.date]:
    """Per share (ids, or a values("pk") queryset): the day (Beijing time) of its first counted
    report at 100 % — the 月通报's and the dashboard's "done" day of a share."""
    rows = (
        ProgressReport.objects.filter(
            assignment_id__in=share_ids,
            status__in=COUNTED_STATUSES,
            percent__gte=100,
            submitted_at__isnull=False,
        )
        .order_by()
        .values("assignment_id")
        .annotate(first=Min("submitted_at"))
    )
    return {r["assignment_id"]: r["first"].astimezone(SHANGHAI).date() for r in rows}
