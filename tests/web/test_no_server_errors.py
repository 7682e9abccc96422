"""No 500 on any input: integers too large for the database, OPTIONS on every endpoint, and a
report on a problem-level assignment, each answer 4xx with a Chinese message (issue 14 point 6)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from rectify.plans.models import Assignment

pytestmark = pytest.mark.django_db
HUGE = "18277682696007090176"
HUGER = "99999999999999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/measures/?problem={HUGE}",
        f"/api/v1/problems/{HUGE}/",
        f"/api/v1/measures/{HUGE}/",
        f"/api/v1/reports/?measure={HUGE}",
        f"/api/v1/problems/?plan={HUGE}",
        f"/api/v1/warnings/?unit={HUGE}",
    ],
)
def test_an_integer_too_large_in_an_api_query_answers_4xx(client_for: Any, url: str) -> None:
    # SQLite's driver refuses the number (400 from the middleware); PostgreSQL compares it and
    # finds nothing (an empty list). Never a 500, never a row.
    response = client_for("city_office").get(url)
    assert response.status_code < 500, (url, response.status_code)
    if response.status_code == 200:
        assert response.json().get("count", len(response.json().get("results", []))) == 0, url


@pytest.mark.parametrize(
    "url",
    [
        f"/?unit={HUGE}",
        f"/?chapter={HUGE}&plan={HUGE}",
        f"/problems/{HUGE}/",
        f"/board/?unit={HUGE}",
        f"/complaints/?batch={HUGE}",
    ],
)
def test_an_integer_too_large_in_a_page_query_answers_4xx_or_ignores_it(client_for: Any, url: str) -> None:
    response = client_for("city_office").get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_a_visit_naming_a_problem_id_too_large_is_refused_with_a_message(client_for: Any) -> None:
    response = client_for("city_office").post(
        "/api/v1/visits/",
        {"problems": [HUGER], "title": "现场检查", "visited_on": "2022-07-01"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content


def test_options_answers_on_every_api_endpoint(client_for: Any) -> None:
    from django.urls import get_resolver

    client = client_for("city_office")
    resolver = get_resolver()
    api = resolver.url_patterns
    urls = []
    for pattern in api:
        if str(pattern.pattern) != "api/v1/":
            continue
        for sub in pattern.url_patterns:
            route = str(sub.pattern).replace("<int:pk>", "1").replace("<int:unit_id>", "1")
            if "<" not in route:
                urls.append("/api/v1/" + route)
    assert len(urls) > 40
    for url in urls:
        response = client.options(url)
        assert response.status_code < 500, (url, response.status_code)


def test_a_report_on_a_problem_level_assignment_is_a_400_with_a_message(client_for: Any) -> None:
    row = Assignment.objects.filter(measure__isnull=True, unit__isnull=False).first()
    if row is None:
        row = Assignment.objects.filter(unit__isnull=False).first()
        assert row is not None
        row = Assignment.objects.create(problem=row.problem, unit=row.unit, phrase=row.phrase)
    response = client_for("city_office").post(
        reverse("api:reports"),
        {"assignment": row.pk, "percent": 50, "text": "进展", "plan_text": "计划"},
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json() or response.json()
