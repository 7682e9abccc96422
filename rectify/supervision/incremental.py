"""Which measures the daily scan must assess (supervision.services.deadlines_scan): all of them, or
only those whose stored outcome can have changed since the last completed scan. The incremental
path stores exactly what a full scan would (tests/domain/test_scan_incremental.py):

* a share's outcome changes by the date alone on its measure's `next_assess_on`
  (rules.next_change, kept by supervision.scan) or later: measures due on or before today, or
  never assessed (NULL), are assessed;
* and by its inputs: every change of the data is audited in the transaction that makes it
  (audit.services.record), so the events after the last scan's name the measures written to: a
  measure's own, a problem's (its measures), a plan's (its measures), and any event whose parent is
  a problem (reports, evidence, close-out steps, leaders: that problem's measures);
* everything else is a full scan: no completed scan before, an earlier day than the last scan's
  (a replay), other thresholds, an audit trail that is not the one the last scan saw (restored
  from a backup), an event that is neither mapped nor known not to enter the rules (IRRELEVANT),
  or so many measures to do that reading them all is as cheap (FULL_SHARE).

A plan's start and horizon (the latest due date of its problems: what 按序时进度 items run to) are
kept in the run's `basis`; a plan whose start or horizon moved has all its measures assessed.
Writes that bypass the audit trail: `plans.rollup.recurring_dues_advance` (run by the scan itself)
moves only recurring items' due dates, which the rules do not read for them (they judge periods,
whose ends are next_change days); the bench and test generators write before any scan or force
one (`basis` cleared). A measure's stored roll-up is recomputed whenever one of its shares is
assessed, so a measure's roll-up stays what a full scan would write as long as the services that
move shares roll them up (they do: plans.rollup).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from rectify.audit.models import AuditEvent
from rectify.audit.selectors import newest_event
from rectify.plans.models import Measure, Plan

from .assessing import chunks, plan_horizons, thresholds
from .models import ScanRun

# Above this share of all measures to do, the scan reads them all (one pass, no id lists); and
# above FULL_MAX whatever the share: the measures' ids go to the database as one IN (…) list,
# which SQLite caps at 32,766 values.
FULL_SHARE = 0.25
FULL_MAX = 20_000

# Events that do not change what the rules read of any share (its status, progress, last report,
# due date, milestones reached, reports; its measure's deadline, milestones and plan) nor a
# measure's or problem's roll-up as the scan writes it. Listed one by one (or by family where a
# whole app is outside the rules); any other event not mapped to measures makes the scan full.
IRRELEVANT = frozenset(
    {
        # sign-in, accounts and people
        "accounts.login",
        "accounts.login_failed",
        "accounts.logout",
        "accounts.lockout_released",
        "accounts.otp_enrolled",
        "accounts.otp_reset",
        "accounts.otp_verified",
        "accounts.password_changed",
        "accounts.password_reset",
        "accounts.token_issued",
        "accounts.token_revoked",
        "accounts.user_changed",
        "accounts.user_created",
        "token.issued",
        "token.revoked",
        "user.changed",
        "membership.changed",
        "membership.deleted",
        "orgs.membership_changed",
        "orgs.membership_granted",
        "orgs.membership_revoked",
        "unit.created",
        "unit.renamed",
        # reads, files and documents made from the data
        "export.downloaded",
        "file.refused",
        "handover.made",
        "handover.schedule_changed",
        "mirror.imported",
        # the scan itself and its re-assessments (outputs, not inputs: on a measure they are mapped
        # anyway); the reporting calendar (read by the missed-report walk, not the rules)
        "scan.completed",
        "scan.reassessed",
        "warnings.reassessed",
        "calendar.changed",
        # rounds; plan import jobs before their commit (the commit is plan.imported / problem.imported)
        "round.created",
        "round.updated",
        "import.uploaded",
        "import.parsed",
        "import.read_failed",
        "import.reviewed",
        "import.discarded",
        # supervision paperwork on a unit or region (on a problem they are mapped like any other)
        "flag.set",
        "flag.lifted",
        "visit.recorded",
        "visit.photo_added",
        "visit.task_done",
    }
)
# Whole families outside the rules: notices (督办文书), briefings, circulars and county items
# (documents), complaints (a problem's case counts are rolled up by complaints.services itself).
IRRELEVANT_FAMILIES = ("notice.", "briefing.", "circular.", "county_item.", "complaint.", "complaints.")

_MEASURE, _PROBLEM, _PLAN = "plans.measure", "plans.problem", "plans.plan"


@dataclass
class Scope:
    """What this run assesses: `measure_ids` None for every measure; `basis` and `seq` for the next
    run; `why` says why a run is full (kept in `basis`)."""

    measure_ids: list[int] | None
    seq: int
    basis: dict[str, Any] = field(default_factory=dict)


def _basis(today: dt.date) -> dict[str, Any]:
    horizons = plan_horizons()
    return {
        "today": today.isoformat(),
        "thresholds": repr(thresholds()),
        "plans": {
            str(pk): [start.isoformat(), horizons[pk].isoformat() if pk in horizons else None]
            for pk, start in Plan.objects.order_by().values_list("pk", "start_on")
        },
    }


def scan_scope(*, today: dt.date, run: ScanRun, full: bool = False) -> Scope:
    """The measures the scan on `today` must assess (see the module docstring); every one when
    `full`. Call it inside the scan's transaction, before reading the shares."""
    seq, head = newest_event(ignore=())
    basis = {**_basis(today), "head": head}
    previous = (
        ScanRun.objects.filter(finished_at__isnull=False, audit_seq__isnull=False)
        .exclude(pk=run.pk)
        .order_by("-pk")
        .first()
    )

    def whole(why: str) -> Scope:
        return Scope(None, seq, {**basis, "why": why})

    if full:
        return whole("asked for")
    if previous is None or not previous.basis:
        return whole("no completed scan before")
    old = previous.basis
    if old.get("today", "") > today.isoformat():
        return whole("a day before the last scan's")
    if old.get("thresholds") != basis["thresholds"]:
        return whole("thresholds changed")
    after = int(previous.audit_seq or 0)
    seen = AuditEvent.objects.filter(seq=after).values_list("hash", flat=True).first() if after else ""
    if after > seq or seen != old.get("head", ""):
        return whole("the audit trail is not the one the last scan saw")
    total = Measure.objects.count()
    limit = min(int(total * FULL_SHARE), FULL_MAX)
    measures: set[int] = set(
        Measure.objects.filter(Q(next_assess_on__lte=today) | Q(next_assess_on__isnull=True))
        .order_by()  # the model's ordering would join the problem and plan and sort every row
        .values_list("pk", flat=True)[: limit + 1]
    )
    if len(measures) > limit:
        return whole("many measures due")
    problems: set[int] = set()
    plans = {int(pk) for pk, values in basis["plans"].items() if old.get("plans", {}).get(pk) != values}
    for action, object_type, object_id, parent_type, parent_id in (
        AuditEvent.objects.filter(seq__gt=after, seq__lte=seq)
        .order_by()
        .values_list("action", "object_type", "object_id", "parent_type", "parent_id")
        .iterator(chunk_size=2000)
    ):
        if parent_type == _PROBLEM:
            problems.add(int(parent_id))
        if object_type == _MEASURE:
            measures.add(int(object_id))
        elif object_type == _PROBLEM:
            problems.add(int(object_id))
        elif object_type == _PLAN:
            plans.add(int(object_id))
        elif parent_type != _PROBLEM and action not in IRRELEVANT and not action.startswith(IRRELEVANT_FAMILIES):
            return whole(f"event {action} on {object_type}")
    for ids, column in ((sorted(problems), "problem_id"), (sorted(plans), "problem__plan_id")):
        for chunk in chunks(ids):
            measures.update(Measure.objects.filter(**{f"{column}__in": chunk}).order_by().values_list("pk", flat=True))
        if len(measures) > limit:
            return whole("many measures written to")
    return Scope(sorted(measures), seq, basis)
