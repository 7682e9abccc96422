"""The seed plan, parsed, against its hand-checked golden JSON and spot checks from the document.

Regenerate after a deliberate change with `UPDATE_GOLDEN=1 pytest tests/parsers/test_golden.py`,
then read the diff against the document before committing it.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from .conftest import GOLDEN

GOLDEN_JSON = GOLDEN / "seed_000.json"


def _problem(seed_dict: dict[str, Any], number: str) -> dict[str, Any]:
    return next(p for p in seed_dict["problems"] if p["number"] == number)


def _measures(seed_dict: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {m["number"]: m for p in seed_dict["problems"] for m in p["measures"]}


def test_the_seed_matches_its_golden_file(seed_dict: dict[str, Any]) -> None:
    rendered = json.dumps(seed_dict, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN_JSON.write_text(rendered, encoding="utf-8")
    assert json.loads(GOLDEN_JSON.read_text(encoding="utf-8")) == seed_dict


def test_the_cli_prints_the_golden_json(capsys: pytest.CaptureFixture[str]) -> None:
    from django.core.management import call_command

    from .conftest import SEED_PATH

    call_command("parse", str(SEED_PATH), "--json")
    assert json.loads(capsys.readouterr().out) == json.loads(GOLDEN_JSON.read_text(encoding="utf-8"))


def test_it_finds_the_title_with_the_split_repaired(seed_dict: dict[str, Any]) -> None:
    assert seed_dict["title"] == "朔州市贯彻落实省生态环境保护督察反馈意见整改方案"
    assert seed_dict["attachment_title"] == "朔州市贯彻落实省生态环境保护督察报告具体整改措施清单"


def test_it_finds_four_chapters_without_their_numbers(seed_dict: dict[str, Any]) -> None:
    assert [c["number"] for c in seed_dict["chapters"]] == ["一", "二", "三", "四"]
    assert seed_dict["chapters"][0]["title"] == "新形势下落实生态环境保护任务的认识和行动还需要进一步深化"
    assert seed_dict["chapters"][3]["title"] == "固废和危废管理水平不高"


def test_it_finds_34_problems_in_order_in_their_chapters(seed_dict: dict[str, Any]) -> None:
    problems = seed_dict["problems"]
    assert len(problems) == 34
    assert [p["index"] for p in problems] == list(range(1, 35))
    assert problems[0]["number"] == "一" and problems[-1]["number"] == "三十四"
    chapters = [p["chapter"] for p in problems]
    assert chapters == ["一"] * 4 + ["二"] * 14 + ["三"] * 13 + ["四"] * 3


def test_main_text_sub_items_are_not_problems(seed_dict: dict[str, Any]) -> None:
    texts = [p["text"] for p in seed_dict["problems"]]
    assert not any(t.startswith("坚持标本兼治") or t.startswith("提高认识") for t in texts)
    assert any(p.startswith("（一）坚持标本兼治") for p in seed_dict["preamble"])
    assert seed_dict["preamble"][-1] == "附件：朔州市贯彻落实省生态环境保护督查报告体措施清单"


def test_it_finds_91_numbered_measures_and_one_unnumbered(seed_dict: dict[str, Any]) -> None:
    measures = [m for p in seed_dict["problems"] for m in p["measures"]]
    numbered = [m["number"] for m in measures if m["number"] is not None]
    assert numbered == [str(n) for n in range(1, 92)]
    unnumbered = [(p["number"], m) for p in seed_dict["problems"] for m in p["measures"] if m["number"] is None]
    assert len(unnumbered) == 1
    number, measure = unnumbered[0]
    assert number == "十六"
    assert measure["text"] == "尽快完成6个县（市、区）的“十四五”城镇污水处理再生水利用专项规划编制。"


def test_it_has_no_warnings_for_the_seed(seed_dict: dict[str, Any]) -> None:
    assert seed_dict["warnings"] == []


def test_page_break_artefacts_are_repaired(seed_dict: dict[str, Any]) -> None:
    first = _problem(seed_dict, "一")
    assert "更加体现朔州的使命担当" in first["goal"]
    measures = _measures(seed_dict)
    assert "进行督促指导" in measures["14"]["text"]
    assert "“一企一策”" in measures["17"]["text"]
    assert "任务。大力宣传" not in measures["3"]["text"]
    assert "意识。大力宣传" in measures["3"]["text"]
    assert _problem(seed_dict, "三")["text"].endswith(
        "抓而不紧、办法不多，实施措施简单，落实粗略，精准改进不够、攻坚不力。"
    )
    assert "\n" not in "".join(p["text"] + p["goal"] for p in seed_dict["problems"])


def test_the_stray_formula_becomes_a_unit(seed_dict: dict[str, Any]) -> None:
    text = _problem(seed_dict, "二十七")["text"]
    assert "PM10浓度范围在29.00-348.00μg/m³之间，均值为73.93μg/m³。" in text
    assert "$" not in text and "\\" not in text
    assert text.startswith("12月10日，督察组对G336国道、中煤平朔集团安太堡")


def test_spaces_inside_dates_and_numbers_are_removed(seed_dict: dict[str, Any]) -> None:
    assert _problem(seed_dict, "二")["deadline"]["raw"] == "2022年12月底"
    assert _problem(seed_dict, "五")["text"].startswith("第二轮中央环保督察反馈朔州16项整改任务，仅完成1项")
    assert (
        _problem(seed_dict, "十五")["goal"]
        == "市能源局每月预估全社会煤炭消费总量，并逐步完善县（市、区）煤炭消费统计制度。"
    )


def test_problem_one_units_fan_out_group_phrases(seed_dict: dict[str, Any]) -> None:
    first = _problem(seed_dict, "一")
    assert first["responsible_units"] == [
        "市委办公室",
        "市政府办公室",
        "市直相关部门",
        "各县（市、区）党委",
        "各县（市、区）政府",
        "朔州经济开发区党工委",
        "朔州经济开发区管委会",
    ]
    assert first["lead_units"] == first["responsible_units"]
    assert first["support_units"] == []
    assert first["responsible_person"] == "责任单位主要负责同志"
    assert first["acceptance_unit"] == "市督察整改落实情况验收工作领导小组"


def test_other_unit_phrases(seed_dict: dict[str, Any]) -> None:
    assert _problem(seed_dict, "三")["responsible_units"][:2] == ["市工信局", "市规划和自然资源局"]
    assert _problem(seed_dict, "八")["responsible_units"] == [
        "市工信局",
        "各相关县（市、区）党委",
        "各相关县（市、区）政府",
    ]
    assert _problem(seed_dict, "十四")["responsible_units"] == ["朔城区党委", "朔城区政府", "市工信局"]
    assert _problem(seed_dict, "二十一")["responsible_units"] == ["怀仁市党委", "怀仁市政府"]
    assert _problem(seed_dict, "十五")["responsible_units"] == ["市能源局"]


def test_deadlines_of_the_seed(seed_dict: dict[str, Any]) -> None:
    def deadline(number: str) -> dict[str, Any]:
        return _problem(seed_dict, number)["deadline"]

    assert deadline("一")["kind"] == "immediate_ongoing" and deadline("一")["due"] is None
    assert deadline("十五")["kind"] == "immediate_ongoing"  # written with ，
    assert deadline("二")["due"] == "2022-12-31"
    assert deadline("六")["due"] == "2024-12-31"
    assert deadline("九")["due"] == "2022-12-31"  # 2022年底
    assert deadline("十二")["due"] == "2022-09-30"
    assert deadline("十四")["due"] == "2025-12-31"  # 2025年12月底前
    assert deadline("十九")["due"] == "2022-03-31"
    assert deadline("三十")["due"] == "2022-09-30"  # 2022年9月30日
    assert deadline("十")["kind"] == "scheduled"
    assert deadline("五")["kind"] == "external" and deadline("五")["due"] is None
    assert deadline("三十一")["kind"] == "annual" and deadline("三十一")["due"] is None
    compound = deadline("十八")
    assert compound["kind"] == "compound"
    assert compound["due"] == "2024-10-31"
    assert compound["parts"] == [
        {
            "scope": "生态环境部监督帮扶发现问题",
            "raw": "生态环境部监督帮扶发现问题已完成整改",
            "kind": "completed",
            "due": None,
            "start": None,
        },
        {
            "scope": "群众举报问题",
            "raw": "群众举报问题2024年10月底",
            "kind": "date",
            "due": "2024-10-31",
            "start": None,
        },
    ]
    kinds = [p["deadline"]["kind"] for p in seed_dict["problems"]]
    assert "unknown" not in kinds


def test_milestones_of_the_seed(seed_dict: dict[str, Any]) -> None:
    measures = _measures(seed_dict)

    def dues(number: str) -> list[tuple[str, str]]:
        return [(m["due"], m["precision"]) for m in measures[number]["milestones"]]

    assert measures["17"]["milestones"] == [
        {"raw": "2022年4月底前", "due": "2022-04-30", "precision": "month"},
        {"raw": "5月底前", "due": "2022-05-31", "precision": "month"},
    ]
    assert dues("18") == [
        ("2022-12-31", "month"),
        ("2022-12-31", "year"),
        ("2024-12-31", "year"),
        ("2022-12-31", "year"),
    ]
    assert dues("20") == [("2022-12-31", "month")]
    assert dues("21") == [("2022-06-30", "month")]
    assert dues("24") == [("2022-12-31", "month")]
    assert dues("91") == [("2022-08-31", "month")]
    # "力争年内出台": the end of the plan's year (its feedback date is 2022年2月25日), marked for review
    assert measures["8"]["milestones"] == [{"raw": "年内", "due": "2022-12-31", "precision": "year"}]
    third = _problem(seed_dict, "三")
    assert [d["field"] for d in third["doubts"]] == ["milestones"]
    assert "按方案年份2022年" in third["doubts"][0]["reason"]
    assert (seed_dict["plan_year"], seed_dict["plan_year_source"]) == (2022, "反馈日期2022年2月25日")
    with_milestones = sorted((n for n, m in measures.items() if m["milestones"]), key=str)
    assert with_milestones == sorted(["8", "17", "18", "20", "21", "24", "91"])


def test_nothing_else_in_the_seed_is_inferred(seed_dict: dict[str, Any]) -> None:
    doubtful = [p["number"] for p in seed_dict["problems"] if p["doubts"]]
    assert doubtful == ["三"]
    for problem in seed_dict["problems"]:
        assert problem["number_raw"] is None and problem["status"] is None and problem["progress_text"] == ""
        assert problem["deadline"]["flags"] == [] and problem["deadline"]["milestones"] == []
    assert seed_dict["closing"] == []


def test_past_dates_titles_and_document_numbers_are_not_milestones(seed_dict: dict[str, Any]) -> None:
    measures = _measures(seed_dict)
    assert "2021年朔州市环境空气质量" in measures["4"]["text"] and not measures["4"]["milestones"]
    assert "《朔州市能源革命综合改革2022年行动计划》" in measures["6"]["text"]
    assert "《朔州市2030年前二氧化碳排放达峰行动方案》" in measures["6"]["text"]
    assert measures["6"]["milestones"] == []
    assert "已在2021年底前淘汰" in measures["53"]["text"] and measures["53"]["milestones"] == []
    assert "〔2021〕282号" in measures["74"]["text"] and measures["74"]["milestones"] == []
    assert "〔2019〕3号" in measures["80"]["text"] and measures["80"]["milestones"] == []
    assert measures["89"]["milestones"] == []
