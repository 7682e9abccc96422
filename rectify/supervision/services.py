"""The deadline scan: warning levels for every measure and problem, warnings raised and resolved,
missed reporting deadlines recorded, reminders queued and mail sent.

Idempotent and catch-up safe: levels are recomputed from the state on `today` (overdue means
"due before today", due-soon means "due within N days": ranges, never "today == due − N"), a
warning is keyed by its reason so a re-run finds it, and reporting deadlines are walked from
where the previous run stopped, so a week without scans loses nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Min
from django.urls import reverse

from rectify.audit.services import record
from rectify.core import clock
from rectify.core.formats import format_cn_date
from rectify.notifications.services import Message, notify_many, send_pending
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import region_of
from rectify.plans import deadlines, rollup
from rectify.plans import services as plan_services
from rectify.plans.models import Assignment, Measure, Plan
from rectify.progress import compliance
from rectify.progress import services as progress
from rectify.progress.periods import SHANGHAI, Period, periods_due_between

from . import digests, incremental, rules

# Assessing lives in .assessing and the bulk writes in .scan; these names are read from here too.
from .assessing import (  # noqa: F401
    CHUNK,
    RULE_STATUS,
    SHARE_FIELDS,
    assess_share,
    assessments,
    chunks,
    item_input,
    measure_milestones,
    plan_horizons,
    reasons_json,
    report_days,
    share_rows,
    shares_of,
    thresholds,
)
from .models import ScanRun
from .scan import Outcome, Raised, shares_apply

# Who the audit trail says re-assessed the warnings (the scan, or a refresh after a change).
REASSESSOR = "预警扫描"


def warnings_refresh(*, measure_ids: Iterable[int], today: dt.date | None = None) -> Outcome:
    """Re-assess every share of a few measures now (after a report, a deadline change, an
    extension or a close-out step), with reminders."""
    today = today or clock.today()
    outcome = Outcome()
    with transaction.atomic():
        raised = shares_apply(today=today, outcome=outcome, measure_ids=measure_ids)
        outcome.reminders += _remind_warnings(raised)
        # What changed is audited with it: the data's version moves (audit.kept, the documents kept).
        for measure in Measure.objects.filter(pk__in=sorted(outcome.changed)).select_related("problem"):
            after = {"today": today.isoformat(), "level": measure.warning_level, "status": measure.status}
            record(actor=REASSESSOR, action="warnings.reassessed", obj=measure, parent=measure.problem, after=after)
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
    return [(user, region.path) for user, region in _coordinator_regions()]


def _coordinator_regions() -> list[tuple[User, OrgUnit]]:
    """Each coordinator with the region it watches."""
    out = []
    for m in Membership.objects.filter(
        role=Role.COORDINATOR, user__is_active=True, unit__is_active=True
    ).select_related("user", "unit"):
        out.append((m.user, region_of(m.unit)))
    return out


def _remind_warnings(raised: list[Raised]) -> int:
    """Each new warning goes to the clerks of the share's own unit (and, when red, to the
    coordinators whose region holds that unit): a unit hears about its own share only."""
    if not raised:
        return 0
    unit_ids = sorted({r.unit_id for r in raised})
    paths: dict[int, str] = {}
    for chunk in chunks(unit_ids):
        paths.update(OrgUnit.objects.filter(pk__in=chunk).values_list("pk", "path"))
    clerks = progress.unit_clerks(unit_ids)
    regions = _coordinator_regions()
    coordinators = [(user, region.path) for user, region in regions]
    # Per unit, who hears of a yellow warning (its clerks) and of a red one (and the coordinators
    # whose region holds it), each person once.
    told: dict[tuple[int, bool], list[tuple[int, User]]] = {}
    for unit_id in unit_ids:
        own = {u.pk: u for u in clerks.get(unit_id, [])}
        told[(unit_id, False)] = list(own.items())
        own.update((user.pk, user) for user, path in coordinators if paths[unit_id].startswith(path))
        told[(unit_id, True)] = list(own.items())
    per_user: dict[int, tuple[User, list[tuple[int, rules.Reason]]]] = {}
    for r in raised:
        for user_id, user in told[(r.unit_id, r.reason.level == rules.Level.RED)]:
            mine = per_user.get(user_id)
            if mine is None:
                mine = per_user[user_id] = (user, [])
            mine[1].append((r.share_id, r.reason))
    # A few new warnings arrive one by one; a flood (the first scan, a deadline passing for many
    # measures at once) as one list per person, so nobody gets hundreds of messages in a morning.
    digest_after = settings.RECTIFY_REMINDER_DIGEST_AFTER
    coordinator_ids = {user.pk for user, _ in coordinators}
    # A coordinator of the whole city (its region the root) sees every unit: its scope is not read again.
    city_wide = {user.pk for user, region in regions if region.depth == 0}
    readers = [user for user, items in per_user.values() if len(items) > digest_after]
    tables = digests.board_tables(readers, everything=city_wide)
    one_by_one = sorted({s for _, items in per_user.values() if len(items) <= digest_after for s, _ in items})
    shares: dict[int, Assignment] = {}
    for chunk in chunks(one_by_one):
        shares.update(
            (a.pk, a) for a in Assignment.objects.filter(pk__in=chunk).select_related("unit", "measure__problem")
        )
    batch: list[tuple[list[User], Message]] = []
    for user, items in per_user.values():
        if len(items) <= digest_after:
            batch.extend(([user], warning_message(shares[s], reason)) for s, reason in items)
        else:
            digest = digests.warning_digest(items, to_coordinator=user.pk in coordinator_ids, table=tables[user.pk])
            batch.append(([user], digest))
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


def deadlines_scan(*, today: dt.date | None = None, send_mail: bool = True, full: bool = False) -> ScanRun:
    """Run the whole daily scan for `today` (default: the clock's today). `full`: assess every
    measure, not only those whose warnings can have changed since the last scan (after writes
    that bypass the audit trail: a data repair, a generator)."""
    today = today or clock.today()
    end_of_day = dt.datetime.combine(today, dt.time(23, 59, 59), tzinfo=SHANGHAI)
    upto = min(clock.now(), end_of_day)
    run = ScanRun.objects.create(today=today)
    outcome = Outcome()
    with transaction.atomic():
        # A recurring measure's period may have ended since the last run: due at the new one's end.
        rollup.recurring_dues_advance(today=today)
        # Only the measures whose warnings can have changed since the last scan (supervision.incremental).
        scope = incremental.scan_scope(today=today, run=run, full=full)
        raised = shares_apply(today=today, outcome=outcome, measure_ids=scope.measure_ids)
        outcome.reminders += _remind_warnings(raised)
        if outcome.changed:  # audited in the same transaction (scan.completed comes after the mail)
            said = {"today": today.isoformat(), "measures": len(outcome.changed)}
            said |= {"raised": outcome.raised, "resolved": outcome.resolved}
            record(actor=REASSESSOR, action="scan.reassessed", obj=run, after=said)
    previous = ScanRun.objects.filter(checked_until__isnull=False).exclude(pk=run.pk).order_by("-checked_until").first()
    after = previous.checked_until if previous and previous.checked_until else None
    if after is None or after > upto:
        # First run, or a replay of an earlier day: walk every period from the start again
        # (recording is idempotent, so periods already recorded add nothing).
        after = _reporting_start()
    checked = after
    if after is not None and upto > after:
        periods = periods_due_between(after, upto, progress.calendar_rule())
        found = compliance.periods_compliance(periods, as_of=upto)  # every period in one pass
        for period in periods:
            with transaction.atomic():
                new = compliance.missed_record(period, at=upto, found=found[(period.kind, period.start)])
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
        audit_seq=scope.seq,
        basis=scope.basis,
        full=scope.measure_ids is None,
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
