"""Supervision notices on the escalation ladder, proposals from the warning history, gapless
numbering (also under concurrent issue, on PostgreSQL), flags, extensions and on-site records."""

from __future__ import annotations

import datetime as dt
import random
import threading
import uuid
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection, connections, transaction

from rectify.audit.models import AuditEvent
from rectify.core import clock
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.models import Counter
from rectify.core.numbering import next_number
from rectify.notifications.models import Notification
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans.models import Assignment, Measure, Milestone, Problem
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.periods import SHANGHAI
from rectify.supervision import extensions, flags, notices, proposals, visits
from rectify.supervision.models import (
    EXTENSION_TRANSITIONS,
    NOTICE_TRANSITIONS,
    ExtensionStatus,
    NoticeKind,
    NoticeStatus,
    SupervisionNotice,
)
from rectify.supervision.services import deadlines_scan
from tests.domain.test_state_machines import documented

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI), tick=False)


def shuocheng() -> OrgUnit:
    return OrgUnit.objects.get(name="朔城区政府")


def red_measures(unit: OrgUnit) -> list[Measure]:
    """The measures on which the unit's OWN share is red (not the measures' roll-up)."""
    return list(
        Measure.objects.filter(assignments__unit=unit, assignments__warning_level="red")
        .select_related("problem")
        .order_by("pk")
    )


def clerk_of(name: str) -> User:
    """A clerk for a unit the demo has no clerk for."""
    unit = OrgUnit.objects.get(name=name)
    user = User.objects.create(username=f"clerk-{unit.pk}", first_name=f"{name}联络员")
    Membership.objects.create(user=user, unit=unit, role=Role.CLERK)
    return user


def share(measure: Measure, unit: str) -> Assignment:
    return Assignment.objects.get(measure=measure, unit__name=unit)


def report(user: Any, measure: Measure, unit: str, percent: int, *, milestones: list[int] | None = None) -> Any:
    data = progress.ReportInput(
        progress_text="已完成排查", next_plan="下周整改", percent=percent, milestones_reached=milestones or []
    )
    period = periods.week_of(clock.today(), progress.calendar_rule())
    return progress.report_save(actor=user, assignment=share(measure, unit), period=period, data=data, submit=True)


def draft(users: Any, kind: str = NoticeKind.REMINDER, measures: list[Measure] | None = None) -> SupervisionNotice:
    unit = shuocheng()
    data = notices.NoticeInput(kind=kind, unit=unit, measures=measures if measures is not None else red_measures(unit))
    return notices.notice_draft(actor=users["city_office"], data=data)


@pytest.fixture
def scanned() -> None:
    with at(dt.date(2022, 10, 8)):
        deadlines_scan(send_mail=False)


def test_notice_transitions_match_the_document() -> None:
    code = {(a, b) for a, targets in NOTICE_TRANSITIONS.items() for b in targets}
    assert documented("SupervisionNotice") == code
    assert set(NOTICE_TRANSITIONS) == set(NoticeStatus.values)
    code = {(a, b) for a, targets in EXTENSION_TRANSITIONS.items() for b in targets}
    assert documented("ExtensionRequest") == code


def test_a_draft_is_written_from_the_units_own_shares(users: Any, scanned: None) -> None:
    reds = red_measures(shuocheng())
    with at(dt.date(2022, 10, 8)):
        notice = draft(users, measures=reds[:3])  # up to 3 tasks: set out in full in the body
        listed = draft(users)  # more: counted in the body, listed in the 附件
    m = reds[0]
    assert notice.title == "关于朔城区政府督察整改任务推进滞后的提醒函"
    assert f"（{m.problem.number}）{m.label}" in notice.body and "整改时限2022年9月" in notice.body
    assert "红色预警" in notice.body and "至今未报送进展" in notice.body
    # One line per measure, each with its full text and the unit's own (red, unreported) share.
    lines = [line for line in notice.body.splitlines() if line[:1].isdigit()]
    assert len(lines) == 3 and all("你单位至今未报送进展，已列为红色预警" in line for line in lines)
    assert " ".join(m.text.split()).rstrip("。；;，, ") in lines[0] and "…" not in notice.body
    assert len(reds) > 3 and f"{len(reds)}项督察整改任务" in listed.body and "见附件" in listed.body
    assert not any(line[:1].isdigit() for line in listed.body.splitlines())
    assert notice.number == "" and notice.response_due == dt.date(2022, 10, 15)
    assert notice.issuer.name == "市生态环境保护督察整改工作领导小组办公室"


