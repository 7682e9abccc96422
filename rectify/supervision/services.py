"""The deadline scan: warning levels for every measure and problem, warnings raised and resolved,
missed reporting deadlines recorded, reminders queued and mail sent.

Idempotent and catch-up safe: levels are recomputed from the state on `today` (overdue means
"due before today", due-soon means "due within N days": ranges, never "today == due − N"), a
warning is keyed by its reason so a re-run finds it, and reporting deadlines are walked from
where the previous run stopped, so a week without scans loses nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Max, Min, QuerySet
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.formats import format_cn_date
from rectify.notifications.services import Message, notify_many, send_pending
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import region_of
from rectify.plans import deadlines, rollup
from rectify.plans import services as plan_services
from rectify.plans.models import Assignment, Measure, Milestone, Plan, Problem, ShareStatus
from rectify.progress import compliance
from rectify.progress import services as progress
from rectify.progress.models import COUNTED_STATUSES, ProgressReport
from rectify.progress.periods import SHANGHAI, Period, periods_due_between

from . import digests, rules
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
#
# The unit of assessment is the share: one unit's part of a measure, with its own due date (an
# extension moves it), progress, last report, status and milestones reached. A measure's level
# is the roll-up of its shares' (plans.rollup).

SHARE_FIELDS = (
    "pk",
    "measure_id",
    "unit_id",
    "role",
    "measure__problem_id",
    "measure__problem__plan_id",
    "measure__problem__plan__start_on",
    "measure__deadline_kind",
    "measure__recurrence",
    "measure__start_on",
    "due_on",
    "status",
    "progress",
    "last_report_at",
    "warning_level",
    "warning_reasons",
    "milestones_reached",
)

# Share statuses as the rules know them: waiting for acceptance is not the unit's fault.
RULE_STATUS = {
    ShareStatus.NOT_STARTED: "in_progress",
    ShareStatus.IN_PROGRESS: "in_progress",
    ShareStatus.RELAPSED: "in_progress",
    ShareStatus.APPLYING: "completed",
    ShareStatus.COMPLETED: "completed",
    ShareStatus.CLOSED: "closed",
    ShareStatus.ONGOING: "ongoing",
}


def shares_of(measures: QuerySet[Measure] | None = None) -> QuerySet[Assignment]:
    """The shares (a concrete unit on a measure) of `measures`, or of every measure."""
    qs = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    if measures is not None:
        qs = qs.filter(measure_id__in=measures.values("pk"))
    return qs


def share_rows(qs: QuerySet[Assignment]) -> Iterator[dict[str, Any]]:
    """The fields `assessments` reads, streamed. A compound deadline's parts are read only for
    compound measures: decoding every measure's JSON was most of the scan's read time."""
    batch: list[dict[str, Any]] = []
    for row in qs.order_by().values(*SHARE_FIELDS).iterator(chunk_size=5000):
        batch.append(row)
        if len(batch) >= 5000:
            yield from _with_parts(batch)
            batch = []
    yield from _with_parts(batch)


def _with_parts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    compound = sorted({r["measure_id"] for r in rows if r["measure__deadline_kind"] == "compound"})
    parts: dict[int, Any] = {}
    for chunk in _chunks(compound):
        parts.update(Measure.objects.filter(pk__in=chunk).values_list("pk", "deadline_parts"))
    for r in rows:
        r["deadline_parts"] = parts.get(r["measure_id"]) or ()
    return rows


def plan_horizons() -> dict[int, dt.date]:
    """The latest due date of each plan: what a "按序时进度" item runs up to. A recurring problem's
    date is only its current period's end, which moves on every period: not a horizon."""
    return {
        plan_id: due
        for plan_id, due in Problem.objects.exclude(deadline_kind="recurring")
        .values("plan_id")
        .annotate(h=Max("due_on"))
        .values_list("plan_id", "h")
        if due
    }


def measure_milestones(measure_ids: Iterable[int] | None = None) -> dict[int, list[tuple[int, dt.date, str]]]:
    """Every milestone of the measures (id, due, raw): whether it is reached is the share's own."""
    qs = Milestone.objects.all()
    if measure_ids is not None:
        qs = qs.filter(measure_id__in=list(measure_ids))
    out: dict[int, list[tuple[int, dt.date, str]]] = defaultdict(list)
    for pk, measure_id, due, raw in qs.order_by().values_list("pk", "measure_id", "due_on", "raw"):
        out[measure_id].append((pk, due, raw))
    return out


