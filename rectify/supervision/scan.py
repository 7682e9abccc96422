"""The deadline scan's core in bulk: every share assessed from flat rows, and what changed written
back in a few statements (supervision.services runs it, for the daily scan and for a few measures).

What it stores is what the rules say for each share (assessing.assessments gives the same, one
share at a time): the share's level and reasons, its warnings raised, reopened and resolved, and
the roll-up of its measure and problem (plans.rollup.measure_values / problem_values).

How it stays fast at 100,000 measures (~300,000 shares):

* each measure is read once and its shares as plain rows (the ORM's SQL without its per-value
  converters; dates as text, parsed once per distinct value), and each distinct rule input is
  assessed once: shares with the same measure facts, due date, status, progress, last report day
  and milestones reached get the same reasons;
* a share is written only when its level or reasons changed (one prepared UPDATE run for all of
  them on SQLite, UPDATE … FROM (VALUES …) 1,000 rows a statement elsewhere); warnings are
  inserted many rows a statement, resolved and reopened by id lists;
* measures and problems are rolled up in memory from the rows just read and written back grouped
  by the fields that changed;
* each measure keeps the first day its shares' outcome can change by the date alone
  (Measure.next_assess_on, rules.next_change once per distinct input), so that the daily scan
  assesses only those due and those written to since (supervision.incremental). The bulk writers
  live in .bulk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime

from rectify.core import clock
from rectify.plans import rollup
from rectify.plans.models import Assignment, Measure, Plan, Problem
from rectify.progress.periods import SHANGHAI

from . import rules
from .assessing import (
    CHUNK,
    RULE_STATUS,
    chunks,
    item_input,
    measure_milestones,
    plan_horizons,
    plan_horizons_of,
    reasons_json,
    report_days,
    shares_of,
    thresholds,
)
from .bulk import insert_rows, prep_value, update_rows, update_where_ids
from .models import Warning

NEVER = dt.date.max  # Measure.next_assess_on of a measure whose warnings no date alone changes


@dataclass
class Outcome:
    measures: int = 0
    raised: int = 0
    resolved: int = 0
    missed: int = 0
    reminders: int = 0
    # Measures whose shares' levels or reasons (and so their warnings) or whose roll-up were written.
    changed: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Raised:
    """A warning just raised (new, not reopened): what the reminders need."""

    share_id: int
    unit_id: int
    reason: rules.Reason


def _aware(value: Any) -> Any:
    """A datetime as the ORM gives it: SQLite's raw rows are naive UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def raw_rows(qs: QuerySet[Any], columns: Sequence[str], *, text: Iterable[str] = ()) -> Iterator[tuple[Any, ...]]:
    """`qs.values_list(*columns)` without the ORM's converters: numbers come typed from either
    driver, JSON as its text, and the `text` columns (dates, datetimes) as text, for the caller to
    parse once per distinct value (`_Parsed`). Streamed through a server-side cursor where the
    database has one."""
    as_text = {name: f"scan_text_{i}" for i, name in enumerate(text)}
    qs = qs.order_by().annotate(**{alias: Cast(name, CharField()) for name, alias in as_text.items()})
    sql, params = qs.values_list(*(as_text.get(c, c) for c in columns)).query.sql_with_params()
    server_side = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with connection.chunked_cursor() if server_side else connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(5000):
            yield from batch


class _Parsed:
    """Dates and datetimes read as text, each distinct value parsed once (there are few)."""

    def __init__(self) -> None:
        self._dates: dict[str, dt.date] = {}
        self._times: dict[str, dt.datetime] = {}
        self._local: dict[str, dt.date] = {}

    def date(self, text: str | None) -> dt.date | None:
        if text is None:
            return None
        value = self._dates.get(text)
        if value is None:
            value = self._dates[text] = dt.date.fromisoformat(text[:10])
        return value

    def time(self, text: str | None) -> dt.datetime | None:
        if text is None:
            return None
        value = self._times.get(text)
        if value is None:
            parsed = parse_datetime(text)
            assert parsed is not None, text
            value = self._times[text] = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        return value

    def local_date(self, text: str | None) -> dt.date | None:
        """The day in Asia/Shanghai of a datetime read as text."""
        if text is None:
            return None
        value = self._local.get(text)
        if value is None:
            at = self.time(text)
            assert at is not None
            value = self._local[text] = at.astimezone(SHANGHAI).date()
        return value


