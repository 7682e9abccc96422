"""Issue 13, point 5: what looks like a measure, a deadline or a problem but is not one."""

from __future__ import annotations

from typing import Any

import pytest

from rectify.ingestion.parsers import parse_plan, plan_to_dict

HEAD = "反馈问题：甲。\n整改措施：\n1.措施一。\n2.措施二。\n责任单位：市工信局\n整改时限：2022年底\n"


def _one(text: str) -> dict[str, Any]:
    (problem,) = plan_to_dict(parse_plan(text))["problems"]
    return problem


@pytest.mark.parametrize(
    "label", ["整改完成情况", "落实情况", "整改成效", "整改进展", "整改落实情况", "进展情况", "完成情况"]
)
def test_items_under_progress_labels_are_progress_not_measures(label: str) -> None:
    problem = _one(f"{HEAD}{label}：\n1.已完成排查。\n2.已完成整治。\n")
    assert [m["number"] for m in problem["measures"]] == ["1", "2"]
    assert problem["progress_text"] == "1.已完成排查。\n2.已完成整治。"


def test_progress_sub_items_numbered_like_problems_are_not_problems() -> None:
    problem = _one(f"{HEAD}整改完成情况：\n（一）已完成排查。\n（二）已完成整治。\n")
    assert problem["progress_text"] == "（一）已完成排查。\n（二）已完成整治。"


def test_the_completion_date_is_not_a_deadline() -> None:
    problem = _one(f"{HEAD}整改完成时间：2022年6月28日\n")
    assert problem["deadline"]["due"] == "2022-12-31"
    assert (problem["completed_on"], problem["completed_raw"]) == ("2022-06-28", "2022年6月28日")


def test_an_unreadable_completion_date_is_a_warning() -> None:
    plan = plan_to_dict(parse_plan(f"{HEAD}整改完成时间：近期\n"))
    assert plan["problems"][0]["completed_on"] is None
    assert {"line": 7, "message": "问题（一）的整改完成时间“近期”无法识别"} in plan["warnings"]


def test_preamble_principles_are_not_problems() -> None:
    text = "\n".join(
        [
            "某县整改方案",
            "一、基本原则",
            "（一）坚持问题导向。逐一整改。",
            "（二）压实责任。层层传导压力。",
            "二、整改任务",
            "（一）甲。",
            "整改措施：措施。",
            "责任单位：县住建局",
            "整改时限：2022年底",
            "三、保障措施",
            "（一）加强组织领导。",
        ]
    )
    plan = plan_to_dict(parse_plan(text))
    assert [p["text"] for p in plan["problems"]] == ["甲。"]
    assert plan["preamble"][1:] == ["（一）坚持问题导向。逐一整改。", "（二）压实责任。层层传导压力。"]
    assert plan["closing"] == ["三、保障措施", "（一）加强组织领导。"]
    assert plan["warnings"] == [{"line": 6, "message": "问题（一）缺少“整改目标”"}]


def test_a_principle_right_above_a_labelled_problem_is_still_a_principle() -> None:
    plan = plan_to_dict(parse_plan("（一）坚持问题导向。\n（二）坚持标本兼治。\n" + HEAD))
    (problem,) = plan["problems"]
    assert problem["text"] == "甲。"
    assert plan["preamble"] == ["（一）坚持问题导向。", "（二）坚持标本兼治。"]


@pytest.mark.parametrize(
    ("text", "status", "raw", "doubt"),
    [
        ("整改状态：已完成", "completed", "已完成", None),
        ("整改状态：长期坚持", "ongoing", "长期坚持", None),
        ("整改状态：已完成、长期坚持", "completed_ongoing", "已完成、长期坚持", None),
        ("整改进展：推进中", "in_progress", "推进中", None),
        ("已完成、长期坚持", "completed_ongoing", "已完成、长期坚持", "整改状态取自单独成行的“已完成、长期坚持”"),
        ("整改完成情况：已完成，关停3家。", "completed", "已完成", "整改状态由整改完成情况开头的“已完成”推断"),
        (
            "整改完成情况：\n1.关停3家。\n目前，该问题已完成整改。",
            "completed",
            "该问题已完成整改",
            "整改状态由整改完成情况中的“该问题已完成整改”推断",
        ),
    ],
)
def test_status_words_become_the_status(text: str, status: str, raw: str, doubt: str | None) -> None:
    problem = _one(f"{HEAD}{text}\n")
    assert (problem["status"], problem["status_raw"]) == (status, raw)
    assert problem["measures"][-1]["text"] == "措施二。"
    doubts = [d["reason"] for d in problem["doubts"] if d["field"] == "status"]
    assert doubts == ([doubt] if doubt else [])


def test_a_deadline_column_that_states_a_status() -> None:
    problem = _one("反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n整改时限：已完成、长期坚持\n")
    assert problem["deadline"]["kind"] == "immediate_ongoing"
    assert (problem["status"], problem["status_raw"]) == ("completed_ongoing", "已完成、长期坚持")
    assert {"field": "status", "reason": "整改状态取自整改时限栏的“已完成、长期坚持”"} in problem["doubts"]


def test_a_deadline_is_not_a_status() -> None:
    problem = _one("反馈问题：甲。\n整改措施：措施。\n责任单位：市工信局\n整改时限：立行立改、长期坚持\n")
    assert problem["status"] is None
