"""The deadline scan: levels per the seed plan on a frozen day, idempotence, catch-up after
missed days, missed-report detection, reminders in the bell and by mail (a real local SMTP
server), and the scheduler's timing."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Plan, Problem
from rectify.progress import periods, services
from rectify.progress.models import MissedReport
from rectify.supervision.management.commands.run_scheduler import next_run
from rectify.supervision.models import ScanRun, Warning
from rectify.supervision.services import deadlines_scan

pytestmark = pytest.mark.django_db
SH = periods.SHANGHAI


def at(day: dt.date, hour: int = 9) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SH), tick=False)


def test_on_2022_10_08_with_no_reports_september_items_are_red_and_december_ones_yellow_or_green(
    tmp_path: Path,
) -> None:
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
    for problem in Problem.objects.filter(due_on=dt.date(2022, 9, 30)):
        assert problem.warning_level == "red"
        assert set(problem.measures.values_list("warning_level", flat=True)) == {"red"}
    december = Measure.objects.filter(problem__due_on=dt.date(2022, 12, 31), problem__deadline_kind="date")
    assert december.exists()
    assert set(december.values_list("warning_level", flat=True)) <= {"yellow", "green", "red"}
    # Red only from a milestone of its own; otherwise 序时进度 (72.8% elapsed, 0% reported) makes it yellow.
    for m in december.filter(warning_level="red"):
        assert m.milestones.filter(due_on__lt=dt.date(2022, 10, 8)).exists()
    assert december.filter(warning_level="yellow").count() >= december.count() - 3
    out = tmp_path / "out.json"
    call_command("export_ledger", str(out), "--as-of", "2022-10-08")
    data = json.loads(out.read_text(encoding="utf-8"))
    problems = {p["number"]: p for p in data["plans"][0]["problems"]}
    for number in ["十二", "二十二", "三十"]:
        assert problems[number]["warning"]["level"] == "red"
        assert all(m["warning"]["level"] == "red" for m in problems[number]["measures"])
        assert any("2022-09-30" in r for r in problems[number]["measures"][0]["warning"]["reasons"])
    m = problems["二"]["measures"][0]
    assert m["warning"]["level"] == "yellow" and m["warning"]["expected"] == 72.8
    assert m["progress"] is None and m["last_report"] is None


def test_the_day_before_on_and_after_a_due_date() -> None:
    measure = Measure.objects.filter(problem__number="十二").first()
    levels = {}
    for day in [dt.date(2022, 9, 29), dt.date(2022, 9, 30), dt.date(2022, 10, 1)]:
        with at(day):
            deadlines_scan()
        measure.refresh_from_db()
        levels[day.isoformat()] = measure.warning_level
    assert levels == {"2022-09-29": "yellow", "2022-09-30": "yellow", "2022-10-01": "red"}
    keys = set(Warning.objects.filter(measure=measure).values_list("key", "resolved_on"))
    assert ("overdue:2022-09-30", None) in keys
    assert ("due_soon:2022-09-30", dt.date(2022, 10, 1)) in keys


def test_running_the_scan_twice_gives_one_warning_and_one_reminder() -> None:
    with at(dt.date(2022, 10, 8)):
        first = deadlines_scan()
        warnings = Warning.objects.count()
        notifications = Notification.objects.count()
        second = deadlines_scan()
    assert first.raised > 0 and first.reminders > 0
    assert second.raised == 0 and second.reminders == 0 and second.resolved == 0
    assert Warning.objects.count() == warnings and Notification.objects.count() == notifications
    keys = list(Warning.objects.values_list("assignment_id", "key"))
    assert len(keys) == len(set(keys))


def test_a_reminder_names_the_measure_the_deadline_and_the_unit(users: Any, settings: Any) -> None:
    settings.RECTIFY_REMINDER_DIGEST_AFTER = 10_000  # one message per warning
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
    measure = Measure.objects.filter(problem__number="十二").order_by("seq").first()
    share = Assignment.objects.filter(measure=measure, unit__isnull=False).select_related("unit").first()
    n = Notification.objects.filter(dedupe_key=f"warning:{share.pk}:overdue:2022-09-30").order_by("id")
    recipients = {x.recipient.username for x in n}
    assert "city_office" in recipients  # red reaches the city office
    note = n.first()
    assert note.subject.startswith(f"【红色预警】{share.unit.name}（十二）")
    # The deadline is said once (its raw text is itself the date); the unit is the share's own.
    assert "整改时限：2022年9月底\n" in note.body and "（2022-09-30）\n" not in note.body
    assert f"责任单位：{share.unit.name}（牵头）" in note.body and measure.text[:20] in note.body


def test_many_new_warnings_reach_a_person_as_one_short_digest_of_counts(users: Any) -> None:
    with at(dt.date(2022, 10, 8)):
        first = deadlines_scan()
        deadlines_scan()
    mine = Notification.objects.filter(recipient=users["city_office"], kind="warning")
    assert mine.count() == 1
    digest = mine.get()
    # New warnings counted as the board counts them: shares, each at its worst new level.
    reds = Warning.objects.filter(level="red").values("assignment_id").distinct().count()
    assert digest.subject.startswith(f"【预警汇总】新增红色预警 {reds} 项")
    # The body is a few counts by level and unit, not one line per warning (tests/web/test_notifications.py
    # follows every link).
    measure = Measure.objects.filter(problem__number="十二").order_by("seq").first()
    assert f"（十二）{measure.label}" not in digest.body and len(digest.body) <= 600
    red_shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, warning_level="red").count()
    assert f"红色预警 {red_shares} 项" in digest.body
    assert digest.url == "/warnings/"
    # Nobody gets more than one list, and a clerk's list links to the unit's to-do page.
    assert first.reminders == Notification.objects.filter(kind__in=["warning", "missing_report"]).count()
    clerk = Notification.objects.get(recipient=users["county_clerk"], kind="warning")
    assert clerk.url == "/progress/" and "朔城区政府" in clerk.body


def test_catching_up_after_missed_days_records_every_missed_deadline_once(users: Any) -> None:
    # The plan was imported in March 2022 (the demo load stamps today's date).
    Assignment.objects.update(created_at=dt.datetime(2022, 3, 1, tzinfo=SH))
    # The office moved reporting onto the platform from 2022-09-19 (earlier weeks went on paper).
    services.ReportingCalendar.objects.update_or_create(pk=1, defaults={"starts_on": dt.date(2022, 9, 19)})
    with at(dt.date(2022, 9, 19)):
        calendar = services.calendar_get()
        assert calendar.starts_on == dt.date(2022, 9, 19)
        deadlines_scan()
    assert not MissedReport.objects.exists()
    # The county clerk reports on time in week 39 only.
    with at(dt.date(2022, 9, 30), hour=10):
        a = services.required_assignments().filter(unit__name="朔城区政府").first()
        period = periods.week_of(dt.date(2022, 9, 30), services.calendar_rule())
        data = services.ReportInput(progress_text="进展", next_plan="计划", percent=10)
        services.report_save(actor=users["county_clerk"], assignment=a, period=period, data=data, submit=True)
    # No scan for three weeks, then one run.
    with at(dt.date(2022, 10, 17)):
        run = deadlines_scan()
    weeks = set(MissedReport.objects.filter(kind="weekly").values_list("period_start", flat=True))
    assert weeks == {dt.date(2022, 9, 19), dt.date(2022, 9, 26), dt.date(2022, 10, 3), dt.date(2022, 10, 10)}
    assert MissedReport.objects.filter(kind="monthly", period_start=dt.date(2022, 9, 1)).exists()
    assert run.missed == MissedReport.objects.count()
    shuocheng = MissedReport.objects.get(unit__name="朔城区政府", period_start=dt.date(2022, 9, 26), kind="weekly")
    assert shuocheng.missing == shuocheng.required - 1
    clerk_notes = Notification.objects.filter(recipient=users["county_clerk"], kind="missing_report")
    assert clerk_notes.count() == MissedReport.objects.filter(unit__name="朔城区政府").count()
    assert "未按时报送将计入月度通报排名" in clerk_notes.first().body
    with at(dt.date(2022, 10, 17), hour=10):
        again = deadlines_scan()
    assert again.missed == 0 and again.reminders == 0
    assert ScanRun.objects.count() == 3


def test_the_scan_command_accepts_a_date_and_refuses_a_bad_one(capsys: Any) -> None:
    call_command("scan_deadlines", "--today", "2022-10-08", "--no-mail")
    # The first scan assesses every measure; the next day's only those whose warnings may change.
    assert f"2022-10-08 扫描完成：评估全部措施 {Measure.objects.count()} 项" in capsys.readouterr().out
    call_command("scan_deadlines", "--today", "2022-10-09", "--no-mail")
    run = ScanRun.objects.order_by("-pk").first()
    assert run is not None and not run.full and run.measures < Measure.objects.count()
    assert f"2022-10-09 扫描完成：评估措施 {run.measures} 项（自上次扫描以来预警可能变化的" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("scan_deadlines", "--today", "2022-13-01")


def test_the_scheduler_runs_daily_at_its_time_in_shanghai() -> None:
    six = dt.time(6, 30)
    assert next_run(dt.datetime(2022, 10, 8, 6, 0, tzinfo=SH), six) == dt.datetime(2022, 10, 8, 6, 30, tzinfo=SH)
    assert next_run(dt.datetime(2022, 10, 8, 6, 30, tzinfo=SH), six) == dt.datetime(2022, 10, 9, 6, 30, tzinfo=SH)
    # 22:00 UTC is already 06:00 the next morning in Shanghai.
    assert next_run(dt.datetime(2022, 10, 8, 22, 0, tzinfo=dt.UTC), six) == dt.datetime(2022, 10, 9, 6, 30, tzinfo=SH)


def test_the_scheduler_catches_up_once_on_start(capsys: Any) -> None:
    with at(dt.date(2022, 10, 8)):
        call_command("run_scheduler", "--once")
    assert "扫描完成" in capsys.readouterr().out
    assert ScanRun.objects.count() == 1


# --- mail through a real SMTP server -------------------------------------------------------------


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Sink]:
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.RECTIFY_EMAIL_ENABLED = True
    try:
        yield sink
    finally:
        controller.stop()


def test_reminders_are_mailed_once_in_chinese(smtp: Sink, users: Any) -> None:
    users["city_office"].email = "city@example.gov.cn"
    users["city_office"].save()
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
        deadlines_scan()
    to_city = [m for m in smtp.messages if m["To"] == "city@example.gov.cn"]
    sent = Notification.objects.filter(recipient=users["city_office"], email_status="sent")
    assert to_city and len(to_city) == sent.count()
    subjects = [str(m["Subject"]) for m in to_city]
    assert len(subjects) == len(set(subjects))
    body = to_city[0].get_content()
    assert subjects[0].strip().startswith("【督察整改】【预警汇总】")
    assert "红色预警" in body and "涉及：" in body and "个单位" in body and "查看详情：" in body
    # Users without an address are told why no mail went out.
    skipped = Notification.objects.filter(recipient=users["county_clerk"]).first()
    assert skipped.email_status == "skipped" and skipped.email_note == "账号未登记邮箱"


def test_a_mail_server_that_is_down_keeps_the_mail_for_the_next_run(settings: Any, users: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.RECTIFY_EMAIL_ENABLED = "127.0.0.1", port, True
    users["city_office"].email = "city@example.gov.cn"
    users["city_office"].save()
    with at(dt.date(2022, 10, 8)):
        deadlines_scan()
    pending = Notification.objects.filter(recipient=users["city_office"])
    assert pending.exists() and set(pending.values_list("email_status", flat=True)) == {"pending"}
    assert "邮件服务器不可用" in pending.first().email_note


def test_the_xlsx_and_csv_exports_carry_progress_warning_and_last_report(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    out = tmp_path / "ledger.xlsx"
    call_command("export_ledger", str(out), "--as-of", "2022-10-08")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    header = next(r for r in rows if "整改措施" in r)
    assert header[-6:] == ["整改进度", "完成情况", "预警", "预警原因", "最近报送", "销号日期"]
    twelve = next(r for r in rows if r and r[0] == "（十二）")[:-1]
    assert twelve[-3] == "红色" and "2022-09-30" in twelve[-2] and twelve[-5] == "未报送"
    assert twelve[-4] == "完成0/3项，完成率0%"
    csv = tmp_path / "ledger.csv"
    call_command("export_ledger", str(csv), "--as-of", "2022-10-08")
    text = csv.read_text(encoding="utf-8-sig")
    assert "进度,预警,预警原因,最近报送,分单位情况" in text.splitlines()[0]
    assert ",红色," in text and "：已超过整改时限（2022-09-30）" in text


# --- obligations start from the plan, and any day can be replayed -----------------------------------


def test_a_plan_imported_late_owes_reports_from_its_own_start_and_a_past_day_replays() -> None:
    plan = Plan.objects.get()
    # The rows were created today (years after the plan): that must not excuse the weeks before.
    call_command("scan_deadlines", "--today", "2022-06-11", "--no-mail")
    shuocheng = OrgUnit.objects.get(name="朔城区政府")
    rule = services.calendar_rule()
    first_due = next(
        p
        for p in periods.periods_due_between(
            dt.datetime.combine(plan.start_on, dt.time.min, tzinfo=SH),
            dt.datetime.combine(dt.date(2022, 6, 11), dt.time.max, tzinfo=SH),
            rule,
        )
    )
    weeks = set(MissedReport.objects.filter(unit=shuocheng, kind="weekly").values_list("period_start", flat=True))
    expected = {
        p.start
        for p in periods.periods_due_between(
            dt.datetime.combine(plan.start_on, dt.time.min, tzinfo=SH),
            dt.datetime.combine(dt.date(2022, 6, 11), dt.time.max, tzinfo=SH),
            rule,
        )
        if p.kind == "weekly"
    }
    assert first_due.start >= plan.start_on - dt.timedelta(days=6)
    assert weeks == expected and len(weeks) > 10
    # Every measure of the unit was owed (none filed): the record says how many, from an independent count.
    owed = Assignment.objects.filter(unit=shuocheng, measure__isnull=False).count()
    last = MissedReport.objects.filter(unit=shuocheng, kind="weekly").order_by("-period_start").first()
    assert last.required == owed and last.missing == owed
    # Replaying the same day again adds nothing; a later day adds only the weeks after.
    call_command("scan_deadlines", "--today", "2022-06-11", "--no-mail")
    assert (
        set(MissedReport.objects.filter(unit=shuocheng, kind="weekly").values_list("period_start", flat=True)) == weeks
    )
    call_command("scan_deadlines", "--today", "2022-06-25", "--no-mail")
    later = set(MissedReport.objects.filter(unit=shuocheng, kind="weekly").values_list("period_start", flat=True))
    assert weeks < later and len(later - weeks) == 2
    # An earlier day after a later one is still answered as of that day (nothing is lost or duplicated).
    call_command("scan_deadlines", "--today", "2022-06-01", "--no-mail")
    assert (
        set(MissedReport.objects.filter(unit=shuocheng, kind="weekly").values_list("period_start", flat=True)) == later
    )


def test_the_instance_date_setting_moves_today_for_the_whole_instance(settings: Any) -> None:
    from rectify.core import clock

    settings.RECTIFY_TODAY = "2022-08-29"
    assert clock.today() == dt.date(2022, 8, 29)
    assert clock.now().astimezone(SH).date() == dt.date(2022, 8, 29)
    run = deadlines_scan(send_mail=False)
    assert run.today == dt.date(2022, 8, 29)
    settings.RECTIFY_TODAY = ""
    assert clock.today() != dt.date(2022, 8, 29)