# --- assessing ---------------------------------------------------------------------------------

# What the scan reads of each measure (once, not once per share) and of each share.
_MEASURE_READ = (
    "pk",
    "problem_id",
    "problem__plan_id",
    "deadline_kind",
    "recurrence",
    "start_on",
    "next_assess_on",
    *rollup.MEASURE_FIELDS,  # progress, warning_level, status, closed_on, last_report_at
)
_MEASURE_TEXT = ("start_on", "next_assess_on", "closed_on", "last_report_at")
_SHARE_READ = (
    "pk",
    "measure_id",
    "unit_id",
    "role",
    "due_on",
    "status",
    "progress",
    "last_report_at",
    "warning_level",
    "warning_reasons",
    "milestones_reached",
    "closed_on",
)
_SHARE_TEXT = ("due_on", "last_report_at", "closed_on")
_PK, _MEASURE, _UNIT, _ROLE, _DUE, _STATUS, _PROGRESS, _LAST, _LEVEL, _REASONS, _REACHED, _CLOSED = range(12)


@dataclass(slots=True)
class _Measure:
    """What the rules read of a share's measure, and its stored roll-up (rollup.MEASURE_FIELDS)."""

    problem_id: int
    key: tuple[Any, ...]  # the measure's part of every share's rule input: (kind, start, plan, recurrence[, id])
    plan_id: int
    parts: Any
    milestones: list[tuple[int, dt.date, str]]
    recurs: bool
    stored: list[Any]
    next_on: dt.date | None  # as stored: Measure.next_assess_on
    # Which of a share's own facts the rules read for this kind (besides its milestones reached):
    # the other facts are left out of the share's assessment key, so more shares share one.
    reads_last: bool = True
    reads_progress: bool = True
    reads_due: bool = True


@dataclass(slots=True)
class _Verdict:
    """One distinct assessment: what every share with the same input gets."""

    index: int
    level: str
    reasons: tuple[rules.Reason, ...]
    as_json: list[dict[str, Any]]
    next_on: dt.date  # rules.next_change (NEVER for none)


class _Judge:
    """Assesses shares, once per distinct input (the same measure facts, due date, status,
    progress, last report day, milestones reached and reports give the same assessment), and
    tells whether a share's stored level and reasons are already the assessment's."""

    def __init__(self, today: dt.date, parsed: _Parsed, horizons: dict[int, dt.date]) -> None:
        self.today = today
        self.parsed = parsed
        self.horizons = horizons  # a plan's horizon and start are the same for all its measures
        self.plan_starts: dict[int, dt.date] = dict(Plan.objects.values_list("pk", "start_on"))
        self.th = thresholds()
        self.verdicts: dict[tuple[Any, ...], _Verdict] = {}
        self.by_index: list[_Verdict] = []
        self._same: dict[tuple[Any, ...], bool] = {}
        self._reached: dict[str, frozenset[str]] = {}

    def reached(self, text: Any) -> frozenset[str]:
        if not isinstance(text, str):
            return frozenset(text or ())
        keys = self._reached.get(text)
        if keys is None:
            keys = self._reached[text] = frozenset(json.loads(text) or ())
        return keys

    def verdict(self, row: tuple[Any, ...], measure: _Measure, reports: tuple[dt.date, ...] = ()) -> _Verdict:
        status = RULE_STATUS.get(row[_STATUS], "in_progress")
        key: tuple[Any, ...]
        if status in ("closed", "completed"):  # green whatever the rest
            key = (status,)
        elif status == "ongoing":  # re-checked: the last report and the plan's start only
            key = (status, measure.key, self.parsed.local_date(row[_LAST]))
        else:
            key = (
                measure.key,
                row[_DUE] if measure.reads_due else None,
                status,
                row[_PROGRESS] if measure.reads_progress else None,
                self.parsed.local_date(row[_LAST]) if measure.reads_last else None,
                (row[_MEASURE], row[_REACHED]) if measure.milestones else None,
                reports,
            )
        found = self.verdicts.get(key)
        if found is not None:
            return found
        kind, start, plan_id, recurrence = measure.key[:4]
        item = item_input(
            {
                "measure__deadline_kind": kind,
                "measure__start_on": start,
                "measure__problem__plan__start_on": self.plan_starts[plan_id],
                "measure__problem__plan_id": plan_id,
                "measure__recurrence": recurrence,
                "deadline_parts": measure.parts,
                "due_on": self.parsed.date(row[_DUE]),
                "status": row[_STATUS],
                "progress": row[_PROGRESS],
                "last_report_at": self.parsed.time(row[_LAST]),
                "milestones_reached": self.reached(row[_REACHED]),
                "report_dates": reports,
            },
            self.horizons,
            measure.milestones,
        )
        a = rules.assess(item, self.today, self.th)
        next_on = rules.next_change(item, self.today, self.th) or NEVER
        found = _Verdict(len(self.by_index), str(a.level), a.reasons, reasons_json(a), next_on)
        self.verdicts[key] = found
        self.by_index.append(found)
        return found

    def unchanged(self, row: tuple[Any, ...], verdict: _Verdict) -> bool:
        stored = row[_REASONS]
        if not isinstance(stored, str):  # a driver that decodes JSON itself
            return bool(row[_LEVEL] == verdict.level and stored == verdict.as_json)
        key = (row[_LEVEL], stored, verdict.index)
        same = self._same.get(key)
        if same is None:
            same = self._same[key] = row[_LEVEL] == verdict.level and json.loads(stored) == verdict.as_json
        return same


