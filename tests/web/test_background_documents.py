"""Heavy documents off the request path (documents.jobs, on django-tasks' database backend): the
request that asks for a 月通报 or the public 一览表 PDF enqueues one task and answers at once with a
progress page; the page polls `?job=status` (排队中 → 生成中 → 已完成 / 失败); a worker renders and
stores the file; the download is the same bytes as rendering directly; unchanged data is served
at once without a task; and every endpoint is scoped exactly like the download was."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from rectify.complaints import importing
from rectify.complaints import services as complaint_services
from rectify.complaints.models import ComplaintBatch
from rectify.complaints.synthetic import batch_file
from rectify.documents import compose, jobs, services
from rectify.documents.models import Circular
from rectify.documents.renderers import official
from rectify.plans.models import Problem
from rectify.portal import views as portal_views

from ..task_worker import run_queued, tasks_in_the_database

FROZEN = dt.datetime(2022, 10, 8, 2, tzinfo=dt.UTC)
BUSINESS = ["city_office", "county_office", "county_clerk", "dept_clerk", "acceptance", "leader"]
NO_BUSINESS = ["sysadmin", "auditor", "outsider"]
CITY_DRAFT = {"city_office", "leader"}


@pytest.fixture(autouse=True)
def queued(tmp_path: Path, settings: Any) -> Any:
    with tasks_in_the_database(tmp_path, settings, FROZEN) as traveller:
        yield traveller


def tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=jobs.render_document.module_path))


def a_circular(users: Any) -> Circular:
    circular, _ = services.circular_generate(actor=users["city_office"], year=2022, month=9)
    return circular


def state(response: Any) -> str:
    match = re.search(r'data-state="(\w+)"', response.content.decode())
    assert match, response.content.decode()[:500]
    return match.group(1)


# --- the 月通报 ---------------------------------------------------------------------------------


def test_the_request_enqueues_one_task_and_answers_at_once_with_progress(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular_pdf", args=[circular.pk])
    with mock.patch.object(official, "render_pdf") as render:
        started = time.perf_counter()
        first = client.get(url)
        elapsed = time.perf_counter() - started
        again = client.get(url)
    render.assert_not_called()  # nothing is rendered inside the request
    assert elapsed < 1.0  # generous: the browser test and docs/benchmarks.md give the real figure
    assert first.status_code == 202 and state(first) == "queued"
    assert "排队中" in first.content.decode() and f"{url}?job=status" in first.content.decode()
    assert again.status_code == 202
    assert len(tasks()) == 1  # no second task for the same data while one waits
    assert tasks()[0].args_kwargs["kwargs"]["pk"] == circular.pk


def test_the_status_endpoint_goes_queued_running_done_then_the_file_is_the_same_as_rendering_directly(
    client_for: Any, users: Any
) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular_pdf", args=[circular.pk])
    client.get(url)
    status = client.get(url + "?job=status", HTTP_HX_REQUEST="true")
    assert (
        status.status_code == 202 and state(status) == "queued" and 'hx-trigger="every 1s"' in status.content.decode()
    )
    task = tasks()[0]
    task.claim("somewhere")
    status = client.get(url + "?job=status")
    assert state(status) == "running" and "生成中" in status.content.decode()
    task.status = TaskResultStatus.READY
    task.save()
    assert run_queued() == 1
    status = client.get(url + "?job=status")
    assert state(status) == "done" and "已完成" in status.content.decode()
    assert "hx-get" not in status.content.decode()  # polling stops
    assert 'data-testid="job-download"' in status.content.decode()
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    direct = official.render_pdf(compose.circular_document(Circular.objects.get(pk=circular.pk)))
    assert _pdf_body(download.content) == _pdf_body(direct)


def _pdf_body(pdf: bytes) -> bytes:
    """A PDF without its creation/modification dates (the only bytes two renders may differ in)."""
    return re.sub(rb"/(CreationDate|ModDate) \(D:[^)]*\)", b"", pdf)


def test_unchanged_data_is_served_at_once_without_a_task_and_changed_data_renders_again(
    client_for: Any, users: Any
) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular_docx", args=[circular.pk])
    client.get(url)
    run_queued()
    with mock.patch.object(official, "render_docx") as render:
        served = client.get(url)
    render.assert_not_called()
    assert served.status_code == 200 and served.content.startswith(b"PK")
    assert len(tasks()) == 1
    Circular.objects.filter(pk=circular.pk).update(title="关于九月份整改情况的通报")
    assert client.get(url).status_code == 202  # the words changed: a new file
    assert len(tasks()) == 2


def test_a_failed_task_says_so_in_chinese_and_retry_starts_a_new_one(client_for: Any, users: Any) -> None:
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular_pdf", args=[circular.pk])
    client.get(url)
    with mock.patch.object(official, "render_pdf", side_effect=RuntimeError("boom")):
        run_queued()
    status = client.get(url + "?job=status")
    assert state(status) == "failed"
    assert "文件生成失败" in status.content.decode() and "重新生成" in status.content.decode()
    assert len(tasks()) == 1  # a poll does not start it again
    retry = client.get(url + "?job=retry")
    assert retry.status_code == 202 and state(retry) == "queued"
    assert len(tasks()) == 2
    run_queued()
    assert client.get(url).status_code == 200


def test_a_lost_running_task_is_started_again(client_for: Any, users: Any, settings: Any) -> None:
    settings.RECTIFY_JOB_STALE_SECONDS = 60
    circular = a_circular(users)
    client = client_for("city_office")
    url = reverse("documents:circular_pdf", args=[circular.pk])
    client.get(url)
    tasks()[0].claim("killed-worker")
    DBTaskResult.objects.update(started_at=FROZEN - dt.timedelta(minutes=5))
    assert state(client.get(url + "?job=status")) == "queued"
    assert len(tasks()) == 2


@pytest.mark.parametrize("role", BUSINESS + NO_BUSINESS)
def test_who_may_not_download_gets_no_status_no_retry_no_file_and_starts_no_task(
    client_for: Any, users: Any, role: str
) -> None:
    circular = a_circular(users)  # a city draft: the city office and the leader only
    url = reverse("documents:circular_pdf", args=[circular.pk])
    client_for("city_office").get(url)
    run_queued()
    client = client_for(role)
    allowed = 200 if role in CITY_DRAFT else 403 if role in NO_BUSINESS else 404
    assert client.get(url).status_code == allowed
    # The status of a rendered file is 202 (a page, not the file); a retry of it serves the file.
    assert client.get(f"{url}?job=status").status_code == (202 if role in CITY_DRAFT else allowed)
    assert client.get(f"{url}?job=retry").status_code == allowed
    assert len(tasks()) == 1


# --- the public 一览表 PDF ------------------------------------------------------------------------


@pytest.fixture
def batch(users: Any, settings: Any) -> ComplaintBatch:
    name, data = batch_file(8, batch_no=5)
    job = importing.case_import_prepare(actor=users["city_office"], data=data, filename=name)
    batch = importing.case_import_commit(
        actor=users["city_office"], job=job, problem=Problem.objects.get(number="十八")
    )
    complaint_services.batch_publish(actor=users["city_office"], batch=batch)
    return batch


def test_the_public_pdf_shows_progress_then_the_file_and_the_page_cache_keeps_neither_progress_nor_polls(
    batch: ComplaintBatch, settings: Any
) -> None:
    settings.RECTIFY_PUBLIC_CACHE_SECONDS = 60
    url = reverse("portal:complaint_batch_pdf", args=[batch.pk])
    visitor = Client()
    first = visitor.get(url)
    assert first.status_code == 202 and state(first) == "queued"
    assert "正在生成" in first.content.decode() and "htmx-2.min.js" in first.content.decode()
    assert visitor.get(url).status_code == 202 and len(tasks()) == 1
    run_queued()
    download = visitor.get(url)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    # The file is now in the page cache under its path; a poll still gets its status, not the PDF.
    poll = visitor.get(url + "?job=status")
    assert poll.status_code == 202 and state(poll) == "done"
    with mock.patch.object(portal_views, "render_pdf") as render:
        assert Client().get(url).content == download.content
    render.assert_not_called()


def test_a_withdrawn_batch_is_not_found_for_the_file_the_status_and_the_retry(
    batch: ComplaintBatch, users: Any
) -> None:
    url = reverse("portal:complaint_batch_pdf", args=[batch.pk])
    Client().get(url)
    run_queued()
    batch.cases.update(public_text={})  # no longer published
    for suffix in ("", "?job=status", "?job=retry"):
        assert Client().get(url + suffix).status_code == 404