def item_input(
    row: dict[str, Any], horizons: dict[int, dt.date], milestones: list[tuple[int, dt.date, str]]
) -> rules.ItemInput:
    reached = row.get("milestones_reached") or {}
    return rules.ItemInput(
        kind=row["measure__deadline_kind"],
        due=row["due_on"],
        start=row["measure__start_on"],
        status=RULE_STATUS.get(row["status"], "in_progress"),
        plan_start=row["measure__problem__plan__start_on"],
        progress=row["progress"],
        last_report=_local_date(row["last_report_at"]),
        parts=row.get("deadline_parts") or (),
        milestones=[rules.MilestoneInput(due=due, raw=raw, reached=str(pk) in reached) for pk, due, raw in milestones],
        plan_horizon=horizons.get(row["measure__problem__plan_id"]),
        recurrence=row.get("measure__recurrence") or "",
        reports=tuple(row.get("report_dates") or ()),
    )


def assess_share(share: Assignment, *, today: dt.date) -> rules.Assessment:
    """One share's assessment now (pages show reasons fresh, not as stored at the last scan)."""
    return next(assessments(share_rows(Assignment.objects.filter(pk=share.pk)), today=today))[1]


def report_days(share_ids: Iterable[int], *, upto: dt.date) -> dict[int, list[dt.date]]:
    """The days each share's unit reported on it, up to the end of `upto`: its counted reports
    (submitted or accepted), each dated by its first submission (a report returned and filed again
    keeps its first date, as it stays on time), in Asia/Shanghai."""
    end = dt.datetime.combine(upto, dt.time.max, tzinfo=SHANGHAI)
    out: dict[int, list[dt.date]] = defaultdict(list)
    for chunk in _chunks(sorted(set(share_ids))):
        for share_id, first, submitted in (
            ProgressReport.objects.filter(assignment_id__in=chunk, status__in=COUNTED_STATUSES)
            .order_by()
            .values_list("assignment_id", "first_submitted_at", "submitted_at")
        ):
            at = first or submitted
            if at is not None and at <= end:
                out[share_id].append(at.astimezone(SHANGHAI).date())
    return out


def _recurs(row: dict[str, Any]) -> bool:
    if row["measure__deadline_kind"] == "recurring":
        return True
    return row["measure__deadline_kind"] == "compound" and any(
        isinstance(p, dict) and p.get("kind") == "recurring" for p in row.get("deadline_parts") or ()
    )


def _with_recurrence(rows: list[dict[str, Any]], today: dt.date) -> None:
    """Recurring shares are judged on the days their unit reported: read them (as of `today`, so an
    export as of a past day sees only what had been filed by then), and the period when the caller
    built its rows without it."""
    recurring = [r for r in rows if _recurs(r)]
    if not recurring:
        return
    missing = sorted({r["measure_id"] for r in recurring if "measure__recurrence" not in r})
    periods: dict[int, str] = {}
    for chunk in _chunks(missing):
        periods.update(Measure.objects.filter(pk__in=chunk).values_list("pk", "recurrence"))
    days = report_days([r["pk"] for r in recurring if "report_dates" not in r], upto=today)
    for r in recurring:
        if "measure__recurrence" not in r:
            r["measure__recurrence"] = periods.get(r["measure_id"], "")
        r.setdefault("report_dates", days.get(r["pk"], []))


def assessments(rows: Iterable[dict[str, Any]], *, today: dt.date) -> Iterator[tuple[dict[str, Any], rules.Assessment]]:
    rows = list(rows)
    _with_recurrence(rows, today)
    horizons = plan_horizons()
    measure_ids = {r["measure_id"] for r in rows}
    milestones = measure_milestones(measure_ids) if len(measure_ids) < CHUNK else measure_milestones()
    th = thresholds()
    for row in rows:
        yield row, rules.assess(item_input(row, horizons, milestones.get(row["measure_id"], [])), today, th)


def reasons_json(a: rules.Assessment) -> list[dict[str, str]]:
    return [{"level": str(r.level), "code": r.code, "message": r.message} for r in a.reasons]


@dataclass
class Outcome:
    measures: int = 0
    raised: int = 0
    resolved: int = 0
    missed: int = 0
    reminders: int = 0


