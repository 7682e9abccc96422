"""挂图作战: the Gantt's rows, dates, marks and counts against queries of the tests' own, its
scoping and filters, the page, the A3 PDF and the API (issue 12, part 2)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pdfplumber
import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings
from django.urls import reverse

from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure, Milestone, Problem

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
TODAY = dt.date(2022, 9, 5)
# Independently of the code: the kinds a bar runs on without an end of its own.
NO_END_KINDS = {"immediate_ongoing", "ongoing", "completed", "recurring"}
A3_LANDSCAPE = (1190.55, 841.89)  # points


def on(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=SH), tick=False)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with on(TODAY):
        yield


def api(client: Any, **params: Any) -> Any:
    return client.get(reverse("api:dashboard_gantt"), params)


def rows_of(client: Any, **params: Any) -> list[dict[str, Any]]:
    response = api(client, **params)
    assert response.status_code == 200, response.content
    return response.json()["rows"]


def expected_end(kind: str, due: dt.date | None) -> dt.date | None:
    return None if due is None or kind in NO_END_KINDS else due


# --- rows and dates --------------------------------------------------------------------------


def test_by_chapter_every_measure_follows_its_problem_in_plan_order(client_for: Any) -> None:
    rows = rows_of(client_for("city_office"), group="chapter")
    measures = [r for r in rows if r["kind"] == "measure"]
    expected = list(
        Measure.objects.order_by("problem__plan_id", "problem__chapter__index", "problem__index", "seq").values_list(
            "pk", flat=True
        )
    )
    assert [r["measure_id"] for r in measures] == expected
    # Chapter → problem → measures: each measure's problem row is the last problem row above it.
    current_problem = None
    seen_problems: list[int] = []
    for r in rows:
        if r["kind"] == "problem":
            current_problem = r["problem_id"]
            seen_problems.append(current_problem)
        elif r["kind"] == "measure":
            assert r["problem_id"] == current_problem
    assert sorted(seen_problems) == sorted(Problem.objects.values_list("pk", flat=True))
    assert len(seen_problems) == len(set(seen_problems))
    chapters = [r["label"] for r in rows if r["kind"] == "chapter"]
    assert chapters[0].startswith("一、") and len(chapters) == 4


def test_bars_run_from_the_start_to_the_deadline(client_for: Any) -> None:
    # One measure with a start of its own, one whose problem has one: both win over the plan's.
    m_own = Measure.objects.filter(deadline_kind="date").order_by("pk").first()
    assert m_own is not None
    Measure.objects.filter(pk=m_own.pk).update(start_on=dt.date(2022, 4, 1))
    p_own = Problem.objects.exclude(pk=m_own.problem_id).filter(measures__deadline_kind="date").first()
    assert p_own is not None
    Problem.objects.filter(pk=p_own.pk).update(start_on=dt.date(2022, 3, 15))

    rows = {r["key"]: r for r in rows_of(client_for("city_office"), group="chapter")}
    for pk, kind, due, own, problem_own, plan_start in Measure.objects.values_list(
        "pk", "deadline_kind", "due_on", "start_on", "problem__start_on", "problem__plan__start_on"
    ):
        row = rows[f"m{pk}"]
        start = own or problem_own or plan_start
        end = expected_end(kind, due)
        if end is not None and end < start:
            start = end
        assert row["start"] == start.isoformat(), pk
        assert row["end"] == (end.isoformat() if end else None), pk
        assert row["open_ended"] is (end is None), pk
    assert rows[f"m{m_own.pk}"]["start"] == "2022-04-01"
    assert {r["start"] for r in rows.values() if r.get("problem_id") == p_own.pk} == {"2022-03-15"}
    for pk, kind, due in Problem.objects.values_list("pk", "deadline_kind", "due_on"):
        end = expected_end(kind, due)
        assert rows[f"p{pk}"]["end"] == (end.isoformat() if end else None)
    # The 长期坚持 measures of the seed are open-ended.
    ongoing = Measure.objects.filter(deadline_kind="immediate_ongoing").values_list("pk", flat=True)
    assert ongoing and all(rows[f"m{pk}"]["open_ended"] for pk in ongoing)


def test_by_unit_each_share_has_its_own_extended_deadline(client_for: Any) -> None:
    share = (
        Assignment.objects.filter(unit__name="朔城区政府", measure__deadline_kind="date", measure__due_on__isnull=False)
        .order_by("pk")
        .first()
    )
    assert share is not None and share.measure is not None
    Assignment.objects.filter(pk=share.pk).update(due_on=dt.date(2023, 3, 31), due_extended=True)
    rows = rows_of(client_for("city_office"), group="unit")
    shares = [r for r in rows if r["kind"] == "share"]
    assert len(shares) == Assignment.objects.filter(measure__isnull=False, unit__isnull=False).count()
    mine = next(r for r in shares if r["key"] == f"a{share.pk}")
    assert mine["end"] == "2023-03-31" and mine["extended"] is True
    assert "已延期" in mine["deadline"]
    others = [r for r in shares if r["measure_id"] == share.measure_id and r["key"] != f"a{share.pk}"]
    due = share.measure.due_on
    assert due is not None
    assert others and {r["end"] for r in others} == {due.isoformat()}
    # unit → its shares: every share sits under its own unit's group row, units in directory order.
    unit_of = dict(Assignment.objects.filter(measure__isnull=False).values_list("pk", "unit__name"))
    current = None
    order: list[str] = []
    for r in rows:
        if r["kind"] == "unit":
            current = r["label"]
            order.append(current)
        else:
            assert unit_of[int(r["key"][1:])] == current
            assert r["unit"] == current
    paths = dict(OrgUnit.objects.filter(name__in=order).values_list("name", "path"))
    assert order == sorted(order, key=lambda name: paths[name])
    counts = {r["label"]: r["count"] for r in rows if r["kind"] == "unit"}
    assert counts["朔城区政府"] == Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False).count()


def test_milestones_are_marks_reached_per_measure_and_per_share(client_for: Any) -> None:
    milestone = Milestone.objects.order_by("pk").first()
    assert milestone is not None
    Milestone.objects.filter(pk=milestone.pk).update(reached_on=dt.date(2022, 4, 20))
    share = Assignment.objects.filter(measure=milestone.measure, unit__isnull=False).order_by("pk").first()
    assert share is not None
    Assignment.objects.filter(pk=share.pk).update(milestones_reached={str(milestone.pk): "2022-04-20"})
    client = client_for("city_office")

    measure_row = next(r for r in rows_of(client, group="chapter") if r["key"] == f"m{milestone.measure_id}")
    expected = list(Milestone.objects.filter(measure=milestone.measure).order_by("seq").values_list("due_on", "raw"))
    assert [(m["date"], m["label"]) for m in measure_row["milestones"]] == [(d.isoformat(), raw) for d, raw in expected]
    marks = {m["label"]: m for m in measure_row["milestones"]}
    assert marks[milestone.raw]["reached"] is True
    for m in measure_row["milestones"]:
        if m["label"] != milestone.raw:
            assert m["reached"] is False
            assert m["overdue"] is (dt.date.fromisoformat(m["date"]) < TODAY)

    by_share = {r["key"]: r for r in rows_of(client, group="unit") if r.get("measure_id") == milestone.measure_id}
    assert {m["label"]: m["reached"] for m in by_share[f"a{share.pk}"]["milestones"]}[milestone.raw] is True
    others = [r for key, r in by_share.items() if key != f"a{share.pk}"]
    assert others
    assert all(not m["reached"] for r in others for m in r["milestones"] if m["label"] == milestone.raw)


def test_warning_done_and_overdue_follow_the_stored_figures(client_for: Any) -> None:
    dated = list(Measure.objects.filter(deadline_kind="date", due_on__lt=dt.date(2022, 9, 1)).order_by("pk"))
    assert len(dated) >= 2, "the seed has deadlines before September 2022"
    Measure.objects.filter(pk=dated[0].pk).update(warning_level="red")
    Measure.objects.filter(pk=dated[1].pk).update(status="closed", closed_on=dt.date(2022, 8, 1), warning_level="green")
    Measure.objects.filter(pk__in=[m.pk for m in dated[2:4]]).update(warning_level="yellow")
    rows = {r["key"]: r for r in rows_of(client_for("city_office"), group="chapter")}
    assert rows[f"m{dated[0].pk}"]["warning"] == "red" and rows[f"m{dated[0].pk}"]["overdue"] is True
    assert rows[f"m{dated[1].pk}"]["done"] is True and rows[f"m{dated[1].pk}"]["overdue"] is False
    # Overdue, counted independently: dated, before today and still open.
    overdue = set(
        Measure.objects.filter(due_on__lt=TODAY, status__in=["in_progress", "completed"])
        .exclude(deadline_kind__in=NO_END_KINDS)
        .values_list("pk", flat=True)
    )
    assert {int(k[1:]) for k, r in rows.items() if r["kind"] == "measure" and r["overdue"]} == overdue
    blank = set(Measure.objects.filter(warning_level="").values_list("pk", flat=True))
    assert {int(k[1:]) for k, r in rows.items() if r["kind"] == "measure" and r["warning"] == "none"} == blank


def test_recurring_and_annual_deadlines_are_open_ended_with_their_period_ends(client_for: Any) -> None:
    quarterly, annual = Measure.objects.filter(deadline_kind="date").order_by("-pk")[:2]
    Measure.objects.filter(pk=quarterly.pk).update(
        deadline_kind="recurring", recurrence="quarterly", deadline_raw="每季度", due_on=dt.date(2022, 9, 30)
    )
    Measure.objects.filter(pk=annual.pk).update(deadline_kind="annual", deadline_raw="按年度完成任务", due_on=None)
    data = api(client_for("city_office"), group="chapter").json()
    rows = {r["key"]: r for r in data["rows"]}
    end = dt.date.fromisoformat(data["end"])
    q = rows[f"m{quarterly.pk}"]
    assert q["open_ended"] is True and q["end"] is None
    start = dt.date.fromisoformat(q["start"])
    # Every quarter end from the start's quarter to the chart's end.
    quarter_ends = [
        d
        for y in range(start.year, end.year + 1)
        for d in (dt.date(y, 3, 31), dt.date(y, 6, 30), dt.date(y, 9, 30), dt.date(y, 12, 31))
        if d >= start and d <= end
    ]
    assert q["ticks"] == [d.isoformat() for d in quarter_ends]
    a = rows[f"m{annual.pk}"]
    assert a["open_ended"] is True
    assert a["ticks"] == [
        dt.date(y, 12, 31).isoformat() for y in range(start.year, end.year + 1) if dt.date(y, 12, 31) <= end
    ]


def test_the_axis_spans_every_bar_milestone_and_today(client_for: Any) -> None:
    data = api(client_for("city_office"), group="chapter").json()
    first = min(Measure.objects.values_list("problem__plan__start_on", flat=True))
    last = max(d for d in Measure.objects.values_list("due_on", flat=True) if d)
    assert data["start"] <= first.isoformat()
    assert data["end"] > last.isoformat() and data["end"] > TODAY.isoformat()
    assert data["today"] == TODAY.isoformat()


# --- scoping ---------------------------------------------------------------------------------


def test_a_clerk_sees_only_its_own_units_shares(client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")
    rows = rows_of(client_for("county_clerk"))  # a clerk lands on its shares
    shares = [r for r in rows if r["kind"] == "share"]
    expected = set(
        Assignment.objects.filter(unit__path__startswith=unit.path, measure__isnull=False).values_list("pk", flat=True)
    )
    assert {int(r["key"][1:]) for r in shares} == expected
    assert {r["label"] for r in rows if r["kind"] == "unit"} <= set(
        OrgUnit.objects.filter(path__startswith=unit.path).values_list("name", flat=True)
    )


def test_a_clerk_by_chapter_sees_only_the_problems_of_its_units(client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="朔城区政府")
    rows = rows_of(client_for("county_clerk"), group="chapter")
    visible = set(Assignment.objects.filter(unit__path__startswith=unit.path).values_list("problem_id", flat=True))
    assert visible and {r["problem_id"] for r in rows if r["kind"] == "problem"} == visible
    outside = Problem.objects.exclude(pk__in=visible).first()
    assert outside is not None, "some problem is none of 朔城区政府's business"
    assert all(r["problem_id"] != outside.pk for r in rows if r.get("problem_id"))


def test_a_filter_on_a_unit_outside_the_scope_shows_nothing(client_for: Any) -> None:
    other = OrgUnit.objects.get(name="市生态环境局")
    client = client_for("county_clerk")
    for group in ("unit", "chapter"):
        data = api(client, group=group, unit=other.pk).json()
        assert data["rows"] == [] and data["total"] == 0
        assert any("不在您的查看范围内" in n for n in data["notes"])
    page = client.get(reverse("dashboards:gantt"), {"unit": other.pk})
    assert page.status_code == 200
    assert "不在您的查看范围内" in page.content.decode()


@pytest.mark.parametrize("username", ["outsider", "sysadmin", "auditor"])
def test_users_without_business_data_are_refused(client_for: Any, username: str) -> None:
    client = client_for(username)
    assert client.get(reverse("dashboards:gantt")).status_code == 403
    assert client.get(reverse("dashboards:gantt_pdf")).status_code == 403
    assert api(client).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client_for: Any) -> None:
    client = client_for(None)
    for name in ("dashboards:gantt", "dashboards:gantt_pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert api(client).status_code in (401, 403)


# --- filters and grouping --------------------------------------------------------------------


def test_the_unit_filter_by_chapter_keeps_the_measures_that_unit_shares(client_for: Any) -> None:
    unit = OrgUnit.objects.get(name="市生态环境局")
    rows = rows_of(client_for("city_office"), group="chapter", unit=unit.pk)
    expected = set(Assignment.objects.filter(unit=unit, measure__isnull=False).values_list("measure_id", flat=True))
    assert {r["measure_id"] for r in rows if r["kind"] == "measure"} == expected


def test_the_county_filter_by_unit_keeps_the_shares_of_its_subtree(client_for: Any) -> None:
    county = OrgUnit.objects.get(name="朔城区")
    rows = rows_of(client_for("city_office"), group="unit", county=county.pk)
    expected = set(
        Assignment.objects.filter(unit__path__startswith=county.path, measure__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert expected and {int(r["key"][1:]) for r in rows if r["kind"] == "share"} == expected


def test_the_warning_filter_takes_several_levels_and_none(client_for: Any) -> None:
    shares = list(Assignment.objects.filter(measure__isnull=False).order_by("pk")[:6])
    Assignment.objects.filter(pk__in=[a.pk for a in shares[:2]]).update(warning_level="red")
    Assignment.objects.filter(pk__in=[a.pk for a in shares[2:5]]).update(warning_level="yellow")
    client = client_for("city_office")
    red = rows_of(client, group="unit", warning="red")
    assert {r["key"] for r in red if r["kind"] == "share"} == {f"a{a.pk}" for a in shares[:2]}
    both = rows_of(client, group="unit", warning="red,yellow")
    assert {r["key"] for r in both if r["kind"] == "share"} == {f"a{a.pk}" for a in shares[:5]}
    none = [r for r in rows_of(client, group="unit", warning="none") if r["kind"] == "share"]
    assert len(none) == Assignment.objects.filter(measure__isnull=False, warning_level="").count()


def test_the_plan_filter_and_a_missing_plan(client_for: Any) -> None:
    plan = Problem.objects.values_list("plan_id", flat=True).first()
    assert plan is not None
    client = client_for("city_office")
    data = api(client, group="chapter", plan=plan).json()
    assert data["total"] == Measure.objects.filter(problem__plan_id=plan).count()
    missing = api(client, group="chapter", plan=999999).json()
    assert missing["rows"] == [] and any("整改方案" in n for n in missing["notes"])


def test_bad_values_are_explained_in_chinese(client_for: Any) -> None:
    client = client_for("city_office")
    response = api(client, group="wall", unit="abc", warning="purple")
    assert response.status_code == 400
    text = json.dumps(response.json(), ensure_ascii=False)
    assert "分组方式" in text and "责任单位" in text and "预警等级" in text
    page = client.get(reverse("dashboards:gantt"), {"group": "wall", "unit": "abc", "warning": "purple"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "分组方式“wall”无效" in body and "预警等级“purple”无效" in body
    assert client.get(reverse("dashboards:gantt_pdf"), {"unit": "x" * 500}).status_code == 200


# --- the page --------------------------------------------------------------------------------


def test_the_page_embeds_the_rows_and_counts_them_truly(client_for: Any) -> None:
    Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False).update(warning_level="green")
    first = Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False).order_by("pk").first()
    assert first is not None
    Assignment.objects.filter(pk=first.pk).update(warning_level="red", status="closed", closed_on=dt.date(2022, 8, 1))
    client = client_for("city_office")
    county = OrgUnit.objects.get(name="朔城区")
    response = client.get(reverse("dashboards:gantt"), {"group": "unit", "county": county.pk})
    assert response.status_code == 200
    payload = response.context["payload"]
    assert payload["group"] == "unit" and payload["today"] == TODAY.isoformat()
    body = response.content.decode()
    assert 'id="gantt-data"' in body and "vendor/echarts/echarts.min.js" in body and "dashboards/gantt.js" in body
    shares = Assignment.objects.filter(unit__path__startswith=county.path, measure__isnull=False)
    counts = response.context["counts"]
    assert counts["red"] == shares.filter(warning_level="red").count() == 1
    assert counts["green"] == shares.filter(warning_level="green").count()
    assert counts["none"] == shares.filter(warning_level="").count()
    assert counts["done"] == shares.filter(status__in=["applying", "completed", "closed", "ongoing"]).count() == 1
    assert response.context["chart"].total == shares.count()
    assert f'data-testid="gantt-total">{shares.count()}<' in body
    # Every bar links to its problem page.
    for row in payload["rows"]:
        if row["kind"] == "share":
            assert row["url"].startswith(reverse("plans:problem", args=[0]).replace("0/", ""))
    assert "导出 A3 挂图" in body


def test_the_default_group_is_chapters_for_offices_and_shares_for_clerks(client_for: Any) -> None:
    assert client_for("city_office").get(reverse("dashboards:gantt")).context["filters"].group == "chapter"
    assert client_for("leader").get(reverse("dashboards:gantt")).context["filters"].group == "chapter"
    assert client_for("county_clerk").get(reverse("dashboards:gantt")).context["filters"].group == "unit"


def test_the_page_and_the_api_show_the_same_rows(client_for: Any) -> None:
    client = client_for("county_office")
    for group in ("chapter", "unit"):
        page = client.get(reverse("dashboards:gantt"), {"group": group})
        rows = rows_of(client, group=group)
        assert [r.key for r in page.context["chart"].rows] == [r["key"] for r in rows]
        assert len(page.context["payload"]["rows"]) == len(rows)


@pytest.mark.parametrize("group", ["chapter", "unit"])
def test_the_page_costs_a_fixed_number_of_queries(
    client_for: Any, django_assert_max_num_queries: Any, group: str
) -> None:
    client = client_for("city_office")
    client.get(reverse("dashboards:gantt"), {"group": group})  # warm the session and caches
    county = OrgUnit.objects.get(name="朔城区")
    with django_assert_max_num_queries(16):
        client.get(reverse("dashboards:gantt"), {"group": group})
    with django_assert_max_num_queries(18):
        client.get(reverse("dashboards:gantt"), {"group": group, "county": county.pk, "warning": "none"})
    with django_assert_max_num_queries(8):
        api(client, group=group)


# --- the A3 PDF ------------------------------------------------------------------------------


def test_the_pdf_is_a3_landscape_with_the_labels_the_city_and_the_date(client_for: Any) -> None:
    response = client_for("city_office").get(reverse("dashboards:gantt_pdf"), {"group": "chapter"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        assert len(pdf.pages) >= 2
        for page in pdf.pages:
            assert (round(float(page.width), 1), round(float(page.height), 1)) == pytest.approx(A3_LANDSCAPE, abs=1)
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        first = pdf.pages[0].extract_text() or ""
        second = pdf.pages[1].extract_text() or ""
    assert "朔州市督察整改挂图作战图" in first and "2022年9月5日" in first
    # The header is repeated on every page.
    assert "整改时限" in second and "状态 / 进度" in second and "第 2 页" in second
    for problem in Problem.objects.order_by("index"):
        assert problem.label in text
    assert "措施1" in text and "今天" in text


def test_the_pdf_of_a_clerk_holds_only_its_shares(client_for: Any) -> None:
    response = client_for("county_clerk").get(reverse("dashboards:gantt_pdf"), {"group": "unit"})
    assert response.status_code == 200
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    n = Assignment.objects.filter(unit__name="朔城区政府", measure__isnull=False).count()
    # One group heading, the clerk's own unit, with its own shares.
    assert re.findall(r"([^\s（）]+)（(\d+)项）", text) == [("朔城区政府", str(n))]
    assert f"共{n}项单位任务" in text


def test_a_chart_too_big_draws_the_first_bars_and_says_so(users: Any, client_for: Any, monkeypatch: Any) -> None:
    from rectify.dashboards import gantt

    chart = gantt.gantt_chart(viewer=users["city_office"], filters=gantt.GanttFilters(group="chapter"), limit=10)
    assert chart.total == Measure.objects.count() and chart.truncated
    assert len(chart.leaves) == 10
    assert any(f"共{chart.total}项，图中只画出前10项" in n for n in chart.notes)
    monkeypatch.setattr(gantt, "PDF_MAX_ITEMS", 5)
    response = client_for("city_office").get(reverse("dashboards:gantt_pdf"), {"group": "unit"})
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        text = pdf.pages[0].extract_text() or ""
    assert "只画出前5项" in text


# --- a generated history ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def history(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[None]:
    """Two weeks of the living demo (reports, warning scans, close-outs) played once for the
    module's last tests, rolled back at the end."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            call_command(
                "load_demo_history",
                "--weeks",
                "2",
                "--start",
                "2022-06-27",
                "--reporting-weeks",
                "1",
                stdout=io.StringIO(),
            )
            yield
            transaction.set_rollback(True)


