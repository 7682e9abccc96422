"""Percent, date and numeral wording shared by the ledger, the warnings and the documents (pure, no Django).

The seed plan writes rates like 14% (1 of 7) and 33.3% (7 of 21): one decimal at most, ".0" dropped.
"""

from __future__ import annotations

import datetime as dt
import math

__all__ = ["format_cn_date", "format_percent", "format_rate", "int_to_cn"]


def format_percent(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    text = f"{value:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    if text == "-0":
        text = "0"
    return f"{text}%"


def format_rate(done: int, total: int) -> str:
    if total <= 0:
        return "—"
    return f"完成{done}/{total}项，完成率{format_percent(done * 100 / total)}"


def format_cn_date(d: dt.date) -> str:
    """A date as GB/T 9704-2012 writes it: Arabic digits, no leading zeros ("2022年1月5日")."""
    return f"{d.year}年{d.month}月{d.day}日"


_CN_DIGITS = "零一二三四五六七八九"


def int_to_cn(n: int) -> str:
    """34 → 三十四, 10 → 十, 102 → 一百零二 (1 ≤ n ≤ 999): a problem's number （三十五）, a chapter's 一、."""
    if n <= 0 or n >= 1000:
        return str(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _CN_DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else _CN_DIGITS[tens]) + "十"
    if ones:
        out += _CN_DIGITS[ones]
    return out
