"""Property tests: whatever the input, the parser answers or refuses cleanly, never crashes."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rectify.ingestion.parsers import (
    ParseError,
    PlanReadError,
    find_milestones,
    parse_plan,
    plan_to_dict,
    read_plan_bytes,
    split_units,
)
from rectify.ingestion.parsers.repairs import normalize_line
from rectify.plans.deadlines import Deadline, parse_deadline

FRAGMENTS = [
    "附件",
    "附件：",
    "某市整改措施清单",
    "一、",
    "二、大气",
    "（一）",
    "(二)",
    "( 三 )",
    "（十八）",
    "整改目标：",
    "目标:",
    "整改措施：",
    "主要措施:",
    "1.",
    "2．",
    "21.2022年",
    "3、",
    "（4）",
    "责任单位：",
    "牵头单位：",
    "配合单位：",
    "责任人：",
    "验收单位：",
    "整改时限：",
    "完成时限:",
    "立行立改、长期坚持",
    "2022 年 12 月底",
    "2024年2月底前",
    "5月底前",
    "按年度完成任务",
    "各县（市、区）党委、政府",
    "朔州经济开发区党工委、管委会",
    "（牵头）",
    "（配合）",
    "一是",
    "二是",
    "。",
    "，",
    "；",
    "、",
    "\n",
    "\n\n",
    " ",
    "《计划2022年》",
    "〔2021〕3号",
    "已",
    "$\\mu\\text{g}$",
    "“",
    "”",
    "(",
    ")",
    "（",
    "）",
    "问题",
    "措施",
    "2022年",
    "十二月",
    "至",
    "-",
    # the layouts of issue 13
    "问题1：",
    "问题一：",
    "问题（二）",
    "第1项",
    "第二项：",
    "序号19",
    "序号：",
    "编号：省编号第41号",
    "反馈问题：",
    "存在问题:",
    "整改任务：",
    "一、反馈问题",
    "二、整改目标",
    "四、整改完成情况",
    "关于“",
    "”问题",
    " |",
    "|",
    "| 整改时限 | 2022年底 |",
    "整改完成情况：",
    "落实情况：",
    "整改完成时间：",
    "时间节点：",
    "整改实施主体：",
    "责任单位（市级）：",
    "责任领导：",
    "整改状态：",
    "已完成、长期坚持",
    "正在推进",
    "年内",
    "年底前",
    "20201125",
    "20182020年",
    "2022年13月",
    "\ufffd",
    "锟斤拷",
    "首页 > 通知公告 > 正文",
    "版权所有",
    "（续表）",
    "公示期：",
    "2019年12月20日",
    "坚持",
    "市住建局市发改委",
    '"',
    ".",
]
plan_like = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=6), max_size=80).map("".join)
everything = st.text() | plan_like


@settings(database=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(everything)
def test_parse_plan_returns_a_plan_or_a_parse_error(text: str) -> None:
    try:
        plan = parse_plan(text)
    except ParseError as exc:
        assert exc.message.startswith("未找到整改措施清单")
        return
    assert plan.problems
    json.dumps(plan_to_dict(plan), ensure_ascii=False)
    for warning in plan.warnings:
        assert 1 <= warning.line <= max(1, len(text.splitlines()))


@settings(database=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(plan_like, st.lists(st.sampled_from(["市住建局", "市发改委", "各县（市、区）党委", "政府", "局"]), max_size=4))
def test_parse_plan_with_a_unit_directory_returns_a_plan_or_a_parse_error(text: str, known: list[str]) -> None:
    try:
        plan = parse_plan(text, known_units=known)
    except ParseError as exc:
        assert exc.message.startswith("未找到整改措施清单")
        return
    for problem in plan_to_dict(plan)["problems"]:
        assert problem["number"]
        assert all(d["field"] and d["reason"] for d in problem["doubts"])
        assert all(problem["responsible_units"])


@settings(database=None, max_examples=300, deadline=None)
@given(everything)
def test_parse_deadline_never_raises(text: str) -> None:
    deadline = parse_deadline(text)
    assert isinstance(deadline, Deadline)
    assert deadline.raw == text.strip()
    if deadline.parts:
        assert deadline.kind == "compound"


@settings(database=None, max_examples=300, deadline=None)
@given(everything)
def test_split_units_never_raises_and_gives_no_empty_names(text: str) -> None:
    units = split_units(text)
    assert all(units)
    assert len(units) == len(set(units))


@settings(database=None, max_examples=300, deadline=None)
@given(everything)
def test_find_milestones_never_raises(text: str) -> None:
    for milestone in find_milestones(text):
        assert milestone.precision in ("day", "month", "year")


@settings(database=None, max_examples=300, deadline=None)
@given(st.text().filter(lambda s: "\n" not in s and "\r" not in s) | plan_like.map(lambda s: s.replace("\n", "")))
def test_normalize_line_is_idempotent(line: str) -> None:
    once = normalize_line(line)
    assert normalize_line(once) == once


@settings(database=None, max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["a.txt", "a.html", "a.docx", "a.pdf", "a.bin"]))
def test_read_plan_bytes_reads_or_refuses(data: bytes, filename: str) -> None:
    try:
        assert isinstance(read_plan_bytes(data, filename), str)
    except PlanReadError as exc:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.message)
