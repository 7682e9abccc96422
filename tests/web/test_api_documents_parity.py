"""Whatever the documents pages do, the API does (issue 17): 月通报 and 工作简报 drafts refreshed,
edited in part and cancelled; the 简报's 报/送/发 lines, HTML and photos; its numbering; 县区动态
稿件 submitted, picked and declined; 交账 (schedule, make, download); and the ledger export and a
problem's 一案一档 as background jobs with a status to poll (documents.jobs on django-tasks'
database backend, run by tests/task_worker.run_queued) — each scoped like its page."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from rectify.closeout.models import HandoverPackage, HandoverSchedule
from rectify.documents import export_jobs, services
from rectify.documents.handover import handover_make
from rectify.documents.models import Briefing, Circular, CountyItem, CountyItemStatus, DocStatus
from rectify.plans.models import Problem

from ..task_worker import run_queued
from .test_briefing import city_visit, jpeg
from .test_weekly_loop import BUSINESS, MISSING, NO_BUSINESS

pytestmark = pytest.mark.django_db
JSON = "application/json"
FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
START, END = dt.date(2022, 10, 1), dt.date(2022, 10, 8)
LINES = {"report_to": "省督察整改办", "copy_to": "市协调联络领导小组各成员单位", "send_to": "各县（市、区）整改办"}


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(FROZEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def queued(settings: Any) -> Any:
    """Tasks queue in the database; a worker (run_queued) renders them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(FROZEN, tick=True) as traveller:
        yield traveller


def token_client(user: Any, *, read_only: bool = False) -> Client:
    _, raw = token_issue(actor=user, name="接口", read_only=read_only)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


# --- 月通报 -------------------------------------------------------------------------------------


