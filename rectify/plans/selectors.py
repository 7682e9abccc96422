"""Scoped reads of the ledger. Outside the viewer's scope an object is "not found"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from rectify.audit.models import AuditEvent
from rectify.core import clock
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import Scope, subtree_ids, viewer_scope

from .models import (
    OPEN_STATUSES,
    SHARE_DONE_STATUSES,
    SHARE_OPEN_STATUSES,
    UNDATED_KINDS,
    Assignment,
    Chapter,
    Measure,
    Milestone,
    Plan,
    Problem,
    ShareStatus,
    WarningLevel,
)


def _scope_or_forbid(viewer: Any) -> Scope:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    return scope


def _visible_problem_condition(scope: Scope, problem_ref: str = "pk") -> Q:
    """Problems with an assignment in scope. An IN (subquery) over the (unit, problem) index,
    not a correlated EXISTS per row: at 100k measures that was the difference between a range
    scan and a scan of the whole table (docs/benchmarks.md)."""
    if scope.everything:
        return Q()
    problem_ids = Assignment.objects.filter(unit_id__in=scope.unit_ids).values("problem_id")
    return Q(**{f"{problem_ref}__in": problem_ids})


def plan_ids(*, viewer: Any) -> QuerySet[Plan]:
    """The plans the viewer may see, as a cheap subquery (no counts)."""
    scope = _scope_or_forbid(viewer)
    qs = Plan.objects.all()
    if not scope.everything:
        qs = qs.filter(pk__in=Assignment.objects.filter(unit_id__in=scope.unit_ids).values("problem__plan_id"))
    return qs


def plan_list(*, viewer: Any) -> QuerySet[Plan]:
    return plan_ids(viewer=viewer).annotate(problem_count=Count("problems", distinct=True)).order_by("-created_at")


@dataclass
class LedgerFilters:
    """The ledger's filters, parsed from a query string (bad values are ignored, not fatal)."""

    plan: int | None = None
    chapter: int | None = None
    problem: int | None = None
    unit: int | None = None
    county: int | None = None
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    overdue: bool = False
    q: str = ""
    # Share-level filters, read by the warning board (supervision.selectors.share_list) only: the
    # share's own status, and the share overdue by its own due date (share_overdue_condition).
    share_statuses: list[str] = field(default_factory=list)
    share_overdue: bool = False

    @classmethod
    def from_query(cls, params: Any) -> LedgerFilters:
        def as_int(name: str) -> int | None:
            value = str(params.get(name) or "")
            return int(value) if value.isascii() and value.isdigit() else None

        def as_date(name: str) -> dt.date | None:
            try:
                return dt.date.fromisoformat(params.get(name) or "")
            except ValueError:
                return None

        def as_list(name: str) -> list[str]:
            values = params.getlist(name) if hasattr(params, "getlist") else params.get(name, [])
            if isinstance(values, str):
                values = [values]
            out: list[str] = []
            for v in values:
                out.extend(x for x in str(v).split(",") if x)
            return out

        return cls(
            plan=as_int("plan"),
            chapter=as_int("chapter"),
            problem=as_int("problem"),
            unit=as_int("unit"),
            county=as_int("county"),
            kinds=as_list("kind"),
            statuses=as_list("status"),
            warnings=[w for w in as_list("warning") if w in WarningLevel.values],
            due_before=as_date("due_before"),
            due_after=as_date("due_after"),
            overdue=(params.get("overdue") or "") in {"1", "true", "on", "yes"},
            q=(params.get("q") or "").strip()[:100],
            share_statuses=[s for s in as_list("share_status") if s in ShareStatus.values],
            share_overdue=(params.get("share_overdue") or "") in {"1", "true", "on", "yes"},
        )


def overdue_condition(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}due_on__lt": today, f"{prefix}status__in": OPEN_STATUSES}) & ~Q(
        **{f"{prefix}deadline_kind__in": list(UNDATED_KINDS)}
    )


