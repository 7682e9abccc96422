"""督察轮次 (rectify.plans.rounds): creating and editing rounds, a plan's round, and the same
problem linked across rounds — 反弹 on both problems when the earlier one had been closed, the
mark recomputed on unlink, every write audited, every refusal a clear Chinese message. And the
month's ranking: a recurred problem's shares count in the relapse term, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.core.errors import ConcurrentChange, DomainError, Forbidden
from rectify.documents.figures import month_figures
from rectify.orgs.models import OrgUnit
from rectify.plans import rounds
from rectify.plans.models import Assignment, InspectionRound, Plan, Problem, ProblemLink

from .rounds_helpers import close, make_plan, make_round

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOT_CITY_OFFICE = ["county_office", "county_clerk", "dept_clerk", "acceptance", "leader", "sysadmin", "outsider"]


def seed_plan() -> Plan:
    return Plan.objects.order_by("pk").first()  # type: ignore[return-value]


@pytest.fixture
def seed_round(users: Any) -> InspectionRound:
    """The seed plan's round: the provincial inspection fed back on 2022-02-25."""
    r = rounds.round_create(
        actor=users["city_office"],
        data=rounds.RoundInput(
            name="省生态环境保护督察（2021年）",
            level="provincial",
            started_on=dt.date(2021, 11, 30),
            ended_on=dt.date(2021, 12, 28),
            feedback_on=dt.date(2022, 2, 25),
        ),
    )
    rounds.plan_set_round(actor=users["city_office"], plan=seed_plan(), round=r)
    return r


@pytest.fixture
def lookback(users: Any) -> InspectionRound:
    return rounds.round_create(
        actor=users["city_office"],
        data=rounds.RoundInput(
            name="省生态环境保护督察“回头看”（2023年）",
            level="provincial",
            kind="lookback",
            started_on=dt.date(2023, 4, 1),
            feedback_on=dt.date(2023, 6, 1),
        ),
    )


@pytest.fixture
def lookback_plan(lookback: InspectionRound) -> Plan:
    return make_plan(
        "回头看整改方案",
        [
            ("桑干河自然保护区内违法开发项目仍未整治到位。", ["市规划和自然资源局", "朔城区政府"]),
            ("工业固废综合利用率仍然不高。", ["市工信局"]),
        ],
        round=lookback,
    )


def events(action: str) -> Any:
    return AuditEvent.objects.filter(action=action)


# --- rounds ------------------------------------------------------------------------------------


def test_the_city_office_creates_a_round_and_it_is_audited(users: Any) -> None:
    r = rounds.round_create(
        actor=users["city_office"],
        data=rounds.round_input(
            {"name": "第二轮中央生态环境保护督察", "level": "central", "round_no": "2", "feedback_on": "2021-07-20"}
        ),
    )
    assert (r.level, r.round_no, r.kind, r.feedback_on) == ("central", 2, "routine", dt.date(2021, 7, 20))
    event = events("round.created").get(object_id=str(r.pk))
    assert event.after["name"] == "第二轮中央生态环境保护督察" and event.action_label == "新建督察轮次"


@pytest.mark.parametrize("role", NOT_CITY_OFFICE)
def test_only_the_city_office_manages_rounds(users: Any, role: str, seed_round: InspectionRound) -> None:
    with pytest.raises(Forbidden):
        rounds.round_create(actor=users[role], data=rounds.RoundInput(name="某轮", level="central"))
    with pytest.raises(Forbidden):
        rounds.round_update(actor=users[role], round=seed_round, data=rounds.round_input_of(seed_round), version=1)
    with pytest.raises(Forbidden):
        rounds.plan_set_round(actor=users[role], plan=seed_plan(), round=None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "level": "central"}, "请填写督察轮次名称"),
        ({"name": "x" * 201, "level": "central"}, "不能超过200字"),
        ({"name": "某轮", "level": "county"}, "请选择层级：中央或省级"),
        ({"name": "某轮", "level": "central", "kind": "weekly"}, "请选择督察类型"),
        ({"name": "某轮", "level": "central", "kind": "special"}, "专项督察请填写督察主题"),
        ({"name": "某轮", "level": "central", "round_no": "二"}, "轮次应为 1 至 99 之间的整数"),
        ({"name": "某轮", "level": "central", "round_no": "0"}, "轮次应为 1 至 99 之间的整数"),
        ({"name": "某轮", "level": "central", "started_on": "2021/11/30"}, "进驻日期格式应为 YYYY-MM-DD"),
        ({"name": "某轮", "level": "central", "feedback_on": "2021-02-30"}, "反馈日期格式应为 YYYY-MM-DD"),
        (
            {"name": "某轮", "level": "central", "started_on": "2021-12-01", "ended_on": "2021-11-30"},
            "结束日期不能早于进驻日期",
        ),
        (
            {"name": "某轮", "level": "central", "ended_on": "2021-12-28", "feedback_on": "2021-12-01"},
            "反馈日期不能早于结束日期",
        ),
        (
            {"name": "某轮", "level": "central", "started_on": "2021-12-28", "feedback_on": "2021-12-01"},
            "反馈日期不能早于进驻日期",
        ),
        ({"name": "省生态环境保护督察（2021年）", "level": "central"}, "已有同名的督察轮次"),
    ],
)
def test_bad_round_input_is_refused_in_chinese(
    users: Any, seed_round: InspectionRound, data: dict[str, str], message: str
) -> None:
    before = InspectionRound.objects.count()
    with pytest.raises(DomainError, match=message):
        rounds.round_create(actor=users["city_office"], data=rounds.round_input(data))
    assert InspectionRound.objects.count() == before


