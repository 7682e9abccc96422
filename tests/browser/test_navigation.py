"""The top bar fits a 1280 px desk screen for every role, and opens as a menu on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import login, shoot

pytestmark = pytest.mark.browser

ROLES = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader", "sysadmin", "auditor"]


@pytest.mark.parametrize("username", ROLES)
def test_the_top_bar_fits_1280_and_1366_pixels_for_every_role(page: Any, username: str) -> None:
    login(page, username)
    for width in (1280, 1366):
        page.set_viewport_size({"width": width, "height": 768})
        page.goto("/accounts/me/")
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.querySelector('nav').scrollWidth,"
            " document.querySelector('[data-testid=nav-user]').getBoundingClientRect().right,"
            " document.querySelector('[data-testid=bell]').getBoundingClientRect().right]"
        )
        assert max(widths) <= width, (username, width, widths)
    shoot(page, f"nav-{username}-1366")


def test_on_a_phone_the_menu_opens_from_the_toggler_and_its_groups_expand(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "city_office")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not page.is_visible("[data-testid=nav-ledger]")
    page.click(".navbar-toggler")
    page.click("[data-testid=nav-ledger]")
    page.click("text=整改方案")
    page.wait_for_url("**/plans/")
    shoot(page, "nav-phone")


def test_a_dropdown_leads_to_its_page_on_a_desk(page: Any) -> None:
    login(page, "city_office")
    page.click("[data-testid=nav-dispatch]")
    page.click("text=未报送")
    page.wait_for_url("**/progress/missing/**")
    page.click("[data-testid=nav-user]")
    page.click('.dropdown-menu.show a:has-text("我的账号")')
    page.wait_for_url("**/accounts/me/")
