"""督察轮次 pages: every role × every page and action, the counts against this file's own queries
(on the hand-made cast and on a generated set of rounds), what a county clerk sees, the problem
page's 前后轮次 section and its link form with a few hundred problems, the ledger's 反弹 badge,
Chinese messages on bad input, and query budgets."""

from __future__ import annotations

import datetime as dt
import random
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectify.orgs.models import OrgUnit
from rectify.plans import rounds
from rectify.plans.models import InspectionRound, Plan, Problem, ProblemLink
from tests.domain.rounds_helpers import close, make_plan, make_round

pytestmark = pytest.mark.django_db

BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
NOT_CITY = [r for r in BUSINESS if r != "city_office"]
MISSING = 987654
# Each role's units, written independently of rectify.orgs.scope: the unit (or region) and below.
ROLE_ROOT = {"county_office": "朔城区", "county_clerk": "朔城区政府", "dept_clerk": "市生态环境局"}


def role_units(role: str) -> set[int] | None:
    """None = everything (the city-wide roles)."""
    if role not in ROLE_ROOT:
        return None
    root = OrgUnit.objects.get(name=ROLE_ROOT[role])
    return set(OrgUnit.objects.filter(path__startswith=root.path).values_list("pk", flat=True))


def visible(role: str) -> Any:
    units = role_units(role)
    qs = Problem.objects.all()
    return qs if units is None else qs.filter(assignments__unit_id__in=units).distinct()


def expected_counts(role: str, r: InspectionRound) -> dict[str, int]:
    problems = visible(role).filter(plan__round=r)
    return {
        "plans": Plan.objects.filter(pk__in=problems.values("plan_id")).count()
        if role_units(role) is not None
        else Plan.objects.filter(round=r).count(),
        "problems": problems.count(),
        "closed": problems.filter(status__in=["closed", "ongoing"]).count(),
        "recurred": problems.filter(recurred=True).count(),
    }


COUNT = re.compile(r'data-count="(\w+)">(?:<[^>]+>)*(\d+)')


def list_counts(html: str) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for chunk in html.split('<tr data-round="')[1:]:
        pk, _, rest = chunk.partition('"')
        row = rest.split("</tr>")[0]
        out[int(pk)] = {k: int(v) for k, v in COUNT.findall(row)}
    return out


def detail_counts(html: str) -> dict[str, int]:
    block = html.split('id="round-counts"')[1].split('id="round-plans"')[0]
    return {k: int(v) for k, v in COUNT.findall(block)}


@pytest.fixture
def office(users: Any) -> Any:
    return users["city_office"]


@pytest.fixture
def cast_rounds(office: Any, problems: Any) -> dict[str, Any]:
    return build_cast_rounds(office, problems)


def build_cast_rounds(office: Any, problems: Any) -> dict[str, Any]:
    """The seed plan in its round; a 回头看 plan with a problem a county clerk sees and one it does
    not; three links: （一）→ its own (visible both ends to the clerk), （十五）→ the other, and the
    closed （十七）→ its own (a 反弹; （十七） is outside the clerk's scope)."""
    seed = make_round("省生态环境保护督察（2021年）", feedback_on=dt.date(2022, 2, 25))
    rounds.plan_set_round(actor=office, plan=Plan.objects.order_by("pk").first(), round=seed)  # type: ignore[arg-type]
    lookback = make_round("省督察“回头看”（2023年）", feedback_on=dt.date(2023, 6, 1), kind="lookback")
    plan = make_plan(
        "回头看整改方案",
        [("朔城区散煤清洁替代仍不彻底。", ["朔城区政府"]), ("桑干河保护区违法开发仍未整治。", ["市规划和自然资源局"])],
        round=lookback,
    )
    mine, other = plan.problems.get(index=1), plan.problems.get(index=2)
    links = [
        rounds.problem_link(actor=office, earlier=problems["一"], later=mine),
        rounds.problem_link(actor=office, earlier=problems["十五"], later=other),
        rounds.problem_link(actor=office, earlier=close(problems["十七"]), later=other),
    ]
    return {"seed": seed, "lookback": lookback, "plan": plan, "mine": mine, "other": other, "links": links}


