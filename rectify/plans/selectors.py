"""Scoped reads of the ledger. Outside the viewer's scope an object is "not found"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    F,
    Field,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)

from rectify.audit.kept import kept
from rectify.audit.models import AuditEvent
from rectify.core import clock
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit
from rectify.orgs.scope import Scope, viewer_scope

from . import search
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


# A scope with at most this many problems, and a unit or county filter with at most this many
# measures, is given to the database as a list of ids (one query) rather than a subquery.
ID_LIST_LIMIT = 5000


class _IdIn(Func):
    """`column IN (ids)`; on PostgreSQL `column = ANY(%s)` with the ids as one array parameter: a
    thousand placeholders took Django and PostgreSQL longer to build and parse than the query ran."""

    output_field = BooleanField()

    def __init__(self, column: str, ids: list[int]) -> None:
        super().__init__(F(column))
        self.ids = ids

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} IN ({', '.join(['%s'] * len(self.ids))})", (*params, *self.ids)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{sql} = ANY(%s)", (*params, list(self.ids))


def _id_in(column: str, ids: list[int]) -> Q:
    return Q(_IdIn(column, ids)) if ids else Q(**{f"{column}__in": []})


def _visible_problem_condition(scope: Scope, problem_ref: str = "pk") -> Q:
    """Problems with an assignment in scope: the list of their ids (one query over the
    (unit, problem) index) when at most ID_LIST_LIMIT, else an IN (subquery); never a correlated
    EXISTS per row (at 100k measures a scan of the whole table). The list because PostgreSQL
    planned a county clerk's COUNT(*) over the subquery with another filter as a sequential scan
    of every measure and a hash join (status filter at 100k: 55-86 ms), where with the ids it
    reads the problem index (8-12 ms); SQLite plans both alike (docs/benchmarks.md)."""
    if scope.everything:
        return Q()
    in_scope = Assignment.objects.filter(unit_id__in=scope.unit_ids).order_by()
    ids = list(in_scope.values_list("problem_id", flat=True).distinct()[: ID_LIST_LIMIT + 1])
    if len(ids) > ID_LIST_LIMIT:
        return Q(**{f"{problem_ref}__in": in_scope.values("problem_id")})
    return _id_in(problem_ref, ids)


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


class _NoIndex(Func):
    """The column as an expression no index serves: `+col` on SQLite, the bare column elsewhere
    (PostgreSQL's planner has real statistics and needs no hint)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra)


def _narrow(qs: QuerySet[Measure], name: str, lookup: str, value: Any, walk: bool) -> QuerySet[Measure]:
    """`qs.filter(name__lookup=value)`; with `walk`, on an alias of the column no index serves."""
    if walk:
        alias = f"walk_{name}"
        column = Measure._meta.get_field(name)
        assert isinstance(column, Field)
        qs = qs.alias(**{alias: _NoIndex(F(name), output_field=column)})
        name = alias
    return qs.filter(**{f"{name}__{lookup}": value})


def measure_list(*, viewer: Any, filters: LedgerFilters | None = None, walk: bool = False) -> QuerySet[Measure]:
    """The 台账: measures with their problem, chapter, assignments and milestones, filtered.

    `walk`: the status, deadline-kind, level and due-date filters are applied so that SQLite
    cannot answer them from their indexes and walks the ledger's (problem_id, seq) order instead,
    stopping after a page. SQLite has no histograms (no STAT4 in CPython's build) and takes a
    two-sided date range for 1/64 of the table, so for a wide window it read and sorted every match
    (~16k at 100k measures) before LIMIT; MeasurePager chooses the walk when the count says the
    matches are many (a page is then found after a few hundred rows)."""
    scope = _scope_or_forbid(viewer)
    f = filters or LedgerFilters()
    return _measure_list(_visible_problem_condition(scope, "problem_id") & _unit_condition(f), f, walk)


def _share_measures(shares: QuerySet[Assignment]) -> Q:
    """Measures with one of these shares: their ids (one query) when at most
    ID_LIST_LIMIT, else an IN (subquery). Over the subquery PostgreSQL walked every
    measure in (problem, seq) order probing the unit's shares for each (the coordinator's unit
    filter at 100k: 85-225 ms loaded); the list is read from the primary key (5-8 ms)."""
    shares = shares.filter(measure__isnull=False).order_by()
    ids = list(shares.values_list("measure_id", flat=True).distinct()[: ID_LIST_LIMIT + 1])
    if len(ids) > ID_LIST_LIMIT:
        return Q(pk__in=shares.values("measure_id"))
    return _id_in("pk", ids)


def _unit_condition(f: LedgerFilters) -> Q:
    """The unit and county filters (measures where the unit, or a unit in the county, has a share)."""
    condition = Q()
    if f.unit:
        condition &= _share_measures(Assignment.objects.filter(unit_id=f.unit))
    if f.county:
        county = OrgUnit.objects.filter(pk=f.county).only("path").first()
        if county is None:
            return Q(pk__in=[])
        in_county = OrgUnit.objects.filter(path__startswith=county.path).values("pk")
        condition &= _share_measures(Assignment.objects.filter(unit_id__in=in_county))
    return condition


def _measure_list(base: Q, f: LedgerFilters, walk: bool) -> QuerySet[Measure]:
    """`measure_list` from its scope and unit conditions (`base`, evaluated once by the caller)."""
    qs = Measure.objects.select_related("problem", "problem__chapter", "problem__plan").filter(base)
    if f.plan:
        qs = qs.filter(problem__plan_id=f.plan)
    if f.chapter:
        qs = qs.filter(problem__chapter_id=f.chapter)
    if f.problem:
        qs = qs.filter(problem_id=f.problem)
    if f.kinds:
        qs = _narrow(qs, "deadline_kind", "in", f.kinds, walk)
    if f.statuses:
        qs = _narrow(qs, "status", "in", f.statuses, walk)
    if f.warnings:
        qs = _narrow(qs, "warning_level", "in", f.warnings, walk)
    if f.due_before:
        qs = _narrow(qs, "due_on", "lte", f.due_before, walk)
    if f.due_after:
        qs = _narrow(qs, "due_on", "gte", f.due_after, walk)
    if f.overdue:
        if walk:
            qs = _narrow(qs, "due_on", "lt", clock.today(), walk)
            qs = _narrow(qs, "status", "in", OPEN_STATUSES, walk)
            column = Measure._meta.get_field("deadline_kind")
            assert isinstance(column, Field)
            qs = qs.alias(walk_deadline_kind=_NoIndex(F("deadline_kind"), output_field=column))
            qs = qs.exclude(walk_deadline_kind__in=list(UNDATED_KINDS))
        else:
            qs = qs.filter(overdue_condition(clock.today()))
    if f.q:
        # Exactly icontains on the measure's or its problem's text, from the bigram index where
        # that is faster (plans.search).
        qs = qs.filter(search.ledger_condition(f))
    # Problems are created in plan order, so (problem_id, seq) is the ledger's order and walks the
    # (problem, seq) unique index: no join and no sort before LIMIT.
    return qs.order_by("problem_id", "seq")


class MeasurePager:
    """`measure_list` for a Paginator (the HTML ledger and the API list): counted with the filters'
    indexes first, then a page read by whichever walk is cheaper for that count — along the
    ledger's order (`walk`) when the matches are many and the page is near the front, else by
    the filters' indexes and a sort of the matches.

    `read(measures, start, stop)`: the page's rows from the chosen queryset (default: model
    objects). `count_limit`: count no further than that (COUNT(*) over a LIMIT); `exact` then says whether
    the count is the true number of matches, else `count()` is `count_limit + 1` and the page
    must say "超过 count_limit 条", never a total. The caller keeps `count_limit` at or above the
    end of the page it shows, so every row shown and "there is a next page" are true."""

    # Walk when at least this many measures match and the page ends within the first eighth of
    # them: a page is then found after ~8 × (offset + limit) rows at worst (100k measures:
    # ~12k rows for the deepest walked page, ~300 for the first).
    WALK_MIN_COUNT = 2000
    WALK_SHARE = 8

    def __init__(
        self,
        *,
        viewer: Any,
        filters: LedgerFilters | None = None,
        read: Callable[[QuerySet[Measure], int, int], list[Any]] | None = None,
        count_limit: int | None = None,
    ) -> None:
        scope = self._scope = _scope_or_forbid(viewer)
        # The scope and the unit and county filters, whose ids are read once for count and page.
        self.visible_problems = _visible_problem_condition(scope, "problem_id")
        self._base = self.visible_problems & _unit_condition(filters or LedgerFilters())
        # A viewer whose problems are a short list of ids (a unit's clerk, a county office) has at
        # most a few thousand measures: walking them along (problem_id IN …, seq) is bounded by
        # that, where a date or status index would range over the whole province's matches and
        # probe each one's problem (a clerk's due window at 100k: ~16k probes for ~500 rows).
        self._listed = any(isinstance(c, _IdIn) for c in self.visible_problems.children)
        self._filters = filters or LedgerFilters()
        self._read = read or (lambda qs, start, stop: list(qs[start:stop]))
        self._count_limit = count_limit
        self._count: int | None = None
        self.exact = True
        self.walked = False

    def count(self) -> int:
        if self._count is None:
            parts = (self._scope.key, self._filters, self._count_limit)
            self._count, self.exact = kept("ledger-count", parts, self._counted)
        return self._count

    def _counted(self) -> tuple[int, bool]:
        matches = _measure_list(self._base, self._filters, walk=self._listed).order_by()
        if self._count_limit is None:
            return matches.count(), True
        count = matches.values("pk")[: self._count_limit + 1].count()
        return count, count <= self._count_limit

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        if not isinstance(index, slice) or index.start is None or index.stop is None:
            raise TypeError("MeasurePager reads pages: pager[start:stop]")
        count = self.count()
        self.walked = self._listed or (count >= self.WALK_MIN_COUNT and index.stop * self.WALK_SHARE <= count)
        return self._read(_measure_list(self._base, self._filters, walk=self.walked), index.start, index.stop)


def _ledger_prefetches() -> tuple[Prefetch, ...]:
    return (
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("unit").order_by("role", "id"),
        ),
        Prefetch("milestones", queryset=Milestone.objects.order_by("seq")),
    )


