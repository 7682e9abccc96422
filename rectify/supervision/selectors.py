"""Supervision reads: the warning board (measures by level, scoped like the ledger, counts by
level), notices, extension requests, on-site records and flags, each scoped to the viewer."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from rectify.audit.kept import kept
from rectify.core import clock
from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit, Role
from rectify.orgs.scope import subtree_ids, viewer_scope
from rectify.plans.models import (
    SHARE_OPEN_STATUSES,
    UNDATED_KINDS,
    Assignment,
    ItemStatus,
    Measure,
    ShareStatus,
    WarningLevel,
)
from rectify.plans.selectors import LedgerFilters, measure_list, share_overdue_condition

from . import policies, rules
from .models import (
    ExtensionRequest,
    ExtensionStatus,
    NoticeKind,
    NoticeStatus,
    ScanRun,
    SiteVisit,
    SupervisionFlag,
    SupervisionNotice,
    Warning,
)
from .services import assessments, share_rows

# The board's levels, worst first: it lists them in this order, one index range each.
BOARD_LEVELS: tuple[str, ...] = (WarningLevel.RED, WarningLevel.YELLOW, WarningLevel.GREEN, "")
# Within a level: the share's due date, then the ledger's order, then the directory's.
_BOARD_ORDER = ("due_on", "problem_id", "measure__seq", "unit__path")
# A level with at least this many matches of a measure filter is read by walking the level's
# (warning_level, due_on, problem) index and checking each share's measure (a page is found after
# a few hundred rows); a level with fewer, from the matching measures (BoardShares.level).
WALK_MIN = 500


# The ledger's status filter read on the board as the share's own status: each ledger value means
# the share statuses that, alone, roll up to it (plans.rollup.measure_status); a share status the
# ledger has no word for (未开始, 申请销号, 反弹) is taken as itself; anything else matches nothing.
LEDGER_STATUS_SHARES: dict[str, tuple[str, ...]] = {
    ItemStatus.IN_PROGRESS: tuple(SHARE_OPEN_STATUSES),
    ItemStatus.COMPLETED: (ShareStatus.APPLYING, ShareStatus.COMPLETED),
    ItemStatus.ONGOING: (ShareStatus.ONGOING,),
    ItemStatus.CLOSED: (ShareStatus.CLOSED,),
}


def board_share_statuses(statuses: list[str]) -> list[str]:
    """The share statuses the board's `status` filter selects (see LEDGER_STATUS_SHARES)."""
    out: list[str] = []
    for value in statuses:
        for status in LEDGER_STATUS_SHARES.get(value, (value,) if value in ShareStatus.values else ()):
            if status not in out:
                out.append(status)
    return out


def board_filter_notes(filters: LedgerFilters) -> list[str]:
    """The board's share-level filters in words, for the page ("仅显示……的单位任务")."""
    notes: list[str] = []
    if filters.overdue or filters.share_overdue:
        notes.append("已逾期（本单位时限已过且未完成）")
    labels: list[str] = []
    for value in filters.statuses:
        if value in LEDGER_STATUS_SHARES:
            label, shares = ItemStatus(value).label, LEDGER_STATUS_SHARES[value]
            names = "、".join(ShareStatus(s).label for s in shares)
            labels.append(label if names == label else f"{label}（{names}）")
        elif value in ShareStatus.values:
            labels.append(ShareStatus(value).label)
    if filters.statuses:
        notes.append(f"本单位状态为“{'、'.join(labels) or '（无效的状态）'}”")
    if filters.share_statuses:
        notes.append(f"本单位状态为“{'、'.join(ShareStatus(s).label for s in filters.share_statuses)}”")
    after, before = filters.due_after, filters.due_before
    if after and before:
        notes.append(f"本单位时限在 {after:%Y-%m-%d} 至 {before:%Y-%m-%d} 之间")
    elif after:
        notes.append(f"本单位时限不早于 {after:%Y-%m-%d}")
    elif before:
        notes.append(f"本单位时限不晚于 {before:%Y-%m-%d}")
    return notes


