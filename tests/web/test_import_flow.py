"""Upload → review → commit in the browser's terms, and bad input that changes nothing."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from rectify.audit.models import AuditEvent
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.models import ImportJob
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Plan, Problem

pytestmark = pytest.mark.django_db

OTHER_TITLE = "某县贯彻落实省生态环境保护督察反馈意见整改方案"


def other_plan_bytes(encoding: str = "utf-8") -> bytes:
    text = SEED_PLAN.read_text(encoding="utf-8").replace(
        "朔州市贯彻落实省生态环境保护督察 反馈意见整改方案", OTHER_TITLE
    )
    return text.encode(encoding)


def upload(client: Any, name: str, data: bytes) -> Any:
    return client.post(reverse("ingestion:upload"), {"file": SimpleUploadedFile(name, data)})


def snapshot() -> tuple[int, int, int, int]:
    return Plan.objects.count(), Problem.objects.count(), Assignment.objects.count(), ImportJob.objects.count()


def test_upload_review_correct_and_commit(client_for: Any) -> None:
    client = client_for("city_office")
    response = upload(client, "plan.txt", other_plan_bytes("gbk"))
    assert response.status_code == 302
    job = ImportJob.objects.latest("created_at")
    assert Problem.objects.count() == 34  # nothing in the ledger yet
    review = client.get(response["Location"]).content.decode()
    title = review.split("<title>")[1].split("</title>")[0]
    assert title.startswith("审核导入") and "<script" not in title
    assert 'id="count-problems">34<' in review and 'id="count-measures">92<' in review
    assert "市直相关部门" in review and "展开 6 个" in review
    # The coordinator maps 市直相关部门 to two departments and corrects （五）'s deadline.
    water = OrgUnit.objects.get(name="市水利局")
    energy = OrgUnit.objects.get(name="市能源局")
    client.post(
        reverse("ingestion:review_update", args=[job.pk]),
        {
            "version": job.version,
            "map::市直相关部门": [water.pk, energy.pk],
            "deadline::5": "2022年12月底",
            "start_on": "2022-02-25",
        },
    )
    job.refresh_from_db()
    assert job.overrides["units"]["市直相关部门"] == [water.pk, energy.pk]
    response = client.post(reverse("ingestion:commit", args=[job.pk]))
    assert response.status_code == 302
    plan = Plan.objects.get(title=OTHER_TITLE)
    first = plan.problems.get(number="一")
    assert set(first.assignments.filter(measure__isnull=True).values_list("unit__name", flat=True)) >= {
        "市水利局",
        "市能源局",
    }
    assert not first.assignments.filter(needs_confirmation=True).exists()
    fifth = plan.problems.get(number="五")
    assert (fifth.deadline_kind, str(fifth.due_on)) == ("date", "2022-12-31")
    assert AuditEvent.objects.filter(action="plan.imported", object_id=str(plan.pk)).exists()
    # A second click on the same commit is refused, not duplicated.
    client.post(reverse("ingestion:commit", args=[job.pk]))
    assert Plan.objects.filter(title=OTHER_TITLE).count() == 1


def test_a_second_upload_of_the_seed_is_flagged_as_already_imported(client_for: Any) -> None:
    client = client_for("city_office")
    response = upload(client, "seed.txt", SEED_PLAN.read_bytes())
    page = client.get(response["Location"]).content.decode()
    assert "该方案已导入过" in page
    job = ImportJob.objects.latest("created_at")
    client.post(reverse("ingestion:commit", args=[job.pk]))
    assert Plan.objects.count() == 1


def test_another_coordinators_import_job_is_not_found(client_for: Any) -> None:
    upload(client_for("city_office"), "plan.txt", other_plan_bytes())
    job = ImportJob.objects.latest("created_at")
    assert client_for("county_office").get(reverse("ingestion:review", args=[job.pk])).status_code == 404
    assert client_for("county_office").post(reverse("ingestion:commit", args=[job.pk])).status_code == 404


def zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b"a" * (300 * 1024 * 1024) + b">")
    return buffer.getvalue()


def scanned_pdf() -> bytes:
    # A valid one-page PDF with no text layer (what a scanner without OCR produces).
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 100, style="F")
    return bytes(pdf.output())


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.txt", lambda: b"", "空"),
        ("bomb.docx", zip_bomb_docx, ""),
        ("huge.txt", lambda: b"x" * (50 * 1024 * 1024), "文件过大"),
        ("notes.txt", lambda: "这是一份会议纪要，没有整改清单。".encode(), ""),
        ("plan.exe", lambda: b"MZ", "不支持的文件格式"),
        ("broken.docx", lambda: b"PK\x03\x04 not really a zip", ""),
    ],
)
def test_bad_input_gets_a_chinese_message_and_changes_nothing(
    client_for: Any, name: str, make: Any, message: str
) -> None:
    client = client_for("city_office")
    before = snapshot()
    response = upload(client, name, make())
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="upload-error"' in page
    error = page.split('id="upload-error">')[1].split("</div>")[0]
    assert message in error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error)
    assert snapshot() == before
