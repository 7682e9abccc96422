"""Other plans spell things differently: label variants, ASCII punctuation, 一是/二是, tables."""

from __future__ import annotations

from typing import Any

from rectify.ingestion.parsers import parse_plan, parse_plan_bytes, plan_to_dict, read_plan_bytes

from .builders import build_docx, build_html

VARIANTS = """某市贯彻落实督察反馈意见整改方案
附件
某市整改措施清单
一、大气污染防治
(一) 问题描述A，扬尘较重。
目标: 目标A。
主要措施:
1、措施一，2023年6月底前完成。
2．措施二。
整改责任单位: 市生态环境局(牵头)、市交通局(配合)
责任人: 局长
牵头验收单位: 市验收组
配合验收单位: 市生态环境局、市住建局
完成时限: 2023年12月31日
（二）问题B。
整改目标：目标B。
整改措施：一是加强监管；二是严格执法；三是2023年底前建立长效机制。
牵头单位：市住建局
配合单位：市城管局、各县(市、区)政府
整改期限：2023年6月至2023年12月
二、水污染防治
( 三 ) 问题C。
整改目标：目标C。
整改措施：
一是强化宣传。
二是开展培训。
责任单位(市级)：市教育局、市发改委牵头
时间节点：立行立改
"""


def _plan(text: str) -> dict[str, Any]:
    return plan_to_dict(parse_plan(text))


def test_label_variants_and_ascii_punctuation() -> None:
    plan = _plan(VARIANTS)
    assert plan["title"] == "某市贯彻落实督察反馈意见整改方案"
    assert plan["attachment_title"] == "某市整改措施清单"
    assert plan["chapters"] == [{"number": "一", "title": "大气污染防治"}, {"number": "二", "title": "水污染防治"}]
    first = plan["problems"][0]
    assert (first["number"], first["index"], first["chapter"]) == ("一", 1, "一")
    assert first["text"] == "问题描述A，扬尘较重。"
    assert first["goal"] == "目标A。"
    assert [(m["number"], m["text"]) for m in first["measures"]] == [
        ("1", "措施一，2023年6月底前完成。"),
        ("2", "措施二。"),
    ]
    assert first["measures"][0]["milestones"] == [{"raw": "2023年6月底前", "due": "2023-06-30", "precision": "month"}]
    assert first["responsible_units"] == ["市生态环境局", "市交通局"]
    assert first["lead_units"] == ["市生态环境局"]
    assert first["support_units"] == ["市交通局"]
    assert first["responsible_person"] == "局长"
    assert first["acceptance_unit"] == "市验收组"
    assert first["acceptance_support_units"] == ["市生态环境局", "市住建局"]
    assert first["deadline"]["due"] == "2023-12-31"
    assert plan["warnings"] == []


def test_lead_and_support_labels() -> None:
    second = _plan(VARIANTS)["problems"][1]
    assert second["lead_units"] == ["市住建局"]
    assert second["support_units"] == ["市城管局", "各县（市、区）政府"]
    assert second["responsible_units"] == ["市住建局", "市城管局", "各县（市、区）政府"]
    assert second["deadline"]["kind"] == "range"
    assert (second["deadline"]["start"], second["deadline"]["due"]) == ("2023-06-01", "2023-12-31")


def test_inline_ordinals_become_unnumbered_measures() -> None:
    second = _plan(VARIANTS)["problems"][1]
    assert [(m["number"], m["text"]) for m in second["measures"]] == [
        (None, "一是加强监管；"),
        (None, "二是严格执法；"),
        (None, "三是2023年底前建立长效机制。"),
    ]
    assert second["measures"][2]["milestones"][0]["due"] == "2023-12-31"


def test_ordinal_paragraphs_and_a_spaced_marker() -> None:
    third = _plan(VARIANTS)["problems"][2]
    assert (third["number"], third["chapter"]) == ("三", "二")
    assert [m["text"] for m in third["measures"]] == ["一是强化宣传。", "二是开展培训。"]
    assert third["lead_units"] == ["市发改委"]
    assert third["support_units"] == ["市教育局"]
    assert third["deadline"]["kind"] == "immediate"


def test_a_list_without_main_text_or_attachment_line() -> None:
    plan = _plan("（一）问题。\n整改目标：目标。\n整改措施：\n1.措施。\n责任单位：市能源局\n整改时限：2022年底\n")
    assert plan["title"] == ""
    assert plan["problems"][0]["deadline"]["due"] == "2022-12-31"
    assert plan["problems"][0]["chapter"] is None


def test_fields_on_one_line_are_split() -> None:
    plan = _plan("（一）问题。整改目标：目标。整改措施：1.措施。责任单位：市能源局。整改时限：2022年底。")
    problem = plan["problems"][0]
    assert problem["text"] == "问题。"
    assert problem["goal"] == "目标。"
    assert problem["measures"][0]["text"] == "措施。"
    assert problem["deadline"]["due"] == "2022-12-31"


