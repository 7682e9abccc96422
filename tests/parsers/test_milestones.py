"""Dated commitments in measure text; the past, statistics and document titles are not."""

from __future__ import annotations

import pytest

from rectify.ingestion.parsers import find_milestones


def _found(text: str) -> list[tuple[str, str, str]]:
    return [(m.raw, m.due.isoformat(), m.precision) for m in find_milestones(text)]


def test_a_month_without_a_year_takes_the_last_year() -> None:
    assert _found("于2022年4月底前制定“公转铁”规划方案，5月底前出台《工作计划》。") == [
        ("2022年4月底前", "2022-04-30", "month"),
        ("5月底前", "2022-05-31", "month"),
    ]


def test_year_end_day_and_year_precision() -> None:
    assert _found("2022年底前实现煤炭清洁运输改造") == [("2022年底前", "2022-12-31", "month")]
    assert _found("2022年9月30日前完成") == [("2022年9月30日前", "2022-09-30", "day")]
    assert _found("力争2022年开工建设，2024年投入使用") == [
        ("2022年", "2022-12-31", "year"),
        ("2024年", "2024-12-31", "year"),
    ]
    assert _found("到2022 年 12 月底全部实现试生产") == [("2022年12月底", "2022-12-31", "month")]


@pytest.mark.parametrize(
    "text",
    [
        "2021年7月已提上议事日程的《规划》至今未批复",
        "其余6台已在2021年底前淘汰。",
        "2021年朔州市环境空气质量全省排名第二",
        "2021年1-11月规上工业企业原煤消费1.8639亿吨",
        "2019年至2021年应提取矿山环境治理恢复基金",
        "出台《朔州市能源革命综合改革2022年行动计划》",
        "出台《朔州市 2030 年前二氧化碳排放达峰行动方案》。",
        "（朔市监函〔2021〕282号）",
        "（晋政发〔2019〕3号）",
        "自2021年以来完成治理",
        "12月10日，督察组对G336国道进行了重点走航",
        "全面梳理建立 2022 年全口径产废单位和经营单位清单",
        "5月底前出台方案",  # no year anywhere to take
    ],
)
def test_not_milestones(text: str) -> None:
    assert find_milestones(text) == []
