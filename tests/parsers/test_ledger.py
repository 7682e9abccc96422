"""Excel ledgers: the layout round-trips the seed, and loose real-world layouts are read."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest

from rectify.ingestion.parsers import ParseError, parse_plan_bytes, plan_to_dict
from rectify.ingestion.parsers.ledger_xlsx import LEDGER_COLUMNS, ledger_rows, parse_ledger_xlsx


def _xlsx(rows: list[list[Any]], title: str | None = None, merge_title: bool = True) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("台账")
    wrap = workbook.add_format({"text_wrap": True})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    first = 0
    if title:
        if merge_title:
            sheet.merge_range(0, 0, 0, len(rows[0]) - 1, title)
        else:
            sheet.write(0, 0, title)
        first = 2  # a blank row between the title and the header
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(first + r, c, value, dates)
            elif value is not None:
                sheet.write(first + r, c, value, wrap)
    workbook.close()
    return out.getvalue()


def test_the_seed_round_trips_through_the_ledger_layout(seed_dict: dict[str, Any]) -> None:
    headers, rows = ledger_rows(seed_dict)
    assert headers == LEDGER_COLUMNS
    assert len(rows) == 34
    assert rows[0][0] == "（一）" and rows[0][1].startswith("一、新形势下")
    data = _xlsx([headers, *rows], title=seed_dict["title"])
    back = plan_to_dict(parse_ledger_xlsx(data))
    assert back["title"] == seed_dict["title"]
    assert back["chapters"] == seed_dict["chapters"]
    assert back["problems"] == seed_dict["problems"]
    assert back["warnings"] == []


def test_parse_plan_bytes_routes_xlsx_to_the_ledger_parser(seed_dict: dict[str, Any]) -> None:
    headers, rows = ledger_rows(seed_dict)
    back = plan_to_dict(parse_plan_bytes(_xlsx([headers, *rows]), "台账.xlsx"))
    assert back["problems"] == seed_dict["problems"]


def test_lead_and_support_survive_the_round_trip() -> None:
    plan = {
        "title": "t",
        "chapters": [],
        "problems": [
            {
                "number": "一",
                "index": 1,
                "chapter": None,
                "text": "问题。",
                "goal": "目标。",
                "measures": [
                    {"number": None, "text": "一是甲；", "milestones": []},
                    {"number": None, "text": "二是乙。", "milestones": []},
                ],
                "responsible_units": ["市住建局", "市城管局"],
                "lead_units": ["市住建局"],
                "support_units": ["市城管局"],
                "responsible_person": None,
                "acceptance_unit": None,
                "acceptance_support_units": [],
                "deadline": {"raw": "长期坚持", "kind": "ongoing", "due": None, "start": None, "parts": []},
            }
        ],
    }
    headers, rows = ledger_rows(plan)
    assert rows[0][5] == "市住建局（牵头）、市城管局（配合）"
    back = plan_to_dict(parse_ledger_xlsx(_xlsx([headers, *rows])))
    problem = back["problems"][0]
    assert (problem["lead_units"], problem["support_units"]) == (["市住建局"], ["市城管局"])
    assert [m["text"] for m in problem["measures"]] == ["一是甲；", "二是乙。"]


def test_a_loose_office_layout() -> None:
    rows: list[list[Any]] = [
        [
            "序 号",
            "问题\n类别",
            "反馈问题",
            "整改\n目标",
            "主要措施",
            "整改责任单位",
            "责任人",
            "验收单位",
            "完成时限",
            "备注",
        ],
        [
            1,
            "大气污染",
            "问题甲。",
            "目标甲。",
            "1.措施一，2023年6月底前完成。\n2.措施二。",
            "市能源局",
            "局长",
            "验收组",
            date(2023, 9, 30),
            "",
        ],
        [None, None, None, None, "3.措施三。", None, None, None, None, None],  # merged cells
        [
            2,
            "大气污染",
            "问题乙。",
            "目标乙。",
            "一是加强；二是严查。",
            "各县(市、区)党委、政府",
            "县长",
            "验收组",
            "立行立改、长期坚持",
            "已完成",
        ],
        [3, "水污染", "问题丙。", "目标丙。", "4.措施四。", "市水利局", None, None, "2023年底", None],
    ]
    plan = plan_to_dict(parse_ledger_xlsx(_xlsx(rows, title="某市整改台账", merge_title=False)))
    assert plan["title"] == "某市整改台账"
    assert plan["chapters"] == [{"number": "一", "title": "大气污染"}, {"number": "二", "title": "水污染"}]
    first, second, third = plan["problems"]
    # 序号 1, 2, 3 are kept as written
    assert (first["number"], first["index"], first["chapter"]) == ("1", 1, "一")
    assert [m["number"] for m in first["measures"]] == ["1", "2", "3"]
    assert first["measures"][0]["milestones"][0]["due"] == "2023-06-30"
    assert first["deadline"]["due"] == "2023-09-30"
    assert second["responsible_units"] == ["各县（市、区）党委", "各县（市、区）政府"]
    assert [m["number"] for m in second["measures"]] == [None, None]
    assert second["deadline"]["kind"] == "immediate_ongoing"
    assert (third["number"], third["chapter"]) == ("3", "二")
    assert third["deadline"]["due"] == "2023-12-31"


def test_a_sheet_without_a_ledger_header_is_refused() -> None:
    with pytest.raises(ParseError, match="未找到整改措施清单"):
        parse_ledger_xlsx(_xlsx([["姓名", "电话"], ["张三", "123"]]))


def test_a_corrupt_workbook_is_refused() -> None:
    from rectify.ingestion.parsers import PlanReadError

    with pytest.raises(PlanReadError, match="Excel 文件已损坏"):
        parse_ledger_xlsx(b"PK\x03\x04 broken")