def test_issuing_numbers_per_kind_and_year_without_gaps_and_tells_the_unit(users: Any, scanned: None) -> None:
    with at(dt.date(2022, 10, 8)):
        first = notices.notice_issue(actor=users["city_office"], notice=draft(users))
        second = notices.notice_issue(actor=users["city_office"], notice=draft(users))
        urge = notices.notice_issue(actor=users["city_office"], notice=draft(users, NoticeKind.URGE))
    assert first.number == "朔整改办函〔2022〕1号" and second.number == "朔整改办函〔2022〕2号"
    assert urge.number == "朔整改办督〔2022〕1号"
    with at(dt.date(2023, 1, 3)):
        next_year = notices.notice_issue(actor=users["city_office"], notice=draft(users))
    assert next_year.number == "朔整改办函〔2023〕1号"
    note = Notification.objects.get(recipient=users["county_clerk"], dedupe_key__startswith=f"notice:{first.pk}:")
    assert note.subject.startswith("【提醒函】朔整改办函〔2022〕1号") and "2022年10月15日前" in note.body


def test_a_failed_issue_gives_its_number_back(users: Any, scanned: None) -> None:
    notice = draft(users)
    with at(dt.date(2022, 10, 8)):
        with pytest.raises(RuntimeError), transaction.atomic():
            notices.notice_issue(actor=users["city_office"], notice=notice)
            raise RuntimeError("the request failed after numbering")
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.DRAFT and notice.number == ""
        issued = notices.notice_issue(actor=users["city_office"], notice=notice)
    assert issued.number == "朔整改办函〔2022〕1号"


def test_a_notice_cannot_skip_a_rung_without_a_recorded_reason(users: Any, scanned: None) -> None:
    circular = draft(users, NoticeKind.CIRCULAR)
    with at(dt.date(2022, 10, 8)):
        with pytest.raises(DomainError, match=r"下一步应为“提醒函”.*属越级"):
            notices.notice_issue(actor=users["city_office"], notice=circular)
        issued = notices.notice_issue(
            actor=users["city_office"], notice=circular, skip_reason="性质恶劣，市领导批示直接通报"
        )
    assert issued.status == NoticeStatus.ISSUED and issued.skip_reason.startswith("性质恶劣")
    # One rung up is fine without a reason; 约谈 is beside the ladder.
    with at(dt.date(2022, 10, 9)):
        reminder = notices.notice_issue(actor=users["city_office"], notice=draft(users, NoticeKind.REMINDER))
        urge = notices.notice_issue(actor=users["city_office"], notice=draft(users, NoticeKind.URGE))
        interview = notices.notice_issue(actor=users["city_office"], notice=draft(users, NoticeKind.INTERVIEW))
    assert reminder.skip_reason == urge.skip_reason == interview.skip_reason == ""
    assert shuocheng().flags == ["interview"]  # 约谈 marks the unit wherever it appears


