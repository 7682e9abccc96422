"""Issue 13, points 3 and 4: numbers kept as written; more field labels and deadline forms."""

from __future__ import annotations

import io
from typing import Any

import pytest

from rectify.ingestion.parsers import parse_plan, plan_to_dict
from rectify.ingestion.parsers.ledger_layout import problem_number
from rectify.ingestion.parsers.ledger_xlsx import parse_ledger_xlsx


def _plan(text: str) -> dict[str, Any]:
    return plan_to_dict(parse_plan(text))


def _one(text: str) -> dict[str, Any]:
    (problem,) = _plan(text)["problems"]
    return problem


# --- point 3: numbers as written -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "number", "raw"),
    [
        ("1", "1", None),
        ("1.0", "1", None),
        ("19", "19", None),
        ("十", "十", None),
        ("（十八）", "十八", None),
        ("一", "一", None),
        ("省编号第41号", "41", "省编号第41号"),
        ("第26号", "26", "第26号"),
        ("", None, None),
        ("备注", None, None),
    ],
)
def test_a_number_cell_is_kept_as_written(cell: str, number: str | None, raw: str | None) -> None:
    assert problem_number(cell) == (number, raw)


def test_ten_stays_ten_and_the_words_around_a_number_are_kept() -> None:
    fields = "整改措施：措施。\n责任单位：市能源局\n整改时限：2022年底\n"
    plan = _plan(f"（十）甲。\n{fields}序号：11\n反馈问题：乙。\n{fields}编号：省编号第41号\n反馈问题：丙。\n{fields}")
    assert [(p["number"], p["number_raw"]) for p in plan["problems"]] == [
        ("十", None),
        ("11", None),
        ("41", "省编号第41号"),
    ]


def test_a_number_then_a_province_number() -> None:
    problem = _one("问题1：甲。\n编号：省编号第41号\n整改措施：措施。\n责任单位：市能源局\n整改时限：2022年底\n")
    assert (problem["number"], problem["number_raw"], problem["text"]) == ("1", "问题1（省编号第41号）", "甲。")


