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
from django.db import connection, connections, transaction

from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.core.models import Counter
from rectify.core.numbering import next_number
from rectify.notifications.models import Notification
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Measure, Problem
from rectify.progress.periods import SHANGHAI
from rectify.supervision import extensions, flags, notices, visits
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
    return list(
        Measure.objects.filter(assignments__unit=unit, warning_level="red").select_related("problem").order_by("pk")
    )


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


def test_a_draft_is_written_from_the_data_of_its_measures(users: Any, scanned: None) -> None:
    with at(dt.date(2022, 10, 8)):
        notice = draft(users)
    m = red_measures(shuocheng())[0]
    assert notice.title == "关于朔城区政府督察整改任务推进滞后的提醒函"
    assert f"（{m.problem.number}）{m.label}" in notice.body and "2022年9月30日" in notice.body
    assert "红色预警" in notice.body and "至今未报送进展" in notice.body
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
        assert notices.proposals(viewer=users["city_office"]) == []  # red for less than a week
    with at(dt.date(2022, 10, 16)):
        deadlines_scan(send_mail=False)
        proposed = notices.proposals(viewer=users["city_office"])
    reminder = next(p for p in proposed if p.unit == shuocheng())
    assert reminder.kind == NoticeKind.REMINDER and "红色预警" in reminder.reason and reminder.notice is None
    assert notices.proposals(viewer=users["county_clerk"]) == []
    assert not SupervisionNotice.objects.exists()  # nothing is drafted, let alone sent, by itself
    with at(dt.date(2022, 10, 16)):
        d = notices.proposal_confirm(
            actor=users["city_office"],
            kind=reminder.kind,
            unit=reminder.unit,
            measures=reminder.measures,
            reason=reminder.reason,
        )
        notices.notice_issue(actor=users["city_office"], notice=d)
        assert all(p.unit != shuocheng() for p in notices.proposals(viewer=users["city_office"]))
    # Still red two weeks after the 提醒函: the next rung is proposed.
    with at(dt.date(2022, 10, 31)):
        deadlines_scan(send_mail=False)
        escalation = next(p for p in notices.proposals(viewer=users["city_office"]) if p.unit == shuocheng())
    assert escalation.kind == NoticeKind.URGE and escalation.notice == d and "印发已15天" in escalation.reason


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
    assert measure.due_on == dt.date(2023, 3, 31) and ext.old_due == dt.date(2022, 12, 31)
    assert ext.status == ExtensionStatus.APPROVED
    assert measure.warning_level == "green" or measure.warning_level == "yellow"  # re-assessed at once


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
