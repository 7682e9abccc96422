"""A unit badge links only to a unit page the viewer may open: a clerk sees the other units of a
measure as plain badges (same look, same title), not as links that answer 404."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from rectify.orgs.models import Membership, OrgUnit
from rectify.plans.models import Assignment

pytestmark = pytest.mark.django_db

LINKED = re.compile(r'<a class="badge (badge-lead|badge-support) text-decoration-none" href="(/ledger/units/(\d+)/)"')
PLAIN = re.compile(r'<span class="badge (?:badge-lead|badge-support)" title="([^"]*)">([^<]+)</span>')
SHARE_LINK = re.compile(r'<tr data-share="\d+"><td><a href="(/ledger/units/(\d+)/)">')
ANY_UNIT_LINK = re.compile(r'href="/ledger/units/(\d+)/"')


def own_subtree(username: str) -> dict[int, str]:
    """The units below the user's own unit (a clerk's scope), by a query of its own."""
    paths = Membership.objects.filter(user__username=username).values_list("unit__path", flat=True)
    units: dict[int, str] = {}
    for path in paths:
        units.update(OrgUnit.objects.filter(path__startswith=path).values_list("pk", "name"))
    return units


def assert_links_answer(client: Client, ids: set[int]) -> None:
    for pk in sorted(ids):
        assert client.get(f"/ledger/units/{pk}/").status_code == 200, pk


@pytest.mark.parametrize("username", ["county_clerk", "dept_clerk"])
def test_a_clerk_s_ledger_links_only_its_own_units(client_for: Any, username: str) -> None:
    client = client_for(username)
    body = client.get("/").content.decode()
    mine = own_subtree(username)
    linked = {int(m.group(3)) for m in LINKED.finditer(body)}
    plain = [(html.unescape(t), html.unescape(n)) for t, n in PLAIN.findall(body)]
    assert linked and linked <= set(mine), (linked, mine)
    # Other units stay visible, as plain badges that still say the role and the plan's phrase.
    assert plain, "expected the other responsible units as plain badges"
    for title, name in plain:
        assert name not in mine.values(), name
        assert re.fullmatch(r"(牵头|配合)；原文：.+", title), title
    assert_links_answer(client, {int(i) for i in ANY_UNIT_LINK.findall(body)})
    # The plain badges are units whose page this clerk may indeed not open.
    other = OrgUnit.objects.filter(name=plain[0][1]).values_list("pk", flat=True).first()
    assert client.get(f"/ledger/units/{other}/").status_code == 404


def test_the_city_office_s_ledger_links_every_unit(client_for: Any) -> None:
    client = client_for("city_office")
    body = client.get("/").content.decode()
    assert not PLAIN.findall(body)
    linked = {int(m.group(3)) for m in LINKED.finditer(body)}
    assert len(linked) > 10
    assert_links_answer(client, linked)


def test_the_problem_page_links_only_units_the_clerk_may_open(client_for: Any) -> None:
    mine = own_subtree("county_clerk")
    problem_id = (
        Assignment.objects.filter(unit_id__in=list(mine), measure__isnull=False)
        .values_list("problem_id", flat=True)
        .first()
    )
    client = client_for("county_clerk")
    body = client.get(f"/problems/{problem_id}/").content.decode()
    ids = {int(i) for i in ANY_UNIT_LINK.findall(body)}
    assert ids and ids <= set(mine), ids
    assert_links_answer(client, ids)
    # The per-unit table of a shared measure names the other units without linking them.
    assert SHARE_LINK.search(body)
    others = [n for n in re.findall(r'<tr data-share="\d+"><td>([^<]+)</td>', body) if n]
    assert others and not set(others) & set(mine.values())
    # The city office, whose scope is everything, gets every unit linked on the same page.
    city = client_for("city_office").get(f"/problems/{problem_id}/").content.decode()
    assert not re.findall(r'<tr data-share="\d+"><td>([^<]+)</td>', city)
    assert len(set(ANY_UNIT_LINK.findall(city))) > len(ids)
