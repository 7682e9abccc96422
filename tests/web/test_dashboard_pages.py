"""The 领导驾驶舱, the counties and a county page: who may see them (every role × own county /
other county / missing), the landing after login, that each linked figure opens a list showing
exactly the items it counts, query budgets, and the same figures from /api/v1/dashboard/."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectify.orgs.models import OrgUnit
from tests import dashboard_reference as ref

pytestmark = pytest.mark.django_db

BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
DASHBOARD_ROLES = {"city_office", "county_office", "acceptance", "leader"}
CITY_WIDE = {"city_office", "acceptance", "leader"}
MISSING = 987654
FIGURE = re.compile(r'<a class="fig[^"]*" data-figure="([^"]+)" href="([^"]+)">([^<]*)</a>')


@pytest.fixture
def state(db: Any, users: dict[str, Any]) -> Iterator[None]:
    ref.build_state(users)
    with time_machine.travel(ref.NOW, tick=False):
        yield


def county(name: str = "朔城区") -> OrgUnit:
    return OrgUnit.objects.get(name=name)


# --- who may see what -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboards:home", "dashboards:counties"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_dashboard_and_the_counties_are_for_offices_leaders_and_the_acceptance_group(
    client_for: Any, role: str, name: str
) -> None:
    response = client_for(role).get(reverse(name))
    assert response.status_code == (200 if role in DASHBOARD_ROLES else 403)


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_county_page_own_other_missing(client_for: Any, role: str) -> None:
    client = client_for(role)
    own, other = county("朔城区"), county("平鲁区")
    not_a_county = OrgUnit.objects.get(name="朔城区政府")
    codes = [
        client.get(reverse("dashboards:county", args=[pk])).status_code
        for pk in (own.pk, other.pk, MISSING, not_a_county.pk)
    ]
    if role in NO_BUSINESS:
        assert codes == [403, 403, 403, 403]
    elif role in CITY_WIDE:
        assert codes == [200, 200, 404, 404]
    elif role == "county_office":
        assert codes == [200, 404, 404, 404]
    else:  # a clerk's scope is its unit, never a whole county
        assert codes == [404, 404, 404, 404]


@pytest.mark.parametrize("name", ["dashboards:home", "dashboards:counties", "dashboards:landing"])
def test_anonymous_is_sent_to_login(client_for: Any, name: str) -> None:
    response = client_for(None).get(reverse(name))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_county_office_sees_its_own_county_only(client_for: Any) -> None:
    page = client_for("county_office").get(reverse("dashboards:counties")).content.decode()
    assert 'data-county="朔城区"' in page and 'data-county="平鲁区"' not in page
    home = client_for("county_office").get(reverse("dashboards:home")).content.decode()
    assert reverse("dashboards:county", args=[county().pk]) in home
    assert reverse("dashboards:county", args=[county("平鲁区").pk]) not in home


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("city_office", "dashboards:home"),
        ("county_office", "dashboards:home"),
        ("leader", "dashboards:home"),
        ("acceptance", "plans:ledger"),
        ("county_clerk", "plans:ledger"),
        ("dept_clerk", "plans:ledger"),
        ("sysadmin", "accounts:manage_users"),
        ("auditor", "audit:log"),
    ],
)
def test_the_landing_sends_leaders_and_offices_to_the_dashboard(client_for: Any, role: str, target: str) -> None:
    response = client_for(role).get(reverse("dashboards:landing"))
    assert response.status_code == 302 and response["Location"] == reverse(target)


def test_logging_in_lands_on_the_landing(client_for: Any, settings: Any) -> None:
    from tests.conftest import PASSWORD

    settings.RECTIFY_2FA_REQUIRED_ROLES = "none"
    response = client_for(None).post(reverse("accounts:login"), {"username": "leader", "password": PASSWORD})
    assert response.status_code == 302
    # straight to the landing, or through the second factor's setup with the landing as `next`
    assert reverse("dashboards:landing") in unquote(response["Location"])


# --- every figure opens the list of what it counts --------------------------------------------


def listed(client: Any, url: str) -> dict[str, int]:
    """What the list at `url` shows: its row count, or for 未报送 the reports owed and on time."""
    response = client.get(url)
    assert response.status_code == 200, url
    context = response.context
    if url.startswith(reverse("progress:missing")):
        rows = context["rows"]
        return {"owed": sum(r.required for _, r in rows), "on_time": sum(r.on_time for _, r in rows)}
    return {"rows": context["page"].paginator.count}


def figures(page: str) -> list[tuple[str, str, str]]:
    return [(name, html.unescape(url), value.strip()) for name, url, value in FIGURE.findall(page)]


def check_links(client: Any, page: str, *, per_name: int = 2) -> int:
    """Follow the first and the last link of every figure (or the first only) and count the rows."""
    by_name: dict[str, list[tuple[str, str]]] = {}
    for name, url, value in figures(page):
        by_name.setdefault(name, []).append((url, value))
    followed = 0
    for name, items in by_name.items():
        picks = {0, len(items) - 1} if per_name >= 2 else {0}
        for i in sorted(picks):
            url, value = items[i]
            shown = listed(client, url)
            if "rows" in shown:
                assert shown["rows"] == int(value), (name, url, value, shown)
            elif value.endswith("%") or value == "—":
                rate = round(100 * shown["on_time"] / shown["owed"], 1) if shown["owed"] else None
                assert value == ("—" if rate is None else f"{rate:g}%".replace(".0%", "%")), (name, url, value)
            elif name.endswith("on-time"):
                assert shown["on_time"] == int(value), (name, url, value, shown)
            else:
                assert shown["owed"] == int(value), (name, url, value, shown)
            followed += 1
    return followed


def test_every_kind_of_figure_on_the_dashboard_opens_exactly_its_items(state: None, client_for: Any) -> None:
    client = client_for("city_office")
    page = client.get(reverse("dashboards:home")).content.decode()
    names = {name for name, _, _ in figures(page)}
    assert {
        "measures-done",
        "shares-done",
        "shares-overdue",
        "shares-red",
        "reporting-last-owed",
        "chapter-shares-done",
        "problem-measures",
        "unit-overdue",
        "c-reporting",
        "county-red",
        "top-overdue",
        "cases-status",
        "region-open",
        "trend-measures-due",
        "relapsed-now",
        "leader-problem-red",
    } <= names
    assert check_links(client, page) > 40


def test_a_county_office_follows_its_figures(state: None, client_for: Any) -> None:
    client = client_for("county_office")
    page = client.get(reverse("dashboards:home")).content.decode()
    assert check_links(client, page, per_name=1) > 20


def test_every_kind_of_figure_on_a_county_page_opens_exactly_its_items(state: None, client_for: Any) -> None:
    for username in ("city_office", "county_office"):
        client = client_for(username)
        page = client.get(reverse("dashboards:county", args=[county().pk])).content.decode()
        assert {"level-red", "level-overdue", "unit-done", "chapter-shares", "cases-status"} <= {
            n for n, _, _ in figures(page)
        }
        assert check_links(client, page, per_name=1 if username == "county_office" else 2) > 15


def test_the_counties_page_figures_open_their_items(state: None, client_for: Any) -> None:
    client = client_for("city_office")
    page = client.get(reverse("dashboards:counties")).content.decode()
    assert check_links(client, page) > 12
    ranks = ref.county_ranks(ref.TODAY)
    for name, rank in ranks.items():
        assert f'data-county="{name}" data-rank="{rank or ""}"' in page


# --- the filters added to the lists for the dashboard ------------------------------------------


def test_the_board_filters_shares_by_their_own_status_and_overdue(state: None, client_for: Any) -> None:
    client = client_for("city_office")
    shares = ref.shares_in(None)
    relapsed = client.get(reverse("supervision:board") + "?warning=&share_status=relapsed")
    assert relapsed.context["page"].paginator.count == sum(1 for a in shares if a.status == "relapsed") > 0
    assert "仅显示" in relapsed.content.decode()
    overdue = client.get(reverse("supervision:board") + "?warning=&share_overdue=1")
    assert overdue.context["page"].paginator.count == sum(1 for a in shares if ref.overdue(a, ref.TODAY)) > 0
    done = client.get(reverse("supervision:board") + "?warning=red&share_status=applying,completed,closed,ongoing")
    assert done.context["page"].paginator.count == sum(
        1 for a in shares if a.status in ref.DONE and a.warning_level == "red"
    )
    bad = client.get(reverse("supervision:board") + "?warning=&share_status=nonsense")
    assert bad.status_code == 200 and bad.context["page"].paginator.count == len(shares)


def test_the_missing_reports_list_takes_a_county(state: None, client_for: Any) -> None:
    client = client_for("city_office")
    url = reverse("progress:missing") + f"?kind=weekly&period={ref.LAST_WEEK}&all=1"
    inside = ref.subtree("朔城区")
    rows = client.get(url + f"&county={county().pk}").context["rows"]
    assert rows and {unit.pk for unit, _ in rows} <= inside
    assert sum(r.required for _, r in rows) == ref.weekly_reporting(ref.LAST_WEEK, inside)["owed"]
    # a county outside the viewer's scope shows nothing, and a unit that is no county is ignored
    assert not client_for("county_office").get(url + f"&county={county('平鲁区').pk}").context["rows"]
    everything = client.get(url + f"&county={OrgUnit.objects.get(name='朔城区政府').pk}").context["rows"]
    assert len(everything) > len(rows)


# --- budgets and the API ----------------------------------------------------------------------


BUDGETS = [
    ("city_office", "home", 50),
    ("county_office", "home", 56),
    ("city_office", "counties", 18),
    ("city_office", "county", 58),
    ("county_office", "county", 58),
]


def test_dashboard_query_budgets(state: None, client_for: Any) -> None:
    """Grouped queries only: the count does not grow with problems, units or counties."""
    for username, url, budget in BUDGETS:
        path = reverse(f"dashboards:{url}", args=[county().pk] if url == "county" else [])
        client = client_for(username)
        client.get(path)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        assert len(ctx.captured_queries) <= budget, (username, url, len(ctx.captured_queries))


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_dashboard_api_is_scoped_like_the_pages(client_for: Any, role: str) -> None:
    client = client_for(role)
    own, other = county("朔城区"), county("平鲁区")
    codes = [
        client.get("/api/v1/dashboard/").status_code,
        client.get("/api/v1/dashboard/counties/").status_code,
        client.get(f"/api/v1/dashboard/counties/{own.pk}/").status_code,
        client.get(f"/api/v1/dashboard/counties/{other.pk}/").status_code,
        client.get(f"/api/v1/dashboard/counties/{MISSING}/").status_code,
    ]
    if role in NO_BUSINESS:
        assert codes == [403] * 5
    elif role in CITY_WIDE:
        assert codes == [200, 200, 200, 200, 404]
    elif role == "county_office":
        assert codes == [200, 200, 200, 404, 404]
    else:
        assert codes == [403, 403, 404, 404, 404]


def test_the_api_says_what_the_page_says(state: None, client_for: Any) -> None:
    client = client_for("city_office")
    data = client.get("/api/v1/dashboard/").json()
    assert data["shares"] == ref.tally(ref.shares_in(None), ref.TODAY)
    assert data["measures"] == ref.measure_tally(ref.visible_measures(None), ref.TODAY)
    assert data["reporting"]["last"]["period"] == ref.LAST_WEEK.isoformat()
    assert data["reporting"]["last"]["owed"] == ref.weekly_reporting(ref.LAST_WEEK, None)["owed"]
    page = client.get(reverse("dashboards:home")).content.decode()
    for name, value in [("shares-done", data["shares"]["done"]), ("measures-total", data["measures"]["total"])]:
        assert any(n == name and v == str(value) for n, _, v in figures(page))
    counties = client.get("/api/v1/dashboard/counties/").json()
    ranks = ref.county_ranks(ref.TODAY)
    assert {c["name"]: c["rank"] for c in counties["results"]} == ranks
    one = client.get(f"/api/v1/dashboard/counties/{county().pk}/").json()
    assert one["county"]["rank"] == ranks["朔城区"]
    assert one["shares"] == ref.tally(ref.shares_in(ref.subtree("朔城区")), ref.TODAY)
    assert client.get("/api/v1/dashboard/?plan=abc").status_code == 200
    assert client_for(None).get("/api/v1/dashboard/").status_code in (401, 403)
