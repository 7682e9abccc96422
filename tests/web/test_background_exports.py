"""Large downloads off the request path (issue 16): the ledger export, 一案一档 and the 交账
package are made by a worker (documents.jobs, documents.export_jobs, documents.handover), the
request that asks for one renders nothing and answers with its progress; the file is written to a
temporary file and stored from it, and a large stored file is hashed in chunks and then streamed
(a changed one is refused, audited and rendered again); the API's twins take the same path."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from rectify.audit.models import AuditEvent
from rectify.audit.selectors import data_version
from rectify.audit.services import record
from rectify.closeout.models import HandoverPackage
from rectify.core import clock
from rectify.core.files import stored_file_open
from rectify.documents import dossier, export_jobs, handover, jobs, services
from rectify.documents.renderers import official
from rectify.orgs.models import OrgUnit
from rectify.orgs.services import unit_rename
from rectify.plans.models import Measure, Problem

from ..task_worker import run_queued, tasks_in_the_database

pytestmark = pytest.mark.django_db

FROZEN = dt.datetime(2022, 10, 26, 2, tzinfo=dt.UTC)
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def queued(tmp_path: Path, settings: Any) -> Any:
    with tasks_in_the_database(tmp_path, settings, FROZEN) as traveller:
        yield traveller


def state(response: Any) -> str:
    match = re.search(r'data-state="(\w+)"', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="export.downloaded").order_by("seq"))


# --- streaming a stored file ----------------------------------------------------------------------


def test_a_file_over_the_in_memory_limit_is_streamed_with_the_bytes_of_the_stored_file(
    client_for: Any, users: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jobs, "IN_MEMORY_MAX", 1024)  # every rendered document counts as large
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=9)
    client = client_for("city_office")
    url = reverse("documents:circular_pdf", args=[circular.pk])
    client.get(url)
    run_queued()
    download = client.get(url)
    assert download.status_code == 200 and download.streaming  # a FileResponse, not bytes in memory
    content = body(download)
    [stored] = [p for p in (Path(default_storage.location) / "rendered").rglob("*.pdf")]
    assert content == stored.read_bytes() and content.startswith(b"%PDF")
    assert stored.name == hashlib.sha256(content).hexdigest() + ".pdf"


def test_a_changed_large_file_is_refused_audited_and_rendered_again(
    client_for: Any, users: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jobs, "IN_MEMORY_MAX", 1024)
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=9)
    client = client_for("city_office")
    url = reverse("documents:circular_docx", args=[circular.pk])
    client.get(url)
    run_queued()
    [stored] = [p for p in (Path(default_storage.location) / "rendered").rglob("*.docx")]
    stored.write_bytes(stored.read_bytes() + b"tampered")
    again = client.get(url)
    assert again.status_code == 202 and state(again) == "queued"  # not the changed bytes: a new render
    refused = AuditEvent.objects.get(action="file.refused")
    assert refused.after is not None and refused.after["problem"] == "mismatch"
    assert DBTaskResult.objects.filter(task_path=jobs.render_document.module_path).count() == 2


def test_the_streaming_reader_refuses_a_changed_file_and_never_reads_a_large_one_whole(tmp_path: Path) -> None:
    path = Path(default_storage.location) / "rendered" / "big.bin"
    path.parent.mkdir(parents=True)
    block = bytes(range(256)) * 4096  # 1 MB
    with path.open("wb") as f:
        for _ in range(64):
            f.write(block)
    digest = hashlib.sha256(block * 64).hexdigest()
    tracemalloc.start()
    opened = stored_file_open("rendered/big.bin", digest)
    assert opened is not None
    with opened:
        total = sum(len(chunk) for chunk in iter(lambda: opened.read(MB), b""))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == 64 * MB
    assert peak < 8 * MB, peak  # a few chunks, not the 64 MB file
    assert stored_file_open("rendered/big.bin", "0" * 64) is None


def test_a_job_written_to_a_file_is_hashed_and_stored_from_it_in_chunks() -> None:
    def write(path: Path) -> None:
        with path.open("wb") as f:
            for n in range(48):
                f.write(bytes([n]) * MB)

    src = jobs.Source("fp", "大文件.zip", "big.zip", "application/zip", write=write)
    tracemalloc.start()
    stored = src.store("k" * 64, "zip")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert stored.size == 48 * MB
    expected = hashlib.sha256(b"".join(bytes([n]) * MB for n in range(48))).hexdigest()
    assert stored.sha256 == expected and stored.storage_name == f"rendered/{expected[:2]}/{expected}.zip"
    assert peak < 8 * MB, peak
    assert jobs.result_get("k" * 64) == stored


# --- the ledger export ----------------------------------------------------------------------------


def test_the_ledger_export_starts_a_job_renders_nothing_in_the_request_and_sends_to_its_progress(
    client_for: Any, users: Any
) -> None:
    clerk = client_for("county_clerk")
    with mock.patch.object(export_jobs, "write_export") as write:
        started = clerk.get(reverse("documents:ledger_export") + "?format=csv&status=in_progress")
        progress = clerk.get(started["Location"])
    write.assert_not_called()
    assert started.status_code == 302 and progress.status_code == 202 and state(progress) == "queued"
    assert "整改台账_20221026.csv" in progress.content.decode()
    assert exports() == []  # nothing has left yet
    assert run_queued() == 1
    assert state(clerk.get(started["Location"] + "?job=status")) == "done"
    download = clerk.get(started["Location"])
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    text = body(download).decode("utf-8-sig")
    [event] = exports()
    assert event.actor == users["county_clerk"] and event.note == "format=csv&status=in_progress"
    assert event.after == {"export": "整改台账 .csv", "rows": event.after["rows"]} and event.after["rows"] > 0
    # Independently: the measures the clerk's filter selects are the rows counted.
    assert text.count("\n") > event.after["rows"]


@pytest.mark.parametrize("role", ["city_office", "county_clerk", "leader", "auditor"])
def test_an_export_page_is_its_requesters_alone(client_for: Any, role: str) -> None:
    started = client_for("county_office").get(reverse("documents:ledger_export") + "?format=json")
    run_queued()
    for suffix in ("", "?job=status", "?job=retry"):
        assert client_for(role).get(started["Location"] + suffix).status_code == (403 if role == "auditor" else 404)
    assert client_for("county_office").get(reverse("documents:export_job", args=[2**60])).status_code == 404
    assert exports() == []


def test_the_same_export_while_nothing_changed_is_the_stored_file_and_a_change_makes_a_new_one(
    client_for: Any, users: Any
) -> None:
    office = client_for("city_office")
    url = reverse("documents:ledger_export") + "?format=csv"
    first = office.get(url)
    assert first.status_code == 302 and run_queued() == 1
    assert office.get(first["Location"]).status_code == 200  # downloaded: audited, not a change
    # Asked again (another click, another day's reading of the same data): the same file at once.
    with mock.patch.object(export_jobs, "write_export") as write:
        again = office.get(url)
    write.assert_not_called()
    assert again.status_code == 200 and body(again).decode("utf-8-sig").count("\n") > 10
    assert DBTaskResult.objects.count() == 1 and len(exports()) == 2
    # Signing in is not a change either; a unit renamed is: a new request, a new task, a new file.
    client_for("county_clerk")
    unit = OrgUnit.objects.filter(assignments__isnull=False).distinct().first()
    unit_rename(actor=users["city_office"], unit=unit, name="新名称测试单位", version=unit.version)
    changed = office.get(url)
    assert changed.status_code == 302 and changed["Location"] != first["Location"]
    assert run_queued() == 1
    text = body(office.get(changed["Location"])).decode("utf-8-sig")
    assert "新名称测试单位" in text and "新名称测试单位" not in body(again).decode("utf-8-sig")
    # Other filters, another format or another viewer: a request of its own.
    assert office.get(url + "&status=in_progress")["Location"] != changed["Location"]
    assert client_for("county_office").get(url)["Location"] != changed["Location"]


def test_a_kept_export_request_is_looked_up_by_what_it_is_made_of(users: Any) -> None:
    office = users["city_office"]
    one = export_jobs.ledger_request(viewer=office, fmt="csv", query=QueryDict("status=in_progress"))
    assert export_jobs.ledger_request(viewer=office, fmt="csv", query=QueryDict("status=in_progress")) == one
    assert export_jobs.ledger_request(viewer=office, fmt="json", query=QueryDict("status=in_progress")) != one
    # rows: what the filter selected when first asked (independently counted)
    assert one.rows == Measure.objects.filter(status="in_progress").count() > 0
    before = data_version()
    record(actor=office, action="export.downloaded", obj=office)  # a reading
    assert data_version() == before
    assert export_jobs.ledger_request(viewer=office, fmt="csv", query=QueryDict("status=in_progress")) == one
    record(actor=office, action="calendar.changed", obj=office)  # a change
    assert data_version() > before
    assert export_jobs.ledger_request(viewer=office, fmt="csv", query=QueryDict("status=in_progress")).id != one.id
    # The dossier's trail lists downloads, so a download is a change for it; signing in is not.
    problem = Problem.objects.get(number="十八")
    dossier_one = export_jobs.dossier_request(viewer=office, problem=problem)
    record(actor=office, action="accounts.login", obj=office)
    assert export_jobs.dossier_request(viewer=office, problem=problem) == dossier_one
    record(actor=office, action="export.downloaded", obj=problem)
    assert export_jobs.dossier_request(viewer=office, problem=problem).id != dossier_one.id


# --- 一案一档 ----------------------------------------------------------------------------------------


def test_the_dossier_page_starts_a_job_then_serves_the_viewers_dossier_audited_with_its_files(
    client_for: Any, users: Any
) -> None:
    problem = Problem.objects.get(number="十八")
    clerk = client_for("dept_clerk")
    with mock.patch.object(export_jobs, "write_dossier") as write:
        started = clerk.get(reverse("documents:dossier_problem", args=[problem.pk]))
        assert clerk.get(started["Location"]).status_code == 202
    write.assert_not_called()
    assert run_queued() == 1
    download = clerk.get(started["Location"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(body(download))).namelist()
    direct = zipfile.ZipFile(io.BytesIO(dossier.build_dossier(problem, viewer=users["dept_clerk"]))).namelist()
    assert names == direct
    [event] = exports()
    assert (event.object_type, event.object_id) == ("plans.problem", str(problem.pk))
    assert event.after == {"export": "一案一档", "rows": len(names)}
    # The dossier's viewer alone; a clerk who may not see the problem never started one.
    assert client_for("dept_clerk").get(started["Location"]).status_code == 200
    assert client_for("city_office").get(started["Location"]).status_code == 404
    assert client_for("county_clerk").get(reverse("documents:dossier_problem", args=[problem.pk])).status_code == 404


# --- the 交账 package -------------------------------------------------------------------------------


def tasks_of(task: Any) -> int:
    return DBTaskResult.objects.filter(task_path=task.module_path).count()


def test_make_now_enqueues_one_task_builds_nothing_in_the_request_then_the_page_shows_the_package(
    client_for: Any,
) -> None:
    office = client_for("city_office")
    with mock.patch.object(handover, "write_package") as write:
        made = office.post(reverse("documents:handover_make"), follow=True)
        again = office.post(reverse("documents:handover_make"), follow=True)
    write.assert_not_called()
    assert not HandoverPackage.objects.exists()
    assert "已开始在后台生成本期交账包" in made.content.decode()
    card = re.search(r'data-testid="handover-job" data-state="(\w+)"', again.content.decode())
    assert (
        card and card.group(1) == "queued" and f'hx-get="{reverse("documents:handover_job")}"' in again.content.decode()
    )
    assert tasks_of(handover.handover_now_task) == 1  # not a second one while it waits
    assert run_queued() == 1
    package = HandoverPackage.objects.get()
    assert package.created_by is not None and package.created_by.username == "city_office"
    status = office.get(reverse("documents:handover_job"))
    assert 'data-state="done"' in status.content.decode() and "hx-get" not in status.content.decode()
    assert reverse("documents:handover_download", args=[package.pk]) in status.content.decode()
    download = office.get(reverse("documents:handover_download", args=[package.pk]))
    content = body(download)
    assert hashlib.sha256(content).hexdigest() == package.sha256 and len(content) == package.size


def test_a_failed_package_task_says_so_and_make_now_starts_it_again(client_for: Any) -> None:
    office = client_for("city_office")
    office.post(reverse("documents:handover_make"))
    with mock.patch.object(handover, "write_package", side_effect=RuntimeError("boom")):
        run_queued()
    page = office.get(reverse("documents:handover")).content.decode()
    assert 'data-state="failed"' in page and "文件生成失败" in page
    office.post(reverse("documents:handover_make"))
    assert tasks_of(handover.handover_now_task) == 2 and run_queued() == 1
    assert HandoverPackage.objects.count() == 1


def test_a_failed_package_task_is_no_longer_shown_once_the_period_has_its_package(client_for: Any, users: Any) -> None:
    office = client_for("city_office")
    office.post(reverse("documents:handover_make"))
    with mock.patch.object(handover, "write_package", side_effect=RuntimeError("boom")):
        run_queued()
    assert 'data-state="failed"' in office.get(reverse("documents:handover")).content.decode()
    # The package of the day the failed task was asked for is made another way (the schedule).
    handover.handover_now(actor=users["city_office"], today=clock.today())
    page = office.get(reverse("documents:handover")).content.decode()
    assert 'data-testid="handover-job"' not in page and "文件生成失败" not in page
    assert office.get(reverse("documents:handover_job")).content.decode().count('data-state="done"') == 1
    api = office.get("/api/v1/handover/packages/job/").json()
    assert api["state"] != "failed"


@pytest.mark.parametrize("role", ["leader", "county_office", "dept_clerk", "auditor"])
def test_only_the_city_office_starts_a_package_and_only_handover_viewers_see_its_state(
    client_for: Any, role: str
) -> None:
    client = client_for(role)
    assert client.post(reverse("documents:handover_make")).status_code == 403 or role == "leader"
    assert tasks_of(handover.handover_now_task) == 0
    assert client.get(reverse("documents:handover_job")).status_code == (200 if role == "leader" else 403)
    assert client.post("/api/v1/handover/packages/").status_code == 403
    assert client.get("/api/v1/handover/packages/job/").status_code == (200 if role == "leader" else 403)
    assert tasks_of(handover.handover_now_task) == 0


def test_the_package_holds_a_dossier_per_problem_written_through_files(users: Any) -> None:
    """Each dossier goes to a temporary file and is copied in: the package's entries are the same
    as the dossiers built on their own."""
    problems = list(Problem.objects.order_by("plan_id", "index")[:3])
    with mock.patch.object(handover, "closed_in", return_value=[]):
        path = Path(default_storage.location) / "p.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        fake = [mock.Mock(pk=n, problem=p, measure=None) for n, p in enumerate(problems, start=1)]
        with mock.patch.object(handover, "_row", return_value=[""] * 10):
            items = handover.write_package(dt.date(2022, 10, 1), dt.date(2022, 10, 25), path, late=fake)
    assert items == 3
    archive = zipfile.ZipFile(path)
    dossiers = [n for n in archive.namelist() if n.startswith("一案一档/")]
    assert dossiers == [f"一案一档/问题（{p.number}）.zip" for p in problems]
    for p in problems:
        inner = zipfile.ZipFile(io.BytesIO(archive.read(f"一案一档/问题（{p.number}）.zip"))).namelist()
        assert inner == zipfile.ZipFile(io.BytesIO(dossier.build_dossier(p))).namelist()


# --- the API's twins -------------------------------------------------------------------------------


def test_the_api_makes_the_package_in_the_background_with_a_status_to_poll(client_for: Any) -> None:
    office = client_for("city_office")
    with mock.patch.object(handover, "write_package") as write:
        started = office.post("/api/v1/handover/packages/")
    write.assert_not_called()
    assert started.status_code == 202 and started.json()["state"] == "queued"
    assert started["Location"] == started.json()["status_url"]
    assert office.get(started.json()["status_url"]).json()["package"] is None
    run_queued()
    done = office.get(started.json()["status_url"]).json()
    assert done["state"] == "done" and done["package"]["id"] == HandoverPackage.objects.get().pk
    file = office.get(done["package"]["download_url"])
    assert file.status_code == 200 and file.streaming
    assert hashlib.sha256(body(file)).hexdigest() == done["package"]["sha256"]


def test_the_api_document_files_render_in_the_background(client_for: Any, users: Any) -> None:
    office = client_for("city_office")
    pk = services.circular_generate(actor=users["city_office"], year=2022, month=9)[0].pk
    url = f"/api/v1/circulars/{pk}/pdf/"
    with mock.patch.object(official, "render_pdf") as render:
        started = office.get(url)
    render.assert_not_called()
    assert started.status_code == 202 and started.json()["state"] == "queued"
    assert office.get(started.json()["status_url"]).json()["state"] == "queued"
    assert office.get(url).status_code == 202  # no second task while one waits
    assert DBTaskResult.objects.filter(task_path=jobs.render_document.module_path).count() == 1
    run_queued()
    status = office.get(started.json()["status_url"])
    assert status.status_code == 200 and status.json()["state"] == "done"
    download = office.get(url)
    assert download.status_code == 200 and body(download).startswith(b"%PDF")
    for role, code in [("county_clerk", 404), ("auditor", 403)]:
        assert client_for(role).get(url).status_code == code
        assert client_for(role).get(url + "?job=status").status_code == code
