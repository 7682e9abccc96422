"""Issue 13, points 1 and 2: problems found however they are marked, and one problem is a plan too."""

from __future__ import annotations

from typing import Any

import pytest

from rectify.ingestion.parsers import ParseError, parse_plan, parse_plan_bytes, plan_to_dict, read_plan_bytes

from .builders import build_docx, build_html

FIELDS = "整改目标：目标。\n整改措施：\n1.措施。\n责任单位：市能源局\n整改时限：2022年底\n"


def _plan(text: str, **kwargs: Any) -> dict[str, Any]:
    return plan_to_dict(parse_plan(text, **kwargs))


@pytest.mark.parametrize(
    ("first", "second", "numbers", "raws"),
    [
        ("问题1：甲。", "问题2：乙。", ["1", "2"], ["问题1", "问题2"]),
        ("问题一：甲。", "问题二：乙。", ["一", "二"], ["问题一", "问题二"]),
        ("问题（一）甲。", "问题（二）乙。", ["一", "二"], ["问题（一）", "问题（二）"]),
        ("第1项：甲。", "第2项：乙。", ["1", "2"], ["第1项", "第2项"]),
        ("第一项：甲。", "第二项：乙。", ["一", "二"], ["第一项", "第二项"]),
        ("第1项 甲。", "第2项 乙。", ["1", "2"], ["第1项", "第2项"]),
        ("序号19 甲。", "序号20 乙。", ["19", "20"], ["序号19", "序号20"]),
        ("省编号第41号：甲。", "省编号第42号：乙。", ["41", "42"], ["省编号第41号", "省编号第42号"]),
        ("(一)甲。", "(二)乙。", ["一", "二"], [None, None]),
    ],
)
def test_problem_numberings(first: str, second: str, numbers: list[str], raws: list[str | None]) -> None:
    plan = _plan(f"{first}\n{FIELDS}{second}\n{FIELDS}")
    assert [p["number"] for p in plan["problems"]] == numbers
    assert [p["number_raw"] for p in plan["problems"]] == raws
    assert [p["text"] for p in plan["problems"]] == ["甲。", "乙。"]
    assert plan["warnings"] == []
    assert all(p["doubts"] == [] for p in plan["problems"])


@pytest.mark.parametrize("label", ["反馈问题", "存在问题", "问题描述", "整改任务", "督察反馈问题", "问题"])
def test_a_label_for_the_problem_opens_an_unnumbered_problem(label: str) -> None:
    plan = _plan(f"{label}：甲。\n{FIELDS}{label}：乙。\n{FIELDS}")
    assert [p["text"] for p in plan["problems"]] == ["甲。", "乙。"]
    assert [p["number"] for p in plan["problems"]] == ["一", "二"]
    assert plan["problems"][0]["doubts"] == [{"field": "number", "reason": "原文未编号，按出现顺序编为（一）"}]


def test_a_label_for_the_problem_after_a_number_is_that_problems_text() -> None:
    plan = _plan(f"（一）大气污染问题\n问题描述：扬尘较重。\n{FIELDS}")
    (problem,) = plan["problems"]
    assert (problem["number"], problem["text"]) == ("一", "大气污染问题\n扬尘较重。")


def test_one_problem_laid_out_as_sections() -> None:
    text = "\n".join(
        [
            "某县整改销号报告",
            "一、反馈问题",
            "尾矿库未闭库。",
            "二、整改目标",
            "完成闭库治理。",
            "三、整改措施",
            "1.编制闭库设计。",
            "2.组织验收。",
            "四、整改完成情况",
            "1.已完成闭库。",
            "2.已通过验收。",
            "五、责任单位",
            "县应急局",
            "六、整改时限",
            "2021年11月底",
        ]
    )
    plan = _plan(text)
    assert plan["title"] == "某县整改销号报告" and plan["chapters"] == []
    (problem,) = plan["problems"]
    assert problem["text"] == "尾矿库未闭库。"
    assert problem["goal"] == "完成闭库治理。"
    assert [m["text"] for m in problem["measures"]] == ["编制闭库设计。", "组织验收。"]
    assert problem["progress_text"] == "1.已完成闭库。\n2.已通过验收。"
    assert problem["responsible_units"] == ["县应急局"]
    assert problem["deadline"]["due"] == "2021-11-30"


