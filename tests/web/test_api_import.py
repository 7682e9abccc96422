"""/api/v1/plan-imports/: upload → review (read, correct) → commit or discard, as the pages of
rectify.ingestion do it — the same plan in the ledger, the same audit trail, the same refusals in
the same words, the same access (403 for a role that may not import, 404 for another's job)."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent
from rectify.ingestion import reading, services
from rectify.ingestion.demo import SEED_PLAN
from rectify.ingestion.models import ImportJob
from rectify.ingestion.parsers.ocr import ocr_available
from rectify.ingestion.parsers.office_convert import libreoffice_available
from rectify.orgs.models import OrgUnit
from rectify.plans.models import Assignment, Plan
from tests.parsers.builders import build_docx, export_doc
from tests.task_worker import run_queued
from tests.web.test_import_flow import OTHER_TITLE, other_plan_bytes, scanned_pdf, snapshot

pytestmark = pytest.mark.django_db
OFFICE = "city_office"
IMPORTS = "/api/v1/plan-imports/"


def api_upload(client: Client, name: str, data: bytes) -> Any:
    return client.post(IMPORTS, {"file": SimpleUploadedFile(name, data)})


def page_upload(client: Client, name: str, data: bytes) -> Any:
    return client.post(reverse("ingestion:upload"), {"file": SimpleUploadedFile(name, data)})


def patch(client: Client, job_id: int, body: dict[str, Any]) -> Any:
    return client.patch(f"{IMPORTS}{job_id}/", body, content_type="application/json")


def corrections() -> tuple[int, int]:
    return OrgUnit.objects.get(name="市水利局").pk, OrgUnit.objects.get(name="市能源局").pk


def ledger_of(plan: Plan) -> list[Any]:
    """Everything an import writes for a plan, without its row ids."""
    rows: list[Any] = [(plan.title, str(plan.start_on), plan.source_name, plan.fingerprint)]
    for problem in plan.problems.order_by("index"):
        rows.append(
            (
                problem.number,
                problem.text,
                problem.deadline_kind,
                str(problem.due_on),
                problem.acceptance_unit_id,
                [(m.number, m.text, str(m.due_on), m.milestones.count()) for m in problem.measures.order_by("seq")],
                sorted(
                    (a.unit_id or 0, a.phrase, a.role, a.measure.seq if a.measure else 0, a.needs_confirmation)
                    for a in Assignment.objects.filter(problem=problem).select_related("measure")
                ),
            )
        )
    return rows


def audit_of(plan: Plan, job: ImportJob) -> list[Any]:
    events = AuditEvent.objects.filter(object_type="ingestion.importjob", object_id=str(job.pk)).order_by("at", "id")
    imported = AuditEvent.objects.filter(action__in=["plan.imported", "problem.imported"]).filter(
        object_id__in=[str(plan.pk), *(str(pk) for pk in plan.problems.values_list("pk", flat=True))]
    )
    return [e.action for e in events] + sorted(e.action for e in imported)


def test_upload_review_correct_and_commit_write_the_same_plan_as_the_pages(client_for: Any) -> None:
    water, energy = corrections()
    client = client_for(OFFICE)
    # Through the pages, in a savepoint rolled back afterwards: what the ledger and the audit log get.
    with transaction.atomic():
        page_upload(client, "plan.txt", other_plan_bytes("gbk"))
        job = ImportJob.objects.latest("created_at")
        form = {"version": job.version, "map::市直相关部门": [water, energy], "deadline::5": "2022年12月底"}
        client.post(reverse("ingestion:review_update", args=[job.pk]), {**form, "start_on": "2022-02-25"})
        client.post(reverse("ingestion:commit", args=[job.pk]))
        by_page = ledger_of(Plan.objects.get(title=OTHER_TITLE))
        page_audit = audit_of(Plan.objects.get(title=OTHER_TITLE), job)
        transaction.set_rollback(True)
    assert not Plan.objects.filter(title=OTHER_TITLE).exists()

    response = api_upload(client, "plan.txt", other_plan_bytes("gbk"))
    assert response.status_code == 201, response.content
    job_data = response.json()
    assert (job_data["status"], job_data["status_label"]) == ("reviewing", "待审核")
    review = job_data["review"]
    assert (review["title"], review["counts"]["problems"], review["counts"]["measures"]) == (OTHER_TITLE, 34, 92)
    assert review["duplicate_of"] is None and job_data["ocr"] is None
    first = review["problems"][0]
    group = next(u for u in first["units"] if u["phrase"] == "市直相关部门")
    assert (group["status"], group["status_label"], len(group["units"])) == ("pending", "待确认（候选）", 16)
    assert "市直相关部门" in review["pending_phrases"]
    fanned = [u for p in review["problems"] for u in p["units"] if u["group"] and u["status"] == "resolved"]
    assert any(len(u["units"]) == 6 and u["status_label"] == "展开" for u in fanned)  # the page's “展开 6 个”
    fifth = next(p for p in review["problems"] if p["index"] == 5)
    assert fifth["deadline_overridden"] is False

    body = {
        "version": job_data["version"],
        "units": {"市直相关部门": [water, energy]},
        "deadlines": {"5": "2022年12月底"},
        "start_on": "2022-02-25",
    }
    response = patch(client, job_data["id"], body)
    assert response.status_code == 200, response.content
    corrected = response.json()
    assert corrected["version"] == job_data["version"] + 1 and corrected["start_on"] == "2022-02-25"
    group = next(u for u in corrected["review"]["problems"][0]["units"] if u["phrase"] == "市直相关部门")
    assert group["overridden"] and [u["id"] for u in group["units"]] == [water, energy]
    fifth = next(p for p in corrected["review"]["problems"] if p["index"] == 5)
    assert fifth["deadline_overridden"] and (fifth["deadline"]["kind"], fifth["deadline"]["due"]) == (
        "date",
        "2022-12-31",
    )

    response = client.post(f"{IMPORTS}{job_data['id']}/commit/")
    assert response.status_code == 201, response.content
    result = response.json()
    plan = Plan.objects.get(title=OTHER_TITLE)
    assert (result["plan"]["id"], result["plan"]["problem_count"]) == (plan.pk, 34)
    assert (result["job"]["status"], result["job"]["plan"]) == ("committed", plan.pk)
    assert ledger_of(plan) == by_page
    assert audit_of(plan, ImportJob.objects.get(pk=job_data["id"])) == page_audit
    assert "import.reviewed" in page_audit and "plan.imported" in page_audit

    # A second commit is refused, not duplicated: the service's words, 409.
    again = client.post(f"{IMPORTS}{job_data['id']}/commit/")
    assert again.status_code == 409
    assert again.json()["detail"] == "该导入任务已被处理（已导入或已放弃），请勿重复提交。"
    assert Plan.objects.filter(title=OTHER_TITLE).count() == 1
    listed = client.get(IMPORTS).json()["results"]
    assert listed[0]["id"] == job_data["id"] and "review" not in listed[0]


def test_a_patch_changes_only_what_it_sends_and_a_stale_version_is_409(client_for: Any) -> None:
    water, energy = corrections()
    client = client_for(OFFICE)
    job = api_upload(client, "plan.txt", other_plan_bytes()).json()
    first = patch(client, job["id"], {"version": job["version"], "units": {"市直相关部门": [water]}}).json()
    second = patch(client, job["id"], {"version": first["version"], "deadlines": {"5": "2022年12月底"}})
    assert second.status_code == 200
    saved = ImportJob.objects.get(pk=job["id"])
    assert saved.overrides == {"units": {"市直相关部门": [water]}, "deadlines": {"5": "2022年12月底"}}
    assert str(saved.start_on) == job["start_on"]
    # sending a deadline as the plan wrote it is no correction (the review form sends them all back)
    raw_six = next(p for p in first["review"]["problems"] if p["index"] == 6)["deadline"]["raw"]
    patch(client, job["id"], {"version": saved.version, "deadlines": {"6": raw_six}})
    assert "6" not in ImportJob.objects.get(pk=job["id"]).overrides["deadlines"]

    stale = patch(client, job["id"], {"version": job["version"], "units": {"市直相关部门": [energy]}})
    assert stale.status_code == 409
    assert stale.json()["detail"] == "该导入任务已被他人修改或已导入，请刷新页面。"
    assert ImportJob.objects.get(pk=job["id"]).overrides["units"] == {"市直相关部门": [water]}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"deadlines": {"5": "择机"}}, 400, "第5个问题的整改时限“择机”无法识别。"),
        ({"start_on": "2022/02/25"}, 400, "整改起始日格式应为 YYYY-MM-DD。"),
        ({"units": {"不在方案里的称谓": [1]}}, 400, "方案中没有这些单位称谓：不在方案里的称谓。"),
        ({"deadlines": {"99": "2022年12月底"}}, 400, "方案中没有这些问题序号：99。"),
        ({"units": {"市直相关部门": [999999]}}, 400, "单位不存在或已停用：999999。"),
    ],
)
def test_a_bad_correction_is_refused_in_chinese_and_changes_nothing(
    client_for: Any, body: dict[str, Any], status: int, message: str
) -> None:
    client = client_for(OFFICE)
    job = api_upload(client, "plan.txt", other_plan_bytes()).json()
    response = patch(client, job["id"], {"version": job["version"], **body})
    assert response.status_code == status
    assert message in str(response.json())
    saved = ImportJob.objects.get(pk=job["id"])
    assert (saved.version, saved.overrides) == (job["version"], {})


def test_a_second_upload_of_the_seed_names_the_plan_and_its_commit_is_refused(client_for: Any) -> None:
    client = client_for(OFFICE)
    seed = Plan.objects.order_by("pk").first()
    assert seed is not None
    job = api_upload(client, "seed.txt", SEED_PLAN.read_bytes()).json()
    assert job["review"]["duplicate_of"] == {"id": seed.pk, "title": seed.title}
    before = snapshot()
    response = client.post(f"{IMPORTS}{job['id']}/commit/")
    assert response.status_code == 400
    assert response.json()["detail"] == f"该方案已导入（“{seed.title}”），不会重复创建。"
    assert snapshot() == before and ImportJob.objects.get(pk=job["id"]).status == "reviewing"


def test_discard_leaves_the_ledger_untouched_and_is_audited(client_for: Any) -> None:
    client = client_for(OFFICE)
    job = api_upload(client, "plan.txt", other_plan_bytes()).json()
    before = snapshot()
    response = client.post(f"{IMPORTS}{job['id']}/discard/")
    assert response.status_code == 200 and response.json()["status"] == "discarded"
    assert snapshot() == before
    assert AuditEvent.objects.filter(action="import.discarded", object_id=str(job["id"])).exists()
    refused = client.post(f"{IMPORTS}{job['id']}/commit/")
    assert refused.status_code == 409 and "已放弃" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("empty.txt", lambda: b""),
        ("notes.txt", lambda: "这是一份会议纪要，没有整改清单。".encode()),
        ("plan.exe", lambda: b"MZ"),
        ("broken.docx", lambda: b"PK\x03\x04 not really a zip"),
        ("scan.pdf", scanned_pdf),
        ("big.txt", lambda: b"x" * (2 * 1024 * 1024)),
    ],
)
def test_bad_input_gets_the_pages_message_and_changes_nothing(
    client_for: Any, settings: Any, name: str, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.RECTIFY_MAX_UPLOAD_BYTES = 1024 * 1024
    # a scan without OCR installed is refused before reading, with the same words on both
    monkeypatch.setattr(reading, "ocr_available", lambda: False)
    client = client_for(OFFICE)
    before = snapshot()
    page = page_upload(client, name, make())
    assert page.status_code == 400
    expected = html.unescape(page.content.decode().split('id="upload-error">')[1].split("</div>")[0]).strip()
    response = api_upload(client, name, make())
    assert response.status_code == 400
    assert response.json()["detail"] == expected
    assert snapshot() == before


def test_an_upload_without_a_file_is_refused_as_on_the_page(client_for: Any) -> None:
    response = client_for(OFFICE).post(IMPORTS, {})
    assert response.status_code == 400 and response.json()["detail"] == "请选择要上传的方案文件。"


@pytest.mark.parametrize("role", ["county_clerk", "dept_clerk", "acceptance", "leader", "sysadmin", "auditor"])
def test_a_role_that_may_not_import_is_refused_like_on_the_page(client_for: Any, role: str) -> None:
    job = api_upload(client_for(OFFICE), "plan.txt", other_plan_bytes()).json()
    client = client_for(role)
    assert page_upload(client, "plan.txt", other_plan_bytes()).status_code == 403
    for response in (
        api_upload(client, "plan.txt", other_plan_bytes()),
        client.get(IMPORTS),
        client.get(f"{IMPORTS}{job['id']}/"),
        patch(client, job["id"], {"version": job["version"]}),
        client.post(f"{IMPORTS}{job['id']}/commit/"),
        client.post(f"{IMPORTS}{job['id']}/discard/"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "只有整改办可以导入整改方案。"
    assert ImportJob.objects.count() == 1


def test_another_coordinators_job_is_not_found_and_a_missing_one_neither(client_for: Any) -> None:
    job = api_upload(client_for(OFFICE), "plan.txt", other_plan_bytes()).json()
    county = client_for("county_office")
    assert county.get(reverse("ingestion:review", args=[job["id"]])).status_code == 404
    for pk in (job["id"], 999999):
        assert county.get(f"{IMPORTS}{pk}/").status_code == 404
        assert patch(county, pk, {"version": 1}).status_code == 404
        assert county.post(f"{IMPORTS}{pk}/commit/").status_code == 404
        assert county.post(f"{IMPORTS}{pk}/discard/").status_code == 404
    assert county.get(IMPORTS).json()["count"] == 0
    assert ImportJob.objects.get(pk=job["id"]).status == "reviewing"
    # the county office imports its own plans (a coordinator may)
    assert api_upload(county, "plan.txt", other_plan_bytes()).status_code == 201


def test_a_read_only_token_reads_the_jobs_but_cannot_upload_or_commit(users: Any, client_for: Any) -> None:
    job = api_upload(client_for(OFFICE), "plan.txt", other_plan_bytes()).json()
    _, raw = token_issue(actor=users[OFFICE], name="只读", read_only=True)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"{IMPORTS}{job['id']}/").status_code == 200
    assert api_upload(client, "plan.txt", other_plan_bytes()).status_code == 403
    assert client.post(f"{IMPORTS}{job['id']}/commit/").status_code == 403
    _, raw = token_issue(actor=users[OFFICE], name="读写")
    committed = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(f"{IMPORTS}{job['id']}/commit/")
    assert committed.status_code == 201


# --- read in the background -----------------------------------------------------------------------


@pytest.fixture
def queued(tmp_path: Path, settings: Any) -> Iterator[None]:
    """Tasks queue in the database (run_queued is the worker), files go to this test's own media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    yield


