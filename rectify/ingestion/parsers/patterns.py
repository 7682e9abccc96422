"""The markers of a rectification list: chapter 一、, problem （一）, measure 1. and field labels.

Owns the label vocabulary (整改目标/目标, 整改时限/完成时限, 反馈问题/存在问题, 整改完成情况, …) and
the regular expressions every other parser module matches against. They run on normalized text
(see repairs.normalize_line), so brackets and colons may still be either width but spaces
between CJK characters are gone. The other ways a problem is marked (问题1：, 第1项, 序号19,
一、反馈问题, 关于“…”) are recognised in markers.py, on top of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# int_to_cn (34 → 三十四) lives in core.formats: the ledger numbers hand-added problems with it too.
from rectify.core.formats import int_to_cn as int_to_cn
from rectify.plans.deadlines import cn_to_int

CN_NUM = "[一二三四五六七八九十百零〇两]+"

CHAPTER_RE = re.compile(rf"^({CN_NUM})\s*[、．.]\s*(.*)$", re.S)
PROBLEM_RE = re.compile(rf"^[（(]\s*({CN_NUM})\s*[）)]\s*[、.．]?\s*(.*)$", re.S)
# "17." "17．" "17、" "（17）" and "21.2022年6月底前…" — but not "3.8%" or "1.8639亿吨" at the
# start of a wrapped line
# and "2.6月底前…" (measure 2, due the end of June) is not the decimal 2.6
MEASURE_RE = re.compile(
    r"^(?:(\d{1,3})\s*[.．、](?!(?!(?:19|20)\d\d年|(?:1[0-2]|[1-9])月)[\d%])|[（(](\d{1,3})[）)])\s*(.*)$", re.S
)
BARE_ATTACHMENT_RE = re.compile(r"^附\s*件\s*\d*\s*[：:]?$")
ATTACHMENT_REF_RE = re.compile(r"^附\s*件\s*\d*\s*[：:]")
# "一是…二是…" inside a 整改措施 block with no numbered items
ORDINAL_SPLIT_RE = re.compile(r"(?:^|(?<=[。；;：:]))(?=[一二三四五六七八九十]{1,3}是)")

# field → label spellings; longest spellings win in the regular expression below. "text" is the
# problem itself: a label for it with no number before it opens a problem of its own.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "text": (
        "督察反馈问题",
        "督察发现问题",
        "反馈问题",
        "存在问题",
        "问题描述",
        "问题内容",
        "具体问题",
        "整改任务",
        "问题",
    ),
    "number": ("问题序号", "问题编号", "督察编号", "省编号", "市编号", "序号", "编号"),
    "goal": ("整改目标", "目标任务", "目标"),
    "measures": ("整改措施", "主要措施", "具体措施", "工作措施", "整改举措", "措施"),
    "units": ("整改责任单位", "责任单位", "整改实施主体", "实施主体", "责任主体", "责任部门"),
    "lead": ("牵头单位", "牵头部门", "牵头责任单位"),
    "support": ("配合单位", "配合部门", "协办单位"),
    "person": ("整改责任人", "责任人"),
    "leader": ("责任领导", "分管领导", "包联领导"),
    "acceptance": ("牵头验收单位", "验收单位", "验收部门"),
    "acceptance_support": ("配合验收单位",),
    "deadline": ("整改时限", "完成时限", "整改期限", "整改时间", "完成时间", "时限要求", "时限"),
    # stages of the deadline; the deadline itself when the problem gives no 整改时限
    "nodes": ("时间节点", "进度安排"),
    # look-alikes of measures: what has been done, not what will be done
    "progress": (
        "整改完成情况",
        "整改落实情况",
        "整改进展情况",
        "整改推进情况",
        "整改进展",
        "进展情况",
        "完成情况",
        "落实情况",
        "整改成效",
        "整改情况",
        "工作进展",
    ),
    "status": ("整改状态", "完成状态", "是否完成"),
    # a look-alike of the deadline: when the work was done
    "completed": ("整改完成时间", "实际完成时间", "完成整改时间", "销号时间"),
}
LABEL_FIELD: dict[str, str] = {label: name for name, labels in FIELD_LABELS.items() for label in labels}
_LABEL_ALT = "|".join(sorted(LABEL_FIELD, key=len, reverse=True))
# an optional qualifier such as 责任单位（市级）, or the table reader's 整改措施（按内容推断）
_QUALIFIER = r"(?:[（(]([^（）()]{1,12})[）)])?"
LABEL_RE = re.compile(rf"^({_LABEL_ALT}){_QUALIFIER}\s*(?:[：:]\s*(.*)|$)", re.S)
# where a second label starts inside one paragraph ("…。责任人：…")
INLINE_LABEL_RE = re.compile(rf"(?<=[。；;])\s*(?=(?:{_LABEL_ALT})(?:[（(][^（）()]{{1,12}}[）)])?\s*[：:])")

# Qualifiers the table readers write when a column's meaning was not read from its own header.
QUALIFIER_CONTENT = "按内容推断"
QUALIFIER_CARRIED = "沿用前表表头"
INFERRED_QUALIFIERS = {
    QUALIFIER_CONTENT: "表格没有表头，此栏的含义按内容推断",
    QUALIFIER_CARRIED: "表格没有表头，此栏的含义沿用前一表格的表头",
}


@dataclass(frozen=True, slots=True)
class Label:
    field: str
    value: str
    qualifier: str | None
    word: str = ""  # the label as written: 完成时限


def label_of(text: str) -> Label | None:
    """The field label `text` starts with, its value and its qualifier; None when there is none."""
    m = LABEL_RE.match(text)
    if not m:
        return None
    return Label(LABEL_FIELD[m.group(1)], (m.group(3) or "").strip(), m.group(2), m.group(1))


def label_match(text: str) -> tuple[str, str] | None:
    """(field, value) when `text` starts with a field label, else None."""
    label = label_of(text)
    return (label.field, label.value) if label else None


def is_bare_label(text: str) -> bool:
    """A label alone on its line ("整改目标", "责任人：") whose value follows on the next line."""
    label = label_of(text)
    return label is not None and not label.value


# Words that state a problem's status: 已完成, 长期坚持, 已完成、长期坚持, 推进中…
STATUS_PHRASE = (
    r"(?:整改)?(?:已(?:全部|基本)?(?:完成整改|整改完成|完成|整改到位|办结|销号)|整改完成|完成整改|长期坚持|持续推进"
    r"|长期推进|持续整改|常态化推进|正在推进|推进中|整改中|正在整改|未完成|基本完成|阶段性完成|按序时推进|序时推进"
    r"|达到序时进度)"
)
STATUS_ONLY_RE = re.compile(rf"^{STATUS_PHRASE}(?:[、，,；;]\s*{STATUS_PHRASE})*[。.；;]?$")

# A notice's closing after its problem: 特此公示, 公示期, 联系电话…
CLOSING_RE = re.compile(
    r"^(?:特此(?:公示|通知|公告|说明)|公示(?:期|时间|期限|日期|期间)|(?:联系|监督|举报|受理|咨询)电话"
    r"|联系人|电子邮箱|(?:通讯|联系)地址|邮政编码|如(?:对|有).{0,12}异议|欢迎.{0,10}监督)"
)

# A principles section of a plan's main text: its （一）坚持… items are not problems.
PRINCIPLES_RE = re.compile(r"^(?:基本原则|工作原则|总体要求|指导思想|保障措施|工作要求|组织保障|保障机制)")
PRINCIPLE_ITEM_RE = re.compile(r"^坚持")


def numeral_value(text: str) -> int | None:
    return cn_to_int(text)