def test_reply_return_escalate_and_close(users: Any, scanned: None) -> None:
    with at(dt.date(2022, 10, 8)):
        reminder = notices.notice_issue(actor=users["city_office"], notice=draft(users))
    with at(dt.date(2022, 10, 10)):
        with pytest.raises(Forbidden):
            notices.notice_reply(actor=users["dept_clerk"], notice=reminder, text="与我无关")
        with pytest.raises(DomainError, match="请填写"):
            notices.notice_reply(actor=users["county_clerk"], notice=reminder, text="  ")
        with pytest.raises(DomainError, match="不支持的文件类型"):
            notices.notice_reply(
                actor=users["county_clerk"], notice=reminder, text="已制定方案", files=[("a.txt", b"x")]
            )
    reminder.refresh_from_db()
    assert reminder.status == NoticeStatus.ISSUED  # a refused file loses nothing and changes nothing
    with at(dt.date(2022, 10, 10)):
        notices.notice_reply(actor=users["county_clerk"], notice=reminder, text="已制定整改方案，正在推进")
        notices.notice_return_reply(actor=users["city_office"], notice=reminder, reason="请附现场照片")
        assert reminder.status == NoticeStatus.ISSUED and reminder.return_reason == "请附现场照片"
        notices.notice_reply(actor=users["county_clerk"], notice=reminder, text="已补充照片")
        urge = notices.notice_escalate(actor=users["city_office"], notice=reminder)
    assert urge.kind == NoticeKind.URGE and urge.status == NoticeStatus.DRAFT and urge.escalated_from == reminder
    assert set(urge.measures.all()) == set(reminder.measures.all())
    reminder.refresh_from_db()
    assert reminder.status == NoticeStatus.REPLIED  # escalated only once the 督办通知 is issued
    with at(dt.date(2022, 10, 22)):
        notices.notice_issue(actor=users["city_office"], notice=urge)
    reminder.refresh_from_db()
    assert reminder.status == NoticeStatus.ESCALATED
    with at(dt.date(2022, 10, 25)):
        notices.notice_close(actor=users["city_office"], notice=urge, note="整改到位")
        with pytest.raises(ConcurrentChange, match="已被他人处理"):
            notices.notice_close(actor=users["city_office"], notice=urge, note="再办结一次")


def test_only_the_units_office_issues_and_the_county_office_only_inside_its_county(users: Any) -> None:
    dept = OrgUnit.objects.get(name="市生态环境局")
    data = notices.NoticeInput(kind=NoticeKind.REMINDER, unit=dept, measures=[])
    for who in ["county_office", "county_clerk", "leader", "acceptance", "sysadmin"]:
        with pytest.raises(Forbidden):
            notices.notice_draft(actor=users[who], data=data)
    county = notices.notice_draft(
        actor=users["county_office"], data=notices.NoticeInput(kind="reminder", unit=shuocheng(), measures=[])
    )
    assert county.issuer.name == "朔城区整改办"
    with at(dt.date(2022, 10, 8)):
        assert notices.notice_issue(actor=users["county_office"], notice=county).number == "朔城整改办函〔2022〕1号"


def test_proposals_come_from_the_warning_history_and_need_a_person(users: Any) -> None:
    with at(dt.date(2022, 10, 8)):
        deadlines_scan(send_mail=False)
        assert proposals.proposals(viewer=users["city_office"]) == []  # red for less than a week
    with at(dt.date(2022, 10, 16)):
        deadlines_scan(send_mail=False)
        proposed = proposals.proposals(viewer=users["city_office"])
    reminder = next(p for p in proposed if p.unit == shuocheng())
    assert reminder.kind == NoticeKind.REMINDER and "红色预警" in reminder.reason and reminder.notice is None
    assert proposals.proposals(viewer=users["county_clerk"]) == []
    assert not SupervisionNotice.objects.exists()  # nothing is drafted, let alone sent, by itself
    with at(dt.date(2022, 10, 16)):
        d = proposals.proposal_confirm(
            actor=users["city_office"],
            kind=reminder.kind,
            unit=reminder.unit,
            measures=reminder.measures,
            reason=reminder.reason,
        )
        notices.notice_issue(actor=users["city_office"], notice=d)
        assert all(p.unit != shuocheng() for p in proposals.proposals(viewer=users["city_office"]))
    # Still red two weeks after the 提醒函: the next rung is proposed.
    with at(dt.date(2022, 10, 31)):
        deadlines_scan(send_mail=False)
        escalation = next(p for p in proposals.proposals(viewer=users["city_office"]) if p.unit == shuocheng())
    assert escalation.kind == NoticeKind.URGE and escalation.notice == d and "印发已15天" in escalation.reason


