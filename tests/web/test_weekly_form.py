"""The weekly form at 80+ measures (issue 15): groups by plan and problem, filters whose counts
match an independent count, each card saved on its own (htmx), evidence stored the moment it is
chosen with the card's text, nothing typed or chosen lost to a validation error or a conflict."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Plan, Problem
from rectify.progress import periods, services
from rectify.progress.models import Evidence, ProgressReport, ReportStatus

pytestmark = pytest.mark.django_db
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as t:
        yield t


def png(color: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), color).save(out, "PNG")
    return out.getvalue()


def unit() -> OrgUnit:
    return OrgUnit.objects.get(name="朔城区政府")


def week() -> periods.Period:
    return periods.week_of(dt.date(2022, 10, 8), services.calendar_rule())


def shares() -> list[Assignment]:
    return list(
        services.required_assignments()
        .filter(unit=unit())
        .select_related("unit", "measure")
        .order_by("problem__plan_id", "measure__problem__index", "measure__seq", "id")
    )


def page_url(show: str = "") -> str:
    url = reverse("progress:unit_period", args=[unit().pk, "weekly", week().key])
    return f"{url}?show={show}" if show else url


def card_url(a: Assignment) -> str:
    return reverse("progress:share_card", args=[unit().pk, "weekly", week().key, a.pk])


def fields(a: Assignment, **values: Any) -> dict[str, Any]:
    out = {
        f"text-{a.pk}": values.get("text", "完成现场排查"),
        f"plan-{a.pk}": values.get("plan", "下周完成整改"),
        f"percent-{a.pk}": values.get("percent", "40"),
        f"issues-{a.pk}": values.get("issues", ""),
    }
    if "version" in values:
        out[f"version-{a.pk}"] = values["version"]
    return out


def report_of(a: Assignment) -> ProgressReport | None:
    return ProgressReport.objects.filter(assignment=a, kind="weekly", period_start=week().start).first()


def count(page: str, key: str) -> int:
    match = re.search(rf'data-testid="count-{key}">(\d+)<', page)
    assert match, key
    return int(match.group(1))


def cards(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'id="row-(\d+)"[^>]*data-testid="report-row"', page)]


def file_report(users: Any, a: Assignment, *, submit: bool) -> ProgressReport:
    data = services.ReportInput(progress_text="完成排查", next_plan="继续整改", percent=30)
    return services.report_save(actor=users["county_clerk"], assignment=a, period=week(), data=data, submit=submit)


# --- filters and their counts -------------------------------------------------------------------


def _independent_counts() -> dict[str, int]:
    """The filters' counts straight from the tables, not through the page's rows."""
    period = week()
    required = Assignment.objects.filter(
        unit=unit(), measure__isnull=False, status__in=services.REPORTING_SHARE_STATUSES
    )
    this_week = ProgressReport.objects.filter(kind="weekly", period_start=period.start, assignment__in=required)
    return {
        "all": required.count(),
        "todo": required.exclude(pk__in=this_week.exclude(status=ReportStatus.DRAFT).values("assignment_id")).count(),
        "returned": this_week.filter(status=ReportStatus.RETURNED).count(),
        "due": required.filter(due_on__lte=period.end).count(),
    }


def test_the_filters_counts_equal_an_independent_count(client_for: Any, users: Any) -> None:
    mine = shares()
    assert len(mine) > 40
    file_report(users, mine[0], submit=False)  # a draft: still 未填报
    for a in mine[1:4]:
        file_report(users, a, submit=True)
    returned = file_report(users, mine[4], submit=True)
    services.report_return(actor=users["city_office"], report=returned, reason="请补充")
    # Some shares fall due this week or are overdue; one a week later.
    Assignment.objects.filter(pk__in=[a.pk for a in mine[5:9]]).update(due_on=week().end)
    Assignment.objects.filter(pk=mine[9].pk).update(due_on=week().start - dt.timedelta(days=30))
    Assignment.objects.filter(pk=mine[10].pk).update(due_on=week().end + dt.timedelta(days=1))
    expected = _independent_counts()
    assert expected["returned"] == 1 and expected["todo"] == len(mine) - 4 and expected["due"] >= 5
    client = client_for("county_clerk")
    for show in ["todo", "returned", "due", "all"]:
        page = client.get(page_url(show)).content.decode()
        assert {key: count(page, key) for key in expected} == expected
        assert len(cards(page)) == expected[show], show
    assert cards(client.get(page_url("returned")).content.decode()) == [mine[4].pk]


def test_the_default_filter_is_what_the_clerk_still_owes(client_for: Any, users: Any) -> None:
    mine = shares()
    clerk = client_for("county_clerk").get(page_url()).content.decode()
    assert 'data-filter="todo" data-testid="filter-todo" aria-current="page"' in clerk
    # The office reading a unit's week sees everything.
    office = client_for("city_office").get(page_url()).content.decode()
    assert 'data-testid="filter-all" aria-current="page"' in office
    assert len(cards(office)) == len(mine)
    # Nothing left to file: the returned ones, then all.
    with services.rollups_deferred():
        for a in mine:
            file_report(users, a, submit=True)
    report = report_of(mine[2])
    assert report is not None
    services.report_return(actor=users["city_office"], report=report, reason="请补充")
    page = client_for("county_clerk").get(page_url()).content.decode()
    assert 'data-testid="filter-returned" aria-current="page"' in page and cards(page) == [mine[2].pk]


def test_cards_are_grouped_by_plan_and_problem(client_for: Any) -> None:
    page = client_for("county_clerk").get(page_url("all")).content.decode()
    problems = {a.problem_id for a in shares()}
    assert page.count('data-testid="problem-group"') == len(problems)
    assert page.count('data-testid="plan-group"') == 1
    assert "省环保督察" in page  # the plan's short name heads its group
    assert 'data-testid="plan-badge"' not in page  # one plan: the labels cannot collide


def test_with_two_plans_every_card_label_carries_its_plan(client_for: Any, users: Any) -> None:
    mine = shares()
    moved = Problem.objects.get(pk=mine[-1].problem_id)
    other = Plan.objects.create(
        title="朔州市贯彻落实第二轮中央生态环境保护督察报告整改方案", start_on=dt.date(2022, 6, 1), fingerprint="second"
    )
    Problem.objects.filter(pk=moved.pk).update(plan=other)
    page = client_for("county_clerk").get(page_url("all")).content.decode()
    assert page.count('data-testid="plan-group"') == 2
    assert page.count('data-testid="plan-badge"') == len(mine)
    assert "第二轮中央环保督察" in page and "省环保督察" in page
    # The report's own page names its plan too.
    report = file_report(users, mine[-1], submit=False)
    detail = client_for("county_clerk").get(reverse("progress:report", args=[report.pk])).content.decode()
    assert 'data-testid="plan-badge">第二轮中央环保督察<' in detail


# --- one card at a time -------------------------------------------------------------------------


def test_a_cards_save_saves_only_that_card(client_for: Any) -> None:
    first, second = shares()[:2]
    client = client_for("county_clerk")
    # htmx posts the card's own fields; the other card's fields, if sent, are ignored.
    body = {**fields(first, text="只保存这一项", version="0"), **fields(second, text="不要保存"), "action": "save"}
    response = client.post(card_url(first), body, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="row-{first.pk}"' in html and f'id="row-{second.pk}"' not in html
    assert "已保存草稿" in html and "只保存这一项" in html
    assert 'hx-swap-oob="true"' in html  # the filters' counts come along
    report = report_of(first)
    assert report is not None and report.status == ReportStatus.DRAFT and report.progress_text == "只保存这一项"
    assert report_of(second) is None


def test_a_cards_submit_with_an_error_keeps_the_text_and_saves_nothing(client_for: Any) -> None:
    (first,) = shares()[:1]
    body = {**fields(first, text="写了很久的进展", plan="", percent="40", version="0"), "action": "submit"}
    response = client_for("county_clerk").post(card_url(first), body, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in: the error shows inside the card
    assert "请填写下周工作计划" in html and "写了很久的进展" in html and "has-error" in html
    assert report_of(first) is None


def test_a_card_submits_and_is_then_read_only(client_for: Any) -> None:
    (first,) = shares()[:1]
    body = {**fields(first, version="0"), "action": "submit"}
    html = client_for("county_clerk").post(card_url(first), body, **HTMX).content.decode()
    report = report_of(first)
    assert report is not None and report.status == ReportStatus.SUBMITTED
    assert "已提交" in html and f'name="text-{first.pk}"' not in html
    again = client_for("county_clerk").post(card_url(first), body, **HTMX).content.decode()
    assert "不能再修改" in again


def test_without_htmx_a_card_post_returns_to_its_place_on_the_page(client_for: Any) -> None:
    (first,) = shares()[:1]
    response = client_for("county_clerk").post(card_url(first), {**fields(first), "action": "save", "show": "all"})
    assert response.status_code == 302 and response["Location"].endswith(f"?show=all#row-{first.pk}")
    assert report_of(first) is not None


def test_without_htmx_a_cards_error_shows_the_page_with_everything_typed(client_for: Any) -> None:
    first, second = shares()[:2]
    body = {**fields(first, percent="150"), **fields(second, text="另一项还没保存的文字"), "action": "save"}
    response = client_for("county_clerk").post(card_url(first), body)
    html = response.content.decode()
    assert response.status_code == 400 and "0 至 100" in html and 'value="150"' in html
    assert "另一项还没保存的文字" in html
    assert report_of(first) is None and report_of(second) is None


# --- evidence chosen on a card ------------------------------------------------------------------


def test_a_chosen_file_is_stored_at_once_with_the_cards_text(client_for: Any) -> None:
    (first,) = shares()[:1]
    body = {
        **fields(first, text="选择照片前写下的进展", plan="", version="0"),
        "action": "upload",
        f"files-{first.pk}": SimpleUploadedFile("现场.png", png(), content_type="image/png"),
    }
    html = client_for("county_clerk").post(card_url(first), body, **HTMX).content.decode()
    report = report_of(first)
    assert report is not None and report.status == ReportStatus.DRAFT
    assert report.progress_text == "选择照片前写下的进展"
    assert [e.original_name for e in Evidence.objects.filter(report=report)] == ["现场.png"]
    assert "已上传" in html and "现场.png" in html and "选择照片前写下的进展" in html
    assert f'name="version-{first.pk}" value="{report.version}"' in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("photo.jpg", b"not really a photo", "不支持的文件类型"), ("big.png", png() + b"\0" * 500, "文件过大")],
)
def test_a_refused_file_keeps_the_text_and_stores_nothing(
    client_for: Any, settings: Any, name: str, content: bytes, message: str
) -> None:
    settings.RECTIFY_MAX_EVIDENCE_BYTES = 200
    (first,) = shares()[:1]
    body = {
        **fields(first, text="不能丢的文字", version="0"),
        "action": "upload",
        f"files-{first.pk}": SimpleUploadedFile(name, content),
    }
    html = client_for("county_clerk").post(card_url(first), body, **HTMX).content.decode()
    assert message in html and name in html and "不能丢的文字" in html
    assert report_of(first) is None


def test_a_validation_error_on_the_whole_page_keeps_the_files_and_the_text(client_for: Any) -> None:
    first, second = shares()[:2]
    client = client_for("county_clerk")
    data = {
        **fields(first, text="第一项写好的进展", plan="", version="0"),  # 下周计划 missing
        **fields(second, text="第二项的进展", percent="150", version="0"),
        f"files-{first.pk}": SimpleUploadedFile("整改后.png", png(), content_type="image/png"),
        "action": "submit",
        "show": "todo",
    }
    response = client.post(page_url(), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "请填写下周工作计划" in html and "0 至 100" in html
    assert "第一项写好的进展" in html and "第二项的进展" in html and 'value="150"' in html
    # The file is kept: stored on a draft of its card, listed as uploaded, nothing to choose again.
    report = report_of(first)
    assert report is not None and report.status == ReportStatus.DRAFT
    assert Evidence.objects.filter(report=report, original_name="整改后.png").count() == 1
    assert "已上传" in html and "整改后.png" in html and "files-not-kept" not in html
    assert report_of(second) is None  # nothing else was written
    # Fixed and sent again: both submitted, the file went with the first.
    fixed = {
        **fields(first, text="第一项写好的进展", version=str(report.version)),
        **fields(second, text="第二项的进展", version="0"),
        "action": "submit",
        "show": "todo",
    }
    assert client.post(page_url(), fixed).status_code == 302
    assert report_of(first).status == report_of(second).status == ReportStatus.SUBMITTED  # type: ignore[union-attr]


def test_a_filtered_page_does_not_blank_the_cards_it_did_not_show(client_for: Any, users: Any) -> None:
    first, second = shares()[:2]
    file_report(users, first, submit=False)  # a draft, not on the page the clerk posts from
    response = client_for("county_clerk").post(page_url(), {**fields(second), "action": "save", "show": "returned"})
    assert response.status_code == 302 and response["Location"].endswith(f"?show=returned&keep={second.pk}")
    assert report_of(first).progress_text == "完成排查"  # type: ignore[union-attr]
    # The card just saved stays in view on the filtered page, marked as a draft.
    page = client_for("county_clerk").get(response["Location"]).content.decode()
    assert cards(page) == [second.pk] and 'data-testid="row-status">草稿<' in page


def test_an_untouched_card_keeps_last_weeks_figure_and_is_not_filed(client_for: Any, users: Any) -> None:
    first, second = shares()[:2]
    last_week = periods.week_of(week().start - dt.timedelta(days=7), services.calendar_rule())
    data = services.ReportInput(progress_text="上周", next_plan="本周", percent=30)
    services.report_save(actor=users["county_clerk"], assignment=second, period=last_week, data=data, submit=True)
    page = client_for("county_clerk").get(page_url()).content.decode()
    assert f'name="percent-{second.pk}" value="30"' in page
    body = {**fields(first), f"percent-{second.pk}": "30", f"text-{second.pk}": "", "action": "submit"}
    assert client_for("county_clerk").post(page_url(), body).status_code == 302
    assert report_of(first) is not None and report_of(second) is None


# --- two people, one share ----------------------------------------------------------------------


def test_a_stale_card_gets_a_clear_message_and_loses_nothing(client_for: Any, users: Any) -> None:
    (first,) = shares()[:1]
    theirs = file_report(users, first, submit=False)  # someone else saved while the card was open
    body = {**fields(first, text="我在旧页面上写的", version="0"), "action": "save"}
    html = client_for("county_clerk").post(card_url(first), body, **HTMX).content.decode()
    assert "已被他人修改" in html and "我在旧页面上写的" in html and "完成排查" in html  # both shown
    theirs.refresh_from_db()
    assert theirs.progress_text == "完成排查"
    # Saving again from the card (now on the latest version) keeps the clerk's text.
    body[f"version-{first.pk}"] = str(theirs.version)
    client_for("county_clerk").post(card_url(first), body, **HTMX)
    theirs.refresh_from_db()
    assert theirs.progress_text == "我在旧页面上写的"


# --- the report page: upload keeps the typed text -----------------------------------------------


def test_uploading_on_a_returned_report_keeps_the_text_typed_in_the_edit_form(client_for: Any, users: Any) -> None:
    (first,) = shares()[:1]
    report = file_report(users, first, submit=True)
    services.report_return(actor=users["city_office"], report=report, reason="请补充照片")
    report.refresh_from_db()
    pk = first.pk
    body = {
        "version": report.version,
        "action": "upload",
        f"text-{pk}": "按要求补充了照片和户数",
        f"plan-{pk}": "继续整改",
        f"percent-{pk}": "45",
        f"files-{pk}": SimpleUploadedFile("补充.png", png(), content_type="image/png"),
    }
    client = client_for("county_clerk")
    response = client.post(reverse("progress:evidence_upload", args=[report.pk]), body, follow=True)
    html = response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and report.progress_text == "按要求补充了照片和户数"
    assert report.percent == 45 and Evidence.objects.filter(report=report, original_name="补充.png").exists()
    assert "按要求补充了照片和户数" in html and "已上传：补充.png" in html
    # A refused file: the page comes back with the typed text, nothing written.
    body.update(
        {
            "version": report.version,
            f"text-{pk}": "又改了一次",
            f"files-{pk}": SimpleUploadedFile("x.jpg", b"nope"),
        }
    )
    refused = client.post(reverse("progress:evidence_upload", args=[report.pk]), body)
    assert refused.status_code == 400
    assert "又改了一次" in refused.content.decode() and "不支持" in refused.content.decode()
    report.refresh_from_db()
    assert report.progress_text == "按要求补充了照片和户数"


# --- who may use the card endpoint ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"), [("county_clerk", 200), ("city_office", 403), ("county_office", 403), ("dept_clerk", 404)]
)
def test_the_card_endpoint_is_for_the_units_clerk(client_for: Any, role: str, expected: int) -> None:
    (first,) = shares()[:1]
    response = client_for(role).post(card_url(first), {**fields(first), "action": "save"}, **HTMX)
    assert response.status_code == expected
    assert (report_of(first) is not None) == (expected == 200)


def test_the_card_endpoint_finds_no_share_of_another_unit(client_for: Any) -> None:
    other = services.required_assignments().filter(unit__name="市生态环境局").first()
    assert other is not None
    url = reverse("progress:share_card", args=[unit().pk, "weekly", week().key, other.pk])
    assert client_for("county_clerk").post(url, {"action": "save"}, **HTMX).status_code == 404
    missing = reverse("progress:share_card", args=[unit().pk, "weekly", week().key, 987654])
    assert client_for("county_clerk").post(missing, {"action": "save"}, **HTMX).status_code == 404
    bad_week = reverse("progress:share_card", args=[unit().pk, "weekly", "2022-10-04", shares()[0].pk])
    assert client_for("county_clerk").post(bad_week, {"action": "save"}, **HTMX).status_code == 404


def test_a_card_save_reads_a_bounded_number_of_queries(client_for: Any) -> None:
    first, second = shares()[:2]
    client = client_for("county_clerk")
    client.post(card_url(first), {**fields(first, version="0"), "action": "save"}, **HTMX)
    with CaptureQueriesContext(connection) as ctx:
        client.post(card_url(second), {**fields(second, version="0"), "action": "save"}, **HTMX)
    assert len(ctx.captured_queries) <= 55, len(ctx.captured_queries)
