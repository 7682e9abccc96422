"""Every role, on two desk screens and a phone: each link of the top navigation and of the landing
page answers (a link shown is a link the role may follow), and no page scrolls sideways.

For each role the test logs in once and collects the links of the top bar (dropdowns and the
phone menu included: their anchors are in the page) and of the landing page. Every distinct
path is requested (GET, same origin, no logout or downloads; one URL per query shape, as filter
values answer alike) and must answer without 403/404/500. Then
one page of each kind (paths alike but for their ids, same query keys) plus a fixed list of key
pages — the ledger, a problem, the warning board, 本周待办, the role's weekly form, notifications,
the audit log for the auditor, the profile — is opened at 1280×800, 1440×900 and 390×844: it must
fit the width (`scrollWidth <= innerWidth + 1`), and its first screen is kept under
artifacts/screenshots/layout/<role>/<width>x<height>/ for CI artifacts and review by eye.

All problems of a role are collected and reported together, so one run lists every page to fix.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import ARTIFACTS, PASSWORD

pytestmark = pytest.mark.browser

ROLES = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader", "sysadmin", "auditor"]
CLERKS = {"county_clerk", "dept_clerk"}
VIEWPORTS = [(1280, 800), (1440, 900), (390, 844)]
LAYOUT = ARTIFACTS / "layout"
# Links that end the session, download a file or leave the pages (files are tested elsewhere).
SKIP_PATH = re.compile(r"/logout/|\.(pdf|xlsx|csv|docx|zip|json|png|jpe?g)$|/(download|evidence|attachments?)/")
SKIP_QUERY = re.compile(r"(^|&)(format|download)=")
# The pages every role of the business is expected to open, and where each role lands on them.
KEY_PAGES = {
    "business": ["/", "/warnings/", "/progress/", "/notifications/", "/accounts/me/"],
    "sysadmin": ["/notifications/", "/accounts/me/"],
    "auditor": ["/audit/", "/notifications/", "/accounts/me/"],
}
# Links reachable from the key pages that name a role's own items (first match is visited).
FOLLOW = {
    "problem": (re.compile(r"^/problems/\d+/$"), "/"),
    "weekly": (re.compile(r"^/progress/units/\d+/[^/]+/[^/]+/$"), "/progress/"),
}

COLLECT_LINKS = """() => [...document.querySelectorAll('nav a[href], main a[href]')]
  .map(a => a.href).filter(h => h.startsWith(location.origin))"""
WIDTHS = "[document.documentElement.scrollWidth, window.innerWidth]"
# What sticks out to the right (for the report): the widest elements beyond the viewport.
OVERFLOW = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : ''))"""


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _followable(url: str) -> bool:
    parts = urlsplit(url)
    return not SKIP_PATH.search(parts.path) and not SKIP_QUERY.search(parts.query)


def _kind(url: str) -> tuple[str, tuple[str, ...]]:
    """Pages of one kind: the same path but for ids, the same query keys."""
    parts = urlsplit(url)
    keys = tuple(sorted({q.split("=")[0] for q in parts.query.split("&") if q}))
    return re.sub(r"/\d+(?=/)", "/N", parts.path), keys


def _slug(url: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "_", url.strip("/")).strip("_")[:80] or "home"


def _login(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("username", ROLES)
def test_every_link_answers_and_no_page_scrolls_sideways(browser: Any, server: str, username: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800}, base_url=server)
    page = context.new_page()
    problems: list[str] = []
    try:
        _login(page, username)
        landing = _relative(page.url)
        links = {_relative(h) for h in page.evaluate(COLLECT_LINKS) if _followable(h)}

        # 1. A link shown is a link the role may follow: every distinct path (each unit, each
        # problem…) and each kind of query on it (the filters' many values answer alike).
        checked: dict[Any, str] = {}
        for url in sorted(links):
            checked.setdefault(urlsplit(url).path, url)
            checked.setdefault(_kind(url), url)
        for url in sorted(set(checked.values())):
            status = page.request.get(url).status
            if status >= 400:
                problems.append(f"{url} → HTTP {status} (linked from the top bar or {landing})")

        # 2. The pages to look at: one of each kind, the key pages, and the role's own items.
        group = "sysadmin" if username == "sysadmin" else "auditor" if username == "auditor" else "business"
        pages: dict[Any, str] = {}
        for url in [landing, *KEY_PAGES[group], *sorted(links)]:
            pages.setdefault(_kind(url), url)
        for name, (pattern, source) in FOLLOW.items():
            if group != "business":
                continue
            page.goto(source)
            found = [u for u in map(_relative, page.evaluate(COLLECT_LINKS)) if pattern.match(u)]
            if not found:
                # Clerks report for their unit every week; offices, leaders and 验收 may have no form.
                if name != "weekly" or username in CLERKS:
                    problems.append(f"no {name} link on {source}")
                continue
            pages[("follow", name)] = found[0]

        # 3. Each page at each size: it answers, and it fits the width.
        for width, height in VIEWPORTS:
            page.set_viewport_size({"width": width, "height": height})
            folder = LAYOUT / username / f"{width}x{height}"
            folder.mkdir(parents=True, exist_ok=True)
            for url in pages.values():
                response = page.goto(url)
                status = response.status if response else 0
                if status >= 400:
                    problems.append(f"{url} → HTTP {status}")
                    continue
                scroll, inner = page.evaluate(WIDTHS)
                if scroll > inner + 1:
                    culprits = ", ".join(page.evaluate(OVERFLOW))
                    problems.append(f"{url} at {width}px scrolls sideways: {scroll} > {inner} ({culprits})")
                page.screenshot(path=str(folder / f"{_slug(url)}.png"), full_page=False)
    finally:
        context.close()
    assert not problems, f"{username}:\n" + "\n".join(problems)


def test_on_a_phone_the_ledger_shows_each_measure_as_a_card(browser: Any, server: str) -> None:
    """At 390 px the 台账 is a list of cards: text, deadline and status inside the screen."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=server)
    page = context.new_page()
    try:
        _login(page, "county_clerk")
        page.goto("/")
        assert not page.is_visible("#ledger-table thead")
        # The filters fold away behind one button on a phone and open from it.
        assert not page.is_visible("#f-q")
        page.click("[data-testid=ledger-filter-toggle]")
        page.wait_for_selector("#ledger-filters.collapse.show #f-q", state="visible")  # transition over
        page.click("[data-testid=ledger-filter-toggle]")
        page.wait_for_selector("#f-q", state="hidden")
        row = page.locator("#ledger-table tbody tr").first
        row.scroll_into_view_if_needed()
        cells = {
            "text": row.locator("td.measure-text"),
            "deadline": row.locator("td").nth(4),
            "status": row.locator("td").nth(7),
        }
        for name, cell in cells.items():
            box = cell.bounding_box()
            assert box is not None, name
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
            # Wide enough to read: a card's text runs across the screen, not four characters wide.
            assert box["width"] >= (150 if name == "deadline" else 250), (name, box)
            assert cell.inner_text().strip(), name
        assert cells["status"].locator(".badge").count() >= 2  # the status and the warning level
        assert page.evaluate(WIDTHS)[0] <= 391
        LAYOUT.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(LAYOUT / "ledger-cards-390.png"), full_page=False)
    finally:
        context.close()
