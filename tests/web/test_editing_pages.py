"""The editing pages (plans.edit_views): adding a problem and a measure by hand, editing a measure,
a problem's 包联领导 and a leader's own page — the permission matrix (every role × own / other /
missing), forms that answer bad input in Chinese and lose nothing typed, and the problem page and
the ledger showing the source and the leaders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from rectify.core.errors import Forbidden, NotFound
from rectify.orgs.models import OrgUnit
from rectify.plans import editing, leaders, selectors
from rectify.plans.editing import MeasureInput, UnitRole
from rectify.plans.models import Assignment, Chapter, ItemSource, Measure, Plan, Problem, ProblemLeader
from rectify.progress.periods import SHANGHAI
from tests.web.test_permission_matrix import BUSINESS, MISSING, NO_BUSINESS, OTHER_PROBLEM, OWN_PROBLEM

pytestmark = pytest.mark.django_db
OFFICE = "city_office"


def unit(name: str) -> OrgUnit:
    return OrgUnit.objects.get(name=name)


def seed_plan() -> Plan:
    return Plan.objects.order_by("pk").first()  # type: ignore[return-value]


@pytest.fixture
def other_plan(users: Any) -> Plan:
    """A plan whose only unit is 右玉县政府: outside the scope of the county office, the clerks."""
    plan = Plan.objects.create(title="右玉县自查整改方案", start_on=dt.date(2022, 6, 1), fingerprint="other-plan")
    chapter = Chapter.objects.create(plan=plan, number="一", index=1, title="自查问题")
    editing.problem_create(
        actor=users[OFFICE], plan=plan, chapter=chapter, text="右玉县自查发现的问题。", deadline="2022年底",
        source=ItemSource.SELF_CHECK, measures=[MeasureInput(text="整改。", units=[UnitRole(unit("右玉县政府"))])],
    )  # fmt: skip
    return plan


def expected(role: str, where: str) -> int:
    """Outside the scope: 404; a role without business data: 403; inside, only the city office edits."""
    if role in NO_BUSINESS:
        return 403
    if where == "missing" or (where == "other" and role in OTHER_PROBLEM):
        return 404
    return 200 if role == OFFICE else 403


def sees(user: Any, problem: Problem) -> bool | None:
    """Whether the problem lies in the user's scope (None: a role without business data)."""
    try:
        selectors.problem_get(viewer=user, problem_id=problem.pk)
    except NotFound:
        return False
    except Forbidden:
        return None
    return True


# --- the permission matrix ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_problem_form_matrix(client_for: Any, other_plan: Plan, role: str) -> None:
    client = client_for(role)
    assert client.get(reverse("plans:problem_create", args=[seed_plan().pk])).status_code == expected(role, "own")
    other = client.get(reverse("plans:problem_create", args=[other_plan.pk])).status_code
    assert other == expected(role, "other" if role in OTHER_PROBLEM else "own")
    assert client.get(reverse("plans:problem_create", args=[MISSING])).status_code == expected(role, "missing")
    # A POST is refused the same way, and writes nothing.
    before = Problem.objects.count()
    post = client.post(reverse("plans:problem_create", args=[seed_plan().pk]), {"text": "x"}).status_code
    assert post == (400 if role == OFFICE else expected(role, "own"))
    assert Problem.objects.count() == before