def board_overdue_condition(today: dt.date) -> Q:
    """share_overdue_condition (the share's own due date passed, its unit not done), with the
    measure's kind read as one list of the undated measures rather than a join per share: the
    counts over everyone's shares then read only the share indexes (about half the time at 100k;
    a few units' shares are faster with the join)."""
    undated = Measure.objects.filter(deadline_kind__in=list(UNDATED_KINDS)).values("pk")
    return Q(due_on__lt=today, status__in=SHARE_OPEN_STATUSES) & ~Q(measure_id__in=undated)


def _measure_filters(filters: LedgerFilters) -> LedgerFilters | None:
    """The measure-level part of the filters, or None when there is none (no subquery then). On
    the board, level, unit, county, status, overdue and the due window are the share's own (its
    columns: warning_level, unit, status, due_on); plan, chapter, problem, kind and text are the
    measure's."""
    measure_filters = replace(
        filters,
        warnings=[],
        unit=None,
        county=None,
        statuses=[],
        due_before=None,
        due_after=None,
        overdue=False,
        share_statuses=[],
        share_overdue=False,
    )
    return None if measure_filters == LedgerFilters() else measure_filters


def _shares(
    viewer: Any,
    filters: LedgerFilters,
    *,
    measures: str = "in",
    county_units: set[int] | None = None,
    counting: bool = True,
) -> QuerySet[Assignment]:
    """The shares for the filters; `counting`: for a count over them (else for a page of rows,
    whose measures are joined anyway)."""
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        raise Forbidden("您的账号没有业务数据的查看权限。")
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    measure_filters = _measure_filters(filters)
    if measure_filters is not None:
        matching = measure_list(viewer=viewer, filters=measure_filters).order_by()
        # A scoped viewer's shares are a few units' ranges, and a due window's are a range of the
        # share indexes: check each one's measure (the matching measures, read first, would be
        # the whole ledger's for a wide filter, each then read through the measure_id index).
        if measures == "exists" or not scope.everything or filters.due_after or filters.due_before:
            qs = qs.filter(Exists(matching.filter(pk=OuterRef("measure_id"))))
        else:
            qs = qs.filter(measure_id__in=matching.values("pk"))
    # A share of a unit in scope is on a problem in scope: no need for measure_list's condition.
    if not scope.everything:
        qs = qs.filter(unit_id__in=scope.unit_ids)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.county:
        if county_units is None:
            county = OrgUnit.objects.filter(pk=filters.county).first()
            county_units = subtree_ids(county) if county else set()
        qs = qs.filter(unit_id__in=county_units)
    if filters.warnings:
        qs = qs.filter(warning_level__in=filters.warnings)
    if filters.statuses:
        qs = qs.filter(status__in=board_share_statuses(filters.statuses))
    if filters.share_statuses:
        qs = qs.filter(status__in=filters.share_statuses)
    if filters.overdue or filters.share_overdue:
        # A few units' shares, or a page of rows: check each one's measure; a count over everyone's:
        # one list of the undated measures (~20k at 100k: 17 ms to build, too dear for a page).
        wide = counting and scope.everything and not filters.unit
        today = clock.today()
        qs = qs.filter(board_overdue_condition(today) if wide else share_overdue_condition(today))
    if filters.due_after:
        qs = qs.filter(due_on__gte=filters.due_after)
    if filters.due_before:
        qs = qs.filter(due_on__lte=filters.due_before)
    return qs


def share_list(*, viewer: Any, filters: LedgerFilters) -> QuerySet[Assignment]:
    """Shares (unit × measure) for the ledger's filters, within the viewer's scope: a unit's clerk
    sees its own units' shares. Level, unit, county, status, overdue and the due window are the
    share's own (本单位): its level, its unit, its status (board_share_statuses), overdue by its
    own due date (share_overdue_condition), its due date (which an extension may have moved) in
    the window. Plan, chapter, problem, kind and text select measures (measure_list), read only
    when one of them is set."""
    return _shares(viewer, filters)


def _level_counts(by_unit: dict[int, dict[str, int]], unit_ids: set[int] | None = None) -> dict[str, int]:
    """Shares per level, summed over the units (over `unit_ids` only, when given)."""
    counts = {level: 0 for level in BOARD_LEVELS}
    for unit_id, levels in by_unit.items():
        if unit_ids is None or unit_id in unit_ids:
            for level, n in levels.items():
                counts[level] = counts.get(level, 0) + n
    return counts


