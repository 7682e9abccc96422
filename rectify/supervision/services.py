"""The deadline scan: warning levels for every measure and problem, warnings raised and resolved,
missed reporting deadlines recorded, reminders queued and mail sent.

Idempotent and catch-up safe: levels are recomputed from the state on `today` (overdue means
"due before today", due-soon means "due within N days": ranges, never "today == due − N"), a
warning is keyed by its reason so a re-run finds it, and reporting deadlines are walked from
where the previous run stopped, so a week without scans loses nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.notifications.services import Message, notify_many, send_pending
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import region_of
from rectify.plans.models import Assignment, Measure, Milestone, Problem, WarningLevel
from rectify.progress import services as progress
from rectify.progress.periods import SHANGHAI, Period, periods_due_between

from . import rules
from .models import ScanRun, Warning

CHUNK = 900  # ids per IN (…): under SQLite's variable limit on every version


def thresholds() -> rules.Thresholds:
    return rules.Thresholds(
        due_soon_days=settings.RECTIFY_WARNING_DUE_SOON_DAYS,
        lag_tolerance=settings.RECTIFY_WARNING_LAG_TOLERANCE,
        recheck_days=settings.RECTIFY_WARNING_RECHECK_DAYS,
    )


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(SHANGHAI).date() if value else None


# --- assessing ---------------------------------------------------------------------------------

MEASURE_FIELDS = (
    "pk",
    "problem_id",
    "problem__plan_id",
    "problem__plan__start_on",
    "deadline_kind",
    "due_on",
    "start_on",
    "status",
    "progress",
    "last_report_at",
    "warning_level",
)


def measure_rows(qs: QuerySet[Measure]) -> Iterator[dict[str, Any]]:
    """The fields `assessments` reads, streamed. A compound deadline's parts are read only for
    compound measures: decoding every measure's JSON was most of the scan's read time."""
    batch: list[dict[str, Any]] = []
    for row in qs.order_by().values(*MEASURE_FIELDS).iterator(chunk_size=5000):
        batch.append(row)
        if len(batch) >= 5000:
            yield from _with_parts(batch)
            batch = []
    yield from _with_parts(batch)


def _with_parts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    compound = [r["pk"] for r in rows if r["deadline_kind"] == "compound"]
    parts: dict[int, Any] = {}
    for chunk in _chunks(compound):
        parts.update(Measure.objects.filter(pk__in=chunk).values_list("pk", "deadline_parts"))
    for r in rows:
        r["deadline_parts"] = parts.get(r["pk"]) or ()
    return rows


def plan_horizons() -> dict[int, dt.date]:
    """The latest due date of each plan: what a "按序时进度" item runs up to."""
    return {
        plan_id: due
        for plan_id, due in Problem.objects.values("plan_id").annotate(h=Max("due_on")).values_list("plan_id", "h")
        if due
    }


def open_milestones(measure_ids: Iterable[int] | None = None) -> dict[int, list[rules.MilestoneInput]]:
    qs = Milestone.objects.filter(reached_on__isnull=True)
    if measure_ids is not None:
        qs = qs.filter(measure_id__in=list(measure_ids))
    out: dict[int, list[rules.MilestoneInput]] = defaultdict(list)
    for measure_id, due, raw in qs.values_list("measure_id", "due_on", "raw"):
        out[measure_id].append(rules.MilestoneInput(due=due, raw=raw, reached=False))
    return out


def item_input(
    row: dict[str, Any], horizons: dict[int, dt.date], milestones: list[rules.MilestoneInput]
) -> rules.ItemInput:
    return rules.ItemInput(
        kind=row["deadline_kind"],
        due=row["due_on"],
        start=row["start_on"],
        status=row["status"],
        plan_start=row["problem__plan__start_on"],
        progress=row["progress"],
        last_report=_local_date(row["last_report_at"]),
        parts=row.get("deadline_parts") or (),
        milestones=milestones,
        plan_horizon=horizons.get(row["problem__plan_id"]),
    )


def assess_measure(measure: Measure, *, today: dt.date) -> rules.Assessment:
    """One measure's assessment now (pages show reasons fresh, not as stored at the last scan)."""
    row = next(measure_rows(Measure.objects.filter(pk=measure.pk)))
    return rules.assess(
        item_input(row, plan_horizons(), open_milestones([measure.pk]).get(measure.pk, [])), today, thresholds()
    )


def assessments(rows: Iterable[dict[str, Any]], *, today: dt.date) -> Iterator[tuple[dict[str, Any], rules.Assessment]]:
    rows = list(rows)
    horizons = plan_horizons()
    milestones = open_milestones([r["pk"] for r in rows]) if len(rows) < CHUNK else open_milestones()
    th = thresholds()
    for row in rows:
        yield row, rules.assess(item_input(row, horizons, milestones.get(row["pk"], [])), today, th)


