"""The API ledger list is built from flat rows (rectify.api.ledger_rows); it must say exactly what
the nested MeasureSerializer says about the same measures, field for field, in the same order."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rectify.api.serializers import MeasureSerializer
from rectify.plans import selectors
from rectify.plans.models import Assignment, Measure, Milestone

pytestmark = pytest.mark.django_db


def _reference(user: Any, query: dict[str, str]) -> list[dict[str, Any]]:
    filters = selectors.LedgerFilters.from_query(query)
    measures = selectors.with_ledger_relations(selectors.measure_list(viewer=user, filters=filters))
    return json.loads(json.dumps(MeasureSerializer(list(measures), many=True).data))


def _fill_the_optional_fields() -> None:
    """Give the seed rows values in every nullable field, so each format is compared."""
    when = timezone.make_aware(dt.datetime(2022, 7, 1, 9, 30, 15, 123456))
    measure = Measure.objects.filter(milestones__isnull=False).first()
    assert measure is not None
    Measure.objects.filter(pk=measure.pk).update(
        progress=42.5, last_report_at=when, closed_on=dt.date(2022, 8, 1), warning_level="red", reopened_count=1
    )
    Assignment.objects.filter(measure=measure).update(
        progress=60,
        last_report_at=when,
        closed_on=dt.date(2022, 8, 2),
        warning_level="yellow",
        warning_reasons=[{"level": "yellow", "code": "behind", "message": "进度滞后"}],
        due_extended=True,
    )
    Milestone.objects.filter(measure=measure).update(reached_on=dt.date(2022, 6, 30))
    Measure.objects.filter(pk__in=Measure.objects.exclude(pk=measure.pk).values("pk")[:3]).update(progress=0)


@pytest.mark.parametrize(
    ("username", "query"),
    [
        ("city_office", {}),
        ("city_office", {"overdue": "1"}),
        ("city_office", {"q": "扬尘"}),
        ("county_clerk", {}),
        ("dept_clerk", {"status": "in_progress,completed"}),
    ],
)
def test_the_flat_list_says_what_the_serializer_says(
    users: Any, client_for: Any, username: str, query: dict[str, str]
) -> None:
    _fill_the_optional_fields()
    data = client_for(username).get("/api/v1/measures/", {**query, "page_size": "500"}).json()
    expected = _reference(users[username], query)
    assert data["count"] == len(expected) > 0
    assert [list(m) for m in data["results"]] == [list(m) for m in expected]  # the same keys, in order
    assert data["results"] == expected


def test_a_page_costs_a_fixed_number_of_queries(client_for: Any) -> None:
    client = client_for("city_office")
    client.get("/api/v1/measures/?page_size=5")
    with CaptureQueriesContext(connection) as small:
        assert len(client.get("/api/v1/measures/?page_size=5").json()["results"]) == 5
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/v1/measures/?page_size=90").json()["results"]) == 90
    assert len(small) == len(large) <= 8