# Deadline kinds whose rule does not read the share's last report day (only 立行立改/长期坚持's
# re-check and the annual rule do), its progress (the re-check and recurring rules do not) or its
# due date (the re-check, annual, scheduled and recurring rules compute their own). A compound
# deadline reads all of them (its parts may be of any kind); rules.assess on a share with status
# 长期坚持 reads only the last report (`_Judge.verdict`).
_LAST_UNREAD = frozenset({"date", "range", "external", "scheduled", "recurring", "completed", "unknown"})
_PROGRESS_UNREAD = rules.RECHECKED_KINDS | {"recurring", "completed", "unknown"}
_DUE_UNREAD = rules.RECHECKED_KINDS | {"annual", "scheduled", "recurring", "completed"}


def _measures(ids: list[int] | None, parsed: _Parsed) -> dict[int, _Measure]:
    """Every measure (or the measures of the problems of `ids`, for their problems' roll-up) with
    what the rules read of it: one read, whatever the number of shares."""
    qs = Measure.objects.all()
    milestones = measure_milestones(ids) if ids is not None and len(ids) < CHUNK else measure_milestones()
    if ids is not None:
        problems: set[int] = set()
        for chunk in chunks(ids):
            problems.update(Measure.objects.filter(pk__in=chunk).order_by().values_list("problem_id", flat=True))
        qs = qs.filter(problem_id__in=sorted(problems))
    compound = dict(qs.filter(deadline_kind="compound").order_by().values_list("pk", "deadline_parts"))
    out: dict[int, _Measure] = {}
    for pk, problem_id, plan_id, kind, recurrence, start, next_on, *stored in raw_rows(
        qs.order_by("problem_id", "seq"), _MEASURE_READ, text=_MEASURE_TEXT
    ):
        start_on = parsed.date(start)
        recurs = kind == "recurring"
        if kind == "compound":
            parts = compound.get(pk) or ()
            recurs = any(isinstance(p, dict) and p.get("kind") == "recurring" for p in parts)
            key: tuple[Any, ...] = (kind, start_on, plan_id, recurrence, pk)
        else:
            parts = ()
            key = (kind, start_on, plan_id, recurrence)
        stored[3], stored[4] = parsed.date(stored[3]), parsed.time(stored[4])
        out[pk] = _Measure(
            problem_id,
            key,
            plan_id,
            parts,
            milestones.get(pk, []),
            recurs,
            stored,
            parsed.date(next_on),
            reads_last=kind not in _LAST_UNREAD,
            reads_progress=kind not in _PROGRESS_UNREAD,
            reads_due=kind not in _DUE_UNREAD,
        )
    return out


# --- the scan ----------------------------------------------------------------------------------


