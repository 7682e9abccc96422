"""What the clerks and the office write in the history: short, plausible, varied by the seed."""

from __future__ import annotations

import random

PROGRESS = [
    "召开专题调度会{n}次，对照整改措施逐项明确责任人和完成时限，推进情况良好。",
    "组织现场排查{n}处点位，已督促责任主体完成整改{m}处，其余点位正在推进。",
    "会同相关部门开展联合检查，发现问题{n}个，已当场交办并建立整改台账。",
    "整改工程按计划推进，本周完成工程量约{p}%，现场监管人员全程跟踪。",
    "完成整改方案细化，分解任务{n}项，已完成{m}项，正在开展自查。",
    "对前期整改点位开展“回头看”，复核{n}处，未发现反弹。",
    "加强日常巡查，本周巡查{n}次，对{m}家企业开展执法检查。",
    "推进资金落实和项目审批，已完成前期手续{m}项。",
]
MONTHLY = [
    "本月共召开调度会{n}次，完成阶段性任务{m}项；整改工作总体按序时推进，下月重点推进剩余点位整治。",
    "本月开展现场检查{n}次，整改完成率较上月提高{p}个百分点；对进度滞后的点位已约谈责任人。",
    "本月按照整改方案要求完成排查和整治任务，建立长效管理制度{m}项，巩固整改成效。",
]
NEXT_PLAN = [
    "继续推进剩余点位整改，下周完成复核。",
    "下周组织开展专项检查，督促责任主体按期完成。",
    "加快工程建设进度，确保按序时完成。",
    "整理佐证材料，做好阶段性验收准备。",
    "持续开展日常巡查，防止问题反弹。",
]
ISSUES = [
    "部分点位整改资金尚未到位。",
    "受天气影响，施工进度有所放缓。",
    "个别企业整改积极性不高，需加大督导力度。",
]
RETURN_REASONS = [
    "进度与佐证材料不一致，请补充现场照片后重新提交。",
    "工作进展表述过于笼统，请写明完成的具体点位和数量。",
    "下周计划未明确完成时限，请补充。",
]


def fill(rng: random.Random, template: str) -> str:
    return template.format(n=rng.randint(2, 9), m=rng.randint(1, 6), p=rng.randint(5, 30))


def progress_text(rng: random.Random, *, monthly: bool) -> str:
    return fill(rng, rng.choice(MONTHLY if monthly else PROGRESS))


def next_plan(rng: random.Random) -> str:
    return rng.choice(NEXT_PLAN)


def issues(rng: random.Random) -> str:
    return rng.choice(ISSUES) if rng.random() < 0.15 else ""
