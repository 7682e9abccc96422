"""Reads of the public portal: only what the city office made public, for an anonymous reader.

A problem is public when its plan and itself are (`plans.publishing`); every list and figure
here counts public problems only, so a hidden problem neither shows nor changes a number.
What a public page shows of an item: its text, responsible units, status, progress, deadline
and its 公示 / 销号 state — never a person, a report's text, evidence or a complainant.
Free text passes through the complainants' mask (complaints.privacy) on its way out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from rectify.closeout import selectors as closeout_selectors
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.complaints.selectors import published_batches
from rectify.core.formats import format_percent
from rectify.documents.models import Briefing, Circular, DocStatus
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Chapter, ItemStatus, Measure, Plan, Problem

DONE = [ItemStatus.CLOSED, ItemStatus.ONGOING]


def city_name() -> str:
    """The city the portal speaks for: the root of the unit tree (朔州市)."""
    root = OrgUnit.objects.filter(depth=0).order_by("path").values_list("name", flat=True).first()
    return root or "本市"


def public_problems() -> QuerySet[Problem]:
    return Problem.objects.filter(is_public=True, plan__is_public=True)


def public_plans() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).select_related("round").order_by("-start_on", "-pk")


def public_plan_get(pk: int) -> Plan | None:
    return public_plans().filter(pk=pk).first()


def public_problem_get(pk: int) -> Problem | None:
    return public_problems().select_related("plan", "chapter").filter(pk=pk).first()


# --- figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Counts over a plan's public problems and their measures."""

    problems: int = 0
    closed: int = 0
    ongoing: int = 0
    completed: int = 0
    in_progress: int = 0
    measures: int = 0
    measures_closed: int = 0
    measures_ongoing: int = 0
    measures_completed: int = 0
    measures_in_progress: int = 0
    publishing: int = 0  # items in 公示 (rows of the 公示 list)

    @property
    def done(self) -> int:
        return self.closed + self.ongoing

    @property
    def measures_done(self) -> int:
        return self.measures_closed + self.measures_ongoing

    @property
    def done_rate(self) -> str:
        return format_percent(self.done * 100 / self.problems) if self.problems else "—"

    @property
    def measures_done_rate(self) -> str:
        return format_percent(self.measures_done * 100 / self.measures) if self.measures else "—"


def _status_counts(qs: QuerySet, group: str) -> dict[int, dict[str, int]]:  # type: ignore[type-arg]
    rows = qs.values(group).annotate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=ItemStatus.CLOSED)),
        ongoing=Count("pk", filter=Q(status=ItemStatus.ONGOING)),
        completed=Count("pk", filter=Q(status=ItemStatus.COMPLETED)),
        in_progress=Count("pk", filter=Q(status=ItemStatus.IN_PROGRESS)),
    )
    return {r[group]: r for r in rows}


def public_closeouts() -> QuerySet[CloseoutApplication]:
    """The 公示 and 销号 lists, for public problems only."""
    problems = public_problems().values("pk")
    return closeout_selectors.public_list().filter(Q(problem__in=problems) | Q(measure__problem__in=problems))


def plan_figures(plan_ids: list[int]) -> dict[int, Figures]:
    problems = _status_counts(public_problems().filter(plan_id__in=plan_ids), "plan_id")
    measures = _status_counts(
        Measure.objects.filter(problem__in=public_problems().filter(plan_id__in=plan_ids).values("pk")),
        "problem__plan_id",
    )
    publishing: dict[int, int] = defaultdict(int)
    for problem_plan, measure_plan in (
        public_closeouts()
        .filter(status=CloseoutStatus.PUBLISHED)
        .values_list("problem__plan_id", "measure__problem__plan_id")
    ):
        publishing[problem_plan or measure_plan] += 1
    out = {}
    for pk in plan_ids:
        p, m = problems.get(pk, {}), measures.get(pk, {})
        out[pk] = Figures(
            problems=p.get("total", 0),
            closed=p.get("closed", 0),
            ongoing=p.get("ongoing", 0),
            completed=p.get("completed", 0),
            in_progress=p.get("in_progress", 0),
            measures=m.get("total", 0),
            measures_closed=m.get("closed", 0),
            measures_ongoing=m.get("ongoing", 0),
            measures_completed=m.get("completed", 0),
            measures_in_progress=m.get("in_progress", 0),
            publishing=publishing.get(pk, 0),
        )
    return out


# --- rows ----------------------------------------------------------------------------------------


def progress_text(value: float | None) -> str:
    return format_percent(value) if value is not None else "—"


def deadline_text(item: Problem | Measure) -> str:
    if item.deadline_raw:
        return item.deadline_raw
    return item.due_on.isoformat() if item.due_on else item.deadline_kind_label or "—"


def _until(apps: list[CloseoutApplication]) -> str:
    dates = [a.publish_until for a in apps if a.publish_until]
    return f"（至{max(dates):%Y-%m-%d}）" if dates else ""


def item_state(item: Problem | Measure, publishing: list[CloseoutApplication]) -> str:
    """The 公示 / 销号 state of a problem or measure, as the public reads it."""
    if item.status == ItemStatus.CLOSED:
        return f"已销号（{item.closed_on:%Y-%m-%d}）" if item.closed_on else "已销号"
    if item.status == ItemStatus.ONGOING:
        return "已完成、长期坚持"
    if publishing:
        return f"公示中{_until(publishing)}"
    return ""


