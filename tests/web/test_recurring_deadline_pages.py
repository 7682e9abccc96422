"""Recurring deadlines on the pages and the API: the problem's deadline form and the measure's
"all units" form accept "每季度" and show the kind and the current period's end; a date typed with a
recurring text is refused in Chinese; the API exposes the recurrence; an imported plan's recurring
deadline shows on the review page and is stored as recurring."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectify.ingestion.models import ImportJob
from rectify.plans.models import Assignment, Measure, Plan, Problem

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=SH), tick=False)


def dated_problem() -> Problem:
    problem = Problem.objects.filter(deadline_kind="date", due_on=dt.date(2022, 12, 31)).order_by("index").first()
    assert problem is not None
    return problem


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_problem_deadline_form_accepts_a_recurring_text_and_shows_its_kind(client_for: Any) -> None:
    problem = dated_problem()
    client = client_for("city_office")
    with at(dt.date(2022, 8, 3)):
        response = client.post(
            reverse("plans:problem_deadline", args=[problem.pk]), {"raw": "每季度", "version": problem.version}
        )
        assert response.status_code == 302
        assert any("整改时限已更新（周期性（每季度，本期至2022年9月30日））" in m for m in messages_of(response))
        page = client.get(reverse("plans:problem", args=[problem.pk])).content.decode()
    problem.refresh_from_db()
    assert (problem.deadline_kind, problem.recurrence, problem.due_on) == (
        "recurring",
        "quarterly",
        dt.date(2022, 9, 30),
    )
    deadline = page.split('id="problem-deadline"')[1].split("</div></div>")[0]
    assert "周期性·每季度" in deadline and "本期至 2022-09-30" in deadline
    # Each measure that followed the problem says its period and the current period's end.
    assert "整改时限：每季度（本期至2022-09-30）" in page
    assert "周期性时限（每月/每季度/每半年/每年" in page  # the form says what it accepts


def test_a_date_typed_with_a_recurring_text_is_refused_and_nothing_changes(client_for: Any) -> None:
    problem = dated_problem()
    with at(dt.date(2022, 8, 3)):
        response = client_for("city_office").post(
            reverse("plans:problem_deadline", args=[problem.pk]),
            {"raw": "每月", "due": "2022-12-31", "version": problem.version},
        )
    assert response.status_code == 302
    assert any(
        "“每月”是周期性时限（每月），到期日按周期自动计算（本期至2022-08-31）" in m for m in messages_of(response)
    )
    problem.refresh_from_db()
    assert problem.deadline_kind == "date" and problem.recurrence == ""


def test_the_measure_form_makes_one_measure_monthly_for_all_its_units(client_for: Any) -> None:
    measure = Measure.objects.filter(deadline_kind="date", due_on=dt.date(2022, 12, 31)).order_by("pk").first()
    assert measure is not None
    client = client_for("city_office")
    with at(dt.date(2022, 8, 3)):
        client.post(
            reverse("supervision:measure_deadline", args=[measure.pk]), {"raw": "每月", "version": measure.version}
        )
        page = client.get(reverse("plans:problem", args=[measure.problem_id])).content.decode()
    measure.refresh_from_db()
    assert (measure.deadline_kind, measure.recurrence, measure.due_on) == ("recurring", "monthly", dt.date(2022, 8, 31))
    shares = Assignment.objects.filter(measure=measure, unit__isnull=False)
    assert set(shares.values_list("due_on", flat=True)) == {dt.date(2022, 8, 31)}
    assert "整改时限：每月（本期至2022-08-31）" in page


def test_the_api_exposes_the_recurrence(client_for: Any) -> None:
    measure = Measure.objects.filter(deadline_kind="date").order_by("pk").first()
    assert measure is not None
    client = client_for("city_office")
    with at(dt.date(2022, 8, 3)):
        changed = client.post(
            reverse("api:measure_deadline", args=[measure.pk]),
            {"raw": "每半年", "version": measure.version},
            content_type="application/json",
        ).json()
        assert changed["deadline"]["kind"] == "recurring" and changed["deadline"]["recurrence"] == "half_yearly"
        assert changed["deadline"]["due"] == "2022-12-31" and changed["due_on"] == "2022-12-31"
        listed = client.get("/api/v1/measures/?kind=recurring").json()
        assert [m["id"] for m in listed["results"]] == [measure.pk]
        other = client.get(f"/api/v1/problems/{measure.problem_id}/").json()
        detail = client.get(f"/api/v1/measures/{measure.pk}/").json()
    assert other["deadline"]["recurrence"] is None  # the problem itself is still dated
    assert detail["deadline"]["recurrence"] == "half_yearly"


PLAN = """某县贯彻落实督察反馈意见整改方案（周期性时限试点）

附件：具体整改措施清单

一、环境质量

（一）部分企业环境管理台账不规范。
整改目标：台账规范。
整改措施：1.开展排查。2.定期检查。
责任单位：市生态环境局
整改时限：2022年底前完成，此后每季度开展一次
"""


def test_an_imported_recurring_deadline_is_shown_for_review_and_stored(client_for: Any) -> None:
    client = client_for("city_office")
    with at(dt.date(2022, 8, 3)):
        response = client.post(reverse("ingestion:upload"), {"file": SimpleUploadedFile("plan.txt", PLAN.encode())})
        assert response.status_code == 302
        review = client.get(response["Location"]).content.decode()
        assert "周期性（每月/每季度/每半年/每年）" in review
        assert 'deadline-recurrence">每季度</span> 周期自2023-01-01起（此前为首期）' in review
        job = ImportJob.objects.latest("created_at")
        client.post(
            reverse("ingestion:review_update", args=[job.pk]), {"version": job.version, "start_on": "2022-06-01"}
        )
        client.post(reverse("ingestion:commit", args=[job.pk]))
    plan = Plan.objects.get(title__startswith="某县贯彻落实督察反馈意见整改方案")
    problem = plan.problems.get()
    assert (problem.deadline_kind, problem.recurrence, problem.start_on) == (
        "recurring",
        "quarterly",
        dt.date(2023, 1, 1),
    )
    # Until 2022-12-31 the first period (from the plan's start) runs: that is the date now.
    assert problem.due_on == dt.date(2022, 12, 31)
    measure = problem.measures.first()
    assert measure is not None and (measure.recurrence, measure.due_on) == ("quarterly", dt.date(2022, 12, 31))
    assert set(Assignment.objects.filter(measure=measure, unit__isnull=False).values_list("due_on", flat=True)) == {
        dt.date(2022, 12, 31)
    }
