""".doc/.wps and scanned plans: uploaded, read by a background worker with progress, reviewed, committed.

The worker is run in the test's process (tests/task_worker.run_queued) exactly as `rectify
db_worker` runs a queued task."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.ingestion import reading
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.models import ImportJob
from rectify.ingestion.parsers import parse_plan, plan_to_dict
from rectify.ingestion.parsers.ocr import ocr_available
from rectify.ingestion.parsers.office_convert import libreoffice_available
from rectify.plans.models import Plan
from tests.parsers.builders import build_docx, export_doc
from tests.parsers.field_accuracy import field_accuracy
from tests.parsers.numbered_docx import build_numbered_docx, seed_numbered
from tests.parsers.scan_builder import build_official_pdf, first_problems, image_pdf, official_font, scan_pages
from tests.task_worker import run_queued

pytestmark = pytest.mark.django_db

OTHER_TITLE = "某县贯彻落实省生态环境保护督察反馈意见整改方案"
needs_libreoffice = pytest.mark.skipif(
    not libreoffice_available(), reason="LibreOffice is not installed (apt-get install libreoffice-writer-nogui)"
)
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="the OCR package is not installed (pip install .[ocr])")


def other_plan_text() -> str:
    return SEED_PLAN.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", OTHER_TITLE
    )


def short_plan_lines() -> list[str]:
    """The other county's plan cut to its title and the attachment's first two problems."""
    return first_problems(other_plan_text())


@pytest.fixture(autouse=True)
def queued(tmp_path: Path, settings: Any) -> None:
    """Tasks queue in the database (a worker runs them), files go to this test's own media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def upload(client: Any, name: str, data: bytes) -> Any:
    return client.post(reverse("ingestion:upload"), {"file": SimpleUploadedFile(name, data)})


@pytest.fixture(scope="module")
def other_doc(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if not libreoffice_available():
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    return export_doc(build_docx(other_plan_text().splitlines()), tmp_path_factory.mktemp("doc"))


@pytest.fixture(scope="module")
def short_scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[Any]]:
    lines = short_plan_lines()
    font = official_font("\n".join(lines), tmp_path_factory.mktemp("font") / "fang.ttf")
    pages = scan_pages(build_official_pdf(lines, font))
    return image_pdf(pages), pages


@needs_libreoffice
@pytest.mark.parametrize("name", ["plan.doc", "方案.wps"])
def test_a_doc_or_wps_is_converted_in_the_background_then_reviewed_and_committed(
    client_for: Any, other_doc: bytes, name: str
) -> None:
    client = client_for("city_office")
    response = upload(client, name, other_doc)
    assert response.status_code == 302
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.READING and not Plan.objects.filter(title=OTHER_TITLE).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'id="reading-progress"' in page and "LibreOffice" in page and 'http-equiv="refresh"' in page
    assert run_queued() == 1
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REVIEWING
    # the same JSON as the plan's text
    assert job.parsed == plan_to_dict(parse_plan(other_plan_text()))
    assert job.progress_done == job.progress_total == 1
    review = client.get(response["Location"]).content.decode()
    assert 'id="count-problems">34<' in review and 'id="ocr-notice"' not in review
    client.post(reverse("ingestion:commit", args=[job.pk]))
    assert Plan.objects.get(title=OTHER_TITLE).problems.count() == 34
    assert AuditEvent.objects.filter(action="import.uploaded", object_id=str(job.pk)).exists()


@needs_ocr
def test_a_scan_is_read_page_by_page_and_reviewed_beside_its_page_images(
    client_for: Any, short_scan: tuple[bytes, list[Any]]
) -> None:
    data, pages = short_scan
    client = client_for("city_office")
    response = upload(client, "扫描件.pdf", data)
    assert response.status_code == 302
    job = ImportJob.objects.latest("created_at")
    assert (job.status, job.progress_done, job.progress_total) == (ImportJob.Status.READING, 0, len(pages))
    page = client.get(response["Location"]).content.decode()
    assert f"已读 0 / {len(pages)} 页" in page and "文字识别" in page
    run_queued()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.REVIEWING, job.error
    assert job.progress_done == len(pages) and len(job.ocr["pages"]) == len(pages)
    expected = plan_to_dict(parse_plan("\n".join(short_plan_lines())))
    got = job.parsed
    assert [p["number"] for p in got["problems"]] == [p["number"] for p in expected["problems"]] == ["一", "二"]
    assert [len(p["measures"]) for p in got["problems"]] == [len(p["measures"]) for p in expected["problems"]]
    assert got["title"].replace(" ", "") == expected["title"].replace(" ", "") == OTHER_TITLE
    # each problem names the scanned pages it was read from, and they hold its text
    spans = job.ocr["problems"]
    assert spans["1"][0] == 1 and spans["2"][0] >= spans["1"][0] and spans["2"][1] <= len(pages)
    review = client.get(response["Location"]).content.decode()
    assert 'id="ocr-notice"' in review and f"（{len(pages)} 页" in review
    assert review.count('class="badge text-bg-info text-decoration-none ocr-mark"') == 2
    image_url = reverse("ingestion:page", args=[job.pk, spans["2"][0]])
    assert f'src="{image_url}"' in review and "对照原件第" in review
    image = client.get(image_url)
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"
    assert client_for("county_office").get(image_url).status_code == 404
    assert client.get(reverse("ingestion:page", args=[job.pk, len(pages) + 1])).status_code == 404
    client.post(reverse("ingestion:commit", args=[job.pk]))
    plan = Plan.objects.get(title=OTHER_TITLE)
    assert plan.problems.count() == 2