def measure_list(*, viewer: Any, filters: LedgerFilters | None = None) -> QuerySet[Measure]:
    """The 台账: measures with their problem, chapter, assignments and milestones, filtered."""
    scope = _scope_or_forbid(viewer)
    f = filters or LedgerFilters()
    qs = Measure.objects.select_related("problem", "problem__chapter", "problem__plan")
    if not scope.everything:
        qs = qs.filter(_visible_problem_condition(scope, "problem_id"))
    if f.plan:
        qs = qs.filter(problem__plan_id=f.plan)
    if f.chapter:
        qs = qs.filter(problem__chapter_id=f.chapter)
    if f.problem:
        qs = qs.filter(problem_id=f.problem)
    if f.unit:
        qs = qs.filter(pk__in=Assignment.objects.filter(unit_id=f.unit, measure__isnull=False).values("measure_id"))
    if f.county:
        county = OrgUnit.objects.filter(pk=f.county).first()
        ids = subtree_ids(county) if county else set()
        qs = qs.filter(pk__in=Assignment.objects.filter(unit_id__in=ids, measure__isnull=False).values("measure_id"))
    if f.kinds:
        qs = qs.filter(deadline_kind__in=f.kinds)
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.warnings:
        qs = qs.filter(warning_level__in=f.warnings)
    if f.due_before:
        qs = qs.filter(due_on__lte=f.due_before)
    if f.due_after:
        qs = qs.filter(due_on__gte=f.due_after)
    if f.overdue:
        qs = qs.filter(overdue_condition(clock.today()))
    if f.q:
        # The problem's text once per problem (a subquery), not once per measure through a join;
        # the join also stayed in the pager's COUNT(*).
        problems = Problem.objects.filter(text__icontains=f.q).values("pk")
        qs = qs.filter(Q(text__icontains=f.q) | Q(problem_id__in=problems))
    # Problems are created in plan order, so (problem_id, seq) is the ledger's order and walks the
    # (problem, seq) unique index: no join and no sort before LIMIT.
    return qs.order_by("problem_id", "seq")


def with_ledger_relations(measures: QuerySet[Measure]) -> QuerySet[Measure]:
    """Prefetch what a ledger page shows, so a page costs a fixed number of queries."""
    return measures.prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("unit").order_by("role", "id"),
        ),
        Prefetch("milestones", queryset=Milestone.objects.order_by("seq")),
    )


# The columns of a ledger row that the API list returns (api.ledger_rows), read flat with values():
# no model objects, no select_related of the problem's plan and chapter.
LEDGER_MEASURE_COLUMNS = (
    "id",
    "problem_id",
    "problem__number",
    "number",
    "seq",
    "text",
    "status",
    "due_on",
    "deadline_raw",
    "deadline_kind",
    "start_on",
    "deadline_parts",
    "recurrence",
    "progress",
    "warning_level",
    "last_report_at",
    "closed_on",
    "reopened_count",
    "version",
    "source",
)
LEDGER_SHARE_COLUMNS = (
    "id",
    "measure_id",
    "unit_id",
    "unit__name",
    "phrase",
    "role",
    "needs_confirmation",
    "status",
    "progress",
    "due_on",
    "due_extended",
    "warning_level",
    "warning_reasons",
    "last_report_at",
    "closed_on",
    "reopened_count",
)
LEDGER_MILESTONE_COLUMNS = ("id", "measure_id", "raw", "due_on", "precision", "reached_on")


def ledger_values(measures: QuerySet[Measure]) -> QuerySet[Measure, dict[str, Any]]:
    """`measure_list` as flat rows, one query per page. The problem's number is a subquery, not a
    join: a join lets the planner start from the problem table and sort every match before LIMIT,
    and it stays in the pager's COUNT(*); the subquery runs for the page's rows only."""
    number = Problem.objects.filter(pk=OuterRef("problem_id")).order_by().values("number")[:1]
    columns = [c for c in LEDGER_MEASURE_COLUMNS if c != "problem__number"]
    return measures.select_related(None).annotate(problem__number=Subquery(number)).values(*columns, "problem__number")


def ledger_children(measure_ids: list[int]) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """The shares (with their unit's name) and milestones of a page of measures, two queries,
    grouped by measure and in the order the ledger shows them (role then id; seq)."""
    shares: dict[int, list[dict[str, Any]]] = {pk: [] for pk in measure_ids}
    milestones: dict[int, list[dict[str, Any]]] = {pk: [] for pk in measure_ids}
    if not measure_ids:
        return shares, milestones
    for row in (
        Assignment.objects.filter(measure_id__in=measure_ids)
        .order_by("measure_id", "role", "id")
        .values(*LEDGER_SHARE_COLUMNS)
    ):
        shares[row["measure_id"]].append(row)
    for row in (
        Milestone.objects.filter(measure_id__in=measure_ids)
        .order_by("measure_id", "seq")
        .values(*LEDGER_MILESTONE_COLUMNS)
    ):
        milestones[row["measure_id"]].append(row)
    return shares, milestones