def test_a_round_is_edited_with_its_version_and_audited(users: Any, seed_round: InspectionRound) -> None:
    data = rounds.round_input({**rounds.round_input_of(seed_round).__dict__, "round_no": "3"})
    rounds.round_update(actor=users["city_office"], round=seed_round, data=data, version=seed_round.version)
    seed_round.refresh_from_db()
    assert seed_round.round_no == 3 and seed_round.version == 2
    event = events("round.updated").get()
    assert (event.before["round_no"], event.after["round_no"]) == (None, 3)
    with pytest.raises(ConcurrentChange, match="已被他人修改"):
        rounds.round_update(actor=users["city_office"], round=seed_round, data=data, version=1)


def test_a_plan_is_put_in_a_round_and_taken_out_audited(users: Any, seed_round: InspectionRound) -> None:
    plan = seed_plan()
    assert plan.round_id == seed_round.pk
    event = events("plan.round_set").get(object_id=str(plan.pk))
    assert event.after == {"round": seed_round.name} and event.parent_id == str(seed_round.pk)
    rounds.plan_set_round(actor=users["city_office"], plan=plan, round=None)
    assert Plan.objects.get(pk=plan.pk).round_id is None
    assert events("plan.round_set").count() == 2


# --- which round is later ----------------------------------------------------------------------


def test_later_means_a_later_feedback_end_or_start_date_else_a_higher_number_of_the_same_level() -> None:
    r = rounds.RoundInput
    fed_2021 = r(name="a", level="central", feedback_on=dt.date(2021, 7, 1))
    started_2022 = r(name="b", level="provincial", started_on=dt.date(2022, 1, 10))
    assert rounds.round_is_later(started_2022, fed_2021) is True
    assert rounds.round_is_later(fed_2021, started_2022) is False
    assert rounds.round_is_later(fed_2021, fed_2021) is False  # the same day is not later
    first, second = r(name="c", level="central", round_no=1), r(name="d", level="central", round_no=2)
    assert rounds.round_is_later(second, first) is True and rounds.round_is_later(first, second) is False
    provincial_3 = r(name="e", level="provincial", round_no=3)
    assert rounds.round_is_later(provincial_3, first) is None  # numbers of two levels say nothing
    assert rounds.round_is_later(second, fed_2021) is None  # one has no date, the levels' numbers…
    assert rounds.round_is_later(r(name="f", level="central", round_no=3, feedback_on=dt.date(2020, 1, 1)), second)


# --- links and 反弹 ----------------------------------------------------------------------------


def test_a_closed_problem_found_again_in_a_lookback_round_is_a_relapse_on_both(
    users: Any, problems: Any, seed_round: InspectionRound, lookback_plan: Plan, client_for: Any
) -> None:
    """The issue's Done-when: a round with a 回头看 plan whose problem recurs shows 反弹 on both."""
    earlier = close(problems["十七"])
    later = lookback_plan.problems.get(index=1)
    link = rounds.problem_link(actor=users["city_office"], earlier=earlier, later=later, note="同一保护区")
    assert link.is_relapse and link.created_by == users["city_office"]
    assert set(Problem.objects.filter(recurred=True).values_list("pk", flat=True)) == {earlier.pk, later.pk}
    for problem in (earlier, later):
        assert events("problem.linked").filter(object_id=str(problem.pk)).count() == 1
        page = client_for("city_office").get(reverse("plans:problem", args=[problem.pk])).content.decode()
        assert 'data-relapse="1"' in page and "反弹" in page and 'data-testid="relapse-note"' in page
    assert lookback_plan.round.is_lookback  # type: ignore[union-attr]


