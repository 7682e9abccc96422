"""The demo history player (rectify load_demo_history): a short history on the test database,
checked with queries of its own. The full 11 weeks is timed by bench/bench_demo.py, not here."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Max
from django.test.utils import override_settings

from rectify.audit.models import AuditEvent
from rectify.closeout.models import CloseoutApplication, CloseoutStatus
from rectify.complaints.models import ComplaintCase
from rectify.demo.history import MARKER, Options, history_load
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, ItemStatus, Measure, ShareStatus
from rectify.progress.models import MissedReport, ProgressReport, ReportingCalendar, ReportStatus
from rectify.progress.periods import SHANGHAI
from rectify.supervision.models import NoticeKind, NoticeStatus, SupervisionNotice

pytestmark = pytest.mark.django_db

# Three weeks from Monday 2022-06-27: 市生态环境局 pilots the weekly loop from the first week,
# every unit reports on the platform in the last week (from 2022-07-11), the instance's date is
# Monday 2022-07-18.
START, WEEKS, END = dt.date(2022, 6, 27), 3, dt.date(2022, 7, 18)
GO_LIVE = dt.date(2022, 7, 11)


def friday_deadline(period_start: dt.date) -> dt.datetime:
    """Independently of the code under test: a week's report is due on its Friday at 17:00."""
    return dt.datetime.combine(period_start + dt.timedelta(days=4), dt.time(17, 0), tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def played(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """The history, played once for the module inside a transaction rolled back at its end."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            call_command("load_demo_complaints", stdout=io.StringIO())
            before = {
                AuditEvent: AuditEvent.objects.aggregate(m=Max("pk"))["m"] or 0,
                Notification: Notification.objects.aggregate(m=Max("pk"))["m"] or 0,
            }
            out = io.StringIO()
            call_command(
                "load_demo_history",
                "--weeks",
                str(WEEKS),
                "--start",
                START.isoformat(),
                "--reporting-weeks",
                "1",
                stdout=out,
            )
            yield {"output": out.getvalue(), "before": before}
            transaction.set_rollback(True)


def test_the_same_seed_plays_the_same_history(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path

    def fingerprint(seed: int) -> list[tuple[Any, ...]]:
        with transaction.atomic():
            history_load(Options(weeks=1, start=START, seed=seed, reporting_weeks=0))
            rows = list(
                # By the measure's place in the plan, not its id: PostgreSQL's sequences do not
                # roll back, so a measure the history adds by hand gets a new id on every replay.
                ProgressReport.objects.order_by(
                    "unit__name", "measure__problem__index", "measure__seq", "kind", "period_start"
                ).values_list(
                    "unit__name",
                    "measure__problem__index",
                    "measure__seq",
                    "kind",
                    "period_start",
                    "percent",
                    "first_submitted_at",
                    "status",
                )
            )
            transaction.set_rollback(True)
        return rows

    first = fingerprint(2022)
    assert first, "the pilot unit reports in the first week"
    assert fingerprint(2022) == first


def test_it_reports_its_dates_and_refuses_nothing(played: dict[str, Any]) -> None:
    assert "实例日期 2022-07-18（星期一）" in played["output"]
    assert "未执行" not in played["output"]
    marker = AuditEvent.objects.get(action=MARKER)
    assert (marker.after or {})["end"] == END.isoformat()
    assert ReportingCalendar.objects.get().starts_on == GO_LIVE


def test_units_report_on_time_and_late_and_some_miss(played: dict[str, Any]) -> None:
    on_time: set[str] = set()
    late: set[str] = set()
    for unit, start, first in ProgressReport.objects.filter(kind="weekly", period_start=GO_LIVE).values_list(
        "unit__name", "period_start", "first_submitted_at"
    ):
        assert first is not None
        (on_time if first <= friday_deadline(start) else late).add(unit)
    assert len(on_time) >= 15
    assert len(late) >= 3, "the units in the habit of filing late, on the weekend"
    assert late - on_time, "a unit that files late files its whole week late"
    missed = set(MissedReport.objects.filter(kind="weekly", period_start=GO_LIVE).values_list("unit__name", flat=True))
    # No clerk on the platform, or a clerk who never files: missed; late filers too (filed later).
    assert {"市卫健委", "中煤平朔集团公司", "右玉县党委"} <= missed
    assert late <= missed
    assert not on_time & missed - {"市能源局", "山阴县党委", "右玉县政府"}, "only partial filers miss while on time"
    # Every unit that owed a report that week either filed something or is on the missed list.
    owing = set(
        Assignment.objects.filter(
            unit__isnull=False, measure__isnull=False, status__in=["not_started", "in_progress", "relapsed", "ongoing"]
        ).values_list("unit__name", flat=True)
    )
    assert owing <= on_time | late | missed


def test_the_pilot_reported_every_week_and_the_office_reviewed(played: dict[str, Any]) -> None:
    weeks = set(
        ProgressReport.objects.filter(unit__name="市生态环境局", kind="weekly").values_list("period_start", flat=True)
    )
    assert weeks == {START, START + dt.timedelta(weeks=1), GO_LIVE}
    earlier = ProgressReport.objects.filter(period_start__lt=GO_LIVE, kind="weekly")
    assert earlier.filter(status=ReportStatus.ACCEPTED).count() > 0
    # Every report of an earlier week was reviewed on a Monday (a returned one may be waiting again).
    assert not earlier.filter(reviewed_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="report.returned").exists()
    # The last week waits for Monday's review on the instance's date.
    assert not ProgressReport.objects.filter(period_start=GO_LIVE, status=ReportStatus.ACCEPTED).exists()


def test_shares_of_one_measure_carry_different_warning_levels(played: dict[str, Any]) -> None:
    levels: dict[int, set[str]] = defaultdict(set)
    for measure_id, level in Assignment.objects.filter(unit__isnull=False, measure__isnull=False).values_list(
        "measure_id", "warning_level"
    ):
        levels[measure_id].add(level)
    assert all(levels[m] for m in levels), "every share was scanned"
    assert sum(1 for s in levels.values() if len(s) > 1) >= 5
    # （十九）措施45: twelve units' shares accepted (green), three still overdue (red).
    m45 = Measure.objects.get(problem__number="十九", number="45")
    by_unit = dict(Assignment.objects.filter(measure=m45).values_list("unit__name", "warning_level"))
    assert by_unit["右玉县政府"] == "red" and by_unit["市生态环境局"] == "green"


def test_share_progress_is_the_units_latest_counted_report(played: dict[str, Any]) -> None:
    latest: dict[int, int] = {}
    for share_id, percent in (
        ProgressReport.objects.filter(status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
        .order_by("assignment_id", "period_start", "submitted_at")
        .values_list("assignment_id", "percent")
    ):
        latest[share_id] = percent
    stored = dict(Assignment.objects.filter(pk__in=latest).values_list("pk", "progress"))
    assert stored == latest


def test_the_ledger_export_agrees_with_the_shares(played: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    call_command("export_ledger", str(path), "--as-of", END.isoformat(), stdout=io.StringIO())
    data = json.loads(path.read_text(encoding="utf-8"))
    exported = {}
    for problem in data["plans"][0]["problems"]:
        for m in problem["measures"]:
            for a in m["assignments"]:
                if a["status"] is not None:
                    exported[(problem["number"], m["number"], a["unit"])] = (
                        a["progress"],
                        a["warning"]["level"],
                        a["status"],
                    )
    shares = {
        (problem, number or None, unit): (progress, level, status)
        for problem, number, unit, progress, level, status in Assignment.objects.filter(
            unit__isnull=False, measure__isnull=False
        ).values_list(
            "measure__problem__number", "measure__number", "unit__name", "progress", "warning_level", "status"
        )
    }
    assert len(exported) == len(shares) > 1000
    assert exported == shares


def test_the_storylines_ran_through_the_services(played: dict[str, Any]) -> None:
    reminder = SupervisionNotice.objects.get(kind=NoticeKind.REMINDER, unit__name="右玉县政府")
    assert reminder.number and reminder.status == NoticeStatus.REPLIED and reminder.attachments.count() == 1
    county = SupervisionNotice.objects.get(kind=NoticeKind.REMINDER, unit__name="朔城区党委")
    assert county.issuer.name == "朔城区整改办" and county.status == NoticeStatus.ISSUED
    # （九）措施25: applied, accepted, published for seven days, closed; its one share closed.
    m25 = Measure.objects.get(problem__number="九", number="25")
    assert m25.status == ItemStatus.CLOSED
    assert Assignment.objects.get(measure=m25).status == ShareStatus.CLOSED
    closed = CloseoutApplication.objects.get(measure=m25, status=CloseoutStatus.CLOSED)
    assert closed.publish_until is not None and closed.closed_on == closed.publish_until + dt.timedelta(days=1)
    m45 = Measure.objects.get(problem__number="十九", number="45")
    done = Assignment.objects.filter(measure=m45, status=ShareStatus.COMPLETED).count()
    assert done == 12 and m45.status == ItemStatus.IN_PROGRESS
    # 交办件: the lead units' clerks handle three a week from the second week, the office calls back.
    handled = AuditEvent.objects.filter(
        action__in=["complaint.closed", "complaint.updated"], pk__gt=played["before"][AuditEvent]
    )
    assert handled.count() == 6 and handled.filter(actor__memberships__role="clerk").count() == 6
    assert ComplaintCase.objects.filter(revisit_on__gte=START).count() == 2
    # The documents of the last Friday: June's 月通报 and a 工作简报 for the history's June days.
    assert AuditEvent.objects.filter(action="circular.issued").count() == 1
    assert AuditEvent.objects.filter(action="briefing.issued").count() == 1


def test_a_handled_case_keeps_the_counts_its_accountability_text_states(played: dict[str, Any]) -> None:
    """The counts a case page prints (立案处罚 N 起, 约谈 N 人, 问责 N 人, 拘留, 罚款) agree with the
    case's own 问责情况/处理情况 words after the clerks' handling, not reset to 0 by it."""
    from rectify.complaints.importing import penalties_from_text

    events = AuditEvent.objects.filter(
        action__in=["complaint.closed", "complaint.updated"], pk__gt=played["before"][AuditEvent]
    )
    ids = {int(pk) for pk in events.values_list("object_id", flat=True)}
    handled = ComplaintCase.objects.filter(pk__in=ids).exclude(accountability="")
    stated = 0
    for case in handled:
        said = penalties_from_text(case.accountability, case.handling)
        for field in ("filed", "detained", "interviewed", "held_accountable", "fine"):
            assert getattr(case, field) == said.get(field, 0), (case.code, field, case.accountability)
        stated += any(said.get(f) for f in ("filed", "interviewed", "held_accountable"))
    assert stated >= 1


def test_every_moment_is_inside_the_history(played: dict[str, Any]) -> None:
    first = dt.datetime.combine(START, dt.time(0, 0), tzinfo=SHANGHAI)
    last = dt.datetime.combine(END, dt.time(6, 30), tzinfo=SHANGHAI)
    assert not ProgressReport.objects.exclude(first_submitted_at__range=(first, last)).exists()
    events = AuditEvent.objects.filter(pk__gt=played["before"][AuditEvent])
    notifications = Notification.objects.filter(pk__gt=played["before"][Notification])
    assert events.count() > 100 and notifications.count() > 100
    assert not events.exclude(at__range=(first, last)).exists()
    assert not notifications.exclude(created_at__range=(first, last)).exists()


def test_running_it_again_changes_nothing(played: dict[str, Any]) -> None:
    before = (ProgressReport.objects.count(), AuditEvent.objects.count(), OrgUnit.objects.count())
    out = io.StringIO()
    call_command("load_demo_history", "--weeks", str(WEEKS), "--start", START.isoformat(), stdout=out)
    assert "已加载，未重复加载" in out.getvalue()
    assert (ProgressReport.objects.count(), AuditEvent.objects.count(), OrgUnit.objects.count()) == before
    dated = io.StringIO()
    call_command("load_demo_history", "--print-date", stdout=dated, stderr=io.StringIO())
    assert dated.getvalue().strip() == END.isoformat()


def test_every_notification_link_opens_for_its_recipient(played: dict[str, Any]) -> None:
    """Each kind of notification the history sent (warnings, digests, missed reports, report
    reviews, 督办, extensions, close-out, 交办件): its link opens for the person it was sent to."""
    from django.test import Client

    sent = Notification.objects.filter(pk__gt=played["before"][Notification]).exclude(url="")
    seen: set[tuple[str, int, str]] = set()
    kinds = set()
    for n in sent.select_related("recipient").order_by("pk"):
        path = n.url.split("#")[0]
        key = (n.kind, n.recipient_id, path.split("?")[0].rstrip("0123456789/"))
        if key in seen:
            continue
        seen.add(key)
        kinds.add(n.kind)
        client = Client()
        client.force_login(n.recipient)
        with override_settings(RECTIFY_TODAY=END.isoformat()):
            answer = client.get(path)
        assert answer.status_code == 200, (n.kind, n.subject, n.url, n.recipient.username, answer.status_code)
    assert {"warning", "missing_report"} <= kinds and len(kinds) >= 3


def test_every_periods_compliance_in_one_pass_is_each_periods_own(played: dict[str, Any]) -> None:
    """The scan's one-pass count of owed, on-time and late reports (compliance.periods_compliance)
    against period_compliance, period by period, on the played history: with its calendar, and
    with the calendar's start cleared over weeks from before the plan started (the plan starts
    between the periods' ends, so the shares owed differ from period to period)."""
    from rectify.plans.models import Plan
    from rectify.progress import compliance
    from rectify.progress.periods import periods_due_between
    from rectify.progress.services import calendar_rule

    def one_by_one(periods: list[Any], as_of: dt.datetime | None) -> dict[tuple[str, dt.date], Any]:
        return {(p.kind, p.start): compliance.period_compliance(p, as_of=as_of) for p in periods}

    plan_start = Plan.objects.get().start_on
    late_view = dt.datetime.combine(END, dt.time(23), tzinfo=SHANGHAI)
    periods = periods_due_between(friday_deadline(START), late_view, calendar_rule())
    assert len(periods) >= 2
    for as_of in (None, friday_deadline(GO_LIVE) + dt.timedelta(days=1), late_view):
        together = compliance.periods_compliance(periods, as_of=as_of)
        assert together == one_by_one(periods, as_of)
    assert any(c.on_time for rows in together.values() for c in rows)
    assert any(c.missed for rows in together.values() for c in rows)
    with transaction.atomic():
        ReportingCalendar.objects.update(starts_on=None)
        since = dt.datetime.combine(plan_start - dt.timedelta(days=40), dt.time(0), tzinfo=SHANGHAI)
        periods = periods_due_between(since, late_view, calendar_rule())
        assert min(p.end for p in periods) < plan_start <= max(p.end for p in periods)
        together = compliance.periods_compliance(periods, as_of=late_view)
        assert together == one_by_one(periods, late_view)
        assert any(not rows for rows in together.values()) and any(rows for rows in together.values())
        transaction.set_rollback(True)