def problem_get(*, viewer: Any, problem_id: int) -> Problem:
    scope = _scope_or_forbid(viewer)
    qs = Problem.objects.select_related("plan", "chapter", "acceptance_unit").filter(pk=problem_id)
    if not scope.everything:
        qs = qs.filter(_visible_problem_condition(scope))
    problem = qs.first()
    if problem is None:
        raise NotFound()
    return problem


def problem_measures(problem: Problem) -> QuerySet[Measure]:
    return with_ledger_relations(problem.measures.order_by("seq"))


def problem_assignments(problem: Problem) -> QuerySet[Assignment]:
    return problem.assignments.filter(measure__isnull=True).select_related("unit").order_by("role", "id")


def problem_list(*, viewer: Any, plan: Plan | None = None) -> QuerySet[Problem]:
    scope = _scope_or_forbid(viewer)
    qs = Problem.objects.select_related("chapter", "plan")
    if plan is not None:
        qs = qs.filter(plan=plan)
    if not scope.everything:
        qs = qs.filter(_visible_problem_condition(scope))
    return qs.order_by("plan_id", "index")


def measure_get(*, viewer: Any, measure_id: int) -> Measure:
    measure = Measure.objects.select_related("problem").filter(pk=measure_id).first()
    if measure is None:
        raise NotFound()
    problem_get(viewer=viewer, problem_id=measure.problem_id)
    return measure


def chapters_for(*, viewer: Any) -> QuerySet[Chapter]:
    return Chapter.objects.filter(plan__in=plan_ids(viewer=viewer).values("pk")).order_by("plan_id", "index")


def unit_problems(*, viewer: Any, unit: OrgUnit) -> QuerySet[Problem]:
    """Problems where `unit` holds an assignment (the caller checked the unit is in scope)."""
    qs = problem_list(viewer=viewer).filter(pk__in=Assignment.objects.filter(unit=unit).values("problem_id"))
    return qs.annotate(
        measure_count=Count("assignments", filter=Q(assignments__unit=unit, assignments__measure__isnull=False))
    )


def share_overdue_condition(today: dt.date) -> Q:
    """A share is overdue when its own due date has passed and its unit has not done its part."""
    return Q(due_on__lt=today, status__in=SHARE_OPEN_STATUSES) & ~Q(measure__deadline_kind__in=list(UNDATED_KINDS))


def unit_assignment_summary(*, unit: OrgUnit) -> dict[str, int]:
    """The unit's own shares: how many, lead / support, overdue, by level, done."""
    rows = Assignment.objects.filter(unit=unit, measure__isnull=False)
    today = clock.today()
    counts = rows.aggregate(
        measures=Count("pk"),
        lead=Count("pk", filter=Q(role=Assignment.RoleKind.LEAD)),
        support=Count("pk", filter=Q(role=Assignment.RoleKind.SUPPORT)),
        overdue=Count("pk", filter=share_overdue_condition(today)),
        red=Count("pk", filter=Q(warning_level=WarningLevel.RED)),
        yellow=Count("pk", filter=Q(warning_level=WarningLevel.YELLOW)),
        done=Count("pk", filter=Q(status__in=SHARE_DONE_STATUSES)),
    )
    return {k: v or 0 for k, v in counts.items()}


def unit_shares(*, viewer: Any, unit: OrgUnit, limit: int = 300) -> list[Assignment]:
    """The unit's shares the viewer may see (its measures' problems are visible), worst first."""
    problems = problem_list(viewer=viewer).values("pk")
    return list(
        Assignment.objects.filter(unit=unit, measure__isnull=False, problem_id__in=problems)
        .select_related("measure__problem")
        .order_by("measure__problem__plan_id", "measure__problem__index", "measure__seq")[:limit]
    )


def pending_assignments(*, viewer: Any) -> QuerySet[Assignment]:
    """Group phrases and unknown names still waiting for a coordinator to confirm."""
    scope = _scope_or_forbid(viewer)
    qs = Assignment.objects.filter(needs_confirmation=True, measure__isnull=True).select_related(
        "problem", "problem__plan"
    )
    if not scope.everything:
        qs = qs.filter(_visible_problem_condition(scope, "problem_id"))
    return qs.order_by("problem__plan_id", "problem__index", "id")


def measure_deadline_changes(problem: Problem) -> dict[int, Any]:
    """The latest "deadline changed for all units" event of each of the problem's measures."""
    out: dict[int, Any] = {}
    for e in AuditEvent.objects.filter(
        action="measure.deadline_changed", parent_type="plans.problem", parent_id=str(problem.pk)
    ).order_by("at", "id"):
        if e.object_id.isdigit():
            out[int(e.object_id)] = e
    return out