def with_ledger_relations(measures: QuerySet[Measure]) -> QuerySet[Measure]:
    """Prefetch what a ledger page shows, so a page costs a fixed number of queries."""
    return measures.prefetch_related(*_ledger_prefetches())


def ledger_relations_load(measure: Measure) -> Measure:
    """`with_ledger_relations` for a measure already read (e.g. by `measure_get`): its shares and
    milestones in two queries, without reading the measure again."""
    prefetch_related_objects([measure], *_ledger_prefetches())
    return measure


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
    problem = qs.order_by().first()  # one row by its key: no sort (and no join for it)
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
    # One row by its key: no ORDER BY (the model's ordering joins the problem and plan to sort it).
    measure = Measure.objects.filter(pk=measure_id).order_by().first()
    if measure is None:
        raise NotFound()
    # The scoped read of its problem is the measure's problem (with its plan and chapter).
    measure.problem = problem_get(viewer=viewer, problem_id=measure.problem_id)
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


def pending_assignments(*, viewer: Any, visible_problems: Q | None = None) -> QuerySet[Assignment]:
    """Group phrases and unknown names still waiting for a coordinator to confirm.
    `visible_problems`: the viewer's scope condition when the caller holds it already (the
    ledger's MeasurePager.visible_problems), so its ids are not read twice."""
    scope = _scope_or_forbid(viewer)
    # "No measure" on a column no index serves: the partial index assignment_pending holds the few
    # pending rows, but when it is empty ANALYZE records nothing for it and SQLite read every
    # problem-level share (`measure_id IS NULL`: ~100k rows at 100k measures, 80 ms) through the
    # measure index instead, on every ledger page.
    qs = (
        Assignment.objects.filter(needs_confirmation=True)
        .alias(pending_measure=_NoIndex(F("measure_id"), output_field=IntegerField()))
        .filter(pending_measure__isnull=True)
        .select_related("problem", "problem__plan")
    )
    if not scope.everything:
        if visible_problems is None:
            visible_problems = _visible_problem_condition(scope, "problem_id")
        qs = qs.filter(visible_problems)
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
