"""The ledger export (json/csv/xlsx) built from a scoped measure queryset, read in chunks.

Everything is computed as of the export's date: progress from the reports submitted by the end of
that day, the warning level and its reasons from the rules on that day (a stored level could be
from another day's scan).

`export_stream` reads the measures `CHUNK` at a time, and for each chunk the shares, reports,
milestones and problems in a handful of statements (ledger_read: plain rows, converted only where
the export shows them); the rules assess each distinct input once (ledger_rules). It yields one
problem at a time, so the writers (ledger_writers) never hold the whole ledger: 100,000 measures
export in constant memory. A problem comes as its writer makes it (`LedgerExport.rows` with a
`Finish`) from its measures as read (`MeasureRow`): the .json's entries (`problem_entry`), or the
.csv's and .xlsx's rows made without them.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from typing import Any, NamedTuple

from django.db.models import QuerySet

from rectify.core.formats import format_rate
from rectify.orgs.models import OrgUnit
from rectify.plans import rollup
from rectify.plans.models import Assignment, Chapter, ItemStatus, Measure, Plan, ShareStatus
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules

from . import ledger_read as read
from .ledger_rules import GREEN, LABELS, ShareRules, recurs

DONE_STATUSES = {ItemStatus.COMPLETED, ItemStatus.ONGOING, ItemStatus.CLOSED}
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Measures per chunk: each chunk's statements list its ids (or its problems' ids) in an IN (…),
# under the 999 parameters SQLite allows.
CHUNK = 800
SHARE_LABELS = {str(k): v for k, v in ShareStatus.choices}
LEAD = str(Assignment.RoleKind.LEAD)
ACCEPTED = frozenset(str(s) for s in rollup.ACCEPTED_SHARE_STATUSES)
LEVELS = tuple(str(level) for level in rules.Level)
LEVEL_ORDER = {str(level): order for level, order in rules.LEVEL_ORDER.items()}

_iso = read.iso


# --- used by notice_docs (one unit's shares, model instances) ------------------------------------


def _reports_by(measures: QuerySet[Measure], as_of: dt.date) -> dict[int, tuple[int, dt.datetime]]:
    """Each assignment's latest counted report submitted by the end of `as_of`."""
    return _latest_reports(ProgressReport.objects.filter(measure_id__in=measures.values("pk")), as_of)


def _latest_reports(reports: QuerySet[ProgressReport], as_of: dt.date) -> dict[int, tuple[int, dt.datetime]]:
    cutoff = dt.datetime.combine(as_of, dt.time.max, tzinfo=SHANGHAI)
    latest: dict[int, tuple[int, dt.datetime]] = {}
    for assignment_id, percent, submitted_at in (
        reports.filter(status__in=COUNTED_STATUSES, submitted_at__lte=cutoff)
        .order_by("assignment_id", "period_start", "submitted_at")
        .values_list("assignment_id", "percent", "submitted_at")
    ):
        if submitted_at is not None:
            latest[assignment_id] = (percent, submitted_at)
    return latest


def _share_row(m: Measure, a: Assignment, reports: dict[int, tuple[int, dt.datetime]]) -> dict[str, Any]:
    """The share as the warning rules read it, with its progress as of the export's date."""
    return {
        "pk": a.pk,
        "measure_id": m.pk,
        "unit_id": a.unit_id,
        "role": a.role,
        "measure__problem_id": m.problem_id,
        "measure__problem__plan_id": m.problem.plan_id,
        "measure__problem__plan__start_on": m.problem.plan.start_on,
        "measure__deadline_kind": m.deadline_kind,
        "measure__start_on": m.start_on,
        "deadline_parts": m.deadline_parts,
        "due_on": a.due_on if a.due_extended else m.due_on,
        "status": a.status,
        "progress": reports[a.pk][0] if a.pk in reports else None,
        "last_report_at": reports[a.pk][1] if a.pk in reports else None,
        "milestones_reached": a.milestones_reached,
    }


# --- the stream ----------------------------------------------------------------------------------


class MeasureRow(NamedTuple):
    """A measure as read, before any writer's shape: its row (ledger_read.MEASURE_FIELDS), its
    deadline's parts, its shares' entries (the units confirmed, as the .json writes them, with
    their warnings), its units still to be confirmed, the latest report's minutes text and its
    milestones. The .csv and .xlsx rows are made from these (ledger_writers), the .json entry by
    `measure_entry`."""

    row: tuple[Any, ...]
    parts: Any
    shares: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    last: str | None
    milestones: list[dict[str, Any]]