def test_a_docx_numbered_by_word_imports_through_the_review_page_as_its_text(client_for: Any) -> None:
    # read at once (no worker): the problems' （一） and the measures' 1. come from Word's numbering
    client = client_for("city_office")
    data = build_numbered_docx(seed_numbered(other_plan_text().splitlines()))
    response = upload(client, "方案（自动编号）.docx", data)
    assert response.status_code == 302
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.REVIEWING
    assert job.parsed == plan_to_dict(parse_plan(other_plan_text()))
    review = client.get(response["Location"]).content.decode()
    assert 'id="count-problems">34<' in review and 'id="count-measures">92<' in review
    client.post(reverse("ingestion:commit", args=[job.pk]))
    assert Plan.objects.get(title=OTHER_TITLE).problems.count() == 34


# OCR of the seed's 42 pages takes a minute and a half and reads no database: it runs in the
# SQLite pass only (the PostgreSQL pass of .ci/run keeps the short scans)
ONCE_ONLY = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the seed's whole scan is read in the SQLite pass"
)


@ONCE_ONLY
@needs_ocr
def test_the_seed_plans_scan_imports_through_the_review_page(client_for: Any, tmp_path: Path) -> None:
    text = other_plan_text()
    font = official_font(text, tmp_path / "fang.ttf")
    pages = scan_pages(build_official_pdf(text.splitlines(), font))
    client = client_for("city_office")
    response = upload(client, "方案扫描件.pdf", image_pdf(pages))
    assert response.status_code == 302
    run_queued()
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.REVIEWING, job.error
    accuracy = field_accuracy(plan_to_dict(parse_plan(text)), job.parsed)
    assert accuracy.ratio >= 0.95, "\n".join(accuracy.wrong)
    review = client.get(response["Location"]).content.decode()
    assert 'id="count-problems">34<' in review and 'id="count-measures">92<' in review
    assert review.count("ocr-mark") == 34  # every problem marked as read by OCR, with its pages
    client.post(reverse("ingestion:commit", args=[job.pk]))
    plan = Plan.objects.get(title=OTHER_TITLE)
    assert plan.problems.count() == 34


@needs_ocr
def test_a_multi_page_tiff_from_a_scanner_is_read_too(
    client_for: Any, short_scan: tuple[bytes, list[Any]], tmp_path: Path
) -> None:
    _data, pages = short_scan
    path = tmp_path / "scan.tif"
    frames = [page.convert("L") for page in pages]
    for frame in frames:
        frame.info = {}  # the JPEG's own settings are no TIFF encoder arguments
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    client = client_for("city_office")
    response = upload(client, "scan.tif", path.read_bytes())
    assert response.status_code == 302
    run_queued()
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.REVIEWING, job.error
    assert job.progress_total == len(pages) and [p["number"] for p in job.parsed["problems"]] == ["一", "二"]


@needs_ocr
def test_one_page_of_a_plan_fails_with_what_was_found(
    client_for: Any, short_scan: tuple[bytes, list[Any]], tmp_path: Path
) -> None:
    path = tmp_path / "page.png"
    short_scan[1][0].save(path)
    client = client_for("city_office")
    upload(client, "page.png", path.read_bytes())
    run_queued()
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.FAILED and "未找到整改措施清单" in job.error