# --- issue 11: every unit answers for its own share ----------------------------------------------


def groundwater() -> Measure:
    """（七）措施21: 16 lead units (6 county committees, 6 county governments, the development
    zone's two bodies, 市水利局, 市行政审批局), a milestone "2022年6月底前", due 2022年12月底."""
    m = Measure.objects.select_related("problem").get(problem__number="七", number="21")
    assert Assignment.objects.filter(measure=m, role="lead", unit__isnull=False).count() == 16
    return m


def reported_journey(users: Any) -> tuple[Measure, User]:
    """All 16 shares red on 1 October (the June milestone passed); 朔城区政府 reports 100 % with
    the milestone reached and the county office accepts; 市水利局 reports 30 %; the others nothing;
    the scan runs on 8 October."""
    m = groundwater()
    milestone = Milestone.objects.get(measure=m)
    water = clerk_of("市水利局")
    with at(dt.date(2022, 10, 1)):
        deadlines_scan(send_mail=False)
    with at(dt.date(2022, 10, 5)):
        mine = report(users["county_clerk"], m, "朔城区政府", 100, milestones=[milestone.pk])
        progress.report_accept(actor=users["county_office"], report=mine)
        report(water, m, "市水利局", 30)
    with at(dt.date(2022, 10, 8)):
        deadlines_scan(send_mail=False)
    return m, water


def test_a_unit_that_reported_100_is_green_is_never_proposed_and_letters_quote_each_units_own_share(
    users: Any,
) -> None:
    m, _ = reported_journey(users)
    levels = dict(Assignment.objects.filter(measure=m).values_list("unit__name", "warning_level"))
    assert levels.pop("朔城区政府") == "green"
    assert levels["市水利局"] == "red" and set(levels.values()) == {"red"}  # the June milestone, still open
    m.refresh_from_db()
    assert m.warning_level == "red"  # the roll-up: what the old, measure-level proposals went by

    with at(dt.date(2022, 10, 8)):  # red since 1 October: the reminder delay (7 days) has passed
        proposed = proposals.proposals(viewer=users["city_office"])
    naming = {p.unit.name for p in proposed if m in p.measures}
    assert "朔城区政府" not in naming
    assert naming == set(levels)  # every other lead unit, each about its own red share
    for p in proposed:
        assert all(a.unit_id == p.unit.pk and a.warning_level == "red" for a in p.shares)
        assert [a.measure_id for a in p.shares] == [x.pk for x in p.measures]

    # A 提醒函 to 市水利局 quotes 市水利局's own progress, read here straight from its share.
    water_share = Assignment.objects.get(measure=m, unit__name="市水利局")
    assert water_share.progress == 30
    average = f"{m.progress:g}%"
    assert m.progress is not None and average not in ("30%", "100%")
    with at(dt.date(2022, 10, 8)):
        letter = notices.notice_draft(
            actor=users["city_office"],
            data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=water_share.unit, measures=[m]),
        )
        silent = notices.notice_draft(
            actor=users["city_office"],
            data=notices.NoticeInput(
                kind=NoticeKind.REMINDER, unit=OrgUnit.objects.get(name="平鲁区政府"), measures=[m]
            ),
        )
    assert f"你单位目前报送进度{water_share.progress}%" in letter.body and "已列为红色预警" in letter.body
    assert average not in letter.body and "至今未报送进展" not in letter.body
    assert "你单位至今未报送进展" in silent.body and "报送进度" not in silent.body
    for body in (letter.body, silent.body):
        assert body.count("2022年12月底") == 1 and "2022年12月31日" not in body  # the deadline said once