def shares_apply(*, today: dt.date, outcome: Outcome, measure_ids: Iterable[int] | None = None) -> list[Raised]:
    """Assess every share (of `measure_ids`, or of every measure), store each one's level and
    reasons, raise, reopen and resolve its warnings and roll its measure and problem up; returns
    the warnings newly raised, in the order of the shares read. Runs inside the caller's
    transaction."""
    ids = sorted(set(measure_ids)) if measure_ids is not None else None
    if ids == []:
        return []
    qs = shares_of(Measure.objects.filter(pk__in=ids)) if ids is not None else shares_of()
    parsed = _Parsed()
    measures = _measures(ids, parsed)
    # A few measures: their plans' horizons only (the latest due date of each plan's problems).
    horizons = plan_horizons() if ids is None else plan_horizons_of(m.plan_id for m in measures.values())
    judge = _Judge(today, parsed, horizons)
    known = _known_warnings(qs if ids is not None else None)
    changed: dict[int, list[int]] = defaultdict(list)  # verdict index → shares to write
    rollup_rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    last: dict[int, str] = {}
    seen: set[int] = set()  # warnings that still hold
    reopen: list[int] = []
    new: list[tuple[int, int, int, rules.Reason]] = []  # share, measure, unit, reason
    deferred: list[tuple[Any, ...]] = []  # recurring shares: judged on the days they reported
    next_on: dict[int, dt.date] = {}  # measure → the earliest next change of its shares

    def take(row: tuple[Any, ...], verdict: _Verdict) -> None:
        share_id, measure_id = row[_PK], row[_MEASURE]
        if verdict.next_on < next_on.get(measure_id, NEVER):
            next_on[measure_id] = verdict.next_on
        if not judge.unchanged(row, verdict):
            changed[verdict.index].append(share_id)
            outcome.changed.add(measure_id)
        rollup_rows[measure_id].append(
            (row[_ROLE], row[_PROGRESS], verdict.level, row[_STATUS], parsed.date(row[_CLOSED]))
        )
        at = row[_LAST]
        if at is not None and (measure_id not in last or parsed.time(at) > parsed.time(last[measure_id])):  # type: ignore[operator]
            last[measure_id] = at
        for reason in verdict.reasons:
            found = known.get((share_id, reason.key))
            if found is None:
                new.append((share_id, measure_id, row[_UNIT], reason))
                known[(share_id, reason.key)] = (0, True)  # one warning per key, whatever repeats
            else:
                pk, is_open = found
                seen.add(pk)
                if not is_open:
                    reopen.append(pk)

    for row in raw_rows(qs, _SHARE_READ, text=_SHARE_TEXT):
        measure = measures[row[_MEASURE]]
        if measure.recurs:
            deferred.append(row)
        else:
            take(row, judge.verdict(row, measure))
    if deferred:
        days = report_days([r[_PK] for r in deferred], upto=today)
        for row in deferred:
            take(row, judge.verdict(row, measures[row[_MEASURE]], tuple(days.get(row[_PK], ()))))

    prepared = {index: prep_value(Assignment, "warning_reasons", judge.by_index[index].as_json) for index in changed}
    update_rows(
        Assignment,
        ("warning_level", "warning_reasons"),
        [
            (share_id, judge.by_index[index].level, prepared[index])
            for index, share_ids in changed.items()
            for share_id in share_ids
        ],
    )
    to_resolve = [pk for pk, is_open in known.values() if is_open and pk and pk not in seen]
    update_where_ids(Warning, {"resolved_on": today}, to_resolve, extra=" AND resolved_on IS NULL")
    # The same reason again (e.g. progress slipped behind 序时进度 once more): the warning reopens;
    # it was reminded of once already.
    update_where_ids(Warning, {"resolved_on": None, "raised_on": today}, reopen)
    _insert_warnings(new, today)
    outcome.measures += len(rollup_rows)
    outcome.raised += len(new)
    outcome.resolved += len(to_resolve)
    outcome.changed |= _roll_up(measures, rollup_rows, {m: parsed.time(at) for m, at in last.items()})
    _next_assess_write(measures, ids, next_on)
    return [Raised(share_id, unit_id, reason) for share_id, _, unit_id, reason in new]


def _known_warnings(shares: QuerySet[Assignment] | None) -> dict[tuple[int, str], tuple[int, bool]]:
    """(share, key) → (warning id, open) of every warning (a full scan: also those of shares no
    longer scanned, which then resolve) or of the shares scanned."""
    qs = Warning.objects.all() if shares is None else Warning.objects.filter(assignment_id__in=shares.values("pk"))
    return {
        (share_id, key): (pk, is_open)
        for pk, share_id, key, is_open in raw_rows(
            qs.annotate(scan_open=Q(resolved_on__isnull=True)), ("pk", "assignment_id", "key", "scan_open")
        )
    }


