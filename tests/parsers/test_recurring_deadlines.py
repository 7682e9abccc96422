"""Recurring deadlines in the grammar (每月 / 每季度 / 每半年 / 每年): each phrase, compound text
with a first date, 按年度完成 left ANNUAL, and the parse contract carrying the recurrence."""

from __future__ import annotations

from datetime import date

import pytest

from rectify.ingestion.parsers import parse_plan, plan_to_dict
from rectify.ingestion.parsers.model import deadline_from_dict, deadline_to_dict
from rectify.plans.deadlines import (
    RECURRENCE_LABELS,
    DeadlineKind,
    Recurrence,
    parse_deadline,
    recurrence_of,
)


@pytest.mark.parametrize(
    ("raw", "recurrence"),
    [
        ("每月", Recurrence.MONTHLY),
        ("按月", Recurrence.MONTHLY),
        ("每月底", Recurrence.MONTHLY),
        ("每月底前报送整改进展", Recurrence.MONTHLY),
        ("每个月调度一次", Recurrence.MONTHLY),
        ("按月报送", Recurrence.MONTHLY),
        ("每季度", Recurrence.QUARTERLY),
        ("按季度", Recurrence.QUARTERLY),
        ("每季度末", Recurrence.QUARTERLY),
        ("每季度末前报送", Recurrence.QUARTERLY),
        ("按季报送", Recurrence.QUARTERLY),
        ("每半年", Recurrence.HALF_YEARLY),
        ("半年一次", Recurrence.HALF_YEARLY),
        ("每年", Recurrence.YEARLY),
        ("每年底", Recurrence.YEARLY),
        ("每年12月底前报送", Recurrence.YEARLY),
        ("按年度报送", Recurrence.YEARLY),
        ("按年度（报送）", Recurrence.YEARLY),
        ("按年度开展评估", Recurrence.YEARLY),
        ("每 季 度", Recurrence.QUARTERLY),  # spaces from a PDF
    ],
)
def test_each_phrase_is_a_recurring_deadline_with_its_period(raw: str, recurrence: Recurrence) -> None:
    deadline = parse_deadline(raw)
    assert deadline.kind is DeadlineKind.RECURRING
    assert deadline.recurrence is recurrence
    assert deadline.due is None and deadline.start is None
    assert deadline.raw == raw
    assert deadline.recurrence_label == RECURRENCE_LABELS[recurrence]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("按年度完成任务", DeadlineKind.ANNUAL),  # a yearly target with 序时进度: unchanged
        ("按年度完成", DeadlineKind.ANNUAL),
        ("逐年完成", DeadlineKind.ANNUAL),
        ("年度任务", DeadlineKind.ANNUAL),
        ("2022年上半年", DeadlineKind.DATE),  # 上半年 is a date, not 每半年
        ("半年内完成", DeadlineKind.UNKNOWN),
        ("2022年第三季度", DeadlineKind.DATE),
        ("按季节安排", DeadlineKind.UNKNOWN),
        ("长期坚持", DeadlineKind.ONGOING),
    ],
)
def test_words_that_only_look_recurring_keep_their_kind(raw: str, kind: DeadlineKind) -> None:
    deadline = parse_deadline(raw)
    assert deadline.kind is kind
    assert deadline.recurrence is None


def test_a_date_then_a_recurrence_starts_the_periods_after_the_date() -> None:
    deadline = parse_deadline("2022年底前完成，此后每季度开展一次")
    assert deadline.kind is DeadlineKind.RECURRING
    assert deadline.recurrence is Recurrence.QUARTERLY
    # The first due date is 2022-12-31 (the 首期 ends there); quarters run from the next day.
    assert deadline.start == date(2023, 1, 1)
    assert deadline.due is None
    assert [(p.kind, p.scope) for p in deadline.parts] == [
        (DeadlineKind.DATE, "完成"),
        (DeadlineKind.RECURRING, "此后每季度开展一次"),
    ]
    assert deadline.parts[0].due == date(2022, 12, 31)
    assert deadline.parts[1].recurrence is Recurrence.QUARTERLY
    # Written as one clause it reads the same.
    one = parse_deadline("2022年底前完成此后每季度开展一次")
    assert (one.kind, one.recurrence, one.start) == (DeadlineKind.RECURRING, Recurrence.QUARTERLY, date(2023, 1, 1))