def _by_unit(viewer: Any, filters: LedgerFilters) -> dict[int, dict[str, int]]:
    """Shares per unit and level for the filters: one GROUP BY over the (unit, level) index, kept
    until the data or the day changes (audit.kept)."""

    def work_out() -> dict[int, dict[str, int]]:
        by_unit: dict[int, dict[str, int]] = defaultdict(dict)
        rows = share_list(viewer=viewer, filters=filters).order_by().values_list("unit_id", "warning_level")
        for unit_id, level, n in rows.annotate(n=Count("pk")).values_list("unit_id", "warning_level", "n"):
            by_unit[unit_id][level] = n
        return dict(by_unit)

    return kept("board-by-unit", (viewer_scope(viewer).key, filters), work_out)


def _by_level(viewer: Any, filters: LedgerFilters) -> dict[str, int]:
    """Shares per level for the filters: one GROUP BY, kept until the data or the day changes."""

    def work_out() -> dict[str, int]:
        rows = share_list(viewer=viewer, filters=filters).order_by().values_list("warning_level")
        return dict(rows.annotate(n=Count("pk")).values_list("warning_level", "n"))

    return kept("board-by-level", (viewer_scope(viewer).key, filters), work_out)


def _as_counts(levels: dict[str, int]) -> dict[str, int]:
    counts = {level: levels.get(level, 0) for level in WarningLevel.values}
    counts["none"] = levels.get("", 0)
    counts["total"] = sum(counts.values())
    return counts


def warning_counts(*, viewer: Any, filters: LedgerFilters) -> dict[str, int]:
    """Shares per level for the board's filters, ignoring the level filter itself."""
    return _as_counts(_by_level(viewer, replace(filters, warnings=[])))


@dataclass
class Directory:
    """The units the board needs (paths for the county rows, names for the filters): one query."""

    units: list[dict[str, Any]]

    @classmethod
    def load(cls) -> Directory:
        columns = ("pk", "name", "path", "kind", "depth", "is_active")
        return cls(list(OrgUnit.objects.order_by("path").values(*columns)))

    def counties(self) -> list[dict[str, Any]]:
        """As orgs.selectors.counties(): the active regions directly under the root."""
        return [u for u in self.units if u["kind"] == "region" and u["depth"] == 1 and u["is_active"]]

    def subtree(self, pk: int | None) -> set[int]:
        county = next((u for u in self.units if u["pk"] == pk), None)
        if county is None:
            return set()
        return {u["pk"] for u in self.units if u["path"].startswith(county["path"])}


def _county_rows(by_unit: dict[int, dict[str, int]], directory: Directory) -> list[dict[str, Any]]:
    paths = {u["pk"]: u["path"] for u in directory.units}
    groups: list[tuple[int | None, str, list[int]]] = []
    taken: set[int] = set()
    for county in directory.counties():
        inside = [u for u in by_unit if paths[u].startswith(county["path"])]
        taken.update(inside)
        groups.append((county["pk"], county["name"], inside))
    groups.append((None, "市直部门及其他", [u for u in by_unit if u not in taken]))
    out = []
    for pk, name, units in groups:
        row: dict[str, Any] = {"pk": pk, "name": name}
        for level, key in (("red", "red"), ("yellow", "yellow"), ("green", "green"), ("", "none")):
            row[key] = sum(by_unit[u].get(level, 0) for u in units)
        row["total"] = row["red"] + row["yellow"] + row["green"] + row["none"]
        if row["total"]:
            out.append(row)
    return out


def county_counts(*, viewer: Any, filters: LedgerFilters) -> list[dict[str, Any]]:
    """Shares by county (县（市、区）, everything in its subtree) and level, for the board's filters
    without the county filter; the units in no county (the city's own departments) are one more row."""
    base = replace(filters, warnings=[], county=None)
    return _county_rows(_by_unit(viewer, base), Directory.load())