def _apply(
    rows: QuerySet[Assignment], *, today: dt.date, outcome: Outcome, full: bool = False
) -> list[tuple[int, rules.Reason]]:
    """Store each share's level and reasons, raise and resolve its warnings, roll the measures
    up; returns the newly raised (share id, reason)."""
    desired: dict[tuple[int, str], rules.Reason] = {}
    share_ids: list[int] = []
    meta: dict[int, tuple[int, int]] = {}  # share → (measure, unit)
    updates: list[Assignment] = []
    for row, a in assessments(share_rows(rows), today=today):
        share_ids.append(row["pk"])
        meta[row["pk"]] = (row["measure_id"], row["unit_id"])
        reasons = reasons_json(a)
        if row["warning_level"] != a.level or row["warning_reasons"] != reasons:
            updates.append(Assignment(pk=row["pk"], warning_level=str(a.level), warning_reasons=reasons))
        for reason in a.reasons:
            desired[(row["pk"], reason.key)] = reason
    measure_ids = sorted({m for m, _ in meta.values()})
    outcome.measures += len(measure_ids)
    Assignment.objects.bulk_update(updates, ["warning_level", "warning_reasons"], batch_size=500)
    known: dict[tuple[int, str], tuple[int, bool]] = {}
    # A full scan reads every warning in one go; a refresh only those of its shares.
    scopes = (
        [Warning.objects.all()] if full else [Warning.objects.filter(assignment_id__in=c) for c in _chunks(share_ids)]
    )
    for scope in scopes:
        for pk, share_id, key, resolved in scope.order_by().values_list("pk", "assignment_id", "key", "resolved_on"):
            known[(share_id, key)] = (pk, resolved is None)
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
                assignment_id=share_id,
                measure_id=meta[share_id][0],
                unit_id=meta[share_id][1],
                level=str(desired[(share_id, key)].level),
                code=desired[(share_id, key)].code,
                key=key,
                message=desired[(share_id, key)].message[:300],
                raised_on=today,
            )
            for share_id, key in new
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    outcome.raised += len(new)
    outcome.resolved += len(to_resolve)
    rollup.measures_rollup(measure_ids)
    return [(share_id, desired[(share_id, key)]) for share_id, key in new]


def warnings_refresh(*, measure_ids: Iterable[int], today: dt.date | None = None) -> Outcome:
    """Re-assess every share of a few measures now (after a report, a deadline change, an
    extension or a close-out step), with reminders."""
    today = today or clock.today()
    outcome = Outcome()
    with transaction.atomic():
        raised = _apply(shares_of(Measure.objects.filter(pk__in=list(measure_ids))), today=today, outcome=outcome)
        outcome.reminders += _remind_warnings(raised)
    return outcome


def measure_deadline_change(*, actor: Any, measure: Measure, raw: str, version: int, due: Any = None) -> Measure:
    """The city office moves a measure's deadline for all its units (plans.services), and every
    share is re-assessed at once: a share no longer late stops being red now, not at tonight's scan."""
    with transaction.atomic():
        plan_services.measure_update_deadline(actor=actor, measure=measure, raw=raw, version=version, due=due)
        warnings_refresh(measure_ids=[measure.pk])
    return measure


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
    """Each new warning goes to the clerks of the share's own unit (and, when red, to the
    coordinators whose region holds that unit): a unit hears about its own share only."""
    if not raised:
        return 0
    share_ids = sorted({s for s, _ in raised})
    shares: dict[int, Assignment] = {}
    for chunk in _chunks(share_ids):
        shares.update(
            (a.pk, a) for a in Assignment.objects.filter(pk__in=chunk).select_related("unit", "measure__problem")
        )
    clerks = progress.unit_clerks({a.unit_id for a in shares.values() if a.unit_id})
    coordinators = _coordinators()
    watching: dict[int, list[User]] = {}  # unit → the coordinators whose region holds it
    per_user: dict[int, tuple[User, list[tuple[Assignment, rules.Reason]]]] = {}
    for share_id, reason in raised:
        share = shares[share_id]
        assert share.unit is not None
        recipients = {u.pk: u for u in clerks.get(share.unit.pk, [])}
        if reason.level == rules.Level.RED:
            if share.unit.pk not in watching:
                watching[share.unit.pk] = [user for user, path in coordinators if share.unit.path.startswith(path)]
            recipients.update((user.pk, user) for user in watching[share.unit.pk])
        for user in recipients.values():
            per_user.setdefault(user.pk, (user, []))[1].append((share, reason))
    # A few new warnings arrive one by one; a flood (the first scan, a deadline passing for many
    # measures at once) as one list per person, so nobody gets hundreds of messages in a morning.
    digest_after = settings.RECTIFY_REMINDER_DIGEST_AFTER
    coordinator_ids = {user.pk for user, _ in coordinators}
    batch: list[tuple[list[User], Message]] = []
    for user, items in per_user.values():
        if len(items) <= digest_after:
            batch.extend(([user], warning_message(a, r)) for a, r in items)
        else:
            batch.append(
                ([user], digests.warning_digest(items, to_coordinator=user.pk in coordinator_ids, viewer=user))
            )
    return notify_many(batch)


