"""The API lists, the ledger page and the warning board filtered with ?q= say the same with the
text index as with the LIKE scan it replaces, for the city office and for a county clerk."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rectify.plans import search
from rectify.plans.models import Assignment, Measure

pytestmark = pytest.mark.django_db

QUERIES = ["扬尘", "煤矸石", "煤", "工业企业", "无此内容", "s210", "S210", "gdp", "pm10", "PM2.5"]


def _like_ids(q: str) -> set[int]:
    return set(Measure.objects.filter(search.like_condition(q)).values_list("pk", flat=True))


def _surfaces(client: Any, q: str) -> dict[str, Any]:
    api = client.get("/api/v1/measures/", {"q": q, "page_size": 500}).json()
    board = client.get("/api/v1/warnings/", {"q": q, "page_size": 500}).json()
    page = client.get("/", {"q": q}).content.decode()
    board_page = client.get("/warnings/", {"q": q}).content.decode()
    return {
        "api": (api["count"], [m["id"] for m in api["results"]]),
        "board": (board["count"], board["results"]),
        "page": (re.findall(r"共 (\d+) 条", page), re.findall(r'<tr><td><a href="/problems/(\d+)/', page)),
        "board page": (re.findall(r"共 (\d+) 条", board_page), re.findall(r'data-share="(\d+)"', board_page)),
    }


@pytest.mark.parametrize("username", ["city_office", "county_clerk"])
def test_every_surface_says_the_same_with_the_index_as_with_like(
    client_for: Any, username: str, monkeypatch: Any
) -> None:
    Assignment.objects.filter(measure__isnull=False).update(warning_level="red")  # the board has rows
    client = client_for(username)
    with_index = {q: _surfaces(client, q) for q in QUERIES}
    monkeypatch.setattr(search, "measure_text_condition", search.like_condition)
    for q in QUERIES:
        assert _surfaces(client, q) == with_index[q], q
    everything = {q: _like_ids(q) for q in QUERIES}
    for q in QUERIES:
        count, ids = with_index[q]["api"]
        assert set(ids) <= everything[q]
        if username == "city_office":
            assert set(ids) == everything[q] and count == len(everything[q]), q
    assert sum(with_index[q]["api"][0] for q in QUERIES) > 0
    assert with_index["s210"] == with_index["S210"]  # Latin letters in either case
    if username == "city_office":
        assert with_index["S210"]["api"][0] > 0
    assert sum(int(with_index[q]["board"][0]) for q in QUERIES) > 0


def test_a_query_with_a_nul_character_is_an_empty_answer_not_an_error(client_for: Any) -> None:
    client = client_for("city_office")
    for q in ("\x00", "扬\x00尘", "\x00ab"):
        response = client.get("/api/v1/measures/", {"q": q})
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert client.get("/", {"q": q}).status_code == 200
        assert client.get("/api/v1/warnings/", {"q": q}).status_code == 200
