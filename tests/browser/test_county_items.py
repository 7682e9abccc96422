"""县区动态 稿件 in a real browser (issue 15): a county office, on a phone, writes a 稿件 in the
rich editor (bold, no markup typed) with a site photo and sends it to the city office; the city
office, on a desk, sees it offered on a new 工作简报 draft, adopts it into 县区动态 (text and photo
in the preview), and the county sees 已采用. The draft is then cancelled, so the numbered series
of the other journeys on this server is untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect

from .conftest import login, shoot

pytestmark = pytest.mark.browser

TITLE = "朔城区区长深入现场督导交办案件整改工作"


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "督导现场.jpg"
    Image.new("RGB", (320, 200), (40, 90, 140)).save(path, format="JPEG")
    return path


def test_a_county_item_is_written_on_a_phone_and_adopted_into_a_briefing(
    browser: Any, server: str, tmp_path: Path
) -> None:
    phone = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, base_url=server)
    desk = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 768}, base_url=server)
    try:
        county = phone.new_page()
        login(county, "county_office")
        county.goto("/export/briefings/")
        with county.expect_navigation():
            county.click("[data-testid=county-items-link]")
        county.fill("#ci-title", TITLE)
        editor = county.locator("[data-testid=rich-editor]")
        editor.click()
        county.keyboard.type("12月5日，区长带队到西兴街社区现场督导。")
        county.keyboard.press("Control+a")
        county.click("button.ql-bold")
        county.keyboard.press("End")
        county.set_input_files("#ci-photos", str(_photo(tmp_path)))
        width, inner = county.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, (width, inner)
        shoot(county, "county-item-form-phone")
        with county.expect_navigation():
            county.click("[data-testid=county-item-form] button[type=submit]")
        mine = county.locator("[data-testid=county-item]", has_text=TITLE)
        expect(mine.locator("[data-testid=county-item-status]")).to_have_text("待采用")
        expect(mine).to_contain_text("照片1张")
        shoot(county, "county-item-submitted-phone")

        office = desk.new_page()
        login(office, "city_office")
        office.goto("/export/briefings/")
        with office.expect_navigation():
            office.click("button:has-text('新建一期简报')")
        offered = office.locator("[data-testid=offered-item]", has_text=TITLE)
        # The bold typed in the editor arrives as bold, not as "**…**".
        assert offered.locator(".offered-text strong").count() == 1
        assert "**" not in offered.inner_text()
        offered.locator("input[type=checkbox]").check()
        with office.expect_navigation():
            office.click("#pick-form button:has-text('采用所选稿件')")
        preview = office.locator("[data-testid=preview]")
        expect(preview).to_contain_text("区长带队到西兴街社区现场督导")
        assert preview.locator("img").count() >= 1
        shoot(office, "county-item-adopted-desk")

        county.reload()
        expect(mine.locator("[data-testid=county-item-status]")).to_have_text("已采用")

        # Leave no draft behind for the numbered briefings of the other journeys.
        office.once("dialog", lambda dialog: dialog.accept())
        with office.expect_navigation():
            office.click("form[data-confirm] button:has-text('作废')")
    finally:
        phone.close()
        desk.close()
