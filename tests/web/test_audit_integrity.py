"""Integrity pages and checks: the audit admin's view of the last chain verification, downloads of
stored files whose bytes changed (refused, audited), `rectify verify_files`, and the audit rows
written when an export that can carry personal data leaves the system."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse

from rectify.accounts.services import token_issue
from rectify.audit.models import AuditEvent, AuditVerification
from rectify.closeout.models import HandoverPackage
from rectify.documents.dossier import MISSING, build_dossier
from rectify.documents.handover import handover_make
from rectify.plans.models import Measure, Problem
from rectify.progress.models import Evidence
from tests.domain.test_dossier import at, build_history, cover_index, opened
from tests.web.test_weekly_loop import a_report

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def storage_path(name: str) -> Path:
    return Path(default_storage.path(name))


# --- the audit admin's page --------------------------------------------------------------------------


def test_the_audit_page_says_when_the_chain_was_last_verified_and_how_it_stood(client_for: Any) -> None:
    auditor = client_for("auditor")
    assert "尚未运行过防篡改校验" in auditor.get(reverse("audit:log")).content.decode()

    page = auditor.post(reverse("audit:verify"), follow=True).content.decode()
    total = AuditEvent.objects.count()
    run = AuditVerification.objects.get()
    assert run.ok and run.events == total and run.trigger == "审计管理员 auditor"
    assert "链完整" in page and f"校验 {total} 条" in page
    assert f"留痕链完整：共校验 {total} 条" in page

    target = AuditEvent.objects.order_by("seq")[3]
    AuditEvent.objects.filter(pk=target.pk).update(at=target.at - dt.timedelta(days=1))
    page = auditor.post(reverse("audit:verify"), follow=True).content.decode()
    assert "链断裂" in page
    assert f"第 {target.seq} 条（id {target.pk}）的内容与其哈希不符" in page
    assert f"断点之前的 {target.seq - 1} 条完好" in page
    assert AuditVerification.objects.filter(ok=False, broken_seq=target.seq, broken_id=target.pk).count() == 1


@pytest.mark.parametrize("role", ["city_office", "sysadmin", "county_clerk", "outsider"])
def test_only_the_audit_admin_reads_or_runs_the_verification(client_for: Any, role: str) -> None:
    client = client_for(role)
    assert client.get(reverse("audit:log")).status_code == 403
    assert client.post(reverse("audit:verify")).status_code == 403
    assert not AuditVerification.objects.exists()


def test_the_daily_jobs_verify_the_chain(settings: Any) -> None:
    assert ("rectify.audit.services.audit_verify_daily", "审计日志防篡改校验（断链）") in settings.RECTIFY_DAILY_JOBS
    out = io.StringIO()
    call_command("run_scheduler", "--once", stdout=out)
    assert "审计日志防篡改校验（断链）：0 项。" in out.getvalue()
    assert AuditVerification.objects.get().trigger == "每日任务"


# --- stored files whose bytes changed ------------------------------------------------------------------


def test_a_changed_evidence_file_is_refused_and_the_refusal_audited(users: Any, client_for: Any) -> None:
    report = a_report(users, submit=False)
    evidence = Evidence.objects.get(report=report)
    url = reverse("progress:evidence", args=[evidence.pk])
    clerk = client_for("county_clerk")
    assert clerk.get(url).status_code == 200

    path = storage_path(evidence.storage_name)
    path.write_bytes(path.read_bytes() + b"appended")
    response = clerk.get(url)
    assert response.status_code == 409
    assert "自上传后已被改动" in response.content.decode()
    event = AuditEvent.objects.filter(action="file.refused").get()
    assert event.actor == users["county_clerk"]
    assert (event.object_type, event.object_id) == ("progress.evidence", str(evidence.pk))
    assert event.after is not None and event.after["problem"] == "mismatch"
    assert event.after["expected"] == evidence.sha256 != event.after["actual"]

    api = client_for(None)
    token = token_issue(actor=users["county_clerk"], name="t")[1]
    refused = api.get(f"/api/v1/evidence/{evidence.pk}/file/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert refused.status_code == 409 and "已被改动" in refused.json()["detail"]

    path.unlink()
    assert clerk.get(url).status_code == 410
    assert AuditEvent.objects.filter(action="file.refused").count() == 3


def test_a_changed_handover_package_is_refused(client_for: Any) -> None:
    with at(dt.date(2022, 10, 25)):
        package = handover_make(actor="交账程序", period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25))
    path = storage_path(package.storage_name)
    path.write_bytes(b"PK" + path.read_bytes()[2:-1])
    response = client_for("leader").get(reverse("documents:handover_download", args=[package.pk]))
    assert response.status_code == 409
    assert AuditEvent.objects.filter(action="file.refused", object_id=str(package.pk)).exists()
    assert not AuditEvent.objects.filter(action="export.downloaded", object_id=str(package.pk)).exists()


def test_every_stored_file_download_goes_through_the_check() -> None:
    """No view serves a stored file but through audit.downloads (which checks the SHA-256)."""
    offenders = []
    for path in (ROOT / "rectify").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        # The helper itself, the checks, and the dossier (which leaves out a file that fails them).
        if rel in {"rectify/core/http.py", "rectify/audit/downloads.py", "rectify/core/files.py"}:
            continue
        text = path.read_text(encoding="utf-8")
        # documents/jobs.py opens only its own small pointer file; the document goes through stored_file_bytes.
        if rel == "rectify/documents/jobs.py":
            assert "stored_file_bytes(" in text
            continue
        if re.search(r"stored_file_response\(|default_storage\.open\(", text) and "dossier.py" not in rel:
            offenders.append(rel)
    api = (ROOT / "rectify/api/progress_views.py").read_text(encoding="utf-8")
    assert "file_refusal(" in api
    assert offenders == ["rectify/api/progress_views.py"]  # opens the file after file_refusal passed


def test_verify_files_reports_changed_and_missing_files(users: Any) -> None:
    report = a_report(users, submit=False)
    evidence = Evidence.objects.get(report=report)
    out = io.StringIO()
    call_command("verify_files", stdout=out)
    assert "全部完好" in out.getvalue()

    path = storage_path(evidence.storage_name)
    path.write_bytes(path.read_bytes()[:-1])
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_files", stdout=out)
    assert exc.value.returncode == 1
    assert f"{evidence.storage_name}：内容被改动" in out.getvalue()
    assert f"progress.Evidence#{evidence.pk}" in out.getvalue()

    path.unlink()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_files", stdout=out)
    assert f"{evidence.storage_name}：缺失" in out.getvalue() and "1 个缺失或被改动" in out.getvalue()


# --- exports that can carry personal data ---------------------------------------------------------------


def test_a_ledger_export_is_audited_with_its_row_count(users: Any, client_for: Any) -> None:
    response = client_for("city_office").get(reverse("documents:ledger_export") + "?format=csv")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="export.downloaded").get()
    assert event.actor == users["city_office"] and event.object_repr == "整改台账 .csv"
    # Independently: every measure of the ledger, for the city office who sees them all.
    assert event.after == {"export": "整改台账 .csv", "rows": Measure.objects.count()}
    assert event.note == "format=csv"


def test_the_command_line_ledger_export_is_audited(tmp_path: Path) -> None:
    call_command("export_ledger", str(tmp_path / "ledger.xlsx"), stdout=io.StringIO())
    event = AuditEvent.objects.filter(action="export.downloaded").get()
    assert event.actor is None and event.actor_label == "命令行"
    assert event.after == {"export": "整改台账 .xlsx", "rows": Measure.objects.count()}


def test_a_dossier_download_is_audited_with_its_file_count(users: Any, client_for: Any) -> None:
    problem = Problem.objects.order_by("pk").first()
    assert problem is not None
    response = client_for("city_office").get(reverse("documents:dossier_problem", args=[problem.pk]))
    files = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    event = AuditEvent.objects.filter(action="export.downloaded").get()
    assert (event.object_type, event.object_id) == ("plans.problem", str(problem.pk))
    assert event.after == {"export": "一案一档", "rows": len(files)}


def test_a_handover_download_is_audited(users: Any, client_for: Any) -> None:
    with at(dt.date(2022, 10, 25)):
        package = handover_make(actor="交账程序", period_start=dt.date(2022, 10, 11), period_end=dt.date(2022, 10, 25))
    response = client_for("leader").get(reverse("documents:handover_download", args=[package.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="export.downloaded").get()
    assert event.actor == users["leader"]
    assert event.after == {"export": "交账包", "rows": HandoverPackage.objects.get().items}


def test_a_dossier_leaves_out_a_changed_file_and_lists_it_as_missing(users: Any) -> None:
    history = build_history(users)
    stored = history.application.evidence.get()
    path = storage_path(stored.storage_name)
    path.write_bytes(path.read_bytes() + b"tampered")
    archive = opened(build_dossier(history.problem))
    changed = "13_销号申请_2022-10-14_市生态环境局/验收报告.png"
    assert changed not in archive.namelist()
    rows = {r[2]: r for r in cover_index(archive)}
    assert rows[changed][4] == MISSING
    assert sum(1 for r in rows.values() if r[4] == MISSING) == 1
