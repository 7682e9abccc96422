"""Documents pages, downloads and API: 月通报, 工作简报 and notice documents for every role × own /
other / missing, the generate/edit/issue forms, concurrent edits, Chinese file names, the
content of the .docx/.pdf, a query budget, and the chart's assets served locally."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pdfplumber
import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.documents import compose, services
from rectify.documents.models import Briefing, Circular, DocStatus
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Measure
from rectify.supervision import notices
from rectify.supervision.models import NoticeKind, SupervisionNotice

pytestmark = pytest.mark.django_db
BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
MISSING = 987654
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(autouse=True)
def frozen(tmp_path: Path, settings: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


def a_circular(users: Any, *, office: str = "city_office", issue: bool = False, month: int = 10) -> Circular:
    circular, _ = services.circular_generate(actor=users[office], year=2022, month=month)
    if issue:
        services.circular_issue(actor=users[office], circular=circular)
    return circular


def a_briefing(users: Any, *, office: str = "city_office", issue: bool = False) -> Briefing:
    b = services.briefing_draft(actor=users[office], period_start=dt.date(2022, 10, 1), period_end=dt.date(2022, 10, 8))
    if issue:
        services.briefing_issue(actor=users[office], briefing=b)
    return b


def a_notice(users: Any, *, issue: bool = False) -> SupervisionNotice:
    unit = OrgUnit.objects.get(name="朔城区政府")
    measure = Measure.objects.filter(assignments__unit=unit, due_on=dt.date(2022, 9, 30)).first()
    notice = notices.notice_draft(
        actor=users["city_office"], data=notices.NoticeInput(kind=NoticeKind.REMINDER, unit=unit, measures=[measure])
    )
    if issue:
        notices.notice_issue(actor=users["city_office"], notice=notice)
    return notice


def expected(role: str, sees: set[str]) -> int:
    return 200 if role in sees else 403 if role in NO_BUSINESS else 404


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return squash("".join(page.extract_text() or "" for page in pdf.pages))


def disposition_name(response: Any) -> str:
    header = response["Content-Disposition"]
    assert header.startswith("attachment;") and 'filename="' in header
    return header.split("filename*=UTF-8''")[1]


# --- permission matrix -----------------------------------------------------------------------

CITY_DRAFT = {"city_office", "leader"}
# The county's documents: its own office, the city-wide roles, the clerks inside the county. A
# county's draft stays with the county office: not even the city office opens it (issue 14).
COUNTY_DRAFT = {"county_office"}
COUNTY_ISSUED = {"city_office", "county_office", "leader", "acceptance", "county_clerk"}


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
@pytest.mark.parametrize(
    ("office", "issue", "sees"),
    [
        ("city_office", False, CITY_DRAFT),
        ("city_office", True, set(BUSINESS)),
        ("county_office", False, COUNTY_DRAFT),
        ("county_office", True, COUNTY_ISSUED),
    ],
)
def test_a_circular_page_and_its_word_file(
    client_for: Any, users: Any, role: str, office: str, issue: bool, sees: set[str]
) -> None:
    circular = a_circular(users, office=office, issue=issue)
    client = client_for(role)
    assert client.get(reverse("documents:circular", args=[circular.pk])).status_code == expected(role, sees)
    assert client.get(reverse("documents:circular_docx", args=[circular.pk])).status_code == expected(role, sees)
    if role in BUSINESS:
        assert client.get(reverse("documents:circular", args=[MISSING])).status_code == 404
        assert client.get(reverse("documents:circular_pdf", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
@pytest.mark.parametrize(("issue", "sees"), [(False, CITY_DRAFT), (True, set(BUSINESS))])
def test_a_briefing_page_and_its_word_file(client_for: Any, users: Any, role: str, issue: bool, sees: set[str]) -> None:
    b = a_briefing(users, issue=issue)
    client = client_for(role)
    assert client.get(reverse("documents:briefing", args=[b.pk])).status_code == expected(role, sees)
    assert client.get(reverse("documents:briefing_docx", args=[b.pk])).status_code == expected(role, sees)
    if role in BUSINESS:
        assert client.get(reverse("documents:briefing", args=[MISSING])).status_code == 404
        assert client.get(reverse("documents:briefing_docx", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
@pytest.mark.parametrize(
    ("issue", "sees"),
    [
        (False, {"city_office", "county_office"}),  # a draft stays with the offices over the unit
        (True, {"city_office", "county_office", "county_clerk", "acceptance", "leader"}),
    ],
)
def test_a_notices_word_file(client_for: Any, users: Any, role: str, issue: bool, sees: set[str]) -> None:
    notice = a_notice(users, issue=issue)
    client = client_for(role)
    assert client.get(reverse("documents:notice_docx", args=[notice.pk])).status_code == expected(role, sees)
    if role in BUSINESS:
        assert client.get(reverse("documents:notice_docx", args=[MISSING])).status_code == 404


@pytest.mark.parametrize("name", ["documents:circulars", "documents:briefings"])
@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_lists_are_open_to_business_roles(client_for: Any, role: str, name: str) -> None:
    assert client_for(role).get(reverse(name)).status_code == (200 if role in BUSINESS else 403)


def test_a_clerks_list_shows_issued_documents_only(client_for: Any, users: Any) -> None:
    a_circular(users, month=9, issue=True)
    a_circular(users, month=10)
    page = client_for("county_clerk").get(reverse("documents:circulars")).content.decode()
    assert page.count('data-testid="circular-row"') == 1 and "朔整改办通〔2022〕1号" in page
    office = client_for("city_office").get(reverse("documents:circulars")).content.decode()
    assert office.count('data-testid="circular-row"') == 2 and 'data-testid="generate-form"' in office
    assert 'data-testid="generate-form"' not in page
    a_briefing(users)
    assert (
        'data-testid="briefing-row"'
        not in client_for("dept_clerk").get(reverse("documents:briefings")).content.decode()
    )
    assert 'data-testid="briefing-row"' in client_for("leader").get(reverse("documents:briefings")).content.decode()


# --- forms -----------------------------------------------------------------------------------


def test_the_office_generates_a_month_from_the_list(client_for: Any) -> None:
    response = client_for("city_office").post(reverse("documents:circular_generate"), {"year": "2022", "month": "10"})
    circular = Circular.objects.get(year=2022, month=10)
    assert response.status_code == 302 and response["Location"] == reverse("documents:circular", args=[circular.pk])
    page = client_for("city_office").get(response["Location"]).content.decode()
    assert "关于2022年10月份生态环境保护督察整改工作情况的通报" in page
    units, counties = compose.figures_units(circular), compose.figures_counties(circular)
    units_in_region = Assignment.objects.filter(measure__isnull=False, unit__isnull=False).values("unit_id").distinct()
    assert page.count('data-testid="ranking-row"') == len(units) == units_in_region.count()
    assert (
        page.count('data-testid="county-row"')
        == len(counties)
        == OrgUnit.objects.filter(kind="region", depth=1).count()
    )
    named = compose.figures_named(circular)
    assert page.count('data-testid="named"') == len(named) > 0
    assert "（三）存在的问题。" in page and all(f.unit in page for f in units)
    assert "评分办法" in page and circular.figures["rule"] in page


@pytest.mark.parametrize("role", ["county_clerk", "dept_clerk", "leader", "acceptance"])
def test_only_an_office_generates(client_for: Any, role: str) -> None:
    response = client_for(role).post(reverse("documents:circular_generate"), {"year": "2022", "month": "9"})
    assert response.status_code == 403 and not Circular.objects.exists()


def test_a_bad_month_comes_back_as_a_message(client_for: Any) -> None:
    response = client_for("city_office").post(
        reverse("documents:circular_generate"), {"year": "2022", "month": "13"}, follow=True
    )
    assert "请选择有效的年份和月份" in response.content.decode() and not Circular.objects.exists()


def test_a_concurrent_edit_keeps_the_text_and_says_why(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    url = reverse("documents:circular", args=[circular.pk])
    seen = {"version": circular.version, "intro": "导语", "closing": "要求"}
    first, second = client_for("city_office"), client_for("city_office")
    assert first.post(url, {**seen, "title": "第一位同事的标题"}).status_code == 302
    response = second.post(url, {**seen, "title": "我刚写好的标题"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "该草稿已被他人修改，请刷新页面后重新编辑（您填写的内容已保留在下方）" in page
    assert 'value="我刚写好的标题"' in page
    circular.refresh_from_db()
    assert circular.title == "第一位同事的标题"


def test_the_office_issues_and_the_page_shows_the_number(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    response = client.post(reverse("documents:circular_issue", args=[circular.pk]), {"version": circular.version})
    assert response.status_code == 302
    page = client.get(reverse("documents:circular", args=[circular.pk])).content.decode()
    assert "朔整改办通〔2022〕1号" in page and 'id="edit-form"' not in page
    again = client.post(reverse("documents:circular_issue", args=[circular.pk]), follow=True).content.decode()
    assert "已被他人处理" in again
    refused = client_for("county_office").post(reverse("documents:circular_refresh", args=[circular.pk]))
    assert refused.status_code == 403  # it may read the city circular, not change it


def test_a_leader_reads_the_draft_without_the_edit_form(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    page = client_for("leader").get(reverse("documents:circular", args=[circular.pk])).content.decode()
    assert 'id="edit-form"' not in page and 'data-testid="issue"' not in page
    response = client_for("leader").post(reverse("documents:circular_issue", args=[circular.pk]))
    assert response.status_code == 403
    circular.refresh_from_db()
    assert circular.status == DocStatus.DRAFT


def test_the_circular_page_has_a_fixed_query_budget(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular", args=[circular.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) <= 10, [q["sql"][:80] for q in ctx.captured_queries]


def test_the_chart_reads_embedded_figures_with_assets_served_locally(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    page = client_for("city_office").get(reverse("documents:circular", args=[circular.pk])).content.decode()
    assert '<script id="circular-chart-data" type="application/json">' in page
    assert "//cdn" not in page and "https://" not in page
    scripts = re.findall(r'<script src="(/static/[^"]+)"', page)
    assert "/static/documents/circular_chart.js" in scripts
    assert "/static/vendor/echarts/echarts.min.js" in scripts
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not served locally (STATICFILES_DIRS)"


def test_a_briefing_is_drafted_edited_and_issued_from_its_pages(client_for: Any, users: Any) -> None:
    client = client_for("city_office")
    response = client.post(
        reverse("documents:briefing_new"), {"period_start": "2022-10-01", "period_end": "2022-10-08"}
    )
    b = Briefing.objects.get()
    assert response["Location"] == reverse("documents:briefing", args=[b.pk])
    page = client.get(response["Location"]).content.decode()
    assert "拟第 1 期" in page and page.count('data-testid="new-item"') == 2
    form = {
        "version": b.version,
        "series_title": "朔州市生态环境保护督察整改",
        "date": "2022-10-08",
        "editor": "李某某",
        "sections": "2",
        "s0-heading": "",
        "s0-items": "2",
        "s0-0-title": "旧头条",
        "s0-0-body": "删掉",
        "s0-0-delete": "1",
        "s0-1-title": "新头条",
        "s0-1-body": "第一段\n第二段",
        "s1-heading": "县区动态",
        "s1-items": "1",
        "s1-0-title": "",
        "s1-0-body": "",
    }
    assert client.post(response["Location"], form).status_code == 302
    b.refresh_from_db()
    assert b.sections == [
        {"heading": "", "items": [{"title": "新头条", "paragraphs": ["第一段", "第二段"]}]},
        {"heading": "县区动态", "items": []},
    ]
    assert b.editor == "李某某"
    stale = client.post(response["Location"], {**form, "s0-1-title": "过期的修改"})
    assert stale.status_code == 409 and "已被他人修改" in stale.content.decode()
    assert 'value="过期的修改"' in stale.content.decode()
    client.post(reverse("documents:briefing_issue", args=[b.pk]), {"version": b.version})
    b.refresh_from_db()
    assert (b.status, b.year, b.issue_no) == (DocStatus.ISSUED, 2022, 1)
    assert "2022年第1期" in client.get(reverse("documents:briefing", args=[b.pk])).content.decode()


def test_a_briefing_period_must_be_filled(client_for: Any) -> None:
    response = client_for("city_office").post(reverse("documents:briefing_new"), {"period_start": "x"}, follow=True)
    assert "请填写起止日期" in response.content.decode() and not Briefing.objects.exists()


# --- downloads -------------------------------------------------------------------------------


def test_an_issued_circular_downloads_as_word_and_pdf_with_its_number(client_for: Any, users: Any) -> None:
    circular = a_circular(users, issue=True)
    client = client_for("county_clerk")
    word = client.get(reverse("documents:circular_docx", args=[circular.pk]))
    assert word["Content-Type"] == DOCX
    assert disposition_name(word) == quote("朔整改办通〔2022〕1号.docx", safe="")
    text = docx_text(word.content)
    assert "朔整改办通〔2022〕1号" in text and circular.title in text.replace("\n", "")
    last, county = compose.figures_units(circular)[-1], compose.figures_counties(circular)[0]
    assert last.unit in text and last.score_text in text and "（三）存在的问题。" in text
    assert "附表2：2022年10月份各县（市、区）督察整改工作情况整体排名" in text and county.unit in text
    pdf = client.get(reverse("documents:circular_pdf", args=[circular.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert disposition_name(pdf) == quote("朔整改办通〔2022〕1号.pdf", safe="")
    assert "朔整改办通〔2022〕1号" in pdf_text(pdf.content) and "市能源局" in pdf_text(pdf.content)


def test_a_draft_circular_downloads_as_caogao(client_for: Any, users: Any) -> None:
    circular = a_circular(users, month=9)
    word = client_for("city_office").get(reverse("documents:circular_docx", args=[circular.pk]))
    assert disposition_name(word) == quote("2022年9月通报（草稿）.docx", safe="")
    assert "（草稿）" in docx_text(word.content)


def test_a_circular_counted_before_the_per_share_rule_keeps_its_words_and_table(client_for: Any, users: Any) -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module("rectify.documents.migrations.0002_circular_figures_schema2")
    circular = a_circular(users, month=9, issue=True)
    old_unit = {
        "unit_id": 1,
        "unit": "市能源局",
        "path": "0001.0008.",
        "assigned": 17,
        "completed": 2,
        "on_time": 1,
        "overdue": 6,
        "red": 6,
        "missed_periods": 1,
        "missed_items": 4,
        "notices": {"reminder": 1},
        "reopened": 0,
        "score": 52.3,
        "rank": 1,
    }
    old = {
        "as_of": "2022-09-30",
        "units": [old_unit],
        "totals": {"units": 1, "measures": 17, "completed": 2, "on_time": 1, "overdue": 6, "red": 6},
        "bottom": [],
        "rule": "评分办法：旧的评分办法。",
    }
    Circular.objects.filter(pk=circular.pk).update(figures=old)
    migration.forwards(apps, None)
    circular.refresh_from_db()
    assert circular.figures["schema"] == 1 and circular.figures["named"] == [1]
    assert circular.figures["units"][0]["shares"] == 17 and circular.figures["units"][0]["reports_owed"] is None
    text = docx_text(client_for("city_office").get(reverse("documents:circular_docx", args=[circular.pk])).content)
    assert "市能源局（6项）有整改任务已超过整改时限仍未完成" in text and "评分办法：旧的评分办法。" in text
    assert "措施数" in text and "52.3" in text
    page = client_for("city_office").get(reverse("documents:circular", args=[circular.pk])).content.decode()
    assert page.count('data-testid="ranking-row"') == 1 and "52.3" in page
    migration.forwards(apps, None)  # a second run changes nothing
    circular.refresh_from_db()
    assert circular.figures["units"][0]["shares"] == 17


def test_a_notice_downloads_with_its_number_or_as_a_draft(client_for: Any, users: Any) -> None:
    notice = a_notice(users)
    client = client_for("city_office")
    draft = client.get(reverse("documents:notice_docx", args=[notice.pk]))
    assert draft["Content-Type"] == DOCX
    assert disposition_name(draft) == quote("提醒函（草稿）.docx", safe="")
    text = docx_text(draft.content)
    assert "（草稿）" in text and notice.title in text.replace("\n", "") and "朔城区政府：" in text
    # One task: set out in full in the body, no 附件 table (issue 15: more than 3 go to the 附件).
    measure = notice.measures.get()
    assert " ".join(measure.text.split()).rstrip("。") in text and "2022年9月底" in text
    assert "附件" not in text and "…" not in text
    # The deadline is said once (issue 11): "2022年9月底", not "2022年9月底（2022年9月30日）".
    assert "2022年9月30日" not in text
    notices.notice_issue(actor=users["city_office"], notice=notice)
    pdf = client_for("county_clerk").get(reverse("documents:notice_pdf", args=[notice.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert disposition_name(pdf) == quote(f"{notice.number}.pdf", safe="")
    assert notice.number in pdf_text(pdf.content)


def test_a_briefing_downloads_as_its_issue(client_for: Any, users: Any) -> None:
    b = a_briefing(users, issue=True)
    word = client_for("dept_clerk").get(reverse("documents:briefing_docx", args=[b.pk]))
    assert word["Content-Type"] == DOCX
    assert disposition_name(word) == quote("工作简报2022年第1期.docx", safe="")
    text = docx_text(word.content)
    assert "工作简报" in text and "第 1 期" in text and "全市督察整改工作进展情况（10月1日—10月8日）" in text
    assert "（草稿）" not in text


# --- API -------------------------------------------------------------------------------------


def test_the_api_generates_edits_and_issues_a_circular(client_for: Any, users: Any) -> None:
    client = client_for("city_office")
    created = client.post("/api/v1/circulars/", {"year": 2022, "month": 10}, content_type="application/json")
    assert created.status_code == 201
    body = created.json()
    overdue = Assignment.objects.filter(measure__isnull=False, unit__isnull=False, due_on__lt=dt.date(2022, 10, 8))
    assert body["status"] == "draft" and body["number"] == "" and body["totals"]["overdue"] == overdue.count()
    circular = Circular.objects.get(pk=body["id"])
    named = compose.figures_named(circular)
    for row, f in zip(body["units"], compose.figures_units(circular), strict=True):
        assert (row["unit"], row["score"], row["rank"], row["shares"]) == (f.unit, f.score, f.rank, f.shares)
        assert row["named"] == (f.unit_id in named) and row["idle"] == f.idle
    energy = next(u for u in body["units"] if u["unit"] == "市能源局")
    assert energy["shares"] == Assignment.objects.filter(unit__name="市能源局", measure__isnull=False).count()
    assert [c["unit"] for c in body["counties"]] == [c.unit for c in compose.figures_counties(circular)]
    assert body["counties"] and all(c["units"] >= 1 for c in body["counties"])
    assert any(p.startswith("（三）存在的问题。") for p in body["paragraphs"])
    again = client.post("/api/v1/circulars/", {"year": 2022, "month": 10}, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    url = f"/api/v1/circulars/{body['id']}/"
    version = again.json()["version"]
    edit = {"version": version, "title": "标题", "intro": "导语", "closing": "要求"}
    assert client.patch(url, edit, content_type="application/json").status_code == 200
    stale = client.patch(url, edit, content_type="application/json")
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    issued = client.post(url + "issue/", {}, content_type="application/json").json()
    assert issued["number"] == "朔整改办通〔2022〕1号" and issued["status"] == "issued"
    assert client.post(url + "issue/", {}, content_type="application/json").status_code == 409


def test_the_api_is_scoped_like_the_pages(client_for: Any, users: Any) -> None:
    draft = a_circular(users, month=10)
    issued = a_circular(users, month=9, issue=True)
    clerk = client_for("county_clerk")
    listing = clerk.get("/api/v1/circulars/").json()
    assert listing["count"] == 1 and listing["results"][0]["id"] == issued.pk
    assert clerk.get(f"/api/v1/circulars/{draft.pk}/").status_code == 404
    assert clerk.get(f"/api/v1/circulars/{draft.pk}/docx/").status_code == 404
    assert clerk.post("/api/v1/circulars/", {"year": 2022, "month": 8}).status_code == 403
    assert client_for("sysadmin").get("/api/v1/circulars/").status_code == 403
    assert client_for(None).get("/api/v1/circulars/").status_code in {401, 403}
    notice = a_notice(users)
    assert client_for("dept_clerk").get(f"/api/v1/notices/{notice.pk}/docx/").status_code == 404


def test_the_api_serves_the_files_whatever_the_accept_header(users: Any) -> None:
    circular = a_circular(users, issue=True)
    _, raw = token_issue(actor=users["leader"], name="报表")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    pdf = client.get(f"/api/v1/circulars/{circular.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    word = client.get(f"/api/v1/circulars/{circular.pk}/docx/")
    assert word["Content-Type"] == DOCX and circular.number in docx_text(word.content)


def test_the_api_drafts_edits_and_issues_a_briefing(client_for: Any) -> None:
    client = client_for("city_office")
    created = client.post(
        "/api/v1/briefings/",
        {"period_start": "2022-10-01", "period_end": "2022-10-08"},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["issue_no"] is None and [s["heading"] for s in body["sections"]] == ["", "县区动态"]
    url = f"/api/v1/briefings/{body['id']}/"
    sections = [{"heading": "", "items": [{"title": "头条", "paragraphs": ["正文"]}]}]
    patched = client.patch(url, {"version": body["version"], "sections": sections}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["sections"] == sections
    issued = client.post(url + "issue/", {}, content_type="application/json").json()
    assert (issued["year"], issued["issue_no"], issued["status"]) == (2022, 1, "issued")
    word = client.get(url + "docx/")
    assert word.status_code == 200 and "第 1 期" in docx_text(word.content)
    bad = client.post("/api/v1/briefings/", {"period_start": "2022-10-08", "period_end": "2022-10-01"})
    assert bad.status_code == 400 and "起始日期" in bad.json()["detail"]