@pytest.mark.skipif(not libreoffice_available(), reason="LibreOffice is not installed")
def test_a_doc_is_read_in_the_background_with_progress_then_reviewed_and_committed(
    client_for: Any, queued: None, tmp_path: Path
) -> None:
    lines = other_plan_bytes().decode().splitlines()
    client = client_for(OFFICE)
    response = api_upload(client, "plan.doc", export_doc(build_docx(lines), tmp_path))
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["status"], job["progress_done"], job["progress_total"], job["review"]) == ("reading", 0, 1, None)
    assert patch(client, job["id"], {"version": job["version"]}).status_code == 409  # not yet to review
    assert run_queued() == 1
    read = client.get(f"{IMPORTS}{job['id']}/").json()
    assert (read["status"], read["progress_done"], read["progress_total"]) == ("reviewing", 1, 1)
    assert read["review"]["counts"]["problems"] == 34
    assert client.post(f"{IMPORTS}{job['id']}/commit/").status_code == 201
    assert Plan.objects.get(title=OTHER_TITLE).problems.count() == 34
    actions = set(AuditEvent.objects.filter(object_id=str(job["id"])).values_list("action", flat=True))
    assert {"import.uploaded", "import.parsed"} <= actions


@pytest.mark.skipif(not ocr_available(), reason="the OCR package is not installed")
def test_a_scan_that_cannot_be_read_fails_with_its_error_and_can_be_discarded(client_for: Any, queued: None) -> None:
    client = client_for(OFFICE)
    job = api_upload(client, "blank.pdf", scanned_pdf()).json()
    assert job["status"] == "reading"
    run_queued()
    failed = client.get(f"{IMPORTS}{job['id']}/").json()
    assert failed["status"] == "failed" and failed["review"] is None
    assert failed["error"] == ImportJob.objects.get(pk=job["id"]).error and failed["error"]
    assert client.post(f"{IMPORTS}{job['id']}/commit/").status_code == 409
    assert client.post(f"{IMPORTS}{job['id']}/discard/").json()["status"] == "discarded"
    assert AuditEvent.objects.filter(action="import.read_failed", object_id=str(job["id"])).exists()


