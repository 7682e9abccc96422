"""挂图作战 in a real browser (issue 12): a plan of 500 measures, built with the ORM in the test
server's database, opens as a Gantt drawn on a canvas, with no console error, by chapter and by
unit, on a desktop and on a phone; a bar opens its problem. Screenshots are kept in
artifacts/screenshots/. (The time to draw is measured by bench/bench_gantt.py, not asserted here.)"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from .conftest import ROOT, SERVER_ENV, login, shoot

pytestmark = pytest.mark.browser
MEASURES = 500


@pytest.fixture(scope="module")
def plan_id(server: str) -> int:
    """The plan of 500 measures (bench.bench_gantt.build_plan), in the server's database."""
    code = f"from bench.bench_gantt import build_plan; print(build_plan({MEASURES}))"
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        env=SERVER_ENV,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def _open(page: Any, url: str) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("#gantt-chart[data-drawn]", timeout=20_000)
    return errors


def _rows(page: Any) -> list[dict[str, Any]]:
    return json.loads(page.text_content("#gantt-data") or "{}")["rows"]


def test_the_gantt_of_500_measures_is_drawn_on_a_canvas(page: Any, plan_id: int) -> None:
    login(page, "leader")
    page.set_viewport_size({"width": 1366, "height": 768})
    errors = _open(page, f"/dashboard/gantt/?group=chapter&plan={plan_id}")
    assert errors == []
    canvas = page.locator("#gantt-chart canvas").first
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 800 and box["height"] > 300
    rows = _rows(page)
    assert sum(1 for r in rows if r["kind"] == "measure") == MEASURES
    assert page.text_content("[data-testid=gantt-total]") == str(MEASURES)
    # The canvas holds a drawing, not a blank box: many distinct colours in its pixels.
    colours = page.evaluate(
        """() => {
          const c = document.querySelector('#gantt-chart canvas');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          const seen = new Set();
          for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
          return seen.size;
        }"""
    )
    assert colours > 20
    shoot(page, "gantt-500-chapter-1366")

    # Scrolling the rows with the wheel redraws without an error.
    page.mouse.move(700, 500)
    for _ in range(5):
        page.mouse.wheel(0, 600)
    page.wait_for_timeout(200)
    assert errors == []
    shoot(page, "gantt-500-chapter-scrolled")


def test_by_unit_and_on_a_phone(page: Any, plan_id: int) -> None:
    login(page, "leader")
    page.set_viewport_size({"width": 390, "height": 844})
    errors = _open(page, f"/dashboard/gantt/?group=unit&plan={plan_id}")
    assert errors == []
    rows = _rows(page)
    assert sum(1 for r in rows if r["kind"] == "share") == MEASURES
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 392, "no sideways scrolling on a phone"
    shoot(page, "gantt-500-unit-390")


def test_a_bar_opens_its_problem_and_the_table_view_lists_the_rows(page: Any, plan_id: int) -> None:
    login(page, "leader")
    page.set_viewport_size({"width": 1366, "height": 768})
    _open(page, f"/dashboard/gantt/?group=chapter&plan={plan_id}")
    page.click("[data-testid=gantt-table-details] summary")
    page.wait_for_selector("#gantt-table a")  # built from the same rows when opened
    links = page.locator("#gantt-table a")
    assert links.count() == MEASURES + MEASURES // 5
    first_problem = _rows(page)[1]
    assert first_problem["kind"] == "problem"
    # Click the first problem's bar: its row is the second one, just under the time axis.
    box = page.locator("#gantt-chart canvas").first.bounding_box()
    assert box is not None
    start = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById('gantt-chart'));
          const data = JSON.parse(document.getElementById('gantt-data').textContent);
          const row = data.rows[1];
          const x = new Date(row.start.replace(/-/g, '/')).getTime() + 5 * 86400000;
          return chart.convertToPixel({seriesIndex: 0}, [x, 1]);
        }"""
    )
    with page.expect_navigation():
        page.mouse.click(box["x"] + start[0], box["y"] + start[1])
    assert page.url.endswith(first_problem["url"])
    shoot(page, "gantt-problem-opened")


def test_a_clerk_sees_its_own_shares(page: Any) -> None:
    login(page, "county_clerk")
    errors = _open(page, "/dashboard/gantt/")
    assert errors == []
    units = {r["label"] for r in _rows(page) if r["kind"] == "unit"}
    assert units == {"朔城区政府"}
    shoot(page, "gantt-county-clerk")
