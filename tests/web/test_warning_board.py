"""The warning board (API /api/v1/warnings/ and page /warnings/) read level by level: the same rows
in the same order as one query sorted by the level's rank, the same counts as independent queries,
and a fixed, small number of queries per page. Its status, overdue and due-window filters are the
share's own (本单位): its status, its own due date passed while open, its own due date in the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, When
from django.test.utils import CaptureQueriesContext

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment
from rectify.supervision import selectors
from rectify.supervision.selectors import LedgerFilters, board_summary
from rectify.supervision.services import deadlines_scan

FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
RANK = Case(
    When(warning_level="red", then=0),
    When(warning_level="yellow", then=1),
    When(warning_level="green", then=2),
    default=3,
    output_field=IntegerField(),
)


@pytest.fixture
def scanned(db: Any) -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        deadlines_scan()
        yield t


def shares_in_scope(users: Any, role: str) -> QuerySet[Assignment]:
    shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
    if role == "city_office":
        return shares
    return shares.filter(unit__memberships__user=users[role])


def sorted_ids(shares: QuerySet[Assignment]) -> list[int]:
    """The order the board promises, as one query sorting by the level's rank (the old way)."""
    ordered = shares.order_by(RANK, "due_on", "measure__problem_id", "measure__seq", "unit__path")
    return list(ordered.values_list("pk", flat=True))


def every_page(client: Any, query: str, page_size: int = 7) -> tuple[int, list[int]]:
    """Every page of the API list, in order (page numbers built here: the test client's `next`
    link does not survive a Chinese query)."""
    first = client.get(f"/api/v1/warnings/?{query}&page_size={page_size}").json()
    ids = [row["id"] for row in first["results"]]
    pages = -(-first["count"] // page_size)
    for number in range(2, pages + 1):
        body = client.get(f"/api/v1/warnings/?{query}&page_size={page_size}&page={number}").json()
        ids += [row["id"] for row in body["results"]]
    return first["count"], ids


# The shares still being worked on (the ledger's 整改中 read on one share) and the kinds of
# deadline that are never overdue, spelled out here rather than imported.
OPEN = ["not_started", "in_progress", "relapsed"]
UNDATED = ["immediate_ongoing", "ongoing", "completed", "recurring"]
TODAY = FROZEN.date()


def own_overdue(shares: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Overdue by the share's own due date: passed before today, still open, a dated measure."""
    return shares.filter(due_on__lt=TODAY, status__in=OPEN).exclude(measure__deadline_kind__in=UNDATED)


CASES = [
    ("", lambda s: s.filter(warning_level__in=["red", "yellow"])),
    ("warning=", lambda s: s),
    ("warning=green,red", lambda s: s.filter(warning_level__in=["green", "red"])),
    ("warning=&status=in_progress", lambda s: s.filter(status__in=OPEN)),
    ("warning=&status=not_started", lambda s: s.filter(status="not_started")),
    ("warning=&overdue=1", own_overdue),
    ("overdue=1", lambda s: own_overdue(s).filter(warning_level__in=["red", "yellow"])),
    (
        "warning=&due_after=2022-09-01&due_before=2022-12-31",
        lambda s: s.filter(due_on__gte=dt.date(2022, 9, 1), due_on__lte=dt.date(2022, 12, 31)),
    ),
    ("warning=&q=扬尘", lambda s: s.filter(measure__in=measures_saying("扬尘"))),
]


def measures_saying(word: str) -> Any:
    from django.db.models import Q

    from rectify.plans.models import Measure

    return Measure.objects.filter(Q(text__contains=word) | Q(problem__text__contains=word)).values("pk")


@pytest.mark.parametrize("role", ["city_office", "county_clerk"])
@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] or "default" for c in CASES])
def test_the_board_lists_every_share_once_worst_first_across_pages(
    client_for: Any, users: Any, scanned: Any, role: str, query: str, expected: Any
) -> None:
    want = sorted_ids(expected(shares_in_scope(users, role)))
    count, got = every_page(client_for(role), query)
    assert want, "the case must list something"
    assert count == len(want)
    assert got == want


