"""Demo: 包联领导 on some seed problems, and one 举一反三 problem added by hand, on the first morning
of the history — through the same services the city office uses (plans.leaders, plans.editing), so
the problem then goes through the weeks of reporting, warnings and review like the plan's own.

Two more city leaders join the demo leader (市领导 周平) so that a problem can have a 包联 leader and
a 分包 one. Idempotent: a second call finds the accounts, the leaders and the problem in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from rectify.orgs.models import Membership, OrgUnit, Role
from rectify.plans import editing, leaders
from rectify.plans.models import Chapter, ItemSource, Plan, Problem, ProblemLeader

from .cast import Cast

LEADER_UNIT = "市政府"


@dataclass(frozen=True)
class DemoLeader:
    username: str
    full_name: str


ACCOUNTS = [DemoLeader("leader_li", "市领导 李刚"), DemoLeader("leader_han", "市领导 韩雪")]

# (problem number, leader's username, kind, title)
ASSIGNMENTS = [
    ("五", "leader", ProblemLeader.Kind.LEAD, "市委常委、常务副市长"),
    ("五", "leader_han", ProblemLeader.Kind.PART, "副市长"),
    ("十二", "leader_han", ProblemLeader.Kind.LEAD, "副市长"),
    ("十五", "leader_han", ProblemLeader.Kind.LEAD, "副市长"),
    ("十八", "leader", ProblemLeader.Kind.LEAD, "市委常委、常务副市长"),
    ("十八", "leader_li", ProblemLeader.Kind.PART, "副市长"),
    ("二十四", "leader", ProblemLeader.Kind.LEAD, "市委常委、常务副市长"),
    ("三十一", "leader_li", ProblemLeader.Kind.LEAD, "副市长"),
]

FOUND_TEXT = (
    "举一反三排查发现，应县、山阴县部分砖瓦企业脱硫除尘设施不正常运行，在线监测数据存在长时间缺失，"
    "个别企业无组织排放问题突出。"
)
FOUND_GOAL = "砖瓦企业脱硫除尘设施全部正常运行，在线监测数据有效传输率达到90%以上，无组织排放得到有效管控。"
FOUND_MEASURE = (
    "开展砖瓦行业专项执法检查，对设施不正常运行的企业依法查处，督促完成提标改造；"
    "2022年10月底前完成全部砖瓦企业在线监测设备联网。"
)


def _accounts(password: str | None) -> dict[str, User]:
    unit = OrgUnit.objects.get(name=LEADER_UNIT)
    for spec in ACCOUNTS:
        user, new = User.objects.get_or_create(username=spec.username)
        if new or password:
            user.first_name = spec.full_name
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(user=user, unit=unit, role=Role.LEADER)
    names = ["leader", *(a.username for a in ACCOUNTS)]
    return {u.username: u for u in User.objects.filter(username__in=names)}


def editing_extras(cast: Cast, *, plan: Plan, password: str | None = None) -> list[str]:
    """Run once at the start of the history; returns notes of what it did."""
    office = cast.user("city_office")
    users = _accounts(password)
    notes: list[str] = []
    problems = {p.number: p for p in Problem.objects.filter(plan=plan)}
    for number, username, kind, title in ASSIGNMENTS:
        problem, user = problems.get(number), users.get(username)
        if problem is None or user is None or ProblemLeader.objects.filter(problem=problem, user=user).exists():
            continue
        leaders.problem_leader_add(actor=office, problem=problem, user=user, kind=kind, title=title)
    if not Problem.objects.filter(plan=plan, text=FOUND_TEXT).exists():
        units = {
            u.name: u for u in OrgUnit.objects.filter(name__in=["应县政府", "山阴县政府", "市生态环境局", "市工信局"])
        }
        chapter = Chapter.objects.filter(plan=plan, number="三").first()
        problem = editing.problem_create(
            actor=office,
            plan=plan,
            chapter=chapter,
            text=FOUND_TEXT,
            goal=FOUND_GOAL,
            responsible_person="市政府分管副市长",
            acceptance_unit=units.get("市生态环境局"),
            deadline="2022年11月底前",
            source=ItemSource.EXTRAPOLATION,
            measures=[
                editing.MeasureInput(
                    text=FOUND_MEASURE,
                    units=[
                        editing.UnitRole(units["市生态环境局"]),
                        editing.UnitRole(units["应县政府"]),
                        editing.UnitRole(units["山阴县政府"]),
                        editing.UnitRole(units["市工信局"], editing.SUPPORT),
                    ],
                )
            ],
        )
        if "leader_li" in users:
            leaders.problem_leader_add(
                actor=office,
                problem=problem,
                user=users["leader_li"],
                kind=ProblemLeader.Kind.LEAD,
                title="副市长",
            )
        notes.append(f"市整改办添加举一反三问题{problem.label}，指定包联领导")
    return notes
