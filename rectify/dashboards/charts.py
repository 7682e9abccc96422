"""The charts' data: the same figures as the page's tables, shaped for dashboard.js (ECharts).

Each chart is a small spec — categories, series of numbers, and for every bar or slice the link
to the items behind it (a click on a bar opens the same list as the number in the table)."""

from __future__ import annotations

from typing import Any

from .counties import CountyRow, UnitRow
from .selectors import Dashboard

RED, YELLOW, GREEN, GREY, BLUE, TEAL = "#c62828", "#f0ad00", "#2e7d32", "#adb5bd", "#1f5fbf", "#17a2b8"


def _series(name: str, data: list[Any], color: str, links: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "data": data, "color": color, "links": links or [], **extra}


def chapters(d: Dashboard) -> dict[str, Any]:
    rows = d.chapters
    return {
        "type": "bar",
        "horizontal": True,
        "percent": True,
        "categories": [r.label[:16] for r in rows],
        "series": [
            _series("措施完成率", [r.measures.rate or 0 for r in rows], BLUE, [r.links["measures_done"] for r in rows]),
            _series("单位任务完成率", [r.shares.rate or 0 for r in rows], TEAL, [r.links["shares_done"] for r in rows]),
        ],
    }


def warnings_by_county(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def level(key: str, name: str, color: str) -> dict[str, Any]:
        return _series(name, [r[key] for r in rows], color, [r["links"].get(key, "") for r in rows], stack="w")

    return {
        "type": "bar",
        "horizontal": True,
        "categories": [r["name"] for r in rows],
        "series": [
            level("red", "红色", RED),
            level("yellow", "黄色", YELLOW),
            level("green", "绿色", GREEN),
            _series("未评估", [r["none"] for r in rows], GREY, stack="w"),
        ],
    }


def warnings_by_level(d: Dashboard) -> dict[str, Any]:
    s = d.shares
    return {
        "type": "pie",
        "categories": ["红色", "黄色", "绿色", "未评估"],
        "series": [
            _series(
                "单位任务",
                [s.red, s.yellow, s.green, s.unassessed],
                "",
                [d.links["red"], d.links["yellow"], d.links["green"], ""],
                colors=[RED, YELLOW, GREEN, GREY],
            )
        ],
    }


def trend(d: Dashboard, which: str) -> dict[str, Any]:
    points = d.trend
    names = {
        "measures": ("到期措施（累计）", "已完成措施（累计）"),
        "shares": ("到期单位任务（累计）", "已完成单位任务（累计）"),
    }
    due, done = names[which]
    return {
        "type": "line",
        "categories": [p.label for p in points],
        "series": [
            _series(
                due,
                [getattr(p, f"{which}_due") for p in points],
                GREY,
                [p.links.get(f"{which}_due", "") for p in points],
            ),
            _series(
                done,
                [getattr(p, f"{which}_done") for p in points],
                GREEN,
                [p.links.get(f"{which}_done", "") for p in points],
            ),
            _series("本周新完成", [getattr(p, f"{which}_new") for p in points], BLUE, kind="bar"),
        ],
    }


def overdue_units(rows: list[UnitRow]) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": True,
        "categories": [r.name for r in rows],
        "series": [
            _series("逾期单位任务", [r.shares.overdue for r in rows], RED, [r.links["overdue"] for r in rows]),
        ],
    }


def complaints(d: Dashboard) -> dict[str, Any]:
    c = d.complaints
    return {
        "type": "pie",
        "categories": [s["label"] for s in c.by_status],
        "series": [
            _series(
                "交办件",
                [s["n"] for s in c.by_status],
                "",
                [s["link"] for s in c.by_status],
                colors=[RED, YELLOW, GREEN],
            )
        ],
    }


def complaints_by_region(d: Dashboard) -> dict[str, Any]:
    rows = d.complaints.by_region
    return {
        "type": "bar",
        "categories": [r["name"] for r in rows],
        "series": [
            _series("已办结", [r["closed"] for r in rows], GREEN, [r["closed_link"] for r in rows], stack="c"),
            _series("未办结及阶段性办结", [r["open"] for r in rows], YELLOW, [r["open_link"] for r in rows], stack="c"),
        ],
    }


def counties(rows: list[CountyRow]) -> dict[str, Any]:
    return {
        "type": "bar",
        "percent": True,
        "categories": [r.name for r in rows],
        "series": [
            _series("完成率", [r.shares.rate or 0 for r in rows], BLUE, [r.links["done"] for r in rows]),
            _series("平均进度", [r.shares.progress or 0 for r in rows], TEAL, [r.links["total"] for r in rows]),
            _series("按时报送率", [r.reporting.rate or 0 for r in rows], GREEN, [r.links["reporting"] for r in rows]),
        ],
    }


def units(rows: list[UnitRow]) -> dict[str, Any]:
    return {
        "type": "bar",
        "horizontal": True,
        "percent": True,
        "categories": [r.name for r in rows],
        "series": [
            _series("完成率", [r.shares.rate or 0 for r in rows], BLUE, [r.links["done"] for r in rows]),
            _series("平均进度", [r.shares.progress or 0 for r in rows], TEAL, [r.links["total"] for r in rows]),
        ],
    }


def home_charts(d: Dashboard) -> dict[str, Any]:
    return {
        "chapters": chapters(d),
        "warnings": warnings_by_county(d.warnings_by_county),
        "trend_measures": trend(d, "measures"),
        "trend_shares": trend(d, "shares"),
        "overdue": overdue_units(d.overdue_units),
        "counties": counties(d.counties),
        "complaints": complaints(d),
        "complaints_region": complaints_by_region(d),
    }


def counties_charts(rows: list[CountyRow]) -> dict[str, Any]:
    return {"counties": counties(rows)}


def county_charts(d: Dashboard) -> dict[str, Any]:
    return {
        "levels": warnings_by_level(d),
        "units": units(d.units),
        "chapters": chapters(d),
        "trend_measures": trend(d, "measures"),
        "trend_shares": trend(d, "shares"),
        "overdue": overdue_units(d.overdue_units),
        "complaints": complaints(d),
    }