def _insert_warnings(new: list[tuple[int, int, int, rules.Reason]], today: dt.date) -> None:
    raised_on = prep_value(Warning, "raised_on", today)
    created = prep_value(Warning, "created_at", clock.now())
    names = ("assignment", "measure", "unit", "level", "code", "key", "message", "raised_on", "created_at")
    insert_rows(
        Warning,
        names,
        [
            (share_id, measure_id, unit_id, str(r.level), r.code, r.key, r.message[:300], raised_on, created)
            for share_id, measure_id, unit_id, r in new
        ],
    )


def _next_assess_write(measures: dict[int, _Measure], ids: list[int] | None, found: dict[int, dt.date]) -> None:
    """Measure.next_assess_on of the measures assessed (NEVER for one without shares), written
    where it changed, grouped by date."""
    writes: dict[dt.date, list[int]] = defaultdict(list)
    for pk in measures if ids is None else ids:
        measure = measures.get(pk)
        day = found.get(pk, NEVER)
        if measure is not None and measure.next_on != day:
            writes[day].append(pk)
    for day, pks in writes.items():
        update_where_ids(Measure, {"next_assess_on": day}, pks)


# --- the roll-up -------------------------------------------------------------------------------

_PROBLEM_READ = (
    "pk",
    "cases_total",
    "cases_closed",
    "progress",
    "last_report_at",
    "warning_level",
    "status",
    "closed_on",
)
_PROBLEM_FIELDS = ("progress", "last_report_at", "warning_level", "status", "closed_on")


def _roll_up(
    measures: dict[int, _Measure], shares: dict[int, list[tuple[Any, ...]]], last: dict[int, dt.datetime | None]
) -> set[int]:
    """rollup.measures_rollup for the measures scanned and problems_rollup for their problems,
    from the rows in hand: written only where a field changed, grouped by what changed; returns
    the measures written."""
    writes: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    problems: set[int] = set()
    # Every measure here has a share, so its figures but the last report come from its shares'
    # rows alone (the stored ones only stand in for a measure without shares): worked out once
    # per distinct set of rows.
    figures: dict[tuple[tuple[Any, ...], ...], list[Any]] = {}
    figure_fields = rollup.MEASURE_FIELDS[:-1]
    assert rollup.MEASURE_FIELDS[-1] == "last_report_at"
    for measure_id, rows in shares.items():
        measure = measures.get(measure_id)
        if measure is None:
            continue
        old = measure.stored
        key = tuple(rows)
        found = figures.get(key)
        if found is None:
            values = rollup.measure_values(rows, None, old)
            found = figures[key] = [values[name] for name in figure_fields]
        new = [*found, last.get(measure_id)]
        if new != old:
            diff = tuple((n, v) for n, v, o in zip(rollup.MEASURE_FIELDS, new, old, strict=True) if v != o)
            writes[diff].append(measure_id)
            measure.stored = new
        problems.add(measure.problem_id)
    now = clock.now()
    for fields, ids in writes.items():
        update_where_ids(Measure, {"updated_at": now, **dict(fields)}, ids)
    _problems_roll_up(problems, measures)
    return {measure_id for ids in writes.values() for measure_id in ids}


def _problems_roll_up(problem_ids: set[int], measures: dict[int, _Measure]) -> None:
    by_problem: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for measure in measures.values():  # in (problem, seq) order
        if measure.problem_id in problem_ids:
            progress, level, status, closed_on, last_at = measure.stored
            by_problem[measure.problem_id].append((progress, last_at, level, status, closed_on))
    parsed = _Parsed()
    writes: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    qs = Problem.objects.all() if len(problem_ids) > CHUNK else Problem.objects.filter(pk__in=sorted(problem_ids))
    for pk, total, closed, progress, last_at, level, status, closed_on in raw_rows(
        qs, _PROBLEM_READ, text=("last_report_at", "closed_on")
    ):
        if pk not in problem_ids:
            continue
        values = rollup.problem_values(by_problem.get(pk, []), total, closed)
        old = (progress, parsed.time(last_at), level, status, parsed.date(closed_on))
        diff = tuple((n, values[n]) for n, o in zip(_PROBLEM_FIELDS, old, strict=True) if values[n] != o)
        if diff:
            writes[diff].append(pk)
    for fields, ids in writes.items():
        update_where_ids(Problem, dict(fields), ids)
