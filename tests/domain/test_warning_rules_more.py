"""Warning rules, continued: compound deadlines, milestones, stable keys, levels and wording,
and property tests over every kind (helpers from test_warning_rules)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rectify.core.formats import format_percent, format_rate
from rectify.supervision.rules import (
    LEVEL_LABELS,
    LEVEL_ORDER,
    ItemInput,
    Level,
    MilestoneInput,
    assess,
    schedule_share,
    worst,
)
from tests.domain.test_warning_rules import SEED_TODAY, codes, item, keys

# --- compound --------------------------------------------------------------------------------

SEED_PARTS = [
    {"scope": "生态环境部监督帮扶发现问题", "raw": "已完成整改", "kind": "completed", "due": None, "start": None},
    {"scope": "群众举报问题", "raw": "2024年10月底前", "kind": "date", "due": "2024-10-31", "start": None},
]


def test_a_compound_deadline_is_red_when_an_open_part_is_overdue() -> None:
    compound = item(kind="compound", parts=SEED_PARTS, plan_start=date(2024, 1, 1), progress=100)
    result = assess(compound, date(2024, 11, 1))
    assert result.level is Level.RED
    assert keys(result) == ["p2:overdue:2024-10-31"]
    assert result.summary == "群众举报问题：已超过整改时限（2024-10-31）1天"


def test_a_compound_deadline_takes_due_and_schedule_from_the_earliest_open_part() -> None:
    compound = item(kind="compound", parts=SEED_PARTS, plan_start=date(2024, 1, 1), progress=100)
    result = assess(compound, date(2024, 10, 31))
    assert result.due == date(2024, 10, 31)
    assert result.expected == 100.0
    assert keys(result) == ["p2:due_soon:2024-10-31"]
    assert assess(compound, date(2024, 10, 15)).level is Level.GREEN


def test_a_compound_deadline_with_every_part_completed_is_green() -> None:
    parts = [{**SEED_PARTS[0]}, {**SEED_PARTS[0], "scope": "其他问题"}]
    result = assess(item(kind="compound", parts=parts), SEED_TODAY)
    assert result.level is Level.GREEN
    assert result.due is None


def test_each_compound_part_is_judged_by_its_own_kind() -> None:
    parts = [
        {"scope": "甲", "raw": "长期坚持", "kind": "ongoing", "due": None, "start": None},
        {"scope": "乙", "raw": "按上级方案时间", "kind": "external", "due": None, "start": None},
        {"scope": "丙", "raw": "2022年6月至12月", "kind": "range", "due": "2022-12-31", "start": "2022-06-01"},
        {"scope": "丁", "raw": "2022年9月底", "kind": "date", "due": "2022-09-30", "start": None},
        {"scope": "戊", "raw": "另行确定", "kind": "unknown", "due": None, "start": None},
    ]
    result = assess(item(kind="compound", parts=parts), SEED_TODAY)
    assert result.level is Level.RED
    assert keys(result) == ["p4:overdue:2022-09-30", "p1:recheck:2022-02-25", "p2:no_date", "p3:lag:2022-12-31"]
    assert result.reasons[2].message == "乙：需录入上级方案规定的整改时限"
    assert result.due == date(2022, 9, 30)
    assert result.expected == 100.0


def test_an_annual_compound_part_uses_the_annual_rule() -> None:
    parts = [{"scope": "年度任务", "raw": "按年度完成任务", "kind": "annual", "due": None, "start": None}]
    result = assess(item(kind="compound", parts=parts), date(2023, 1, 10))
    assert keys(result)[0] == "p1:annual_missed:2022"
    assert result.due == date(2023, 12, 31)


def test_a_compound_without_parts_needs_its_deadline_confirmed() -> None:
    assert keys(assess(item(kind="compound"), SEED_TODAY)) == ["no_date"]


# --- milestones ------------------------------------------------------------------------------


def test_an_unreached_milestone_past_its_date_is_red() -> None:
    node = MilestoneInput(date(2022, 6, 30), "2022年6月底前完成方案编制", False)
    result = assess(item(due=date(2023, 12, 31), progress=100, milestones=[node]), date(2022, 7, 1))
    assert result.level is Level.RED
    assert keys(result) == ["milestone_overdue:2022-06-30"]
    assert result.summary == "阶段性节点“2022年6月底前完成方案编制”（2022-06-30）已过期未完成"


def test_an_unreached_milestone_within_15_days_is_yellow_and_16_days_is_green() -> None:
    node = MilestoneInput(date(2022, 6, 30), "6月底", False)
    base = item(due=date(2023, 12, 31), progress=100, milestones=[node])
    assert keys(assess(base, date(2022, 6, 30))) == ["milestone_soon:2022-06-30"]
    assert keys(assess(base, date(2022, 6, 15))) == ["milestone_soon:2022-06-30"]
    assert assess(base, date(2022, 6, 14)).level is Level.GREEN


def test_a_reached_milestone_never_warns() -> None:
    node = MilestoneInput(date(2022, 6, 30), "6月底", True)
    assert assess(item(due=date(2023, 12, 31), progress=100, milestones=[node]), date(2022, 7, 1)).level is Level.GREEN


def test_milestones_on_the_same_date_share_one_reason() -> None:
    nodes = [MilestoneInput(date(2022, 6, 30), "甲", False), MilestoneInput(date(2022, 6, 30), "乙", False)]
    result = assess(item(due=date(2023, 12, 31), progress=100, milestones=nodes), date(2022, 7, 1))
    assert keys(result) == ["milestone_overdue:2022-06-30"]
    assert "“甲”、“乙”" in result.summary


def test_milestones_are_checked_for_any_kind_while_in_progress() -> None:
    node = MilestoneInput(date(2022, 6, 30), "6月底", False)
    ongoing = item(kind="immediate_ongoing", last_report=date(2022, 7, 1), milestones=[node])
    assert keys(assess(ongoing, date(2022, 7, 2))) == ["milestone_overdue:2022-06-30"]


def test_reasons_are_sorted_worst_first() -> None:
    node = MilestoneInput(date(2022, 6, 30), "6月底", False)
    result = assess(item(due=date(2022, 12, 31), milestones=[node]), SEED_TODAY)
    assert codes(result) == ["milestone_overdue", "lag"]
    assert result.level is Level.RED
    assert result.summary == "阶段性节点“6月底”（2022-06-30）已过期未完成；进度0%落后于序时进度72.8%"


# --- stable keys -----------------------------------------------------------------------------


def test_the_same_input_gives_the_same_keys_twice() -> None:
    compound = item(kind="compound", parts=SEED_PARTS, plan_start=date(2024, 1, 1))
    assert keys(assess(compound, date(2024, 11, 5))) == keys(assess(compound, date(2024, 11, 5)))


def test_keys_stay_the_same_while_the_condition_holds() -> None:
    overdue = item(due=date(2022, 9, 30))
    assert keys(assess(overdue, date(2022, 10, 1))) == keys(assess(overdue, date(2023, 5, 1)))
    lagging = item(due=date(2022, 12, 31))
    assert keys(assess(lagging, date(2022, 9, 1))) == keys(assess(lagging, date(2022, 10, 8)))


# --- levels and wording ----------------------------------------------------------------------


def test_worst_of_nothing_is_green_and_slugs_are_accepted() -> None:
    assert worst([]) is Level.GREEN
    assert worst(["green", "red", Level.YELLOW]) is Level.RED
    assert worst([Level.YELLOW, "green"]) is Level.YELLOW


def test_levels_have_chinese_labels_and_an_order() -> None:
    assert LEVEL_LABELS == {"green": "绿色", "yellow": "黄色", "red": "红色"}
    assert LEVEL_ORDER[Level.GREEN] < LEVEL_ORDER[Level.YELLOW] < LEVEL_ORDER["red"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(33.33, "33.3%"), (14.0, "14%"), (100 / 7, "14.3%"), (0, "0%"), (100.0, "100%"), (72.8, "72.8%"), (None, "—")],
)
def test_format_percent_keeps_one_decimal_and_drops_a_trailing_zero(value: float | None, text: str) -> None:
    assert format_percent(value) == text


def test_format_rate_counts_done_of_total() -> None:
    assert format_rate(7, 21) == "完成7/21项，完成率33.3%"
    assert format_rate(1, 7) == "完成1/7项，完成率14.3%"
    assert format_rate(21, 21) == "完成21/21项，完成率100%"
    assert format_rate(0, 0) == "—"


def test_the_rules_import_without_django() -> None:
    code = "import sys, rectify.supervision.rules; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- properties ------------------------------------------------------------------------------

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
KINDS = st.sampled_from(
    "date immediate_ongoing immediate ongoing annual scheduled external range compound completed unknown".split()
)
STATUSES = st.sampled_from(["in_progress", "completed", "ongoing", "closed"])


@given(start=DATES, due=DATES, a=DATES, b=DATES)
def test_schedule_share_is_monotone_in_today_and_within_0_and_100(start: date, due: date, a: date, b: date) -> None:
    early, late = sorted([a, b])
    first, second = schedule_share(start, due, early), schedule_share(start, due, late)
    assert 0.0 <= first <= second <= 100.0


@st.composite
def parts(draw: st.DrawFn) -> dict[str, Any]:
    due = draw(st.none() | DATES)
    start = draw(st.none() | DATES)
    return {
        "scope": draw(st.none() | st.text(max_size=5)),
        "raw": "",
        "kind": draw(KINDS),
        "due": due.isoformat() if due else None,
        "start": start.isoformat() if start else None,
    }


@given(
    kind=KINDS,
    status=STATUSES,
    due=st.none() | DATES,
    start=st.none() | DATES,
    plan_start=DATES,
    horizon=st.none() | DATES,
    progress=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    last_report=st.none() | DATES,
    part_list=st.lists(parts(), max_size=4),
    milestones=st.lists(
        st.builds(MilestoneInput, due=DATES, raw=st.text(max_size=5), reached=st.booleans()), max_size=3
    ),
    today=DATES,
)
def test_assess_never_raises_and_its_level_is_the_worst_reason(
    kind: str,
    status: str,
    due: date | None,
    start: date | None,
    plan_start: date,
    horizon: date | None,
    progress: float | None,
    last_report: date | None,
    part_list: list[dict[str, Any]],
    milestones: list[MilestoneInput],
    today: date,
) -> None:
    subject = ItemInput(
        kind=kind,
        due=due,
        start=start,
        status=status,
        plan_start=plan_start,
        progress=progress,
        last_report=last_report,
        parts=part_list,
        milestones=milestones,
        plan_horizon=horizon,
    )
    result = assess(subject, today)
    assert result.level is worst(r.level for r in result.reasons)
    assert (result.level is Level.GREEN) == (not result.reasons)
    assert len(set(keys(result))) == len(result.reasons)
    orders = [LEVEL_ORDER[r.level] for r in result.reasons]
    assert orders == sorted(orders, reverse=True)
    assert result.expected is None or 0.0 <= result.expected <= 100.0
    assert result.summary
    assert keys(assess(subject, today)) == keys(result)