@pytest.mark.parametrize(
    ("raw", "recurrence", "start"),
    [
        ("2023年起每季度报送", Recurrence.QUARTERLY, date(2023, 1, 1)),
        ("自2023年1月起，每月调度", Recurrence.MONTHLY, date(2023, 1, 1)),
        ("从2022年7月开始每月报送", Recurrence.MONTHLY, date(2022, 7, 1)),
        ("2022年至2025年每年开展一次", Recurrence.YEARLY, date(2022, 1, 1)),
        ("2022年至2025年，每年开展一次", Recurrence.YEARLY, date(2022, 1, 1)),
        ("2022年6月底前完成初步整改；12月底前全部完成；此后每季度巡查", Recurrence.QUARTERLY, date(2023, 1, 1)),
        ("2024年2月底前完成，此后每月报送", Recurrence.MONTHLY, date(2024, 3, 1)),  # leap year
        ("立行立改，每季度开展一次", Recurrence.QUARTERLY, None),
        ("长期坚持，每月报送", Recurrence.MONTHLY, None),
        ("已完成整改，此后每年复查", Recurrence.YEARLY, None),
        # Two recurrences: the more frequent governs.
        ("每月报送进展，每年底总结", Recurrence.MONTHLY, None),
        # A date after the recurrence does not move where the periods begin.
        ("每季度报送一次，2025年底前完成", Recurrence.QUARTERLY, None),
    ],
)
def test_compound_text_with_a_recurrence_is_recurring(raw: str, recurrence: Recurrence, start: date | None) -> None:
    deadline = parse_deadline(raw)
    assert deadline.kind is DeadlineKind.RECURRING
    assert deadline.recurrence is recurrence
    assert deadline.start == start
    assert deadline.due is None


def test_recurrence_of_reads_compact_text() -> None:
    assert recurrence_of("每 月") is Recurrence.MONTHLY
    assert recurrence_of("２０２２年底前") is None
    assert recurrence_of("") is None


def test_the_contract_carries_the_recurrence_only_for_a_recurring_deadline() -> None:
    recurring = deadline_to_dict(parse_deadline("2022年底前完成，此后每季度开展一次"))
    assert recurring["kind"] == "recurring"
    assert recurring["recurrence"] == "quarterly"
    assert recurring["start"] == "2023-01-01" and recurring["due"] is None
    assert recurring["parts"][1]["recurrence"] == "quarterly"
    assert "recurrence" not in recurring["parts"][0]
    dated = deadline_to_dict(parse_deadline("2022年12月底"))
    assert "recurrence" not in dated  # every other deadline's contract is unchanged
    # …and the review and the commit read it back as the parser decided.
    back = deadline_from_dict(recurring)
    assert back == parse_deadline("2022年底前完成，此后每季度开展一次")
    assert deadline_from_dict({"raw": "每季度", "kind": "recurring"}).kind is DeadlineKind.UNKNOWN
    assert deadline_from_dict({"raw": "x", "kind": "recurring", "recurrence": "weekly"}).kind is DeadlineKind.UNKNOWN


PLAN = """关于某问题的整改方案

附件：具体整改措施清单

一、环境质量

（一）部分企业环境管理台账不规范。
整改目标：台账规范。
整改措施：1.开展排查。2.定期检查。
责任单位：市生态环境局
整改时限：每季度

（二）部分河道垃圾清理不及时。
整改目标：河道整洁。
整改措施：1.建立机制。
责任单位：市水务局
整改时限：2022年底前完成，此后每月开展一次巡河

（三）煤炭消费总量控制。
整改目标：完成年度目标。
整改措施：1.按年度分解任务。
责任单位：市发展改革委
整改时限：按年度完成任务
"""


def test_a_plan_with_recurring_deadlines_parses_each_problem_s_period() -> None:
    problems = plan_to_dict(parse_plan(PLAN))["problems"]
    deadlines = [p["deadline"] for p in problems]
    assert [(d["kind"], d.get("recurrence")) for d in deadlines] == [
        ("recurring", "quarterly"),
        ("recurring", "monthly"),
        ("annual", None),
    ]
    assert deadlines[1]["start"] == "2023-01-01"
    assert not any(
        "整改时限" in w["message"] and "无法识别" in w["message"] for w in plan_to_dict(parse_plan(PLAN))["warnings"]
    )