def test_a_link_to_an_open_problem_is_the_same_finding_but_no_relapse(
    users: Any, problems: Any, seed_round: InspectionRound, lookback_plan: Plan
) -> None:
    link = rounds.problem_link(
        actor=users["city_office"], earlier=problems["三十二"], later=lookback_plan.problems.get(index=2)
    )
    assert not link.is_relapse
    assert not Problem.objects.filter(recurred=True).exists()


def test_unlinking_recomputes_the_mark_from_the_links_that_remain(
    users: Any, problems: Any, seed_round: InspectionRound, lookback_plan: Plan
) -> None:
    office = users["city_office"]
    later = lookback_plan.problems.get(index=1)
    first = rounds.problem_link(actor=office, earlier=close(problems["十七"]), later=later)
    second = rounds.problem_link(actor=office, earlier=close(problems["九"]), later=later)
    rounds.problem_unlink(actor=office, link=first)
    recurred = set(Problem.objects.filter(recurred=True).values_list("pk", flat=True))
    assert recurred == {later.pk, problems["九"].pk}  # （十七） has no relapse link left; （九） still has
    rounds.problem_unlink(actor=office, link=second)
    assert not Problem.objects.filter(recurred=True).exists() and not ProblemLink.objects.exists()
    assert events("problem.unlinked").count() == 4  # one on each problem's timeline, per link


def test_a_link_is_refused_unless_it_goes_from_an_earlier_round_to_a_later_one(
    users: Any, problems: Any, seed_round: InspectionRound, lookback_plan: Plan
) -> None:
    office = users["city_office"]
    later = lookback_plan.problems.get(index=1)

    def refused(earlier: Problem, later: Problem, message: str) -> None:
        with pytest.raises(DomainError, match=message):
            rounds.problem_link(actor=office, earlier=earlier, later=later)

    refused(later, later, "不能把问题关联到它自己")
    refused(later, problems["十七"], "并不晚于")  # the wrong way round
    refused(problems["一"], problems["十七"], "同属")  # the same round
    rounds.problem_link(actor=office, earlier=problems["十七"], later=later)
    refused(problems["十七"], later, "已经关联")
    unrounded = make_plan("未归入轮次的方案", [("某问题", ["市工信局"])])
    refused(problems["十七"], unrounded.problems.get(), "都要先归入督察轮次")
    undated = make_round("某专项督察", kind="special", topic="黄河流域", level="central")
    rounds.plan_set_round(actor=office, plan=unrounded, round=undated)
    refused(problems["十七"], unrounded.problems.get(), "无法判断")
    with pytest.raises(DomainError, match="说明不能超过300字"):
        rounds.problem_link(actor=office, earlier=problems["十"], later=later, note="长" * 301)
    assert ProblemLink.objects.count() == 1


@pytest.mark.parametrize("role", NOT_CITY_OFFICE)
def test_only_the_city_office_links_and_unlinks(
    users: Any, problems: Any, role: str, seed_round: InspectionRound, lookback_plan: Plan
) -> None:
    later = lookback_plan.problems.get(index=1)
    with pytest.raises(Forbidden):
        rounds.problem_link(actor=users[role], earlier=problems["十七"], later=later)
    link = rounds.problem_link(actor=users["city_office"], earlier=problems["十七"], later=later)
    with pytest.raises(Forbidden):
        rounds.problem_unlink(actor=users[role], link=link)


def test_an_edit_that_would_turn_a_link_around_is_refused(
    users: Any, problems: Any, seed_round: InspectionRound, lookback: InspectionRound, lookback_plan: Plan
) -> None:
    office = users["city_office"]
    rounds.problem_link(actor=office, earlier=problems["十七"], later=lookback_plan.problems.get(index=1))
    moved = rounds.round_input(
        {**rounds.round_input_of(lookback).__dict__, "started_on": "2020-01-01", "feedback_on": "2020-03-01"}
    )
    with pytest.raises(DomainError, match="前后矛盾"):
        rounds.round_update(actor=office, round=lookback, data=moved, version=lookback.version)
    with pytest.raises(DomainError, match="前后矛盾"):
        rounds.plan_set_round(actor=office, plan=lookback_plan, round=None)
    with pytest.raises(DomainError, match="前后矛盾"):
        rounds.plan_set_round(actor=office, plan=lookback_plan, round=seed_round)
    lookback.refresh_from_db()
    assert lookback.feedback_on == dt.date(2023, 6, 1)


