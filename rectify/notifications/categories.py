"""待办 or 知悉: does a notification ask its reader to do something?

待办 (action): a returned progress report to fix, a notice (提醒函/督办通知) to reply to or a
returned reply to redo, a reply to a notice the office issued to review, a close-out application
to review (验收) or to agree to (会签), a returned or reopened close-out, an on-site task (现场督办
任务), a complaint case assigned (交办件). Everything else is 知悉 (FYI): warnings and digests,
review results, missed-report reminders and summaries, circulars, account notices.

A sender may say so itself (Message.category); otherwise the message's dedupe key, which every
sender builds as "<what>:<id>:<event>…", tells. docs/notifications.md lists the table.
"""

from __future__ import annotations

import re

ACTION = "action"
INFO = "info"

# (dedupe key pattern, why it is 待办) — matched from the start of the key.
ACTION_KEYS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"report:\d+:returned:"), "进展报告被退回，需修改后重新报送"),
    (re.compile(r"notice:\d+:issued:"), "督办文书需回复"),
    (re.compile(r"notice:\d+:returned:"), "督办回复被退回，需重新回复"),
    (re.compile(r"notice:\d+:replied:"), "督办回复待审阅"),
    (re.compile(r"closeout:\d+:submitted-"), "销号申请待验收"),
    (re.compile(r"closeout:\d+:objection-"), "公示异议待处理"),
    (re.compile(r"closeout:\d+:consent-"), "销号申请待会签"),
    (re.compile(r"closeout:\d+:return-"), "销号申请被退回，需补充"),
    (re.compile(r"closeout:\d+:reopened:"), "已销号事项被重新打开"),
    (re.compile(r"visit:\d+:task:"), "现场督办任务待落实"),
    (re.compile(r"case:\d+:assigned:"), "交办件待办理"),
    (re.compile(r"extension:\d+:requested"), "延期申请待审批"),
    (re.compile(r"report:\d+:submitted"), "进展报告待审核"),
)


def category_of(dedupe_key: str) -> str:
    """ACTION when the key is one of ACTION_KEYS, else INFO."""
    return ACTION if any(pattern.match(dedupe_key) for pattern, _ in ACTION_KEYS) else INFO
