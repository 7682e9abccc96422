"""The review page marks what the parser inferred rather than read from a label (issue 13, point 7)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectify.ingestion.models import ImportJob
from rectify.plans.models import Plan

pytestmark = pytest.mark.django_db

# A notice of one problem: no number, no 整改时限 (the goal holds a date), a status read from the
# progress text, two units written together that the directory knows, and a malformed date.
NOTICE = """关于“城区燃煤锅炉拆改不到位”问题整改情况的公示

整改目标：2022年10月底前全部完成拆改。
整改措施：
1.制定拆改方案，20221015前完成设备拆除。
2.力争年内完成管网延伸。
责任单位：市住建局市发改委
整改完成情况：已完成。12台燃煤锅炉已全部拆除。

公示期：2022年11月1日至11月7日
朔州市督察整改办
2022年11月1日
"""


def upload(client: Any, name: str, data: bytes) -> Any:
    return client.post(reverse("ingestion:upload"), {"file": SimpleUploadedFile(name, data)})


def test_the_review_page_marks_every_inferred_field(client_for: Any) -> None:
    client = client_for("city_office")
    response = upload(client, "notice.txt", NOTICE.encode())
    assert response.status_code == 302
    job = ImportJob.objects.latest("created_at")
    problem = job.parsed["problems"][0]
    # kept in the review's JSON (the ledger has no column for these): nothing to migrate
    assert {d["field"] for d in problem["doubts"]} == {
        "text",
        "number",
        "deadline",
        "responsible_units",
        "status",
        "milestones",
    }
    assert problem["responsible_units"] == ["市住建局", "市发改委"]  # split by the directory
    assert problem["deadline"]["flags"] == ["from_goal"]
    page = client.get(response["Location"]).content.decode()
    assert 'id="review-doubts"' in page
    assert f"需核对的推断（{len(problem['doubts'])} 处，涉及 1 个问题）" in page
    assert 'data-doubts="6"' in page
    for words in (
        "问题内容取自“关于“……””标题中引号内的文字",
        "原文未编号，按出现顺序编为（一）",
        "原文没有整改时限，取自整改目标中的“2022年10月底前”",
        "“市住建局市发改委”原文连写，已按单位目录拆分为“市住建局”“市发改委”",
        "整改状态由整改完成情况开头的“已完成”推断",
        "措施2中的“年内”没有写明年份，按方案年份2022年计",
    ):
        assert words in page
    assert "整改时限取自整改目标" in page  # the deadline's flag, beside the deadline
    assert "方案年份：2022（落款日期2022年11月1日" in page
    # the malformed date is a warning, not a guess
    assert "日期“20221015”写法有误" in page
    assert "已完成" in page and "12台燃煤锅炉已全部拆除" in page


def test_a_corrected_deadline_is_no_longer_marked_as_inferred(client_for: Any) -> None:
    client = client_for("city_office")
    upload(client, "notice.txt", NOTICE.encode())
    job = ImportJob.objects.latest("created_at")
    client.post(
        reverse("ingestion:review_update", args=[job.pk]),
        {"version": job.version, "deadline::1": "2022年9月30日"},
    )
    page = client.get(reverse("ingestion:review", args=[job.pk])).content.decode()
    assert "已修正" in page
    row = page.split('id="problem-1"')[1].split("</tr>")[0]
    assert "整改时限取自整改目标" not in row  # the flag went with the parser's reading
    assert "原文没有整改时限，取自整改目标中的" not in row


def test_a_plan_with_nothing_inferred_shows_no_doubts_but_the_seeds_one(client_for: Any) -> None:
    from rectify.ingestion.demo import SEED_PLAN

    client = client_for("city_office")
    text = SEED_PLAN.read_text(encoding="utf-8").replace("朔州市贯彻落实", "某县贯彻落实", 1)
    response = upload(client, "plan.txt", text.encode())
    page = client.get(response["Location"]).content.decode()
    # the seed's only inference: 力争年内出台 dated by the plan's year (反馈日期 2022年2月25日)
    assert "需核对的推断（1 处，涉及 1 个问题）" in page
    assert "措施8中的“年内”没有写明年份，按方案年份2022年计" in page
    assert page.count('class="doubt"') == 1  # one marker, in the measures cell of （三）
    job = ImportJob.objects.latest("created_at")
    client.post(reverse("ingestion:commit", args=[job.pk]))
    plan = Plan.objects.get(title__startswith="某县")
    milestones = plan.problems.get(number="三").measures.get(number="8").milestones.all()
    assert [(m.raw, str(m.due_on)) for m in milestones] == [("年内", "2022-12-31")]