def test_an_open_notice_is_not_escalated_once_the_units_own_share_turned_green(users: Any) -> None:
    m = groundwater()
    milestone = Milestone.objects.get(measure=m)
    with at(dt.date(2022, 10, 1)):
        deadlines_scan(send_mail=False)
        letter = notices.notice_issue(actor=users["city_office"], notice=draft(users, measures=[m]))
    with at(dt.date(2022, 10, 5)):
        mine = report(users["county_clerk"], m, "朔城区政府", 100, milestones=[milestone.pk])
        progress.report_accept(actor=users["county_office"], report=mine)
    with at(dt.date(2022, 10, 20)):  # 19 days after the 提醒函; the measure is still red for the others
        deadlines_scan(send_mail=False)
        proposed = proposals.proposals(viewer=users["city_office"])
    assert Measure.objects.get(pk=m.pk).warning_level == "red"
    assert share(m, "朔城区政府").warning_level == "green"
    assert not [p for p in proposed if p.notice == letter]
    assert not [p for p in proposed if p.unit.name == "朔城区政府" and m in p.measures]


def test_a_support_share_never_calls_for_a_proposal(users: Any) -> None:
    m = groundwater()
    Assignment.objects.filter(measure=m, unit__name="市行政审批局").update(role=Assignment.RoleKind.SUPPORT)
    with at(dt.date(2022, 10, 1)):
        deadlines_scan(send_mail=False)
    with at(dt.date(2022, 10, 9)):
        deadlines_scan(send_mail=False)
        proposed = proposals.proposals(viewer=users["city_office"])
    assert share(m, "市行政审批局").warning_level == "red"
    assert {p.unit.name for p in proposed if m in p.measures} >= {"市水利局", "朔城区政府"}
    assert "市行政审批局" not in {p.unit.name for p in proposed if m in p.measures}


def dust() -> Measure:
    """（二十）措施47: 15 lead units, among them 市生态环境局 and 朔城区政府; due 2022年12月底."""
    m = Measure.objects.select_related("problem").get(problem__number="二十", number="47")
    assert m.due_on == dt.date(2022, 12, 31) and m.deadline_kind == "date"
    return m


def test_an_extension_moves_only_the_requesting_units_share(users: Any) -> None:
    m = dust()
    unit = shuocheng()
    before = dict(Assignment.objects.filter(measure=m).exclude(unit=unit).values_list("pk", "due_on"))
    assert len(before) == 14 and set(before.values()) == {dt.date(2022, 12, 31)}
    with at(dt.date(2022, 12, 1)):
        ext = extensions.extension_request(
            actor=users["county_clerk"], measure=m, unit=unit, reason="冬季停工", requested_due=dt.date(2023, 6, 30)
        )
        # Another unit's request on the same measure is its own (one pending request per share).
        other = extensions.extension_request(
            actor=users["dept_clerk"],
            measure=m,
            unit=OrgUnit.objects.get(name="市生态环境局"),
            reason="设备采购",
            requested_due=dt.date(2023, 2, 28),
        )
        assert other.status == ExtensionStatus.PENDING and other.old_due == dt.date(2022, 12, 31)
        extensions.extension_decide(
            actor=users["county_office"], ext=ext, approve=True, note="同意", approved_due=dt.date(2023, 3, 31)
        )
    rows = {
        pk: (due, extended)
        for pk, due, extended in Assignment.objects.filter(measure=m).values_list("pk", "due_on", "due_extended")
    }
    mine = Assignment.objects.get(measure=m, unit=unit)
    assert rows.pop(mine.pk) == (dt.date(2023, 3, 31), True)
    assert rows == {pk: (due, False) for pk, due in before.items()}  # every other share keeps its date
    assert Measure.objects.get(pk=m.pk).due_on == dt.date(2022, 12, 31)  # and so does the measure
    event = AuditEvent.objects.filter(action="extension.approved").latest("id")
    assert event.after["unit"] == "朔城区政府" and event.after["due_on"] == "2023-03-31"
    note = Notification.objects.get(recipient=users["county_clerk"], dedupe_key=f"extension:{ext.pk}:decided")
    assert (
        "朔城区政府" in note.subject and "2023年3月31日" in note.subject and "其他责任单位的整改时限不变" in note.body
    )

    # After 31 December the other units are overdue; 朔城区政府 is not, and it may still ask again
    # before its own date while a unit whose date has passed may not.
    with at(dt.date(2023, 1, 5)):
        deadlines_scan(send_mail=False)
        levels = dict(Assignment.objects.filter(measure=m).values_list("unit__name", "warning_level"))
        reasons = Assignment.objects.get(pk=mine.pk).warning_reasons
        assert levels.pop("朔城区政府") != "red" and not [r for r in reasons if r["code"] == "overdue"]
        assert set(levels.values()) == {"red"}
        again = extensions.extension_request(
            actor=users["county_clerk"], measure=m, unit=unit, reason="仍需时间", requested_due=dt.date(2023, 6, 30)
        )
        assert again.old_due == dt.date(2023, 3, 31)
        extensions.extension_decide(actor=users["city_office"], ext=other, approve=False, note="理由不充分")
        with pytest.raises(DomainError, match="2022年12月31日）已过"):
            extensions.extension_request(
                actor=users["dept_clerk"],
                measure=m,
                unit=OrgUnit.objects.get(name="市生态环境局"),
                reason="补申请",
                requested_due=dt.date(2023, 2, 28),
            )


