"""The deadline grammar (rectify.plans.deadlines): every kind, month ends and leap years."""

from __future__ import annotations

from datetime import date

import pytest

from rectify.plans.deadlines import (
    KIND_LABELS,
    Deadline,
    DeadlineKind,
    DeadlinePart,
    cn_to_int,
    last_day_of_month,
    parse_deadline,
)


@pytest.mark.parametrize(
    ("raw", "due"),
    [
        ("2022年12月底", date(2022, 12, 31)),
        ("2022年12月底前", date(2022, 12, 31)),
        ("2022 年 12 月底。", date(2022, 12, 31)),
        ("2022年底", date(2022, 12, 31)),
        ("2022年年底", date(2022, 12, 31)),
        ("2022年底前", date(2022, 12, 31)),
        ("2022年9月30日", date(2022, 9, 30)),
        ("2022年9月30日前", date(2022, 9, 30)),
        ("2022年9月底", date(2022, 9, 30)),
        ("2022年3月", date(2022, 3, 31)),
        ("2022年4月份", date(2022, 4, 30)),
        ("2022年", date(2022, 12, 31)),
        ("2024年2月底", date(2024, 2, 29)),
        ("2023年2月底", date(2023, 2, 28)),
        ("2000年2月底", date(2000, 2, 29)),
        ("1900年2月底", date(1900, 2, 28)),
        ("2022年11月底", date(2022, 11, 30)),
        ("２０２２年１２月底", date(2022, 12, 31)),
        ("2022年十二月底", date(2022, 12, 31)),
        ("二〇二二年十二月底前", date(2022, 12, 31)),
        ("2022年九月三十日", date(2022, 9, 30)),
        ("2022年上半年", date(2022, 6, 30)),
        ("2022年下半年", date(2022, 12, 31)),
        ("2022年第三季度", date(2022, 9, 30)),
        ("2022-12-31", date(2022, 12, 31)),
        ("2022.6", date(2022, 6, 30)),
        ("2025年12月底前逐步退出", date(2025, 12, 31)),
        ("2022年6月底前，完成初步整改", date(2022, 6, 30)),
    ],
)
def test_dates(raw: str, due: date) -> None:
    deadline = parse_deadline(raw)
    assert deadline.kind is DeadlineKind.DATE
    assert deadline.due == due
    assert deadline.raw == raw.strip()
    assert deadline.parts == []


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("立行立改、长期坚持", DeadlineKind.IMMEDIATE_ONGOING),
        ("立行立改，长期坚持", DeadlineKind.IMMEDIATE_ONGOING),
        ("立行立改,长期坚持。", DeadlineKind.IMMEDIATE_ONGOING),
        ("已完成、长期坚持", DeadlineKind.IMMEDIATE_ONGOING),
        ("立行立改", DeadlineKind.IMMEDIATE),
        ("长期坚持", DeadlineKind.ONGOING),
        ("按年度完成任务", DeadlineKind.ANNUAL),
        ("整改任务按序时进度", DeadlineKind.SCHEDULED),
        ("按照省整改方案要求时间完成", DeadlineKind.EXTERNAL),
        ("已完成整改", DeadlineKind.COMPLETED),
        ("视情况而定", DeadlineKind.UNKNOWN),
        ("", DeadlineKind.UNKNOWN),
        ("2022年2月30日", DeadlineKind.UNKNOWN),
    ],
)
def test_kinds_without_a_date(raw: str, kind: DeadlineKind) -> None:
    deadline = parse_deadline(raw)
    assert deadline.kind is kind
    assert deadline.due is None
    assert deadline.raw == raw


def test_a_range_has_a_start_and_a_due() -> None:
    deadline = parse_deadline("2020年6月至2021年12月")
    assert deadline.kind is DeadlineKind.RANGE
    assert (deadline.start, deadline.due) == (date(2020, 6, 1), date(2021, 12, 31))
    assert parse_deadline("2023年3月-6月").start == date(2023, 3, 1)
    assert parse_deadline("2023年3月-6月").due == date(2023, 6, 30)


def test_the_compound_of_the_seed() -> None:
    deadline = parse_deadline("生态环境部监督帮扶发现问题已完成整改，群众举报问题 2024 年 10 月底")
    assert deadline.kind is DeadlineKind.COMPOUND
    assert deadline.due == date(2024, 10, 31)
    assert deadline.parts == [
        DeadlinePart(
            "生态环境部监督帮扶发现问题", "生态环境部监督帮扶发现问题已完成整改", DeadlineKind.COMPLETED, None
        ),
        DeadlinePart("群众举报问题", "群众举报问题2024年10月底", DeadlineKind.DATE, date(2024, 10, 31)),
    ]


def test_a_compound_takes_the_latest_due_and_carries_the_year() -> None:
    deadline = parse_deadline("2022年6月底前完成初步整改；12月底前全部完成")
    assert deadline.kind is DeadlineKind.COMPOUND
    assert [p.due for p in deadline.parts] == [date(2022, 6, 30), date(2022, 12, 31)]
    assert deadline.due == date(2022, 12, 31)
    assert [p.scope for p in deadline.parts] == ["完成初步整改", "全部完成"]


def test_a_compound_of_a_keyword_and_a_date() -> None:
    deadline = parse_deadline("立行立改，2022年12月底前完成")
    assert [p.kind for p in deadline.parts] == [DeadlineKind.IMMEDIATE, DeadlineKind.DATE]
    assert deadline.due == date(2022, 12, 31)


def test_last_day_of_month() -> None:
    assert last_day_of_month(2024, 2) == date(2024, 2, 29)
    assert last_day_of_month(2023, 2) == date(2023, 2, 28)
    assert last_day_of_month(2022, 12) == date(2022, 12, 31)
    assert last_day_of_month(2022, 4) == date(2022, 4, 30)


def test_chinese_numerals() -> None:
    assert cn_to_int("三十四") == 34
    assert cn_to_int("十二") == 12
    assert cn_to_int("十") == 10
    assert cn_to_int("一百零二") == 102
    assert cn_to_int("１２") == 12
    assert cn_to_int("甲") is None


def test_every_kind_has_a_chinese_label() -> None:
    assert set(KIND_LABELS) == {k.value for k in DeadlineKind}
    assert KIND_LABELS[DeadlineKind.DATE] == "限定日期"
    assert KIND_LABELS[DeadlineKind.IMMEDIATE_ONGOING] == "立行立改、长期坚持"
    assert str(DeadlineKind.COMPOUND) == "compound"


def test_the_dataclass_shape() -> None:
    deadline = parse_deadline("2022年底")
    assert deadline == Deadline("2022年底", DeadlineKind.DATE, date(2022, 12, 31), None, [])