@pytest.mark.parametrize(
    "query",
    [
        "warning=&status=in_progress",
        "warning=&q=扬尘",
        "overdue=1&warning=",
        "warning=&due_after=2022-09-01&due_before=2022-12-31&q=扬尘",
    ],
)
def test_a_level_read_by_walking_or_from_the_matching_measures_gives_the_same_rows(
    client_for: Any, scanned: Any, monkeypatch: Any, query: str
) -> None:
    client = client_for("city_office")
    monkeypatch.setattr(selectors, "WALK_MIN", 0)
    walked = every_page(client, query, page_size=5)
    monkeypatch.setattr(selectors, "WALK_MIN", 10**9)
    from_measures = every_page(client, query, page_size=5)
    assert walked == from_measures and walked[0] > 0


def independent_counts(shares: QuerySet[Assignment]) -> dict[str, int]:
    counts = {level: shares.filter(warning_level=level).count() for level in ("red", "yellow", "green")}
    counts["none"] = shares.filter(warning_level="").count()
    counts["total"] = shares.count()
    return counts


def test_the_board_page_counts_equal_independent_counts(users: Any, scanned: Any) -> None:
    everything = shares_in_scope(users, "city_office")
    county = OrgUnit.objects.get(name="朔城区")
    unit = OrgUnit.objects.get(name="朔城区政府")
    cases = [
        (LedgerFilters(), everything),
        (LedgerFilters(county=county.pk), everything),
        (LedgerFilters(unit=unit.pk), everything.filter(unit=unit)),
        (LedgerFilters(statuses=["in_progress"]), everything.filter(status__in=OPEN)),
        (LedgerFilters(overdue=True), own_overdue(everything)),
        (LedgerFilters(due_after=dt.date(2022, 10, 1)), everything.filter(due_on__gte=dt.date(2022, 10, 1))),
        (
            LedgerFilters(county=county.pk, due_before=dt.date(2022, 12, 31), overdue=True),
            own_overdue(everything.filter(due_on__lte=dt.date(2022, 12, 31))),
        ),
        (LedgerFilters(county=county.pk, warnings=["red"]), everything),
    ]
    for filters, unfiltered_by_county in cases:
        # The county table ignores the county filter and keeps the others; the cards and the list keep it.
        shares = (
            unfiltered_by_county.filter(unit__path__startswith=county.path) if filters.county else unfiltered_by_county
        )
        summary = board_summary(viewer=users["city_office"], filters=filters)
        assert summary.counts == independent_counts(shares), filters
        listed = shares.filter(warning_level__in=filters.warnings) if filters.warnings else shares
        assert summary.shares.count() == listed.count(), filters
        by_county = unfiltered_by_county
        rows = summary.by_county
        assert sum(r["total"] for r in rows) == by_county.count(), filters
        for row in rows:
            if row["pk"] is None:
                continue
            path = OrgUnit.objects.get(pk=row["pk"]).path
            inside = by_county.filter(unit__path__startswith=path)
            assert {k: row[k] for k in ("red", "yellow", "green", "none", "total")} == independent_counts(inside)


def test_a_clerks_board_counts_only_its_units_shares(users: Any, scanned: Any) -> None:
    summary = board_summary(viewer=users["county_clerk"], filters=LedgerFilters())
    assert summary.counts == independent_counts(shares_in_scope(users, "county_clerk"))
    assert summary.counts["total"] > 0


@pytest.mark.parametrize("query", ["", "?county={county}", "?status=in_progress", "?warning="])
def test_the_board_page_makes_a_fixed_small_number_of_queries(client_for: Any, scanned: Any, query: str) -> None:
    county = OrgUnit.objects.get(name="朔城区")
    client = client_for("city_office")
    url = "/warnings/" + query.format(county=county.pk)
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(url)
    assert page.status_code == 200 and 'data-testid="level-counts"' in page.content.decode()
    assert len(ctx.captured_queries) <= 16, [q["sql"][:120] for q in ctx.captured_queries]


