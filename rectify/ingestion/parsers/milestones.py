"""Dated commitments inside a measure's text (阶段性节点) → milestones.

Owns `find_milestones`. A date is a milestone when the text commits to it: "于2022年4月底前制定",
"5月底前出台" (a month without a year takes the year last mentioned), "力争2022年开工建设". Not a
milestone: the past ("2021年7月已提上议事日程", "已在2021年底前淘汰"), statistics ("2021年朔州市环境
空气质量全省排名第二", "2021年1-11月"), periods ("2019年至2021年应提取"), and years inside document
titles and numbers (《…2022年行动计划》, 〔2021〕282号), and malformed dates (20201125, 2022年13月),
which are reported by the parser rather than guessed. "力争年内出台" names no year: given the plan's
year it is a milestone at that year's end (precision year), otherwise it is not a milestone.
"""

from __future__ import annotations

import re
from datetime import date

from rectify.plans.deadlines import PRECISION_MONTH, PRECISION_YEAR, compact, date_bounds, find_dates

from .dates import RELATIVE_YEAR_RE, malformed_dates
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


def _committed(text: str, begin: int, end: int) -> bool:
    before = text[max(0, begin - 3) : begin]
    after = text[end : end + 6].lstrip("，,")
    if any(w in before for w in _PAST_BEFORE) or after.startswith(_PAST_AFTER):
        return False
    return before.endswith(_LEAD_INS) or after.startswith(_TRIGGERS)


def relative_milestones(text: str, plan_year: int | None) -> list[tuple[int, Milestone | None]]:
    """(position, milestone) for each committed 年内/年底前 in `text` (compact); None without a year."""
    found: list[tuple[int, Milestone | None]] = []
    if "年" not in text:
        return found
    for m in RELATIVE_YEAR_RE.finditer(text):
        if not (m.group().endswith("前") or _committed(text, m.start(), m.end())):
            continue
        if plan_year is None:
            found.append((m.start(), None))
            continue
        precision = PRECISION_YEAR if "内" in m.group() else PRECISION_MONTH
        found.append((m.start(), Milestone(m.group(), date(plan_year, 12, 31), precision)))
    return found


def find_milestones(text: str, plan_year: int | None = None) -> list[Milestone]:
    """Milestones in the order the text states them. Never raises.

    `plan_year` is the year 年内 / 年底前, and a month named before any year ("6月底前"), refer
    to; without it they are not milestones.
    """
    return milestones_with_years(text, plan_year)[0]


def milestones_with_years(text: str, plan_year: int | None = None) -> tuple[list[Milestone], list[str]]:
    """(milestones, the raw words of those whose year is the plan's, not the text's)."""
    text = compact(text)
    skipped = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(text)]
    skipped += [(b, e) for b, e, _ in malformed_dates(text)]
    positioned: list[tuple[int, Milestone]] = []
    borrowed: list[tuple[int, str]] = []
    year: int | None = None
    matches = [m for m in find_dates(text) if not any(b <= m.begin < e for b, e in skipped)]
    # both ends of a period ("2019年至2021年", "2020年6月-12月") describe a span, not a commitment
    in_range: set[int] = set()
    for i in range(len(matches) - 1):
        if _CONNECTOR_RE.match(text[matches[i].end : matches[i + 1].begin]):
            in_range.update((i, i + 1))
    for i, match in enumerate(matches):
        own_year = year if year is not None else match.year
        bounds = date_bounds(match, year if year is not None else plan_year)
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
            positioned.append((match.begin, Milestone(match.raw, due, precision)))
            if own_year is None:
                borrowed.append((match.begin, match.raw))
    if plan_year is not None:
        for at, milestone in relative_milestones(text, plan_year):
            if milestone is not None:
                positioned.append((at, milestone))
                borrowed.append((at, milestone.raw))
        positioned.sort(key=lambda item: item[0])
        borrowed.sort(key=lambda item: item[0])
    return [m for _, m in positioned], [raw for _, raw in borrowed]