# What a writer makes of one problem: (its entry without measures, its measures as read, whether
# support shares count in a measure's figures) → what the writer writes for it.
Finish = Callable[[dict[str, Any], list[MeasureRow], bool], Any]


@dataclass
class LedgerExport:
    """An export in the making: its date, its plans ({"title", "start_on"}, in order; known before
    any problem is read, so a writer can name its sheets), each plan's problems as an iterator
    (read them plan by plan, in order), and how many measures it holds."""

    as_of: dt.date
    plans: list[dict[str, Any]]
    measures: int
    _problems: Callable[[int, Finish], Iterator[Any]]
    problems_read: int = 0

    def problems(self, index: int) -> Iterator[dict[str, Any]]:
        """The plan's problem entries (the .json's shape)."""
        return self.rows(index, problem_entry)

    def rows(self, index: int, finish: Finish) -> Iterator[Any]:
        """What `finish` makes of each of the plan's problems (its measures as read)."""
        for item in self._problems(index, finish):
            self.problems_read += 1
            yield item


def export_stream(measures: QuerySet[Measure], *, as_of: dt.date) -> LedgerExport:
    """Plans in the order their first measure comes; each problem's measures in the queryset's
    order. The queryset must list each problem's measures together (the ledger orders by problem)."""
    order: dict[int, None] = {}
    count = 0
    for (plan_id,) in read.queryset_rows(measures, ("problem__plan_id",), chunk_size=5000):
        order.setdefault(plan_id, None)
        count += 1
    plans: dict[int, dict[str, Any]] = {
        p["id"]: dict(p) for p in Plan.objects.filter(pk__in=list(order)).values("id", "title", "start_on")
    }
    heads = [{"title": plans[pk]["title"], "start_on": _iso(plans[pk]["start_on"])} for pk in order]
    plan_ids = list(order)
    context: list[_Context] = []

    def problems(index: int, finish: Finish) -> Iterator[Any]:
        if not context:  # read once, when the first plan is
            context.append(_Context(as_of, measures.db))
        plan = plans[plan_ids[index]]
        return _plan_problems(measures.filter(problem__plan_id=plan["id"]), plan, context[0], finish)

    return LedgerExport(as_of, heads, count, problems)


def build_export(measures: QuerySet[Measure], *, as_of: dt.date) -> dict[str, Any]:
    """The whole export as one dict (for small exports and tests; large ones use export_stream)."""
    stream = export_stream(measures, as_of=as_of)
    plans = [{**head, "problems": list(stream.problems(i))} for i, head in enumerate(stream.plans)]
    return {"as_of": as_of.isoformat(), "plans": plans}


class _Context:
    """What every chunk of one export reads alike: the date, the database, the units' names, the
    rules (with the plans' horizons) and whether support shares count in a measure's roll-up."""

    def __init__(self, as_of: dt.date, using: str) -> None:
        self.as_of = as_of
        self.using = using
        self.units: dict[int, str] = dict(OrgUnit.objects.using(using).values_list("id", "name"))
        self.rules = ShareRules(as_of)
        self.support_counts = rollup.support_counts()


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a chunk is built: the chunk makes ~20,000
    dicts and lists (the entries: trees, never cycles, freed by reference counting), and the
    collections they set off cost 5–10 % of a streamed export's time (a third when the entries are
    kept, as build_export keeps them). Never held across a yield."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan_problems(
    measures: QuerySet[Measure], plan: dict[str, Any], context: _Context, finish: Finish
) -> Iterator[Any]:
    chapters = {
        pk: (number, title)
        for pk, number, title in Chapter.objects.filter(plan_id=plan["id"]).values_list("id", "number", "title")
    }
    context.rules.new_plan()
    support = context.support_counts
    current: dict[str, Any] | None = None
    current_id: int | None = None
    rows: list[MeasureRow] = []
    done: set[int] = set()
    for chunk in _chunks(read.queryset_rows(measures, read.MEASURE_FIELDS), CHUNK):
        with _collector_paused():
            part = _Chunk(chunk, plan, context, known=current_id)
            measure_rows = part.measure_rows()
        for m, row in zip(chunk, measure_rows, strict=True):
            if current_id != m[1]:
                if current is not None:
                    done.add(current_id)  # type: ignore[arg-type]
                    yield finish(current, rows, support)
                if m[1] in done:
                    raise ValueError("导出的措施须按问题排列（同一问题的措施相邻）")
                current_id, current, rows = m[1], _problem_entry(part.problems[m[1]], chapters, part), []
            rows.append(row)
    if current is not None:
        yield finish(current, rows, support)