def test_an_excel_ledger_keeps_its_numbers() -> None:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    rows = [
        ["序号", "反馈问题", "整改措施", "责任单位", "整改时限", "整改进展", "整改完成时间"],
        [1, "问题甲。", "1.措施。", "市能源局", "2022年底", "已完成", "2022年6月"],
        [2, "问题乙。", "2.措施。", "市水利局", "2022年底", "推进中", None],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.close()
    plan = plan_to_dict(parse_ledger_xlsx(out.getvalue()))
    assert [p["number"] for p in plan["problems"]] == ["1", "2"]
    assert [p["status"] for p in plan["problems"]] == ["completed", "in_progress"]
    assert plan["problems"][0]["completed_on"] == "2022-06-30"
    assert plan["problems"][0]["progress_text"] == "已完成"


# --- point 4: more fields ---------------------------------------------------------------------


def test_implementer_and_city_level_units_are_both_responsible() -> None:
    problem = _one(
        "反馈问题：甲。\n整改措施：措施。\n整改实施主体：中煤平朔集团有限公司\n"
        "责任单位（市级）：市能源局、市规划和自然资源局\n整改时限：2022年底\n"
    )
    assert problem["responsible_units"] == ["中煤平朔集团有限公司", "市能源局", "市规划和自然资源局"]


def test_lead_and_support_units_and_acceptance_units() -> None:
    problem = _one(
        "反馈问题：甲。\n整改措施：措施。\n牵头单位：市工信局\n配合单位：市生态环境局、神头镇人民政府\n"
        "牵头验收单位：市工信局\n配合验收单位：市生态环境局、市市场监管局\n整改时限：2022年底\n"
    )
    assert problem["lead_units"] == ["市工信局"]
    assert problem["support_units"] == ["市生态环境局", "神头镇人民政府"]
    assert problem["acceptance_unit"] == "市工信局"
    assert problem["acceptance_support_units"] == ["市生态环境局", "市市场监管局"]


def test_leader_and_person() -> None:
    both = _one(
        "反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n责任领导：副市长\n责任人：局长\n整改时限：2022年底\n"
    )
    assert (both["responsible_leader"], both["responsible_person"]) == ("副市长", "局长")
    leader_only = _one("反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n责任领导：副市长\n整改时限：2022年底\n")
    # the leader stands in as the person to call when the plan names nobody else
    assert (leader_only["responsible_leader"], leader_only["responsible_person"]) == ("副市长", "副市长")


@pytest.mark.parametrize("label", ["整改时限", "整改期限", "整改时间", "完成时限", "时间节点", "完成时间", "时限要求"])
def test_deadline_labels(label: str) -> None:
    problem = _one(f"反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n{label}：2022年9月底\n")
    assert problem["deadline"]["due"] == "2022-09-30"
    assert problem["deadline"]["flags"] == []
    assert [d["field"] for d in problem["doubts"]] == ["number"]  # unnumbered; the deadline was read


def test_a_deadline_range_has_a_start_and_a_due() -> None:
    deadline = _one("反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n整改期限：2020年6月至2021年12月\n")[
        "deadline"
    ]
    assert (deadline["kind"], deadline["start"], deadline["due"]) == ("range", "2020-06-01", "2021-12-31")
    assert deadline["milestones"] == []


def test_a_deadline_listing_stages_has_milestones() -> None:
    deadline = _one(
        "反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n"
        "整改时限：到2018年底，完成排查；到2019年底，完成50%；到2020年底，全部完成。\n"
    )["deadline"]
    assert deadline["kind"] == "compound" and deadline["due"] == "2020-12-31"
    assert [m["due"] for m in deadline["milestones"]] == ["2018-12-31", "2019-12-31", "2020-12-31"]


def test_stages_on_lines_of_their_own_under_the_deadline_label() -> None:
    deadline = _one(
        "反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n整改时限：\n到2018年底，完成排查；\n到2019年底，全部完成。\n"
    )["deadline"]
    assert deadline["due"] == "2019-12-31"
    assert [m["due"] for m in deadline["milestones"]] == ["2018-12-31", "2019-12-31"]


def test_time_nodes_beside_a_deadline_are_its_milestones() -> None:
    problem = _one(
        "反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n整改期限：2018年10月至2020年12月\n"
        "时间节点：到2018年底，完成清理；到2019年底，建成8座。\n"
    )
    assert problem["deadline"]["kind"] == "range"
    assert [m["raw"] for m in problem["deadline"]["milestones"]] == ["2018年底", "2019年底"]


def test_a_deadline_found_only_in_the_goal_is_taken_with_a_flag_and_a_warning() -> None:
    plan = _plan(
        "反馈问题：甲。\n整改目标：到2021年底下降5%；到2022年底达到80%。\n整改措施：措施。\n责任单位：市工信局\n"
    )
    (problem,) = plan["problems"]
    assert problem["deadline"]["raw"] == "2022年底" and problem["deadline"]["due"] == "2022-12-31"
    assert problem["deadline"]["flags"] == ["from_goal"]
    assert [m["due"] for m in problem["deadline"]["milestones"]] == ["2021-12-31", "2022-12-31"]
    assert {"field": "deadline", "reason": "原文没有整改时限，取自整改目标中的“2022年底”"} in problem["doubts"]
    assert plan["warnings"] == [
        {"line": 2, "message": "问题（一）没有整改时限，已取整改目标中的“2022年底”作为整改时限，请核对"}
    ]


def test_a_goal_without_a_date_leaves_the_deadline_missing() -> None:
    plan = _plan("反馈问题：甲。\n整改目标：全部达标。\n整改措施：措施。\n责任单位：市工信局\n")
    assert plan["problems"][0]["deadline"]["kind"] == "unknown"
    assert {"line": 1, "message": "问题（一）缺少“整改时限”"} in plan["warnings"]


def test_within_the_year_takes_the_plans_year() -> None:
    text = (
        "某县2023年整改方案\n（一）甲。\n整改措施：\n1.力争年内出台办法；年底前建成设施。\n"
        "责任单位：县住建局\n整改时限：年内完成\n"
    )
    plan = _plan(text)
    assert (plan["plan_year"], plan["plan_year_source"]) == (2023, "标题中的2023年")
    (problem,) = plan["problems"]
    assert problem["measures"][0]["milestones"] == [
        {"raw": "年内", "due": "2023-12-31", "precision": "year"},
        {"raw": "年底前", "due": "2023-12-31", "precision": "month"},
    ]
    assert (problem["deadline"]["kind"], problem["deadline"]["due"]) == ("date", "2023-12-31")
    assert problem["deadline"]["flags"] == ["plan_year"]
    assert [d["field"] for d in problem["doubts"]] == ["deadline", "milestones"]  # （一） was written


def test_within_the_year_without_any_year_is_a_warning_not_a_milestone() -> None:
    plan = _plan("（一）甲。\n整改措施：\n1.力争年内出台办法。\n责任单位：县住建局\n整改时限：立行立改\n")
    assert plan["plan_year"] is None
    assert plan["problems"][0]["measures"][0]["milestones"] == []
    assert any("没有写明年份，文中也找不到方案年份" in w["message"] for w in plan["warnings"])


@pytest.mark.parametrize(
    ("lines", "year", "source"),
    [
        (["某县整改方案", "2021年12月1日，督察组向我县反馈了督察意见。"], 2021, "反馈日期2021年12月1日"),
        (["某县2020年整改方案", "2021年12月1日，督察组向我县反馈了督察意见。"], 2021, "反馈日期2021年12月1日"),
        (["某县2020年整改方案"], 2020, "标题中的2020年"),
        (["某县整改方案"], 2022, "整改时限中最常见的年份2022年"),
    ],
)
def test_the_plans_year(lines: list[str], year: int, source: str) -> None:
    text = "\n".join([*lines, "（一）甲。", "整改措施：措施。", "责任单位：县住建局", "整改时限：2022年底"])
    plan = _plan(text)
    assert (plan["plan_year"], plan["plan_year_source"]) == (year, source)