@pytest.mark.parametrize("view", ["plans:measure_create", "plans:measure_edit"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_measure_forms_matrix(client_for: Any, problems: Any, role: str, view: str) -> None:
    client = client_for(role)

    def target(number: str) -> int:
        problem = problems[number]
        return problem.pk if view == "plans:measure_create" else problem.measures.order_by("seq").first().pk

    assert client.get(reverse(view, args=[target(OWN_PROBLEM.get(role, "十五"))])).status_code == expected(role, "own")
    if role in OTHER_PROBLEM:
        assert client.get(reverse(view, args=[target(OTHER_PROBLEM[role])])).status_code == 404
    assert client.get(reverse(view, args=[MISSING])).status_code == expected(role, "missing")
    assert client.post(reverse(view, args=[MISSING]), {}).status_code == expected(role, "missing")


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_leader_actions_matrix(client_for: Any, users: Any, problems: Any, role: str) -> None:
    client = client_for(role)
    own = problems[OWN_PROBLEM.get(role, "十五")]
    add = client.post(reverse("plans:problem_leader_add", args=[own.pk]), {"user": users["leader"].pk})
    if role == OFFICE:
        assert add.status_code == 302 and ProblemLeader.objects.filter(problem=own).count() == 1
    else:
        assert add.status_code == expected(role, "own") and not ProblemLeader.objects.filter(problem=own).exists()
    link = leaders.problem_leader_add(actor=users[OFFICE], problem=problems["十二"], user=users["leader"])
    if role in OTHER_PROBLEM:
        other = problems[OTHER_PROBLEM[role]]
        assert client.post(reverse("plans:problem_leader_add", args=[other.pk]), {}).status_code == 404
    remove = client.post(reverse("plans:problem_leader_remove", args=[problems["十二"].pk, link.pk]))
    if role == OFFICE:
        assert remove.status_code == 302 and not ProblemLeader.objects.filter(pk=link.pk).exists()
    else:
        assert remove.status_code == (403 if sees(users[role], problems["十二"]) in (True, None) else 404)
        assert ProblemLeader.objects.filter(pk=link.pk).exists()
    assert client.post(reverse("plans:problem_leader_add", args=[MISSING]), {}).status_code == expected(role, "missing")
    assert client.get(reverse("plans:problem_leader_add", args=[own.pk])).status_code in (403, 405)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_led_page_is_every_business_users_own(client_for: Any, role: str) -> None:
    response = client_for(role).get(reverse("plans:led_problems"))
    assert response.status_code == (200 if role in BUSINESS else 403)
    if role in BUSINESS:
        assert "您目前没有包联或分包的整改问题" in response.content.decode()


def test_anonymous_is_sent_to_login(client_for: Any, problems: Any) -> None:
    for url in (
        reverse("plans:problem_create", args=[seed_plan().pk]),
        reverse("plans:measure_create", args=[problems["一"].pk]),
        reverse("plans:measure_edit", args=[problems["一"].measures.first().pk]),
        reverse("plans:led_problems"),
    ):
        response = client_for(None).get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- forms ------------------------------------------------------------------------------------------------


def test_a_problem_is_added_from_the_form(client_for: Any) -> None:
    chapter = Chapter.objects.get(plan=seed_plan(), number="三")
    form = client_for(OFFICE).get(reverse("plans:problem_create", args=[seed_plan().pk])).content.decode()
    assert "将编为问题（三十五）" in form and "朔城区" in form and "市生态环境局" in form
    response = client_for(OFFICE).post(
        reverse("plans:problem_create", args=[seed_plan().pk]),
        {
            "chapter": chapter.pk,
            "source": "self_check",
            "text": "自查发现：部分加油站油气回收装置未正常运行。",
            "goal": "全部正常运行。",
            "deadline": "2022年12月底前",
            "measure_text": "开展加油站油气回收专项检查。",
            "lead_units": [unit("市生态环境局").pk, unit("朔城区政府").pk],
            "support_units": [unit("市市场监督管理局").pk],
        },
    )
    problem = Problem.objects.get(number="三十五")
    assert response.status_code == 302 and response["Location"] == reverse("plans:problem", args=[problem.pk])
    assert problem.source == ItemSource.SELF_CHECK and problem.due_on == dt.date(2022, 12, 31)
    measure = problem.measures.get()
    assert set(Assignment.objects.filter(measure=measure).values_list("unit__name", "role")) == {
        ("市生态环境局", "lead"),
        ("朔城区政府", "lead"),
        ("市市场监督管理局", "support"),
    }
    page = client_for("county_clerk").get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert "自查自纠" in page and 'data-testid="source-badge"' in page
    assert 'data-testid="measure-add"' not in page  # only the city office adds
    office_page = client_for(OFFICE).get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert 'data-testid="measure-add"' in office_page and "指定包联领导" in office_page
    ledger = client_for(OFFICE).get(reverse("plans:ledger") + f"?problem={problem.pk}").content.decode()
    assert ledger.count('data-testid="source-badge"') == 1 and "自查自纠" in ledger


def test_bad_input_is_answered_in_chinese_and_nothing_typed_is_lost(client_for: Any) -> None:
    chapter = Chapter.objects.get(plan=seed_plan(), number="三")
    typed = {
        "chapter": chapter.pk,
        "source": "extrapolation",
        "text": "举一反三：<b>砖瓦窑</b>排查",
        "goal": "达标排放",
        "responsible_person": "分管副市长",
        "deadline": "等上级通知再说",
        "measure_text": "",
        "support_units": [unit("市工信局").pk],
    }
    response = client_for(OFFICE).post(reverse("plans:problem_create", args=[seed_plan().pk]), typed)
    html = response.content.decode()
    assert response.status_code == 400 and not Problem.objects.filter(number="三十五").exists()
    assert "无法识别整改时限“等上级通知再说”" in html
    assert "请填写整改措施。" in html and "请至少选择一个牵头单位" in html
    # Everything typed is still there, escaped.
    assert "举一反三：&lt;b&gt;砖瓦窑&lt;/b&gt;排查</textarea>" in html
    assert 'value="等上级通知再说"' in html and 'value="分管副市长"' in html and "达标排放</textarea>" in html
    assert f'<option value="{chapter.pk}" selected>' in html
    assert '<option value="extrapolation" selected>' in html
    assert f'<option value="{unit("市工信局").pk}" selected>' in html
    # A malformed date is refused without a 500.
    bad_date = client_for(OFFICE).post(
        reverse("plans:problem_create", args=[seed_plan().pk]), {**typed, "due": "2022-13-45"}
    )
    assert bad_date.status_code == 400 and "到期日格式应为 YYYY-MM-DD。" in bad_date.content.decode()


def test_a_measure_is_added_and_edited_from_the_forms(client_for: Any, problems: Any) -> None:
    problem = problems["三"]
    office = client_for(OFFICE)
    response = office.post(
        reverse("plans:measure_create", args=[problem.pk]),
        {"text": "回头看：复查已整改的企业。", "source": "lookback", "lead_units": [unit("市能源局").pk]},
    )
    measure = problem.measures.order_by("-seq").first()
    assert response.status_code == 302 and response["Location"].endswith(f"#measure-{measure.pk}")
    assert measure.text == "回头看：复查已整改的企业。" and measure.deadline_raw == problem.deadline_raw
    edit_url = reverse("plans:measure_edit", args=[measure.pk])
    form = office.get(edit_url).content.decode()
    assert f'<option value="{unit("市能源局").pk}" selected>' in form and "无工作记录，可移除" in form
    response = office.post(
        edit_url,
        {
            "version": measure.version,
            "text": "回头看：复查已整改的企业（修订）。",
            "lead_units": [unit("市能源局").pk],
            "support_units": [unit("市发改委").pk],
            "deadline": "2023年3月底前",
        },
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.text.endswith("（修订）。") and measure.due_on == dt.date(2023, 3, 31)
    assert ("市发改委", "support") in set(Assignment.objects.filter(measure=measure).values_list("unit__name", "role"))
    page = office.get(response["Location"]).content.decode()
    assert "已修改：措施内容、责任单位、整改时限" in page


def test_a_measures_milestones_are_edited_from_the_form_one_a_line(client_for: Any, problems: Any) -> None:
    from rectify.plans.models import Milestone

    measure = problems["三"].measures.order_by("seq").first()
    shares = Assignment.objects.filter(measure=measure)
    edit_url = reverse("plans:measure_edit", args=[measure.pk])
    office = client_for(OFFICE)

    def post(milestones: str) -> Any:
        measure.refresh_from_db()
        return office.post(
            edit_url,
            {
                "version": measure.version,
                "text": measure.text,
                "lead_units": [a.unit_id for a in shares if a.role == "lead"],
                "support_units": [a.unit_id for a in shares if a.role == "support"],
                "deadline": measure.deadline_raw,
                "milestones": milestones,
            },
        )

    response = post("2022年10月底前完成全面排查\n\n  2022年11月底前完成整治  \n")
    assert response.status_code == 302
    nodes = list(Milestone.objects.filter(measure=measure).order_by("seq").values_list("raw", "due_on"))
    assert nodes == [
        ("2022年10月底前完成全面排查", dt.date(2022, 10, 31)),
        ("2022年11月底前完成整治", dt.date(2022, 11, 30)),
    ]
    assert "已修改：阶段性节点" in office.get(response["Location"]).content.decode()
    form = office.get(edit_url).content.decode()
    assert "2022年10月底前完成全面排查\n2022年11月底前完成整治</textarea>" in form
    first = Milestone.objects.get(measure=measure, seq=1)
    first.reached_on = dt.date(2022, 10, 20)
    first.save(update_fields=["reached_on"])
    # A reached node cannot be dropped: the form says which, and keeps what was typed.
    refused = post("2022年11月底前完成整治")
    html = refused.content.decode()
    assert refused.status_code == 400 and "不能删除或修改" in html and "2022年10月底前完成全面排查" in html
    assert Milestone.objects.filter(measure=measure).count() == 2
    # No readable date: a Chinese message, nothing saved.
    bad = post("2022年10月底前完成全面排查\n尽快完成")
    assert bad.status_code == 400 and Milestone.objects.filter(measure=measure).count() == 2


def test_a_stale_edit_form_keeps_what_was_typed(client_for: Any, users: Any, problems: Any) -> None:
    measure = problems["三"].measures.order_by("seq").first()
    seen = measure.version
    editing.measure_update(actor=users[OFFICE], measure=measure, version=seen, text="他人先保存的修改。")
    shares = Assignment.objects.filter(measure=measure)
    response = client_for(OFFICE).post(
        reverse("plans:measure_edit", args=[measure.pk]),
        {
            "version": seen,
            "text": "我的修改",
            "lead_units": [a.unit_id for a in shares if a.role == "lead"],
            "deadline": measure.deadline_raw,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "该措施已被他人修改" in html and "我的修改</textarea>" in html
    assert Measure.objects.get(pk=measure.pk).text == "他人先保存的修改。"


def test_leaders_show_on_the_problem_page_and_the_leaders_own_page(client_for: Any, users: Any, problems: Any) -> None:
    problem = problems["十五"]
    response = client_for(OFFICE).post(
        reverse("plans:problem_leader_add", args=[problem.pk]),
        {"user": users["leader"].pk, "kind": "lead", "title": "常务副市长"},
        follow=True,
    )
    assert "已指定市领导 周平（常务副市长，包联）为问题（十五）的包联领导" in response.content.decode()
    for role in ("county_office", "dept_clerk", "leader"):
        page = client_for(role).get(reverse("plans:problem", args=[problems[OWN_PROBLEM[role]].pk])).content.decode()
        assert "包联领导" in page
    page = client_for("leader").get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert "市领导 周平" in page and "常务副市长，包联" in page and 'id="leader-user"' not in page
    refused = client_for(OFFICE).post(
        reverse("plans:problem_leader_add", args=[problem.pk]), {"user": users["dept_clerk"].pk}, follow=True
    )
    assert "不是领导岗位的用户" in refused.content.decode()
    with time_machine.travel(dt.datetime(2022, 10, 8, 10, tzinfo=SHANGHAI), tick=False):
        own = client_for("leader").get(reverse("plans:led_problems")).content.decode()
    assert f'data-problem="{problem.pk}"' in own and 'data-testid="led-problems">1<' in own


def test_the_problem_page_costs_no_query_per_leader(client_for: Any, users: Any, problems: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problem = problems["一"]
    client = client_for(OFFICE)
    # One leader first: its audit event brings the timeline's one query for people's names.
    leaders.problem_leader_add(actor=users[OFFICE], problem=problem, user=users["leader"])
    client.get(reverse("plans:problem", args=[problem.pk]))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("plans:problem", args=[problem.pk]))
    ProblemLeader.objects.create(problem=problem, user=users["acceptance"], kind="part")
    ProblemLeader.objects.create(problem=problem, user=users["county_clerk"], kind="part")
    with CaptureQueriesContext(connection) as three:
        page = client.get(reverse("plans:problem", args=[problem.pk])).content.decode()
    assert page.count('data-testid="problem-leader"') == 3
    assert len(three.captured_queries) == len(one.captured_queries)