@dataclass
class Outcome:
    measures: int = 0
    raised: int = 0
    resolved: int = 0
    missed: int = 0
    reminders: int = 0


def _apply(
    rows: QuerySet[Measure], *, today: dt.date, outcome: Outcome, full: bool = False
) -> list[tuple[int, rules.Reason]]:
    """Store levels, raise and resolve warnings for `rows`; returns the newly raised reasons."""
    changed: dict[str, list[int]] = defaultdict(list)
    desired: dict[tuple[int, str], rules.Reason] = {}
    measure_ids: list[int] = []
    for row, a in assessments(measure_rows(rows), today=today):
        measure_ids.append(row["pk"])
        if row["warning_level"] != a.level:
            changed[str(a.level)].append(row["pk"])
        for reason in a.reasons:
            desired[(row["pk"], reason.key)] = reason
    outcome.measures += len(measure_ids)
    now = clock.now()
    for level, ids in changed.items():
        for chunk in _chunks(ids):
            Measure.objects.filter(pk__in=chunk).update(warning_level=level, updated_at=now)
    known: dict[tuple[int, str], tuple[int, bool]] = {}
    # A full scan reads every warning in one go; a refresh only those of its measures.
    scopes = (
        [Warning.objects.all()] if full else [Warning.objects.filter(measure_id__in=c) for c in _chunks(measure_ids)]
    )
    for scope in scopes:
        for pk, measure_id, key, resolved in scope.order_by().values_list("pk", "measure_id", "key", "resolved_on"):
            known[(measure_id, key)] = (pk, resolved is None)
    to_resolve = [pk for k, (pk, is_open) in known.items() if is_open and k not in desired]
    to_reopen = [known[k][0] for k in desired if k in known and not known[k][1]]
    new = [k for k in desired if k not in known]
    for chunk in _chunks(to_resolve):
        Warning.objects.filter(pk__in=chunk, resolved_on__isnull=True).update(resolved_on=today)
    for chunk in _chunks(to_reopen):
        # The same reason again (e.g. progress slipped behind 序时进度 once more): the warning
        # reopens; it was reminded of once already.
        Warning.objects.filter(pk__in=chunk).update(resolved_on=None, raised_on=today)
    Warning.objects.bulk_create(
        [
            Warning(
                measure_id=measure_id,
                level=str(desired[(measure_id, key)].level),
                code=desired[(measure_id, key)].code,
                key=key,
                message=desired[(measure_id, key)].message[:300],
                raised_on=today,
            )
            for measure_id, key in new
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    outcome.raised += len(new)
    outcome.resolved += len(to_resolve)
    problems_rollup(measure_ids)
    return [(measure_id, desired[(measure_id, key)]) for measure_id, key in new]


def problems_rollup(measure_ids: list[int] | None = None) -> None:
    """A problem's level is the worst of its measures'."""
    qs = Measure.objects.all()
    if measure_ids is not None and len(measure_ids) < CHUNK:
        qs = qs.filter(problem_id__in=Measure.objects.filter(pk__in=measure_ids).values("problem_id"))
    levels = qs.values("problem_id").annotate(
        red=Count("pk", filter=Q(warning_level=WarningLevel.RED)),
        yellow=Count("pk", filter=Q(warning_level=WarningLevel.YELLOW)),
    )
    stored = dict(Problem.objects.filter(pk__in=qs.values("problem_id")).values_list("pk", "warning_level"))
    changed: dict[str, list[int]] = defaultdict(list)
    for row in levels:
        level: str = WarningLevel.RED if row["red"] else WarningLevel.YELLOW if row["yellow"] else WarningLevel.GREEN
        if stored.get(row["problem_id"]) != level:
            changed[str(level)].append(row["problem_id"])
    for level, ids in changed.items():
        for chunk in _chunks(ids):
            Problem.objects.filter(pk__in=chunk).update(warning_level=level)


def warnings_refresh(*, measure_ids: Iterable[int], today: dt.date | None = None) -> Outcome:
    """Re-assess a few measures now (after a report or a deadline change), with reminders."""
    today = today or clock.today()
    outcome = Outcome()
    with transaction.atomic():
        raised = _apply(Measure.objects.filter(pk__in=list(measure_ids)), today=today, outcome=outcome)
        outcome.reminders += _remind_warnings(raised)
    return outcome


# --- reminders ---------------------------------------------------------------------------------


def _coordinators() -> list[tuple[User, str]]:
    """Each coordinator with the path of the region it watches."""
    out = []
    for m in Membership.objects.filter(
        role=Role.COORDINATOR, user__is_active=True, unit__is_active=True
    ).select_related("user", "unit"):
        out.append((m.user, region_of(m.unit).path))
    return out


def _remind_warnings(raised: list[tuple[int, rules.Reason]]) -> int:
    if not raised:
        return 0
    measure_ids = sorted({m for m, _ in raised})
    measures: dict[int, Measure] = {}
    units: dict[int, list[OrgUnit]] = defaultdict(list)
    unit_ids: dict[int, list[int]] = defaultdict(list)
    fields = ("pk", "number", "seq", "text", "deadline_raw", "due_on", "progress", "problem__number", "problem__index")
    for chunk in _chunks(measure_ids):
        qs = Measure.objects.filter(pk__in=chunk).select_related("problem").only(*fields)
        measures.update((m.pk, m) for m in qs)
        assigned = Assignment.objects.filter(measure_id__in=chunk, unit__isnull=False)
        for measure_id, unit_id in assigned.order_by("pk").values_list("measure_id", "unit_id"):
            unit_ids[measure_id].append(unit_id)
    directory = {
        u.pk: u
        for u in OrgUnit.objects.filter(pk__in={u for us in unit_ids.values() for u in us}).only("pk", "name", "path")
    }
    for measure_id, ids in unit_ids.items():
        units[measure_id] = [directory[u] for u in ids]
    clerks = progress.unit_clerks({u.pk for us in units.values() for u in us})
    coordinators = _coordinators()
    watching: dict[int, list[User]] = {}  # unit → the coordinators whose region holds it
    per_user: dict[int, tuple[User, list[tuple[Measure, rules.Reason]]]] = {}
    for measure_id, reason in raised:
        measure = measures[measure_id]
        recipients = {u.pk: u for unit in units[measure_id] for u in clerks.get(unit.pk, [])}
        if reason.level == rules.Level.RED:
            for unit in units[measure_id]:
                if unit.pk not in watching:
                    watching[unit.pk] = [user for user, path in coordinators if unit.path.startswith(path)]
                recipients.update((user.pk, user) for user in watching[unit.pk])
        for user in recipients.values():
            per_user.setdefault(user.pk, (user, []))[1].append((measure, reason))
    # A few new warnings arrive one by one; a flood (the first scan, a deadline passing for many
    # measures at once) as one list per person, so nobody gets hundreds of messages in a morning.
    digest_after = settings.RECTIFY_REMINDER_DIGEST_AFTER
    coordinator_ids = {user.pk for user, _ in coordinators}
    batch: list[tuple[list[User], Message]] = []
    for user, items in per_user.values():
        if len(items) <= digest_after:
            batch.extend(([user], warning_message(m, units[m.pk], r)) for m, r in items)
        else:
            batch.append(([user], warning_digest(items, units, to_coordinator=user.pk in coordinator_ids)))
    return notify_many(batch)


DIGEST_LINES = 200  # a digest lists this many warnings and links to the rest


def warning_digest(
    items: list[tuple[Measure, rules.Reason]], units: dict[int, list[OrgUnit]], *, to_coordinator: bool
) -> Message:
    items = sorted(items, key=lambda i: (i[1].level != rules.Level.RED, i[0].problem.index, i[0].seq))
    red = sum(1 for _, r in items if r.level == rules.Level.RED)
    lines = []
    for n, (measure, reason) in enumerate(items[:DIGEST_LINES], start=1):
        due = measure.deadline_raw + (f"（{measure.due_on:%Y-%m-%d}）" if measure.due_on else "")
        lines.append(
            f"{n}. 【{rules.LEVEL_LABELS[str(reason.level)]}】（{measure.problem.number}）{measure.label}"
            f" {progress.truncate(measure.text, 40)}；{reason.message}；整改时限：{due}；"
            f"责任单位：{'、'.join(u.name for u in units[measure.pk]) or '（待确认）'}"
        )
    if len(items) > DIGEST_LINES:
        lines.append(f"……另有 {len(items) - DIGEST_LINES} 项，请在预警看板查看。")
    counts = [f"{label}预警 {n} 项" for label, n in (("红色", red), ("黄色", len(items) - red)) if n]
    keys = "|".join(sorted(f"{m.pk}:{r.key}" for m, r in items))
    url = reverse("supervision:board") if to_coordinator else reverse("progress:todo")
    return Message(
        kind="warning",
        subject="【预警汇总】新增" + "、".join(counts),
        body="\n".join(lines),
        url=url,
        dedupe_key=f"warning-digest:{hashlib.sha256(keys.encode()).hexdigest()[:32]}",
    )


def warning_message(measure: Measure, units: list[OrgUnit], reason: rules.Reason) -> Message:
    level = rules.LEVEL_LABELS[str(reason.level)]
    problem = measure.problem
    due = measure.deadline_raw + (f"（{measure.due_on:%Y-%m-%d}）" if measure.due_on else "")
    progress_text = rules.format_percent(measure.progress) if measure.progress is not None else "未报送"
    body = (
        f"预警原因：{reason.message}\n"
        f"整改措施：（{problem.number}）{measure.label} {progress.truncate(measure.text, 80)}\n"
        f"责任单位：{'、'.join(u.name for u in units) or '（待确认）'}\n"
        f"整改时限：{due}\n"
        f"当前进度：{progress_text}"
    )
    return Message(
        kind="warning",
        subject=f"【{level}预警】（{problem.number}）{measure.label}：{reason.message}"[:200],
        body=body,
        url=reverse("plans:problem", args=[problem.pk]) + f"#measure-{measure.pk}",
        dedupe_key=f"warning:{measure.pk}:{reason.key}",
    )


def _remind_missed(period: Period, rows: list[Any]) -> int:
    if not rows:
        return 0
    clerks = progress.unit_clerks([r.unit_id for r in rows])
    names = dict(OrgUnit.objects.filter(pk__in=[r.unit_id for r in rows]).values_list("pk", "name"))
    kind = "周报" if period.kind == "weekly" else "月度总结"
    url = reverse("progress:missing") + f"?kind={period.kind}&period={period.key}"
    batch = []
    for r in rows:
        body = (
            f"{names[r.unit_id]}：{period.label}{kind}应于 {period.due_at:%Y年%m月%d日 %H:%M} 前报送，"
            f"截至截止时间仍有 {r.missing} 项措施未报送（应报 {r.required} 项）。请尽快补报；"
            "未按时报送将计入月度通报排名。"
        )
        batch.append(
            (
                clerks.get(r.unit_id, []),
                Message(
                    kind="missing_report",
                    subject=f"【未报送提醒】{names[r.unit_id]} {period.label}{kind}",
                    body=body,
                    url=reverse("progress:todo") + f"?unit={r.unit_id}",
                    dedupe_key=f"missed:{r.unit_id}:{period.kind}:{period.key}",
                ),
            )
        )
    paths = dict(OrgUnit.objects.filter(pk__in=names).values_list("pk", "path"))
    for user, region in _coordinators():
        mine = [r for r in rows if paths[r.unit_id].startswith(region)]
        if not mine:
            continue
        listing = "、".join(names[r.unit_id] for r in mine[:30]) + ("等" if len(mine) > 30 else "")
        summary = Message(
            kind="missing_report",
            subject=f"【未报送汇总】{period.label}{kind}：{len(mine)} 个单位未按时报送",
            body=f"截止时间 {period.due_at:%Y年%m月%d日 %H:%M}。未按时报送：{listing}。",
            url=url,
            dedupe_key=f"missed-summary:{period.kind}:{period.key}",
        )
        batch.append(([user], summary))
    return notify_many(batch)


# --- the scan ----------------------------------------------------------------------------------


def _reporting_start() -> dt.datetime:
    calendar = progress.calendar_get()
    if calendar.starts_on:
        return dt.datetime.combine(calendar.starts_on, dt.time(0, 0), tzinfo=SHANGHAI)
    return clock.now()


def deadlines_scan(*, today: dt.date | None = None, send_mail: bool = True) -> ScanRun:
    """Run the whole daily scan for `today` (default: the clock's today)."""
    today = today or clock.today()
    end_of_day = dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    upto = min(clock.now(), end_of_day)
    run = ScanRun.objects.create(today=today)
    outcome = Outcome()
    with transaction.atomic():
        raised = _apply(Measure.objects.all(), today=today, outcome=outcome, full=True)
        outcome.reminders += _remind_warnings(raised)
    previous = ScanRun.objects.filter(checked_until__isnull=False).exclude(pk=run.pk).order_by("-checked_until").first()
    after = previous.checked_until if previous and previous.checked_until else _reporting_start()
    checked = after
    if after is not None and upto > after:
        rule = progress.calendar_rule()
        for period in periods_due_between(after, upto, rule):
            with transaction.atomic():
                new = progress.missed_record(period)
                outcome.missed += len(new)
                outcome.reminders += _remind_missed(period, new)
        checked = upto
    if send_mail:
        send_pending()
    ScanRun.objects.filter(pk=run.pk).update(
        finished_at=clock.now(),
        measures=outcome.measures,
        raised=outcome.raised,
        resolved=outcome.resolved,
        missed=outcome.missed,
        reminders=outcome.reminders,
        checked_until=checked,
    )
    run.refresh_from_db()
    record(
        actor="预警扫描",
        action="scan.completed",
        obj=run,
        after={
            "today": today.isoformat(),
            "measures": outcome.measures,
            "raised": outcome.raised,
            "resolved": outcome.resolved,
            "missed": outcome.missed,
            "reminders": outcome.reminders,
        },
    )
    return run