class _Chunk:
    """What one chunk of measures needs, read in a few statements (ledger_read): their problems
    (those not yet started), shares, reports as of the date and milestones."""

    def __init__(
        self,
        measures: list[tuple[Any, ...]],
        plan: dict[str, Any],
        context: _Context,
        *,
        known: int | None,
    ) -> None:
        using = context.using
        self.measures = measures
        self.plan = plan
        self.context = context
        ids = [m[0] for m in measures]
        wanted = set(ids)
        problem_ids = sorted({m[1] for m in measures})
        new = [pk for pk in problem_ids if pk != known]
        self.problems = {p[0]: p for p in read.problems(using, new)}
        # The problems' own units (measure null; by id) and the shares of the chunk's measures (by
        # role, then id, as the ledger page lists them).
        self.problem_units: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        self.shares: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for a in read.shares(using, problem_ids):
            if a[2] is None:
                self.problem_units[a[0]].append(a)
            elif a[2] in wanted:
                self.shares[a[2]].append(a)
        for group in self.problem_units.values():
            group.sort(key=lambda a: a[1])
        by_role = itemgetter(5, 1)
        for group in self.shares.values():
            group.sort(key=by_role)
        # Each measure's milestones as the export lists them (by seq), and as the rules read them
        # (by id, the order the deadline scan reads them in).
        self.milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.rule_milestones: dict[int, list[tuple[int, dt.date, str]]] = defaultdict(list)
        for pk, measure_id, raw, due, precision in read.milestones(using, ids):
            self.milestones[measure_id].append({"raw": raw, "due": _iso(due), "precision": precision})
            self.rule_milestones[measure_id].append((pk, due, raw))
        for group in self.rule_milestones.values():
            group.sort()
        self.reached = read.reached(using, sorted(self.milestones)) if self.milestones else {}
        self.reports = read.latest_reports(using, ids, context.as_of)

    def measure_rows(self) -> list[MeasureRow]:
        """Each measure as read, with each share's entry: its own status, progress, warning, due
        date and last report. Shares whose rule input was seen before take that warning
        (ledger_rules); the others are assessed together."""
        context, shares, milestones = self.context, self.shares, self.milestones
        units, share_rules, plan_id = context.units, context.rules, self.plan["id"]
        key_of, known_get, report_of = share_rules.key, share_rules.known.get, self.reports.get
        label_of, json_value, iso_text = SHARE_LABELS.get, read.json_value, read.iso_text
        milestones_key, reached, rule_milestones = share_rules.milestones_key, self.reached, self.rule_milestones
        misses: list[tuple[tuple[Any, ...] | None, dict[str, Any]]] = []  # to assess: a row per key
        queued: dict[tuple[Any, ...], int] = {}  # a key's place in `misses`
        waiting: list[tuple[dict[str, Any], int]] = []  # entries without a warning, and their miss
        built: list[MeasureRow] = []
        for m in self.measures:
            measure_id, kind, m_due, start = m[0], m[9], m[7], m[11]
            parts = json_value(m[10])
            compound = parts if kind == "compound" else None
            recurring = kind == "recurring" or (compound is not None and recurs(kind, parts))
            nodes = rule_milestones.get(measure_id)
            m_due_iso = m_due.isoformat() if m_due else None
            entries: list[dict[str, Any]] = []
            pending: list[dict[str, Any]] = []
            last: tuple[int, Any, str, dt.date] | None = None  # the latest report of the measure's shares
            for a in shares.get(measure_id, ()):
                if not a[3]:
                    pending.append({"unit": a[4], "role": a[5], "status": None, "confirmed": False})
                    continue
                status, closed_on = a[6], a[9]
                if a[8]:  # extended: the share's own date
                    due, due_iso = read.date_of(a[7]), iso_text(a[7])
                else:
                    due, due_iso = m_due, m_due_iso
                report = report_of(a[1])
                if report is None:
                    progress = minutes = day = None
                else:
                    progress, at, minutes, day = report
                    if last is None or at > last[1]:
                        last = report
                if nodes:
                    nodes_key = milestones_key(nodes, json_value(reached.get(a[1])))
                    key = key_of(status, kind, recurring, plan_id, due, start, progress, day, compound, nodes_key)
                else:
                    key = key_of(status, kind, recurring, plan_id, due, start, progress, day, compound)
                warning = known_get(key)
                entry = {
                    "unit": units[a[3]],
                    "role": a[5],
                    "status": status,
                    "status_label": label_of(status, status),
                    "progress": progress,
                    "warning": warning,
                    "due": due_iso,
                    "extended": bool(a[8]),
                    "last_report": minutes,
                    "closed_on": closed_on if closed_on is None or closed_on.__class__ is str else iso_text(closed_on),
                    "reopened": a[10],
                }
                entries.append(entry)
                if warning is None:
                    miss = queued.get(key) if key is not None else None
                    if miss is None:
                        miss = len(misses)
                        misses.append((key, self._rule_row(m, a, due, parts, report)))
                        if key is not None:
                            queued[key] = miss
                    waiting.append((entry, miss))
            built.append(
                MeasureRow(m, parts, entries, pending, last[2] if last else None, milestones.get(measure_id, []))
            )
        warnings = share_rules.assess(misses, self.rule_milestones)
        for entry, miss in waiting:
            entry["warning"] = warnings[miss]
        return built

    def _rule_row(
        self,
        m: tuple[Any, ...],
        a: tuple[Any, ...],
        due: dt.date | None,
        parts: Any,
        report: tuple[int, Any, str, dt.date] | None,
    ) -> dict[str, Any]:
        """The share as supervision.services.share_rows gives it to the rules."""
        return {
            "pk": a[1],
            "measure_id": m[0],
            "unit_id": a[3],
            "role": a[5],
            "measure__problem_id": m[1],
            "measure__problem__plan_id": self.plan["id"],
            "measure__problem__plan__start_on": self.plan["start_on"],
            "measure__deadline_kind": m[9],
            "measure__start_on": m[11],
            "measure__recurrence": m[12],
            "deadline_parts": parts,
            "due_on": due,
            "status": a[6],
            "progress": report[0] if report else None,
            "last_report_at": read.report_time(report[1], self.context.using) if report else None,
            "milestones_reached": read.json_value(self.reached.get(a[1])) if m[0] in self.milestones else {},
        }


