"""Ledger pages: filters, query budgets, problem and unit pages, exports, the directory."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from python_calamine import CalamineWorkbook

from rectify.orgs.models import OrgUnit

pytestmark = pytest.mark.django_db


def rows_of(response: Any) -> int:
    return response.content.decode().count('<tr><td><a href="/problems/')


def test_the_ledger_shows_fifty_measures_per_page(client_for: Any) -> None:
    response = client_for("city_office").get(reverse("plans:ledger"))
    assert rows_of(response) == 50
    assert "共 92 条" in response.content.decode()
    assert rows_of(client_for("city_office").get(reverse("plans:ledger") + "?page=2")) == 42


def test_past_its_count_limit_the_ledger_says_more_than_and_never_a_made_up_total(
    client_for: Any, monkeypatch: Any
) -> None:
    from rectify.plans import views
    from rectify.plans.models import Measure

    monkeypatch.setattr(views, "LEDGER_COUNT_LIMIT", 10)
    client = client_for("city_office")
    total = Measure.objects.count()
    assert 50 < total < 100
    first = client.get(reverse("plans:ledger"))
    page = first.content.decode()
    # Counted to the end of the page shown (50), which is fewer than there are: "more than 50".
    assert rows_of(first) == 50 and "第 1 页，超过 50 条" in page and "共 " not in page
    assert "page=2" in page
    # The second page's end (100) is past the last measure: the count is exact again.
    second = client.get(reverse("plans:ledger") + "?page=2")
    assert rows_of(second) == total - 50 and f"共 {total} 条" in second.content.decode()
    assert "超过" not in second.content.decode()


# Session, user, memberships and scope (2), count, chapters, pending count, permissions (2), the
# bell, the filters' units and counties (1), the page (measures, problems, shares, milestones);
# a clerk's scope also reads its problems' ids (once: the list and the pending count share them).
@pytest.mark.parametrize(("role", "budget"), [("city_office", 15), ("county_clerk", 16)])
def test_ledger_page_query_budget(client_for: Any, role: str, budget: int) -> None:
    client = client_for(role)
    client.get(reverse("plans:ledger"))  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("plans:ledger") + "?page=2").status_code == 200
    assert len(ctx.captured_queries) <= budget, [q["sql"][:120] for q in ctx.captured_queries]


@pytest.mark.parametrize(
    ("url_name", "budget"),
    # audit:log: also its filters' three lists and the describer's lookups (the actors' units, the
    # kinds of 督办文书, the accounts named), one query each however many events a page holds.
    [("plans:plans", 10), ("orgs:list", 12), ("plans:pending", 12), ("audit:log", 17)],
)
def test_list_page_query_budgets(client_for: Any, url_name: str, budget: int) -> None:
    client = client_for("auditor" if url_name == "audit:log" else "city_office")
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(url_name)).status_code == 200
    assert len(ctx.captured_queries) <= budget


def test_problem_page_query_budget(client_for: Any, problems: Any) -> None:
    client = client_for("city_office")
    url = reverse("plans:problem", args=[problems["二十四"].pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx.captured_queries) <= 18


def test_unit_page_query_budget(client_for: Any) -> None:
    client = client_for("city_office")
    url = reverse("plans:unit", args=[OrgUnit.objects.get(name="朔城区政府").pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    assert len(ctx.captured_queries) <= 20


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=annual", 5),  # （三十一） has measures 79–83
        ("kind=external", 4),  # （五） 13–16
        ("due_before=2022-09-30&due_after=2022-09-30", 8),  # （十二） 3 + （二十二） 2 + （三十） 3
        ("q=煤矸石", None),
    ],
)
def test_ledger_filters(client_for: Any, query: str, expected: int | None) -> None:
    response = client_for("city_office").get(reverse("plans:ledger") + "?" + query)
    assert response.status_code == 200
    if expected is not None:
        assert f"共 {expected} 条" in response.content.decode()
    else:
        assert rows_of(response) > 0


def test_ledger_filters_by_unit_and_county(client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="市能源局")
    county = OrgUnit.objects.get(name="右玉县")
    by_unit = client_for("city_office").get(reverse("plans:ledger") + f"?unit={unit.pk}").content.decode()
    by_county = client_for("city_office").get(reverse("plans:ledger") + f"?county={county.pk}").content.decode()
    assert "共" in by_unit and "（十五）" in by_unit
    assert "（十五）" not in by_county


def test_the_overdue_filter_follows_the_frozen_clock(client_for: Any) -> None:
    client = client_for("city_office")
    with time_machine.travel(dt.datetime(2022, 10, 8, 9, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("plans:ledger") + "?overdue=1").content.decode()
    # Due by 2022-10-07: （十九） 3-31 (2 measures), （十二） 9-30 (3), （二十二） 9-30 (2), （三十） 9-30 (3).
    assert "共 10 条" in page
    with time_machine.travel(dt.datetime(2022, 3, 1, 9, tzinfo=dt.UTC), tick=False):
        assert "共 0 条" in client.get(reverse("plans:ledger") + "?overdue=1").content.decode()


def test_a_clerk_ledger_lists_only_its_units_problems(client_for: Any) -> None:
    page = client_for("dept_clerk").get(reverse("plans:ledger") + "?page_size=500").content.decode()
    assert "（十五）" not in page
    assert "（十）" in page


def test_the_problem_page_shows_goal_units_deadline_milestones_and_timeline(client_for: Any, problems: Any) -> None:
    page = client_for("city_office").get(reverse("plans:problem", args=[problems["六"].pk])).content.decode()
    assert "进一步优化全市货物运输结构" in page
    assert "市交通局" in page and "朔城区政府" in page
    assert "2024年底" in page and "2024-12-31" in page
    assert "2022-04-30" in page and "2022-05-31" in page
    assert "导入了本问题" in page


def test_the_unit_page_lists_what_the_unit_owns(client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="市能源局")
    page = client_for("city_office").get(reverse("plans:unit", args=[unit.pk])).content.decode()
    assert "（十五）" in page and "（二）" in page


def test_the_web_export_is_an_xlsx_in_the_office_layout(client_for: Any) -> None:
    response = client_for("county_clerk").get(reverse("documents:ledger_export") + "?format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    # A background job's file (issue 16): streamed when large, a plain response when small.
    body = b"".join(response.streaming_content) if response.streaming else response.content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
    assert "整改方案" in str(rows[0][0])  # the plan's title above the header row
    header = [str(c) for c in rows[1]]
    for column in ["序号", "问题", "整改目标", "整改措施", "责任单位", "责任人", "验收单位", "整改时限"]:
        assert any(column in h for h in header)
    assert not any("（十五）" in str(r[0]) or "煤炭消费底数不清" in " ".join(map(str, r)) for r in rows[2:])


def test_pages_are_chinese_even_for_an_english_browser(client_for: Any) -> None:
    page = client_for("city_office").get(reverse("plans:ledger"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="zh-CN"' in page and "整改台账" in page


def test_no_page_loads_anything_from_another_host(client_for: Any, problems: Any) -> None:
    client = client_for("city_office")
    for url in [
        reverse("plans:ledger"),
        reverse("plans:problem", args=[problems["一"].pk]),
        reverse("orgs:list"),
        reverse("ingestion:upload"),
        reverse("accounts:login"),
    ]:
        page = client.get(url).content.decode()
        assert "http://" not in page.replace("http://testserver", "") and "https://" not in page
        assert "//cdn" not in page


def test_the_login_page_logs_a_user_in(client_for: Any) -> None:
    from tests.conftest import PASSWORD

    client = client_for(None)
    response = client.post(reverse("accounts:login"), {"username": "county_clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("plans:ledger")).status_code == 200
    bad = client_for(None).post(reverse("accounts:login"), {"username": "county_clerk", "password": "wrong"})
    assert "用户名或密码不正确" in bad.content.decode()


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("problem_history", 12),
        ("unit_history", 12),
        ("/import/", 12),
        ("/api/v1/measures/?page_size=50", 14),
        ("/api/v1/problems/?page_size=50", 10),
        ("/api/v1/units/?page_size=100", 10),
    ],
)
def test_more_list_query_budgets(client_for: Any, problems: Any, url: str, budget: int) -> None:
    if url == "problem_history":
        url = reverse("plans:problem_history", args=[problems["一"].pk])
    elif url == "unit_history":
        url = reverse("orgs:history", args=[OrgUnit.objects.get(name="市水利局").pk])
    client = client_for("city_office")
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= budget, len(ctx.captured_queries)


def test_the_problem_filter_narrows_the_ledger_to_one_problem(client_for: Any, problems: Any) -> None:
    page = client_for("city_office").get(reverse("plans:ledger") + f"?problem={problems['六'].pk}").content.decode()
    assert "共 3 条" in page


def test_the_layouts_assets_are_served_locally(client_for: Any) -> None:
    import re

    page = client_for("city_office").get(reverse("plans:ledger")).content.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert len(assets) >= 4
    from django.contrib.staticfiles import finders

    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
