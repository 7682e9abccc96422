"""Dates the deadline grammar does not read on its own: malformed ones, and years left unsaid.

Owns `malformed_dates` (20182020年, 20201125, 2022年13月, 2022年2月30日: reported, never guessed),
`RELATIVE_YEAR_RE` (年内, 年底前 with no year: the plan's own year) and `plan_year`, which finds
the year a plan speaks from: its signing date, the feedback date it names, a year in its title,
or else the year most of its deadlines fall in.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from rectify.plans.deadlines import compact, parse_deadline

_MALFORMED_RE = re.compile(
    # two years run together: 20182020年 (2018—2020年? 2018年、2020年?)
    r"(?<!\d)(?:19|20)\d\d(?:19|20)\d\d年"
    # year, month and day run together: 20201125
    r"|(?<![\d.\-/])(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?![\d.])"
    # a month that does not exist: 2022年13月, 2022年0月
    r"|(?<!\d)(?:19|20)\d\d年(?:1[3-9]|[2-9]\d|0{1,2})月"
)
_FULL_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})[日号]")


_FOUR_DIGITS_RE = re.compile(r"\d{4}")


def malformed_dates(text: str) -> list[tuple[int, int, str]]:
    """(begin, end, raw) of each date in `text` that cannot be read without guessing."""
    if not _FOUR_DIGITS_RE.search(text):
        return []
    found = [(m.start(), m.end(), m.group()) for m in _MALFORMED_RE.finditer(text)]
    for m in _FULL_DATE_RE.finditer(text):
        try:
            date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:  # 2022年2月30日, 2022年12月32日
            found.append((m.start(), m.end(), m.group()))
    found.sort()
    return found


# 年内 / 年底前 / 今年年底 with no year of their own; "3年内", "每年年底", "明年底" are not the plan's year
RELATIVE_YEAR_RE = re.compile(
    r"(?<![\d一二三四五六七八九十两几数每逐当同半去明前上该全年])"
    r"(?:(?:今年|本年度?)年?(?:内|底前?|末前?)|年内|年底前?|年末前?)"
)

_DATE_ONLY_RE = re.compile(r"^((?:19|20)\d\d)年\d{1,2}月\d{1,2}日$")
_FEEDBACK_RE = re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日[^。]{0,12}?反馈")
_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d\d)年")


def is_date_line(text: str) -> bool:
    """A paragraph that is only a date (a signature's date line)."""
    if len(text) > 30 or not text.rstrip("。 ").endswith("日"):
        return False
    return bool(_DATE_ONLY_RE.match(compact(text).rstrip("。")))


def plan_year(
    title: str, before: Iterable[str], after: Iterable[str], deadline_raws: Iterable[str]
) -> tuple[int | None, str | None]:
    """(year, where it was found) for the plan; (None, None) when nothing gives a year."""
    before = [compact(t) for t in before]
    after = [compact(t) for t in after]
    for text in reversed([*before, *after]):
        m = _DATE_ONLY_RE.match(text.rstrip("。"))
        if m:
            return int(m.group(1)), f"落款日期{text.rstrip('。')}"
    for text in before:
        m = _FEEDBACK_RE.search(text)
        if m:
            return int(m.group(1)), f"反馈日期{m.group(1)}年{m.group(2)}月{m.group(3)}日"
    m = _YEAR_RE.search(compact(title))
    if m:
        return int(m.group(1)), f"标题中的{m.group(1)}年"
    years = Counter(d.due.year for d in (parse_deadline(raw) for raw in deadline_raws) if d.due)
    if years:
        top = max(years.values())
        year = min(y for y, n in years.items() if n == top)
        return year, f"整改时限中最常见的年份{year}年"
    return None, None