@needs_ocr
def test_a_scan_with_no_text_fails_with_a_message_and_can_be_discarded(client_for: Any) -> None:
    from PIL import Image

    blank = image_pdf([Image.new("RGB", (1240, 1754), "white")])
    client = client_for("city_office")
    response = upload(client, "blank.pdf", blank)
    run_queued()
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.FAILED and "没有识别出文字" in job.error
    page = client.get(response["Location"]).content.decode()
    assert 'id="reading-error"' in page and "没有识别出文字" in page and 'http-equiv="refresh"' not in page
    client.post(reverse("ingestion:discard", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED
    assert AuditEvent.objects.filter(action="import.read_failed", object_id=str(job.pk)).exists()


@needs_ocr
def test_a_job_discarded_while_it_is_read_stays_discarded(client_for: Any, short_scan: tuple[bytes, list[Any]]) -> None:
    client = client_for("city_office")
    upload(client, "scan.pdf", image_pdf(short_scan[1][:1]))
    job = ImportJob.objects.latest("created_at")
    client.post(reverse("ingestion:discard", args=[job.pk]))
    run_queued()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DISCARDED and job.parsed == {}


def test_without_libreoffice_or_ocr_the_upload_says_what_to_install(
    client_for: Any, monkeypatch: pytest.MonkeyPatch, short_scan: tuple[bytes, list[Any]]
) -> None:
    client = client_for("city_office")
    before = ImportJob.objects.count()
    monkeypatch.setattr(reading, "libreoffice_available", lambda: False)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024 + "WordDocument".encode("utf-16-le")
    response = upload(client, "plan.doc", ole)
    assert response.status_code == 400
    assert "libreoffice-writer-nogui" in response.content.decode() and ".docx" in response.content.decode()
    monkeypatch.setattr(reading, "ocr_available", lambda: False)
    response = upload(client, "scan.pdf", image_pdf(short_scan[1][:1]))
    assert response.status_code == 400 and "rapidocr-onnxruntime" in response.content.decode()
    assert ImportJob.objects.count() == before
    # the rest works: a .txt plan is read at once
    assert upload(client, "plan.txt", other_plan_text().encode()).status_code == 302


# --- a worker that dies, a discard while reading, a queue that fails ---------------------------


def _ole() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024 + "WordDocument".encode("utf-16-le")


@needs_libreoffice
def test_a_job_whose_worker_died_says_so_instead_of_reading_forever(client_for: Any) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from rectify.core import clock

    client = client_for("city_office")
    response = upload(client, "plan.doc", _ole())
    job = ImportJob.objects.latest("created_at")
    task = DBTaskResult.objects.get(pk=job.task_id)
    # queued behind other work for a long time: still waiting, not stale
    ImportJob.objects.filter(pk=job.pk).update(updated_at=clock.now() - dt.timedelta(hours=1))
    assert 'id="reading-progress"' in client.get(response["Location"]).content.decode()
    # a worker took it and was killed: no progress for over ten minutes
    DBTaskResult.objects.filter(pk=task.pk).update(status=TaskResultStatus.RUNNING)
    page = client.get(response["Location"]).content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "读取中断" in job.error
    assert 'id="reading-error"' in page and "读取中断" in page
    assert AuditEvent.objects.filter(action="import.read_failed", object_id=str(job.pk)).exists()


@needs_libreoffice
def test_a_job_whose_task_ended_without_moving_it_is_failed_at_once(client_for: Any) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    client = client_for("city_office")
    upload(client, "plan.doc", _ole())
    job = ImportJob.objects.latest("created_at")
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.FAILED)
    assert reading.expire_if_stale(job).status == ImportJob.Status.FAILED


@needs_ocr
def test_discarding_while_a_scan_is_read_stops_the_reading(
    client_for: Any, short_scan: tuple[bytes, list[Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rectify.ingestion.parsers import ocr

    calls: list[int] = []

    def engine(image: Any, **kwargs: Any) -> tuple[list[Any], float]:
        calls.append(1)
        ImportJob.objects.filter(status=ImportJob.Status.READING).update(status=ImportJob.Status.DISCARDED)
        return [], 0.0

    monkeypatch.setattr(ocr, "_engine", lambda: engine)
    client = client_for("city_office")
    upload(client, "scan.pdf", short_scan[0])
    run_queued()
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.DISCARDED and len(calls) == 1  # not the other pages
    assert len(short_scan[1]) > 1 and job.ocr == {}


def test_a_queue_that_fails_leaves_no_job_behind(client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the task queue is down")

    from types import SimpleNamespace

    monkeypatch.setattr(reading, "read_import", SimpleNamespace(enqueue=broken))
    monkeypatch.setattr(reading, "libreoffice_available", lambda: True)
    before = ImportJob.objects.count()
    with pytest.raises(RuntimeError):
        reading.import_start(actor=_user("city_office"), data=_ole(), filename="plan.doc")
    assert ImportJob.objects.count() == before


@needs_libreoffice
def test_a_failure_after_reading_fails_the_job_instead_of_leaving_it_reading(
    client_for: Any, other_doc: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rectify.ingestion import services

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "job_parsed", broken)
    client = client_for("city_office")
    upload(client, "plan.doc", other_doc)
    run_queued()  # the worker logs the error; the job says what happened
    job = ImportJob.objects.latest("created_at")
    assert job.status == ImportJob.Status.FAILED and "内部错误" in job.error


@needs_libreoffice
def test_corrections_are_refused_while_the_file_is_read(client_for: Any) -> None:
    client = client_for("city_office")
    response = upload(client, "plan.doc", _ole())
    job = ImportJob.objects.latest("created_at")
    answer = client.post(reverse("ingestion:review_update", args=[job.pk]), {"version": job.version}, follow=True)
    assert answer.status_code == 200 and "不在待审核状态" in answer.content.decode()
    assert client.get(response["Location"]).status_code == 200


def test_an_eps_named_png_is_refused_without_starting_ghostscript() -> None:
    from rectify.ingestion.parsers import PlanReadError
    from rectify.ingestion.parsers.ocr import scan_page_count

    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(PlanReadError, match="图片文件已损坏或格式无法识别"):
        scan_page_count(eps, "page.png")


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)
