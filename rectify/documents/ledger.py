"""The ledger export (json/csv/xlsx) built from a scoped measure queryset, read in chunks.

Everything is computed as of the export's date: progress from the reports submitted by the end of
that day, the warning level and its reasons from the rules on that day (a stored level could be
from another day's scan).

`export_stream` reads the measures `CHUNK` at a time with flat `values()` rows, and for each chunk
the shares, reports, milestones and problems in a handful of queries; it yields one problem entry
at a time, so the writers (ledger_writers) never hold the whole ledger: 100,000 measures export in
constant memory.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from rectify.core.formats import format_rate
from rectify.orgs.models import OrgUnit
from rectify.plans import rollup
from rectify.plans.models import Assignment, Chapter, ItemStatus, Measure, Milestone, Plan, Problem, ShareStatus
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI
from rectify.supervision import rules
from rectify.supervision.services import assessments

DONE_STATUSES = {ItemStatus.COMPLETED, ItemStatus.ONGOING, ItemStatus.CLOSED}
FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Measures per chunk: under the 900-id IN lists the rest of the project uses (and under
# supervision.services.CHUNK, above which measure_milestones reads every milestone).
CHUNK = 800
SHARE_LABELS = dict(ShareStatus.choices)
MEASURE_FIELDS = (
    "id",
    "problem_id",
    "number",
    "text",
    "status",
    "closed_on",
    "reopened_count",
    "due_on",
    "deadline_raw",
    "deadline_kind",
    "deadline_parts",
    "start_on",
    "recurrence",
)
PROBLEM_FIELDS = (
    "id",
    "number",
    "index",
    "chapter_id",
    "text",
    "goal",
    "status",
    "closed_on",
    "reopened_count",
    "deadline_raw",
    "deadline_kind",
    "due_on",
    "deadline_parts",
    "responsible_person",
    "acceptance_unit_name",
)
SHARE_FIELDS = (
    "id",
    "measure_id",
    "unit_id",
    "phrase",
    "role",
    "status",
    "due_on",
    "due_extended",
    "closed_on",
    "reopened_count",
)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _local(value: dt.datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat(timespec="minutes") if value else None


def _deadline(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "raw": item["deadline_raw"],
        "kind": item["deadline_kind"],
        "due": _iso(item["due_on"]),
        "parts": item["deadline_parts"],
    }


def _warning(a: rules.Assessment) -> dict[str, Any]:
    return {
        "level": str(a.level),
        "label": rules.LEVEL_LABELS[str(a.level)],
        "reasons": [r.message for r in a.reasons],
        "expected": a.expected,
        "due": _iso(a.due),
    }


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


@dataclass
class LedgerExport:
    """An export in the making: its date, its plans ({"title", "start_on"}, in order; known before
    any problem is read, so a writer can name its sheets), each plan's problem entries as an
    iterator (read them plan by plan, in order), and how many measures it holds."""

    as_of: dt.date
    plans: list[dict[str, Any]]
    measures: int
    _problems: Callable[[int], Iterator[dict[str, Any]]]
    problems_read: int = 0

    def problems(self, index: int) -> Iterator[dict[str, Any]]:
        for entry in self._problems(index):
            self.problems_read += 1
            yield entry

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> LedgerExport:
        """An export already built as one dict (build_export's shape)."""
        plans = data["plans"]
        heads = [{"title": p["title"], "start_on": p["start_on"]} for p in plans]
        count = sum(len(p["measures"]) for plan in plans for p in plan["problems"])
        return cls(dt.date.fromisoformat(data["as_of"]), heads, count, lambda i: iter(plans[i]["problems"]))


def export_stream(measures: QuerySet[Measure], *, as_of: dt.date) -> LedgerExport:
    """Plans in the order their first measure comes; each problem's measures in the queryset's
    order. The queryset must list each problem's measures together (the ledger orders by problem)."""
    order: dict[int, None] = {}
    count = 0
    for plan_id in measures.values_list("problem__plan_id", flat=True).iterator(chunk_size=5000):
        order.setdefault(plan_id, None)
        count += 1
    plans: dict[int, dict[str, Any]] = {
        p["id"]: dict(p) for p in Plan.objects.filter(pk__in=list(order)).values("id", "title", "start_on")
    }
    heads = [{"title": plans[pk]["title"], "start_on": _iso(plans[pk]["start_on"])} for pk in order]
    units = dict(OrgUnit.objects.values_list("id", "name"))
    plan_ids = list(order)

    def problems(index: int) -> Iterator[dict[str, Any]]:
        plan = plans[plan_ids[index]]
        return _plan_problems(measures.filter(problem__plan_id=plan["id"]), plan, as_of=as_of, units=units)

    return LedgerExport(as_of, heads, count, problems)


def build_export(measures: QuerySet[Measure], *, as_of: dt.date) -> dict[str, Any]:
    """The whole export as one dict (for small exports and tests; large ones use export_stream)."""
    stream = export_stream(measures, as_of=as_of)
    plans = [{**head, "problems": list(stream.problems(i))} for i, head in enumerate(stream.plans)]
    return {"as_of": as_of.isoformat(), "plans": plans}


def _chunks(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def _plan_problems(
    measures: QuerySet[Measure], plan: dict[str, Any], *, as_of: dt.date, units: dict[int, str]
) -> Iterator[dict[str, Any]]:
    chapters = {
        pk: (number, title)
        for pk, number, title in Chapter.objects.filter(plan_id=plan["id"]).values_list("id", "number", "title")
    }
    current: dict[str, Any] | None = None
    done: set[int] = set()
    rows = measures.values(*MEASURE_FIELDS).iterator(chunk_size=2000)
    for chunk in _chunks(rows, CHUNK):
        part = _Chunk(chunk, plan, as_of=as_of, units=units, known=current)
        for m in chunk:
            if current is None or current["_id"] != m["problem_id"]:
                if current is not None:
                    done.add(current["_id"])
                    yield _finish(current)
                if m["problem_id"] in done:
                    raise ValueError("导出的措施须按问题排列（同一问题的措施相邻）")
                current = _problem_entry(part.problems[m["problem_id"]], chapters, part)
            current["measures"].append(part.measure_entry(m))
    if current is not None:
        yield _finish(current)


class _Chunk:
    """What one chunk of measures needs, read in a few queries: their problems (those not yet
    started), shares, reports as of the date, milestones, and each share's assessment."""

    def __init__(
        self,
        measures: list[dict[str, Any]],
        plan: dict[str, Any],
        *,
        as_of: dt.date,
        units: dict[int, str],
        known: dict[str, Any] | None,
    ) -> None:
        ids = [m["id"] for m in measures]
        wanted = set(ids)
        problem_ids = sorted({m["problem_id"] for m in measures})
        new = [pk for pk in problem_ids if not known or pk != known["_id"]]
        self.units = units
        self.problems = {p["id"]: p for p in Problem.objects.filter(pk__in=new).values(*PROBLEM_FIELDS)}
        # Every row of the chunk's problems in one query by problem (filtering on "measure is null"
        # makes SQLite walk that index across the whole table): the problem's own units (by id)
        # and the shares of the chunk's measures (by role, then id, as the ledger page lists them).
        self.problem_units: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.shares: dict[int, list[dict[str, Any]]] = defaultdict(list)
        # Which milestones a share reached matters only where its measure has some: read as text,
        # decoded only there (decoding 300,000 "{}" was a tenth of a large export's time).
        shares = Assignment.objects.filter(problem_id__in=problem_ids).order_by()
        reached = Cast("milestones_reached", output_field=TextField())
        for a in shares.values("problem_id", *SHARE_FIELDS, reached=reached):
            if a["measure_id"] is None:
                self.problem_units[a["problem_id"]].append(a)
            elif a["measure_id"] in wanted:
                self.shares[a["measure_id"]].append(a)
        for group in self.problem_units.values():
            group.sort(key=lambda a: a["id"])
        for group in self.shares.values():
            group.sort(key=lambda a: (a["role"], a["id"]))
        self.milestones: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for ms in (
            Milestone.objects.filter(measure_id__in=ids)
            .order_by("measure_id", "seq")
            .values("measure_id", "raw", "due_on", "precision")
        ):
            self.milestones[ms["measure_id"]].append(
                {"raw": ms["raw"], "due": _iso(ms["due_on"]), "precision": ms["precision"]}
            )
        self.reports = _latest_reports(ProgressReport.objects.filter(measure_id__in=ids), as_of)
        rows = []
        for m in measures:
            for a in self.shares[m["id"]]:
                if a["unit_id"]:
                    rows.append(self._share_row(m, a, plan))
        self.rows = {row["pk"]: row for row in rows}
        self.assessed = _assessed(rows, self.milestones, as_of)

    def _share_row(self, m: dict[str, Any], a: dict[str, Any], plan: dict[str, Any]) -> dict[str, Any]:
        report = self.reports.get(a["id"])
        return {
            "pk": a["id"],
            "measure_id": m["id"],
            "unit_id": a["unit_id"],
            "role": a["role"],
            "measure__problem_id": m["problem_id"],
            "measure__problem__plan_id": plan["id"],
            "measure__problem__plan__start_on": plan["start_on"],
            "measure__deadline_kind": m["deadline_kind"],
            "measure__start_on": m["start_on"],
            "measure__recurrence": m["recurrence"],
            "deadline_parts": m["deadline_parts"],
            "due_on": a["due_on"] if a["due_extended"] else m["due_on"],
            "status": a["status"],
            "progress": report[0] if report else None,
            "last_report_at": report[1] if report else None,
            "milestones_reached": json.loads(a["reached"]) if m["id"] in self.milestones else {},
        }

    def _share_entry(self, a: dict[str, Any]) -> dict[str, Any]:
        row = self.rows[a["id"]]
        return {
            "unit": self.units[a["unit_id"]],
            "role": a["role"],
            "status": a["status"],
            "status_label": SHARE_LABELS.get(a["status"], a["status"]),
            "progress": row["progress"],
            "warning": _warning(self.assessed[a["id"]]),
            "due": _iso(row["due_on"]),
            "extended": a["due_extended"],
            "last_report": _local(row["last_report_at"]),
            "closed_on": _iso(a["closed_on"]),
            "reopened": a["reopened_count"],
        }

    def measure_entry(self, m: dict[str, Any]) -> dict[str, Any]:
        """Each share's own status, progress, warning, due date and last report; the measure's
        fields are the roll-ups of its shares (plans.rollup)."""
        everyone = self.shares[m["id"]]
        shares = [a for a in everyone if a["unit_id"]]
        share_entries = [self._share_entry(a) for a in shares]
        pending = [
            {"unit": a["phrase"], "role": a["role"], "status": None, "confirmed": False}
            for a in everyone
            if not a["unit_id"]
        ]
        rolled = rollup.counted([(e["role"], e) for e in share_entries])
        last = max((self.rows[a["id"]]["last_report_at"] for a in shares if a["id"] in self.reports), default=None)
        level = rollup.worst_level(e["warning"]["level"] for _, e in rolled) or str(rules.Level.GREEN)
        worst = next((e for _, e in rolled if e["warning"]["level"] == level), None)
        return {
            "number": m["number"] or None,
            "text": m["text"],
            "status": m["status"],
            "closed_on": _iso(m["closed_on"]),
            "reopened": m["reopened_count"],
            "progress": rollup.mean_progress([rollup.share_progress(e["progress"], e["status"]) for _, e in rolled]),
            "warning": {
                "level": level,
                "label": rules.LEVEL_LABELS[level],
                "reasons": [f"{e['unit']}：{r}" for _, e in rolled for r in e["warning"]["reasons"]],
                "shares": {lv: sum(1 for e in share_entries if e["warning"]["level"] == lv) for lv in rules.Level},
                # 序时进度 and the governing date of the worst counted share (they differ only by extensions).
                "expected": worst["warning"]["expected"] if worst else None,
                "due": worst["warning"]["due"] if worst else None,
            },
            "last_report": _local(last),
            "due": _iso(m["due_on"]),
            "deadline": _deadline(m),
            "milestones": self.milestones.get(m["id"], []),
            "assignments": share_entries + pending,
        }


def _rule_key(row: dict[str, Any], milestones: dict[int, list[dict[str, Any]]]) -> tuple[Any, ...]:
    """What the warning rules read of a share. Shares alike in all of it (most shares of a measure
    before anyone reports, or after it closes) get one assessment. A share with milestones, dated
    parts or a recurring deadline reads more of itself (which nodes it reached, the days it
    reported): its key is its own."""
    kind = row["measure__deadline_kind"]
    if row["deadline_parts"] or kind in ("recurring", "compound") or row["measure_id"] in milestones:
        return (row["pk"],)
    last = row["last_report_at"]
    return (
        row["measure__problem__plan_id"],
        kind,
        row["due_on"],
        row["measure__start_on"],
        row["status"],
        row["progress"],
        last.astimezone(SHANGHAI).date() if last else None,
    )


def _assessed(
    rows: list[dict[str, Any]], milestones: dict[int, list[dict[str, Any]]], as_of: dt.date
) -> dict[int, rules.Assessment]:
    """Each share's assessment (supervision.services.assessments), once per distinct input."""
    keys = {row["pk"]: _rule_key(row, milestones) for row in rows}
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        first.setdefault(keys[row["pk"]], row)
    by_key = {keys[row["pk"]]: a for row, a in assessments(list(first.values()), today=as_of)}
    return {pk: by_key[key] for pk, key in keys.items()}


def _unit_entry(a: dict[str, Any], units: dict[int, str]) -> dict[str, Any]:
    """A unit named on the problem: confirmed (an org unit) or still only the phrase."""
    if a["unit_id"] is not None:
        return {"name": units[a["unit_id"]], "role": a["role"], "phrase": a["phrase"], "confirmed": True}
    return {"name": a["phrase"], "role": a["role"], "phrase": a["phrase"], "confirmed": False}


def _problem_entry(p: dict[str, Any], chapters: dict[int, tuple[str, str]], part: _Chunk) -> dict[str, Any]:
    number, title = chapters[p["chapter_id"]]
    return {
        "_id": p["id"],
        "number": p["number"],
        "index": p["index"],
        "chapter": number,
        "chapter_title": title,
        "text": p["text"],
        "goal": p["goal"],
        "status": p["status"],
        "closed_on": _iso(p["closed_on"]),
        "reopened": p["reopened_count"],
        "deadline": _deadline(p),
        "responsible_person": p["responsible_person"] or None,
        "acceptance_unit": p["acceptance_unit_name"] or None,
        "units": [_unit_entry(a, part.units) for a in part.problem_units.get(p["id"], [])],
        "warning": None,
        "progress": None,
        "completion": None,
        "last_report": None,
        "measures": [],
    }


def _finish(entry: dict[str, Any]) -> dict[str, Any]:
    """A problem's figures from its measures: mean progress, worst level, done count, last report."""
    del entry["_id"]
    ms = entry["measures"]
    entry["progress"] = rollup.mean_progress([x["progress"] for x in ms])
    level = str(rules.worst(x["warning"]["level"] for x in ms))
    entry["warning"] = {"level": level, "label": rules.LEVEL_LABELS[level]}
    done = sum(1 for x in ms if x["status"] in DONE_STATUSES or (x["progress"] or 0) >= 100)
    entry["completion"] = {"done": done, "total": len(ms), "text": format_rate(done, len(ms))}
    entry["last_report"] = max((x["last_report"] for x in ms if x["last_report"]), default=None)
    return entry


__all__ = ["FORMATS", "LedgerExport", "build_export", "export_stream"]