def test_measure_numbers_may_restart_in_each_problem() -> None:
    text = "\n".join(
        [
            "（一）甲。",
            "整改目标：甲。",
            "整改措施：",
            "1.一。",
            "2.二。",
            "责任单位：市能源局",
            "整改时限：2022年底",
            "（二）乙。",
            "整改目标：乙。",
            "整改措施：",
            "1.一。",
            "2.二。",
            "责任单位：市能源局",
            "整改时限：2022年底",
        ]
    )
    plan = _plan(text)
    assert [[m["number"] for m in p["measures"]] for p in plan["problems"]] == [["1", "2"], ["1", "2"]]
    assert plan["warnings"] == []


def test_a_gap_in_measure_numbers_is_a_warning() -> None:
    text = "（一）甲。\n整改目标：甲。\n整改措施：\n1.一。\n3.三。\n责任单位：市能源局\n整改时限：2022年底\n"
    plan = _plan(text)
    assert plan["warnings"] == [{"line": 5, "message": "措施编号3不连续（上一条为1），请核对是否漏项"}]


def test_text_that_fits_nowhere_is_a_warning_with_its_line() -> None:
    text = "\n".join(
        [
            "附件",
            "清单",
            "（一）甲。",
            "整改目标：甲。",
            "整改措施：",
            "1.一。",
            "责任单位：市能源局",
            "整改时限：2022年底。",
            "",
            "这一段不属于任何字段。",
            "（二）乙。",
            "整改目标：乙。",
            "整改措施：",
            "1.二。",
            "责任单位：市能源局",
            "整改时限：2022年底",
        ]
    )
    plan = _plan(text)
    assert [w["line"] for w in plan["warnings"]] == [10]
    assert "这一段不属于任何字段" in plan["warnings"][0]["message"]
    assert len(plan["problems"]) == 2


def test_missing_fields_and_unreadable_deadlines_are_warnings() -> None:
    plan = _plan("（一）甲。\n整改措施：\n1.一。\n责任单位：市能源局\n整改时限：视情况而定\n")
    messages = [w["message"] for w in plan["warnings"]]
    assert "问题（一）缺少“整改目标”" in messages
    assert "问题（一）的整改时限“视情况而定”无法识别" in messages
    assert plan["problems"][0]["deadline"] == {
        "raw": "视情况而定",
        "kind": "unknown",
        "due": None,
        "start": None,
        "parts": [],
        "flags": [],
        "milestones": [],
    }


def test_sub_items_inside_measures_are_not_problems() -> None:
    text = "\n".join(
        [
            "（一）甲。",
            "整改目标：甲。",
            "整改措施：",
            "1.一：",
            "（一）细项一；",
            "（二）细项二。",
            "责任单位：市能源局",
            "整改时限：2022年底",
            "（二）乙。",
            "整改目标：乙。",
            "整改措施：",
            "2.二。",
            "责任单位：市能源局",
            "整改时限：2022年底",
        ]
    )
    plan = _plan(text)
    assert [p["number"] for p in plan["problems"]] == ["一", "二"]
    assert plan["problems"][0]["measures"][0]["text"] == "一：\n（一）细项一；\n（二）细项二。"


def test_key_value_table_in_word() -> None:
    data = build_docx(
        [
            "附件",
            "整改清单",
            "（一）问题甲。",
            [
                ["整改目标", "目标甲。"],
                ["整改措施", "1.措施一。\n2.措施二。"],
                ["责任单位", "市水利局"],
                ["整改时限：", "2022年12月底"],
            ],
        ]
    )
    text = read_plan_bytes(data, "plan.docx")
    assert "整改时限：2022年12月底" in text.splitlines()
    problem = plan_to_dict(parse_plan_bytes(data, "plan.docx"))["problems"][0]
    assert [m["number"] for m in problem["measures"]] == ["1", "2"]
    assert problem["deadline"]["due"] == "2022-12-31"


def test_ledger_layout_table_in_word_and_html() -> None:
    table = [
        ["序号", "存在\n问题", "整改目标", "整改措施", "责任单位", "完成时限"],
        ["1", "问题甲。", "目标甲。", "1.措施一。\n2.措施二。", "市水利局", "2022年12月底"],
        ["2", "问题乙。", "目标乙。", "3.措施三。", "市能源局", "长期坚持"],
    ]
    for data, name in ((build_docx(["整改清单", table]), "plan.docx"), (build_html(["整改清单", table]), "plan.html")):
        plan = plan_to_dict(parse_plan_bytes(data, name))
        # numbers as written: 序号 1, 2 stay "1", "2" (they used to come back as 一, 二)
        assert [p["number"] for p in plan["problems"]] == ["1", "2"]
        assert [p["number_raw"] for p in plan["problems"]] == [None, None]
        assert [m["number"] for m in plan["problems"][0]["measures"]] == ["1", "2"]
        assert plan["problems"][1]["deadline"]["kind"] == "ongoing"
        assert plan["problems"][1]["responsible_units"] == ["市能源局"]
