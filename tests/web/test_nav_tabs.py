"""Tabs and menu entries are shown only to those the page behind them admits: a tab that would
answer "无权访问" is not offered."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROLES = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]


@pytest.mark.parametrize("username", ROLES)
def test_every_closeout_tab_a_role_is_shown_opens_for_it(client_for: Any, username: str) -> None:
    client = client_for(username)
    page = client.get(reverse("closeout:applications")).content.decode()
    tabs = {"验收": reverse("closeout:review"), "交账": reverse("documents:handover")}
    for label, url in tabs.items():
        shown = f'href="{url}"' in page
        status = client.get(url).status_code
        assert shown == (status == 200), (username, label, shown, status)


@pytest.mark.parametrize("username", [*ROLES, "sysadmin", "auditor"])
def test_every_top_menu_link_opens_for_the_role_that_sees_it(client_for: Any, username: str) -> None:
    import re

    client = client_for(username)
    page = client.get(reverse("accounts:profile")).content.decode()
    nav = page[page.index('data-testid="topnav"') : page.index("</nav>")]
    links = set(re.findall(r'href="(/[^"#]*)"', nav)) - {reverse("notifications:list")}
    assert links, username
    for url in links:
        assert client.get(url, follow=True).status_code == 200, (username, url)