@dataclass
class MeasureRow:
    measure: Measure
    units: list[str]
    state: str

    @property
    def progress(self) -> str:
        return progress_text(self.measure.progress)

    @property
    def deadline(self) -> str:
        return deadline_text(self.measure)


@dataclass
class ProblemRow:
    problem: Problem
    state: str
    measures: int = 0
    measures_done: int = 0
    measures_publishing: int = 0
    measure_rows: list[MeasureRow] = field(default_factory=list)

    @property
    def progress(self) -> str:
        return progress_text(self.problem.progress)

    @property
    def deadline(self) -> str:
        return deadline_text(self.problem)

    @property
    def states(self) -> list[str]:
        out = [self.state] if self.state else []
        if self.problem.status not in DONE:
            if self.measures_done:
                out.append(f"措施已销号或长期坚持 {self.measures_done}/{self.measures} 项")
            if self.measures_publishing:
                out.append(f"措施公示中 {self.measures_publishing} 项")
        return out


def _publishing_apps(problem_ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:  # type: ignore[type-arg]
    """Applications in 公示, by problem (problem applications) and by measure."""
    by_problem: dict[int, list[CloseoutApplication]] = defaultdict(list)
    by_measure: dict[int, list[CloseoutApplication]] = defaultdict(list)
    apps = CloseoutApplication.objects.filter(status=CloseoutStatus.PUBLISHED).filter(
        Q(problem_id__in=problem_ids) | Q(measure__problem_id__in=problem_ids)
    )
    for app in apps.only("pk", "problem_id", "measure_id", "publish_until"):
        if app.measure_id:
            by_measure[app.measure_id].append(app)
        elif app.problem_id:
            by_problem[app.problem_id].append(app)
    return by_problem, by_measure


@dataclass
class ChapterRows:
    chapter: Chapter
    rows: list[ProblemRow]


def plan_chapters(plan: Plan) -> list[ChapterRows]:
    """The plan's chapters with their public problems (a chapter with none is left out)."""
    problems = list(public_problems().filter(plan=plan).select_related("chapter").order_by("index"))
    ids = [p.pk for p in problems]
    by_problem, by_measure = _publishing_apps(ids)
    measure_counts = {
        r["problem_id"]: r
        for r in Measure.objects.filter(problem_id__in=ids)
        .values("problem_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(status__in=DONE)))
    }
    measure_problem = dict(Measure.objects.filter(pk__in=list(by_measure)).values_list("pk", "problem_id"))
    publishing_measures: dict[int, set[int]] = defaultdict(set)
    for measure_id in by_measure:
        publishing_measures[measure_problem[measure_id]].add(measure_id)
    chapters: dict[int, ChapterRows] = {}
    for p in problems:
        counts = measure_counts.get(p.pk, {})
        row = ProblemRow(
            problem=p,
            state=item_state(p, by_problem.get(p.pk, [])),
            measures=counts.get("total", 0),
            measures_done=counts.get("done", 0),
            measures_publishing=len(publishing_measures.get(p.pk, ())),
        )
        chapters.setdefault(p.chapter_id, ChapterRows(chapter=p.chapter, rows=[])).rows.append(row)
    return list(chapters.values())


def problem_row(problem: Problem) -> ProblemRow:
    """One public problem with its measures: status, progress, deadline, units, 公示 / 销号."""
    by_problem, by_measure = _publishing_apps([problem.pk])
    measures = list(problem.measures.order_by("seq"))
    units: dict[int, list[str]] = defaultdict(list)
    for measure_id, role, name in (
        Assignment.objects.filter(measure__problem=problem, unit__isnull=False)
        .order_by("measure_id", "role", "unit__path")
        .values_list("measure_id", "role", "unit__name")
    ):
        units[measure_id].append(name if role == Assignment.RoleKind.LEAD else f"{name}（配合）")
    rows = [
        MeasureRow(measure=m, units=units.get(m.pk, []), state=item_state(m, by_measure.get(m.pk, [])))
        for m in measures
    ]
    done = sum(1 for m in measures if m.status in DONE)
    return ProblemRow(
        problem=problem,
        state=item_state(problem, by_problem.get(problem.pk, [])),
        measures=len(measures),
        measures_done=done,
        measures_publishing=sum(1 for m in measures if by_measure.get(m.pk)),
        measure_rows=rows,
    )


# --- documents ------------------------------------------------------------------------------------


def published_circulars() -> QuerySet[Circular]:
    return (
        Circular.objects.filter(status=DocStatus.ISSUED, published_on__isnull=False)
        .select_related("issuer")
        .order_by("-year", "-month", "-pk")
    )


def published_briefings() -> QuerySet[Briefing]:
    return (
        Briefing.objects.filter(status=DocStatus.ISSUED, published_on__isnull=False)
        .select_related("issuer")
        .order_by("-year", "-issue_no", "-pk")
    )


@dataclass(frozen=True)
class HomeCounts:
    publishing: int  # items in 公示
    closed: int  # items closed (销号) and not reopened since
    batches: int  # 交办件 batches whose results are public
    circulars: int
    briefings: int


def home_counts() -> HomeCounts:
    closeouts = public_closeouts().aggregate(
        publishing=Count("pk", filter=Q(status=CloseoutStatus.PUBLISHED)),
        closed=Count("pk", filter=Q(status=CloseoutStatus.CLOSED)),
    )
    return HomeCounts(
        publishing=closeouts["publishing"],
        closed=closeouts["closed"],
        batches=published_batches().count(),
        circulars=published_circulars().count(),
        briefings=published_briefings().count(),
    )
