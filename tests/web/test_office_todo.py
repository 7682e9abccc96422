"""本周待办 for the offices: each unit in scope with its shares due, reported, returned and missing
for a period, worst first, each count linking to its list; checked against queries of its own on
a generated history."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment
from rectify.progress.models import ProgressReport

from .history_played import START, played_history

pytestmark = pytest.mark.django_db

OWING = ["not_started", "in_progress", "relapsed", "ongoing"]  # the share statuses that report (DESIGN.md)


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[str]:
    with played_history(django_db_blocker, tmp_path_factory.mktemp("media")) as out:
        yield out


def client_of(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def expected(kind: str, start: dt.date, unit_ids: set[int] | None = None) -> dict[str, dict[str, int]]:
    """Independently: per unit name, its owing shares and their reports' statuses for the period."""
    shares = Assignment.objects.filter(
        unit__isnull=False, unit__is_active=True, measure__isnull=False, status__in=OWING
    ).values_list("pk", "unit_id", "unit__name")
    out: dict[str, dict[str, int]] = {}
    owner = {}
    for pk, unit_id, name in shares:
        if unit_ids is not None and unit_id not in unit_ids:
            continue
        owner[pk] = name
        out.setdefault(name, {"due": 0, "reported": 0, "returned": 0, "missing": 0})["due"] += 1
    for share, status in ProgressReport.objects.filter(kind=kind, period_start=start).values_list(
        "assignment_id", "status"
    ):
        if share not in owner:
            continue
        row = out[owner[share]]
        if status in ("submitted", "accepted"):
            row["reported"] += 1
        elif status == "returned":
            row["returned"] += 1
    for row in out.values():
        row["missing"] = row["due"] - row["reported"] - row["returned"]
    return out


def shown(html: str) -> dict[str, dict[str, int]]:
    table = html.split('data-testid="office-todo"', 1)[1].split("</tbody>", 1)[0]
    rows: dict[str, dict[str, int]] = {}
    for row in re.findall(r"<tr data-unit=\"\d+\">(.*?)</tr>", table, flags=re.S):
        name = re.search(r"<td><a [^>]*>([^<]+)</a></td>", row).group(1)  # type: ignore[union-attr]
        counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', row))
        rows[name] = {k: int(v) for k, v in counts.items()}
    return rows


def test_each_units_counts_equal_an_independent_query(history: str) -> None:
    week = START + dt.timedelta(weeks=2)  # every unit on the platform that week
    html = client_of("city_office").get(reverse("progress:todo"), {"kind": "weekly", "period": week.isoformat()})
    assert html.status_code == 200
    page = html.content.decode()
    want = expected("weekly", week)
    assert shown(page) == want
    assert sum(r["reported"] for r in want.values()) > 0 and sum(r["missing"] for r in want.values()) > 0
    totals = page.split('data-testid="office-totals"', 1)[1].split("</tr>", 1)[0]
    numbers = [int(n) for n in re.findall(r">(\d+)<", totals)]
    assert numbers[:4] == [
        sum(r["due"] for r in want.values()),
        sum(r["reported"] for r in want.values()),
        sum(r["returned"] for r in want.values()),
        sum(r["missing"] for r in want.values()),
    ]
    assert "请选择要查看的责任单位" not in page


def test_worst_first_with_a_state_badge(history: str) -> None:
    week = START + dt.timedelta(weeks=2)
    page = client_of("city_office").get(reverse("progress:todo"), {"period": week.isoformat()}).content.decode()
    table = page.split('data-testid="office-todo"', 1)[1].split("</tbody>", 1)[0]
    badges = re.findall(r'<span class="badge text-bg-\w+">([^<]+)</span>', table)
    order = ["未报送", "有退回", "部分报送", "已报送"]
    assert badges == sorted(badges, key=order.index)
    rows = expected("weekly", week)
    states = Counter(
        "有退回" if r["returned"] else "已报送" if r["missing"] == 0 else "未报送" if r["reported"] == 0 else "部分报送"
        for r in rows.values()
    )
    assert Counter(badges) == states


def test_a_county_office_sees_its_own_units_and_the_monthly_period(history: str) -> None:
    county = OrgUnit.objects.get(name="朔城区整改办")
    inside = set(OrgUnit.objects.filter(path__startswith=county.parent.path).values_list("pk", flat=True))  # type: ignore[union-attr]
    month = dt.date(2022, 7, 1)
    page = client_of("county_office").get(reverse("progress:todo"), {"kind": "monthly", "period": "2022-07"})
    body = page.content.decode()
    assert page.status_code == 200 and "2022年7月" in body
    assert shown(body) == expected("monthly", month, inside)
    assert "市生态环境局" not in shown(body)


def test_each_count_links_to_the_list_it_counts(history: str) -> None:
    week = START + dt.timedelta(weeks=2)
    client = client_of("city_office")
    page = client.get(reverse("progress:todo"), {"period": week.isoformat()}).content.decode()
    reported = re.search(r'href="([^"]+)" data-count="reported">(\d+)<', page.replace("&amp;", "&"))
    assert reported is not None
    review = client.get(reported.group(1)).content.decode()
    assert review.count('href="/progress/reports/') >= min(int(reported.group(2)), 1)
    missing_total = re.search(r'href="(/progress/missing/[^"]+)">未报送名单', page.replace("&amp;", "&"))
    assert missing_total is not None and client.get(missing_total.group(1)).status_code == 200
    todo = re.search(r'href="([^"]+\?show=todo)" data-count="missing">(\d+)<', page)
    assert todo is not None
    assert client.get(todo.group(1)).status_code == 200


def test_the_period_switches_back_and_a_bad_period_falls_back_to_the_current_one(history: str) -> None:
    client = client_of("city_office")
    page = client.get(reverse("progress:todo"), {"period": "2022-07-11"}).content.decode()
    assert "上一期" in page and "period=2022-07-04" in page
    assert client.get(reverse("progress:todo"), {"period": "不是日期", "kind": "x"}).status_code == 200