# --- permission matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_round_list_and_a_round_open_to_business_roles_only(
    client_for: Any, role: str, cast_rounds: dict[str, Any]
) -> None:
    client = client_for(role)
    expected = 200 if role in BUSINESS else 403
    assert client.get(reverse("plans:rounds")).status_code == expected
    assert client.get(reverse("plans:round", args=[cast_rounds["lookback"].pk])).status_code == expected
    assert client.get(reverse("plans:round", args=[MISSING])).status_code == (404 if role in BUSINESS else 403)


@pytest.mark.parametrize("name", ["plans:rounds", "plans:round_create"])
def test_anonymous_is_sent_to_login(client_for: Any, name: str) -> None:
    response = client_for(None).get(reverse(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_creates_and_edits_rounds(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    lookback = cast_rounds["lookback"]
    allowed = role == "city_office"
    assert client.get(reverse("plans:round_create")).status_code == (200 if allowed else 403)
    assert client.get(reverse("plans:round_edit", args=[lookback.pk])).status_code == (200 if allowed else 403)
    response = client.post(reverse("plans:round_create"), {"name": f"{role}的轮次", "level": "central"})
    assert response.status_code == (302 if allowed else 403)
    assert InspectionRound.objects.filter(name=f"{role}的轮次").exists() == allowed
    body = {**{k: v or "" for k, v in rounds.round_input_of(lookback).__dict__.items()}, "round_no": "1"}
    response = client.post(reverse("plans:round_edit", args=[lookback.pk]), {**body, "version": lookback.version})
    assert response.status_code == (302 if allowed else 403)
    lookback.refresh_from_db()
    assert (lookback.round_no == 1) == allowed
    missing = client.get(reverse("plans:round_edit", args=[MISSING])).status_code
    assert missing == (404 if role in BUSINESS else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_puts_a_plan_in_a_round(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    plan, seed = cast_rounds["plan"], cast_rounds["seed"]
    fresh = make_plan("朔城区自查方案", [("某问题", ["朔城区政府", "市生态环境局"])])
    response = client.post(reverse("plans:plan_round", args=[fresh.pk]), {"round": seed.pk})
    assert response.status_code == (302 if role == "city_office" else 403)
    assert (Plan.objects.get(pk=fresh.pk).round_id == seed.pk) == (role == "city_office")
    response = client.post(reverse("plans:round_plan_add", args=[seed.pk]), {"plan": fresh.pk})
    assert response.status_code == (302 if role == "city_office" else 403)
    # Another county's plan is not found for a county clerk; a missing one for everybody.
    if role in ("county_clerk", "county_office", "dept_clerk"):
        hidden = make_plan("平鲁区方案", [("某问题", ["平鲁区政府"])])
        assert client.post(reverse("plans:plan_round", args=[hidden.pk]), {"round": ""}).status_code == 404
    missing = client.post(reverse("plans:plan_round", args=[MISSING]), {"round": ""}).status_code
    assert missing == (404 if role in BUSINESS else 403)
    assert Plan.objects.get(pk=plan.pk).round_id == cast_rounds["lookback"].pk


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_links_and_unlinks(
    client_for: Any, role: str, problems: Any, cast_rounds: dict[str, Any]
) -> None:
    client = client_for(role)
    mine, other = cast_rounds["mine"], cast_rounds["other"]
    link = cast_rounds["links"][0]  # （一）→ mine: visible to every business role but dept_clerk…
    own = mine if role != "dept_clerk" else None
    expected = 302 if role == "city_office" else 403
    if own is not None:
        response = client.post(reverse("plans:problem_link", args=[own.pk]), {"earlier": problems["二"].pk})
        assert response.status_code == expected
        assert ProblemLink.objects.filter(later=own, earlier=problems["二"]).exists() == (role == "city_office")
        response = client.post(reverse("plans:problem_unlink", args=[own.pk, link.pk]))
        assert response.status_code == expected
        assert ProblemLink.objects.filter(pk=link.pk).exists() == (role != "city_office")
    if role in ("county_clerk", "county_office"):  # `other` is outside the county
        response = client.post(reverse("plans:problem_link", args=[other.pk]), {"earlier": problems["二"].pk})
        assert response.status_code == 404
        hidden = cast_rounds["links"][1]
        assert client.post(reverse("plans:problem_unlink", args=[other.pk, hidden.pk])).status_code == 404
    missing = client.post(reverse("plans:problem_link", args=[MISSING]), {"earlier": problems["二"].pk})
    assert missing.status_code == (404 if role in BUSINESS else 403)


# --- the numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", BUSINESS)
def test_the_counts_match_independent_queries_and_a_clerk_sees_its_scope_only(
    client_for: Any, role: str, cast_rounds: dict[str, Any]
) -> None:
    client = client_for(role)
    html = client.get(reverse("plans:rounds")).content.decode()
    shown = list_counts(html)
    for r in InspectionRound.objects.all():
        assert shown[r.pk] == expected_counts(role, r), (role, r.name)
        page = client.get(reverse("plans:round", args=[r.pk])).content.decode()
        assert detail_counts(page) == expected_counts(role, r)
    page = client.get(reverse("plans:round", args=[cast_rounds["lookback"].pk])).content.decode()
    rows = set(map(int, re.findall(r'<tr data-problem="(\d+)"', page)))
    assert rows == set(visible(role).filter(plan__round=cast_rounds["lookback"]).values_list("pk", flat=True))
    ids = set(visible(role).values_list("pk", flat=True))
    links = set(map(int, re.findall(r'<tr data-link="(\d+)"', page)))
    assert links == {link.pk for link in cast_rounds["links"] if {link.earlier_id, link.later_id} <= ids}


def test_a_county_clerk_sees_its_problem_and_its_link_only(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    client = client_for("county_clerk")
    page = client.get(reverse("plans:round", args=[cast_rounds["lookback"].pk])).content.decode()
    assert "朔城区散煤清洁替代仍不彻底" in page and "桑干河保护区违法开发仍未整治" not in page
    assert len(re.findall(r'<tr data-link="', page)) == 1
    assert client.get(reverse("plans:problem", args=[cast_rounds["other"].pk])).status_code == 404
    problem_page = client.get(reverse("plans:problem", args=[cast_rounds["mine"].pk])).content.decode()
    assert 'data-testid="links-earlier"' in problem_page and "problem-link-form" not in problem_page


def test_the_counts_on_a_generated_set_of_rounds(client_for: Any, office: Any) -> None:
    """Rounds, plans, problems of random units, closed at random and linked at random through the
    services; every count of every role against this file's queries."""
    rng = random.Random(20220617)
    pool = ["朔城区政府", "朔城区党委", "平鲁区政府", "市生态环境局", "市能源局", "市工信局", "怀仁市政府"]
    made: list[InspectionRound] = []
    for n in range(4):
        r = make_round(f"生成的轮次{n}", feedback_on=dt.date(2019 + n, 3, 1), kind=rng.choice(["routine", "lookback"]))
        made.append(r)
        for k in range(rng.randint(1, 2)):
            specs = [(f"第{n}轮问题{k}-{i}", rng.sample(pool, rng.randint(1, 2))) for i in range(rng.randint(3, 8))]
            plan = make_plan(f"生成的方案{n}-{k}", specs, round=r)
            for p in plan.problems.all():
                if rng.random() < 0.4:
                    close(p)
    for later_round in made[1:]:
        earlier_ids = list(Problem.objects.filter(plan__round__in=made[: made.index(later_round)]))
        for p in Problem.objects.filter(plan__round=later_round):
            if rng.random() < 0.5:
                rounds.problem_link(actor=office, earlier=rng.choice(earlier_ids), later=p)
    assert Problem.objects.filter(recurred=True).exists()
    for role in BUSINESS:
        client = client_for(role)
        shown = list_counts(client.get(reverse("plans:rounds")).content.decode())
        for r in made:
            assert shown[r.pk] == expected_counts(role, r), (role, r.name)
    # 反弹 on both ends: a problem is marked exactly when a relapse link touches it.
    ends = set(ProblemLink.objects.filter(is_relapse=True).values_list("earlier_id", flat=True)) | set(
        ProblemLink.objects.filter(is_relapse=True).values_list("later_id", flat=True)
    )
    assert set(Problem.objects.filter(recurred=True).values_list("pk", flat=True)) == ends


# --- pages ---------------------------------------------------------------------------------------


def test_the_ledger_shows_the_relapse_beside_the_problem(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    other = cast_rounds["other"]
    page = client_for("city_office").get(reverse("plans:ledger") + f"?problem={other.pk}").content.decode()
    assert page.count('data-relapse="1"') == other.measures.count() >= 1
    clean = client_for("city_office").get(reverse("plans:ledger") + f"?problem={cast_rounds['mine'].pk}")
    assert 'data-relapse="1"' not in clean.content.decode()


def test_the_plan_index_shows_and_changes_a_plans_round(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    page = client_for("city_office").get(reverse("plans:plans")).content.decode()
    assert cast_rounds["lookback"].name in page and "plan-round-form" in page
    clerk = client_for("county_clerk").get(reverse("plans:plans")).content.decode()
    assert cast_rounds["seed"].name in clerk and "plan-round-form" not in clerk


def test_bad_round_input_shows_a_chinese_message_and_keeps_what_was_typed(client_for: Any) -> None:
    response = client_for("city_office").post(
        reverse("plans:round_create"), {"name": "某专项督察", "level": "central", "kind": "special", "round_no": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 400 and "轮次应为 1 至 99 之间的整数" in page and 'value="某专项督察"' in page
    response = client_for("city_office").post(
        reverse("plans:round_create"), {"name": "某专项督察", "level": "central", "kind": "special"}
    )
    assert response.status_code == 400 and "专项督察请填写督察主题" in response.content.decode()


def test_a_stale_edit_is_refused_with_a_message(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    lookback = cast_rounds["lookback"]
    body = {k: v or "" for k, v in rounds.round_input_of(lookback).__dict__.items()}
    response = client_for("city_office").post(reverse("plans:round_edit", args=[lookback.pk]), {**body, "version": 0})
    assert response.status_code == 400 and "已被他人修改" in response.content.decode()


def test_linking_from_the_problem_page_marks_both_and_says_so(
    client_for: Any, problems: Any, cast_rounds: dict[str, Any]
) -> None:
    client = client_for("city_office")
    mine = cast_rounds["mine"]
    closed = close(problems["三十"])
    response = client.post(
        reverse("plans:problem_link", args=[mine.pk]), {"earlier": closed.pk, "note": "同一村"}, follow=True
    )
    page = response.content.decode()
    assert "两个问题均已标记为“反弹”" in page
    assert Problem.objects.get(pk=mine.pk).recurred and Problem.objects.get(pk=closed.pk).recurred
    response = client.post(reverse("plans:problem_link", args=[mine.pk]), {"earlier": closed.pk}, follow=True)
    assert "已经关联" in response.content.decode()
    response = client.post(reverse("plans:problem_link", args=[mine.pk]), {"earlier": ""}, follow=True)
    assert "请先选择前一轮次中的同一问题" in response.content.decode()
    earlier_page = client.get(reverse("plans:problem", args=[closed.pk])).content.decode()
    assert 'data-testid="links-later"' in earlier_page and "朔城区散煤清洁替代仍不彻底" in earlier_page


def test_the_link_form_offers_a_few_hundred_earlier_problems_within_budget(client_for: Any, office: Any) -> None:
    old = make_round("第一轮（生成）", feedback_on=dt.date(2018, 1, 1))
    make_plan("三百个问题的方案", [(f"问题{i}", ["市工信局"]) for i in range(300)], round=old)
    new = make_round("第二轮（生成）", feedback_on=dt.date(2023, 1, 1))
    plan = make_plan("新一轮", [("某问题", ["市工信局"])], round=new)
    later = plan.problems.get()
    client = client_for("city_office")
    url = reverse("plans:problem", args=[later.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url).content.decode()
    form = page.split('id="problem-link-form"')[1].split("</form>")[0]
    assert form.count("<option value=") - form.count('<option value="">') == 300 + 1  # 300 problems + 1 round
    assert len(ctx.captured_queries) <= 26, [q["sql"][:100] for q in ctx.captured_queries]


# A clerk's visible problems are read as one id list per use since issue 16 (plans.selectors.
# _visible_problem_condition: PostgreSQL planned the subquery as a scan of every measure), so the
# round pages, which scope four lists, read it four times: still a fixed number, not per row.
@pytest.mark.parametrize(("name", "budget"), [("plans:rounds", 11), ("plans:round", 19), ("plans:plans", 11)])
def test_round_pages_cost_a_fixed_number_of_queries(
    client_for: Any, cast_rounds: dict[str, Any], name: str, budget: int
) -> None:
    client = client_for("county_clerk")
    url = reverse(name, args=[cast_rounds["lookback"].pk]) if name == "plans:round" else reverse(name)

    def cost() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = cost()
    for n in range(5):
        make_round(f"另一轮{n}", feedback_on=dt.date(2010 + n, 1, 1))
        make_plan(
            f"另一方案{n}", [("某问题", ["朔城区政府"]), ("另一问题", ["朔城区政府"])], round=cast_rounds["lookback"]
        )
    assert cost() == first <= budget