def test_a_circular_draft_is_refreshed_edited_in_part_and_cancelled(frozen: Any, client_for: Any, users: Any) -> None:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=9)
    office, url = client_for("city_office"), f"/api/v1/circulars/{circular.pk}/"
    refreshed = office.post(url + "refresh/")
    assert refreshed.status_code == 200 and refreshed.json()["version"] == circular.version + 1
    # Only the introduction is sent: the title and closing stay, the version read is checked.
    edited = office.patch(url, {"intro": "九月各单位整改总体平稳。"}, content_type=JSON)
    assert edited.status_code == 200, edited.json()
    stored = Circular.objects.get(pk=circular.pk)
    assert (stored.title, stored.intro, stored.closing) == (
        circular.title,
        "九月各单位整改总体平稳。",
        circular.closing,
    )
    stale = office.patch(url, {"title": "覆盖", "version": circular.version}, content_type=JSON)
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    assert office.patch(url, {"title": "  "}, content_type=JSON).json() == {"title": ["该字段不能为空。"]}
    # The leader reads the city's draft but may not touch it; a county clerk does not see it.
    assert client_for("leader").post(url + "refresh/").status_code == 403
    assert client_for("leader").post(url + "cancel/").status_code == 403
    assert client_for("county_clerk").post(url + "cancel/").status_code == 404
    assert office.post(f"/api/v1/circulars/{MISSING}/cancel/").status_code == 404
    cancelled = office.post(url + "cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == DocStatus.CANCELLED
    assert office.post(url + "refresh/").status_code == 409
    actions = set(AuditEvent.objects.filter(object_type="documents.circular").values_list("action", flat=True))
    assert {"circular.refreshed", "circular.updated", "circular.cancelled"} <= actions


# --- 工作简报 -----------------------------------------------------------------------------------


def test_a_briefing_carries_its_lines_html_and_photos_through_the_api(frozen: Any, client_for: Any, users: Any) -> None:
    visit = city_visit(users)
    office = client_for("city_office")
    created = office.post("/api/v1/briefings/", {"period_start": "2022-10-01", "period_end": "2022-10-08"})
    url = f"/api/v1/briefings/{created.json()['id']}/"
    body = office.get(url).json()
    lead = body["sections"][0]["items"][0]
    photo = {"source": "visit", "id": visit.photos.get().pk}
    assert lead["photos"] == [photo] and lead["source"] == {"kind": "visit", "id": visit.pk}
    assert {"report_to", "copy_to", "send_to"} <= body.keys()
    choices = office.get(url + "photo-choices/").json()
    assert [(c["key"], c["source"], c["id"]) for c in choices] == [(f"visit-{photo['id']}", "visit", photo["id"])]
    # The lines alone: the sections stay as they were.
    lines = office.patch(url, LINES, content_type=JSON)
    assert lines.status_code == 200 and {k: lines.json()[k] for k in LINES} == LINES
    assert lines.json()["sections"] == body["sections"]
    # An item written as the editor's HTML: sanitized, its paragraphs derived, the photo kept; a
    # photo the briefing may not carry is dropped.
    item = {"title": "标题", "html": "<p>第一段<script>x</script></p><p><strong>要求</strong></p>", "photos": [photo]}
    other = {"title": "另稿", "paragraphs": ["正文"], "photos": [{"source": "visit", "id": MISSING}]}
    sections = [{"heading": "", "items": [item, other]}]
    saved = office.patch(url, {"sections": sections}, content_type=JSON)
    assert saved.status_code == 200, saved.json()
    first, second = saved.json()["sections"][0]["items"]
    assert "<script>" not in first["html"] and first["paragraphs"] == ["第一段", "**要求**"]
    assert first["photos"] == [photo] and "photos" not in second
    stored = Briefing.objects.get(pk=body["id"])
    assert (stored.report_to, stored.copy_to, stored.send_to) == tuple(LINES.values())
    bad_item = {"title": "x", "photos": [{"source": "web", "id": 1}]}
    bad = office.patch(url, {"sections": [{"heading": "", "items": [bad_item]}]}, content_type=JSON)
    assert bad.status_code == 400
    # Cancelled: refused afterwards, like the page.
    assert client_for("leader").post(url + "cancel/").status_code == 403
    assert office.post(url + "cancel/").json()["status"] == DocStatus.CANCELLED
    assert office.patch(url, {"editor": "某"}, content_type=JSON).json() == {
        "detail": "已印发或已作废的简报不能再修改。"
    }
    assert office.get(url + "photo-choices/").json() == []


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_the_briefing_numbering_is_set_by_an_office(frozen: Any, client_for: Any, role: str) -> None:
    client = client_for(role)
    answer = client.post("/api/v1/briefings/series/", {"year": 2022, "last_no": 28}, content_type=JSON)
    if role in {"city_office", "county_office"}:
        assert answer.status_code == 200 and answer.json() == {"year": 2022, "last_no": 28, "issued_max": 0}
        assert client.get("/api/v1/briefings/series/").json()["last_no"] == 28
    else:
        assert answer.status_code == 403 and answer.json()["detail"] == "只有整改办可以设置工作简报期数。"
        assert client.get("/api/v1/briefings/series/").status_code == 403


def test_the_numbering_cannot_go_below_an_issued_one(frozen: Any, client_for: Any, users: Any) -> None:
    office = client_for("city_office")
    office.post("/api/v1/briefings/series/", {"year": 2022, "last_no": 5}, content_type=JSON)
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    services.briefing_issue(actor=users["city_office"], briefing=draft)
    low = office.post("/api/v1/briefings/series/", {"year": 2022, "last_no": 3}, content_type=JSON)
    assert (
        low.status_code == 400
        and low.json()["detail"] == "本系统已印发2022年第6期，上一期不能设为第3期（期数不能重复）。"
    )


# --- 县区动态 稿件 -------------------------------------------------------------------------------


def submit(client: Client, title: str) -> Any:
    photo = io.BytesIO(jpeg("blue"))
    photo.name = "照片.jpg"
    return client.post("/api/v1/county-items/", {"title": title, "body": "第一段\n\n第二段", "photos": [photo]})


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_a_county_office_submits_items(frozen: Any, client_for: Any, role: str) -> None:
    answer = submit(client_for(role), "稿件")
    if role == "county_office":
        assert answer.status_code == 201
        body = answer.json()
        assert (body["status"], body["status_label"], len(body["photos"])) == ("submitted", "待采用", 1)
        assert body["body"] == "<p>第一段</p><p>第二段</p>"
        listed = client_for(role).get("/api/v1/county-items/").json()
        assert [i["id"] for i in listed["results"]] == [body["id"]]
    else:
        assert answer.status_code == 403 and "只有县（市、区）整改办" in answer.json()["detail"]
        assert client_for(role).get("/api/v1/county-items/").status_code == 403
    assert CountyItem.objects.count() == (1 if role == "county_office" else 0)


def test_an_item_without_a_title_is_refused_in_chinese(frozen: Any, client_for: Any) -> None:
    answer = client_for("county_office").post("/api/v1/county-items/", {"title": "", "body": "正文"})
    assert answer.status_code == 400 and answer.json() == {"detail": "请填写稿件的标题和正文。"}


def test_the_city_picks_in_order_and_declines_county_items(frozen: Any, client_for: Any, users: Any) -> None:
    county, city = client_for("county_office"), client_for("city_office")
    a, b, c = (submit(county, title).json() for title in ("甲稿", "乙稿", "丙稿"))
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    url = f"/api/v1/briefings/{draft.pk}/county-items/"
    assert [i["title"] for i in city.get(url).json()] == ["甲稿", "乙稿", "丙稿"]
    assert client_for("leader").get(url).status_code == 403
    picked = city.post(url + "pick/", {"version": draft.version, "items": [b["id"], a["id"]]}, content_type=JSON)
    assert picked.status_code == 200, picked.json()
    county_section = picked.json()["sections"][1]
    assert [i["title"] for i in county_section["items"]] == ["乙稿", "甲稿"]
    assert county_section["items"][0]["photos"] == [{"source": "county", "id": b["photos"][0]["id"]}]
    stale = city.post(url + "pick/", {"version": draft.version, "items": [c["id"]]}, content_type=JSON)
    assert stale.status_code == 409
    declined = city.post(url + f"{c['id']}/decline/", {"note": "内容与上期重复"}, content_type=JSON)
    assert declined.status_code == 200 and (declined.json()["status"], declined.json()["note"]) == (
        "declined",
        "内容与上期重复",
    )
    again = city.post(url + f"{c['id']}/decline/", {}, content_type=JSON)
    assert again.status_code == 409 and again.json()["detail"] == "该稿件已被他人处理，请刷新页面后查看最新状态。"
    states = {i.title: i.status for i in CountyItem.objects.all()}
    assert states == {"甲稿": CountyItemStatus.ADOPTED, "乙稿": CountyItemStatus.ADOPTED, "丙稿": "declined"}
    mine = county.get(f"/api/v1/county-items/{c['id']}/").json()
    assert (mine["status_label"], mine["note"]) == ("未采用", "内容与上期重复")
    photo_url = f"/api/v1/county-items/{a['id']}/photos/{a['photos'][0]['id']}/"
    photo = county.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg" and body_of(photo) == jpeg("blue")
    stored = CountyItem.objects.get(pk=a["id"]).photos.get()
    default_storage.delete(stored.storage_name)
    gone = city.get(photo_url)
    assert gone.status_code == 410 and gone.json()["detail"]
    assert AuditEvent.objects.filter(action="file.refused", object_id=str(stored.pk)).exists()


@pytest.mark.parametrize(
    ("role", "pick", "item"),
    [("city_office", 200, 200), ("county_office", 404, 200), ("county_clerk", 404, 404), ("leader", 403, 404),
     ("dept_clerk", 404, 404), ("outsider", 403, 404)],
)  # fmt: skip
def test_picking_and_reading_items_by_role(
    frozen: Any, client_for: Any, users: Any, role: str, pick: int, item: int
) -> None:
    submitted = submit(client_for("county_office"), "稿件").json()
    draft = services.briefing_draft(actor=users["city_office"], period_start=START, period_end=END)
    url = f"/api/v1/briefings/{draft.pk}/county-items/pick/"
    answer = client_for(role).post(url, {"version": draft.version, "items": [submitted["id"]]}, content_type=JSON)
    assert answer.status_code == pick
    assert client_for(role).get(f"/api/v1/county-items/{submitted['id']}/").status_code == item
    expected = CountyItemStatus.ADOPTED if role == "city_office" else CountyItemStatus.SUBMITTED
    assert CountyItem.objects.get().status == expected


# --- 交账 ---------------------------------------------------------------------------------------


HANDOVER_VIEWERS = {"city_office", "leader"}


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_only_the_city_office_sets_the_schedule_and_makes_a_package(client_for: Any, role: str) -> None:
    client = client_for(role)
    read = client.get("/api/v1/handover/schedule/")
    assert read.status_code == (200 if role in HANDOVER_VIEWERS else 403)
    changed = client.put("/api/v1/handover/schedule/", {"days": [20, 5], "recipient": "省整改办"}, content_type=JSON)
    with time_machine.travel(dt.datetime(2022, 10, 26, 2, tzinfo=dt.UTC), tick=False):
        made = client.post("/api/v1/handover/packages/")
    if role == "city_office":
        assert changed.status_code == 200 and changed.json()["days"] == [5, 20]
        assert made.status_code == 201 and made.json()["period_end"] == "2022-10-26"
        assert HandoverSchedule.objects.get(pk=1).recipient == "省整改办"
    else:
        assert changed.status_code == made.status_code == 403
        assert not HandoverPackage.objects.exists()
    if role == "leader":
        assert changed.json()["detail"] == "只有市整改办可以设置交账日程。"


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ([], "请至少设置一个交账日。"),
        ([10, 31], "交账日应为每月 1 日至 28 日之间的日期（每个月都有），31 不在此范围内。"),
    ],
)
def test_the_schedule_explains_what_is_wrong(client_for: Any, days: list[int], message: str) -> None:
    answer = client_for("city_office").put(
        "/api/v1/handover/schedule/", {"days": days, "recipient": "省整改办"}, content_type=JSON
    )
    assert answer.status_code == 400 and answer.json() == {"detail": message}


