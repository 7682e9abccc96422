"""Dated commitments inside a measure's text (阶段性节点) → milestones.

Owns `find_milestones`. A date is a milestone when the text commits to it: "于2022年4月底前制定",
"5月底前出台" (a month without a year takes the year last mentioned), "力争2022年开工建设". Not a
milestone: the past ("2021年7月已提上议事日程", "已在2021年底前淘汰"), statistics ("2021年朔州市环境
空气质量全省排名第二", "2021年1-11月"), periods ("2019年至2021年应提取"), and years inside document
titles and numbers (《…2022年行动计划》, 〔2021〕282号).
"""

from __future__ import annotations

import re

from rectify.plans.deadlines import PRECISION_YEAR, compact, date_bounds, find_dates

from .model import Milestone

# words that, right after a date, make it a commitment
_TRIGGERS = (
    "完成",
    "实现",
    "开工",
    "建成",
    "投入使用",
    "投入运行",
    "投运",
    "投产",
    "出台",
    "制定",
    "印发",
    "达到",
    "启动",
    "完工",
    "竣工",
    "退出",
    "淘汰",
    "取得",
    "上线",
    "通过",
    "全部",
    "全面",
    "基本",
    "力争",
    "确保",
    "前",
    "以前",
    "之前",
    "内",
)
# …and right before it
_LEAD_INS = ("于", "到", "在", "力争", "确保", "争取", "截至", "截止", "至")
_PAST_BEFORE = ("已", "曾", "自", "从")
_PAST_AFTER = ("已", "以来", "曾")
_DASHES = "-—–~～"
_CONNECTOR_RE = re.compile(r"^(?:[-—–~～]|至|到)$")
_QUOTED_RE = re.compile(r"《[^《》]*》|〔[^〔〕]*〕|【[^【】]*】|\[[^\[\]]*\]|［[^［］]*］")


def find_milestones(text: str) -> list[Milestone]:
    """Milestones in the order the text states them. Never raises."""
    text = compact(text)
    quoted = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]
    milestones: list[Milestone] = []
    year: int | None = None
    matches = [m for m in find_dates(text) if not any(b <= m.begin < e for b, e in quoted)]
    # both ends of a period ("2019年至2021年", "2020年6月-12月") describe a span, not a commitment
    in_range: set[int] = set()
    for i in range(len(matches) - 1):
        if _CONNECTOR_RE.match(text[matches[i].end : matches[i + 1].begin]):
            in_range.update((i, i + 1))
    for i, match in enumerate(matches):
        bounds = date_bounds(match, year)
        if match.year is not None:
            year = match.year
        if bounds is None:
            continue
        _, due, precision = bounds
        before = text[max(0, match.begin - 3) : match.begin]
        after = text[match.end : match.end + 6].lstrip("，,")
        # "1-11月": the end of a span of months
        if (i in in_range or (match.begin and text[match.begin - 1] in _DASHES)) and not match.before:
            continue
        if any(w in before for w in _PAST_BEFORE) or after.startswith(_PAST_AFTER):
            continue
        committed = match.before or after.startswith(_TRIGGERS)
        if precision != PRECISION_YEAR and before.endswith(_LEAD_INS):
            committed = True
        if committed:
            milestones.append(Milestone(match.raw, due, precision))
    return milestones
