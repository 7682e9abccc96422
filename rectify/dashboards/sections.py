"""The dashboard's sections, each counted for one viewer (or one county) from the shares and
measures that selectors.py scopes: by chapter and by problem (measures as the ledger counts them,
shares as the warning board lists them), 交办件 by status and region, 反弹, 包联领导 and the units
with the most overdue shares. Each figure carries the link to the list behind it (links.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from rectify.complaints import selectors as complaint_selectors
from rectify.complaints.models import CaseStatus, ComplaintCase
from rectify.orgs.models import OrgUnit, UnitKind
from rectify.plans.models import Assignment, Chapter, Measure, Problem, ProblemLeader, ShareStatus

from . import links
from .counties import UnitRow
from .figures import Counts, MeasureCounts, measure_counts, share_counts

PROBLEM_ROWS = 300  # the problem table shows at most this many (the ledger has them all)
LIST_ROWS = 30  # overdue shares, reopened shares: the first ones (the count links to all)
TOP_UNITS = 10
OPEN_CASES = f"{CaseStatus.OPEN.value},{CaseStatus.STAGE_CLOSED.value}"  # 未办结 and 阶段性办结: not yet 办结


@dataclass
class Row:
    """A chapter or a problem: its measures (roll-ups) and its shares."""

    pk: int
    label: str
    measures: MeasureCounts
    shares: Counts
    links: dict[str, str] = field(default_factory=dict)
    problem: Problem | None = None
    leaders: list[ProblemLeader] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.pk,
            "label": self.label,
            "measures": self.measures.as_dict(),
            "shares": self.shares.as_dict(),
        }
        if self.problem is not None:
            p = self.problem
            out |= {
                "number": p.number,
                "status": p.status,
                "progress": p.progress,
                "warning_level": p.warning_level,
                "recurred": p.recurred,
                "leaders": [{"user": x.user_id, "kind": x.kind, "title": x.title} for x in self.leaders],
            }
        return out


@dataclass
class ComplaintFigures:
    total: int = 0
    by_status: list[dict[str, Any]] = field(default_factory=list)
    by_region: list[dict[str, Any]] = field(default_factory=list)
    link: str = ""

    @property
    def closed(self) -> int:
        return next((s["n"] for s in self.by_status if s["status"] == CaseStatus.CLOSED), 0)


@dataclass
class LeaderRow:
    user_id: int
    name: str
    title: str
    problems: list[tuple[Row, str]] = field(default_factory=list)  # (problem row, 包联/分包)
    measures: MeasureCounts = field(default_factory=MeasureCounts)
    shares: Counts = field(default_factory=Counts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user_id,
            "name": self.name,
            "title": self.title,
            "problems": [{"problem": r.pk, "label": r.label, "kind": kind} for r, kind in self.problems],
            "measures": self.measures.as_dict(),
            "shares": self.shares.as_dict(),
        }


@dataclass
class Relapses:
    recurred: list[Problem] = field(default_factory=list)
    reopened_count: int = 0
    relapsed_now: int = 0
    reopened: list[Assignment] = field(default_factory=list)
    relapsed_link: str = ""


def chapter_rows(
    measures: QuerySet[Measure], shares: QuerySet[Assignment], *, plan: int | None, county: int | None, today: dt.date
) -> list[Row]:
    by_measures = measure_counts(measures, "problem__chapter_id", today=today)
    by_shares = share_counts(shares, "measure__problem__chapter_id", today=today)
    ids = set(by_measures) | set(by_shares)
    rows = []
    for ch in Chapter.objects.filter(pk__in=ids).order_by("plan_id", "index"):
        row = Row(
            ch.pk, f"{ch.number}、{ch.title}", by_measures.get(ch.pk, MeasureCounts()), by_shares.get(ch.pk, Counts())
        )
        row.links = {
            "measures": links.ledger(plan=plan, chapter=ch.pk, county=county),
            "measures_done": links.ledger_done(plan=plan, chapter=ch.pk, county=county),
            "shares": links.board(plan=plan, chapter=ch.pk, county=county),
            "shares_done": links.board_done(plan=plan, chapter=ch.pk, county=county),
        }
        rows.append(row)
    return rows


def problem_rows(
    problems: QuerySet[Problem],
    measures: QuerySet[Measure],
    shares: QuerySet[Assignment],
    *,
    plan: int | None,
    county: int | None,
    today: dt.date,
) -> tuple[list[Row], int]:
    by_measures = measure_counts(measures, "problem_id", today=today)
    by_shares = share_counts(shares, "problem_id", today=today)
    qs = problems.filter(pk__in=set(by_measures) | set(by_shares)).prefetch_related("leaders__user")
    shown = list(qs.order_by("plan_id", "index")[: PROBLEM_ROWS + 1])
    total = len(shown) if len(shown) <= PROBLEM_ROWS else qs.count()
    rows = []
    for p in shown[:PROBLEM_ROWS]:
        row = Row(p.pk, p.label, by_measures.get(p.pk, MeasureCounts()), by_shares.get(p.pk, Counts()), problem=p)
        row.leaders = list(p.leaders.all())
        row.links = {
            "problem": links.problem(p.pk),
            "measures": links.ledger(plan=plan, problem=p.pk, county=county),
            "measures_done": links.ledger_done(plan=plan, problem=p.pk, county=county),
            "shares": links.board(plan=plan, problem=p.pk, county=county),
            "shares_done": links.board_done(plan=plan, problem=p.pk, county=county),
            "red": links.board(plan=plan, problem=p.pk, county=county, warning="red"),
        }
        rows.append(row)
    return rows, total


def complaint_figures(viewer: Any, *, region: int | None = None) -> ComplaintFigures:
    """交办件 the viewer may see (complaints.selectors.case_list), by status and by region."""
    visible = complaint_selectors.case_list(viewer=viewer)
    cases = ComplaintCase.objects.filter(pk__in=visible.order_by().values("pk"))
    if region is not None:
        cases = cases.filter(region_id=region)
    statuses = dict(cases.order_by().values_list("status").annotate(n=Count("pk")))
    out = ComplaintFigures(total=sum(statuses.values()), link=links.cases(region=region))
    out.by_status = [
        {"status": value, "label": label, "n": statuses.get(value, 0), "link": links.cases(status=value, region=region)}
        for value, label in CaseStatus.choices
    ]
    regions = dict(OrgUnit.objects.filter(kind=UnitKind.REGION).values_list("pk", "name"))
    for r in (
        cases.order_by()
        .values("region_id")
        .annotate(total=Count("pk"), closed=Count("pk", filter=Q(status=CaseStatus.CLOSED)))
        .order_by("-total", "region_id")
    ):
        pk = r["region_id"]
        out.by_region.append(
            {
                "region": pk,
                "name": regions.get(pk, "未注明行政区域"),
                "total": r["total"],
                "closed": r["closed"],
                "open": r["total"] - r["closed"],
                "link": links.cases(region=pk) if pk else "",
                "closed_link": links.cases(region=pk, status=CaseStatus.CLOSED) if pk else "",
                "open_link": links.cases(region=pk, status=OPEN_CASES) if pk else "",
            }
        )
    return out


def relapses(
    problems: QuerySet[Problem], shares: QuerySet[Assignment], *, plan: int | None, county: int | None
) -> Relapses:
    """反弹: problems found again in a later round (Problem.recurred), and shares reopened after
    their close-out (反弹重开, reopened_count > 0; those still in 反弹 status link to the board)."""
    reopened = shares.filter(reopened_count__gt=0)
    counts = shares.order_by().aggregate(
        reopened=Count("pk", filter=Q(reopened_count__gt=0)), now=Count("pk", filter=Q(status=ShareStatus.RELAPSED))
    )
    out = Relapses(
        recurred=list(problems.filter(recurred=True).select_related("plan").order_by("plan_id", "index")),
        reopened_count=counts["reopened"],
        relapsed_now=counts["now"],
        reopened=list(
            reopened.select_related("unit", "measure__problem").order_by(
                "measure__problem_id", "measure__seq", "unit__path"
            )[:LIST_ROWS]
        ),
    )
    out.relapsed_link = links.board(plan=plan, county=county, share_status=[ShareStatus.RELAPSED])
    return out


def leader_rows(problem_rows_: list[Row]) -> list[LeaderRow]:
    """包联领导 (plans.ProblemLeader) of the shown problems, each with its problems' figures."""
    leaders: dict[int, LeaderRow] = {}
    for row in problem_rows_:
        for pl in row.leaders:
            name = pl.user.get_full_name() or pl.user.get_username()
            entry = leaders.setdefault(pl.user_id, LeaderRow(pl.user_id, name, pl.title))
            entry.title = entry.title or pl.title
            entry.problems.append((row, pl.get_kind_display()))
            entry.measures.add(row.measures)
            entry.shares.add(row.shares)
    return sorted(leaders.values(), key=lambda x: (-len(x.problems), x.name))


def top_overdue(units: list[UnitRow]) -> list[UnitRow]:
    """The units with the most overdue shares (then the most red ones)."""
    overdue = [u for u in units if u.shares.overdue]
    return sorted(overdue, key=lambda u: (-u.shares.overdue, -u.shares.red, u.path))[:TOP_UNITS]