def test_the_county_office_cannot_decide_a_city_departments_extension(users: Any) -> None:
    m = dust()
    dept = OrgUnit.objects.get(name="市生态环境局")
    with at(dt.date(2022, 12, 1)):
        ext = extensions.extension_request(
            actor=users["dept_clerk"], measure=m, unit=dept, reason="设备采购", requested_due=dt.date(2023, 2, 28)
        )
        with pytest.raises(Forbidden):
            extensions.extension_decide(
                actor=users["county_office"], ext=ext, approve=True, note="同意", approved_due=dt.date(2023, 2, 28)
            )
        with pytest.raises(Forbidden):
            extensions.extension_decide(actor=users["county_office"], ext=ext, approve=False, note="不同意")
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.PENDING
    assert Assignment.objects.get(measure=m, unit=dept).due_on == dt.date(2022, 12, 31)
    with at(dt.date(2022, 12, 2)):
        extensions.extension_decide(actor=users["city_office"], ext=ext, approve=True, note="同意")
    assert Assignment.objects.get(measure=m, unit=dept).due_on == dt.date(2023, 2, 28)


def test_extension_is_asked_before_the_deadline_and_keeps_the_old_date(users: Any, scanned: None) -> None:
    unit = shuocheng()
    measure = Measure.objects.filter(assignments__unit=unit, due_on=dt.date(2022, 12, 31), deadline_kind="date").first()
    assert measure is not None
    with at(dt.date(2023, 1, 2)):
        with pytest.raises(DomainError, match="已过，延期须在到期前申请"):
            extensions.extension_request(
                actor=users["county_clerk"],
                measure=measure,
                unit=unit,
                reason="冬季停工",
                requested_due=dt.date(2023, 6, 30),
            )
    with at(dt.date(2022, 12, 1)):
        with pytest.raises(Forbidden):
            extensions.extension_request(
                actor=users["dept_clerk"], measure=measure, unit=unit, reason="x", requested_due=dt.date(2023, 6, 30)
            )
        ext = extensions.extension_request(
            actor=users["county_clerk"],
            measure=measure,
            unit=unit,
            reason="冬季停工",
            requested_due=dt.date(2023, 6, 30),
        )
        with pytest.raises(DomainError, match="待审批"):
            extensions.extension_request(
                actor=users["county_clerk"],
                measure=measure,
                unit=unit,
                reason="再申请",
                requested_due=dt.date(2023, 5, 1),
            )
        with pytest.raises(Forbidden):
            extensions.extension_decide(actor=users["county_clerk"], ext=ext, approve=True, note="")
        extensions.extension_decide(
            actor=users["city_office"], ext=ext, approve=True, note="同意", approved_due=dt.date(2023, 3, 31)
        )
        with pytest.raises(ConcurrentChange, match="已被他人处理"):
            extensions.extension_decide(actor=users["city_office"], ext=ext, approve=False, note="不同意")
    measure.refresh_from_db()
    ext.refresh_from_db()
    mine = Assignment.objects.get(measure=measure, unit=unit)
    # The unit's share moved; the measure keeps its date (issue 11: an extension is per share).
    assert mine.due_on == dt.date(2023, 3, 31) and mine.due_extended
    assert measure.due_on == dt.date(2022, 12, 31) and ext.old_due == dt.date(2022, 12, 31)
    assert ext.status == ExtensionStatus.APPROVED
    assert mine.warning_level in ("green", "yellow")  # re-assessed at once