def counted(shares: list[dict[str, Any]], support_counts: bool) -> list[dict[str, Any]]:
    """The shares a measure's figures come from (rollup.counted): the lead shares, all when there
    is none or support shares count."""
    if support_counts:
        return shares
    return [e for e in shares if e["role"] == LEAD] or shares


def worst_warning(rolled: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
    """The worst level of the shares (rollup.worst_level; green when there is none) and the
    warning of the first share at that level."""
    worst, order = None, -1
    for e in rolled:
        warning = e["warning"]
        if LEVEL_ORDER[warning["level"]] > order:
            worst, order = warning, LEVEL_ORDER[warning["level"]]
    return (worst["level"], worst) if worst is not None else (GREEN, None)


def measure_progress(rolled: list[dict[str, Any]]) -> float | None:
    """rollup.mean_progress of the shares' progress as it counts (rollup.share_progress)."""
    return rollup.mean_progress([100 if e["status"] in ACCEPTED else e["progress"] for e in rolled])


def measure_figures(
    r: MeasureRow, support_counts: bool
) -> tuple[list[dict[str, Any]], str, dict[str, Any] | None, float | None]:
    """A measure's figures from its counted shares, as every format says them: the counted shares,
    the worst level and its warning, the progress."""
    rolled = counted(r.shares, support_counts)
    level, worst = worst_warning(rolled)
    return rolled, level, worst, measure_progress(rolled)


def measure_reasons(rolled: list[dict[str, Any]]) -> list[str]:
    return [f"{e['unit']}：{r}" for e in rolled for r in e["warning"]["reasons"]]


def measure_entry(r: MeasureRow, support_counts: bool, *, assignments: bool = True) -> dict[str, Any]:
    """A measure's .json entry: its fields the roll-ups of its shares (plans.rollup); its shares'
    entries last ("assignments"), left out with `assignments=False` (a writer adds them)."""
    m, entries = r.row, r.shares
    rolled, level, worst, progress = measure_figures(r, support_counts)
    counts = dict.fromkeys(LEVELS, 0)
    for e in entries:
        counts[e["warning"]["level"]] += 1
    m_due = m[7].isoformat() if m[7] else None
    entry = {
        "number": m[2] or None,
        "text": m[3],
        "status": m[4],
        "closed_on": _iso(m[5]),
        "reopened": m[6],
        "progress": progress,
        "warning": {
            "level": level,
            "label": LABELS[level],
            "reasons": measure_reasons(rolled),
            "shares": counts,
            # 序时进度 and the governing date of the worst counted share (they differ only by extensions).
            "expected": worst["expected"] if worst else None,
            "due": worst["due"] if worst else None,
        },
        "last_report": r.last,
        "due": m_due,
        "deadline": {"raw": m[8], "kind": m[9], "due": m_due, "parts": r.parts},
        "milestones": r.milestones,
    }
    if assignments:
        entry["assignments"] = entries + r.pending
    return entry


def _unit_entry(a: tuple[Any, ...], units: dict[int, str]) -> dict[str, Any]:
    """A unit named on the problem: confirmed (an org unit) or still only the phrase."""
    if a[3] is not None:
        return {"name": units[a[3]], "role": a[5], "phrase": a[4], "confirmed": True}
    return {"name": a[4], "role": a[5], "phrase": a[4], "confirmed": False}


def _problem_entry(p: tuple[Any, ...], chapters: dict[int, tuple[str, str]], part: _Chunk) -> dict[str, Any]:
    """A problem's entry, its measures and figures still to come (`problem_entry`)."""
    number, title = chapters[p[3]]
    return {
        "number": p[1],
        "index": p[2],
        "chapter": number,
        "chapter_title": title,
        "text": p[4],
        "goal": p[5],
        "status": p[6],
        "closed_on": _iso(p[7]),
        "reopened": p[8],
        "deadline": {"raw": p[9], "kind": p[10], "due": _iso(p[11]), "parts": read.json_value(p[12])},
        "responsible_person": p[13] or None,
        "acceptance_unit": p[14] or None,
        "units": [_unit_entry(a, part.context.units) for a in part.problem_units.get(p[0], [])],
        "warning": None,
        "progress": None,
        "completion": None,
        "last_report": None,
        "measures": [],
    }


def problem_entry(entry: dict[str, Any], rows: list[MeasureRow], support_counts: bool) -> dict[str, Any]:
    """A problem's .json entry: its measures' entries (last, "measures"), and its figures from them."""
    entry["measures"] = measures = [measure_entry(r, support_counts) for r in rows]
    return with_figures(entry, measures)


def with_figures(entry: dict[str, Any], measures: list[dict[str, Any]]) -> dict[str, Any]:
    """The problem's entry with its figures from its measures' entries."""
    figures = problem_figures([(x["status"], x["progress"], x["warning"]["level"], x["last_report"]) for x in measures])
    entry["progress"], level, entry["completion"], entry["last_report"] = figures
    entry["warning"] = {"level": level, "label": LABELS[level]}
    return entry


def problem_figures(
    measures: list[tuple[str, float | None, str, str | None]],
) -> tuple[float | None, str, dict[str, Any], str | None]:
    """A problem's figures from its measures' (status, progress, level, last report): mean
    progress, worst level, done count, last report."""
    progress = rollup.mean_progress([x[1] for x in measures])
    level = GREEN  # rules.worst, on the levels as text
    for x in measures:
        if LEVEL_ORDER[x[2]] > LEVEL_ORDER[level]:
            level = x[2]
    done = sum(1 for x in measures if x[0] in DONE_STATUSES or (x[1] or 0) >= 100)
    completion = {"done": done, "total": len(measures), "text": format_rate(done, len(measures))}
    last = max((x[3] for x in measures if x[3]), default=None)
    return progress, level, completion, last


__all__ = [
    "FORMATS",
    "Finish",
    "LedgerExport",
    "MeasureRow",
    "build_export",
    "counted",
    "export_stream",
    "measure_entry",
    "measure_figures",
    "measure_reasons",
    "problem_entry",
    "problem_figures",
    "with_figures",
    "worst_warning",
]
