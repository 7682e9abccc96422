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


def _html_rows(user: Any, query: dict[str, str], read: Any) -> str:
    from django.test import RequestFactory

    from rectify.plans.templatetags.ledger import ledger_row

    request = RequestFactory().get("/")
    request.user = user
    pager = selectors.MeasurePager(viewer=user, filters=selectors.LedgerFilters.from_query(query), read=read)
    return "".join(ledger_row({"request": request}, m) for m in pager[0:500])


@pytest.mark.parametrize(
    ("username", "query"),
    [("city_office", {}), ("city_office", {"overdue": "1"}), ("county_clerk", {}), ("dept_clerk", {"q": "扬尘"})],
)
def test_the_html_ledger_rows_from_flat_rows_print_what_the_model_rows_print(
    users: Any, username: str, query: dict[str, str]
) -> None:
    from rectify.orgs.models import OrgUnit
    from rectify.plans.ledger_page import ledger_page
    from rectify.plans.models import Problem

    _fill_the_optional_fields()
    # Flags, a relapse, a hand-added source and a recurring deadline: every branch of the row.
    Problem.objects.filter(pk=Problem.objects.order_by("pk").values("pk")[:1]).update(
        flags=["listed"], recurred=True, source="self_check"
    )
    OrgUnit.objects.filter(pk__in=Assignment.objects.filter(unit__isnull=False).values("unit_id")[:2]).update(
        flags=["interview"]
    )
    Measure.objects.filter(pk=Measure.objects.order_by("pk").values("pk")[:1]).update(
        deadline_kind="recurring", recurrence="monthly", start_on=dt.date(2022, 3, 1), source="extrapolation"
    )
    Assignment.objects.filter(pk=Assignment.objects.filter(measure__isnull=False).values("pk")[:1]).update(
        warning_reasons=[{"level": "red", "code": "overdue", "message": "已逾期<b>"}], warning_level="red"
    )
    models = _html_rows(users[username], query, lambda qs, a, b: list(selectors.with_ledger_relations(qs)[a:b]))
    flat = _html_rows(users[username], query, ledger_page)
    assert models.count("<tr>") > 0
    assert flat == models
    if username == "city_office" and not query:  # the first problem is on the page: its badges too
        assert 'data-flag="listed"' in flat and 'data-relapse="1"' in flat and "周期性·每月" in flat
        assert 'data-flag="interview"' in flat and "已逾期&lt;b&gt;" in flat


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"overdue": "1"},
        {"kind": "date", "due_after": "2022-06-01", "due_before": "2022-12-31"},
        {"status": "in_progress,completed", "kind": "date,annual"},
    ],
)
@pytest.mark.parametrize("username", ["city_office", "county_clerk"])
def test_a_walked_page_lists_what_the_indexed_page_lists(
    users: Any, monkeypatch: Any, username: str, query: dict[str, str]
) -> None:
    """The pager reads a page along the ledger's order when the count says so: the same rows."""
    filters = selectors.LedgerFilters.from_query(query)
    expected = list(selectors.measure_list(viewer=users[username], filters=filters).values_list("pk", flat=True))
    walked = list(
        selectors.measure_list(viewer=users[username], filters=filters, walk=True).values_list("pk", flat=True)
    )
    assert walked == expected and expected
    monkeypatch.setattr(selectors.MeasurePager, "WALK_MIN_COUNT", 1)
    monkeypatch.setattr(selectors.MeasurePager, "WALK_SHARE", 1)
    pager = selectors.MeasurePager(
        viewer=users[username], filters=filters, read=lambda qs, a, b: [m.pk for m in qs[a:b]]
    )
    assert pager.count() == len(expected)
    assert pager[0:5] == expected[:5] and pager.walked
    assert pager[0 : len(expected) + 1] == expected


@pytest.mark.parametrize(
    "query", [{"overdue": "1"}, {"kind": "date", "due_after": "2022-06-01", "due_before": "2022-12-31"}]
)
def test_a_clerks_short_list_of_problems_is_walked_for_count_and_page(users: Any, query: dict[str, str]) -> None:
    """A viewer whose problems are an id list walks them (bounded by its own measures) whatever the
    count, and counts and lists exactly what the indexed query does; the whole-province viewer
    does not walk a small match set."""
    filters = selectors.LedgerFilters.from_query(query)
    for username, walks in (("county_clerk", True), ("city_office", False)):
        expected = list(selectors.measure_list(viewer=users[username], filters=filters).values_list("pk", flat=True))
        pager = selectors.MeasurePager(
            viewer=users[username], filters=filters, read=lambda qs, a, b: [m.pk for m in qs[a:b]]
        )
        assert pager.count() == len(expected) and expected
        assert pager[0:20] == expected[:20] and pager.walked is walks


def test_the_walk_hides_the_filters_from_sqlites_indexes(users: Any) -> None:
    filters = selectors.LedgerFilters.from_query({"kind": "date", "due_after": "2022-06-01", "status": "in_progress"})
    sql = str(selectors.measure_list(viewer=users["city_office"], filters=filters, walk=True).query)
    if connection.vendor == "sqlite":
        assert '+"plans_measure"."due_on" >=' in sql and '+"plans_measure"."status" IN' in sql
    else:
        assert "+" not in sql


@pytest.mark.parametrize("limit", [1, 100_000])
def test_a_clerks_ledger_is_its_units_problems_measures_as_a_list_or_a_subquery(
    users: Any, monkeypatch: Any, limit: int
) -> None:
    from rectify.orgs.scope import viewer_scope

    monkeypatch.setattr(selectors, "ID_LIST_LIMIT", limit)
    clerk = users["county_clerk"]
    problems = Assignment.objects.filter(unit_id__in=viewer_scope(clerk).unit_ids).values_list("problem_id", flat=True)
    expected = sorted(Measure.objects.filter(problem_id__in=set(problems)).values_list("problem_id", "seq", "pk"))
    got = list(selectors.measure_list(viewer=clerk).values_list("problem_id", "seq", "pk"))
    assert got == expected and 0 < len(got) < Measure.objects.count()
    assert selectors.MeasurePager(viewer=clerk).count() == len(expected)
    condition = selectors._visible_problem_condition(viewer_scope(clerk), "problem_id")
    assert (getattr(condition.children[0], "ids", None) is not None) == (limit >= len(set(problems)))


@pytest.mark.parametrize("limit", [1, 100_000])
def test_the_unit_and_county_filters_are_their_shares_measures_as_a_list_or_a_subquery(
    users: Any, monkeypatch: Any, limit: int
) -> None:
    from rectify.orgs.models import OrgUnit

    monkeypatch.setattr(selectors, "ID_LIST_LIMIT", limit)
    unit = OrgUnit.objects.get(name="市能源局")
    county = OrgUnit.objects.get(name="右玉县")
    by_unit = set(Assignment.objects.filter(unit=unit, measure__isnull=False).values_list("measure_id", flat=True))
    in_county = OrgUnit.objects.filter(path__startswith=county.path).values("pk")
    by_county = set(
        Assignment.objects.filter(unit_id__in=in_county, measure__isnull=False).values_list("measure_id", flat=True)
    )
    for query, expected in (({"unit": str(unit.pk)}, by_unit), ({"county": str(county.pk)}, by_county)):
        filters = selectors.LedgerFilters.from_query(query)
        got = list(selectors.measure_list(viewer=users["city_office"], filters=filters).values_list("pk", flat=True))
        assert set(got) == expected and len(got) == len(expected) > 0
    missing = selectors.LedgerFilters.from_query({"county": "999999"})
    assert not selectors.measure_list(viewer=users["city_office"], filters=missing).exists()