def test_making_twice_answers_with_the_package_made_and_it_downloads_audited(client_for: Any) -> None:
    office = client_for("city_office")
    with time_machine.travel(dt.datetime(2022, 10, 26, 2, tzinfo=dt.UTC), tick=False):
        first = office.post("/api/v1/handover/packages/")
        again = office.post("/api/v1/handover/packages/")
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    listed = client_for("leader").get("/api/v1/handover/packages/").json()
    assert [p["id"] for p in listed["results"]] == [first.json()["id"]]
    assert listed["results"][0]["created_by_name"] == "市整改办 王明"
    download = client_for("leader").get(listed["results"][0]["download_url"], HTTP_ACCEPT="application/zip")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "交账汇总表.xlsx" in zipfile.ZipFile(io.BytesIO(body_of(download))).namelist()
    assert quote("交账包_") in download["Content-Disposition"]
    event = AuditEvent.objects.get(action="export.downloaded", object_id=str(first.json()["id"]))
    assert event.after == {"export": "交账包", "rows": first.json()["items"]}


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_package_download_own_missing_gone(client_for: Any, role: str) -> None:
    package = handover_make(actor="交账程序", period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25))
    client = client_for(role)
    url = f"/api/v1/handover/packages/{package.pk}/file/"
    assert client.get(url).status_code == (200 if role in HANDOVER_VIEWERS else 403)
    missing = client.get(f"/api/v1/handover/packages/{MISSING}/file/")
    assert missing.status_code == (404 if role in HANDOVER_VIEWERS else 403)
    if role == "leader":
        default_storage.delete(package.storage_name)
        assert client.get(url).status_code == 410