class BoardShares:
    """The board's shares worst first, as a paginator's list: its length is the sum of the
    per-level counts (known before), and a page is read level by level, each a range of the
    (warning_level, due_on, problem) index, so nothing sorts every red and yellow share before
    LIMIT (as ordering by a CASE on the level did)."""

    def __init__(
        self, viewer: Any, filters: LedgerFilters, counts: dict[str, int], county_units: set[int] | None = None
    ) -> None:
        self.viewer = viewer
        self.filters = filters
        self.county_units = county_units
        levels = filters.warnings or BOARD_LEVELS
        self.counts = {level: counts.get(level, 0) for level in BOARD_LEVELS if level in levels}

    def count(self) -> int:
        return sum(self.counts.values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Assignment]:
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        out: list[Assignment] = []
        offset = 0
        for level, n in self.counts.items():
            lo, hi = max(start - offset, 0), min(stop - offset, n)
            if lo < hi:
                out.extend(self.level(level, dense=n >= WALK_MIN)[lo:hi])
            offset += n
            if offset >= stop:
                break
        return out

    def level(self, level: str, *, dense: bool) -> QuerySet[Assignment]:
        filters = replace(self.filters, warnings=[level] if level else [])
        qs = _shares(
            self.viewer, filters, measures="exists" if dense else "in", county_units=self.county_units, counting=False
        )
        if not level:
            qs = qs.filter(warning_level="")
        return qs.select_related("unit", "measure__problem").only(*BOARD_ROW_FIELDS).order_by(*_BOARD_ORDER)


# What a board row shows (the page and WarningSerializer): nothing else is read.
BOARD_ROW_FIELDS = (
    "id",
    "unit_id",
    "unit__name",
    "measure_id",
    "problem_id",
    "role",
    "status",
    "progress",
    "due_on",
    "due_extended",
    "warning_level",
    "last_report_at",
    "measure__problem_id",
    "measure__number",
    "measure__text",
    "measure__deadline_raw",
    "measure__problem__number",
)


def warning_board(*, viewer: Any, filters: LedgerFilters) -> BoardShares:
    """The API's board list: shares worst first, then by the share's due date and the ledger's and
    the directory's order; counted per level (the selected levels only) in one GROUP BY."""
    return BoardShares(viewer, filters, _by_level(viewer, filters))


@dataclass
class BoardSummary:
    shares: BoardShares
    counts: dict[str, int]
    by_county: list[dict[str, Any]]
    directory: Directory


def board_summary(*, viewer: Any, filters: LedgerFilters) -> BoardSummary:
    """Everything the board page counts, from one GROUP BY (unit, level) without the level and
    county filters: the level cards (the county filter applied to it here), the county table and
    the list's length."""
    directory = Directory.load()
    by_unit = _by_unit(viewer, replace(filters, warnings=[], county=None))
    in_county = directory.subtree(filters.county) if filters.county else None
    levels = _level_counts(by_unit, in_county)
    return BoardSummary(
        shares=BoardShares(viewer, filters, levels, in_county),
        counts=_as_counts(levels),
        by_county=_county_rows(by_unit, directory),
        directory=directory,
    )


def annotate_reasons(shares: list[Assignment], *, today: dt.date) -> list[tuple[Assignment, rules.Assessment]]:
    """Each shown share with its reasons as of today (fresh day counts, not the scan's)."""
    rows = Assignment.objects.filter(pk__in=[a.pk for a in shares])
    by_pk = {row["pk"]: a for row, a in assessments(share_rows(rows), today=today)}
    return [(a, by_pk[a.pk]) for a in shares if a.pk in by_pk]


def measure_shares(measure: Measure, *, viewer: Any, today: dt.date) -> list[tuple[Assignment, rules.Assessment]]:
    """The per-unit breakdown of one measure the viewer may see (measure_get scoped it): every
    unit's share with fresh reasons, as the problem page and the measure API show them. (The board
    is a worklist and lists only the viewer's own units' shares.)"""
    qs = Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit", "measure__problem")
    return annotate_reasons(list(qs.order_by("role", "unit__path")), today=today)


def measure_warnings(measure: Measure) -> QuerySet[Warning]:
    return Warning.objects.filter(measure=measure).select_related("unit").order_by("resolved_on", "-raised_on", "-id")


def last_scan() -> ScanRun | None:
    return ScanRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()


# --- notices, extensions, visits, flags ------------------------------------------------------


def _scoped_units(viewer: Any, qs: QuerySet[Any], field: str = "unit_id") -> QuerySet[Any]:
    scope = viewer_scope(viewer)
    if scope.everything:
        return qs
    return qs.filter(**{f"{field}__in": scope.unit_ids})