def test_the_board_page_shows_the_counts_it_computed(client_for: Any, users: Any, scanned: Any) -> None:
    page = client_for("city_office").get("/warnings/").content.decode()
    counts = independent_counts(shares_in_scope(users, "city_office"))
    assert f'data-level="red">{counts["red"]}<' in page
    assert f'data-level="yellow">{counts["yellow"]}<' in page
    assert f"共 {counts['red'] + counts['yellow']} 条" in page


def test_a_ledger_status_on_the_board_means_the_shares_that_alone_would_give_the_measure_that_status(
    client_for: Any, users: Any, scanned: Any
) -> None:
    from rectify.plans.rollup import measure_status

    shares = list(shares_in_scope(users, "city_office").order_by("pk"))
    statuses = ["not_started", "in_progress", "applying", "completed", "closed", "ongoing", "relapsed"]
    for i, share in enumerate(shares[: 3 * len(statuses)]):
        Assignment.objects.filter(pk=share.pk).update(status=statuses[i % len(statuses)])
    current = dict(Assignment.objects.filter(pk__in=[s.pk for s in shares]).values_list("pk", "status"))
    client = client_for("city_office")
    for ledger_status in ("in_progress", "completed", "ongoing", "closed"):
        want = {pk for pk, status in current.items() if measure_status([status]) == ledger_status}
        count, got = every_page(client, f"warning=&status={ledger_status}", page_size=50)
        assert want and count == len(want) and set(got) == want, ledger_status
    # A share status the ledger has no word for is the share's own; an unknown one matches nothing.
    count, got = every_page(client, "warning=&status=relapsed,applying", page_size=50)
    assert set(got) == {pk for pk, status in current.items() if status in ("relapsed", "applying")} and count == 6
    assert client.get("/api/v1/warnings/?warning=&status=nonsense").json()["count"] == 0


def test_an_extended_share_is_overdue_and_in_a_due_window_by_its_own_due_date(
    client_for: Any, users: Any, scanned: Any
) -> None:
    share = own_overdue(shares_in_scope(users, "city_office")).select_related("measure").first()
    assert share is not None and share.measure.due_on is not None and share.measure.due_on < TODAY
    later = TODAY + dt.timedelta(days=40)
    Assignment.objects.filter(pk=share.pk).update(due_on=later, due_extended=True)
    client = client_for("city_office")
    _, overdue = every_page(client, "warning=&overdue=1", page_size=100)
    assert share.pk not in overdue and overdue
    # The ledger's overdue filter is still the measure's own due date.
    ledger = client.get(f"/api/v1/measures/?overdue=1&problem={share.problem_id}&page_size=100").json()
    assert share.measure_id in [row["id"] for row in ledger["results"]]
    _, window = every_page(client, f"warning=&due_after={later}&due_before={later}", page_size=100)
    assert share.pk in window
    _, old_window = every_page(
        client, f"warning=&due_after={share.measure.due_on}&due_before={share.measure.due_on}", page_size=100
    )
    assert share.pk not in old_window


def test_the_board_page_says_its_status_overdue_and_window_filters_are_the_shares_own(
    client_for: Any, scanned: Any
) -> None:
    page = client_for("city_office").get(
        "/warnings/?warning=&status=in_progress&overdue=1&due_after=2022-01-01&due_before=2022-12-31"
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="share-filters"' in html
    assert "本单位状态为“整改中（未开始、整改中、反弹）”" in html
    assert "本单位时限已过且未完成" in html and "本单位时限在 2022-01-01 至 2022-12-31 之间" in html
    # The filters survive the filter form (hidden fields) and bad dates are ignored, not fatal.
    assert 'name="overdue" value="1"' in html and 'name="due_after" value="2022-01-01"' in html
    assert client_for("city_office").get("/warnings/?due_after=2022-13-45&status=nonsense").status_code == 200
