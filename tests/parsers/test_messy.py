"""Issue 13, point 6: half-width punctuation, garbled characters, site chrome, glued unit names,
malformed dates — repaired, split or reported, never guessed."""

from __future__ import annotations

from typing import Any

import pytest

from rectify.ingestion.parsers import parse_plan, plan_to_dict, split_units
from rectify.ingestion.parsers.dates import malformed_dates
from rectify.ingestion.parsers.units import split_unit_refs

TAIL = "整改措施：措施。\n责任人：局长\n整改时限：2022年底\n"


def _plan(text: str, **kwargs: Any) -> dict[str, Any]:
    return plan_to_dict(parse_plan(text, **kwargs))


def test_half_width_punctuation_everywhere() -> None:
    text = "\n".join(
        [
            "某县整改方案",
            "附件:",
            "某县整改措施清单",
            "一.大气污染",
            '(一)建筑工地"六个百分之百"落实不到位.',
            "整改目标:2021年10月底前完成.",
            "整改措施:",
            "1.开展检查;",
            "2.责令整改.",
            "责任单位:县住建局(牵头),县城管局(配合)",
            "整改时限:立行立改,长期坚持",
        ]
    )
    plan = _plan(text)
    assert plan["attachment_title"] == "某县整改措施清单"
    assert plan["chapters"] == [{"number": "一", "title": "大气污染"}]
    (problem,) = plan["problems"]
    assert problem["text"] == "建筑工地“六个百分之百”落实不到位。"
    assert [m["text"] for m in problem["measures"]] == ["开展检查；", "责令整改。"]
    assert (problem["lead_units"], problem["support_units"]) == (["县住建局"], ["县城管局"])
    assert problem["deadline"]["kind"] == "immediate_ongoing"
    assert plan["warnings"] == []


def test_replacement_characters_are_removed_and_reported() -> None:
    plan = _plan("\ufffd\ufffd\n反馈问题：甲\ufffd。\n责任单位：县住建局锟斤拷\n" + TAIL)
    (problem,) = plan["problems"]
    assert problem["text"] == "甲。" and problem["responsible_units"] == ["县住建局"]
    lines = [w["line"] for w in plan["warnings"] if "无法识别的字符" in w["message"]]
    assert lines == [1, 2, 3]


def test_site_chrome_is_dropped_and_quoted_in_one_warning() -> None:
    chrome = [
        "您的位置：首页 > 信息公开 > 督察整改",
        "首页 > 政务公开 > 通知公告",
        "发布时间：2019-12-20 来源：某县人民政府 浏览次数：326",
        "【字体：大 中 小】 打印本页 关闭窗口",
        "索引号：11140600/2019-00123",
        "扫一扫在手机打开当前页",
    ]
    footer = ["上一篇：关于第18项问题的公示", "版权所有：某县人民政府 晋ICP备05001234号", "网站地图 | 联系我们"]
    plan = _plan(
        "\n".join([*chrome, "某县整改清单", "反馈问题：甲。", "责任单位：县住建局", *TAIL.split("\n"), *footer])
    )
    assert plan["title"] == "某县整改清单"
    (warning,) = [w for w in plan["warnings"] if "已忽略" in w["message"]]
    assert warning["line"] == 1 and warning["message"].startswith("已忽略版面文字（网页栏目、续表等）9行：“您的位置")
    assert plan["problems"][0]["deadline"]["due"] == "2022-12-31"


@pytest.mark.parametrize(
    "line",
    [
        "首页是我市的门户。",
        "来源于群众举报的问题已全部办结，共计12件，涉及8个乡镇，均已按期完成整改并公开。",
        "打印厂排放问题",
    ],
)
def test_plan_text_that_merely_mentions_chrome_words_is_kept(line: str) -> None:
    plan = _plan(f"反馈问题：{line}\n责任单位：县住建局\n{TAIL}")
    assert plan["problems"][0]["text"] == line


def test_glued_unit_names_are_split_where_the_directory_knows_both() -> None:
    text = f"反馈问题：甲。\n责任单位：代县城市管理局代县生态环境分局、代县市场监管局\n{TAIL}"
    known = ["代县城市管理局", "代县生态环境分局", "代县市场监管局"]
    (problem,) = _plan(text, known_units=known)["problems"]
    assert problem["responsible_units"] == ["代县城市管理局", "代县生态环境分局", "代县市场监管局"]
    assert problem["doubts"][-1] == {
        "field": "responsible_units",
        "reason": "“代县城市管理局代县生态环境分局”原文连写，已按单位目录拆分为“代县城市管理局”“代县生态环境分局”",
    }


def test_glued_unit_names_the_directory_cannot_split_are_flagged() -> None:
    text = f"反馈问题：甲。\n责任单位：代县生态环境分局代县应急管理局\n{TAIL}"
    for known in (None, ["代县生态环境分局"]):
        plan = _plan(text, known_units=known)
        (problem,) = plan["problems"]
        assert problem["responsible_units"] == ["代县生态环境分局代县应急管理局"]
        assert any(d["field"] == "responsible_units" for d in problem["doubts"])
        assert any("疑似多个单位名称连写" in w["message"] for w in plan["warnings"])


def test_a_bare_organ_suffix_glued_to_its_unit_splits_with_the_directory() -> None:
    refs = split_unit_refs("各县（市、区）党委政府", None, {"各县（市、区）党委", "各县（市、区）政府"})
    assert [r.name for r in refs] == ["各县（市、区）党委", "各县（市、区）政府"]
    assert all(r.split_from == "各县（市、区）党委政府" for r in refs)


@pytest.mark.parametrize(
    "name",
    [
        "朔州市生态环境局朔城分局",
        "怀仁市公安局交警大队",
        "市委办公室",
        "朔州经济开发区管委会",
        "朔城区南榆林乡人民政府",
    ],
)
def test_one_unit_is_not_taken_for_two(name: str) -> None:
    (ref,) = split_unit_refs(name)
    assert (ref.name, ref.suspect) == (name, False)
    assert split_units(name) == [name]


@pytest.mark.parametrize("raw", ["20182020年", "20201125", "2022年13月", "2022年2月30日", "2021年12月32日"])
def test_malformed_dates_are_found(raw: str) -> None:
    assert [found for _, _, found in malformed_dates(f"于{raw}前完成")] == [raw]


@pytest.mark.parametrize("text", ["2020年11月25日", "0349-2021125", "编号202011250001", "2022年12月底", "1.8639亿吨"])
def test_well_formed_numbers_are_not_malformed_dates(text: str) -> None:
    assert malformed_dates(text) == []


@pytest.mark.parametrize("raw", ["20182020年", "20201125", "2022年13月底"])
def test_a_malformed_deadline_is_reported_not_guessed(raw: str) -> None:
    plan = _plan(f"反馈问题：甲。\n整改措施：1.检测工作于{raw}前完成。\n责任单位：县住建局\n整改时限：{raw}\n")
    (problem,) = plan["problems"]
    assert (problem["deadline"]["kind"], problem["deadline"]["due"]) == ("unknown", None)
    assert problem["deadline"]["flags"] == ["malformed"]
    assert problem["measures"][0]["milestones"] == []
    messages = [w["message"] for w in plan["warnings"]]
    assert sum("写法有误" in m for m in messages) == 2  # the measure's line and the deadline's line
    assert not any("无法识别" in m for m in messages)