# --- exports as background jobs -----------------------------------------------------------------


def page_download(client: Any, url: str) -> bytes:
    """The pages' way: the request starts the job and sends the browser to its progress page,
    which serves the file once a worker rendered it."""
    started = client.get(url)
    assert started.status_code == 302, started
    assert client.get(started["Location"]).status_code == 202  # the progress page
    assert run_queued() == 1
    download = client.get(started["Location"])
    assert download.status_code == 200
    return body_of(download)


def body_of(response: Any) -> bytes:
    """A download's bytes: a stored file is streamed once its SHA-256 was checked (issue 16)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_ledger_export_is_queued_polled_and_downloaded_as_the_page_exports_it(
    queued: Any, client_for: Any, users: Any
) -> None:
    clerk = client_for("county_clerk")
    started = clerk.post("/api/v1/exports/ledger/?status=in_progress&page_size=5", {"format": "csv"})
    assert started.status_code == 202, started.json()
    job = started.json()
    assert (job["kind"], job["format"], job["state"], job["label"]) == ("ledger", "csv", "queued", "排队中")
    assert job["download_url"] is None and started["Location"] == job["status_url"]
    assert clerk.get(job["status_url"]).json()["state"] == "queued"
    waiting = clerk.get(f"/api/v1/exports/{job['id']}/file/")
    assert waiting.status_code == 202 and waiting.json()["state"] == "queued"
    assert not AuditEvent.objects.filter(action="export.downloaded").exists()  # nothing has left yet
    assert run_queued() == 1
    done = clerk.get(job["status_url"]).json()
    assert done["state"] == "done" and done["label"] == "已完成" and done["download_url"]
    download = clerk.get(done["download_url"], HTTP_ACCEPT="text/csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    page = page_download(clerk, reverse("documents:ledger_export") + "?format=csv&status=in_progress")
    assert download.content == page
    event = AuditEvent.objects.filter(action="export.downloaded").order_by("seq").first()
    assert event is not None and event.actor == users["county_clerk"] and event.note == "status=in_progress"
    assert event.after is not None and event.after["export"] == "整改台账 .csv"


def test_an_export_is_its_requesters_alone(queued: Any, client_for: Any, users: Any) -> None:
    job = client_for("city_office").post("/api/v1/exports/ledger/", {"format": "xlsx"}).json()
    for role in ("county_clerk", "leader", "auditor"):
        assert client_for(role).get(f"/api/v1/exports/{job['id']}/").status_code == 404
        assert client_for(role).get(f"/api/v1/exports/{job['id']}/file/").status_code == 404
    assert client_for("city_office").get(f"/api/v1/exports/{MISSING}/").status_code == 404
    assert client_for("sysadmin").post("/api/v1/exports/ledger/", {"format": "xlsx"}).status_code == 403
    assert client_for("city_office").post("/api/v1/exports/ledger/", {"format": "pdf"}).status_code == 400
    # A read-only token polls and downloads, but asking for an export is a POST: a write token's.
    reader = token_client(users["city_office"], read_only=True)
    assert reader.get(f"/api/v1/exports/{job['id']}/").json()["state"] == "queued"
    assert reader.post("/api/v1/exports/ledger/", {"format": "xlsx"}).status_code == 403


def test_a_failed_export_says_so_and_is_retried(queued: Any, client_for: Any) -> None:
    office = client_for("city_office")
    job = office.post("/api/v1/exports/ledger/", {"format": "json"}).json()
    with mock.patch.object(export_jobs, "write_export", side_effect=RuntimeError("boom")):
        run_queued()
    failed = office.get(job["status_url"]).json()
    assert failed["state"] == "failed" and failed["label"] == "失败" and "重新生成" in failed["message"]
    retried = office.post(f"/api/v1/exports/{job['id']}/retry/")
    assert retried.status_code == 202 and retried.json()["state"] == "queued"
    assert run_queued() == 1
    download = office.get(f"/api/v1/exports/{job['id']}/file/")
    assert download.status_code == 200 and download.json()["plans"]


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_a_dossier_job_is_scoped_like_the_page(queued: Any, client_for: Any, role: str) -> None:
    # 问题（十八）: 市生态环境局 alone (dept_clerk's unit); the county sees none of it.
    seers = {"city_office", "acceptance", "leader", "dept_clerk"}
    client = client_for(role)
    problem = Problem.objects.get(number="十八")
    answer = client.post(f"/api/v1/problems/{problem.pk}/dossier/")
    expected = 202 if role in seers else 403 if role in NO_BUSINESS else 404
    assert answer.status_code == expected
    assert client.post(f"/api/v1/problems/{MISSING}/dossier/").status_code == (403 if role in NO_BUSINESS else 404)


def test_a_dossier_job_gives_the_pages_dossier_and_is_audited_with_its_files(
    queued: Any, client_for: Any, users: Any
) -> None:
    clerk = client_for("dept_clerk")
    problem = Problem.objects.get(number="十八")
    job = clerk.post(f"/api/v1/problems/{problem.pk}/dossier/").json()
    assert (job["kind"], job["format"], job["problem"], job["filename"]) == (
        "dossier",
        "zip",
        problem.pk,
        "问题（十八）一案一档.zip",
    )
    assert run_queued() == 1
    download = clerk.get(job["status_url"].replace(f"/{job['id']}/", f"/{job['id']}/file/"))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    page = page_download(clerk, reverse("documents:dossier_problem", args=[problem.pk]))
    assert names == zipfile.ZipFile(io.BytesIO(page)).namelist()
    events = AuditEvent.objects.filter(action="export.downloaded", object_id=str(problem.pk)).order_by("seq")
    assert [e.after for e in events] == [{"export": "一案一档", "rows": len(names)}] * 2  # the API's, the page's


def test_with_tasks_run_in_the_request_the_job_is_done_at_once(client_for: Any) -> None:
    office = client_for("city_office")
    job = office.post("/api/v1/exports/ledger/", {"format": "json"}).json()
    assert job["state"] == "done" and job["download_url"]
    assert office.get(job["download_url"]).status_code == 200


def test_options_and_huge_ids_never_answer_500(client_for: Any) -> None:
    from rectify.api.urls_documents_extra import urlpatterns

    client = client_for("city_office")
    for pattern in urlpatterns:
        route = str(pattern.pattern)
        for value in ("1", "99999999999999999999"):
            url = "/api/v1/" + route.replace("<int:pk>", value).replace("<int:item_id>", "1")
            url = url.replace("<int:photo_id>", "1")
            assert client.options(url).status_code < 500, url
            assert client.get(url).status_code < 500, url
