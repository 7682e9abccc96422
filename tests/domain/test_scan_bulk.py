"""The bulk scan (supervision.scan) against an independent computation, on a generated history of
the seed plan's shares: every share's stored level and reasons are its own assessment by the
per-share path (assessing.assess_share: one row, rules.assess, no memo), its open warnings are
exactly those reasons, the rest resolved; measures and problems are the roll-up of their shares
by the written rule (docs/rollup.md, recomputed here); the run's counts are those of the rows it
wrote; every new warning reaches exactly its unit's clerks (and, when red, the coordinators of
its region), one by one or as one digest; and a digest's table is the reader's own board.
The number of statements does not grow with the number of shares."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rectify.notifications.models import Notification
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.orgs.scope import region_of
from rectify.plans.models import Assignment, Measure, Milestone, Problem
from rectify.progress.models import ProgressReport
from rectify.supervision import digests, services
from rectify.supervision.assessing import assess_share, reasons_json
from rectify.supervision.models import ScanRun, Warning
from rectify.supervision.services import deadlines_scan, warnings_refresh
from tests.domain.test_share_properties import ORDER, expected_measure

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
STATUSES = ["not_started", "in_progress", "relapsed", "applying", "completed", "closed", "ongoing"]


def at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=SH), tick=False)


def shares() -> Any:
    return Assignment.objects.filter(measure__isnull=False, unit__isnull=False)


def generate(rng: random.Random, *, fraction: float) -> list[int]:
    """Give a fraction of the shares a random state: status, progress, last report, an extension,
    milestones reached, a 销号 date. Returns the measures touched."""
    milestones: dict[int, list[int]] = defaultdict(list)
    for pk, measure_id in Milestone.objects.values_list("pk", "measure_id"):
        milestones[measure_id].append(pk)
    picked = [a for a in shares().order_by("pk") if rng.random() < fraction]
    for a in picked:
        a.status = rng.choice(STATUSES)
        a.progress = rng.choice([None, 0, 10, 35, 50, 80, 100])
        a.last_report_at = (
            None
            if a.progress is None
            else dt.datetime(2022, 6, 1, 16, tzinfo=SH)
            + dt.timedelta(days=rng.randint(0, 200), hours=rng.randint(0, 9))
        )
        if a.due_on is not None and rng.random() < 0.2:
            a.due_on, a.due_extended = a.due_on + dt.timedelta(days=rng.randint(1, 90)), True
        a.milestones_reached = {
            str(m): "2022-08-01" for m in milestones.get(a.measure_id or 0, []) if rng.random() < 0.5
        }
        a.closed_on = dt.date(2022, 8, 1) if a.status == "closed" else None
    Assignment.objects.bulk_update(
        picked, ["status", "progress", "last_report_at", "due_on", "due_extended", "milestones_reached", "closed_on"]
    )
    return sorted({a.measure_id for a in picked if a.measure_id})


def recurring_and_compound(rng: random.Random) -> None:
    """A few measures recurring (每季度) with reports on some shares, a few compound with a dated,
    a recurring and an immediate part: the kinds the scan judges apart."""
    dated = list(Measure.objects.filter(deadline_kind="date").order_by("pk").values_list("pk", flat=True))
    recurring, compound = dated[:6], dated[6:12]
    Measure.objects.filter(pk__in=recurring).update(deadline_kind="recurring", recurrence="quarterly")
    parts = [
        {"scope": "城区", "raw": "2022年9月底", "kind": "date", "due": "2022-09-30", "start": None},
        {"scope": "日常巡查", "raw": "每月", "kind": "recurring", "recurrence": "monthly", "due": None, "start": None},
        {"scope": "立行立改", "raw": "立行立改", "kind": "immediate", "due": None, "start": None},
    ]
    Measure.objects.filter(pk__in=compound).update(deadline_kind="compound", deadline_parts=parts)
    reports = []
    for a in shares().filter(measure_id__in=recurring + compound).order_by("pk"):
        for week in range(0, 200, 14):
            if rng.random() < 0.3:
                when = dt.datetime(2022, 6, 3, 10, tzinfo=SH) + dt.timedelta(days=week)
                start = (when - dt.timedelta(days=4)).date()
                reports.append(
                    ProgressReport(
                        assignment=a,
                        unit_id=a.unit_id,
                        measure_id=a.measure_id,
                        kind="weekly",
                        period_start=start,
                        period_end=start + dt.timedelta(days=6),
                        progress_text="按月巡查",
                        percent=50,
                        status="submitted",
                        submitted_at=when,
                        first_submitted_at=when,
                        created_at=when,
                        updated_at=when,
                    )
                )
    ProgressReport.objects.bulk_create(reports)


def expected_recipients(unit: OrgUnit, red: bool) -> set[int]:
    clerks = set(
        Membership.objects.filter(unit=unit, role=Role.CLERK, user__is_active=True).values_list("user_id", flat=True)
    )
    if red:
        for m in Membership.objects.filter(role=Role.COORDINATOR, user__is_active=True, unit__is_active=True):
            if unit.path.startswith(region_of(m.unit).path):
                clerks.add(m.user_id)
    return clerks


def scan_and_check(day: dt.date, *, refresh: list[int] | None = None, full: bool = False) -> None:
    open_before = set(Warning.objects.filter(resolved_on__isnull=True).values_list("pk", flat=True))
    last_warning = Warning.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_note = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with at(day):
        if refresh is None:
            run: Any = deadlines_scan(today=day, send_mail=False, full=full)
        else:
            run = warnings_refresh(measure_ids=refresh, today=day)
    scanned = shares() if refresh is None else shares().filter(measure_id__in=refresh)

    # Each share: stored level and reasons are the per-share assessment; open warnings its reasons.
    open_by_share: dict[int, set[tuple[str, str, str]]] = defaultdict(set)
    for share_id, key, level, code in Warning.objects.filter(resolved_on__isnull=True).values_list(
        "assignment_id", "key", "level", "code"
    ):
        open_by_share[share_id].add((key, level, code))
    for share in scanned.select_related("measure"):
        a = assess_share(share, today=day)
        assert (share.warning_level, share.warning_reasons) == (str(a.level), reasons_json(a)), share.pk
        assert open_by_share.get(share.pk, set()) == {(r.key, str(r.level), r.code) for r in a.reasons}, share.pk

    # The run's counts are those of the rows it wrote.
    created = Warning.objects.filter(pk__gt=last_warning)
    assert run.raised == created.count()
    assert set(created.values_list("raised_on", flat=True)) <= {day}
    resolved = Warning.objects.filter(pk__in=open_before, resolved_on=day).count()
    assert run.resolved == resolved
    # Every measure, or (the daily scan's incremental path) those whose warnings could change.
    if refresh is not None or run.full:
        assert run.measures == scanned.values("measure_id").distinct().count()
    else:
        assert run.measures <= scanned.values("measure_id").distinct().count()

    # Measures and problems: the roll-up of their shares, by the written rule.
    by_measure: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in scanned.values("measure_id", "role", "progress", "warning_level", "status"):
        by_measure[row["measure_id"]].append(row)
    for m in Measure.objects.filter(pk__in=list(by_measure)):
        want = expected_measure(by_measure[m.pk])
        assert (m.progress, m.warning_level, m.status) == (want["progress"], want["warning_level"], want["status"])
    for p in Problem.objects.filter(measures__in=list(by_measure)).distinct():
        ms = list(Measure.objects.filter(problem=p).values_list("progress", "warning_level"))
        values = [x[0] for x in ms]
        parts = [*values, *([100 * p.cases_closed / p.cases_total] if p.cases_total else [])]
        progress = None if all(v is None for v in parts) else round(math.fsum(v or 0 for v in parts) / len(parts), 1)
        assert (p.progress, p.warning_level) == (progress, max((x[1] for x in ms), key=lambda lv: ORDER[lv]))

    # Reminders: each new warning to its unit's clerks (and the region's coordinators when red);
    # a person with more than RECTIFY_REMINDER_DIGEST_AFTER gets one digest instead.
    per_user: dict[int, list[tuple[int, str]]] = defaultdict(list)
    units = {u.pk: u for u in OrgUnit.objects.all()}
    for share_id, unit_id, key, level in created.values_list("assignment_id", "unit_id", "key", "level"):
        for user_id in expected_recipients(units[unit_id], level == "red"):
            per_user[user_id].append((share_id, key))
    notes = Notification.objects.filter(pk__gt=last_note, kind="warning")
    got: dict[int, set[str]] = defaultdict(set)
    for user_id, dedupe in notes.values_list("recipient_id", "dedupe_key"):
        got[user_id].add(dedupe)
    want: dict[int, set[str]] = {}
    for user_id, items in per_user.items():
        if len(items) <= settings.RECTIFY_REMINDER_DIGEST_AFTER:
            want[user_id] = {f"warning:{s}:{k}" for s, k in items}
        else:
            want[user_id] = {next(d for d in got.get(user_id, {"?"}) if d.startswith("warning-digest:"))}
    assert dict(got) == want
    if refresh is None:
        assert run.reminders == Notification.objects.filter(pk__gt=last_note).count()


def test_the_bulk_scan_stores_what_the_per_share_rules_say_through_a_generated_history(users: Any) -> None:
    rng = random.Random(16)
    recurring_and_compound(rng)
    generate(rng, fraction=0.6)
    first = dt.date(2022, 10, 8)
    for day in [first, first, first + dt.timedelta(days=1), first + dt.timedelta(days=9)]:
        scan_and_check(day)
    # Shares move on (reports, close-outs, reopens): warnings resolve and reopen, for a few
    # measures at once (after a report) and in the nightly scan.
    touched = generate(rng, fraction=0.3)
    scan_and_check(first + dt.timedelta(days=10), refresh=touched[:40])
    generate(rng, fraction=0.3)  # written around the audit trail: the next scan must read everything
    scan_and_check(first + dt.timedelta(days=11), full=True)
    assert Warning.objects.filter(resolved_on__isnull=False).exists()
    assert ScanRun.objects.filter(resolved__gt=0).exists()


def test_a_digest_table_counted_for_many_readers_is_each_readers_own_board(users: Any) -> None:
    generate(random.Random(7), fraction=0.5)
    with at(dt.date(2022, 10, 8)):
        deadlines_scan(today=dt.date(2022, 10, 8), send_mail=False)
        readers = list(users.values()) + [m.user for m in Membership.objects.filter(role=Role.CLERK)[:40]]
        tables = digests.board_tables(readers)
        # The reminders name the city's coordinators, whose scope is then not read again: the same boards.
        city_wide = {user.pk for user, region in services._coordinator_regions() if region.depth == 0}
        assert city_wide & {r.pk for r in readers}
        told = digests.board_tables(readers, everything=city_wide)
        for reader in readers:
            assert tables[reader.pk].as_data() == digests.board_table(reader).as_data(), reader.username
            assert told[reader.pk].as_data() == tables[reader.pk].as_data(), reader.username
        assert any(t.rows for t in tables.values()) and any(not t.rows for t in tables.values())


def test_the_scans_statements_do_not_grow_with_the_shares(users: Any) -> None:
    """Assessing every share, raising its warnings, counting digests and sending reminders takes a
    few dozen statements, not some per share, measure, problem or reader (the reporting periods,
    walked once, are taken out: a second first scan of the same day has none left to walk)."""
    generate(random.Random(3), fraction=0.5)
    day = dt.date(2022, 10, 8)
    with at(day):
        deadlines_scan(today=day, send_mail=False)
    Warning.objects.all().delete()
    Notification.objects.all().delete()
    shares().update(warning_level="", warning_reasons=[])
    Measure.objects.update(warning_level="")
    Problem.objects.update(warning_level="")
    with at(day), CaptureQueriesContext(connection) as first:
        run = deadlines_scan(today=day, send_mail=False, full=True)  # the reset above is not audited
    assert run.raised > 200 and run.measures > 80 and shares().count() > 900 and run.missed == 0
    readers = Notification.objects.values("recipient_id").distinct().count()
    assert readers >= 3
    assert len(first) < 40 + readers * 4, len(first)  # the scope of each digest's reader: a few each
    with at(day + dt.timedelta(days=1)), CaptureQueriesContext(connection) as daily:
        deadlines_scan(today=day + dt.timedelta(days=1), send_mail=False)
    assert len(daily) < 60, len(daily)