def test_a_scanned_plans_pages_are_named_beside_each_problem_and_served(
    client_for: Any, users: Any, queued: None
) -> None:
    """What read_import keeps of a scan (ImportJob.ocr, the page images), as the review page shows it;
    the OCR itself is run by the test above and by tests/web/test_import_background.py."""
    import io

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    job = services.import_prepare(actor=users[OFFICE], data=other_plan_bytes(), filename="scan.txt")
    images = []
    for number in (1, 2):
        buffer = io.BytesIO()
        Image.new("RGB", (40, 56), "white").save(buffer, "JPEG")
        content = buffer.getvalue()
        name = default_storage.save(f"imports/pages/{job.pk}/{number}.jpg", ContentFile(content))
        images.append((name, hashlib.sha256(content).hexdigest()))
    pages = [
        {"number": n, "image": name, "sha256": digest, "seconds": 2.5}
        for n, (name, digest) in zip((1, 2), images, strict=True)
    ]
    ImportJob.objects.filter(pk=job.pk).update(ocr={"pages": pages, "problems": {"1": [1, 1], "2": [1, 2]}})
    client = client_for(OFFICE)
    data = client.get(f"{IMPORTS}{job.pk}/").json()
    assert [(p["number"], p["seconds"]) for p in data["ocr"]["pages"]] == [(1, 2.5), (2, 2.5)]
    assert data["ocr"]["problems"] == {"1": [1, 1], "2": [1, 2]}
    by_index = {p["index"]: p["ocr_pages"] for p in data["review"]["problems"]}
    assert (by_index[1], by_index[2], by_index[3]) == ([1], [1, 2], [])
    image = client.get(data["ocr"]["pages"][1]["image"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg" and image.content[:2] == b"\xff\xd8"
    assert image.content == client.get(reverse("ingestion:page", args=[job.pk, 2])).content
    assert client_for("county_office").get(data["ocr"]["pages"][0]["image"]).status_code == 404
    assert client.get(f"{IMPORTS}{job.pk}/pages/3/").status_code == 404
