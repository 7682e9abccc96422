"""/api/v1/ for 督察轮次: the same services, scoping and Chinese messages as the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from rectify.plans.models import InspectionRound, Plan, Problem, ProblemLink
from tests.domain.rounds_helpers import close, make_plan

from .test_round_pages import BUSINESS, MISSING, NO_BUSINESS, build_cast_rounds, expected_counts, visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast_rounds(office: Any, problems: Any) -> dict[str, Any]:
    return build_cast_rounds(office, problems)


@pytest.fixture
def office(users: Any) -> Any:
    return users["city_office"]


def api(client: Any, method: str, name: str, *args: Any, data: Any = None) -> Any:
    url = reverse(f"api:{name}", args=args)
    call = getattr(client, method)
    return call(url, data=data, content_type="application/json") if data is not None else call(url)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_round_list_has_each_callers_counts(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    response = api(client_for(role), "get", "rounds")
    assert response.status_code == (200 if role in BUSINESS else 403)
    if role in BUSINESS:
        rows = {row["id"]: row for row in response.json()}
        for r in InspectionRound.objects.all():
            assert rows[r.pk]["counts"] == expected_counts(role, r)
        assert rows[cast_rounds["lookback"].pk]["kind_label"] == "回头看"


@pytest.mark.parametrize("role", BUSINESS)
def test_a_round_shows_the_callers_plans(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    body = api(client, "get", "round", cast_rounds["seed"].pk).json()
    assert body["counts"] == expected_counts(role, cast_rounds["seed"])
    seed_plan = Plan.objects.filter(round=cast_rounds["seed"]).values_list("pk", flat=True)
    assert [p["id"] for p in body["plans"]] == (list(seed_plan) if body["counts"]["plans"] else [])
    assert api(client, "get", "round", MISSING).status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_creates_and_edits_rounds(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    allowed = role == "city_office"
    response = api(client, "post", "rounds", data={"name": f"{role}的轮次", "level": "central", "round_no": 3})
    assert response.status_code == (201 if allowed else 403)
    lookback = cast_rounds["lookback"]
    response = api(client, "patch", "round", lookback.pk, data={"round_no": 1, "version": lookback.version})
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert response.json()["round_no"] == 1 and response.json()["name"] == lookback.name
        stale = api(client, "patch", "round", lookback.pk, data={"round_no": 2, "version": lookback.version})
        assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "level": "central"}, "请填写督察轮次名称"),
        ({"name": "某轮", "level": "central", "kind": "special"}, "专项督察请填写督察主题"),
        ({"name": "某轮", "level": "central", "round_no": "二"}, "轮次应为 1 至 99 之间的整数"),
        ({"name": "某轮", "level": "central", "feedback_on": "2021/1/1"}, "反馈日期格式应为 YYYY-MM-DD"),
    ],
)
def test_bad_input_gets_the_pages_chinese_message(client_for: Any, body: dict[str, Any], message: str) -> None:
    response = api(client_for("city_office"), "post", "rounds", data=body)
    assert response.status_code == 400 and message in response.json()["detail"]


def test_an_edit_without_a_version_is_refused(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    response = api(client_for("city_office"), "patch", "round", cast_rounds["seed"].pk, data={"round_no": 1})
    assert response.status_code == 400 and "版本号" in response.json()["detail"]


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_sets_a_plans_round(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    plan = make_plan("朔城区自查方案", [("某问题", ["朔城区政府", "市生态环境局"])], round=cast_rounds["seed"])
    response = api(client, "post", "plan_round", plan.pk, data={"round": None})
    assert response.status_code == (200 if role == "city_office" else 403)
    if role == "city_office":
        assert response.json() == {"id": plan.pk, "title": plan.title, "round": None, "round_name": None}
        back = api(client, "post", "plan_round", plan.pk, data={"round": cast_rounds["seed"].pk})
        assert back.json()["round_name"] == cast_rounds["seed"].name
        missing = api(client, "post", "plan_round", plan.pk, data={"round": MISSING})
        assert missing.status_code == 400 and "督察轮次不存在" in missing.json()["detail"]
    if role == "county_clerk":
        assert api(client, "post", "plan_round", cast_rounds["plan"].pk, data={"round": None}).status_code == 403
    if role == "city_office":  # the seed plan's problems are linked to the 回头看's: it stays in its round
        linked = api(client, "post", "plan_round", Plan.objects.order_by("pk")[0].pk, data={"round": None})
        assert linked.status_code == 400 and "前后矛盾" in linked.json()["detail"]


@pytest.mark.parametrize("role", BUSINESS)
def test_a_problems_links_are_scoped(client_for: Any, role: str, cast_rounds: dict[str, Any]) -> None:
    client = client_for(role)
    seen = set(visible(role).values_list("pk", flat=True))
    for problem in (cast_rounds["mine"], cast_rounds["other"]):
        response = api(client, "get", "problem_links", problem.pk)
        if problem.pk not in seen:
            assert response.status_code == 404
            continue
        expected = {
            link.pk
            for link in ProblemLink.objects.filter(earlier=problem) | ProblemLink.objects.filter(later=problem)
            if {link.earlier_id, link.later_id} <= seen
        }
        assert {link["id"] for link in response.json()} == expected


def test_linking_and_unlinking_through_the_api(client_for: Any, problems: Any, cast_rounds: dict[str, Any]) -> None:
    client = client_for("city_office")
    mine = cast_rounds["mine"]
    earlier = close(problems["三十"])
    response = api(client, "post", "problem_links", mine.pk, data={"earlier": earlier.pk, "note": "同一村"})
    assert response.status_code == 201
    body = response.json()
    assert body["is_relapse"] and body["earlier"]["recurred"] and body["later"]["recurred"]
    assert body["earlier"]["round_name"] == cast_rounds["seed"].name
    again = api(client, "post", "problem_links", mine.pk, data={"earlier": earlier.pk})
    assert again.status_code == 400 and "已经关联" in again.json()["detail"]
    wrong = api(client, "post", "problem_links", earlier.pk, data={"earlier": mine.pk})
    assert wrong.status_code == 400 and "并不晚于" in wrong.json()["detail"]
    empty = api(client, "post", "problem_links", mine.pk, data={"note": "x"})
    assert empty.status_code == 400 and "earlier" in empty.json()["detail"]
    assert api(client, "get", "problem_link", body["id"]).json()["note"] == "同一村"
    assert api(client, "delete", "problem_link", body["id"]).status_code == 204
    assert not Problem.objects.get(pk=earlier.pk).recurred and not ProblemLink.objects.filter(pk=body["id"]).exists()
    assert api(client, "delete", "problem_link", body["id"]).status_code == 404


@pytest.mark.parametrize("role", [r for r in BUSINESS if r != "city_office"] + NO_BUSINESS)
def test_other_roles_may_not_link_or_unlink(
    client_for: Any, role: str, problems: Any, cast_rounds: dict[str, Any]
) -> None:
    client = client_for(role)
    link = cast_rounds["links"][0]
    response = api(client, "post", "problem_links", cast_rounds["mine"].pk, data={"earlier": problems["二"].pk})
    assert response.status_code in ((404,) if role == "dept_clerk" else (403,))
    response = api(client, "delete", "problem_link", link.pk)
    assert response.status_code in ((404,) if role == "dept_clerk" else (403,))
    assert ProblemLink.objects.filter(pk=link.pk).exists()


def test_a_county_clerk_does_not_see_a_link_to_a_problem_outside_its_scope(
    client_for: Any, cast_rounds: dict[str, Any]
) -> None:
    client = client_for("county_clerk")
    hidden = cast_rounds["links"][2]  # （十七）→ another unit's problem
    assert api(client, "get", "problem_link", hidden.pk).status_code == 404
    assert api(client, "get", "problem_link", cast_rounds["links"][0].pk).status_code == 200


def test_a_body_that_is_not_an_object_is_refused_in_chinese(client_for: Any, cast_rounds: dict[str, Any]) -> None:
    client = client_for("city_office")
    for response in (
        client.post(reverse("api:rounds"), data="[1, 2]", content_type="application/json"),
        client.patch(reverse("api:round", args=[cast_rounds["seed"].pk]), data="3", content_type="application/json"),
        client.post(
            reverse("api:problem_links", args=[cast_rounds["mine"].pk]), data='"x"', content_type="application/json"
        ),
    ):
        assert response.status_code == 400 and "JSON 对象" in response.json()["detail"]