def test_flags_show_on_the_problem_and_are_lifted_with_a_reason(users: Any) -> None:
    problem = Problem.objects.get(number="十二")
    with pytest.raises(Forbidden):
        flags.flag_set(actor=users["county_office"], kind="listed", reason="进展缓慢", problem=problem)
    flag = flags.flag_set(actor=users["city_office"], kind="listed", reason="进展缓慢", problem=problem)
    again = flags.flag_set(actor=users["city_office"], kind="listed", reason="重复", problem=problem)
    assert again.pk == flag.pk
    problem.refresh_from_db()
    assert problem.flags == ["listed"]
    with pytest.raises(DomainError, match="解除理由"):
        flags.flag_lift(actor=users["city_office"], flag=flag, reason="")
    flags.flag_lift(actor=users["city_office"], flag=flag, reason="整改到位")
    problem.refresh_from_db()
    assert problem.flags == []


def test_an_on_site_visit_records_tasks_and_photos_and_tells_the_units(users: Any) -> None:
    from tests.web.test_weekly_loop import png

    region = OrgUnit.objects.get(name="平鲁区")
    unit = OrgUnit.objects.get(name="平鲁区政府")
    with at(dt.date(2022, 10, 20)):
        visit = visits.visit_record(
            actor=users["city_office"],
            data=visits.VisitInput(
                visited_on=dt.date(2022, 10, 19),
                region=region,
                title="平鲁区区长深入现场督导交办案件整改工作",
                leaders="区委副书记、区长马占文",
                places="向阳堡乡东平太村",
                findings="一要高度重视林木管护；二要从严查处毁林行为。",
                problems=[Problem.objects.get(number="十八")],
                tasks=[(unit, "补植杨树 130 株", dt.date(2022, 11, 30))],
                files=[("现场.png", png())],
            ),
        )
        with pytest.raises(DomainError, match="请填写：标题"):
            visits.visit_record(
                actor=users["city_office"],
                data=visits.VisitInput(dt.date(2022, 10, 19), region, "", "x", "y", "z"),
            )
    assert visit.tasks.get().unit == unit and visit.photos.get().is_image
    with pytest.raises(Forbidden):
        visits.visit_record(
            actor=users["county_office"], data=visits.VisitInput(dt.date(2022, 10, 19), region, "t", "l", "p", "f")
        )


# --- numbering under concurrency --------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers")
def test_concurrent_issuers_get_gapless_unique_numbers_even_when_some_roll_back() -> None:
    """8 threads, each on its own connection, take 25 numbers each; about a third of the
    transactions roll back after taking theirs. The committed numbers are exactly 1..N."""
    scope = f"concurrency-{uuid.uuid4().hex}"
    committed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(25):
                try:
                    with transaction.atomic():
                        n = next_number(scope, 2022)
                        if rng.random() < 0.33:
                            raise KeyError("rolled back")
                except KeyError:
                    continue
                with lock:
                    committed.append(n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors
        assert sorted(committed) == list(range(1, len(committed) + 1))
        assert 100 < len(committed) < 200
    finally:
        Counter.objects.filter(scope=scope).delete()