@dataclass
class NoticeFilters:
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    unit: int | None = None
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> NoticeFilters:
        def many(name: str, allowed: list[str]) -> list[str]:
            values = [v for raw in params.getlist(name) for v in str(raw).split(",")]
            return [v for v in values if v in allowed]

        unit = str(params.get("unit") or "")
        return cls(
            kinds=many("kind", NoticeKind.values),
            statuses=many("status", NoticeStatus.values),
            unit=int(unit) if unit.isascii() and unit.isdigit() else None,
            q=str(params.get("q") or "").strip()[:100],
        )


def notice_list(*, viewer: Any, filters: NoticeFilters | None = None) -> QuerySet[SupervisionNotice]:
    """Notices the viewer may see: issued ones of units in scope; drafts only for the offices
    that may issue to the unit."""
    filters = filters or NoticeFilters()
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SupervisionNotice.objects.none()
    qs = _scoped_units(viewer, SupervisionNotice.objects.all())
    if Role.COORDINATOR not in scope.region_roles:
        qs = qs.exclude(status__in=[NoticeStatus.DRAFT, NoticeStatus.CANCELLED])
    if filters.kinds:
        qs = qs.filter(kind__in=filters.kinds)
    if filters.statuses:
        qs = qs.filter(status__in=filters.statuses)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(number__icontains=filters.q))
    return qs.select_related("unit", "issuer").order_by("-issued_on", "-created_at", "-pk")


def notice_get(*, viewer: Any, pk: int) -> SupervisionNotice:
    notice = (
        SupervisionNotice.objects.select_related("unit", "issuer", "escalated_from", "issued_by", "replied_by")
        .filter(pk=pk)
        .first()
    )
    if notice is None or not policies.can_view_notice(viewer, notice):
        raise NotFound()
    return notice


def unit_open_notices(*, unit_ids: list[int]) -> QuerySet[SupervisionNotice]:
    """What a unit must answer (its 本周待办 lists them)."""
    return (
        SupervisionNotice.objects.filter(unit_id__in=unit_ids, status=NoticeStatus.ISSUED)
        .select_related("unit")
        .order_by("response_due", "pk")
    )


def extension_list(*, viewer: Any, status: str = "") -> QuerySet[ExtensionRequest]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return ExtensionRequest.objects.none()
    qs = _scoped_units(viewer, ExtensionRequest.objects.all())
    if status in ExtensionStatus.values:
        qs = qs.filter(status=status)
    return qs.select_related("unit", "measure__problem", "requested_by", "decided_by").order_by("-created_at", "-pk")


def extension_get(*, viewer: Any, pk: int) -> ExtensionRequest:
    ext = extension_list(viewer=viewer).filter(pk=pk).first()
    if ext is None:
        raise NotFound()
    return ext


def visit_list(*, viewer: Any) -> QuerySet[SiteVisit]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SiteVisit.objects.none()
    qs = SiteVisit.objects.all()
    if not scope.everything:
        # A visit belongs to its region; units inside it see it.
        qs = qs.filter(Q(region_id__in=scope.unit_ids) | Q(tasks__unit_id__in=scope.unit_ids)).distinct()
    return qs.select_related("region").prefetch_related("tasks__unit").order_by("-visited_on", "-pk")


def visit_get(*, viewer: Any, pk: int) -> SiteVisit:
    visit = visit_list(viewer=viewer).filter(pk=pk).first()
    if visit is None:
        raise NotFound()
    return visit


def flag_list(*, viewer: Any, active: bool = True) -> QuerySet[SupervisionFlag]:
    scope = viewer_scope(viewer)
    if not scope.is_business_user:
        return SupervisionFlag.objects.none()
    qs = SupervisionFlag.objects.all()
    if active:
        qs = qs.filter(lifted_on__isnull=True)
    if not scope.everything:
        visible_problems = Assignment.objects.filter(unit_id__in=scope.unit_ids).values("problem_id")
        qs = qs.filter(Q(unit_id__in=scope.unit_ids) | Q(problem_id__in=visible_problems))
    return qs.select_related("problem", "unit", "set_by").order_by("-set_on", "-pk")