def test_a_plans_chapters_named_like_fields_are_chapters_when_no_problem_section_exists() -> None:
    text = "某市整改方案\n三、整改目标\n全部整改到位。\n四、整改措施\n（一）坚持问题导向。\n（二）压实责任。\n"
    with pytest.raises(ParseError):
        parse_plan(text)


def test_a_key_value_table_flattened_to_lines_ending_in_a_bar() -> None:
    text = "\n".join(
        [
            "序号 |",
            "3 |",
            "反馈问题 |",
            "水源地保护区内有农家乐。 |",
            "整改措施 |",
            "1.关停农家乐。 |",
            "2.设置隔离设施。 |",
            "责任单位 |",
            "县水利局 |",
            "整改时限 |",
            "2020年6月底前 |",
        ]
    )
    (problem,) = _plan(text)["problems"]
    assert (problem["number"], problem["number_raw"]) == ("3", None)
    assert problem["text"] == "水源地保护区内有农家乐。"
    assert [m["number"] for m in problem["measures"]] == ["1", "2"]
    assert problem["deadline"]["due"] == "2020-06-30"


def test_a_flattened_table_with_a_header_row_reads_as_a_ledger() -> None:
    cells = [
        "序号",
        "存在问题",
        "整改措施",
        "责任单位",
        "整改时限",
        "1",
        "问题甲。",
        "1.措施甲。",
        "市水利局",
        "2022年底",
    ]
    plan = _plan("\n".join(f"{c} |" for c in cells))
    (problem,) = plan["problems"]
    assert (problem["number"], problem["text"], problem["responsible_units"]) == ("1", "问题甲。", ["市水利局"])


def test_a_table_pasted_as_bar_separated_rows() -> None:
    text = "\n".join(
        [
            "| 反馈问题 | 渣土车未密闭。 |",
            "|---|---|",
            "| 整改措施 | 1.专项整治。 |",
            "| 责任单位 | 县住建局 |",
            "| 整改时限 | 立行立改 |",
        ]
    )
    (problem,) = _plan(text)["problems"]
    assert problem["text"] == "渣土车未密闭。"
    assert problem["deadline"]["kind"] == "immediate"


def test_problems_quoted_as_about_headings() -> None:
    text = "关于“养殖场粪污直排”问题\n整改措施：停产整改。\n责任单位：县农业农村局\n整改时限：2018年8月31日\n"
    text += "关于“洗煤厂煤泥露天堆放”问题\n整改措施：煤泥入棚。\n责任单位：县能源局\n整改时限：2018年9月30日\n"
    plan = _plan(text)
    assert [p["text"] for p in plan["problems"]] == ["养殖场粪污直排", "洗煤厂煤泥露天堆放"]
    assert all("关于" in p["doubts"][1]["reason"] for p in plan["problems"])


def test_a_single_problem_notice_takes_its_words_and_number_from_the_title() -> None:
    text = "\n".join(
        [
            "关于“南榆林乡废旧塑料小作坊污染”第19项问题整改情况的公示",
            "现将整改情况公示如下：",
            "整改措施：依法取缔。",
            "责任单位：南榆林乡人民政府",
            "整改时限：立行立改",
            "整改完成情况：已完成。",
            "公示期：2019年12月20日至12月26日",
            "联系电话：0349-2021125",
            "某区整改办",
            "2019年12月20日",
        ]
    )
    plan = _plan(text)
    assert plan["title"].startswith("关于“南榆林乡")
    assert plan["preamble"] == ["现将整改情况公示如下："]
    assert plan["closing"] == [
        "公示期：2019年12月20日至12月26日",
        "联系电话：0349-2021125",
        "某区整改办",
        "2019年12月20日",
    ]
    (problem,) = plan["problems"]
    assert (problem["number"], problem["number_raw"], problem["text"]) == ("19", "第19项", "南榆林乡废旧塑料小作坊污染")
    # 已完成 alone under 整改完成情况 is read, not inferred: it is the status
    assert (problem["status"], problem["progress_text"]) == ("completed", "已完成。")
    assert {d["field"] for d in problem["doubts"]} == {"text", "number"}
    assert plan["plan_year"] == 2019 and plan["plan_year_source"] == "落款日期2019年12月20日"


