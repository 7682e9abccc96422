"""Repairs of conversion artefacts: widths, spaces in dates, formulas, split paragraphs."""

from __future__ import annotations

import pytest

from rectify.ingestion.parsers.repairs import join_paragraphs, normalize_line, text_to_paragraphs


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        ("整改时限：2022 年 12 月底。", "整改时限：2022年12月底。"),
        ("朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", "朔州市贯彻落实省生态环境保护督察反馈意见整改方案"),
        ("(十三) 大气结构性污染问题", "（十三）大气结构性污染问题"),
        ("( 一 )问题", "（一）问题"),
        ("县(市、区)煤炭", "县（市、区）煤炭"),
        ("责任单位: 市能源局, 市发改委", "责任单位：市能源局，市发改委"),
        ("１２．强化监管", "12.强化监管"),
        ("PM10浓度范围在29.00-348.00 $\\mu\\text{g}/\\text{m}^3$ 之间", "PM10浓度范围在29.00-348.00μg/m³之间"),
        ("SO$_2$排放", "SO₂排放"),
        ("费用为 $100$ 元", "费用为$100$元"),
        ("\u3000\u3000首行缩进", "首行缩进"),
        ("GDP 3.8%  and PM 10", "GDP 3.8% and PM 10"),
        ("10:30 a,b", "10:30 a,b"),
    ],
)
def test_normalize_line(raw: str, repaired: str) -> None:
    assert normalize_line(raw) == repaired
    assert normalize_line(repaired) == repaired


def test_a_word_split_by_a_page_break_is_joined() -> None:
    paras = text_to_paragraphs("严格落实整改“销号\n\n制”和按时“交账制”。\n\n下一段。")
    assert [p.text for p in paras] == ["严格落实整改“销号制”和按时“交账制”。", "下一段。"]
    assert [p.line for p in paras] == [1, 5]


def test_real_paragraphs_are_not_joined() -> None:
    text = "\n".join(
        [
            "某市整改方案",
            "2021年11月30日，督察组进驻。",
            "一、指导思想",
            "坚持以习近平生态文明思想为指导，全面贯彻。",
            "整改措施：",
            "1.措施一",
            "2.措施二",
            "附件",
            "某市整改措施清单",
            "一、第一章。",
        ]
    )
    assert [p.text for p in text_to_paragraphs(text)] == text.split("\n")


def test_a_heading_wrapped_onto_a_second_line_is_joined() -> None:
    paras = join_paragraphs(
        [
            (1, "朔州市贯彻落实省生态环境保护督察"),
            (2, "反馈意见整改方案"),
            (3, "2021年11月30日至12月28日，督察组进驻。"),
        ]
    )
    assert [p.text for p in paras] == [
        "朔州市贯彻落实省生态环境保护督察反馈意见整改方案",
        "2021年11月30日至12月28日，督察组进驻。",
    ]


def test_a_wrapped_line_is_not_joined_to_a_following_label_or_number() -> None:
    paras = text_to_paragraphs("整改目标：完成年度目标\n整改措施：\n21.2022年6月底前，完成置换。")
    assert [p.text for p in paras] == ["整改目标：完成年度目标", "整改措施：", "21.2022年6月底前，完成置换。"]