def share_due_text(share: Assignment) -> str:
    """The share's deadline, said once: the raw text, and the date when it says something else
    (an extension, or a raw text that is not itself a date)."""
    measure = share.measure
    assert measure is not None
    recurring = measure.deadline_kind == "recurring"
    return deadline_text(measure.deadline_raw, share.due_on, extended=share.due_extended, recurring=recurring)


def deadline_text(raw: str, due: dt.date | None, *, extended: bool = False, recurring: bool | None = None) -> str:
    """整改时限 as a sentence says it: "2022年12月底", "按照省方案要求时间完成（2022年10月31日）",
    "每季度（本期至2022年9月30日）". `recurring` None: read from the raw text (每月/每季度/…)."""
    if due is None:
        return raw or "（待确认）"
    date_text = format_cn_date(due)
    if extended:
        return f"{date_text}（经批准延期，原时限：{raw}）" if raw else f"{date_text}（经批准延期）"
    if not raw:
        return date_text
    if recurring is None:
        recurring = deadlines.recurrence_of(raw) is not None
    if recurring:
        return f"{raw}（本期至{date_text}）"
    if raw.rstrip("前") in (date_text, f"{due.year}年{due.month}月底", f"{due.year}年底") or date_text in raw:
        return raw
    return f"{raw}（{date_text}）"


def warning_message(share: Assignment, reason: rules.Reason) -> Message:
    level = rules.LEVEL_LABELS[str(reason.level)]
    measure = share.measure
    assert measure is not None and share.unit is not None
    problem = measure.problem
    progress_text = rules.format_percent(share.progress) if share.progress is not None else "未报送"
    body = (
        f"预警原因：{reason.message}\n"
        f"整改措施：（{problem.number}）{measure.label} {progress.truncate(measure.text, 80)}\n"
        f"责任单位：{share.unit.name}（{share.get_role_display()}）\n"
        f"整改时限：{share_due_text(share)}\n"
        f"本单位进度：{progress_text}"
    )
    return Message(
        kind="warning",
        subject=f"【{level}预警】{share.unit.name}（{problem.number}）{measure.label}：{reason.message}"[:200],
        body=body,
        url=reverse("plans:problem", args=[problem.pk]) + f"#measure-{measure.pk}",
        dedupe_key=f"warning:{share.pk}:{reason.key}",
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
        summary = digests.missed_summary(period, mine, names, url)
        batch.append(([user], summary))
    return notify_many(batch)


# --- the scan ----------------------------------------------------------------------------------


def _reporting_start() -> dt.datetime | None:
    """Where reporting obligations begin: the calendar's start date when the office set one,
    else the earliest plan's start (its issue date); None before any plan exists."""
    calendar = progress.calendar_get()
    start = calendar.starts_on or Plan.objects.aggregate(m=Min("start_on"))["m"]
    if start is None:
        return None
    return dt.datetime.combine(start, dt.time(0, 0), tzinfo=SHANGHAI)


def deadlines_scan(*, today: dt.date | None = None, send_mail: bool = True) -> ScanRun:
    """Run the whole daily scan for `today` (default: the clock's today)."""
    today = today or clock.today()
    end_of_day = dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    upto = min(clock.now(), end_of_day)
    run = ScanRun.objects.create(today=today)
    outcome = Outcome()
    with transaction.atomic():
        # A recurring measure's period may have ended since the last run: due at the new one's end.
        rollup.recurring_dues_advance(today=today)
        raised = _apply(shares_of(), today=today, outcome=outcome, full=True)
        outcome.reminders += _remind_warnings(raised)
    previous = ScanRun.objects.filter(checked_until__isnull=False).exclude(pk=run.pk).order_by("-checked_until").first()
    after = previous.checked_until if previous and previous.checked_until else None
    if after is None or after > upto:
        # First run, or a replay of an earlier day: walk every period from the start again
        # (recording is idempotent, so periods already recorded add nothing).
        after = _reporting_start()
    checked = after
    if after is not None and upto > after:
        rule = progress.calendar_rule()
        for period in periods_due_between(after, upto, rule):
            with transaction.atomic():
                new = compliance.missed_record(period, at=upto)
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