def test_one_problem_is_a_document_too() -> None:
    (problem,) = _plan("存在问题：散煤取暖。\n" + FIELDS)["problems"]
    assert problem["text"] == "散煤取暖。"


def test_a_single_field_is_a_problem_too() -> None:
    plan = _plan("情况说明\n整改时限：2022年底")
    (problem,) = plan["problems"]
    assert problem["deadline"]["due"] == "2022-12-31"
    assert plan["title"] == "情况说明"


def test_fields_without_any_problem_heading_are_one_problem() -> None:
    plan = _plan(FIELDS)
    (problem,) = plan["problems"]
    assert problem["text"] == "" and problem["number"] == "一"
    assert {"line": 1, "message": "问题（一）缺少“问题描述”"} in plan["warnings"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("今天天气很好。\n明天也是。", "共2段文字；没有任何问题编号或字段标签"),
        ("（一）坚持问题导向。\n（二）坚持标本兼治。", "2个“（一）坚持……”式的原则条目（属于正文，不是问题）"),
        ("（一）扬尘较重。\n（二）噪声扰民。", "2个编号的条目（如“（一）”），但其后都没有整改目标、整改措施等字段"),
        ("一、总体要求\n二、保障措施", "2个“一、”式标题"),
        ("情况说明\n责任人：张三\n验收单位：市验收组", "字段标签“责任人”“验收单位”，但没有问题描述"),
    ],
)
def test_refusal_says_what_was_looked_for_and_what_was_found(text: str, found: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_plan(text)
    message = info.value.message
    assert message.startswith("未找到整改措施清单")
    assert "“问题1：”" in message and "“反馈问题：”" in message and "“一、反馈问题" in message
    assert found in message


def test_word_ledger_tables_with_and_without_a_header_row() -> None:
    header = ["序号", "反馈问题", "整改措施", "责任单位", "整改时限"]
    rows = [
        ["1", "问题甲。", "1.措施甲。", "市水利局", "2022年12月底"],
        ["2", "问题乙。", "2.措施乙。", "市能源局", "长期坚持"],
    ]
    with_header = plan_to_dict(parse_plan_bytes(build_docx(["整改清单", [header, *rows]]), "a.docx"))
    without = plan_to_dict(parse_plan_bytes(build_docx(["整改清单", rows]), "b.docx"))
    for plan in (with_header, without):
        assert [p["number"] for p in plan["problems"]] == ["1", "2"]
        assert [p["text"] for p in plan["problems"]] == ["问题甲。", "问题乙。"]
        assert plan["problems"][1]["deadline"]["kind"] == "ongoing"
    assert all(p["doubts"] == [] for p in with_header["problems"])
    inferred = {d["field"] for d in without["problems"][0]["doubts"]}
    assert inferred == {"number", "text", "measures", "responsible_units", "deadline"}
    assert "序号（按内容推断）：1" in read_plan_bytes(build_docx(["整改清单", rows]), "b.docx").splitlines()


def test_a_table_without_a_header_that_cannot_be_understood_is_read_cell_by_cell() -> None:
    rows = [["甲", "乙", "丙", "丁"], ["戊", "己", "庚", "辛"]]
    text = read_plan_bytes(build_docx(["说明", rows]), "c.docx")
    assert text.splitlines() == ["说明", "甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"]


def test_key_value_pairs_two_to_a_row_in_html() -> None:
    table = [
        ["问题编号", "第26号", "整改状态", "已完成"],
        ["督察反馈问题", "煤气发生炉未淘汰。"],
        ["牵头单位", "市工信局", "配合单位", "市生态环境局"],
        ["整改时限", "2019年9月底"],
    ]
    (problem,) = plan_to_dict(parse_plan_bytes(build_html(["销号公示", table]), "x.html"))["problems"]
    assert (problem["number"], problem["number_raw"], problem["status"]) == ("26", "第26号", "completed")
    assert (problem["lead_units"], problem["support_units"]) == (["市工信局"], ["市生态环境局"])
