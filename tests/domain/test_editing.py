"""Self-found problems and editing by hand (plans.editing) and 包联领导 (plans.leaders).

A problem added by hand gets the next number of its plan and the very rows an imported problem has;
it goes through the weekly loop and close-out to 销号 like one; a measure's text, units and deadline
change with an audit trail; a share with a history is never dropped silently; a stale form is
refused; the roll-ups stay true after every change (computed again here, independently); and a
leader's own list shows figures that plain queries written here agree with.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path
from typing import Any

import pytest
import time_machine

from rectify.audit.models import AuditEvent
from rectify.closeout import services as closeout
from rectify.closeout.models import CloseoutStatus
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans import editing, leaders
from rectify.plans.editing import MeasureInput, UnitRole
from rectify.plans.models import (
    Assignment,
    Chapter,
    ItemSource,
    ItemStatus,
    Measure,
    Plan,
    Problem,
    ProblemLeader,
    ShareStatus,
    WarningLevel,
)
from rectify.progress import periods
from rectify.progress import services as progress
from rectify.progress.models import ReportStatus
from rectify.progress.periods import SHANGHAI
from rectify.supervision import notices
from rectify.supervision.services import deadlines_scan
from tests.domain.test_closeout import photo

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day: dt.date, hour: int = 10) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI), tick=False)


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def seed_plan() -> Plan:
    return Plan.objects.order_by("pk").first()  # type: ignore[return-value]


def chapter(number: str = "三") -> Chapter:
    return Chapter.objects.get(plan=seed_plan(), number=number)


def add_problem(users: Any, *units: UnitRole, deadline: str = "2022年11月底前", **extra: Any) -> Problem:
    values: dict[str, Any] = {
        "plan": seed_plan(),
        "chapter": chapter(),
        "text": "举一反三排查发现，部分砖瓦企业脱硫设施不正常运行。",
        "goal": "设施全部正常运行。",
        "responsible_person": "市政府分管副市长",
        "acceptance_unit": unit("市生态环境局"),
        "deadline": deadline,
        "source": ItemSource.EXTRAPOLATION,
        "measures": [
            MeasureInput(
                text="开展砖瓦行业专项执法检查，督促完成提标改造。",
                units=list(units) or [UnitRole(unit("市生态环境局")), UnitRole(unit("市工信局"), editing.SUPPORT)],
            )
        ],
    }
    values.update(extra)
    return editing.problem_create(actor=users["city_office"], **values)


# --- the roll-up rule, computed here without plans.rollup ------------------------------------------------

ACCEPTED = {ShareStatus.COMPLETED, ShareStatus.CLOSED, ShareStatus.ONGOING}
DONE = ACCEPTED | {ShareStatus.APPLYING}
RANK = {"": -1, "green": 0, "yellow": 1, "red": 2}


def expected_measure(measure: Measure) -> tuple[Any, str, str]:
    shares = list(
        Assignment.objects.filter(measure=measure, unit__isnull=False).values(
            "role", "progress", "status", "warning_level"
        )
    )
    counted = [s for s in shares if s["role"] == "lead"] or shares
    values = [100 if s["status"] in ACCEPTED else s["progress"] for s in counted]
    mean = None if all(v is None for v in values) else round(math.fsum(v or 0 for v in values) / len(values), 1)
    worst = max((s["warning_level"] for s in counted), key=lambda lv: RANK[lv], default="")
    statuses = {s["status"] for s in counted}
    if statuses <= {ShareStatus.CLOSED, ShareStatus.ONGOING}:
        status = ItemStatus.ONGOING if ShareStatus.ONGOING in statuses else ItemStatus.CLOSED
    elif statuses <= DONE:
        status = ItemStatus.COMPLETED
    else:
        status = ItemStatus.IN_PROGRESS
    return mean, worst, status


def assert_rollups_true(problem: Problem) -> None:
    measures = list(Measure.objects.filter(problem=problem))
    for m in measures:
        assert (m.progress, m.warning_level, m.status) == expected_measure(m), m.label
    problem.refresh_from_db()
    parts = [m.progress for m in measures]
    mean = None if all(v is None for v in parts) else round(math.fsum(v or 0 for v in parts) / len(parts), 1)
    assert problem.progress == mean
    assert problem.warning_level == max((m.warning_level for m in measures), key=lambda lv: RANK[lv], default="")


def problem_units(problem: Problem) -> set[tuple[str, str]]:
    return set(
        Assignment.objects.filter(problem=problem, measure__isnull=True, unit__isnull=False).values_list(
            "unit__name", "role"
        )
    )


def expected_problem_units(problem: Problem) -> set[tuple[str, str]]:
    """Each unit holding a share of the problem once: 牵头 if it leads any of its measures."""
    shares = Assignment.objects.filter(problem=problem).exclude(measure=None).exclude(unit=None)
    names = set(shares.values_list("unit__name", flat=True))
    leads = set(shares.filter(role="lead").values_list("unit__name", flat=True))
    return {(name, "lead" if name in leads else "support") for name in names}


def share_units(measure: Measure) -> set[tuple[str, str]]:
    return set(Assignment.objects.filter(measure=measure, unit__isnull=False).values_list("unit__name", "role"))


# --- adding a problem --------------------------------------------------------------------------------------


def test_a_problem_added_by_hand_is_numbered_next_and_written_like_an_imported_one(users: Any) -> None:
    imported = Problem.objects.get(plan=seed_plan(), number="三十四")
    problem = add_problem(users)
    assert (problem.number, problem.index, problem.label) == ("三十五", 35, "（三十五）")
    assert problem.source == ItemSource.EXTRAPOLATION and problem.status == ItemStatus.IN_PROGRESS
    assert (problem.deadline_kind, problem.due_on) == ("date", dt.date(2022, 11, 30))
    assert problem.acceptance_unit_name == "市生态环境局"
    (measure,) = Measure.objects.filter(problem=problem)
    # The seed numbers its measures through the whole plan (1.…91.): the new one is 92.
    assert measure.number == "92"
    assert measure.source == ItemSource.EXTRAPOLATION
    # The measure inherits the problem's deadline, and every share its measure's due date, as an import does.
    assert (measure.deadline_raw, measure.due_on) == (problem.deadline_raw, problem.due_on)
    shares = Assignment.objects.filter(measure=measure)
    assert {(a.unit.name, a.role, a.status, a.due_on) for a in shares} == {
        ("市生态环境局", "lead", ShareStatus.NOT_STARTED, dt.date(2022, 11, 30)),
        ("市工信局", "support", ShareStatus.NOT_STARTED, dt.date(2022, 11, 30)),
    }
    assert problem_units(problem) == share_units(measure) == expected_problem_units(problem)
    # The same kinds of rows, with the same fields filled, as an imported problem.
    for field in ("phrase", "needs_confirmation", "due_extended", "progress"):
        assert {getattr(a, field) is None or bool(getattr(a, field)) for a in shares} == {
            getattr(a, field) is None or bool(getattr(a, field))
            for a in Assignment.objects.filter(measure__problem=imported)
        }
    event = AuditEvent.objects.get(action="problem.created", object_id=str(problem.pk))
    assert event.parent_id == str(seed_plan().pk) and event.after["source"] == "举一反三"
    assert event.after["measures"][0]["units"] == ["市生态环境局（牵头）", "市工信局（配合）"]
    assert_rollups_true(problem)


def test_the_next_problem_takes_the_following_number(users: Any) -> None:
    first = add_problem(users)
    second = add_problem(users, deadline="立行立改、长期坚持", source=ItemSource.SELF_CHECK)
    assert (first.number, second.number) == ("三十五", "三十六")
    assert second.deadline_kind == "immediate_ongoing" and second.source == ItemSource.SELF_CHECK


def test_bad_input_is_refused_field_by_field_in_chinese_and_nothing_is_written(users: Any) -> None:
    before = Problem.objects.count(), Measure.objects.count(), Assignment.objects.count()
    other_plan_chapter = Chapter(plan=Plan(pk=999_999), number="九", index=9, title="别的方案")
    with pytest.raises(editing.Invalid) as caught:
        editing.problem_create(
            actor=users["city_office"],
            plan=seed_plan(),
            chapter=other_plan_chapter,
            text="  ",
            deadline="过些日子再说",
            source=ItemSource.PLAN,
            measures=[MeasureInput(text="", units=[UnitRole(unit("市工信局"), editing.SUPPORT)])],
        )
    errors = caught.value.errors
    assert errors["text"] == "请填写问题描述。"
    assert errors["chapter"] == "请选择本方案中的章节。"
    assert "无法识别整改时限“过些日子再说”" in errors["deadline"]
    assert errors["source"].startswith("请选择来源")
    assert errors["measures.0.text"] == "请填写整改措施。"
    assert "请至少选择一个牵头单位" in errors["measures.0.units"]
    assert (Problem.objects.count(), Measure.objects.count(), Assignment.objects.count()) == before
    with pytest.raises(editing.Invalid, match="请至少填写一项整改措施"):
        add_problem(users, measures=[])
    with pytest.raises(editing.Invalid, match="同一单位不能既牵头又配合：市工信局"):
        add_problem(users, UnitRole(unit("市工信局")), UnitRole(unit("市工信局"), editing.SUPPORT))
    with pytest.raises(editing.Invalid, match="是行政区"):
        add_problem(users, UnitRole(OrgUnit.objects.get(kind="region", depth=1, name="朔城区")))


@pytest.mark.parametrize("role", ["county_office", "county_clerk", "dept_clerk", "acceptance", "leader", "outsider"])
def test_only_the_city_office_adds_and_edits(users: Any, role: str) -> None:
    measure = Measure.objects.filter(problem__number="三").first()
    assert measure is not None
    with pytest.raises(Forbidden):
        editing.problem_create(
            actor=users[role], plan=seed_plan(), chapter=chapter(), text="x", deadline="2022年底", source="self_check",
            measures=[MeasureInput(text="y", units=[UnitRole(unit("市工信局"))])],
        )  # fmt: skip
    with pytest.raises(Forbidden):
        editing.measure_create(actor=users[role], problem=measure.problem, text="y", units=[UnitRole(unit("市工信局"))])
    with pytest.raises(Forbidden):
        editing.measure_update(actor=users[role], measure=measure, version=measure.version, text="改")


# --- the Done-when: the weekly loop and close-out ---------------------------------------------------------


def test_a_problem_added_by_hand_goes_through_the_weekly_loop_and_close_out_like_an_imported_one(users: Any) -> None:
    env = unit("市生态环境局")
    with at(dt.date(2022, 9, 30)):
        problem = add_problem(users, UnitRole(env), UnitRole(unit("市工信局"), editing.SUPPORT))
    share = Assignment.objects.select_related("unit", "measure").get(problem=problem, unit=env, measure__isnull=False)
    measure = share.measure
    assert measure is not None
    # The clerk's weekly form lists the new share like any other.
    assert share.pk in {a.pk for a in progress.unit_assignments(env)}
    with at(dt.date(2022, 10, 8)):
        week = periods.week_of(dt.date(2022, 10, 8), progress.calendar_rule())
        data = progress.ReportInput(progress_text="已检查12家砖瓦企业", next_plan="督促整改", percent=60)
        report = progress.report_save(actor=users["dept_clerk"], assignment=share, period=week, data=data, submit=True)
        progress.report_accept(actor=users["city_office"], report=report)
        assert report.status == ReportStatus.ACCEPTED
        deadlines_scan(today=dt.date(2022, 10, 8), send_mail=False)
    share.refresh_from_db()
    assert share.progress == 60 and share.status == ShareStatus.IN_PROGRESS and share.warning_level
    assert_rollups_true(problem)
    problem.refresh_from_db()
    assert problem.progress == 60.0  # the lead share only: support shares do not count
    with at(dt.date(2022, 11, 1)):
        week = periods.week_of(dt.date(2022, 11, 1), progress.calendar_rule())
        data = progress.ReportInput(progress_text="全部完成提标改造", next_plan="巩固", percent=100)
        report = progress.report_save(actor=users["dept_clerk"], assignment=share, period=week, data=data, submit=True)
        progress.report_accept(actor=users["city_office"], report=report)
        app = closeout.closeout_apply(
            actor=users["dept_clerk"], assignment=share, statement="本单位分工已完成。", files=[photo()]
        )
        assert app.status == CloseoutStatus.SUBMITTED
        measure.refresh_from_db()
        assert measure.status == ItemStatus.COMPLETED
        closeout.closeout_decide(actor=users["acceptance"], app=app, decision="accept", opinion="整改到位")
        app.refresh_from_db()
        assert app.status == CloseoutStatus.PUBLISHED
    with at(dt.date(2022, 11, 20)):
        assert [a.pk for a in closeout.closeouts_finish()] == [app.pk]
    share.refresh_from_db()
    measure.refresh_from_db()
    problem.refresh_from_db()
    assert share.status == ShareStatus.CLOSED and share.closed_on is not None
    assert measure.status == ItemStatus.CLOSED and measure.closed_on == share.closed_on
    assert problem.status == ItemStatus.CLOSED and problem.closed_on == share.closed_on  # 销号
    assert_rollups_true(problem)


# --- adding and editing measures ---------------------------------------------------------------------------


def test_a_measure_added_to_an_imported_problem_takes_its_deadline_and_the_next_number(users: Any) -> None:
    problem = Problem.objects.get(plan=seed_plan(), number="三")
    last = 91  # the seed's measures are 1.…91. through the whole plan
    measure = editing.measure_create(
        actor=users["city_office"],
        problem=problem,
        text="举一反三，对全市同类问题开展排查。",
        units=[UnitRole(unit("市能源局")), UnitRole(unit("朔城区政府"), editing.SUPPORT)],
        source=ItemSource.SELF_CHECK,
    )
    assert measure.number == str(last + 1) and measure.seq == problem.measures.count()
    assert (measure.deadline_raw, measure.due_on, measure.deadline_kind) == (
        problem.deadline_raw,
        problem.due_on,
        problem.deadline_kind,
    )
    assert {(a.unit.name, a.due_on) for a in Assignment.objects.filter(measure=measure)} == {
        ("市能源局", problem.due_on),
        ("朔城区政府", problem.due_on),
    }
    # The problem now names the new units too (its unit badges and scoping follow its shares).
    assert problem_units(problem) == expected_problem_units(problem)
    assert ("市能源局", "lead") in problem_units(problem)
    assert {name for name, _ in problem_units(problem)} >= {"市能源局", "朔城区政府"}
    assert AuditEvent.objects.filter(action="measure.created", object_id=str(measure.pk)).exists()
    assert_rollups_true(problem)
    with pytest.raises(editing.Invalid, match="请选择来源"):
        editing.measure_create(
            actor=users["city_office"], problem=problem, text="x", units=[UnitRole(unit("市能源局"))]
        )
    dated = editing.measure_create(
        actor=users["city_office"],
        problem=problem,
        text="每季度开展一次回头看。",
        units=[UnitRole(unit("市能源局"))],
        deadline="2023年6月底前",
        source=ItemSource.LOOKBACK,
    )
    assert dated.due_on == dt.date(2023, 6, 30) and dated.number == str(last + 2)


def test_a_measure_edit_changes_only_what_is_given_and_is_audited(users: Any) -> None:
    problem = add_problem(users)
    measure = Measure.objects.get(problem=problem)
    changed = editing.measure_update(
        actor=users["city_office"], measure=measure, version=measure.version, text="开展专项执法检查（修订）。"
    )
    assert changed == ["措施内容"]
    measure.refresh_from_db()
    assert measure.text == "开展专项执法检查（修订）。" and share_units(measure) == {
        ("市生态环境局", "lead"),
        ("市工信局", "support"),
    }
    event = AuditEvent.objects.filter(action="measure.updated", object_id=str(measure.pk)).latest("id")
    assert event.before["text"] == "开展砖瓦行业专项执法检查，督促完成提标改造。" and "units" not in event.after
    changed = editing.measure_update(
        actor=users["city_office"],
        measure=measure,
        version=measure.version,
        units=[UnitRole(unit("市生态环境局")), UnitRole(unit("应县政府")), UnitRole(unit("市工信局"), editing.SUPPORT)],
        deadline="2023年3月底前",
    )
    assert changed == ["责任单位", "整改时限"]
    measure.refresh_from_db()
    assert measure.due_on == dt.date(2023, 3, 31)
    assert {(a.unit.name, a.due_on) for a in Assignment.objects.filter(measure=measure)} == {
        ("市生态环境局", dt.date(2023, 3, 31)),
        ("应县政府", dt.date(2023, 3, 31)),
        ("市工信局", dt.date(2023, 3, 31)),
    }
    assert problem_units(problem) == share_units(measure) == expected_problem_units(problem)
    # The deadline moved through the page's own "for all units" service: its event, shown on the measure.
    assert AuditEvent.objects.filter(action="measure.deadline_changed", object_id=str(measure.pk)).exists()
    assert editing.measure_update(actor=users["city_office"], measure=measure, version=measure.version) == []
    # A unit that supports one measure and leads another is named once on the problem, as lead.
    editing.measure_create(
        actor=users["city_office"],
        problem=problem,
        text="工信部门牵头的第二项措施。",
        units=[UnitRole(unit("市工信局"))],
    )
    assert [r for r in problem_units(problem) if r[0] == "市工信局"] == [("市工信局", "lead")]
    assert problem_units(problem) == expected_problem_units(problem)
    assert_rollups_true(problem)


def test_a_stale_form_is_refused_and_changes_nothing(users: Any) -> None:
    problem = add_problem(users)
    measure = Measure.objects.get(problem=problem)
    seen = measure.version
    editing.measure_update(actor=users["city_office"], measure=measure, version=seen, text="第一位保存的修改。")
    other = Measure.objects.get(pk=measure.pk)
    with pytest.raises(ConcurrentChange, match="已被他人修改"):
        editing.measure_update(
            actor=users["city_office"], measure=other, version=seen, units=[UnitRole(unit("应县政府"))]
        )
    assert Measure.objects.get(pk=measure.pk).text == "第一位保存的修改。"
    assert share_units(measure) == {("市生态环境局", "lead"), ("市工信局", "support")}


def test_a_share_with_reports_is_never_removed_silently(users: Any) -> None:
    problem = add_problem(users)
    measure = Measure.objects.get(problem=problem)
    share = Assignment.objects.get(measure=measure, unit__name="市生态环境局")
    with at(dt.date(2022, 10, 8)):
        week = periods.week_of(dt.date(2022, 10, 8), progress.calendar_rule())
        data = progress.ReportInput(progress_text="已排查", next_plan="整改", percent=30)
        progress.report_save(actor=users["dept_clerk"], assignment=share, period=week, data=data, submit=True)
    share.refresh_from_db()
    assert "进展报告1项" in editing.share_record(share)
    with pytest.raises(editing.Invalid) as caught:
        editing.measure_update(
            actor=users["city_office"], measure=measure, version=measure.version, units=[UnitRole(unit("应县政府"))]
        )
    assert "市生态环境局（状态为整改中，进展报告1项）" in caught.value.errors["units"]
    assert "可改为配合单位" in caught.value.errors["units"]
    measure.refresh_from_db()
    assert share_units(measure) == {("市生态环境局", "lead"), ("市工信局", "support")}
    # Lead → support keeps the share, its report and its figures; the clean support share is removed.
    editing.measure_update(
        actor=users["city_office"],
        measure=measure,
        version=measure.version,
        units=[UnitRole(unit("应县政府")), UnitRole(unit("市生态环境局"), editing.SUPPORT)],
    )
    kept = Assignment.objects.get(pk=share.pk)
    assert (kept.role, kept.progress, kept.reports.count()) == ("support", 30, 1)
    assert share_units(measure) == {("应县政府", "lead"), ("市生态环境局", "support")}
    # 市工信局 left the problem with its share
    assert problem_units(problem) == share_units(measure) == expected_problem_units(problem)
    assert_rollups_true(problem)


def test_a_closed_measure_keeps_its_units_and_deadline(users: Any) -> None:
    problem = add_problem(users)
    measure = Measure.objects.get(problem=problem)
    Measure.objects.filter(pk=measure.pk).update(status=ItemStatus.CLOSED)
    measure.refresh_from_db()
    with pytest.raises(editing.Invalid, match="已销号"):
        editing.measure_update(
            actor=users["city_office"], measure=measure, version=measure.version, deadline="2023年底"
        )
    assert editing.measure_update(actor=users["city_office"], measure=measure, version=measure.version, text="更正错字")


# --- 包联领导 -------------------------------------------------------------------------------------------------


def test_leaders_are_named_and_removed_by_the_city_office_with_an_audit_trail(users: Any) -> None:
    problem = Problem.objects.get(plan=seed_plan(), number="五")
    leader = leaders.problem_leader_add(
        actor=users["city_office"], problem=problem, user=users["leader"], kind="lead", title="常务副市长"
    )
    assert leaders.leader_label(leader) == "市领导 周平（常务副市长，包联）"
    assert [x.pk for x in leaders.problem_leaders(problem)] == [leader.pk]
    with pytest.raises(DomainError, match="已是问题（五）的包联领导"):
        leaders.problem_leader_add(actor=users["city_office"], problem=problem, user=users["leader"])
    with pytest.raises(DomainError, match="不是领导岗位的用户"):
        leaders.problem_leader_add(actor=users["city_office"], problem=problem, user=users["dept_clerk"])
    with pytest.raises(DomainError, match="请选择包联方式"):
        leaders.problem_leader_add(actor=users["city_office"], problem=problem, user=users["leader"], kind="boss")
    for role in ("county_office", "leader", "dept_clerk"):
        with pytest.raises(Forbidden):
            leaders.problem_leader_add(actor=users[role], problem=problem, user=users["leader"])
        with pytest.raises(Forbidden):
            leaders.problem_leader_remove(actor=users[role], leader=leader)
    leaders.problem_leader_remove(actor=users["city_office"], leader=leader)
    assert not ProblemLeader.objects.filter(problem=problem).exists()
    with pytest.raises(ConcurrentChange):
        leaders.problem_leader_remove(actor=users["city_office"], leader=leader)
    actions = list(
        AuditEvent.objects.filter(parent_type="plans.problem", parent_id=str(problem.pk))
        .filter(action__startswith="problem.leader")
        .values_list("action", flat=True)
        .order_by("id")
    )
    assert actions == ["problem.leader_added", "problem.leader_removed"]


def test_a_county_leader_cannot_be_named_for_a_problem_outside_the_county(users: Any) -> None:
    from django.contrib.auth.models import User

    county_leader = User.objects.create(username="county_leader", first_name="朔城区领导 吴")
    Membership.objects.create(user=county_leader, unit=unit("朔城区政府"), role=Role.LEADER)
    county = unit("朔城区政府").parent
    assert county is not None
    inside = Assignment.objects.filter(unit__path__startswith=county.path).values("problem_id")
    outside = Problem.objects.exclude(pk__in=inside).first()
    assert outside is not None
    with pytest.raises(DomainError, match="不在朔城区领导 吴的辖区内"):
        leaders.problem_leader_add(actor=users["city_office"], problem=outside, user=county_leader)


def test_a_letter_names_the_leaders_of_the_problems_it_concerns(users: Any) -> None:
    env = unit("市生态环境局")
    measures = list(Measure.objects.filter(assignments__unit=env).select_related("problem").order_by("pk")[:3])
    problems = {m.problem for m in measures}
    first = sorted(problems, key=lambda p: p.index)[0]
    leaders.problem_leader_add(actor=users["city_office"], problem=first, user=users["leader"], title="常务副市长")
    body = notices.default_body("reminder", env, measures, today=dt.date(2022, 10, 8), due=None)
    line = next(x for x in body.splitlines() if x.startswith("上述问题的包联领导"))
    assert line == f"上述问题的包联领导：{first.label}包联 市领导 周平（常务副市长）。"
    assert body.splitlines().index(line) == len(body.splitlines()) - 2  # just before the closing request
    ProblemLeader.objects.create(problem=first, user=users["acceptance"], kind="part")  # no title
    body = notices.default_body("reminder", env, measures, today=dt.date(2022, 10, 8), due=None)
    assert f"{first.label}包联 市领导 周平（常务副市长），分包 验收组 孙伟。" in body
    ProblemLeader.objects.all().delete()
    assert "包联领导" not in notices.default_body("reminder", env, measures, today=dt.date(2022, 10, 8), due=None)


def _independent_led(user: Any) -> dict[int, tuple[Any, ...]]:
    """Per problem the leader leads: status, progress, level, shares, red, yellow and overdue shares —
    each counted with a plain query of its own."""
    today = dt.date(2022, 10, 8)
    out = {}
    for link in ProblemLeader.objects.filter(user=user):
        p = Problem.objects.get(pk=link.problem_id)
        shares = [a for a in Assignment.objects.filter(problem=p).exclude(measure=None).exclude(unit=None)]
        overdue = [
            a
            for a in shares
            if a.due_on is not None
            and a.due_on < today
            and a.status in ("not_started", "in_progress", "relapsed")
            and a.measure.deadline_kind not in ("immediate_ongoing", "ongoing", "completed")
        ]
        out[p.pk] = (
            p.status,
            p.progress,
            p.warning_level,
            len(shares),
            sum(a.warning_level == "red" for a in shares),
            sum(a.warning_level == "yellow" for a in shares),
            len(overdue),
        )
    return out


def test_a_leaders_own_list_agrees_with_independent_counts_on_a_generated_ledger(users: Any) -> None:
    rng = random.Random(12)
    picked = list(Problem.objects.filter(plan=seed_plan()).order_by("?")[:8])
    for i, p in enumerate(picked):
        kind = "lead" if i % 3 else "part"
        leaders.problem_leader_add(actor=users["city_office"], problem=p, user=users["leader"], kind=kind)
    # A generated state: random share figures and due dates around the day, then the roll-ups.
    for a in Assignment.objects.filter(problem__in=picked).exclude(measure=None).exclude(unit=None):
        Assignment.objects.filter(pk=a.pk).update(
            progress=rng.choice([None, 0, 20, 55, 90, 100]),
            warning_level=rng.choice(["", "green", "yellow", "red"]),
            status=rng.choice([s for s in ShareStatus.values]),
            due_on=dt.date(2022, 10, 8) + dt.timedelta(days=rng.randint(-40, 40)),
        )
    from rectify.plans import rollup

    rollup.measures_rollup(Measure.objects.filter(problem__in=picked).values_list("pk", flat=True))
    with at(dt.date(2022, 10, 8)):
        rows = leaders.led_problems(viewer=users["leader"])
    expected = _independent_led(users["leader"])
    assert {r.problem.pk for r in rows} == set(expected) == {p.pk for p in picked}
    for r in rows:
        got = (r.problem.status, r.problem.progress, r.problem.warning_level, r.shares, r.red, r.yellow, r.overdue)
        assert got == expected[r.problem.pk], r.problem.label
        assert r.kind == (
            "包联" if ProblemLeader.objects.get(problem=r.problem, user=users["leader"]).kind == "lead" else "分包"
        )
    summary = leaders.led_summary(rows)
    assert summary["overdue"] == sum(v[6] for v in expected.values())
    assert summary["red"] == sum(v[2] == WarningLevel.RED for v in expected.values())
    assert summary["closed"] == sum(v[0] in ("closed", "ongoing") for v in expected.values())
    assert leaders.led_problems(viewer=users["city_office"]) == []


def test_the_letters_document_prints_the_leaders_line(users: Any) -> None:
    import io

    import docx

    from rectify.documents.notice_docs import notice_document
    from rectify.documents.renderers import official

    env = unit("市生态环境局")
    problem = Measure.objects.filter(assignments__unit=env).order_by("pk").first().problem  # type: ignore[union-attr]
    measures = list(Measure.objects.filter(assignments__unit=env, problem=problem).order_by("seq")[:2])
    leaders.problem_leader_add(actor=users["city_office"], problem=problem, user=users["leader"], title="常务副市长")
    with at(dt.date(2022, 10, 8)):
        notice = notices.notice_draft(
            actor=users["city_office"], data=notices.NoticeInput(kind="reminder", unit=env, measures=measures)
        )
    line = f"上述问题的包联领导：{problem.label}包联 市领导 周平（常务副市长）。"
    assert line in notice.body.splitlines()
    document = notice_document(notice)
    assert line in document.paragraphs
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(official.render_docx(document))).paragraphs)
    assert line in text
    # An issued letter keeps its words: naming another leader later changes only new drafts.
    ProblemLeader.objects.filter(problem=problem).delete()
    notice.refresh_from_db()
    assert line in notice_document(notice).paragraphs