def test_after_a_played_history_every_count_matches_the_shares(history: None, client_for: Any) -> None:
    with on(dt.date(2022, 7, 11)):
        response = client_for("city_office").get(reverse("dashboards:gantt"), {"group": "unit"})
        counts = response.context["counts"]
        shares = Assignment.objects.filter(measure__isnull=False, unit__isnull=False)
        assert shares.exclude(warning_level="").exists(), "the history's scans set warnings"
        for level in ("red", "yellow", "green"):
            assert counts[level] == shares.filter(warning_level=level).count(), level
        assert counts["none"] == shares.filter(warning_level="").count()
        assert counts["done"] == shares.filter(status__in=["applying", "completed", "closed", "ongoing"]).count()
        overdue = (
            shares.filter(Q(due_on__lt=dt.date(2022, 7, 11)) & Q(status__in=["not_started", "in_progress", "relapsed"]))
            .exclude(measure__deadline_kind__in=NO_END_KINDS)
            .count()
        )
        assert counts["overdue"] == overdue


def test_after_a_played_history_measure_rows_carry_the_roll_ups(history: None, client_for: Any) -> None:
    with on(dt.date(2022, 7, 11)):
        rows = {r["key"]: r for r in rows_of(client_for("city_office"), group="chapter")}
        for pk, level, progress, status in Measure.objects.values_list("pk", "warning_level", "progress", "status"):
            row = rows[f"m{pk}"]
            assert row["warning"] == (level or "none")
            assert row["progress"] == progress
            assert row["done"] is (status in ("closed", "ongoing"))
