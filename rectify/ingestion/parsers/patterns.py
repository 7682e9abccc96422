"""The markers of a rectification list: chapter 一、, problem （一）, measure 1. and field labels.

Owns the label vocabulary (整改目标/目标, 整改时限/完成时限, …) and the regular expressions every
other parser module matches against. They run on normalized text (see repairs.normalize_line), so
brackets and colons may still be either width but spaces between CJK characters are gone.
"""

from __future__ import annotations

import re

from rectify.plans.deadlines import cn_to_int

CN_NUM = "[一二三四五六七八九十百零〇两]+"

CHAPTER_RE = re.compile(rf"^({CN_NUM})\s*[、．.]\s*(.*)$", re.S)
PROBLEM_RE = re.compile(rf"^[（(]\s*({CN_NUM})\s*[）)]\s*[、.．]?\s*(.*)$", re.S)
# "17." "17．" "17、" "（17）" and "21.2022年6月底前…" — but not "3.8%" or "1.8639亿吨" at the
# start of a wrapped line
MEASURE_RE = re.compile(r"^(?:(\d{1,3})\s*[.．、](?!(?!(?:19|20)\d\d年)[\d%])|[（(](\d{1,3})[）)])\s*(.*)$", re.S)
BARE_ATTACHMENT_RE = re.compile(r"^附\s*件\s*\d*\s*[：:]?$")
ATTACHMENT_REF_RE = re.compile(r"^附\s*件\s*\d*\s*[：:]")
# "一是…二是…" inside a 整改措施 block with no numbered items
ORDINAL_SPLIT_RE = re.compile(r"(?:^|(?<=[。；;：:]))(?=[一二三四五六七八九十]{1,3}是)")

# field → label spellings; longest spellings win in the regular expression below
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "goal": ("整改目标", "目标任务", "目标"),
    "measures": ("整改措施", "主要措施", "具体措施", "工作措施", "整改举措", "措施"),
    "units": ("整改责任单位", "责任单位", "整改实施主体", "实施主体", "责任主体"),
    "lead": ("牵头单位", "牵头部门", "牵头责任单位"),
    "support": ("配合单位", "配合部门", "协办单位"),
    "person": ("整改责任人", "责任人", "责任领导"),
    "acceptance": ("牵头验收单位", "验收单位", "验收部门"),
    "acceptance_support": ("配合验收单位",),
    "deadline": ("整改时限", "完成时限", "整改期限", "整改时间", "时间节点", "完成时间", "时限要求", "时限"),
}
LABEL_FIELD: dict[str, str] = {label: name for name, labels in FIELD_LABELS.items() for label in labels}
_LABEL_ALT = "|".join(sorted(LABEL_FIELD, key=len, reverse=True))
# an optional qualifier such as 责任单位（市级）
_QUALIFIER = r"(?:[（(][^（）()]{1,12}[）)])?"
LABEL_RE = re.compile(rf"^({_LABEL_ALT}){_QUALIFIER}\s*(?:[：:]\s*(.*)|$)", re.S)
# where a second label starts inside one paragraph ("…。责任人：…")
INLINE_LABEL_RE = re.compile(rf"(?<=[。；;])\s*(?=(?:{_LABEL_ALT}){_QUALIFIER}\s*[：:])")


def label_match(text: str) -> tuple[str, str] | None:
    """(field, value) when `text` starts with a field label, else None."""
    m = LABEL_RE.match(text)
    if not m:
        return None
    return LABEL_FIELD[m.group(1)], (m.group(2) or "").strip()


def starts_structure(text: str) -> bool:
    """Does this paragraph open a new element (so it is never glued to the one before)?"""
    return bool(
        CHAPTER_RE.match(text)
        or PROBLEM_RE.match(text)
        or MEASURE_RE.match(text)
        or LABEL_RE.match(text)
        or BARE_ATTACHMENT_RE.match(text)
        or ATTACHMENT_REF_RE.match(text)
    )


_CN_DIGITS = "零一二三四五六七八九"


def int_to_cn(n: int) -> str:
    """34 → 三十四, 10 → 十, 102 → 一百零二 (1 ≤ n ≤ 999)."""
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


def numeral_value(text: str) -> int | None:
    return cn_to_int(text)