# --- the 月通报 ---------------------------------------------------------------------------------


def relapse_shares_by_unit(problem: Problem) -> dict[int, int]:
    """Independently: the responsible units' shares of `problem`, per unit."""
    out: dict[int, int] = {}
    for unit_id in Assignment.objects.filter(problem=problem, measure__isnull=False, unit__isnull=False).values_list(
        "unit_id", flat=True
    ):
        out[unit_id] = out.get(unit_id, 0) + 1
    return out


def test_a_recurred_problem_counts_in_the_relapse_term_of_the_month_once(
    users: Any, problems: Any, seed_round: InspectionRound, lookback: InspectionRound
) -> None:
    office = users["city_office"]
    earlier = close(problems["十七"], dt.date(2022, 11, 20))
    plan = make_plan("回头看", [("桑干河保护区问题再次出现", ["市工信局"]), ("同一点位", ["市工信局"])], round=lookback)
    expected = relapse_shares_by_unit(earlier)
    assert expected and sum(expected.values()) > 1
    with time_machine.travel(dt.datetime(2023, 1, 3, 10, tzinfo=SHANGHAI), tick=False):
        before = {f.unit_id: f for f in month_figures(2022, 12).units}
    with time_machine.travel(dt.datetime(2022, 12, 5, 10, tzinfo=SHANGHAI), tick=False):
        # Two later problems repeat the same closed one: it counts once.
        rounds.problem_link(actor=office, earlier=earlier, later=plan.problems.get(index=1))
        rounds.problem_link(actor=office, earlier=earlier, later=plan.problems.get(index=2))
    with time_machine.travel(dt.datetime(2023, 1, 3, 10, tzinfo=SHANGHAI), tick=False):
        after = {f.unit_id: f for f in month_figures(2022, 12).units}
        january = {f.unit_id: f.reopened for f in month_figures(2023, 1).units}
    with time_machine.travel(dt.datetime(2022, 12, 3, 10, tzinfo=SHANGHAI), tick=False):
        november = {f.unit_id: f.reopened for f in month_figures(2022, 11).units}
    for unit_id, n in expected.items():
        assert (before[unit_id].reopened, after[unit_id].reopened) == (0, n)
    assert {u: f.reopened for u, f in after.items() if f.reopened} == expected
    assert not any(january.values()) and not any(november.values())
    # The later problems' own units (市工信局) answer for new work, not for the relapse.
    gxj = OrgUnit.objects.get(name="市工信局").pk
    assert after[gxj].reopened == expected.get(gxj, 0)


def test_unlinking_takes_the_relapse_out_of_the_month(
    users: Any, problems: Any, seed_round: InspectionRound, lookback_plan: Plan
) -> None:
    earlier = close(problems["十七"], dt.date(2022, 11, 20))
    with time_machine.travel(dt.datetime(2022, 12, 5, 10, tzinfo=SHANGHAI), tick=False):
        link = rounds.problem_link(
            actor=users["city_office"], earlier=earlier, later=lookback_plan.problems.get(index=1)
        )
        rounds.problem_unlink(actor=users["city_office"], link=link)
    with time_machine.travel(dt.datetime(2023, 1, 3, 10, tzinfo=SHANGHAI), tick=False):
        assert not any(f.reopened for f in month_figures(2022, 12).units)


# --- the demo ------------------------------------------------------------------------------------


def test_the_demo_puts_the_seed_plan_in_the_round_its_text_names(users: Any) -> None:
    from rectify.demo.rounds import seed_plan_round
    from rectify.ingestion.demo import SEED_PLAN

    text = SEED_PLAN.read_text(encoding="utf-8")
    assert "2021年11月30日至12月28日，省第三生态环境保护督察组" in text and "2022年2月25日向我市反馈" in text
    plan = seed_plan()
    r = seed_plan_round(plan=plan, actor=users["city_office"])
    assert (r.level, r.kind, r.round_no) == ("provincial", "routine", None)
    assert (r.started_on, r.ended_on, r.feedback_on) == (
        dt.date(2021, 11, 30),
        dt.date(2021, 12, 28),
        dt.date(2022, 2, 25),
    )
    assert Plan.objects.get(pk=plan.pk).round_id == r.pk
    again = seed_plan_round(plan=Plan.objects.get(pk=plan.pk), actor=users["city_office"])
    assert again.pk == r.pk and InspectionRound.objects.count() == 1
    assert events("round.created").count() == 1 and events("plan.round_set").count() == 1
